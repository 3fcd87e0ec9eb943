// 我的拼团: the shopper's groups, newest first, each with its progress;
// a tap opens the group.
var api = require('../../lib/api.js');
var group = require('../../lib/group.js');

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
      return api.get('/api/member/groups', { query: { page: page, pageSize: PAGE_SIZE } }).then(function (p) {
        self._busy = false;
        self._page = page;
        var items = p.items.map(function (g) {
          return {
            groupId: g.groupId,
            title: g.productTitle,
            image: g.image,
            role: g.role === 'leader' ? '我开的团' : '我参的团',
            headline: group.headline(g.progress, false),
            timeLeft: group.timeLeft(g.progress),
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
      wx.navigateTo({ url: '/pkg-activity/group/index?id=' + e.currentTarget.dataset.id });
    },
  },
});
