// 设置: the owner creates an operator from the console (who can then sign in
// and sees 商品 but not 设置), disables them (their sign-in is refused), and
// the audit log shows both writes with their before → after.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiLogin, choose, fill, http, launchBrowser, openConsole, staffClient, startServer, tid, guarded } from './harness.mjs';

let server;
let browser;
let page;
let owner;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const session = await apiLogin(server.base);
  owner = staffClient(server.base, session);
  ({ page } = await openConsole(browser, server, session, '/admin/settings'));
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const guard = (t, f) => guarded(t, page, f);

test('creating an operator from the console; they sign in and see 商品 but not 设置', (t) => guard(t, async () => {
  await page.click(tid('staff-new'));
  await fill(page, 'staff-username', 'yunying1');
  await fill(page, 'staff-name', '运营小李');
  await choose(page, 'staff-role', '运营');
  await fill(page, 'staff-password', 'operator-pass-1');
  await page.click(tid('staff-create'));
  await page.locator(tid('staff-row-yunying1')).waitFor();
  const session = await apiLogin(server.base, 'yunying1', 'operator-pass-1');
  assert.equal(session.staff.role, 'operator');
  const { page: p, context } = await openConsole(browser, server, session, '/admin/');
  try {
    await p.locator(tid('menu-products')).waitFor();
    assert.equal(await p.locator(tid('menu-settings')).count(), 0);
    assert.equal(await p.locator(tid('menu-orders')).count(), 0);
  } finally {
    await context.close();
  }
}));

test('disabling the operator refuses their sign-in', (t) => guard(t, async () => {
  await page.click(tid('staff-disable-yunying1'));
  await page.locator('.el-message-box .el-button--primary').click();
  await page.locator(tid('staff-status-yunying1')).filter({ hasText: '已停用' }).waitFor();
  await assert.rejects(apiLogin(server.base, 'yunying1', 'operator-pass-1'), (e) => e.status >= 400);
}));

test('the audit log lists both writes with their before → after', (t) => guard(t, async () => {
  const log = await owner.get('/audit');
  assert.ok(log.items.length >= 2);
  await page.click(tid('tab-audit'));
  for (const entry of log.items.slice(0, 2)) {
    await page.locator(tid(`audit-action-${entry.id}`)).waitFor();
  }
  await page.locator(tid('audit-table')).getByText('yunying1').first().waitFor();
  await page.locator(tid('audit-table')).locator('.el-table__body ins').filter({ hasText: 'true' }).first().waitFor(); // disabled: false → true
}));

test('轮播图: a banner added and saved in the console is on the shopper\'s home page', (t) => guard(t, async () => {
  await page.click(tid('tab-banners'));
  await page.locator(tid('banner-table')).waitFor();
  const before = (await owner.get('/banners')).banners;
  await page.click(tid('banner-add'));
  const i = before.length;
  await fill(page, `banner-image-${i}`, 'https://img.example.com/new-banner.png');
  await fill(page, `banner-url-${i}`, '/pages/product/index?id=2');
  await page.click(tid('banner-save'));
  await page.locator('.el-message--success').filter({ hasText: '轮播图已保存' }).waitFor();
  const { data: home } = await http(server.base, 'GET', '/api/home');
  assert.deepEqual(home.banners.at(-1), { image: 'https://img.example.com/new-banner.png', url: '/pages/product/index?id=2' });
  assert.equal(home.banners.length, before.length + 1);
  // A link outside the mini-program is refused with the server's message; nothing changes.
  await fill(page, `banner-url-${i}`, 'https://evil.example.com');
  await page.click(tid('banner-save'));
  await page.locator('.el-message--error').first().waitFor();
  assert.equal((await http(server.base, 'GET', '/api/home')).data.banners.length, before.length + 1);
}));

test('店铺: the name and notice saved in the console are on the shopper\'s home page', (t) => guard(t, async () => {
  await page.click(tid('tab-shop'));
  await page.locator(tid('shop-form')).waitFor();
  await fill(page, 'shop-name', '鲜果小铺');
  await fill(page, 'shop-notice', '满99包邮');
  await page.click(tid('shop-save'));
  await page.locator('.el-message--success').filter({ hasText: '店铺信息已保存' }).waitFor();
  const { data: home } = await http(server.base, 'GET', '/api/home');
  assert.equal(home.shop.name, '鲜果小铺');
  assert.equal(home.shop.notice, '满99包邮');
}));
