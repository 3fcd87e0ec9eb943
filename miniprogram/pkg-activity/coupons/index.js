// 领券中心: the batches open for claiming, each with what is left (in total
// and today), the shopper's own holding and the per-shopper cap; 立即领取
// claims one (a request id per attempt, so a retry after a lost answer claims
// nothing more). A batch that cannot be claimed says why, from the server's
// fields: 已领取 (cap reached), 已抢光, 今日已领完; claimable ones come first,
// the shopper's own last. Refusals show the registry's message for their code.
var api = require('../../lib/api.js');
var subscribe = require('../../lib/subscribe.js');
var coupon = require('../../lib/coupon.js');
var errors = require('../../lib/errors.js');
var track = require('../../lib/track.js');
var util = require('../../lib/util.js');

/** Why a batch cannot be claimed now ('' when it can). */
function refusal(b) {
  if (b.canClaim) return '';
  if (b.claimed >= b.perUserLimit) return '已领取';
  if (b.remaining <= 0) return '已抢光';
  if (b.remainingToday === 0) return '今日已领完';
  return '暂不可领';
}

// What can still be claimed first, then what is gone for now (已抢光, 今日已领完),
// then what the shopper already holds; the server's order within each.
function rank(item) {
  if (item.canClaim) return 0;
  return item.state === '已领取' ? 2 : 1;
}

function sorted(items) {
  return items
    .map(function (item, i) { return [rank(item), i, item]; })
    .sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; })
    .map(function (x) { return x[2]; });
}

function toItem(b) {
  var f = coupon.face(b.kind);
  return {
    id: b.id,
    title: b.title,
    value: f.value,
    cond: f.cond,
    validity: coupon.batchValidity(b),
    shop: b.shopId ? '店铺券' : '平台券',
    transferable: b.transferable,
    left: '剩余' + b.remaining + '张' + (b.remainingToday == null ? '' : ' · 今日剩' + b.remainingToday + '张'),
    limit: '每人限领' + b.perUserLimit + '张' + (b.claimed ? ' · 已领' + b.claimed + '张' : ''),
    percent: b.total > 0 ? Math.floor(((b.total - b.remaining) * 100) / b.total) : 100,
    canClaim: b.canClaim,
    state: refusal(b),
  };
}

Component({
  data: { loading: true, items: [] },

  methods: {
    onLoad: function () {
      this._rids = {};
      return this.load();
    },

    onPullDownRefresh: function () {
      return this.load().then(function () { wx.stopPullDownRefresh(); });
    },

    load: function () {
      var self = this;
      return api.get('/api/coupons', { auth: 'optional' }).then(function (list) {
        self.setData({ loading: false, items: sorted(list.map(toItem)) });
      }, function (e) {
        self.setData({ loading: false });
        errors.show(e);
      });
    },

    onClaim: function (e) {
      var self = this;
      var id = e.currentTarget.dataset.id;
      if (this._busy) return null;
      this._busy = true;
      subscribe.ask('coupon'); // the reminder before it expires; never waited on
      // The same id until an answer arrives: a retry claims nothing more.
      var rid = this._rids[id] || (this._rids[id] = util.idempotencyKey());
      return api.post('/api/coupons/' + id + '/claim', { requestId: rid }).then(function () {
        delete self._rids[id];
        track.track('coupon_claim', { page: 'pkg-activity/coupons/index' });
        wx.showToast({ title: '领取成功', icon: 'success' });
      }, function (err) {
        if (err.code !== 'NETWORK') delete self._rids[id];
        errors.show(err);
      }).then(function () {
        self._busy = false;
        return self.load();
      });
    },

    onMine: function () {
      wx.navigateTo({ url: '/pkg-activity/my-coupons/index' });
    },

    onShareAppMessage: function () {
      return { title: '领券中心：好券限量领取', path: '/pkg-activity/coupons/index' };
    },
  },
});
