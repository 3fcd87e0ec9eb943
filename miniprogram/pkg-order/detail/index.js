// 订单详情: status, delivery, lines with what each cost, amounts, actions:
// 去支付 (server prepay → wx.requestPayment → the server's status, polled),
// 取消 / 确认收货, and 申请售后 per line (quantity, refund only or return and
// refund, reason) with the refund amount the server computes (previewed
// before submitting: POST /api/orders/{id}/after-sales/preview), and 寄回物流
// (carrier and tracking number) for a return-and-refund request waiting for the goods;
// 评价 per line of a completed order (1–5 stars, text ≤ 500: POST
// /api/orders/{id}/lines/{lineId}/review), 已评价 once the server says `reviewed`.
var api = require('../../lib/api.js');
var subscribe = require('../../lib/subscribe.js');
var pay = require('../../lib/pay.js');
var aftersale = require('../../lib/aftersale.js');
var money = require('../../lib/money.js');
var util = require('../../lib/util.js');
var config = require('../../config.js');

var REVIEW_MAX_CHARS = 500;
var STARS = [1, 2, 3, 4, 5];

// Characters as the server counts them (code points), not UTF-16 units.
function charCount(s) { return Array.from(s || '').length; }

function deliveryText(d) {
  if (!d) return '';
  if (d.kind === 'pickup') return '到店自提：' + ((config.pickupStoreNames && config.pickupStoreNames[d.storeId]) || d.storeId);
  if (d.kind === 'sameCity') return '同城配送';
  return '快递配送';
}

Component({
  data: { order: null, loading: true, paying: false, payMessage: '', afterSales: [], form: null, returnForm: null, reviewForm: null, reasons: aftersale.REASONS, stars: STARS, reviewMax: REVIEW_MAX_CHARS },
  methods: {
    onLoad: function (q) {
      this._id = Number(q && q.id);
      // From checkout when the payment did not go through.
      if (q && q.pay && pay.MESSAGES[q.pay] && q.pay !== 'paid') this.setData({ payMessage: pay.MESSAGES[q.pay] });
      return this.load();
    },
    load: function () {
      var self = this;
      return api.get('/api/orders/' + this._id).then(function (o) {
        return self.render(o);
      }, function (e) {
        self.setData({ loading: false });
        api.showError(e);
      });
    },
    // The order as the server has it, then (when after-sales apply) its requests.
    render: function (o) {
      this._order = o;
      var rows = [{ key: 'goods', label: '商品金额', value: money.format(o.goodsTotal) }];
      if (o.discountTotal) rows.push({ key: 'discount', label: '优惠', value: '-' + money.format(o.discountTotal) });
      rows.push({ key: 'shipping', label: '运费', value: money.format(o.shippingFee) });
      if (o.pointsDeduction) rows.push({ key: 'points', label: '积分抵扣(' + o.pointsUsed + '积分)', value: '-' + money.format(o.pointsDeduction) });
      var times = [['下单时间', o.createdAt], ['付款时间', o.paidAt], ['发货时间', o.shippedAt], ['完成时间', o.completedAt], ['取消时间', o.cancelledAt]]
        .filter(function (t) { return t[1]; })
        .map(function (t) { return { label: t[0], value: util.datetime(t[1]) }; });
      var afterSaleOpen = aftersale.ALLOWED.indexOf(o.status) >= 0;
      this.setData({
        loading: false,
        payMessage: o.status === 'pending_payment' ? this.data.payMessage : '',
        order: {
          id: o.id,
          orderNo: o.orderNo,
          status: o.status,
          statusLabel: o.statusLabel,
          cancelReason: o.cancelReason || '',
          // the server's status values are snake_case (server/src/order.rs)
          expiresText: o.status === 'pending_payment' && o.expiresAt ? '请在' + util.datetime(o.expiresAt) + '前付款' : '',
          deliveryText: deliveryText(o.delivery),
          address: o.address,
          lines: o.lines.map(function (l) {
            return {
              lineId: l.lineId,
              title: l.title,
              specsText: (l.specs || []).join(' / '),
              image: l.image,
              quantity: l.quantity,
              unitPriceText: money.format(l.unitPrice),
              paidText: money.format(l.paid),
              canAfterSale: false,
              reviewed: !!l.reviewed,
              canReview: o.status === 'completed' && !l.reviewed,
            };
          }),
          rows: rows,
          payableText: money.format(o.payable),
          paidAmountText: typeof o.paidAmount === 'number' ? money.format(o.paidAmount) : '',
          refundedText: o.refundedAmount ? money.format(o.refundedAmount) : '',
          remark: o.remark,
          times: times,
          canPay: o.status === 'pending_payment',
          groupId: o.groupId || null,
          canCancel: o.actions.indexOf('cancel') >= 0,
          canConfirm: o.actions.indexOf('confirmReceipt') >= 0,
        },
      });
      if (!afterSaleOpen && !o.refundedAmount) {
        this._available = {};
        this.setData({ afterSales: [] });
        return Promise.resolve(o);
      }
      return this.loadAfterSales(afterSaleOpen).then(function () { return o; });
    },
    // This order's requests; a line can take a new request for the units no
    // open or approved request holds (the server's own rule).
    loadAfterSales: function (open) {
      var self = this;
      var o = this._order;
      return api.get('/api/after-sales').then(function (all) {
        var mine = all.filter(function (a) { return a.orderId === o.id; });
        var available = aftersale.available(o.lines, mine);
        self._available = available;
        var titles = {};
        o.lines.forEach(function (l) { titles[l.lineId] = l.title; });
        var patch = { afterSales: mine.map(function (a) { return aftersale.view(a, titles); }), returnForm: null };
        o.lines.forEach(function (l, i) { patch['order.lines[' + i + '].canAfterSale'] = open && available[l.lineId] > 0; });
        self.setData(patch);
      }, api.showError);
    },

    // ---- 去支付
    onPay: function () {
      if (this.data.paying) return null;
      var self = this;
      this.setData({ paying: true, payMessage: '' });
      // 订阅消息 asked in the tap, answered before the payment sheet opens
      return subscribe.ask('pay').then(function () { return pay.payOrder(self._id); }).then(function (r) {
        self.setData({ paying: false, payMessage: r.result === 'paid' ? '' : r.message });
        if (r.result === 'paid') wx.showToast({ title: r.message, icon: 'success' });
        else wx.showToast({ title: r.message, icon: 'none' });
        // Whatever the sheet said, show the order as the server has it.
        return r.order ? self.render(r.order) : self.load();
      }, function (e) {
        self.setData({ paying: false });
        api.showError(e);
        return self.load();
      });
    },

    act: function (action, text) {
      var self = this;
      return new Promise(function (resolve) {
        wx.showModal({ title: '提示', content: text, success: function (r) { resolve(!!r.confirm); }, fail: function () { resolve(false); } });
      }).then(function (ok) {
        if (!ok) return null;
        return api.post('/api/orders/' + self._id + '/' + action, {}).then(function (o) { return self.render(o); }, api.showError);
      });
    },
    onCancel: function () { return this.act('cancel', '确定取消该订单吗？'); },
    onGroup: function () { wx.navigateTo({ url: '/pkg-activity/group/index?id=' + this.data.order.groupId }); },
    onConfirm: function () { return this.act('confirm-receipt', '确认已收到商品？'); },
    onCopy: function () { wx.setClipboardData({ data: this.data.order.orderNo }); },

    // ---- 申请售后
    onAfterSale: function (e) {
      var lineId = e.currentTarget.dataset.id;
      var line = this.data.order.lines.filter(function (l) { return l.lineId === lineId; })[0];
      var max = (this._available || {})[lineId] || 0;
      if (!line || max < 1) return;
      // Goods not shipped yet: refund only.
      var canReturn = this.data.order.status !== 'paid';
      this.setData({
        form: { lineId: lineId, title: line.title, quantity: max, max: max, kind: 'refund_only', canReturn: canReturn, reason: '', submitting: false, previewText: '', previewNote: '' },
      });
      return this.preview();
    },
    // What the server would refund for this choice if approved now (its core's
    // figure, never computed here); a newer choice wins over a late answer.
    preview: function () {
      var f = this.data.form;
      if (!f) return Promise.resolve();
      var self = this;
      var seq = (this._previewSeq || 0) + 1;
      this._previewSeq = seq;
      this.setData({ 'form.previewText': '计算中…', 'form.previewNote': '' });
      return api.post('/api/orders/' + this._id + '/after-sales/preview', {
        kind: f.kind,
        items: [{ lineId: f.lineId, quantity: f.quantity }],
        includeShipping: false,
        reason: f.reason,
      }).then(function (p) {
        if (seq !== self._previewSeq || !self.data.form) return;
        var notes = [];
        if (p.pointsReturned) notes.push('退还' + p.pointsReturned + '积分');
        if (p.couponsBack) notes.push('优惠券将退回');
        self.setData({ 'form.previewText': money.format(p.amount), 'form.previewNote': notes.join('，') });
      }, function (e) {
        if (seq !== self._previewSeq || !self.data.form) return;
        self.setData({ 'form.previewText': '', 'form.previewNote': (e && e.message) || '暂时无法计算退款金额' });
      });
    },
    onFormClose: function () { this.setData({ form: null }); },
    onQtyMinus: function () {
      if (this.data.form.quantity <= 1) return null;
      this.setData({ 'form.quantity': this.data.form.quantity - 1 });
      return this.preview();
    },
    onQtyPlus: function () {
      if (this.data.form.quantity >= this.data.form.max) return null;
      this.setData({ 'form.quantity': this.data.form.quantity + 1 });
      return this.preview();
    },
    onKind: function (e) {
      var kind = e.currentTarget.dataset.kind;
      if (kind === 'return_refund' && !this.data.form.canReturn) return;
      this.setData({ 'form.kind': kind });
    },
    // ---- 寄回物流 (a return-and-refund request the merchant approved)
    onReturnOpen: function (e) {
      this.setData({ returnForm: { id: Number(e.currentTarget.dataset.id), carrier: '', trackingNo: '', submitting: false } });
    },
    onReturnClose: function () { this.setData({ returnForm: null }); },
    onCarrierInput: function (e) { this.setData({ 'returnForm.carrier': e.detail.value }); },
    onTrackingInput: function (e) { this.setData({ 'returnForm.trackingNo': e.detail.value }); },
    onReturnSubmit: function () {
      var f = this.data.returnForm;
      if (!f || f.submitting) return null;
      var carrier = (f.carrier || '').trim();
      var trackingNo = (f.trackingNo || '').trim();
      if (!carrier || !trackingNo) {
        wx.showToast({ title: !carrier ? '请填写快递公司' : '请填写快递单号', icon: 'none' });
        return null;
      }
      var self = this;
      this.setData({ 'returnForm.submitting': true });
      return api.post('/api/after-sales/' + f.id + '/return', { carrier: carrier, trackingNo: trackingNo }).then(function () {
        self.setData({ returnForm: null });
        wx.showToast({ title: '已提交寄回信息', icon: 'success' });
        return self.load();
      }, function (e) {
        self.setData({ 'returnForm.submitting': false });
        api.showError(e);
      });
    },
    // ---- 评价 (a line of a completed order, once)
    onReviewOpen: function (e) {
      var lineId = e.currentTarget.dataset.id;
      var line = this.data.order.lines.filter(function (l) { return l.lineId === lineId; })[0];
      if (!line || !line.canReview) return;
      this.setData({ reviewForm: { lineId: lineId, title: line.title, rating: 5, text: '', count: 0, submitting: false } });
    },
    onReviewClose: function () { this.setData({ reviewForm: null }); },
    onStar: function (e) {
      var n = Number(e.currentTarget.dataset.rating);
      if (n >= 1 && n <= 5) this.setData({ 'reviewForm.rating': n });
    },
    onReviewInput: function (e) {
      var text = e.detail.value || '';
      this.setData({ 'reviewForm.text': text, 'reviewForm.count': charCount(text.trim()) });
    },
    onReviewSubmit: function () {
      var f = this.data.reviewForm;
      if (!f || f.submitting) return null;
      var text = (f.text || '').trim();
      if (!(f.rating >= 1 && f.rating <= 5)) {
        wx.showToast({ title: '请选择评分', icon: 'none' });
        return null;
      }
      if (charCount(text) > REVIEW_MAX_CHARS) {
        wx.showToast({ title: '评价最多' + REVIEW_MAX_CHARS + '字', icon: 'none' });
        return null;
      }
      var self = this;
      this.setData({ 'reviewForm.submitting': true });
      var url = '/api/orders/' + this._id + '/lines/' + encodeURIComponent(f.lineId) + '/review';
      return api.post(url, { rating: f.rating, text: text }).then(function () {
        self.setData({ reviewForm: null });
        wx.showToast({ title: '评价成功', icon: 'success' });
        return self.load();
      }, function (e) {
        api.showError(e);
        // Already reviewed (or no longer allowed): show the line as the server has it.
        if (e && (e.code === 'ALREADY_REVIEWED' || e.code === 'REVIEW_NOT_ALLOWED')) {
          self.setData({ reviewForm: null });
          return self.load();
        }
        self.setData({ 'reviewForm.submitting': false });
        return null;
      });
    },
    onReason: function (e) { this.setData({ 'form.reason': e.currentTarget.dataset.reason }); },
    onFormSubmit: function () {
      var f = this.data.form;
      if (!f || f.submitting) return null;
      if (!f.reason) {
        wx.showToast({ title: '请选择售后原因', icon: 'none' });
        return null;
      }
      var self = this;
      subscribe.ask('afterSale'); // its result message; never waited on
      this.setData({ 'form.submitting': true });
      return api.post('/api/orders/' + this._id + '/after-sales', {
        kind: f.kind,
        items: [{ lineId: f.lineId, quantity: f.quantity }],
        includeShipping: false,
        reason: f.reason,
      }).then(function (a) {
        self.setData({ form: null });
        // The amount is the server's (the core's refund rule), never computed here.
        wx.showModal({ title: '售后申请已提交', content: '退款金额' + money.format(a.amount) + '，等待商家处理', showCancel: false });
        return self.load();
      }, function (e) {
        self.setData({ 'form.submitting': false });
        api.showError(e);
      });
    },
  },
});
