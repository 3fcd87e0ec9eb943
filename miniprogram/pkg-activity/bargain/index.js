// 砍价详情: the product, start price → floor, 已砍 and the current price,
// 还差k人 with the disclosed N helpers, a progress bar, the helpers and their
// cuts, the time left; 邀请好友帮砍 (a card carrying the bargain id), 帮TA砍一刀
// for a friend (the cut made, or the server's refusal in its own words),
// 立即购买 at the current price when buyable, and 我也要砍 for a helper. The
// initiator's card and 生成海报 (the 小程序码) carry their share token; a
// friend lands here from either (?id=…&share=… or ?scene=<token>).
var api = require('../../lib/api.js');
var money = require('../../lib/money.js');
var bargain = require('../../lib/bargain.js');
var share = require('../../lib/share.js');

Component({
  data: { loading: true, notFound: false, b: null, helped: '', refusal: '', posterOpen: false },

  methods: {
    onLoad: function (q) {
      var self = this;
      return share.landing(q, 'bargain').then(function (l) {
        self._id = l.id;
        return self.load();
      }, function (e) {
        self.setData({ loading: false, notFound: e.code === 'NOT_FOUND' });
        if (e.code !== 'NOT_FOUND') api.showError(e);
      });
    },

    load: function () {
      var self = this;
      return api.get('/api/bargains/' + this._id).then(function (v) {
        self._v = v;
        self.render();
        if (v.mine && v.status === 'open' && !self._token) self.loadShareToken();
        return v;
      }, function (e) {
        self.setData({ loading: false, notFound: e.code === 'NOT_FOUND' });
        if (e.code !== 'NOT_FOUND') api.showError(e);
      });
    },

    render: function () {
      var v = this._v;
      var p = v.progress;
      var live = v.status === 'open' || v.status === 'floor';
      this.setData({
        loading: false,
        b: {
          title: v.productTitle,
          image: v.image,
          startText: money.format(v.startPrice),
          floorText: money.format(v.floorPrice),
          cutText: bargain.cutText(p),
          currentText: money.format(p.currentPrice),
          headline: bargain.headline(p),
          percent: bargain.percent(p),
          timeLeft: bargain.timeLeft(v, Math.floor(Date.now() / 1000)),
          statusText: bargain.STATUS[v.status] || v.status,
          helpers: bargain.helpers(v.helpers),
          initiator: v.initiator.nickname,
          canInvite: v.mine && v.status === 'open',
          canBuy: v.mine && live && p.buyable && !v.orderId,
          canHelp: !v.mine && !v.helpedByMe && v.status === 'open',
          helper: !v.mine,
          orderId: v.orderId,
        },
      });
    },

    onHelp: function () {
      var self = this;
      if (!this.data.b || !this.data.b.canHelp) return null;
      return api.post('/api/bargains/' + this._id + '/help', {}).then(function (r) {
        self.setData({ helped: '你帮TA砍掉了' + money.format(r.cut), refusal: '' });
        return self.load();
      }, function (e) {
        var r = bargain.refusal(e);
        self.setData({ refusal: r.message, refusalCode: r.code });
        return self.load();
      });
    },

    onBuy: function () {
      if (!this.data.b || !this.data.b.canBuy) return;
      bargain.toCheckout(this._v, '');
    },

    onMine: function () {
      wx.navigateTo({ url: '/pages/product/index?id=' + this._v.productId });
    },

    onOrder: function () {
      wx.navigateTo({ url: '/pkg-order/detail/index?id=' + this._v.orderId });
    },

    loadShareToken: function () {
      var self = this;
      return api.post('/api/share', { kind: 'bargain', targetId: this._v.id }).then(function (s) {
        self._token = s.token;
        self._path = '/' + s.path;
        self.setData({ canPoster: true });
      }, function () {});
    },

    // 生成海报: the product, the current price, 还差k人 and the token's 小程序码.
    onPoster: function () {
      if (!this._token) return null;
      return share.savePoster(this, share.posterOps(bargain.poster(this._v, this._token)));
    },

    onShareAppMessage: function () {
      return this._v ? bargain.shareCard(this._v, this._path) : {};
    },
  },
});
