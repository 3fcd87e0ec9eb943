// 去支付: POST /api/orders/{id}/pay answers the wx.requestPayment parameters
// (signed by the server for the order's stored payable); the client's success
// callback is NOT proof of payment — only the server's order status is (set by
// WeChat Pay's signed notification or the server's own query). So after the
// payment sheet closes with success we poll the order until it is paid.
'use strict';
var api = require('./api.js');

var PENDING = 'pending_payment';

// Polling after wx.requestPayment succeeds: a few tries, short interval.
var poll = { tries: 6, intervalMs: 1000 };

var MESSAGES = {
  paid: '支付成功',
  pending: '支付结果确认中，请稍后刷新',
  cancelled: '已取消支付，请在订单超时前完成付款',
  failed: '支付失败，请稍后重试',
};

function sleep(ms) {
  return new Promise(function (resolve) { setTimeout(resolve, ms); });
}

/** wx.requestPayment with exactly the server's parameters; resolves or rejects {errMsg}. */
function requestPayment(params) {
  return new Promise(function (resolve, reject) {
    wx.requestPayment({
      timeStamp: params.timeStamp,
      nonceStr: params.nonceStr,
      package: params.package,
      signType: params.signType,
      paySign: params.paySign,
      success: function (r) { resolve(r || {}); },
      fail: function (e) { reject(e || { errMsg: 'requestPayment:fail' }); },
    });
  });
}

function isCancel(e) {
  return !!(e && typeof e.errMsg === 'string' && /cancel/i.test(e.errMsg));
}

/** GET the order until it is no longer pending_payment (or the tries run out). */
function waitForServer(orderId) {
  var n = 0;
  function once() {
    n += 1;
    return api.get('/api/orders/' + orderId).then(function (o) {
      if (o.status !== PENDING || n >= poll.tries) return o;
      return sleep(poll.intervalMs).then(once);
    });
  }
  return once();
}

/**
 * Pays an order. Resolves {result, order?, message}:
 *   'paid'      the server says the order is paid (or later: shipped …)
 *   'pending'   the sheet said ok but the server has not confirmed yet
 *   'cancelled' the shopper closed the payment sheet (order stays 待付款)
 *   'failed'    the payment sheet failed (order stays 待付款)
 * Rejects with the ApiError when the server refuses the prepay.
 */
function payOrder(orderId) {
  return api.post('/api/orders/' + orderId + '/pay', {}).then(function (res) {
    // A zero-payable order is settled by the server without WeChat Pay.
    var sheet = res.paid || !res.params ? Promise.resolve({}) : requestPayment(res.params);
    return sheet.then(function () {
      return waitForServer(orderId).then(function (o) {
        if (o.status === PENDING) return { result: 'pending', order: o, message: MESSAGES.pending };
        return { result: 'paid', order: o, message: MESSAGES.paid };
      });
    }, function (e) {
      if (isCancel(e)) return { result: 'cancelled', message: MESSAGES.cancelled };
      return { result: 'failed', message: MESSAGES.failed, errMsg: e && e.errMsg };
    });
  });
}

module.exports = { MESSAGES: MESSAGES, payOrder: payOrder, requestPayment: requestPayment, waitForServer: waitForServer, poll: poll, isCancel: isCancel };
