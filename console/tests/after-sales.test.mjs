// 售后: a shopper's refund request shows in the queue; its detail shows the
// core's refund amount before approving; approving starts the refund; a
// second request is rejected with a reason.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiLogin, launchBrowser, openConsole, placeOrder, requestRefund, staffClient, startServer, tid, guarded } from './harness.mjs';

let server;
let browser;
let page;
let owner;
let first;
let second;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const session = await apiLogin(server.base);
  owner = staffClient(server.base, session);
  const products = await owner.get('/products?pageSize=50');
  const detail = await owner.get(`/products/${products.items[0].id}`);
  const a = await placeOrder(server, { skuId: detail.skus[0].id, quantity: 2 });
  const b = await placeOrder(server, { skuId: detail.skus[0].id, quantity: 1 });
  first = await requestRefund(server, a, { quantity: 1 });
  second = await requestRefund(server, b, { quantity: 1 });
  ({ page } = await openConsole(browser, server, session, '/admin/after-sales?status=requested'));
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const guard = (t, f) => guarded(t, page, f);
const yuan = (fen) => `¥${Math.trunc(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;

test('the queue lists the requests; the detail shows the core refund amount; approving starts the refund', (t) => guard(t, async () => {
  await page.locator(tid(`after-sale-row-${first.id}`)).waitFor();
  await page.locator(tid(`after-sale-row-${second.id}`)).waitFor();
  await page.click(tid(`after-sale-row-${first.id}`));
  const server_ = await owner.get(`/after-sales/${first.id}`);
  const amount = server_.quote?.amount ?? server_.amount;
  assert.ok(amount > 0);
  await page.locator(tid('after-sale-quote-amount')).filter({ hasText: yuan(amount) }).waitFor();
  await page.click(tid('after-sale-approve'));
  await page.locator('.el-message-box').getByText(yuan(amount)).waitFor();
  await page.locator('.el-message-box .el-button--primary').click();
  await page.locator(tid('after-sale-detail-status')).filter({ hasNotText: '待审核' }).waitFor();
  const now = await owner.get(`/after-sales/${first.id}`);
  assert.notEqual(now.status, 'requested');
  assert.ok(['refunding', 'refunded'].includes(now.status), now.status);
  await page.keyboard.press('Escape');
}));

test('rejecting asks for a reason and records it', (t) => guard(t, async () => {
  await page.click(tid(`after-sale-row-${second.id}`));
  await page.locator(tid('after-sale-reject')).waitFor();
  await page.click(tid('after-sale-reject'));
  await page.locator('.el-message-box input').fill('商品已拆封，不支持仅退款');
  await page.locator('.el-message-box .el-button--primary').click();
  await page.locator(tid('after-sale-detail-status')).filter({ hasText: '已拒绝' }).waitFor();
  const now = await owner.get(`/after-sales/${second.id}`);
  assert.equal(now.status, 'rejected');
  assert.equal(now.rejectReason, '商品已拆封，不支持仅退款');
}));
