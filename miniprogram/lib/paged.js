// A paged list page (我的拼团, 我的砍价): the first page on load, the next on
// reaching the bottom, pull-down starts again. `methods(path, toItem)` gives
// the page's onLoad / onPullDownRefresh / onReachBottom / more; the page's
// data holds {items, loading, done}.
'use strict';
var api = require('./api.js');

var PAGE_SIZE = 20;

function methods(path, toItem) {
  return {
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
      return api.get(path, { query: { page: page, pageSize: PAGE_SIZE } }).then(function (p) {
        self._busy = false;
        self._page = page;
        self.setData({ loading: false, items: self.data.items.concat(p.items.map(toItem)), done: !p.hasMore });
      }, function (e) {
        self._busy = false;
        self.setData({ loading: false });
        api.showError(e);
      });
    },
  };
}

module.exports = { methods: methods, PAGE_SIZE: PAGE_SIZE };
