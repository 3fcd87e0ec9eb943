// 数据 → 推荐位效果: the demo shopper's recommendation events, posted to
// /api/events like the mini-program does, and an order paid for a product
// clicked on the home page show in the panel as the server counts them; the
// panel is empty before any event.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { apiLogin, http, launchBrowser, openConsole, placeOrder, staffClient, startServer, tid, guarded } from './harness.mjs';

let server;
let browser;
let page;
let owner;
const day = (offset) => new Date(Date.now() + 8 * 3600_000 + offset * 86400_000).toISOString().slice(0, 10);
// The page's default range: the last 7 days (Beijing).
const range = () => `from=${day(-6)}&to=${day(0)}`;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const session = await apiLogin(server.base);
  owner = staffClient(server.base, session);
  ({ page } = await openConsole(browser, server, session, '/admin/data'));
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const guard = (t, f) => guarded(t, page, f);

/** "0.3333" → "33.33%" from the string's digits (as the server's 4-decimal ratio). */
const pct = (rate) => {
  const [whole, frac = ''] = rate.split('.');
  const f = frac.padEnd(4, '0');
  return `${Number(whole) * 100 + Number(f.slice(0, 2))}.${f.slice(2, 4)}%`;
};

test('推荐位效果 is empty while no slot has an impression', (t) => guard(t, async () => {
  const { items } = await owner.get(`/stats/rec-slots?${range()}`);
  assert.deepEqual(items.map((r) => [r.slot, r.impressions, r.clicks, r.orders]), [['home', 0, 0, 0], ['product', 0, 0, 0], ['cart', 0, 0, 0]]);
  await page.locator(tid('rec-slots-empty')).waitFor();
  assert.equal(await page.locator(tid('rec-slots-table')).count(), 0);
}));

test('the shopper\'s impressions, clicks and paid order show per slot as the server counts them', (t) => guard(t, async () => {
  const { items: products } = await owner.get('/products?pageSize=50');
  const [a, b, c, d, e] = products.map((p) => p.id);
  const detail = await owner.get(`/products/${a}`);

  // The demo shopper, signed in through the fake WeChat login, in one session:
  // 3 home recommendations, one tapped (a) and bought; 1 on a product page;
  // 2 below the cart, one tapped (e) and not bought.
  const { data: login } = await http(server.base, 'POST', '/api/auth/login', { body: { code: 'demo' } });
  const start = Date.now() - 60_000;
  const events = [];
  const ev = (name, props = {}) => events.push({ uuid: randomUUID(), name, ts: start + events.length * 1000, sessionId: 'rec-s1', visitorId: 'rec-v1', props });
  ev('app_show', { scene: 1007 });
  for (const p of [a, b, c]) ev('rec_impression', { slot: 'home', productId: p });
  ev('rec_click', { slot: 'home', productId: a });
  ev('product_view', { productId: a });
  ev('rec_impression', { slot: 'product', productId: d });
  ev('add_to_cart', { productId: a, skuId: detail.skus[0].id, qty: 1 });
  for (const p of [d, e]) ev('rec_impression', { slot: 'cart', productId: p });
  ev('rec_click', { slot: 'cart', productId: e });
  ev('checkout_start');
  await http(server.base, 'POST', '/api/events', { body: { events }, headers: { authorization: `Bearer ${login.token}` } });
  await placeOrder(server, { skuId: detail.skus[0].id, quantity: 1, pay: true });

  const { items } = await owner.get(`/stats/rec-slots?${range()}`);
  assert.deepEqual(items, [
    { slot: 'home', impressions: 3, clicks: 1, clickThrough: '0.3333', orders: 1, conversion: '1.0000' },
    { slot: 'product', impressions: 1, clicks: 0, clickThrough: '0.0000', orders: 0, conversion: '0.0000' },
    { slot: 'cart', impressions: 2, clicks: 1, clickThrough: '0.5000', orders: 0, conversion: '0.0000' },
  ]);

  await page.locator(tid('data-refresh')).click();
  await page.locator(tid('rec-slots-table')).waitFor();
  assert.equal(await page.locator(tid('rec-slots-empty')).count(), 0);
  const cell = (what, slot) => page.locator(tid(`rec-${what}-${slot}`)).textContent();
  const shown = [];
  for (const r of items) {
    shown.push([r.slot, await cell('impressions', r.slot), await cell('clicks', r.slot), await cell('ctr', r.slot),
      await cell('orders', r.slot), await cell('conversion', r.slot)]);
  }
  // The server's figures, rates as percentages with 2 decimals…
  assert.deepEqual(shown, items.map((r) => [r.slot, String(r.impressions), String(r.clicks), pct(r.clickThrough), String(r.orders), pct(r.conversion)]));
  // …which are these.
  assert.deepEqual(shown, [
    ['home', '3', '1', '33.33%', '1', '100.00%'],
    ['product', '1', '0', '0.00%', '0', '0.00%'],
    ['cart', '2', '1', '50.00%', '0', '0.00%'],
  ]);
  const labels = await page.locator(`${tid('rec-slots-table')} .el-table__body tr td:first-child`).allTextContents();
  assert.deepEqual(labels.map((s) => s.trim()), ['为你推荐（首页）', '猜你喜欢（商品页）', '猜你喜欢（购物车）']);
}));
