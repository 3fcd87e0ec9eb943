// 拼团详情: the product and its group price, 还差N人成团 with the time left,
// the real members and the free seats, then 参团 (to checkout with the group
// and the share token the page was opened with) or 邀请好友 (a share card
// carrying the shopper's own share token).
var api = require('../../lib/api.js');
var money = require('../../lib/money.js');
var group = require('../../lib/group.js');
var share = require('../../lib/share.js');

Component({
  data: {
    loading: true,
    notFound: false,
    g: null,
    posterOpen: false,
  },

  methods: {
    onLoad: function (q) {
      var self = this;
      // A shared card (?id=…&share=…) or a scanned 小程序码 (?scene=<token>).
      return share.landing(q, 'group').then(function (l) {
        self._id = l.id;
        self._share = l.share;
        return self.load();
      }, function (e) {
        self.setData({ loading: false, notFound: e.code === 'NOT_FOUND' });
        if (e.code !== 'NOT_FOUND') api.showError(e);
      });
    },

    onUnload: function () {
      if (this._timer) clearInterval(this._timer);
    },

    load: function () {
      var self = this;
      return api.get('/api/groups/' + this._id).then(function (g) {
        self._g = g;
        self.render(g.progress.secondsLeft);
        if (g.myOrderId && g.progress.status === 'open') self.loadShareToken();
        if (g.progress.status === 'open' && g.progress.secondsLeft > 0 && !self._timer) {
          var left = g.progress.secondsLeft;
          self._timer = setInterval(function () {
            left -= 1;
            self.render(left);
            if (left <= 0) { clearInterval(self._timer); self._timer = null; }
          }, 1000);
        }
        return g;
      }, function (e) {
        self.setData({ loading: false, notFound: e.code === 'NOT_FOUND' });
        if (e.code !== 'NOT_FOUND') api.showError(e);
      });
    },

    render: function (secondsLeft) {
      var g = this._g;
      var progress = Object.assign({}, g.progress, { secondsLeft: Math.max(0, secondsLeft) });
      this.setData({
        loading: false,
        g: {
          title: g.productTitle,
          image: g.image,
          priceText: money.format(g.price),
          listPriceText: money.format(g.listPrice),
          leaderPriceText: typeof g.leaderPrice === 'number' && g.leaderPrice !== g.price ? money.format(g.leaderPrice) : '',
          sizeText: g.progress.size + '人团',
          headline: group.headline(progress, g.autoFormed),
          timeLeft: group.timeLeft(progress),
          seats: group.seats(g.members, progress),
          canJoin: g.canJoin && progress.secondsLeft > 0,
          mine: !!g.myOrderId,
          canInvite: !!g.myOrderId && g.progress.status === 'open' && progress.secondsLeft > 0,
          refusal: g.canJoin ? '' : refusalText(g.joinRefusal, g.myOrderId),
        },
      });
    },

    loadShareToken: function () {
      var self = this;
      return api.post('/api/share', { kind: 'group', targetId: this._id }).then(function (s) {
        self._token = s.token;
        self._path = '/' + s.path;
      }, function () {});
    },

    // 生成海报: the product, the group price, 还差N人 and the token's 小程序码, saved to the album.
    posterOps: function () {
      var g = this._g;
      return share.posterOps({
        image: g.image,
        title: g.productTitle,
        priceText: money.format(g.price),
        listPriceText: money.format(g.listPrice),
        note: g.progress.status === 'open' ? group.headline(g.progress, false) + '，' + g.progress.size + '人团' : '',
        token: this._token,
      });
    },

    onPoster: function () {
      if (!this._token) return null;
      return share.savePoster(this, this.posterOps());
    },

    onJoin: function () {
      var g = this._g;
      if (!g || !this.data.g.canJoin) return;
      group.toCheckout({ skuId: g.skuId, activityId: g.activityId, title: g.productTitle, specs: [], image: g.image }, g.groupId, this._share);
    },

    onOrder: function () {
      wx.navigateTo({ url: '/pkg-order/detail/index?id=' + this._g.myOrderId });
    },

    onProduct: function () {
      wx.navigateTo({ url: '/pages/product/index?id=' + this._g.productId });
    },

    onShareAppMessage: function () {
      var g = this._g;
      if (!g) return {};
      return {
        title: '还差' + g.progress.needed + '人，' + money.format(g.price) + '拼' + g.productTitle,
        path: this._path || '/pkg-activity/group/index?id=' + g.groupId,
        imageUrl: g.image,
      };
    },
  },
});

function refusalText(code, mine) {
  if (mine) return '';
  var text = { GROUP_FULL: '该团已满，可以自己开团', GROUP_EXPIRED: '该团已过期', GROUP_NOT_OPEN: '该团已结束' };
  return text[code] || '';
}
