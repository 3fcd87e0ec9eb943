// 概览: the KPI cards show the server's figures (GMV in yuan), the counters
// link to their pages, and an order paid through the API moves the KPIs
// within one 10-second poll; the payment is also announced through the
// server-sent stream as a notification.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiLogin, launchBrowser, openConsole, placeOrder, staffClient, startServer, tid, guarded } from './harness.mjs';

let server;
let browser;
let page;
let owner;
before(async () => {
  server = await startServer();
  const session = await apiLogin(server.base);
  owner = staffClient(server.base, session);
  browser = await launchBrowser();
  ({ page } = await openConsole(browser, server, session, '/admin/overview'));
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const yuan = (fen) => `${fen < 0 ? '-' : ''}¥${Math.trunc(Math.abs(fen) / 100)}.${String(Math.abs(fen) % 100).padStart(2, '0')}`;

const guard = (t, f) => guarded(t, page, f);

test('the KPI cards show the server figures, GMV and 客单价 in yuan', (t) => guard(t, async () => {
  const o = await owner.get('/overview');
  await page.locator(tid('kpi-gmv')).waitFor();
  assert.equal(await page.locator(tid('kpi-gmv-value')).textContent(), yuan(o.kpis.gmv.today));
  assert.equal(await page.locator(tid('kpi-aov-value')).textContent(), yuan(o.kpis.aov.today));
  assert.equal(await page.locator(tid('kpi-paidOrders-value')).textContent(), String(o.kpis.paidOrders.today));
  assert.equal(await page.locator(tid('counter-toShip-link')).textContent(), String(o.counters.toShip));
  await page.locator(tid('overview-curve')).locator('svg').waitFor();
}));

test('an order paid through the API moves GMV and 支付订单 within one poll', (t) => guard(t, async () => {
  const before_ = await owner.get('/overview');
  const products = await owner.get('/products?pageSize=50');
  const detail = await owner.get(`/products/${products.items[0].id}`);
  const order = await placeOrder(server, { skuId: detail.skus[0].id });
  const paid = (await owner.get(`/orders/${order.id}`)).paidAmount;
  await page.locator(tid('kpi-paidOrders-value')).filter({ hasText: new RegExp(`^${before_.kpis.paidOrders.today + 1}$`) }).waitFor({ timeout: 15_000 });
  assert.equal(await page.locator(tid('kpi-gmv-value')).textContent(), yuan(before_.kpis.gmv.today + paid));
}));

test('the payment is announced as it happens (新订单提醒: the server-sent stream)', (t) => guard(t, async () => {
  const products = await owner.get('/products?pageSize=50');
  const detail = await owner.get(`/products/${products.items[0].id}`);
  const order = await placeOrder(server, { skuId: detail.skus[0].id });
  const note = page.locator('.el-notification').filter({ hasText: order.orderNo });
  await note.waitFor({ timeout: 15_000 });
  assert.match(await note.textContent(), /新订单/);
  assert.ok(Number(await page.locator(tid('alerts')).getAttribute('data-count')) >= 1);
}));

test('the 待发货 counter opens the orders page on its tab', (t) => guard(t, async () => {
  await page.click(tid('counter-toShip-link'));
  await page.waitForURL(/\/admin\/orders\?status=paid/);
  await page.locator(tid('orders')).waitFor();
}));
