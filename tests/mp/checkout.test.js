// 确认订单 with the REAL rules core. Every displayed total must equal the wasm
// quote of the input the server answered, with the options the shopper chose;
// submitting sends that quote's fingerprint.
'use strict';
const h = require('./helpers');
const fx = require('./fixtures');
const money = require('../../miniprogram/lib/money.js');
const store = require('../../miniprogram/lib/store.js');
const config = require('../../miniprogram/config.js');
const pay = require('../../miniprogram/lib/pay.js');

let core;
beforeAll(async () => {
  h.installWasm();
  core = await h.rules();
});
beforeEach(() => {
  h.resetSession();
  store.buyNow = null;
  config.store = null;
  pay.poll.intervalMs = 0;
  wx.showToast = jest.fn();
  wx.requestPayment = jest.fn((o) => o.success({ errMsg: 'requestPayment:ok' }));
});

/** The server's input for a checkout body, as POST /api/checkout/input would answer. */
function serverInput(body, edit) {
  const input = fx.cartInput();
  input.lines.find((l) => l.lineId === '13').quantity = 3; // within stock
  input.lines.find((l) => l.lineId === '14').selected = false; // off-shelf line not selected
  let delivery = null;
  if (body.addressId) delivery = { kind: 'express', regionCode: fx.addresses.find((a) => a.id === body.addressId).regionCode };
  if (body.delivery) delivery = body.delivery;
  input.options = { coupons: body.coupons || { kind: 'best' }, points: body.points || { kind: 'none' }, delivery };
  if (edit) edit(input);
  return input;
}

function expectedQuote(options, edit) {
  const input = serverInput({}, edit);
  input.options = options;
  return core.quote(input);
}

function server(overrides) {
  return h.mockServer(Object.assign({
    'GET /api/cart': () => ({ items: fx.cartItems }),
    'GET /api/addresses': () => fx.addresses,
    'POST /api/checkout/input': (req) => ({ input: serverInput(req.data) }),
    'POST /api/orders': () => ({ status: 201, body: fx.orderDetail(fx.order(501, 'pending_payment')) }),
    // placed → straight to payment; the server then says paid
    'POST /api/orders/{id}/pay': (req) => fx.prepay(Number(req.params[0]), 38704),
    'GET /api/orders/{id}': (req) => fx.orderDetail(fx.order(Number(req.params[0]), 'paid')),
  }, overrides));
}

const EXPRESS_SH = { kind: 'express', regionCode: '310115' };

test('prices the cart with the default address, best coupons preselected', async () => {
  const log = server();
  const page = await h.openPage('pkg-order/checkout/index');
  const q = expectedQuote({ coupons: { kind: 'best' }, points: { kind: 'none' }, delivery: EXPRESS_SH });

  expect(h.text(page, '#total')).toBe(money.format(q.payable));
  expect(log.find((r) => r.path === '/api/checkout/input').data).toEqual({ coupons: { kind: 'best' }, points: { kind: 'none' }, addressId: 31 });
  expect(h.text(page, '#address')).toContain('张三 13800138000');
  // best coupons applied and shown as preselected
  expect(q.coupons.applied.length).toBeGreaterThan(0);
  expect(h.text(page, '#coupon-text')).toContain(`已选${q.coupons.applied.length}张`);
  // lines with display data, order summary from the same quote
  expect(h.texts(page, '.line').length).toBe(q.lines.length);
  expect(h.text(page, '#sum-goods')).toContain(money.format(q.goodsTotal));
  const shipping = q.shipping.payable === 0 && q.shipping.fee > 0 ? '免运费' : money.format(q.shipping.payable);
  expect(h.text(page, '#sum-shipping')).toContain(shipping);
  // points: the hint comes from a max-points quote
  const maxQ = expectedQuote({ coupons: { kind: 'best' }, points: { kind: 'max' }, delivery: EXPRESS_SH });
  expect(h.text(page, '#points-text')).toBe(`可用${maxQ.points.used}积分抵${money.format(maxQ.points.deduction)}`);
});

test('points toggle, hand-picked coupons and delivery changes re-quote on the phone', async () => {
  const log = server();
  const page = await h.openPage('pkg-order/checkout/index');
  const requests = log.length;

  await h.tap(page, '#points-cell');
  let q = expectedQuote({ coupons: { kind: 'best' }, points: { kind: 'max' }, delivery: EXPRESS_SH });
  expect(q.points.deduction).toBeGreaterThan(0);
  expect(h.text(page, '#total')).toBe(money.format(q.payable));
  expect(h.text(page, '#sum-points')).toContain('-' + money.format(q.points.deduction));

  // open the coupon list and drop one applied coupon → manual choice of the rest
  await h.tap(page, '#coupon-cell');
  const applied = q.coupons.applied.map((a) => a.couponId);
  expect(page.querySelector(`#coupon-${applied[0]}`)).toBeTruthy();
  expect(h.text(page, '#unusable-903')).toContain('还差');
  await h.tap(page, `#coupon-${applied[0]}`);
  const rest = applied.slice(1);
  q = expectedQuote({ coupons: rest.length ? { kind: 'manual', couponIds: rest } : { kind: 'none' }, points: { kind: 'max' }, delivery: EXPRESS_SH });
  expect(h.text(page, '#total')).toBe(money.format(q.payable));

  // 不使用优惠券
  await h.tap(page, '#coupon-none');
  q = expectedQuote({ coupons: { kind: 'none' }, points: { kind: 'max' }, delivery: EXPRESS_SH });
  expect(h.text(page, '#total')).toBe(money.format(q.payable));
  expect(h.text(page, '#coupon-text')).toContain('不使用优惠券');

  // another address in a remote region (express ¥20 first piece)
  await h.tap(page, '#address');
  await h.tap(page, '#addr-32');
  q = expectedQuote({ coupons: { kind: 'none' }, points: { kind: 'max' }, delivery: { kind: 'express', regionCode: '650102' } });
  expect(h.text(page, '#total')).toBe(money.format(q.payable));

  // pickup
  await h.tap(page, '#method-pickup');
  q = expectedQuote({ coupons: { kind: 'none' }, points: { kind: 'max' }, delivery: { kind: 'pickup', storeId: 'store-1' } });
  expect(h.text(page, '#total')).toBe(money.format(q.payable));

  // all of that without asking the server again
  expect(log.length).toBe(requests);
});

test('a coupon set the core refuses is reverted with its message', async () => {
  server();
  wx.showToast = jest.fn();
  const page = await h.openPage('pkg-order/checkout/index');
  const before = h.text(page, '#total');
  await h.tap(page, '#coupon-cell');
  // 免邮券 is unusable alone here; pick the 9折 platform coupon with 无门槛 (same slot) → COUPON_LAYER_TAKEN
  const q = expectedQuote({ coupons: { kind: 'best' }, points: { kind: 'none' }, delivery: EXPRESS_SH });
  const platformApplied = q.coupons.applied.find((a) => a.couponId === '902');
  expect(platformApplied).toBeTruthy();
  const instance = page.instance;
  instance._choice = { coupons: { kind: 'manual', couponIds: ['902', '903'] }, points: { kind: 'none' } };
  await instance.reprice({ coupons: { kind: 'best' }, points: { kind: 'none' } });
  await h.flush();
  expect(wx.showToast).toHaveBeenCalled();
  expect(h.text(page, '#total')).toBe(before);
});

test('submit sends the quote fingerprint and opens the order', async () => {
  const log = server();
  wx.redirectTo = jest.fn();
  const page = await h.openPage('pkg-order/checkout/index');
  await h.tap(page, '#submit');
  const q = expectedQuote({ coupons: { kind: 'best' }, points: { kind: 'none' }, delivery: EXPRESS_SH });
  const post = log.find((r) => r.method === 'POST' && r.path === '/api/orders');
  expect(post.data).toEqual({
    coupons: { kind: 'best' }, points: { kind: 'none' }, addressId: 31,
    fingerprint: q.fingerprint, idempotencyKey: expect.stringMatching(/^mp-/), remark: '',
  });
  expect(post.data.idempotencyKey.length).toBeLessThanOrEqual(64);
  // placed → paid at once: prepay, the sheet with exactly the server's parameters, the server's status
  const prepay = fx.prepay(501, 38704).params;
  expect(log.filter((r) => r.method === 'POST' && r.path === '/api/orders/501/pay').length).toBe(1);
  expect(wx.requestPayment).toHaveBeenCalledTimes(1);
  const args = wx.requestPayment.mock.calls[0][0];
  expect({ timeStamp: args.timeStamp, nonceStr: args.nonceStr, package: args.package, signType: args.signType, paySign: args.paySign })
    .toEqual({ timeStamp: prepay.timeStamp, nonceStr: prepay.nonceStr, package: prepay.package, signType: prepay.signType, paySign: prepay.paySign });
  expect(log.some((r) => r.method === 'GET' && r.path === '/api/orders/501')).toBe(true);
  expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pkg-order/detail/index?id=501' });
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '支付成功' }));
});

test('payment sheet closed after placing: the order page opens on 待付款 with the reason; a refused prepay too', async () => {
  const log = server({ 'GET /api/orders/{id}': () => { throw new Error('must not poll after a cancel'); } });
  wx.redirectTo = jest.fn();
  wx.requestPayment = jest.fn((o) => o.fail({ errMsg: 'requestPayment:fail cancel' }));
  const page = await h.openPage('pkg-order/checkout/index');
  await h.tap(page, '#submit');
  expect(wx.requestPayment).toHaveBeenCalledTimes(1);
  expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pkg-order/detail/index?id=501&pay=cancelled' });
  expect(log.some((r) => r.method === 'GET' && r.path === '/api/orders/501')).toBe(false);

  // the server refuses the prepay (e.g. expired): its message, then the order page
  server({ 'POST /api/orders/{id}/pay': () => ({ status: 409, body: { code: 'ORDER_EXPIRED', message: '订单已超时，请重新下单', details: {} } }) });
  wx.requestPayment = jest.fn();
  const again = await h.openPage('pkg-order/checkout/index');
  await h.tap(again, '#submit');
  expect(wx.requestPayment).not.toHaveBeenCalled();
  expect(wx.showToast).toHaveBeenLastCalledWith(expect.objectContaining({ title: '订单已超时，请重新下单' }));
  expect(wx.redirectTo).toHaveBeenLastCalledWith({ url: '/pkg-order/detail/index?id=501&pay=failed' });
});

test('PRICE_CHANGED shows the new total and resubmits with its fingerprint once confirmed', async () => {
  // Between reading the input and submitting, the T-shirt went up to ¥109.
  const changed = (i) => { i.catalog.find((s) => s.skuId === '101').listPrice = 10900; };
  const serverQ = core.quote(serverInput({ addressId: 31 }, changed));
  const attempts = [];
  server({
    'POST /api/orders': (req) => {
      attempts.push(req.data);
      if (req.data.fingerprint !== serverQ.fingerprint) {
        return { status: 409, body: { code: 'PRICE_CHANGED', message: '订单金额有变化，请确认新的金额后再提交', details: { quote: serverQ } } };
      }
      return { status: 201, body: fx.orderDetail(fx.order(502, 'pending_payment')) };
    },
  });
  let modal;
  wx.showModal = jest.fn((o) => { modal = o; o.success({ confirm: true }); });
  wx.redirectTo = jest.fn();
  const page = await h.openPage('pkg-order/checkout/index');
  const old = h.text(page, '#total');
  await h.tap(page, '#submit');

  expect(modal.title).toBe('订单金额有变化');
  expect(modal.content).toContain(money.format(serverQ.payable));
  expect(h.text(page, '#total')).toBe(money.format(serverQ.payable));
  expect(h.text(page, '#total')).not.toBe(old);
  expect(h.text(page, '#price-notice')).toContain(money.format(serverQ.payable));
  expect(attempts.length).toBe(2);
  expect(attempts[1].fingerprint).toBe(serverQ.fingerprint);
  expect(attempts[1].idempotencyKey).toBe(attempts[0].idempotencyKey);
  expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pkg-order/detail/index?id=502' });
});

test('buy-now prices the items given, and same-city uses the distance to the store', async () => {
  store.buyNow = [{ skuId: 108, quantity: 2, activityId: null, title: '男士纯棉短袖T恤', specs: ['黑色', 'M'], image: 'x.jpg' }];
  config.store = { latitude: 31.2304, longitude: 121.4737 };
  const buyInput = (body) => {
    const input = serverInput(body);
    input.lines = [{ lineId: 'b1', skuId: '108', quantity: 2, selected: true, activityId: null }];
    return input;
  };
  const log = server({ 'POST /api/checkout/input': (req) => ({ input: buyInput(req.data) }) });
  wx.getLocation = jest.fn((o) => o.success({ latitude: 31.2404, longitude: 121.4737 })); // ~1.1 km north
  const page = await h.openPage('pkg-order/checkout/index', { mode: 'buynow' });
  expect(log.find((r) => r.path === '/api/checkout/input').data.items).toEqual([{ skuId: 108, quantity: 2, activityId: null }]);
  expect(h.text(page, '#line-b1')).toContain('男士纯棉短袖T恤');

  await h.tap(page, '#method-sameCity');
  expect(h.text(page, '#distance')).toBe('距门店1.1km');
  const input = buyInput({});
  input.options = { coupons: { kind: 'best' }, points: { kind: 'none' }, delivery: { kind: 'sameCity', distanceMeters: 1112 } };
  const q = core.quote(input);
  expect(q.shipping.method).toBe('sameCity');
  expect(h.text(page, '#total')).toBe(money.format(q.payable));
});

test('秒杀: 排队中 is repeated with the same key after the wait; a lost answer once more with X-Mall-Retry', async () => {
  const attempts = [];
  server({
    'POST /api/orders': (req) => {
      attempts.push(req);
      if (attempts.length <= 2) return { status: 429, body: { code: 'FLASH_QUEUED', message: '排队中，请稍候自动重试', details: { retryAfterMs: 500 } } };
      if (attempts.length === 3) return { __fail: true };
      return { status: 201, body: fx.orderDetail(fx.order(503, 'pending_payment')) };
    },
  });
  wx.redirectTo = jest.fn();
  const page = await h.openPage('pkg-order/checkout/index');
  h.tap(page, '#submit');
  await new Promise((r) => setTimeout(r, 200));
  await h.flush();
  expect(h.text(page, '#queue')).toBe('排队中，正在第1次重试…');
  await new Promise((r) => setTimeout(r, 1100));
  await h.flush();
  expect(attempts.length).toBe(4);
  expect(new Set(attempts.map((a) => a.data.idempotencyKey)).size).toBe(1);
  expect(attempts.map((a) => a.header['X-Mall-Retry'] || null)).toEqual([null, null, null, '1']);
  expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pkg-order/detail/index?id=503' });
  expect(page.querySelector('#queue')).toBeFalsy();
});
