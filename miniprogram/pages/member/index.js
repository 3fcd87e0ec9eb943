// 我的: level, growth progress and upgrade hint (the server's memberStatus,
// computed by the rules core), points (and 待扣积分: a points debt from a closed
// refund, paid off first by points earned later), coupons (a preview; 全部 opens
// 我的优惠券), order shortcuts, and the entries to 签到, 领券中心 and 我的优惠券.
var api = require('../../lib/api.js');
var money = require('../../lib/money.js');
var coupon = require('../../lib/coupon.js');
var subscribe = require('../../lib/subscribe.js');

var SHORTCUTS = [
  { tab: 'unpaid', name: '待付款' },
  { tab: 'toShip', name: '待发货' },
  { tab: 'toReceive', name: '待收货' },
  { tab: 'completed', name: '已完成' },
  { tab: 'afterSale', name: '售后' },
];

Component({
  data: { profile: null, shortcuts: SHORTCUTS, coupons: [], showCoupons: false, loading: true, subscribeText: '发货、退款、优惠券到期' },
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
            discountText: m.level && m.level.discountRate !== '1' ? coupon.face({ kind: 'percent', rate: m.level.discountRate }).value : '',
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
          coupons: list.map(function (c) { return coupon.walletItem(c, null, 0); }),
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
    // 消息提醒: asks for the shipping, refund and coupon-expiry messages (each
    // acceptance is one message; WeChat asks again the next time).
    onSubscribe: function () {
      var self = this;
      return subscribe.ask('member').then(function (answer) {
        var on = !!(answer && answer.accepted);
        if (on) self.setData({ subscribeText: '已开启' });
        wx.showToast({ title: on ? '已开启提醒' : '未开启提醒', icon: on ? 'success' : 'none' });
      });
    },
    // 签到, 领券中心, 我的优惠券: data-url names the page.
    onEntry: function (e) {
      wx.navigateTo({ url: e.currentTarget.dataset.url });
    },
  },
});
