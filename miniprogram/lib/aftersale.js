// 售后 display helpers: labels of the server's after-sales kinds and statuses
// (server/src/aftersale.rs) and what is left to ask for on each line.
'use strict';
var money = require('./money.js');

var KIND = { refund_only: '仅退款', return_refund: '退货退款' };
var STATUS = {
  requested: '待商家处理',
  awaiting_return: '待寄回商品',
  returned: '商品已寄回',
  refunding: '退款中',
  refunded: '退款成功',
  refund_abnormal: '退款异常',
  refund_closed: '退款关闭',
  rejected: '已拒绝',
};
// Order statuses that take after-sales requests.
var ALLOWED = ['paid', 'shipped', 'completed'];
var REASONS = ['不想要了', '商品质量问题', '商品与描述不符', '少件/漏发', '收到商品破损', '其他'];

/** lineId → units no request holds (every request but a rejected one holds its units). */
function available(lines, requests) {
  var left = {};
  lines.forEach(function (l) { left[l.lineId] = l.quantity; });
  requests.forEach(function (a) {
    if (a.status === 'rejected') return;
    a.items.forEach(function (i) { if (left[i.lineId] !== undefined) left[i.lineId] -= i.quantity; });
  });
  Object.keys(left).forEach(function (k) { if (left[k] < 0) left[k] = 0; });
  return left;
}

function view(a, titles) {
  return {
    id: a.id,
    orderId: a.orderId,
    kindText: KIND[a.kind] || a.kind,
    status: a.status,
    statusText: STATUS[a.status] || a.status,
    amountText: money.format(a.amount),
    itemsText: a.items.map(function (i) { return ((titles && titles[i.lineId]) || '商品') + ' ×' + i.quantity; }).join('，'),
    reason: a.reason || '',
    rejectReason: a.rejectReason || '',
    // the goods go back: the shopper enters the carrier and tracking number
    canSendBack: a.kind === 'return_refund' && a.status === 'awaiting_return',
    returnText: a.returnCarrier ? a.returnCarrier + ' ' + (a.returnTrackingNo || '') : '',
  };
}

module.exports = { KIND: KIND, STATUS: STATUS, ALLOWED: ALLOWED, REASONS: REASONS, available: available, view: view };
