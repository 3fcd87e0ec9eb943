// End to end: the mini-program's own pages against the REAL server binary
// (fresh SQLite data dir, demo shop, fake WeChat API), wx.request bridged to
// real HTTP, wx.login answering the demo shopper's code, and the real wasm
// rules core on the "phone". The shopper adds products from the product page,
// edits the cart, checks out and submits; at every step the total the page
// shows (priced by the wasm) must be the server's own quote, and the order the
// server writes must charge exactly what the checkout page showed. Then the
// page pays (wx.requestPayment stubbed as the phone; the fake WeChat Pay marks
// the prepay paid and sends its signed notification, as the server's own tests
// do), asks for a partial refund, the merchant approves it through the API, and
// the refunded amount the page shows must be the server's.
//
// Needs the server binary: MALL_SERVER_BIN, default target/debug/mall-server
// (`cargo build -p mall-server`). Missing → the suite fails, it never skips.
// Run with `npm run test:e2e`.
'use strict';
const fs = require('fs');
const path = require('path');
const h = require('./helpers');
const e2e = require('./e2e-server');
const money = require('../../miniprogram/lib/money.js');
const config = require('../../miniprogram/config.js');
const store = require('../../miniprogram/lib/store.js');
const pay = require('../../miniprogram/lib/pay.js');

jest.setTimeout(60000);

let server; // the running mall-server
let shopper; // the test's own client, signed in as the same demo shopper
let bridge; // wx.request → HTTP
let core; // the loader module the pages price with
let quoteSpy;
const products = {};

beforeAll(async () => {
  server = await e2e.startServer(); // throws (fails the suite) when the binary is missing
  config.baseURL = server.base;
  shopper = e2e.client(server.base);
  await shopper.login('demo');
  const list = await shopper.get('/api/products?page=1&pageSize=50');
  for (const p of list.items) products[p.title] = p;

  h.installWasm();
  core = await h.rules();
  quoteSpy = jest.spyOn(core, 'quote');
});

afterAll(async () => {
  if (server) await server.stop();
});

beforeEach(() => {
  h.resetSession();
  store.buyNow = null;
  bridge = e2e.bridgeWxRequest(wx);
  wx.login = jest.fn((o) => { if (o.success) o.success({ code: 'demo', errMsg: 'login:ok' }); });
  wx.showToast = jest.fn();
  wx.showModal = jest.fn((o) => o.success && o.success({ confirm: true, cancel: false }));
  wx.navigateTo = jest.fn();
  wx.redirectTo = jest.fn();
  wx.switchTab = jest.fn();
  // The payment sheet, closed by the shopper unless a test says otherwise.
  wx.requestPayment = jest.fn((o) => o.fail && o.fail({ errMsg: 'requestPayment:fail cancel' }));
  pay.poll.intervalMs = 200;
});

/** Waits until cond() holds (the page's work may wait on timers and on the fake WeChat Pay). */
async function until(cond, what, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await bridge.idle();
}

/**
 * The phone's payment sheet, paying for real at the fake WeChat Pay: the
 * prepay is marked paid there and its signed TRANSACTION.SUCCESS notification
 * is sent to the server (POST /fake/pay/confirm, standing in for WeChat's
 * servers), then the sheet reports success. Records each exchange.
 */
function payingSheet() {
  const calls = [];
  wx.requestPayment = jest.fn((o) => {
    const prepayId = String(o.package).replace(/^prepay_id=/, '');
    const call = { params: o, prepayId };
    calls.push(call);
    e2e.httpJson(server.fakeWeChat(), 'POST', '/fake/pay/confirm', { body: { prepayId } }).then((r) => {
      call.confirm = r;
      if (r.status === 200) o.success({ errMsg: 'requestPayment:ok' });
      else o.fail({ errMsg: `requestPayment:fail ${r.status}` });
    }, (e) => o.fail({ errMsg: `requestPayment:fail ${e.message}` }));
  });
  return calls;
}

function merchant(method, p, body) {
  return shopper.call(method, p, body, { 'x-merchant-token': server.secrets().merchantToken });
}

/** Opens a page and waits until every request it started has been answered. */
async function open(rel, query) {
  const page = await h.openPage(rel, query);
  await bridge.idle();
  return page;
}

async function tap(page, selector) {
  await h.tap(page, selector);
  await bridge.idle();
}

function productId(title) {
  const p = products[title];
  if (!p) throw new Error(`demo product ${title} not found in ${Object.keys(products).join(', ')}`);
  return p.id;
}

/** The last quote the page's wasm core returned must be what the page shows. */
function lastWasmQuote() {
  const results = quoteSpy.mock.results.filter((r) => r.type === 'return');
  expect(results.length).toBeGreaterThan(0);
  return results[results.length - 1].value;
}

/** The cart page's total equals the server's cart quote (GET /api/cart and POST /api/checkout/quote). */
async function expectCartMatchesServer(page) {
  const pageQuote = page.instance._quote;
  expect(pageQuote).toBeTruthy();
  expect(h.text(page, '#total')).toBe(money.format(pageQuote.payable));
  expect(lastWasmQuote()).toEqual(pageQuote);
  const cart = await shopper.get('/api/cart');
  expect(h.text(page, '#total')).toBe(money.format(cart.quote.payable));
  expect(pageQuote.fingerprint).toBe(cart.quote.fingerprint);
  expect(pageQuote.payable).toBe(cart.quote.payable);
  const q = await shopper.post('/api/checkout/quote', { coupons: { kind: 'best' }, points: { kind: 'none' } });
  expect(q.fingerprint).toBe(pageQuote.fingerprint);
  // the selected count the page shows is the server's priced units
  expect(h.text(page, '#checkout')).toBe(`结算(${cart.quote.lines.reduce((n, l) => n + l.quantity, 0)})`);
  return cart;
}

test('the server binary is there and answers (fresh data dir, demo shop seeded)', async () => {
  expect(fs.existsSync(process.env.MALL_SERVER_BIN || e2e.DEFAULT_BIN)).toBe(true);
  expect(path.basename(server.dataDir)).toMatch(/^mall-e2e-/);
  expect(Object.keys(products).length).toBeGreaterThanOrEqual(5);
  const cart = await shopper.get('/api/cart');
  expect(cart.items).toEqual([]);
});

test('product → cart → checkout → order: every total the pages show is the server\'s', async () => {
  // ---- product pages: choose specs and 加入购物车 (the page logs in with wx.login → code demo)
  const tee = await open('pages/product/index', { id: productId('纯棉圆领短袖T恤') });
  expect(h.text(tee, '.title')).toBe('纯棉圆领短袖T恤');
  // the seeded reviews' summary, as the server computed it (5 and 4 stars)
  expect(h.text(tee, '#good-rate')).toBe('好评率 100%');
  expect(h.texts(tee, '.review .nick')).toEqual(['小***儿', '阿***']);
  const teeReviews = await shopper.get(`/api/products/${productId('纯棉圆领短袖T恤')}/reviews`);
  expect(teeReviews.total).toBe(2);
  expect(h.texts(tee, '.review .review-text')).toEqual(teeReviews.items.map((r) => r.text));
  await tap(tee, '#sku-cell'); // 已选 → the SKU sheet
  await tap(tee, '#spec-0-0'); // 白色
  await tap(tee, '#spec-1-1'); // L
  expect(h.text(tee, '#chosen')).toContain('白色 / L');
  await tap(tee, '#sheet-confirm'); // 确定 → 加入购物车
  expect(wx.showToast).toHaveBeenLastCalledWith(expect.objectContaining({ title: '已加入购物车' }));
  expect(wx.login).toHaveBeenCalled();
  const login = bridge.log.find((r) => r.path === '/api/auth/login');
  expect(login.data).toEqual({ code: 'demo' });
  expect(login.status).toBe(200);

  const buds = await open('pages/product/index', { id: productId('降噪真无线蓝牙耳机') });
  await tap(buds, '#sku-cell');
  await tap(buds, '#spec-0-0'); // 月光白: the running flash sale
  expect(h.text(buds, '#activity')).toContain('耳机限时秒杀');
  expect(h.text(buds, '#price')).toBe('¥299.00');
  // a running flash sale is bought now, never through the cart: no request made
  const addsBefore = bridge.log.filter((r) => r.path === '/api/cart/items').length;
  await tap(buds, '#add-to-cart');
  expect(wx.showToast).toHaveBeenLastCalledWith(expect.objectContaining({ title: '秒杀商品请直接抢购' }));
  expect(bridge.log.filter((r) => r.path === '/api/cart/items').length).toBe(addsBefore);
  // the server refuses it too, with the code the page would show
  const refused = await shopper.post('/api/cart/items', { skuId: buds.data.sku.id, quantity: 1, activityId: 'flash-earbuds' }).catch((e) => e);
  expect(refused.status).toBe(422);
  expect(refused.body.code).toBe('FLASH_BUY_NOW_ONLY');
  await tap(buds, '#spec-0-1'); // 深空黑: no sale, list price, into the cart
  expect(h.text(buds, '#price')).toBe('¥399.00');
  await tap(buds, '#add-to-cart');

  const nuts = await open('pages/product/index', { id: productId('每日坚果礼盒') });
  await tap(nuts, '#sku-cell');
  await tap(nuts, '#spec-0-0'); // 750g
  await tap(nuts, '#add-to-cart');

  const adds = bridge.log.filter((r) => r.method === 'POST' && r.path === '/api/cart/items');
  // the product page asks for no cart in the answer (Prefer: return=minimal)
  expect(adds.map((r) => r.status)).toEqual([204, 204, 204]);
  expect(adds[1].data.activityId).toBeNull();
  let serverCart = await shopper.get('/api/cart');
  expect(serverCart.items.map((i) => i.title)).toEqual(expect.arrayContaining(['纯棉圆领短袖T恤', '降噪真无线蓝牙耳机', '每日坚果礼盒']));
  const line = (title) => serverCart.items.find((i) => i.title === title).id;
  const teeLine = line('纯棉圆领短袖T恤');
  const budsLine = line('降噪真无线蓝牙耳机');
  const nutsLine = line('每日坚果礼盒');

  // ---- cart page: priced by the wasm core, equal to the server's quote
  quoteSpy.mockClear();
  const cart = await open('pages/cart/index');
  expect(quoteSpy).toHaveBeenCalled();
  serverCart = await expectCartMatchesServer(cart);
  expect(serverCart.quote.payable).toBeGreaterThan(0);
  // member price on the T-shirt from the core; the earbuds at list price
  expect(h.text(cart, `#line-${teeLine}`)).toContain('会员价');
  expect(h.text(cart, `#line-${budsLine}`)).not.toContain('秒杀价');
  expect(h.text(cart, `#line-${budsLine}`)).toContain('¥399.00');

  // quantity +1 on the T-shirt: re-quoted on the phone, saved, still the server's total
  const before = h.text(cart, '#total');
  await tap(cart, `#plus-${teeLine}`);
  expect(h.text(cart, `#qty-${teeLine}`)).toBe('2');
  expect(h.text(cart, '#total')).not.toBe(before);
  serverCart = await expectCartMatchesServer(cart);
  expect(serverCart.items.find((i) => i.id === teeLine).quantity).toBe(2);

  // and the nuts ×2, then back to ×1
  await tap(cart, `#plus-${nutsLine}`);
  await expectCartMatchesServer(cart);
  await tap(cart, `#minus-${nutsLine}`);
  await expectCartMatchesServer(cart);

  // deselect the earbuds: total follows, the server agrees
  const withBuds = h.text(cart, '#total');
  await tap(cart, `#check-${budsLine}`);
  expect(h.text(cart, '#total')).not.toBe(withBuds);
  serverCart = await expectCartMatchesServer(cart);
  expect(serverCart.items.find((i) => i.id === budsLine).selected).toBe(false);

  // 全选 puts it back
  await tap(cart, '#select-all');
  serverCart = await expectCartMatchesServer(cart);
  expect(serverCart.items.every((i) => i.selected)).toBe(true);
  expect(h.text(cart, '#total')).toBe(withBuds);

  // a freshly opened cart page shows the same
  const again = await open('pages/cart/index');
  expect(h.text(again, '#total')).toBe(h.text(cart, '#total'));

  // the page's own requests never failed
  expect(bridge.log.filter((r) => r.error || r.status >= 400)).toEqual([]);

  // ---- 结算 → checkout page, with a default address added through the API
  await tap(cart, '#checkout');
  expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pkg-order/checkout/index' });
  const address = await shopper.post('/api/addresses', {
    name: '张三', phone: '13800138000', regionCode: '310115', province: '上海市', city: '上海市',
    district: '浦东新区', detail: '世纪大道100号', isDefault: true,
  });
  quoteSpy.mockClear();
  const co = await open('pkg-order/checkout/index');
  expect(h.text(co, '#address')).toContain('张三 13800138000');
  let coQuote = co.instance._quote;
  expect(coQuote).toBeTruthy();
  expect(lastWasmQuote().fingerprint).toBeDefined();
  expect(h.text(co, '#total')).toBe(money.format(coQuote.payable));
  expect(co.instance.body()).toEqual({ coupons: { kind: 'best' }, points: { kind: 'none' }, addressId: address.id });
  // the server's quote for the same checkout: same fingerprint, same payable
  let serverQ = await shopper.post('/api/checkout/quote', co.instance.body());
  expect(coQuote.fingerprint).toBe(serverQ.fingerprint);
  expect(coQuote.payable).toBe(serverQ.payable);
  const inputAnswer = bridge.log.filter((r) => r.path === '/api/checkout/input').pop().response;
  expect(inputAnswer.quote.fingerprint).toBe(coQuote.fingerprint); // {input, quote}: the server's quote of that input
  expect(coQuote.shipping).toBeTruthy();
  expect(h.texts(co, '.line').length).toBe(3);

  // use points: re-quoted on the phone, the server quotes the same
  const noPoints = h.text(co, '#total');
  await tap(co, '#points-cell');
  coQuote = co.instance._quote;
  expect(co.instance.body().points).toEqual({ kind: 'max' });
  expect(coQuote.points.deduction).toBeGreaterThan(0);
  expect(h.text(co, '#total')).not.toBe(noPoints);
  expect(h.text(co, '#total')).toBe(money.format(coQuote.payable));
  serverQ = await shopper.post('/api/checkout/quote', co.instance.body());
  expect(coQuote.fingerprint).toBe(serverQ.fingerprint);
  expect(coQuote.payable).toBe(serverQ.payable);

  // ---- submit: the server places the order for exactly the shown total, and
  // the page goes straight to payment
  const shown = h.text(co, '#total');
  const shownQuote = co.instance._quote;
  const sheet = payingSheet();
  await tap(co, '#submit');
  await until(() => wx.redirectTo.mock.calls.length > 0, 'the order page after payment');
  const post = bridge.log.filter((r) => r.method === 'POST' && r.path === '/api/orders').pop();
  expect(post.status).toBe(201);
  expect(post.data.fingerprint).toBe(shownQuote.fingerprint);
  const orderId = post.response.id;
  expect(post.response.status).toBe('pending_payment');
  expect(post.response.payable).toBe(shownQuote.payable);
  expect(wx.showModal).not.toHaveBeenCalled(); // no PRICE_CHANGED round

  // prepay by the page; the sheet got exactly the server's parameters
  const prepay = bridge.log.filter((r) => r.method === 'POST' && r.path === `/api/orders/${orderId}/pay`);
  expect(prepay.map((r) => r.status)).toEqual([200]);
  expect(prepay[0].response.amount).toBe(shownQuote.payable);
  expect(sheet.length).toBe(1);
  const p = prepay[0].response.params;
  const sent = sheet[0].params;
  expect({ timeStamp: sent.timeStamp, nonceStr: sent.nonceStr, package: sent.package, signType: sent.signType, paySign: sent.paySign })
    .toEqual({ timeStamp: p.timeStamp, nonceStr: p.nonceStr, package: p.package, signType: p.signType, paySign: p.paySign });
  // the fake WeChat Pay notified the server, which accepted it (204)
  expect(sheet[0].confirm.status).toBe(200);
  expect(sheet[0].confirm.body.notifyStatus).toBe(204);
  // the page asked the server (not the sheet) whether it is paid
  expect(bridge.log.some((r) => r.method === 'GET' && r.path === `/api/orders/${orderId}` && r.response.status === 'paid')).toBe(true);
  expect(wx.redirectTo).toHaveBeenLastCalledWith({ url: `/pkg-order/detail/index?id=${orderId}` });
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '支付成功' }));

  const order = await shopper.get(`/api/orders/${orderId}`);
  expect(order.status).toBe('paid');
  expect(order.paidAmount).toBe(shownQuote.payable); // charged exactly what the checkout page showed
  expect(money.format(order.paidAmount)).toBe(shown);
  expect(money.format(order.payable)).toBe(shown);
  expect(order.quote.fingerprint).toBe(shownQuote.fingerprint);
  expect(order.pointsDeduction).toBe(shownQuote.points.deduction);
  expect(order.actions).toEqual([]);
  expect(order.lines.length).toBe(3);
  // the ordered lines left the cart
  expect((await shopper.get('/api/cart')).items).toEqual([]);

  // ---- 订单详情 shows the same amounts, paid
  const detail = await open('pkg-order/detail/index', { id: orderId });
  expect(h.text(detail, '#payable')).toBe(shown);
  expect(h.text(detail, '#paid-amount')).toBe(shown);
  expect(h.text(detail, '#status')).toBe(order.statusLabel);
  expect(order.statusLabel).toBe('待发货');
  expect(detail.querySelector('#pay')).toBeFalsy();
  expect(detail.querySelector('#refunded')).toBeFalsy();

  // ---- partial refund through the page: one of the two T-shirts, refund only
  const teeOrdered = order.lines.find((l) => l.title === '纯棉圆领短袖T恤');
  expect(teeOrdered.quantity).toBe(2);
  await tap(detail, `#aftersale-${teeOrdered.lineId}`);
  expect(h.text(detail, '#form-qty')).toBe('2');
  expect(detail.querySelector('#kind-return_refund')).toBeFalsy(); // not shipped: refund only
  await tap(detail, '#qty-minus');
  // the form shows the server's preview of this refund before submitting
  await until(() => /^¥/.test(h.text(detail, '#form-preview')), 'the refund preview');
  const previewText = h.text(detail, '#form-preview');
  const previewPost = bridge.log.filter((r) => r.path === `/api/orders/${orderId}/after-sales/preview`).pop();
  expect(previewPost.data.items).toEqual([{ lineId: teeOrdered.lineId, quantity: 1 }]);
  expect(previewText).toBe(money.format(previewPost.response.amount));
  await tap(detail, '#reason-0');
  wx.showModal = jest.fn((o) => o.success && o.success({ confirm: true }));
  await tap(detail, '#form-submit');
  const asPost = bridge.log.filter((r) => r.method === 'POST' && r.path === `/api/orders/${orderId}/after-sales`).pop();
  expect(asPost.status).toBe(201);
  expect(asPost.data).toEqual({ kind: 'refund_only', items: [{ lineId: teeOrdered.lineId, quantity: 1 }], includeShipping: false, reason: '不想要了' });
  const request = asPost.response;
  expect(request.amount).toBeGreaterThan(0);
  expect(request.amount).toBeLessThan(order.paidAmount);
  expect(wx.showModal).toHaveBeenCalledWith(expect.objectContaining({ content: expect.stringContaining(money.format(request.amount)) }));
  expect(h.text(detail, `#as-status-${request.id}`)).toBe('待商家处理');
  expect(h.text(detail, `#as-amount-${request.id}`)).toBe(money.format(request.amount));
  const mine = await shopper.get('/api/after-sales');
  expect(mine.find((a) => a.id === request.id).amount).toBe(request.amount);

  // ---- the merchant approves (X-Merchant-Token from the data dir's secrets)
  const approved = await merchant('POST', `/api/merchant/after-sales/${request.id}/approve`, {});
  expect(['refunding', 'refunded']).toContain(approved.status);
  expect(approved.amount).toBe(request.amount);
  expect(money.format(approved.amount)).toBe(previewText); // what the form showed before submitting
  const after = await shopper.get(`/api/orders/${orderId}`);
  expect(after.refundedAmount).toBe(approved.amount);
  expect(after.status).toBe('paid'); // a partial refund leaves the order's status alone

  const reopened = await open('pkg-order/detail/index', { id: orderId });
  expect(h.text(reopened, '#refunded')).toBe(money.format(after.refundedAmount));
  expect(h.text(reopened, `#as-amount-${request.id}`)).toBe(money.format(approved.amount));
  // The refund may succeed at the fake WeChat Pay between the approval and
  // the page's load: the page shows the status it read from the server.
  const read = bridge.log.filter((r) => r.method === 'GET' && r.path === '/api/after-sales').pop();
  const readStatus = read.response.find((a) => a.id === request.id).status;
  expect(['refunding', 'refunded']).toContain(readStatus);
  expect(h.text(reopened, `#as-status-${request.id}`)).toBe(readStatus === 'refunded' ? '退款成功' : '退款中');
  // one T-shirt is left to ask for
  await tap(reopened, `#aftersale-${teeOrdered.lineId}`);
  expect(h.text(reopened, '#form-qty')).toBe('1');

  // ---- 我的订单 → 售后 lists it with the server's status and amount
  const list = await open('pkg-order/orders/index', { tab: 'afterSale' });
  // The refund may complete at the fake WeChat Pay at any moment, even after
  // the page read it (CI saw 退款中 shown, 退款成功 a moment later): the page
  // shows the status it read.
  const listed = bridge.log.filter((r) => r.method === 'GET' && r.path === '/api/after-sales').pop();
  const listedStatus = listed.response.find((a) => a.id === request.id).status;
  expect(['refunding', 'refunded']).toContain(listedStatus);
  expect(h.text(list, `#as-status-${request.id}`)).toBe({ refunding: '退款中', refunded: '退款成功' }[listedStatus]);
  expect(h.text(list, `#as-amount-${request.id}`)).toBe(money.format(approved.amount));

  expect(bridge.log.filter((r) => r.error || r.status >= 400)).toEqual([]);
});

async function ensureAddress() {
  const list = await shopper.get('/api/addresses');
  if (list.length) return list.find((a) => a.isDefault) || list[0];
  return shopper.post('/api/addresses', {
    name: '张三', phone: '13800138000', regionCode: '310115', province: '上海市', city: '上海市',
    district: '浦东新区', detail: '世纪大道100号', isDefault: true,
  });
}

async function addFromProductPage(title) {
  const p = await open('pages/product/index', { id: productId(title) });
  await tap(p, '#sku-cell');
  await tap(p, '#spec-0-0');
  await tap(p, '#add-to-cart');
  expect(bridge.log.filter((r) => r.path === '/api/cart/items').pop().status).toBe(204);
}

test('PRICE_CHANGED from the real server: a coupon used elsewhere → the page shows the server\'s new total, resubmits once confirmed', async () => {
  const address = await ensureAddress();
  await addFromProductPage('明前龙井绿茶'); // 100g
  const co = await open('pkg-order/checkout/index');
  const pageQuote = co.instance._quote;
  expect(pageQuote.fingerprint).toBe((await shopper.post('/api/checkout/quote', co.instance.body())).fingerprint);
  expect(pageQuote.coupons.applied.length).toBeGreaterThan(0);
  const shownBefore = h.text(co, '#total');

  // Meanwhile the same shopper spends one of those coupons on a buy-now order.
  const used = pageQuote.coupons.applied[0].couponId;
  const skuId = (await shopper.get('/api/cart')).items[0].skuId;
  const other = { items: [{ skuId, quantity: 1 }], coupons: { kind: 'manual', couponIds: [used] }, points: { kind: 'none' }, addressId: address.id };
  const otherQ = await shopper.post('/api/checkout/quote', other);
  await shopper.post('/api/orders', Object.assign({ fingerprint: otherQ.fingerprint, idempotencyKey: `e2e-${Date.now()}` }, other));

  let modal;
  wx.showModal = jest.fn((o) => { modal = o; o.success({ confirm: true, cancel: false }); });
  await tap(co, '#submit');
  const posts = bridge.log.filter((r) => r.method === 'POST' && r.path === '/api/orders');
  expect(posts.length).toBe(2);
  expect(posts[0].status).toBe(409);
  expect(posts[0].response.code).toBe('PRICE_CHANGED');
  expect(posts[0].data.fingerprint).toBe(pageQuote.fingerprint);
  const serverQuote = posts[0].response.details.quote;
  expect(serverQuote.coupons.applied.map((a) => a.couponId)).not.toContain(used);
  expect(modal.title).toBe('订单金额有变化');
  expect(modal.content).toContain(money.format(serverQuote.payable));
  // resubmitted with the server's fingerprint and the same idempotency key
  expect(posts[1].status).toBe(201);
  expect(posts[1].data.fingerprint).toBe(serverQuote.fingerprint);
  expect(posts[1].data.idempotencyKey).toBe(posts[0].data.idempotencyKey);
  const order = await shopper.get(`/api/orders/${posts[1].response.id}`);
  expect(h.text(co, '#total')).toBe(money.format(order.payable));
  expect(order.payable).toBe(serverQuote.payable);
  expect(h.text(co, '#total')).not.toBe(shownBefore);
  // the payment sheet was closed: the order page opens on 待付款 and says so
  await until(() => wx.redirectTo.mock.calls.length > 0, 'the order page');
  expect(wx.redirectTo).toHaveBeenLastCalledWith({ url: `/pkg-order/detail/index?id=${order.id}&pay=cancelled` });
  expect((await shopper.get(`/api/orders/${order.id}`)).status).toBe('pending_payment');
});

test('stock sold out after the page priced it: the server refuses with its message, nothing is placed', async () => {
  await ensureAddress();
  await addFromProductPage('内蒙古风干牛肉干'); // 香辣
  const co = await open('pkg-order/checkout/index');
  expect(co.instance._quote.fingerprint).toBe((await shopper.post('/api/checkout/quote', co.instance.body())).fingerprint);

  const skuId = (await shopper.get('/api/cart')).items[0].skuId;
  const token = server.secrets().merchantToken;
  expect(token).toBeTruthy();
  await shopper.call('PUT', `/api/merchant/skus/${skuId}/stock`, { stock: 0 }, { 'x-merchant-token': token });

  await tap(co, '#submit');
  const post = bridge.log.filter((r) => r.method === 'POST' && r.path === '/api/orders').pop();
  expect(post.status).toBe(409);
  expect(post.response.code).toBe('OUT_OF_STOCK');
  expect(wx.showToast).toHaveBeenLastCalledWith(expect.objectContaining({ title: post.response.message }));
  expect(wx.redirectTo).not.toHaveBeenCalled();
  const unpaid = await shopper.get('/api/orders?tab=all&page=1&pageSize=50');
  expect(unpaid.items.some((o) => o.lines.some((l) => l.skuId === skuId))).toBe(false);
});

test('a sold-out line left selected in the cart: 结算 leaves it out, and the order goes through', async () => {
  // state from the test above: the beef, now sold out, is still selected in the server's cart
  let serverCart = await shopper.get('/api/cart');
  const deadLine = serverCart.items.find((i) => i.title === '内蒙古风干牛肉干');
  expect(deadLine.selected).toBe(true);
  await addFromProductPage('每日坚果礼盒');

  const cart = await open('pages/cart/index');
  expect(h.text(cart, `#dead-${deadLine.id}`)).toContain('失效');
  await expectCartMatchesServer(cart);
  await tap(cart, '#checkout');
  expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pkg-order/checkout/index' });
  serverCart = await shopper.get('/api/cart');
  expect(serverCart.items.find((i) => i.id === deadLine.id).selected).toBe(false);

  const co = await open('pkg-order/checkout/index');
  expect(co.instance.data.issues).toEqual([]);
  expect(co.instance.data.canSubmit).toBe(true);
  const serverQ = await shopper.post('/api/checkout/quote', co.instance.body());
  expect(co.instance._quote.fingerprint).toBe(serverQ.fingerprint);
  await tap(co, '#submit');
  const post = bridge.log.filter((r) => r.method === 'POST' && r.path === '/api/orders').pop();
  expect(post.status).toBe(201);
  expect(money.format(post.response.payable)).toBe(h.text(co, '#total'));
  // the sold-out line stays in the cart, under 失效商品
  expect((await shopper.get('/api/cart')).items.map((i) => i.id)).toEqual([deadLine.id]);
});
