// 我的优惠券: the wallet by status. A coupon the core says may be gifted
// (giftEligibility: transferable batch, unused, not locked, not received as a
// gift, not expired) offers 赠送好友: after a confirm naming when the card
// closes, POST gift opens a card (赠送中) and 发送给好友 shares it — the card's
// path carries the gift token. 取消赠送 takes a gift back while it is open.
var api = require('../../lib/api.js');
var coupon = require('../../lib/coupon.js');
var errors = require('../../lib/errors.js');
var pricing = require('../../lib/pricing.js');
var track = require('../../lib/track.js');
var util = require('../../lib/util.js');

// One tab a wallet status.
var TABS = [['available', '可用'], ['gifting', '赠送中'], ['gifted', '已赠送'], ['used', '已使用'], ['expired', '已过期']]
  .map(function (t) { return { key: t[0], name: t[1] }; });

function now() { return Math.floor(Date.now() / 1000); }

Component({
  data: { tabs: TABS, tab: 'available', loading: true, items: [] },

  methods: {
    onLoad: function (q) {
      this._list = [];
      this.setData({ tab: (q && q.tab) || 'available' });
      return this.load();
    },

    load: function () {
      var self = this;
      var core = pricing.init().catch(function () { return null; });
      return Promise.all([api.get('/api/member/coupons', { query: { status: this.data.tab } }), core]).then(function (r) {
        self._core = r[1];
        self._list = r[0];
        self.render();
      }, function (e) {
        self.setData({ loading: false });
        errors.show(e);
      });
    },

    render: function () {
      var self = this;
      var t = now();
      this.setData({
        loading: false,
        items: this._list.map(function (c) {
          return Object.assign(coupon.walletItem(c, self._core, t), { canShare: c.status === 'gifting' && !!c.giftToken });
        }),
      });
    },

    find: function (id) {
      return this._list.filter(function (c) { return c.id === Number(id); })[0];
    },

    onTab: function (e) {
      if (e.currentTarget.dataset.key === this.data.tab) return null;
      this.setData({ tab: e.currentTarget.dataset.key, items: [], loading: true });
      return this.load();
    },

    onGift: function (e) {
      var self = this;
      var c = this.find(e.currentTarget.dataset.id);
      var check = c ? coupon.giftCheck(this._core, c, now()) : { ok: false };
      if (!check.ok) return null;
      var content = '好友需在' + util.datetime(check.expiresAt) + '前领取，逾期自动退回；赠送中的券不能下单使用';
      return util.confirm('赠送给好友', content, '赠送').then(function (yes) {
        if (!yes) return null;
        return api.post('/api/member/coupons/' + c.id + '/gift', {}).then(function (g) {
          Object.assign(c, { status: 'gifting', giftExpiresAt: g.expiresAt, giftToken: g.token });
          self.render();
          wx.showToast({ title: '礼券已生成，发送给好友吧', icon: 'none' });
        }, errors.show);
      });
    },

    onCancel: function (e) {
      var self = this;
      var id = e.currentTarget.dataset.id;
      return util.confirm('取消赠送', '取消后好友将无法领取这张券', '取消赠送').then(function (yes) {
        if (!yes) return null;
        return api.post('/api/member/coupons/' + id + '/gift/cancel', {}).then(function () {
          wx.showToast({ title: '已取消赠送', icon: 'none' });
        }, errors.show).then(function () { return self.load(); });
      });
    },

    onCenter: function () {
      wx.navigateTo({ url: '/pkg-activity/coupons/index' });
    },

    // 发送给好友 (a share button carrying the coupon id): the gift's card.
    onShareAppMessage: function (res) {
      var id = res && res.target && res.target.dataset && res.target.dataset.id;
      var c = id && this.find(id);
      if (!c || !c.giftToken) return { title: '领券中心：好券限量领取', path: '/pkg-activity/coupons/index' };
      track.track('share', { page: 'pkg-activity/gift/index' });
      return coupon.giftShare(c.title, c.giftToken);
    },
  },
});
