// 首页: banners, three core categories, the flash-sale strip with a countdown
// (from server time), and the recommended list with paging. Opened from a
// promoter's poster (the shop's share token: ?share=… or a code's scene),
// it tells the server, which binds a new shopper to the promoter (分销).
var api = require('../../lib/api.js');
var share = require('../../lib/share.js');
var money = require('../../lib/money.js');
var util = require('../../lib/util.js');
var config = require('../../config.js');

var PAGE_SIZE = 10;

Component({
  data: {
    banners: [],
    categories: [],
    flash: null,
    countdown: '',
    products: [],
    hasMore: true,
    loadingMore: false,
    recsReload: 0,
  },

  methods: {
    onLoad: function (q) {
      this._page = 0;
      this._timer = null;
      // Nothing waits for the landing, and a stale token shows nothing.
      if (q && (q.share || q.scene)) share.landing(q, 'shop').catch(function () { return null; });
      return this.refresh();
    },

    onUnload: function () { this.stopTimer(); },
    onHide: function () { this.stopTimer(); },
    onShow: function () { if (this._flashEnds) this.startTimer(); },

    refresh: function () {
      var self = this;
      this._page = 0;
      // GET /api/home (banners: a signed-in member's campaign banners first;
      // flash sale, server time) is optional: a server
      // without it still gets a working home page.
      var home = api.get('/api/home', { auth: 'optional' }).catch(function (e) {
        if (e.code === 'NO_ROUTE' || e.status === 404) return null;
        throw e;
      });
      return Promise.all([home, api.get('/api/categories', { auth: 'none' })])
        .then(function (r) {
          var h = r[0] || {};
          var flash = h.flashSale && h.flashSale.items && h.flashSale.items.length ? h.flashSale : null;
          self._clockOffset = h.now ? h.now - Date.now() / 1000 : 0;
          self._flashEnds = flash ? flash.endsAt : 0;
          self.setData({
            banners: h.banners || config.banners || [],
            categories: r[1].slice(0, 3).map(function (c) { return { id: c.id, name: c.name, icon: c.icon }; }),
            flash: flash ? {
              activityId: flash.activityId,
              title: flash.title,
              items: flash.items.map(function (i) {
                return { productId: i.productId, title: i.title, image: i.image, priceText: money.format(i.price), listPriceText: i.listPrice ? money.format(i.listPrice) : '' };
              }),
            } : null,
            products: [],
            hasMore: true,
          });
          if (flash) self.tick();
          if (flash) self.startTimer();
          return self.loadMore();
        })
        .catch(api.showError);
    },

    serverNow: function () { return Date.now() / 1000 + (this._clockOffset || 0); },

    tick: function () {
      var left = this._flashEnds - this.serverNow();
      if (left <= 0) {
        this.stopTimer();
        this.setData({ flash: null, countdown: '' });
        return;
      }
      this.setData({ countdown: util.countdown(left) });
    },

    startTimer: function () {
      var self = this;
      this.stopTimer();
      this._timer = setInterval(function () { self.tick(); }, 1000);
    },

    stopTimer: function () {
      if (this._timer) clearInterval(this._timer);
      this._timer = null;
    },

    loadMore: function () {
      if (!this.data.hasMore || this.data.loadingMore) return Promise.resolve();
      var self = this;
      var page = this._page + 1;
      this.setData({ loadingMore: true });
      return api.get('/api/products', { auth: 'none', query: { sort: 'sales', page: page, pageSize: PAGE_SIZE } })
        .then(function (res) {
          self._page = page;
          var start = self.data.products.length;
          var patch = { hasMore: res.hasMore, loadingMore: false };
          // append with path updates (setData stays small)
          res.items.forEach(function (p, i) {
            patch['products[' + (start + i) + ']'] = { id: p.id, title: p.title, subtitle: p.subtitle, image: p.image, priceText: money.format(p.price), sales: p.sales };
          });
          self.setData(patch);
        }, function (e) {
          self.setData({ loadingMore: false });
          api.showError(e);
        });
    },

    onReachBottom: function () { return this.loadMore(); },

    onPullDownRefresh: function () {
      this.setData({ recsReload: this.data.recsReload + 1 });
      return this.refresh().then(function () { wx.stopPullDownRefresh(); });
    },

    // The strip's head opens the sale's own page (states, units left).
    onFlash: function () {
      var f = this.data.flash;
      if (f && f.activityId) wx.navigateTo({ url: '/pkg-activity/flash/index?id=' + encodeURIComponent(f.activityId) });
    },

    onSearch: function () { wx.navigateTo({ url: '/pages/search/index' }); },

    onBanner: function (e) {
      var url = e.currentTarget.dataset.url;
      if (url) wx.navigateTo({ url: url });
    },

    onCategory: function (e) {
      var d = e.currentTarget.dataset;
      wx.navigateTo({ url: '/pages/list/index?' + util.query({ categoryId: d.id, title: d.name }) });
    },

    onProduct: function (e) {
      wx.navigateTo({ url: '/pages/product/index?id=' + e.currentTarget.dataset.id });
    },
  },
});
