// End to end, 限时秒杀 with two shoppers: the mini-program's pages against the
// REAL server binary (fresh SQLite data dir, demo shop, fake WeChat Pay) and
// the real wasm rules core. The merchant puts one unit of a SKU on sale at a
// flash price, 1 per shopper. A opens the sale's page (立即抢购, 剩余1件),
// buys through the checkout and pays the flash price; then the page tells A
// 已达限购 and B 已抢光, and B's checkout shows the line sold out.
//
// Needs the server binary: MALL_SERVER_BIN, default target/debug/mall-server.
'use strict';
const h = require('./helpers');
const store = require('../../miniprogram/lib/store.js');
const e2ePhone = require('./e2e-phone');

jest.setTimeout(90000);

let phone;

beforeAll(async () => {
  phone = await e2ePhone.start();
});

afterAll(() => phone && phone.stop());

test('one unit, two shoppers: A buys it at the flash price from the sale page; A sees 已达限购, B 已抢光', async () => {
  const { sku } = await phone.product('每日坚果礼盒');
  const now = Math.floor(Date.now() / 1000);
  const act = await phone.merchant('POST', '/admin/api/marketing/activities', {
    kind: 'flashSale', title: '坚果1元秒杀', startsAt: now - 60, endsAt: now + 3600, perUserLimit: 1,
    skus: [{ skuId: sku.id, price: 100, stock: 1 }],
  });

  // ---- A: the sale's page, 立即抢购 → checkout → pay
  phone.as('flash-a');
  const page = await phone.open('pkg-activity/flash/index', { id: act.id });
  h.expectTexts(page, { '#title': '坚果1元秒杀', [`#buy-${sku.id}`]: '立即抢购', [`#left-${sku.id}`]: '剩余1件', '#limit': '每人限购1件' });
  expect(h.text(page, '#clock')).toMatch(/^距结束 (01:00:00|00:5\d:\d\d)$/);
  await phone.tap(page, `#buy-${sku.id}`);
  expect(store.buyNow).toEqual([expect.objectContaining({ skuId: sku.id, quantity: 1, activityId: act.id })]);
  const order = await phone.checkoutAndPay();
  expect(order.body.items).toEqual([{ skuId: sku.id, quantity: 1, activityId: act.id }]);
  const placed = await phone.merchant('GET', `/api/merchant/orders/${order.id}`);
  expect(placed.lines.map((l) => [l.unitPrice, l.priceSource])).toEqual([[100, 'flashSale']]);
  page.instance.onUnload();

  // ---- A again: 已达限购
  const again = await phone.open('pkg-activity/flash/index', { id: act.id });
  expect(h.text(again, `#buy-${sku.id}`)).toBe('已达限购');
  again.instance.onUnload();

  // ---- B: 已抢光, and the server says so too
  phone.as('flash-b');
  const b = await phone.open('pkg-activity/flash/index', { id: act.id });
  h.expectTexts(b, { [`#buy-${sku.id}`]: '已抢光', [`#left-${sku.id}`]: '已抢光' });
  await phone.tap(b, `#buy-${sku.id}`);
  expect(wx.navigateTo).not.toHaveBeenCalled();
  b.instance.onUnload();
  store.buyNow = [{ skuId: sku.id, quantity: 1, activityId: act.id, title: '坚果', specs: [], image: '' }];
  // Even sent to the checkout by hand, the line is refused there (the core, on the server's input).
  const checkout = await phone.open('pkg-order/checkout/index', { mode: 'buynow' });
  expect(checkout.data.issues).toEqual([{ lineId: 'b1', title: '坚果', reason: '商品已售罄' }]);
  expect(checkout.data.canSubmit).toBe(false);
  const sale = await phone.merchant('GET', `/api/flash-sales/${act.id}`);
  expect(sale.skus.map((s) => [s.unitsLeft, s.state.phase])).toEqual([[0, 'soldOut']]);
});
