// 限时秒杀: one flash sale (GET /api/flash-sales/{id}): each SKU's flash price,
// units left and the shopper's state as the server computed it with the core
// (未开始 / 抢购中 / 排队中 / 已抢光 / 已达限购 / 已结束). The countdown runs on the
// server's clock (its `now` against the phone's at load); crossing the start
// or the end reads the sale again, and so does 排队中 after the wait the server
// asked for. 立即抢购 goes to the checkout as a buy-now in the sale.
var api = require('../../lib/api.js');
var flash = require('../../lib/flash.js');
var money = require('../../lib/money.js');
var util = require('../../lib/util.js');
var store = require('../../lib/store.js');

Component({
  data: {
    loaded: false,
    title: '',
    clock: '',
    limitText: '',
    skus: [],
    missing: false,
  },

  methods: {
    onLoad: function (query) {
      this._id = (query && query.id) || '';
      this._timer = null;
      this._retry = null;
    },

    onShow: function () { return this.load(); },
    onHide: function () { this.stop(); },
    onUnload: function () { this.stop(); },

    load: function () {
      var self = this;
      if (!this._id) {
        this.setData({ loaded: true, missing: true });
        return Promise.resolve();
      }
      return api.get('/api/flash-sales/' + encodeURIComponent(this._id), { auth: 'optional' })
        .then(function (sale) { self.show(sale); }, function (e) {
          if (e.status === 404) {
            self.setData({ loaded: true, missing: true });
            return;
          }
          api.showError(e);
        });
    },

    show: function (sale) {
      var self = this;
      this._sale = sale;
      this._offset = sale.now - Date.now() / 1000;
      var queuedMs = 0;
      var skus = sale.skus.map(function (s) {
        var phase = s.state.phase;
        if (phase === 'queued') queuedMs = Math.max(queuedMs, s.state.retryAfterMs || 0);
        return {
          skuId: s.skuId,
          productId: s.productId,
          title: s.title,
          image: s.image,
          priceText: money.format(s.price),
          listPriceText: money.format(s.listPrice),
          leftText: phase === 'soldOut' ? '已抢光' : '剩余' + s.unitsLeft + '件',
          phase: phase,
          button: flash.buttonText(phase),
          canBuy: phase === 'selling',
        };
      });
      this.setData({
        loaded: true,
        missing: false,
        title: sale.title,
        limitText: sale.perUserLimit ? '每人限购' + sale.perUserLimit + '件' + (sale.userBought ? '，已购' + sale.userBought + '件' : '') : '',
        skus: skus,
      });
      this.tick();
      this.stop();
      this._timer = setInterval(function () { self.tick(); }, 1000);
      if (queuedMs) this._retry = setTimeout(function () { self._retry = null; self.load(); }, flash.retryDelay({ details: { retryAfterMs: queuedMs } }));
    },

    serverNow: function () { return Date.now() / 1000 + (this._offset || 0); },

    // The header's countdown; a boundary crossed reads the sale again.
    tick: function () {
      var sale = this._sale;
      if (!sale) return;
      var now = this.serverNow();
      var clock;
      if (now < sale.startsAt) clock = '距开始 ' + util.countdown(sale.startsAt - now);
      else if (now < sale.endsAt) clock = '距结束 ' + util.countdown(sale.endsAt - now);
      else clock = '已结束';
      var phaseAt = now < sale.startsAt ? 0 : now < sale.endsAt ? 1 : 2;
      var phaseWas = sale.now < sale.startsAt ? 0 : sale.now < sale.endsAt ? 1 : 2;
      this.setData({ clock: clock });
      if (phaseAt !== phaseWas) {
        this.stop();
        this.load();
      }
    },

    stop: function () {
      if (this._timer) clearInterval(this._timer);
      if (this._retry) clearTimeout(this._retry);
      this._timer = null;
      this._retry = null;
    },

    onBuy: function (e) {
      var sku = this.data.skus.filter(function (s) { return s.skuId === Number(e.currentTarget.dataset.sku); })[0];
      if (!sku || !sku.canBuy) return;
      store.buyNow = [{ skuId: sku.skuId, quantity: 1, activityId: this._id, title: sku.title, specs: [], image: sku.image }];
      wx.navigateTo({ url: '/pkg-order/checkout/index?mode=buynow' });
    },

    onProduct: function (e) {
      wx.navigateTo({ url: '/pages/product/index?id=' + e.currentTarget.dataset.id });
    },

    onShareAppMessage: function () {
      return { title: this.data.title || '限时秒杀', path: '/pkg-activity/flash/index?id=' + encodeURIComponent(this._id) };
    },
  },
});
