// 我的砍价: the shopper's bargains, newest first, each with 已砍 and 还差k人 of N;
// a tap opens the bargain.
var api = require('../../lib/api.js');
var bargain = require('../../lib/bargain.js');

var PAGE_SIZE = 20;

Component({
  data: { items: [], loading: true, done: false },

  methods: {
    onLoad: function () {
      this._page = 0;
      return this.more();
    },

    onPullDownRefresh: function () {
      this._page = 0;
      this.setData({ items: [], done: false });
      return this.more().then(function () { wx.stopPullDownRefresh(); });
    },

    onReachBottom: function () {
      if (!this.data.done && !this._busy) return this.more();
      return null;
    },

    more: function () {
      var self = this;
      this._busy = true;
      var page = this._page + 1;
      return api.get('/api/bargains', { query: { page: page, pageSize: PAGE_SIZE } }).then(function (p) {
        self._busy = false;
        self._page = page;
        var items = p.items.map(function (b) {
          return {
            id: b.id,
            title: b.productTitle,
            image: b.image,
            status: bargain.STATUS[b.status] || b.status,
            cut: bargain.cutText(b.progress),
            headline: bargain.headline(b.progress),
          };
        });
        self.setData({ loading: false, items: self.data.items.concat(items), done: !p.hasMore });
      }, function (e) {
        self._busy = false;
        self.setData({ loading: false });
        api.showError(e);
      });
    },

    onOpen: function (e) {
      wx.navigateTo({ url: '/pkg-activity/bargain/index?id=' + e.currentTarget.dataset.id });
    },
  },
});
