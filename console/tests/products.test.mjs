// 商品: a product with 2 × 3 SKUs made in the editor (prices typed in yuan are
// stored as fen), batch off-shelf from the list, a stock alert once a SKU's
// stock reaches its threshold, stock set from the 库存预警 tab with a reason
// (a ledger row).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiLogin, choose, fill, launchBrowser, openConsole, staffClient, startServer, tid, guarded } from './harness.mjs';

let server;
let browser;
let page;
let owner;
let productId;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const session = await apiLogin(server.base);
  owner = staffClient(server.base, session);
  ({ page } = await openConsole(browser, server, session, '/admin/products/new'));
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const guard = (t, f) => guarded(t, page, f);

test('the editor turns 颜色 × 尺码 into a 2 × 3 SKU matrix and saves prices as fen', (t) => guard(t, async () => {
  await page.locator(tid('product-editor')).waitFor();
  await fill(page, 'product-title', '控制台测试卫衣');
  const cats = await owner.get('/categories');
  const leaf = cats.items.find((c) => c.parentId !== null);
  const parent = cats.items.find((c) => c.id === leaf.parentId);
  await choose(page, 'product-category', parent.name, leaf.name);
  await page.keyboard.press('Escape');
  await fill(page, 'product-main-image', 'https://example.com/hoodie.jpg');
  await page.click(tid('spec-add'));
  await fill(page, 'spec-name-0', '颜色');
  await fill(page, 'spec-value-input-0', '黑色 白色');
  await page.click(tid('spec-value-add-0'));
  await page.click(tid('spec-add'));
  await fill(page, 'spec-name-1', '尺码');
  await fill(page, 'spec-value-input-1', 'S,M,L');
  await page.click(tid('spec-value-add-1'));
  await fill(page, 'fill-price', '129.9');
  await fill(page, 'fill-stock', '20');
  await page.click(tid('fill-apply'));
  await page.locator(tid('sku-price-5')).waitFor();
  assert.equal(await page.locator(tid('sku-price-6')).count(), 0);
  await fill(page, 'sku-price-5', '0.29'); // float math would store 28
  await fill(page, 'sku-alert-5', '5');
  await page.click(tid('product-save'));
  await page.waitForURL(/\/admin\/products\?saved=\d+/);
  productId = Number(new URL(page.url()).searchParams.get('saved'));
  const p = await owner.get(`/products/${productId}`);
  assert.deepEqual(p.specNames, [{ name: '颜色', values: ['黑色', '白色'] }, { name: '尺码', values: ['S', 'M', 'L'] }]);
  assert.equal(p.skus.length, 6);
  const bySpecs = Object.fromEntries(p.skus.map((s) => [s.specs.join('/'), s]));
  assert.equal(bySpecs['黑色/S'].listPrice, 12990);
  assert.equal(bySpecs['白色/L'].listPrice, 29);
  assert.equal(bySpecs['白色/L'].alertThreshold, 5);
  assert.equal(bySpecs['黑色/M'].stock, 20);
}));

test('batch 下架 from the list takes the selected products off the shelf', (t) => guard(t, async () => {
  const row = page.locator(tid(`product-row-${productId}`));
  await row.waitFor();
  await page.locator('tr', { has: row }).locator('.el-checkbox').first().click();
  await page.click(tid('batch-off-shelf'));
  await page.locator(tid(`product-status-${productId}`)).filter({ hasText: '已下架' }).waitFor();
  assert.equal((await owner.get(`/products/${productId}`)).onShelf, false);
}));

test('a SKU at its threshold shows in 库存预警; setting its stock with a reason writes the ledger', (t) => guard(t, async () => {
  const p = await owner.get(`/products/${productId}`);
  const sku = p.skus.find((s) => s.specs.join('/') === '白色/L');
  await owner.put(`/skus/${sku.id}/stock`, { stock: 3, reason: '测试：盘点' });
  await page.reload();
  await page.locator(tid(`product-alert-${productId}`)).waitFor();
  await page.click(tid('tab-stock-alerts'));
  await page.locator(tid(`stock-alert-${sku.id}`)).waitFor();
  await page.click(tid(`stock-set-${sku.id}`));
  await fill(page, 'stock-value', '50');
  await fill(page, 'stock-reason', '补货');
  await page.click(tid('stock-save'));
  await page.locator(tid(`stock-alert-${sku.id}`)).waitFor({ state: 'detached' });
  const ledger = await owner.get(`/stock-ledger?skuId=${sku.id}`);
  assert.equal(ledger.items[0].after, 50);
  assert.equal(ledger.items[0].reason, '补货');
  await page.click(tid('tab-stock-ledger'));
  await fill(page, 'ledger-sku', String(sku.id));
  await page.keyboard.press('Enter');
  await page.locator(tid('ledger-table')).getByText('补货').waitFor();
}));

test('editing a seeded product keeps its SKU ids and prices', (t) => guard(t, async () => {
  const list = await owner.get('/products?pageSize=50');
  const seeded = list.items.find((p) => p.id !== productId && p.skuCount > 1);
  const before_ = await owner.get(`/products/${seeded.id}`);
  await page.goto(`${server.base}/admin/products/${seeded.id}`);
  await page.locator(tid('sku-price-0')).waitFor();
  await page.waitForFunction((title) => document.querySelector('[data-testid="product-title"]')?.value === title, before_.title);
  await fill(page, 'product-title', `${before_.title}（改）`);
  await page.click(tid('product-save'));
  await page.waitForURL(/\/admin\/products\?saved=/);
  const after_ = await owner.get(`/products/${seeded.id}`);
  assert.equal(after_.title, `${before_.title}（改）`);
  assert.deepEqual(after_.skus.map((s) => [s.id, s.specs, s.listPrice, s.stock]), before_.skus.map((s) => [s.id, s.specs, s.listPrice, s.stock]));
}));

test('新建分类 adds a child category the filter can pick', (t) => guard(t, async () => {
  await page.goto(`${server.base}/admin/products`);
  const cats = await owner.get('/categories');
  const root = cats.items.find((c) => c.parentId === null);
  await page.click(tid('category-new'));
  await choose(page, 'category-parent', root.name);
  await fill(page, 'category-name', '测试子类');
  await page.click(tid('category-save'));
  await page.locator(tid('category-dialog')).waitFor({ state: 'hidden' });
  const after_ = await owner.get('/categories');
  const made = after_.items.find((c) => c.name === '测试子类');
  assert.equal(made?.parentId, root.id);
  await choose(page, 'product-filter-category', root.name, '测试子类');
}));
