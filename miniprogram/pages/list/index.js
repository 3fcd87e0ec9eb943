// 商品列表: by category or keyword, sorted, paged.
var api = require('../../lib/api.js');
var money = require('../../lib/money.js');

var PAGE_SIZE = 20;
var SORTS = [
  { key: 'default', name: '综合' },
  { key: 'sales', name: '销量' },
  { key: 'price', name: '价格' },
  { key: 'newest', name: '新品' },
];

Component({
  data: { sorts: SORTS, sort: 'default', priceAsc: true, products: [], hasMore: true, loading: false, total: 0, title: '' },
  methods: {
    onLoad: function (q) {
      q = q || {};
      this._query = { categoryId: q.categoryId ? Number(q.categoryId) : undefined, keyword: q.keyword || undefined };
      var title = q.title || q.keyword || '商品列表';
      this.setData({ title: title });
      if (wx.setNavigationBarTitle) wx.setNavigationBarTitle({ title: title });
      return this.reload();
    },
    sortParam: function () {
      var s = this.data.sort;
      if (s === 'price') return this.data.priceAsc ? 'priceAsc' : 'priceDesc';
      return s;
    },
    reload: function () {
      this._page = 0;
      this.setData({ products: [], hasMore: true });
      return this.loadMore();
    },
    loadMore: function () {
      if (!this.data.hasMore || this.data.loading) return Promise.resolve();
      var self = this;
      var page = this._page + 1;
      var q = { categoryId: this._query.categoryId, keyword: this._query.keyword, sort: this.sortParam(), page: page, pageSize: PAGE_SIZE };
      // /api/search records the keyword in the shopper's history and the hot words
      var req = this._query.keyword
        ? api.get('/api/search', { auth: 'optional', query: q })
        : api.get('/api/products', { auth: 'none', query: q });
      this.setData({ loading: true });
      return req.then(function (res) {
        self._page = page;
        var start = self.data.products.length;
        var patch = { hasMore: res.hasMore, loading: false, total: res.total };
        res.items.forEach(function (p, i) {
          patch['products[' + (start + i) + ']'] = { id: p.id, title: p.title, subtitle: p.subtitle, image: p.image, priceText: money.format(p.price), sales: p.sales, soldOut: p.stock <= 0 };
        });
        self.setData(patch);
      }, function (e) {
        self.setData({ loading: false });
        api.showError(e);
      });
    },
    onReachBottom: function () { return this.loadMore(); },
    onSort: function (e) {
      var key = e.currentTarget.dataset.key;
      if (key === 'price' && this.data.sort === 'price') this.setData({ priceAsc: !this.data.priceAsc });
      else this.setData({ sort: key, priceAsc: true });
      return this.reload();
    },
    onProduct: function (e) {
      wx.navigateTo({ url: '/pages/product/index?id=' + e.currentTarget.dataset.id });
    },
  },
});
