// 我的订单: status tabs, paged, with the actions the server allows; 去支付 on
// unpaid orders; the 售后 tab lists the shopper's after-sales requests.
var api = require('../../lib/api.js');
var subscribe = require('../../lib/subscribe.js');
var pay = require('../../lib/pay.js');
var aftersale = require('../../lib/aftersale.js');
var money = require('../../lib/money.js');
var util = require('../../lib/util.js');

var TABS = [
  { key: 'all', name: '全部' },
  { key: 'unpaid', name: '待付款' },
  { key: 'toShip', name: '待发货' },
  { key: 'toReceive', name: '待收货' },
  { key: 'completed', name: '已完成' },
  { key: 'afterSale', name: '售后' },
];

function view(o) {
  return {
    id: o.id,
    orderNo: o.orderNo,
    statusLabel: o.statusLabel,
    payableText: money.format(o.payable),
    itemCount: o.itemCount,
    createdText: util.datetime(o.createdAt),
    images: o.lines.slice(0, 4).map(function (l) { return l.image; }),
    firstTitle: o.lines.length ? o.lines[0].title : '',
    canPay: o.status === 'pending_payment',
    canCancel: o.actions.indexOf('cancel') >= 0,
    canConfirm: o.actions.indexOf('confirmReceipt') >= 0,
  };
}

Component({
  data: { tabs: TABS, tab: 'all', orders: [], afterSales: [], hasMore: true, loading: false, paying: 0 },
  methods: {
    onLoad: function (q) {
      var tab = q && q.tab && TABS.some(function (t) { return t.key === q.tab; }) ? q.tab : 'all';
      this.setData({ tab: tab });
      return this.reload();
    },
    reload: function () {
      this._page = 0;
      this._seq = (this._seq || 0) + 1;
      this.setData({ orders: [], afterSales: [], hasMore: true, loading: false });
      if (this.data.tab === 'afterSale') return this.loadAfterSales();
      return this.loadMore();
    },
    // 售后: the requests with their status and the server's refund amount;
    // line titles from the orders that have requests.
    loadAfterSales: function () {
      var self = this;
      var seq = this._seq;
      this.setData({ loading: true });
      return Promise.all([
        api.get('/api/after-sales'),
        api.get('/api/orders', { query: { tab: 'afterSale', page: 1, pageSize: 100 } }),
      ]).then(function (r) {
        if (seq !== self._seq) return;
        var titles = {};
        r[1].items.forEach(function (o) { titles[o.id] = {}; o.lines.forEach(function (l) { titles[o.id][l.lineId] = l.title; }); });
        self.setData({
          loading: false,
          hasMore: false,
          afterSales: r[0].map(function (a) { return aftersale.view(a, titles[a.orderId]); }),
        });
      }, function (e) {
        self.setData({ loading: false, hasMore: false });
        api.showError(e);
      });
    },
    loadMore: function () {
      if (!this.data.hasMore || this.data.loading || this.data.tab === 'afterSale') return Promise.resolve();
      var self = this;
      var seq = this._seq;
      var page = this._page + 1;
      this.setData({ loading: true });
      return api.get('/api/orders', { query: { tab: this.data.tab, page: page, pageSize: 10 } }).then(function (res) {
        if (seq !== self._seq) return; // the tab changed meanwhile
        self._page = page;
        var start = self.data.orders.length;
        var patch = { hasMore: res.hasMore, loading: false };
        res.items.forEach(function (o, i) { patch['orders[' + (start + i) + ']'] = view(o); });
        self.setData(patch);
      }, function (e) {
        self.setData({ loading: false });
        api.showError(e);
      });
    },
    onReachBottom: function () { return this.loadMore(); },
    onTab: function (e) {
      this.setData({ tab: e.currentTarget.dataset.key });
      return this.reload();
    },
    onOrder: function (e) {
      wx.navigateTo({ url: '/pkg-order/detail/index?id=' + e.currentTarget.dataset.id });
    },
    act: function (id, action, confirmText) {
      var self = this;
      return new Promise(function (resolve) {
        wx.showModal({ title: '提示', content: confirmText, success: function (r) { resolve(!!r.confirm); }, fail: function () { resolve(false); } });
      }).then(function (ok) {
        if (!ok) return null;
        return api.post('/api/orders/' + id + '/' + action, {}).then(function () { return self.reload(); }, api.showError);
      });
    },
    onPay: function (e) {
      var id = e.currentTarget.dataset.id;
      if (this.data.paying) return null;
      var self = this;
      this.setData({ paying: id });
      return subscribe.ask('pay').then(function () { return pay.payOrder(id); }).then(function (r) {
        self.setData({ paying: 0 });
        wx.showToast({ title: r.message, icon: r.result === 'paid' ? 'success' : 'none' });
        return self.reload();
      }, function (err) {
        self.setData({ paying: 0 });
        api.showError(err);
        return self.reload();
      });
    },
    onAfterSaleItem: function (e) {
      wx.navigateTo({ url: '/pkg-order/detail/index?id=' + e.currentTarget.dataset.order });
    },
    onCancel: function (e) { return this.act(e.currentTarget.dataset.id, 'cancel', '确定取消该订单吗？'); },
    onConfirm: function (e) { return this.act(e.currentTarget.dataset.id, 'confirm-receipt', '确认已收到商品？'); },
  },
});
