// 我的: level, growth progress and upgrade hint (the server's memberStatus,
// computed by the rules core), points (and 待扣积分: a points debt from a closed
// refund, paid off first by points earned later), coupons, order shortcuts.
var api = require('../../lib/api.js');
var money = require('../../lib/money.js');
var util = require('../../lib/util.js');

function couponFace(k) {
  if (k.kind === 'threshold') return { value: money.short(k.amount), cond: '满' + money.short(k.threshold) + '可用' };
  if (k.kind === 'noThreshold') return { value: money.short(k.amount), cond: '无门槛' };
  if (k.kind === 'percent') {
    // "0.9" → 9折, "0.85" → 8.5折: text only, no arithmetic on the rate
    var r = String(k.rate).replace(/^0\./, '');
    var zhe = r.length === 1 ? r : r.charAt(0) + '.' + r.slice(1).replace(/0+$/, '');
    return { value: zhe.replace(/\.$/, '') + '折', cond: (k.threshold ? '满' + money.short(k.threshold) + '可用' : '无门槛') + (k.cap ? '，最高减' + money.short(k.cap) : '') };
  }
  return { value: '免邮', cond: k.threshold ? '满' + money.short(k.threshold) + '可用' : '无门槛' };
}

var SHORTCUTS = [
  { tab: 'unpaid', name: '待付款' },
  { tab: 'toShip', name: '待发货' },
  { tab: 'toReceive', name: '待收货' },
  { tab: 'completed', name: '已完成' },
  { tab: 'afterSale', name: '售后' },
];

Component({
  data: { profile: null, shortcuts: SHORTCUTS, coupons: [], showCoupons: false, loading: true },
  methods: {
    onLoad: function () {},
    onShow: function () { return this.load(); },
    load: function () {
      var self = this;
      return api.get('/api/member').then(function (p) {
        var m = p.member;
        var next = m.next;
        var percent = next && next.minGrowth > 0 ? Math.min(100, Math.floor((m.growth * 100) / next.minGrowth)) : 100;
        var hint = next
          ? '再获得' + next.growthNeeded + '成长值升级' + next.name + (next.spendNeeded ? '（约再消费' + money.short(next.spendNeeded) + '）' : '')
          : '已是最高等级';
        self.setData({
          loading: false,
          profile: {
            nickname: p.nickname || '微信用户',
            avatar: p.avatar,
            phone: p.phone || '',
            levelName: m.level ? m.level.name : '普通会员',
            discountText: m.level && m.level.discountRate !== '1' ? couponFace({ kind: 'percent', rate: m.level.discountRate }).value : '',
            growth: m.growth,
            nextMin: next ? next.minGrowth : m.growth,
            percent: percent,
            hint: hint,
            points: p.points,
            pointsDebt: p.pointsDebt > 0 ? p.pointsDebt : 0,
            couponCount: p.coupons.available,
          },
        });
      }, function (e) {
        self.setData({ loading: false });
        api.showError(e);
      });
    },
    onCoupons: function () {
      var self = this;
      if (this.data.showCoupons) {
        this.setData({ showCoupons: false });
        return null;
      }
      return api.get('/api/member/coupons', { query: { status: 'available' } }).then(function (list) {
        self.setData({
          showCoupons: true,
          coupons: list.map(function (c) {
            var f = couponFace(c.kind);
            return { id: c.id, title: c.title, value: f.value, cond: f.cond, until: util.date(c.validUntil), shop: c.shopId ? '店铺券' : '平台券' };
          }),
        });
      }, api.showError);
    },
    onOrders: function (e) {
      var tab = e.currentTarget.dataset.tab || 'all';
      wx.navigateTo({ url: '/pkg-order/orders/index?tab=' + tab });
    },
    onGroups: function () {
      wx.navigateTo({ url: '/pkg-activity/groups/index' });
    },
    onBargains: function () {
      wx.navigateTo({ url: '/pkg-activity/bargains/index' });
    },
  },
});
