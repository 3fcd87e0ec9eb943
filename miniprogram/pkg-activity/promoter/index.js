// 推广中心 (分销): become a promoter (or apply, when the merchant approves
// them), the earnings by state, the team as counts per level only, orders
// with masked buyers, the month's ranking, and 提现 through WeChat Pay's
// 商家转账: the server debits the balance and creates the bill; the promoter
// confirms it in wx.requestMerchantTransfer; the history shows where it is
// (a failed or cancelled one says the amount went back to the balance).
// 生成海报: the shop's name, the promoter's masked nickname and the 小程序码
// of their shop share token (the home page; landing there binds new
// shoppers to them), painted and saved by lib/share.js.
var api = require('../../lib/api.js');
var config = require('../../config.js');
var share = require('../../lib/share.js');
var money = require('../../lib/money.js');
var util = require('../../lib/util.js');
var lib = require('../../lib/promoter.js');

Component({
  data: {
    loading: true,
    closed: false,
    status: '',
    earnings: [],
    availableFen: 0,
    team: { level1: 0, level2: 0 },
    amount: '',
    withdrawals: [],
    orders: [],
    board: null,
    submitting: false,
    posterOpen: false,
  },

  methods: {
    onShow: function () { return this.load(); },

    load: function () {
      var self = this;
      return api.get('/api/distribution/center').then(function (c) {
        var status = c.promoter ? c.promoter.status : '';
        self._nickname = c.promoter ? c.promoter.nickname : '';
        self.setData({
          loading: false,
          closed: false,
          status: status,
          earnings: lib.earnings(c.earnings),
          availableFen: c.earnings.available,
          team: { level1: (c.team && c.team.level1) || 0, level2: (c.team && c.team.level2) || 0 },
        });
        if (status === 'approved') return self.loadLists();
        return null;
      }, function (e) {
        if (e.code === 'DISTRIBUTION_DISABLED') {
          self.setData({ loading: false, closed: true });
          return;
        }
        self.setData({ loading: false });
        api.showError(e);
      });
    },

    loadLists: function () {
      var self = this;
      var page = { page: 1, pageSize: 20 };
      return Promise.all([
        api.get('/api/distribution/withdrawals', { query: page }),
        api.get('/api/distribution/orders', { query: page }),
        api.get('/api/distribution/leaderboard'),
      ]).then(function (r) {
        self.setData({
          withdrawals: r[0].items.map(function (w) {
            return { id: w.id, amountText: money.format(w.amount), stateText: lib.withdrawalText(w.state), time: util.datetime(w.createdAt) };
          }),
          orders: r[1].items.map(function (o) {
            return { orderId: o.orderId, orderNo: o.orderNo, buyer: o.buyer, level: o.level === 2 ? '二级' : '一级', commissionText: money.format(o.commission), stateText: lib.commissionText(o.status) };
          }),
          board: {
            month: r[2].month,
            items: r[2].items.map(function (i) { return { rank: i.rank, nickname: i.nickname, salesText: money.format(i.sales), me: !!i.me }; }),
          },
        });
      }, api.showError);
    },

    // everyone mode: a promoter at once; approval mode: an application.
    onBecome: function () {
      var self = this;
      return api.post('/api/distribution/promoter', {}).then(function (p) {
        wx.showToast({ title: p.status === 'approved' ? '已成为推广员' : '申请已提交', icon: 'none' });
        return self.load();
      }, api.showError);
    },

    // The shop share token (the same one each time), then the poster.
    onPoster: function () {
      var self = this;
      if (this.data.status !== 'approved' || this.data.posterOpen) return null;
      var token = this._shopToken ? Promise.resolve(this._shopToken)
        : api.post('/api/share', { kind: 'shop', channel: 'poster' }).then(function (s) { self._shopToken = s.token; return s.token; });
      return token.then(function (t) {
        return share.savePoster(self, share.posterOps(lib.poster(config.shopName, self._nickname, t)));
      }, api.showError);
    },

    onAmount: function (e) { this.setData({ amount: e.detail.value }); },

    onAll: function () {
      if (this.data.availableFen > 0) this.setData({ amount: money.yuan(this.data.availableFen) });
    },

    onWithdraw: function () {
      var self = this;
      if (this.data.submitting) return null;
      var fen = lib.fenOf(this.data.amount);
      if (!fen) {
        wx.showToast({ title: '请输入提现金额', icon: 'none' });
        return null;
      }
      this.setData({ submitting: true });
      return api.post('/api/distribution/withdrawals', { amount: fen }).then(function (r) {
        self.setData({ amount: '' });
        if (!r.transfer) {
          wx.showToast({ title: r.withdrawal.state === 'REVIEWING' ? '已提交，等待商家审核' : '已提交，处理中', icon: 'none' });
          return null;
        }
        return self.confirm(r.transfer);
      }, api.showError).then(function () {
        self.setData({ submitting: false });
        return self.load();
      });
    },

    // The promoter confirms the bill; the result reaches the server from
    // WeChat Pay (notification, query), so the page only reads it again.
    confirm: function (transfer) {
      return new Promise(function (resolve) {
        wx.requestMerchantTransfer({
          mchId: transfer.mchId,
          appId: transfer.appId,
          package: transfer.package,
          success: function () { wx.showToast({ title: '已确认收款', icon: 'success' }); resolve(true); },
          fail: function (err) {
            var cancelled = err && /cancel/.test(String(err.errMsg));
            // Not confirmed: the bill lapses and the amount returns to the balance.
            wx.showToast({ title: cancelled ? '已取消收款，金额将退回余额' : '确认收款未完成，金额将退回余额', icon: 'none' });
            resolve(false);
          },
        });
      });
    },
  },
});
