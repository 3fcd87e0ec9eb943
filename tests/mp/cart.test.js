// 购物车 with the REAL rules core: the generated loader + .wasm.br through a
// stubbed WXWebAssembly. The displayed total must equal the wasm quote's payable.
'use strict';
const h = require('./helpers');
const fx = require('./fixtures');
const money = require('../../miniprogram/lib/money.js');

let wasmCalls;
let core;
beforeAll(async () => {
  wasmCalls = h.installWasm();
  core = await h.rules();
});
beforeEach(() => h.resetSession());

function server(overrides) {
  let input = fx.cartInput();
  const log = h.mockServer(Object.assign({
    'GET /api/cart': () => ({ items: fx.cartItems, quote: core.quote(input) }),
    'POST /api/checkout/input': () => ({ input }),
    'PATCH /api/cart/items/{id}': () => ({ items: fx.cartItems, quote: core.quote(input) }),
    'POST /api/cart/selection': () => ({ items: fx.cartItems, quote: core.quote(input) }),
    'DELETE /api/cart/items/{id}': () => ({ items: [], quote: core.quote(input) }),
  }, overrides));
  return log;
}

/** What the page must show: the core's quote of the cart as edited. */
function expected(edit) {
  const input = fx.cartInput();
  if (edit) edit(input);
  return core.quote(input);
}

test('renders the cart priced by the wasm core: total, member/flash prices, invalid lines and hints', async () => {
  const log = server();
  const page = await h.openPage('pages/cart/index');
  const q = expected();

  // The displayed total is the wasm quote's payable.
  expect(h.text(page, '#total')).toBe(money.format(q.payable));
  expect(q.payable).toBeGreaterThan(0);
  // wasm loaded from the package path, as .wasm.br, exactly once
  expect(wasmCalls.length).toBe(1);
  expect(wasmCalls[0]).toMatch(/^\/lib\/rules\/.*\.wasm\.br$/);

  // priced lines: member price on the T-shirt (9900 × 0.98 = 9702), flash price on the earbuds
  const tee = h.text(page, '#line-11');
  expect(tee).toContain('会员价');
  expect(tee).toContain('¥97.02');
  expect(tee).toContain('¥99.00');
  expect(h.text(page, '#line-12')).toContain('秒杀价');
  expect(h.text(page, '#line-12')).toContain('¥199.00');

  // a fixable issue stays in the list, red; a dead line goes to 失效商品 with its reason
  expect(h.text(page, '#line-13')).toContain('库存不足，仅剩3件');
  expect(h.text(page, '#dead-14')).toContain('商品已下架');
  expect(page.querySelector('#line-14')).toBeFalsy();

  // 满减 hint and 还差¥X可用 coupon hints come from the same quote
  const hints = h.texts(page, '.coupon-hint').join('|');
  const short = q.coupons.unusable.filter((u) => u.shortfall);
  expect(short.length).toBeGreaterThan(0);
  for (const u of short) expect(hints).toContain(`还差${money.short(u.shortfall)}可用`);
  if (q.hints.length) expect(h.text(page, '.campaign-hint')).toContain(money.short(q.hints[0].shortfall));

  // selected count = priced units; the request carried the session token after wx.login
  expect(h.text(page, '#checkout')).toBe(`结算(${q.lines.reduce((n, l) => n + l.quantity, 0)})`);
  const cartReq = log.find((r) => r.path === '/api/cart');
  expect(cartReq.header.Authorization).toBe('Bearer tok-1');
  expect(log.filter((r) => r.path === '/api/auth/login').length).toBe(1);
});

test('deselecting a line re-quotes on the phone and saves the selection', async () => {
  const log = server();
  const page = await h.openPage('pages/cart/index');
  await h.tap(page, '#check-12');
  const q = expected((i) => { i.lines.find((l) => l.lineId === '12').selected = false; });
  expect(h.text(page, '#total')).toBe(money.format(q.payable));
  expect(h.text(page, '#total')).not.toBe(money.format(expected().payable));
  const patch = log.find((r) => r.method === 'PATCH');
  expect(patch.path).toBe('/api/cart/items/12');
  expect(patch.data).toEqual({ selected: false });
});

test('the stepper changes the quantity, the total follows, and stock caps it', async () => {
  const log = server();
  const page = await h.openPage('pages/cart/index');
  await h.tap(page, '#plus-11');
  expect(h.text(page, '#qty-11')).toBe('3');
  let q = expected((i) => { i.lines.find((l) => l.lineId === '11').quantity = 3; });
  expect(h.text(page, '#total')).toBe(money.format(q.payable));
  expect(log.filter((r) => r.method === 'PATCH').pop().data).toEqual({ quantity: 3 });

  // 坚果: 5 in the cart, 3 in stock → going down to 3 makes the line valid again
  await h.tap(page, '#minus-13');
  await h.tap(page, '#minus-13');
  expect(h.text(page, '#line-13')).not.toContain('库存不足');
  q = expected((i) => {
    i.lines.find((l) => l.lineId === '11').quantity = 3;
    i.lines.find((l) => l.lineId === '13').quantity = 3;
  });
  expect(h.text(page, '#total')).toBe(money.format(q.payable));
  // the food coupon (满50减8 on 食品) is now reachable: the core picked the best combination
  expect(q.lines.find((l) => l.lineId === '13')).toBeTruthy();

  // + at the stock limit: refused on the phone, nothing sent
  const before = log.length;
  await h.tap(page, '#plus-13');
  expect(h.text(page, '#qty-13')).toBe('3');
  expect(log.length).toBe(before);
});

test('select all and invalid-line clean-up', async () => {
  const log = server();
  wx.showModal = jest.fn((o) => o.success({ confirm: true }));
  const page = await h.openPage('pages/cart/index');
  await h.tap(page, '#select-all'); // line 15 unselected → select everything
  let q = expected((i) => { i.lines.forEach((l) => { l.selected = true; }); });
  expect(h.text(page, '#total')).toBe(money.format(q.payable));
  expect(log.find((r) => r.path === '/api/cart/selection').data).toEqual({ selected: true });

  await h.tap(page, '#clear-dead');
  expect(page.querySelector('#dead-14')).toBeFalsy();
  expect(log.find((r) => r.method === 'DELETE').path).toBe('/api/cart/items/14');
  q = expected((i) => { i.lines.forEach((l) => { l.selected = true; }); i.lines = i.lines.filter((l) => l.lineId !== '14'); });
  expect(h.text(page, '#total')).toBe(money.format(q.payable));
});

test('a failed save shows the server message and reloads the cart', async () => {
  server({ 'PATCH /api/cart/items/{id}': () => ({ status: 409, body: { code: 'OUT_OF_STOCK', message: '库存不足，仅剩2件', details: { skuId: '101', available: 2 } } }) });
  wx.showToast = jest.fn();
  const page = await h.openPage('pages/cart/index');
  await h.tap(page, '#plus-11');
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '库存不足，仅剩2件' }));
  expect(h.text(page, '#qty-11')).toBe('2'); // reloaded from the server
});

test('checkout goes to the checkout page; an empty cart shows 去逛逛', async () => {
  server();
  wx.navigateTo = jest.fn();
  wx.showToast = jest.fn();
  let page = await h.openPage('pages/cart/index');
  await h.tap(page, '#checkout');
  // line 13 is selected and still over stock → asked to fix it first
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '请先调整标红的商品' }));
  await h.tap(page, '#check-13');
  await h.tap(page, '#checkout');
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pkg-order/checkout/index' });

  h.mockServer({
    'GET /api/cart': () => ({ items: [], quote: null }),
    'POST /api/checkout/input': () => ({ input: { now: fx.NOW, catalog: [], lines: [] } }),
  });
  page = await h.openPage('pages/cart/index');
  expect(h.text(page, '.empty')).toContain('购物车还是空的');
});
