// 去支付 on 订单详情 and in 我的订单: the server's prepay parameters go to
// wx.requestPayment unchanged; only the server's order status says "paid"
// (polled after the sheet closes), never the sheet's callback.
'use strict';
const h = require('./helpers');
const fx = require('./fixtures');
const pay = require('../../miniprogram/lib/pay.js');

const PAYABLE = 38704;

beforeEach(() => {
  h.resetSession();
  pay.poll.intervalMs = 0;
  pay.poll.tries = 6;
  wx.navigateTo = jest.fn();
  wx.showToast = jest.fn();
  wx.showModal = jest.fn((o) => o.success({ confirm: true }));
});

/** A server whose order 7 is unpaid until `paidAfter` more GETs have been answered after the prepay. */
function server({ paidAfter = 1, prepay, afterSales = [] } = {}) {
  const state = { prepaid: false, gets: 0 };
  const log = h.mockServer({
    'GET /api/orders/{id}': (req) => {
      const id = Number(req.params[0]);
      if (state.prepaid && paidAfter !== Infinity) {
        state.gets += 1;
        if (state.gets > paidAfter) return fx.orderDetail(fx.order(id, 'paid'));
      }
      return fx.orderDetail(fx.order(id, 'pending_payment'));
    },
    'POST /api/orders/{id}/pay': (req) => {
      state.prepaid = true;
      return prepay ? prepay(req) : fx.prepay(Number(req.params[0]), PAYABLE);
    },
    'GET /api/after-sales': () => afterSales,
  });
  return { log, state };
}

function sheetArgs() {
  const a = wx.requestPayment.mock.calls[0][0];
  return { timeStamp: a.timeStamp, nonceStr: a.nonceStr, package: a.package, signType: a.signType, paySign: a.paySign };
}

test('detail: 去支付 → prepay → wx.requestPayment with exactly its parameters → polled until the server says paid', async () => {
  const { log } = server({ paidAfter: 2 });
  wx.requestPayment = jest.fn((o) => o.success({ errMsg: 'requestPayment:ok' }));
  const page = await h.openPage('pkg-order/detail/index', { id: '7' });
  expect(h.text(page, '#status')).toBe('待付款');
  expect(h.text(page, '#pay')).toBe('去支付');

  await h.tap(page, '#pay');
  await h.flush(20);
  const post = log.filter((r) => r.method === 'POST' && r.path === '/api/orders/7/pay');
  expect(post.length).toBe(1);
  const p = fx.prepay(7, PAYABLE).params;
  expect(sheetArgs()).toEqual({ timeStamp: p.timeStamp, nonceStr: p.nonceStr, package: p.package, signType: 'RSA', paySign: p.paySign });
  // the order was asked for again until the server said paid (2 pending answers, then paid)
  const gets = log.filter((r) => r.method === 'GET' && r.path === '/api/orders/7');
  expect(gets.length).toBe(1 + 3);
  expect(h.text(page, '#status')).toBe('待发货');
  expect(h.text(page, '#paid-amount')).toBe('¥387.04');
  expect(page.querySelector('#pay')).toBeFalsy();
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '支付成功' }));
});

test('detail: the sheet closed (requestPayment:fail cancel) → stays 待付款 with a message, no polling', async () => {
  const { log } = server();
  wx.requestPayment = jest.fn((o) => o.fail({ errMsg: 'requestPayment:fail cancel' }));
  const page = await h.openPage('pkg-order/detail/index', { id: '7' });
  const before = log.length;
  await h.tap(page, '#pay');
  await h.flush(20);
  expect(wx.requestPayment).toHaveBeenCalledTimes(1);
  expect(h.text(page, '#status')).toBe('待付款');
  expect(h.text(page, '#pay')).toBe('去支付');
  expect(h.text(page, '#pay-message')).toBe('已取消支付，请在订单超时前完成付款');
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '已取消支付，请在订单超时前完成付款' }));
  // prepay + one reload of the order, nothing else
  expect(log.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/orders/7/pay', 'GET /api/orders/7']);
});

test('detail: a server error on prepay shows its message and never opens the payment sheet', async () => {
  server({ prepay: () => ({ status: 500, body: { code: 'INTERNAL', message: '系统繁忙，请稍后重试', details: {} } }) });
  wx.requestPayment = jest.fn();
  const page = await h.openPage('pkg-order/detail/index', { id: '7' });
  await h.tap(page, '#pay');
  await h.flush(20);
  expect(wx.requestPayment).not.toHaveBeenCalled();
  expect(wx.showToast).toHaveBeenLastCalledWith(expect.objectContaining({ title: '系统繁忙，请稍后重试' }));
  expect(h.text(page, '#status')).toBe('待付款');
  expect(h.text(page, '#pay')).toBe('去支付');
});

test('detail: the sheet says ok but the server never confirms → not shown as paid', async () => {
  const { log } = server({ paidAfter: Infinity });
  wx.requestPayment = jest.fn((o) => o.success({ errMsg: 'requestPayment:ok' }));
  const page = await h.openPage('pkg-order/detail/index', { id: '7' });
  await h.tap(page, '#pay');
  await h.flush(30);
  expect(log.filter((r) => r.method === 'GET' && r.path === '/api/orders/7').length).toBe(1 + pay.poll.tries);
  expect(h.text(page, '#status')).toBe('待付款');
  expect(h.text(page, '#pay-message')).toBe('支付结果确认中，请稍后刷新');
  expect(wx.showToast).not.toHaveBeenCalledWith(expect.objectContaining({ title: '支付成功' }));
});

test('detail: opened from checkout after a cancelled payment says so', async () => {
  server();
  const page = await h.openPage('pkg-order/detail/index', { id: '7', pay: 'cancelled' });
  expect(h.text(page, '#status')).toBe('待付款');
  expect(h.text(page, '#pay-message')).toBe('已取消支付，请在订单超时前完成付款');
});

test('orders list: 待付款 items have 去支付; paid → the list is reloaded from the server', async () => {
  let paid = false;
  const log = h.mockServer({
    'GET /api/orders': (req) => {
      const items = req.query.tab === 'unpaid' && !paid ? [fx.order(3, 'pending_payment')] : [];
      return { items, page: 1, pageSize: 10, total: items.length, hasMore: false };
    },
    'POST /api/orders/{id}/pay': (req) => fx.prepay(Number(req.params[0]), PAYABLE),
    'GET /api/orders/{id}': (req) => fx.orderDetail(fx.order(Number(req.params[0]), paid ? 'paid' : 'pending_payment')),
  });
  wx.requestPayment = jest.fn((o) => { paid = true; o.success({ errMsg: 'requestPayment:ok' }); });
  const page = await h.openPage('pkg-order/orders/index', { tab: 'unpaid' });
  expect(h.text(page, '#pay-3')).toBe('去支付');
  await h.tap(page, '#pay-3');
  await h.flush(20);
  expect(log.some((r) => r.method === 'POST' && r.path === '/api/orders/3/pay')).toBe(true);
  expect(wx.requestPayment.mock.calls[0][0].package).toBe(fx.prepay(3, PAYABLE).params.package);
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '支付成功' }));
  expect(h.text(page, '#empty')).toBe('暂无订单');
});

test('orders list: a cancelled payment keeps the order under 待付款 with the message', async () => {
  h.mockServer({
    'GET /api/orders': () => ({ items: [fx.order(3, 'pending_payment')], page: 1, pageSize: 10, total: 1, hasMore: false }),
    'POST /api/orders/{id}/pay': (req) => fx.prepay(Number(req.params[0]), PAYABLE),
  });
  wx.requestPayment = jest.fn((o) => o.fail({ errMsg: 'requestPayment:fail cancel' }));
  const page = await h.openPage('pkg-order/orders/index', { tab: 'unpaid' });
  await h.tap(page, '#pay-3');
  await h.flush(20);
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '已取消支付，请在订单超时前完成付款' }));
  expect(h.text(page, '#order-3')).toContain('待付款');
  expect(h.text(page, '#pay-3')).toBe('去支付');
});
