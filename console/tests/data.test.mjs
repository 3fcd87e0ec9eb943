// 数据: the funnel chart's aria-label carries each step's count, the trend
// table has one row per point, the heatmap shows the server's fact sentence.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { apiLogin, http, launchBrowser, openConsole, staffClient, startServer, tid, guarded } from './harness.mjs';

let server;
let browser;
let page;
let owner;
const day = (offset) => new Date(Date.now() + 8 * 3600_000 + offset * 86400_000).toISOString().slice(0, 10);
const range = () => `from=${day(-6)}&to=${day(0)}`;
before(async () => {
  server = await startServer();
  const session = await apiLogin(server.base);
  owner = staffClient(server.base, session);
  // 10 sessions visit, 6 view a product, 3 add to cart, 2 reach checkout.
  const events = [];
  const now = Date.now();
  for (let i = 0; i < 10; i++) {
    const ev = (name, props = {}) => events.push({ uuid: randomUUID(), name, ts: now - 60_000 + i, sessionId: `s${i}`, visitorId: `v${i}`, props });
    ev('app_show', { scene: 1007 });
    if (i < 6) ev('product_view', { productId: 1 });
    if (i < 3) ev('add_to_cart', { productId: 1, skuId: 1, qty: 1 });
    if (i < 2) ev('checkout_start');
  }
  // 推荐位: session s0 saw three home recommendations and tapped one, and one on a product page.
  const rec = (name, slot, productId) => events.push({ uuid: randomUUID(), name, ts: now - 30_000, sessionId: 's0', visitorId: 'v0', props: { slot, productId } });
  for (const p of [1, 2, 3]) rec('rec_impression', 'home', p);
  rec('rec_click', 'home', 2);
  rec('rec_impression', 'product', 4);
  await http(server.base, 'POST', '/api/events', { body: { events } });
  browser = await launchBrowser();
  ({ page } = await openConsole(browser, server, session, '/admin/data'));
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const guard = (t, f) => guarded(t, page, f);

test('the funnel chart aria-label carries every step and its count', (t) => guard(t, async () => {
  const { steps } = await owner.get(`/stats/funnel?${range()}`);
  assert.deepEqual(steps.slice(0, 4).map((s) => s.sessions), [10, 6, 3, 2]);
  const chart = page.locator(tid('funnel-chart'));
  await chart.locator('svg').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="funnel-chart"]')?.getAttribute('aria-label'));
  const label = await chart.getAttribute('aria-label');
  for (const s of steps) {
    assert.ok(label.includes(`${s.label}的数据是${s.sessions}`), `${s.label}=${s.sessions} in: ${label}`);
    assert.equal(await page.locator(tid(`funnel-${s.key}`)).textContent(), String(s.sessions));
  }
}));

test('the trend table has one row per point; the heatmap shows the fact sentence', (t) => guard(t, async () => {
  const trend = await owner.get(`/stats/trend?${range()}`);
  await page.locator(tid('trend-table')).waitFor();
  assert.equal(await page.locator(`${tid('trend-table')} .el-table__body tr`).count(), trend.points.length);
  const heat = await owner.get('/stats/heatmap?weeks=4');
  const fact = await page.locator(tid('heatmap-fact')).textContent();
  assert.equal(fact, heat.fact ?? '暂无明显高峰时段');
}));

test('复购率 shows the server figure as a percentage', (t) => guard(t, async () => {
  const r = await owner.get(`/stats/repurchase?${range()}`);
  await page.locator(tid('repurchase')).waitFor();
  // "0.3333" → "33.33%", from the string's digits.
  const [whole, frac = ''] = r.rate.split('.');
  const f = frac.padEnd(4, '0');
  const pct = `${Number(whole) * 100 + Number(f.slice(0, 2))}.${f.slice(2, 4)}%`;
  assert.equal(await page.locator(tid('repurchase-rate')).textContent(), pct);
}));

test('推荐位效果 shows each slot as the server counts it', (t) => guard(t, async () => {
  const { items } = await owner.get(`/stats/rec-slots?${range()}`);
  assert.deepEqual(items.map((r) => [r.slot, r.impressions, r.clicks, r.clickThrough]),
    [['home', 3, 1, '0.3333'], ['product', 1, 0, '0.0000'], ['cart', 0, 0, '0.0000']]);
  await page.locator(tid('rec-slots-table')).waitFor();
  for (const r of items) {
    assert.equal(await page.locator(tid(`rec-impressions-${r.slot}`)).textContent(), String(r.impressions));
    assert.equal(await page.locator(tid(`rec-clicks-${r.slot}`)).textContent(), String(r.clicks));
    assert.equal(await page.locator(tid(`rec-orders-${r.slot}`)).textContent(), String(r.orders));
  }
  assert.equal(await page.locator(tid('rec-ctr-home')).textContent(), '33.33%');
  assert.equal(await page.locator(tid('rec-conversion-home')).textContent(), '0.00%');
}));
