// 营销 → 活动价: a 秒杀 saved with 库存分桶 sets its units aside in that many rows
// (docs/flash-sale.md § Stock buckets). The dialog asks each SKU's 限量 first,
// shows the server's refusal when the SKU has fewer units, and an edit keeps
// the bucket count it was saved with.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  apiLogin, fill, fillNumber, guarded, launchBrowser, openConsole, staffClient, startServer, tid, valueOf,
} from './harness.mjs';

const NUTS_750G = 15;
let server;
let browser;
let page;
let owner;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const session = await apiLogin(server.base);
  owner = staffClient(server.base, session);
  ({ page } = await openConsole(browser, server, session, '/admin/marketing?tab=activities'));
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const guard = (t, f) => guarded(t, page, f);
const text = async (id) => (await page.locator(tid(id)).innerText()).trim();

test('a flash sale in 4 stock buckets is saved with its units set aside and edited with its buckets kept', (t) => guard(t, async () => {
  await page.click(tid('activity-new'));
  const dialog = page.locator(tid('activity-dialog'));
  await dialog.waitFor();
  assert.match(await text('activity-stock-buckets-note'), /预留/);
  await fill(page, 'activity-title', '坚果分桶秒杀');
  await page.locator(tid('activity-window')).click();
  await page.locator('.el-picker-panel__shortcut:visible', { hasText: '从现在起 7 天' }).click();
  await fillNumber(page, 'activity-stock-buckets', 4);
  await fill(page, 'activity-sku-0', NUTS_750G);
  await page.locator(tid('activity-sku-0')).locator('input').press('Tab');
  await fill(page, 'activity-price-0', '59');
  // Buckets without a 限量: refused before anything is sent.
  await page.click(tid('activity-save'));
  assert.match(await text('activity-error'), /库存分桶时每个 SKU 请填写限量/);
  // More units than the SKU has: the server's 422, nothing saved.
  await fillNumber(page, 'activity-stock-0', 999999999);
  await page.click(tid('activity-save'));
  await page.locator('.el-message--error', { hasText: '商品库存不足，预留不了活动的限量' }).waitFor();
  assert.equal((await owner.get('/marketing/activities')).items.filter((a) => a.title === '坚果分桶秒杀').length, 0);
  await fillNumber(page, 'activity-stock-0', 12);
  await page.click(tid('activity-save'));
  await dialog.waitFor({ state: 'hidden' });
  const saved = (await owner.get('/marketing/activities')).items.find((a) => a.title === '坚果分桶秒杀');
  assert.ok(saved);
  assert.equal(saved.kind, 'flashSale');
  assert.equal(saved.stockBuckets, 4);
  assert.equal(saved.skus[0].stock, 12);
  // The edit dialog shows the buckets; saving it unchanged keeps them and the units.
  await page.click(tid(`activity-edit-${saved.id}`));
  await dialog.waitFor();
  assert.equal(await valueOf(page, 'activity-stock-buckets'), '4');
  await page.click(tid('activity-save'));
  await dialog.waitFor({ state: 'hidden' });
  const again = (await owner.get('/marketing/activities')).items.find((a) => a.id === saved.id);
  assert.equal(again.stockBuckets, 4);
  assert.equal(again.skus[0].stock, 12);
}));
