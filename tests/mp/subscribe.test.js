// 订阅消息 consent on the phone: the login answer names the templates of each
// moment; 去支付, 立即领取 and 消息提醒 call wx.requestSubscribeMessage inside
// the tap with exactly those ids, report the answers to the server (each
// accept one message the shop may send), and never hold up what the tap
// does: a dismissed dialog still pays or claims.
'use strict';
const h = require('./helpers');
const fx = require('./fixtures');
const pay = require('../../miniprogram/lib/pay.js');
const subscribe = require('../../miniprogram/lib/subscribe.js');

h.pageSuite();

const MOMENTS = {
  pay: ['tmpl-paid', 'tmpl-shipped', 'tmpl-group'],
  afterSale: ['tmpl-refund'],
  coupon: ['tmpl-expiring'],
  member: ['tmpl-shipped', 'tmpl-refund', 'tmpl-expiring'],
};
const login = () => ({ token: 'tok-1', expiresAt: Math.floor(Date.now() / 1000) + 86400, userId: 7, subscribe: MOMENTS });
const credits = (results) => ({
  moments: MOMENTS,
  credits: Object.keys(results).map((id) => ({ kind: null, templateId: id, credits: results[id] === 'accept' ? 1 : 0 })),
});

/** wx.requestSubscribeMessage answering `answer` (an object, or 'fail' for a dismissed dialog); logs the order of calls. */
function dialog(answer, order) {
  wx.requestSubscribeMessage = jest.fn((o) => {
    order.push('subscribe');
    setTimeout(() => {
      if (answer === 'fail') o.fail({ errMsg: 'requestSubscribeMessage:fail cancel' });
      else o.success(Object.assign({ errMsg: 'requestSubscribeMessage:ok' }, answer));
    }, 0);
  });
}

beforeEach(() => {
  pay.poll.intervalMs = 0;
  pay.poll.tries = 3;
});
afterEach(() => { delete wx.requestSubscribeMessage; });

function payServer(order) {
  let prepaid = false;
  return h.mockServer({
    'POST /api/auth/login': login,
    'GET /api/orders/{id}': (req) => fx.orderDetail(fx.order(Number(req.params[0]), prepaid ? 'paid' : 'pending_payment')),
    'POST /api/orders/{id}/pay': (req) => { order.push('prepay'); prepaid = true; return fx.prepay(Number(req.params[0]), 38704); },
    'GET /api/after-sales': () => [],
    'POST /api/subscriptions': (req) => { order.push('consent'); return credits(req.data.results); },
  });
}

test('去支付 asks for the pay moment\'s templates in the tap, reports the answers, then opens the payment sheet', async () => {
  const order = [];
  const log = payServer(order);
  dialog({ 'tmpl-paid': 'accept', 'tmpl-shipped': 'reject', 'tmpl-group': 'ban' }, order);
  wx.requestPayment = jest.fn((o) => { order.push('sheet'); o.success({ errMsg: 'requestPayment:ok' }); });
  const page = await h.openPage('pkg-order/detail/index', { id: '7' });
  await h.tap(page, '#pay');
  await h.flush(20);
  expect(wx.requestSubscribeMessage).toHaveBeenCalledTimes(1);
  expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(MOMENTS.pay);
  const sent = log.filter((r) => r.path === '/api/subscriptions');
  expect(sent.map((r) => r.data)).toEqual([{ results: { 'tmpl-paid': 'accept', 'tmpl-shipped': 'reject', 'tmpl-group': 'ban' } }]);
  expect(sent[0].header.Authorization).toBe('Bearer tok-1');
  // the dialog first (the tap's gesture), the sheet only after the answer
  expect(order).toEqual(['subscribe', 'consent', 'prepay', 'sheet']);
  expect(h.text(page, '#status')).toBe('待发货');
});

test('a dismissed dialog reports nothing and the order is still paid', async () => {
  const order = [];
  const log = payServer(order);
  dialog('fail', order);
  wx.requestPayment = jest.fn((o) => { order.push('sheet'); o.success({ errMsg: 'requestPayment:ok' }); });
  const page = await h.openPage('pkg-order/detail/index', { id: '7' });
  await h.tap(page, '#pay');
  await h.flush(20);
  expect(log.some((r) => r.path === '/api/subscriptions')).toBe(false);
  expect(order).toEqual(['subscribe', 'prepay', 'sheet']);
});

test('without templates from the login (an older session) nothing is asked and paying works as before', async () => {
  const order = [];
  h.mockServer({
    'POST /api/auth/login': () => ({ token: 'tok-1', expiresAt: Math.floor(Date.now() / 1000) + 86400, userId: 7 }),
    'GET /api/orders/{id}': (req) => fx.orderDetail(fx.order(Number(req.params[0]), 'pending_payment')),
    'POST /api/orders/{id}/pay': (req) => { order.push('prepay'); return fx.prepay(Number(req.params[0]), 38704); },
    'GET /api/after-sales': () => [],
  });
  dialog({}, order);
  wx.requestPayment = jest.fn((o) => { order.push('sheet'); o.success({ errMsg: 'requestPayment:ok' }); });
  const page = await h.openPage('pkg-order/detail/index', { id: '7' });
  await h.tap(page, '#pay');
  await h.flush(20);
  expect(wx.requestSubscribeMessage).not.toHaveBeenCalled();
  expect(order).toEqual(['prepay', 'sheet']);
  expect(await subscribe.ask('pay')).toBeNull();
});

test('立即领取 asks for the coupon-expiry reminder and claims without waiting for the answer', async () => {
  const order = [];
  const log = h.mockServer({
    'POST /api/auth/login': login,
    'GET /api/coupons': () => [],
    'POST /api/coupons/{id}/claim': () => { order.push('claim'); return { status: 201, body: {} }; },
    'POST /api/subscriptions': (req) => { order.push('consent'); return credits(req.data.results); },
  });
  await require('../../miniprogram/lib/api.js').login();
  dialog({ 'tmpl-expiring': 'accept' }, order);
  const page = await h.openPage('pkg-activity/coupons/index');
  await page.instance.onClaim({ currentTarget: { dataset: { id: 5 } } });
  await h.flush(10);
  expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['tmpl-expiring']);
  expect(order).toEqual(['subscribe', 'claim', 'consent']);
  expect(log.find((r) => r.path === '/api/subscriptions').data).toEqual({ results: { 'tmpl-expiring': 'accept' } });
});

test('我的 → 消息提醒: accepted says 已开启; all declined says so and keeps the hint', async () => {
  const member = () => ({
    userId: 7, nickname: '小明', avatar: '', phone: '', points: 0, pointsDebt: 0,
    member: { growth: 0, level: null, next: null }, coupons: { available: 0, used: 0, expired: 0 },
  });
  h.mockServer({
    'POST /api/auth/login': login,
    'GET /api/member': member,
    'GET /api/member/coupons': () => [],
    'POST /api/subscriptions': (req) => credits(req.data.results),
  });
  await require('../../miniprogram/lib/api.js').login();
  const page = await h.openPage('pages/member/index');
  expect(h.text(page, '#subscribe-state')).toBe('发货、退款、优惠券到期 ›');

  dialog({ 'tmpl-shipped': 'reject', 'tmpl-refund': 'reject', 'tmpl-expiring': 'reject' }, []);
  await h.tap(page, '#subscribe');
  await h.flush(10);
  expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(MOMENTS.member);
  expect(h.lastToast()).toBe('未开启提醒');
  expect(h.text(page, '#subscribe-state')).toBe('发货、退款、优惠券到期 ›');

  dialog({ 'tmpl-shipped': 'accept', 'tmpl-refund': 'reject', 'tmpl-expiring': 'accept' }, []);
  await h.tap(page, '#subscribe');
  await h.flush(10);
  expect(h.lastToast()).toBe('已开启提醒');
  expect(h.text(page, '#subscribe-state')).toBe('已开启 ›');
});

test('ask reports whether a credit is held for the templates asked; 消息提醒 reads the templates once a tap', async () => {
  const api = require('../../miniprogram/lib/api.js');
  h.mockServer({
    'POST /api/auth/login': login,
    'GET /api/member': () => ({
      userId: 7, nickname: '小明', avatar: '', phone: '', points: 0, pointsDebt: 0,
      member: { growth: 0, level: null, next: null }, coupons: { available: 0, used: 0, expired: 0 },
    }),
    'GET /api/member/coupons': () => [],
    'POST /api/subscriptions': (req) => credits(req.data.results),
  });
  await api.login();
  dialog({ 'tmpl-refund': 'accept' }, []);
  expect((await subscribe.ask('afterSale')).accepted).toBe(true);
  dialog({ 'tmpl-expiring': 'reject' }, []);
  expect((await subscribe.ask('coupon')).accepted).toBe(false);

  const page = await h.openPage('pages/member/index');
  const read = jest.spyOn(api, 'subscribeTemplates');
  dialog({ 'tmpl-shipped': 'accept', 'tmpl-refund': 'reject', 'tmpl-expiring': 'reject' }, []);
  await h.tap(page, '#subscribe');
  await h.flush(10);
  expect(read).toHaveBeenCalledTimes(1);
  expect(h.lastToast()).toBe('已开启提醒');
  read.mockRestore();
});
