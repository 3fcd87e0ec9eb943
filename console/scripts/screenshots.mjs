// Screenshots of every console page (docs/screenshots/console/*.png), taken
// in Debian's chromium against the real server on a fresh demo database with
// a few orders, an after-sales request, a stock alert, funnel events and a
// group buy with groups in several states (营销 → 拼团 and its dialog) and a
// bargain activity (营销 → 砍价 and its dialog), and promoters with sales
// through their links and an application waiting (分销).
//
//   bash scripts/build-console.sh && cargo build -p mall-server --features demo --bin mall-server
//   cd console && node scripts/screenshots.mjs
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT, apiLogin, http, launchBrowser, merchantClient, openConsole, placeOrder, requestRefund, startServer,
} from '../tests/harness.mjs';

const out = join(ROOT, 'docs', 'screenshots', 'console');
mkdirSync(out, { recursive: true });
// The shop's clock pinned to 20:30 Beijing time today, so the pictures show a
// day's trading (MALL_CLOCK_START, demo builds only).
const wall = Math.floor(Date.now() / 1000);
const dayStart = Math.floor((wall + 8 * 3600) / 86400) * 86400 - 8 * 3600;
const pinned = dayStart + 20 * 3600 + 30 * 60;
const server = await startServer({ env: { MALL_CLOCK_START: String(pinned) } });
const browser = await launchBrowser();
try {
  const skus = [1, 2, 13, 15, 19];
  const orders = [];
  for (let i = 0; i < 9; i++) orders.push(await placeOrder(server, { skuId: skus[i % skus.length], quantity: 1 + (i % 3), pay: i % 4 !== 3 }));
  await requestRefund(server, orders[0]);
  const merchant = merchantClient(server);
  await merchant.put('/api/merchant/skus/15/stock', { stock: 3 });
  const session = await apiLogin(server.base);
  const headers = { cookie: `mall_staff=${session.cookie.value}`, 'x-csrf-token': session.csrfToken };
  const product = (await http(server.base, 'GET', '/admin/api/products/5', { headers })).data;
  product.skus[0].alertThreshold = 5;
  const { id, sales, skus: productSkus, ...rest } = product;
  await http(server.base, 'PUT', '/admin/api/products/5', {
    headers, body: { ...rest, skus: productSkus.map(({ sales: _s, ...s }) => s) },
  }).catch(() => { /* the alert is optional for the pictures */ });
  const now = pinned * 1000;
  const events = [];
  for (let i = 0; i < 40; i++) {
    const ev = (name, props = {}) => events.push({ uuid: randomUUID(), name, ts: now - 3_600_000 + i * 1000, sessionId: `s${i}`, visitorId: `v${i}`, props });
    ev('app_show', { scene: i % 2 ? 1007 : 1047, ch: i % 3 ? 'poster' : 'share' });
    if (i < 24) ev('product_view', { productId: 1 + (i % 5) });
    if (i < 12) ev('add_to_cart', { productId: 1 + (i % 5), skuId: 1, qty: 1 });
    if (i < 8) ev('checkout_start');
  }
  for (let i = 0; i < events.length; i += 50) await http(server.base, 'POST', '/api/events', { body: { events: events.slice(i, i + 50) } });
  // 拼团: a 3-person group buy; one group open (2 of 3 paid), one formed, one whose leader has not paid.
  const activity = (await http(server.base, 'POST', '/admin/api/marketing/activities', {
    headers, body: {
      kind: 'groupBuy', title: '牛肉干三人团', startsAt: pinned - 86400, endsAt: pinned + 30 * 86400, groupSize: 3,
      groupWindowHours: 24, groupAutoPercent: 60, skus: [{ skuId: 19, price: 2990, leaderPrice: 2690 }],
    },
  })).data;
  const groupOrder = async (code, nickname, group, pay) => {
    const { data: login } = await http(server.base, 'POST', '/api/auth/login', { body: { code, nickname } });
    const auth = { authorization: `Bearer ${login.token}` };
    const body = { items: [{ skuId: 19, quantity: 1, activityId: activity.id }], delivery: { kind: 'pickup', storeId: 'store-1' }, group };
    const quote = (await http(server.base, 'POST', '/api/checkout/quote', { body, headers: auth })).data;
    const order = (await http(server.base, 'POST', '/api/orders', { body: { ...body, fingerprint: quote.fingerprint, idempotencyKey: randomUUID() }, headers: auth })).data;
    if (pay) await merchant.post(`/api/merchant/orders/${order.id}/mark-paid`);
    const mine = (await http(server.base, 'GET', '/api/member/groups', { headers: auth })).data;
    return mine.items.find((g) => g.orderId === order.id).groupId;
  };
  const formed = await groupOrder('shot-leader-1', '小安', {}, true);
  await groupOrder('shot-member-1', '小白', { groupId: formed }, true);
  await groupOrder('shot-member-2', '小陈', { groupId: formed }, true);
  const open = await groupOrder('shot-leader-2', '小丁', {}, true);
  await groupOrder('shot-member-3', '小鄂', { groupId: open }, true);
  await groupOrder('shot-member-4', '小冯', { groupId: open }, false);
  await groupOrder('shot-leader-3', '小高', {}, false);
  // 砍价: a running bargain activity (¥59.90 → ¥9.90, 5 helpers).
  const bargain = (await http(server.base, 'POST', '/admin/api/bargains', {
    headers, body: {
      title: '牛肉干砍价', skuId: 19, startPrice: 5990, floorPrice: 990, helpers: 5, windowHours: 24, buyBeforeFloor: false,
      initiationsPerUser: 1, helpsPerDay: 3, startsAt: pinned - 86400, endsAt: pinned + 30 * 86400,
    },
  })).data;

  // 分销: two promoters whose links brought paid orders this month, then the
  // approval mode with one application waiting.
  const distribution = (body) => http(server.base, 'PUT', '/admin/api/distribution/settings', {
    headers, body: { enabled: true, levels: 2, rates: ['0.1', '0.05'], selfPurchase: false, bindingDays: 30, frozenDays: 7, leaderboardCash: 10000, ...body },
  });
  await distribution({ mode: 'everyone' });
  const shopper = async (code, nickname) => {
    const { data: login } = await http(server.base, 'POST', '/api/auth/login', { body: { code, nickname } });
    const auth = { authorization: `Bearer ${login.token}` };
    return (method, path, body) => http(server.base, method, path, { body, headers: auth }).then((r) => r.data);
  };
  for (const [code, nickname, buyers] of [['shot-promoter-1', '推广达人', 3], ['shot-promoter-2', '小红书达人', 1]]) {
    const promoter = await shopper(code, nickname);
    await promoter('POST', '/api/distribution/promoter', {});
    const share = await promoter('POST', '/api/share', { kind: 'product', targetId: 1 });
    for (let i = 0; i < buyers; i++) {
      const buyer = await shopper(`${code}-buyer-${i}`, `顾客${i + 1}`);
      await buyer('POST', '/api/distribution/bind', { share: share.token });
      const body = { items: [{ skuId: 13, quantity: 1 }], delivery: { kind: 'pickup', storeId: 'store-1' } };
      const quote = await buyer('POST', '/api/checkout/quote', body);
      const order = await buyer('POST', '/api/orders', { ...body, fingerprint: quote.fingerprint, idempotencyKey: randomUUID() });
      await merchant.post(`/api/merchant/orders/${order.id}/mark-paid`);
    }
  }
  await distribution({ mode: 'approval' });
  await (await shopper('shot-applicant', '想推广的小王'))('POST', '/api/distribution/promoter', {});

  const shots = [
    ['login', '/admin/login', null],
    ['overview', '/admin/overview', '[data-testid="kpi-gmv"]'],
    ['products', '/admin/products', null],
    ['product-editor', '/admin/products/1', null],
    ['orders', '/admin/orders', null],
    ['after-sales', '/admin/after-sales', null],
    ['marketing', '/admin/marketing', null],
    ['marketing-groups', '/admin/marketing?tab=groups', '[data-testid="group-table"]'],
    ['activity-dialog', '/admin/marketing?tab=activities', '[data-testid="activity-new"]', async (page) => {
      await page.click('[data-testid="activity-edit-' + activity.id + '"]');
      await page.locator('[data-testid="activity-dialog"]').waitFor();
    }],
    ['marketing-bargains', '/admin/marketing?tab=bargains', '[data-testid="bargain-table"]'],
    ['bargain-dialog', '/admin/marketing?tab=bargains', '[data-testid="bargain-edit-' + bargain.id + '"]', async (page) => {
      await page.click('[data-testid="bargain-edit-' + bargain.id + '"]');
      await page.locator('[data-testid="bargain-dialog"]').waitFor();
    }],
    ['distribution', '/admin/distribution', '[data-testid="promoter-table"] .el-table__row'],
    ['distribution-leaderboard', '/admin/distribution?tab=leaderboard', '[data-testid="rank-1"]'],
    ['distribution-settings', '/admin/distribution?tab=settings', '[data-testid="dist-save"]'],
    ['members', '/admin/members', null],
    ['delivery', '/admin/delivery', null],
    ['data', '/admin/data', null],
    ['settings', '/admin/settings', null],
  ];
  for (const [name, path, wait, act] of shots) {
    const { page, context } = await openConsole(browser, server, name === 'login' ? null : session, path);
    if (wait) await page.waitForSelector(wait).catch(() => {});
    if (act) await act(page);
    await page.waitForLoadState('networkidle').catch(() => {});
    await page.waitForTimeout(800); // charts animate in
    await page.screenshot({ path: join(out, `${name}.png`), fullPage: false });
    console.log(`docs/screenshots/console/${name}.png`);
    await context.close();
  }
} finally {
  await browser.close();
  await server.stop();
}
