// 商品评价: a product's reviews, newest first, paged (GET /api/products/{id}/reviews).
var api = require('../../lib/api.js');
var reviews = require('../../lib/reviews.js');

var PAGE_SIZE = 10;

Component({
  data: { reviews: [], total: 0, hasMore: true, loading: false, loaded: false },
  methods: {
    onLoad: function (q) {
      this._id = Number(q && q.id);
      this._page = 0;
      return this.loadMore();
    },
    loadMore: function () {
      if (!this.data.hasMore || this.data.loading) return Promise.resolve();
      var self = this;
      var page = this._page + 1;
      this.setData({ loading: true });
      return api.get('/api/products/' + this._id + '/reviews', { auth: 'none', query: { page: page, pageSize: PAGE_SIZE } }).then(function (res) {
        self._page = page;
        var start = self.data.reviews.length;
        var patch = { hasMore: res.hasMore, loading: false, loaded: true, total: res.total };
        res.items.forEach(function (r, i) { patch['reviews[' + (start + i) + ']'] = reviews.view(r); });
        self.setData(patch);
      }, function (e) {
        self.setData({ loading: false, loaded: true });
        api.showError(e);
      });
    },
    onReachBottom: function () { return this.loadMore(); },
  },
});
