// 领取礼券: a friend's gift card, opened from a share card (?token=…) or a
// 小程序码 (?scene=…, decoded): who gives it, the coupon's terms, until when
// the card is open, and its state; 领取 accepts it (exactly one friend wins)
// and links to 我的优惠券. Accepted, returned (cancelled or expired), one's
// own gift, a missing card and a failed login each have their own state.
var api = require('../../lib/api.js');
var coupon = require('../../lib/coupon.js');
var errors = require('../../lib/errors.js');
var util = require('../../lib/util.js');

// What the page says in each state (`open` offers 领取).
var STATES = {
  open: '',
  own: '这是你送出的礼券，等待好友领取',
  accepted: '礼券已被领取',
  returned: '礼券已过期或已被取消',
  received: '领取成功，已放入你的优惠券',
  notFound: '礼券不存在',
  login: '登录后才能领取礼券',
  error: '',
};

function stateOf(card) {
  if (card.state === 'gifting') return card.mine ? 'own' : 'open';
  return card.state === 'accepted' ? 'accepted' : 'returned';
}

Component({
  data: { loading: true, state: '', message: '', g: null },

  methods: {
    onLoad: function (q) {
      this._token = coupon.giftToken(q);
      if (!this._token) { this.show('notFound'); return null; }
      return this.load();
    },

    show: function (state, extra) {
      this.setData(Object.assign({ loading: false, state: state, message: STATES[state] }, extra));
    },

    load: function () {
      var self = this;
      return api.get('/api/gifts/' + encodeURIComponent(this._token)).then(function (card) {
        var f = coupon.face(card.kind);
        self._card = card;
        self.show(stateOf(card), {
          g: {
            from: card.fromNickname || '微信好友',
            avatar: card.fromAvatar,
            initial: (card.fromNickname || '友').charAt(0),
            title: card.title,
            value: f.value,
            cond: f.cond,
            validity: util.date(card.validFrom) + ' 至 ' + util.date(card.validUntil),
            expires: util.datetime(card.expiresAt),
          },
        });
      }, function (e) { self.fail(e); });
    },

    fail: function (e) {
      if (e.code === 'NOT_FOUND') return this.show('notFound');
      if (e.code === 'UNAUTHORIZED' || e.code === 'LOGIN_FAILED') return this.show('login');
      return this.show('error', { message: errors.message(e) });
    },

    onAccept: function () {
      var self = this;
      if (this.data.state !== 'open' || this._busy) return null;
      this._busy = true;
      return api.post('/api/gifts/' + encodeURIComponent(this._token) + '/accept', {}).then(function () {
        self._busy = false;
        self.show('received');
      }, function (e) {
        self._busy = false;
        if (e.code === 'GIFT_OWN') return self.show('own');
        errors.show(e);
        // Closed meanwhile (another friend, cancelled, expired): the card's state now.
        return e.code === 'GIFT_CLOSED' ? self.load() : null;
      });
    },

    onLogin: function () {
      var self = this;
      return api.login().then(function () { return self.load(); }, function (e) { self.fail(e); });
    },

    onMine: function () {
      wx.navigateTo({ url: '/pkg-activity/my-coupons/index' });
    },

    onCenter: function () {
      wx.navigateTo({ url: '/pkg-activity/coupons/index' });
    },

    onShareAppMessage: function () {
      var c = this._card;
      return c && c.state === 'gifting' ? coupon.giftShare(c.title, this._token) : { title: '领券中心', path: '/pkg-activity/coupons/index' };
    },
  },
});
