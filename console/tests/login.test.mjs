// Signing in: a wrong password shows the server's message, the owner lands on
// the page they asked for with every menu entry, a role sees only its pages, and the session
// survives a reload (the CSRF token comes back from /me).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiLogin, fill, launchBrowser, onFailure, openConsole, staffClient, startServer, tid, OWNER_PASSWORD } from './harness.mjs';

let server;
let browser;
let page;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a wrong password shows the server message and stays on the login page', async (t) => {
  ({ page } = await openConsole(browser, server, null, '/admin/overview'));
  try {
    await page.waitForURL(/\/admin\/login/);
    await fill(page, 'login-username', 'owner');
    await fill(page, 'login-password', 'wrong-password');
    await page.click(tid('login-submit'));
    const err = page.locator(tid('login-error'));
    await err.waitFor();
    assert.match(await err.textContent(), /\S/);
    assert.match(page.url(), /\/admin\/login/);
  } catch (e) {
    await onFailure(t, page);
    throw e;
  }
});

test('the owner signs in, lands where they wanted, sees every page', async (t) => {
  try {
    await fill(page, 'login-password', OWNER_PASSWORD);
    await page.click(tid('login-submit'));
    await page.waitForURL(/\/admin\/overview/);
    for (const key of ['overview', 'products', 'orders', 'afterSales', 'marketing', 'distribution', 'members', 'delivery', 'data', 'settings']) {
      await page.locator(tid(`menu-${key}`)).waitFor();
    }
    await page.locator(tid('overview')).waitFor(); // its figures: overview.test.mjs
    await page.reload();
    await page.locator(tid('current-staff')).waitFor();
    assert.match(await page.locator(tid('current-staff')).textContent(), /店主/);
  } catch (e) {
    await onFailure(t, page);
    throw e;
  }
});

test('a session that ends mid-use sends the next API call to the login page', async (t) => {
  const session = await apiLogin(server.base);
  const { page: p, context } = await openConsole(browser, server, session, '/admin/overview');
  try {
    await p.locator(tid('overview-refresh')).waitFor();
    await staffClient(server.base, session).post('/logout');
    // The next API call meets the ended session: this click, or the overview's
    // own 10-second refresh when it comes first (then the button is gone).
    await p.click(tid('overview-refresh'), { timeout: 5000 }).catch(() => {});
    await p.waitForURL(/\/admin\/login\?redirect=(%2F|\/)overview/);
  } catch (e) {
    await onFailure(t, p);
    throw e;
  } finally {
    await context.close();
  }
});

test('a customer-service account sees only its pages and is refused the others', async (t) => {
  const owner = staffClient(server.base, await apiLogin(server.base));
  await owner.post('/staff', { username: 'kefu1', name: '客服小王', role: 'service', password: 'service-pass-1' });
  const session = await apiLogin(server.base, 'kefu1', 'service-pass-1');
  const { page: p, context } = await openConsole(browser, server, session, '/admin/');
  try {
    await p.locator(tid('menu-orders')).waitFor();
    const menu = await p.locator(`${tid('menu')} [data-testid^="menu-"]`).evaluateAll((els) => els.map((e) => e.dataset.testid));
    assert.deepEqual(menu, ['menu-overview', 'menu-orders', 'menu-afterSales']);
    await p.goto(`${server.base}/admin/settings`);
    await p.locator(tid('forbidden')).waitFor();
  } catch (e) {
    await onFailure(t, p);
    throw e;
  } finally {
    await context.close();
  }
});

test('after 5 wrong passwords the account is locked and the page says when to retry', async (t) => {
  const owner = staffClient(server.base, await apiLogin(server.base));
  await owner.post('/staff', { username: 'locky', name: '锁定测试', role: 'finance', password: 'finance-pass-1' });
  const { page: p, context } = await openConsole(browser, server, null, '/admin/login');
  try {
    await fill(p, 'login-username', 'locky');
    let text = '';
    for (let i = 0; i < 6 && !/分钟后重试/.test(text); i++) {
      await fill(p, 'login-password', `wrong-${i}-password`);
      await p.click(tid('login-submit'));
      await p.locator(tid('login-error')).waitFor();
      await p.waitForTimeout(200);
      text = await p.locator(tid('login-error')).textContent();
    }
    assert.match(text, /请在 \d+ 分钟后重试/);
    await fill(p, 'login-password', 'finance-pass-1');
    await p.click(tid('login-submit'));
    await p.waitForTimeout(300);
    assert.match(p.url(), /\/admin\/login/); // still locked with the right password
  } catch (e) {
    await onFailure(t, p);
    throw e;
  } finally {
    await context.close();
  }
});

test('signing out returns to the login page and the session is gone', async (t) => {
  try {
    await page.click(tid('logout'));
    await page.waitForURL(/\/admin\/login/);
    await page.goto(`${server.base}/admin/products`);
    await page.waitForURL(/\/admin\/login\?redirect=/);
  } catch (e) {
    await onFailure(t, page);
    throw e;
  }
});
