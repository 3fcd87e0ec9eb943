// 订单详情: status, delivery, lines with what each cost, amounts, actions.
var api = require('../../lib/api.js');
var money = require('../../lib/money.js');
var util = require('../../lib/util.js');
var config = require('../../config.js');

function deliveryText(d) {
  if (!d) return '';
  if (d.kind === 'pickup') return '到店自提：' + ((config.pickupStoreNames && config.pickupStoreNames[d.storeId]) || d.storeId);
  if (d.kind === 'sameCity') return '同城配送';
  return '快递配送';
}

Component({
  data: { order: null, loading: true },
  methods: {
    onLoad: function (q) {
      this._id = Number(q && q.id);
      return this.load();
    },
    load: function () {
      var self = this;
      return api.get('/api/orders/' + this._id).then(function (o) {
        self.render(o);
      }, function (e) {
        self.setData({ loading: false });
        api.showError(e);
      });
    },
    render: function (o) {
      var rows = [{ key: 'goods', label: '商品金额', value: money.format(o.goodsTotal) }];
      if (o.discountTotal) rows.push({ key: 'discount', label: '优惠', value: '-' + money.format(o.discountTotal) });
      rows.push({ key: 'shipping', label: '运费', value: money.format(o.shippingFee) });
      if (o.pointsDeduction) rows.push({ key: 'points', label: '积分抵扣(' + o.pointsUsed + '积分)', value: '-' + money.format(o.pointsDeduction) });
      var times = [['下单时间', o.createdAt], ['付款时间', o.paidAt], ['发货时间', o.shippedAt], ['完成时间', o.completedAt], ['取消时间', o.cancelledAt]]
        .filter(function (t) { return t[1]; })
        .map(function (t) { return { label: t[0], value: util.datetime(t[1]) }; });
      this.setData({
        loading: false,
        order: {
          id: o.id,
          orderNo: o.orderNo,
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
            };
          }),
          rows: rows,
          payableText: money.format(o.payable),
          remark: o.remark,
          times: times,
          canCancel: o.actions.indexOf('cancel') >= 0,
          canConfirm: o.actions.indexOf('confirmReceipt') >= 0,
        },
      });
    },
    act: function (action, text) {
      var self = this;
      return new Promise(function (resolve) {
        wx.showModal({ title: '提示', content: text, success: function (r) { resolve(!!r.confirm); }, fail: function () { resolve(false); } });
      }).then(function (ok) {
        if (!ok) return null;
        return api.post('/api/orders/' + self._id + '/' + action, {}).then(function (o) { self.render(o); }, api.showError);
      });
    },
    onCancel: function () { return this.act('cancel', '确定取消该订单吗？'); },
    onConfirm: function () { return this.act('confirm-receipt', '确认已收到商品？'); },
    onCopy: function () { wx.setClipboardData({ data: this.data.order.orderNo }); },
  },
});
