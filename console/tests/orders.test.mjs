// 订单: paid orders from the demo shopper; ship one from its row, its
// timeline in the detail drawer; batch ship a selection; CSV dry run flags
// the bad rows, confirm ships only the good ones (also 2 of 50 rows); a pickup order is handed
// over by its write-off code; the export reaches 100% and its CSV has every order.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiLogin, choose, fill, launchBrowser, merchantClient, openConsole, placeOrder, staffClient, startServer, tid, guarded } from './harness.mjs';

let server;
let browser;
let pickup;
let page;
let owner;
let session;
const orders = [];
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  session = await apiLogin(server.base);
  owner = staffClient(server.base, session);
  const products = await owner.get('/products?pageSize=50');
  const detail = await owner.get(`/products/${products.items[0].id}`);
  for (let i = 0; i < 6; i++) orders.push(await placeOrder(server, { skuId: detail.skus[0].id }));
  pickup = await placeOrder(server, { skuId: detail.skus[0].id, delivery: { kind: 'pickup', storeId: 'store-1' } });
  ({ page } = await openConsole(browser, server, session, '/admin/orders?status=paid'));
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const guard = (t, f) => guarded(t, page, f);
const status = async (o) => (await owner.get(`/orders/${o.id}`)).status;

test('the 待发货 tab lists the paid orders with their count', (t) => guard(t, async () => {
  for (const o of orders) await page.locator(tid(`order-row-${o.orderNo}`)).waitFor();
  assert.match(await page.locator(tid('order-tab-paid')).textContent(), /待发货 \(7\)/);
  assert.equal(await page.locator(tid(`order-ship-${pickup.orderNo}`)).count(), 0); // store pickup: no 发货
}));

test('shipping one order from its row moves it to 已发货 and the drawer shows the timeline', (t) => guard(t, async () => {
  const [a] = orders;
  await page.click(tid(`order-ship-${a.orderNo}`));
  await choose(page, 'ship-carrier', '顺丰');
  await fill(page, 'ship-tracking-0', 'SF1000000001');
  await page.click(tid('ship-submit'));
  await page.locator(tid(`order-row-${a.orderNo}`)).waitFor({ state: 'detached' });
  assert.equal(await status(a), 'shipped');
  await page.click(tid('order-tab-all'));
  await page.click(tid(`order-row-${a.orderNo}`));
  await page.locator(tid('order-timeline')).getByText(/发货|已发货|待收货/).first().waitFor();
  assert.match(await page.locator(tid('order-detail-tracking')).textContent(), /SF1000000001/);
  await page.keyboard.press('Escape');
}));

test('batch ship by selection ships every selected order', (t) => guard(t, async () => {
  const [, b, c] = orders;
  await page.click(tid('order-tab-paid'));
  for (const o of [b, c]) {
    const cell = page.locator(tid(`order-row-${o.orderNo}`));
    await cell.waitFor();
    await page.locator('tr', { has: cell }).locator('.el-checkbox').first().click();
  }
  await page.click(tid('order-batch-ship'));
  await choose(page, 'ship-carrier', '中通');
  await fill(page, 'ship-tracking-0', 'ZT2000000001');
  await fill(page, 'ship-tracking-1', 'ZT2000000002');
  await page.click(tid('ship-submit'));
  await page.locator(tid(`order-row-${b.orderNo}`)).waitFor({ state: 'detached' });
  assert.equal(await status(b), 'shipped');
  assert.equal(await status(c), 'shipped');
}));

test('CSV batch ship: the dry run flags the bad rows, confirm ships only the good ones', (t) => guard(t, async () => {
  const [a, , , d, e, f] = orders;
  const csv = [
    'orderNo,carrier,trackingNo',
    `${d.orderNo},YTO,YT3000000001`,
    `${e.orderNo},YTO,YT3000000002`,
    `${a.orderNo},YTO,YT3000000003`, // already shipped
    '99999999999999999999,YTO,YT3000000004', // unknown order
    `${f.orderNo},NOPE,YT3000000005`, // unknown carrier
  ].join('\n');
  await page.click(tid('order-csv-ship'));
  await fill(page, 'csv-text', csv);
  await page.click(tid('csv-dry-run'));
  await page.locator(tid('csv-summary')).waitFor();
  assert.equal(await page.locator(tid('csv-ok-count')).textContent(), '2');
  assert.equal(await page.locator(tid('csv-error-count')).textContent(), '3');
  assert.equal(await page.locator(`${tid('csv-rows')} tr.row-error`).count(), 3);
  for (const line of [4, 5, 6]) await page.locator(tid(`csv-problem-${line}`)).waitFor();
  assert.equal(await status(d), 'paid'); // a dry run ships nothing
  await page.click(tid('csv-confirm'));
  await page.locator(tid('csv-shipped')).waitFor();
  assert.equal(await page.locator(tid('csv-shipped')).textContent(), '2');
  assert.equal(await status(d), 'shipped');
  assert.equal(await status(e), 'shipped');
  assert.equal(await status(f), 'paid');
  await page.keyboard.press('Escape');
  await page.locator(tid('csv-dialog')).waitFor({ state: 'hidden' });
}));

test('a 50-row CSV: the dry run flags exactly the 2 bad rows, confirm ships the other 48', (t) => guard(t, async () => {
  const products = await owner.get('/products?pageSize=50');
  const detail = await owner.get(`/products/${products.items[0].id}`);
  await merchantClient(server).put(`/api/merchant/skus/${detail.skus[0].id}/stock`, { stock: 1000 });
  const fresh = [];
  for (let i = 0; i < 48; i++) fresh.push(await placeOrder(server, { skuId: detail.skus[0].id }));
  const rows = fresh.map((o, i) => `${o.orderNo},顺丰速运,SF50000${String(i).padStart(5, '0')}`);
  rows.splice(20, 0, '88888888888888888888,中通,ZT5000000001'); // line 22: unknown order
  rows.splice(40, 0, `${orders[0].orderNo},中通,ZT5000000002`); // line 42: already shipped
  await page.click(tid('order-csv-ship'));
  await fill(page, 'csv-text', ['订单号,快递公司,运单号', ...rows].join('\n'));
  await page.click(tid('csv-dry-run'));
  await page.locator(tid('csv-summary')).waitFor();
  assert.equal(await page.locator(tid('csv-ok-count')).textContent(), '48');
  assert.equal(await page.locator(tid('csv-error-count')).textContent(), '2');
  for (const line of [22, 42]) await page.locator(tid(`csv-problem-${line}`)).waitFor();
  assert.equal(await status(fresh[0]), 'paid'); // a dry run ships nothing
  await page.click(tid('csv-confirm'));
  await page.locator(tid('csv-shipped')).filter({ hasText: /^48$/ }).waitFor({ timeout: 20_000 });
  for (const o of [fresh[0], fresh[20], fresh[47]]) assert.equal(await status(o), 'shipped');
  await page.keyboard.press('Escape');
  await page.locator(tid('csv-dialog')).waitFor({ state: 'hidden' });
}));

test('a store-pickup order is written off by its code', (t) => guard(t, async () => {
  const { pickupCode } = await owner.get(`/orders/${pickup.id}`);
  assert.ok(pickupCode);
  await fill(page, 'pickup-code', pickupCode);
  await page.click(tid('pickup-submit'));
  await page.locator('.el-message--success').getByText(pickup.orderNo).waitFor();
  assert.equal(await status(pickup), 'completed');
}));

test('导出订单 runs in the background to 100% and downloads a CSV with a BOM and every order', (t) => guard(t, async () => {
  await page.click(tid('order-tab-all'));
  await page.click(tid('order-export'));
  await page.locator(tid('export-status')).filter({ hasText: '已完成' }).waitFor({ timeout: 20_000 });
  const href = await page.locator(tid('export-download')).getAttribute('href');
  const r = await fetch(server.base + href, { headers: { cookie: `mall_staff=${session.cookie.value}` } });
  assert.equal(r.status, 200);
  const bytes = new Uint8Array(await r.arrayBuffer());
  assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf]);
  const text = new TextDecoder().decode(bytes);
  for (const o of [...orders, pickup]) assert.ok(text.includes(o.orderNo), `${o.orderNo} in the export`);
}));
