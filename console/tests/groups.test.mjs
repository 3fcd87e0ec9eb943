// 营销 → 拼团: a group buy created in the dialog (拼团价 ¥9.90, 团长价 typed
// as 8.9 → 890 fen, a 2-hour window, 系统成团 at 60%, a share-reward coupon);
// shoppers then open and join real groups through the shopper API, and the
// 拼团 tab shows each group's status, seats and 还差N人 in Beijing time; the
// leader's paid order waits as 待成团 on 订单.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  apiLogin, choose, fill, fillNumber, guarded, http, launchBrowser, merchantClient, openConsole, staffClient, startServer, tid,
  valueOf,
} from './harness.mjs';

const NUTS_750G = 15; // list price ¥129.00
const PICKUP = { kind: 'pickup', storeId: 'store-1' };
let server;
let browser;
let page;
let owner;
let session;
let reward;
let activityId;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  session = await apiLogin(server.base);
  owner = staffClient(server.base, session);
  reward = await owner.post('/marketing/coupons', {
    title: '分享奖励5元', kind: { kind: 'noThreshold', amount: 500 }, validDays: 7, total: 100, perUserLimit: 1,
  });
  ({ page } = await openConsole(browser, server, session, '/admin/marketing?tab=activities'));
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const guard = (t, f) => guarded(t, page, f);
const beijing = (t) => new Date((t + 8 * 3600) * 1000).toISOString().slice(0, 16).replace('T', ' ');
const text = async (id) => (await page.locator(tid(id)).innerText()).trim();

/** A shopper signed in with `code` (a new user per code). */
async function shopper(code, nickname) {
  const { data } = await http(server.base, 'POST', '/api/auth/login', { body: { code, nickname } });
  const headers = { authorization: `Bearer ${data.token}` };
  return async (method, path, body) => (await http(server.base, method, path, { body, headers })).data;
}

/** Places a group-buy order (group `{}` opens one, `{groupId}` joins); paid through the merchant route when `pay`. */
async function groupOrder(call, activity, group, { pay }) {
  const body = { items: [{ skuId: NUTS_750G, quantity: 1, activityId: activity }], delivery: PICKUP, group };
  const quote = await call('POST', '/api/checkout/quote', body);
  const order = await call('POST', '/api/orders', {
    ...body, fingerprint: quote.fingerprint, idempotencyKey: `groups-${Date.now()}-${Math.random()}`,
  });
  if (pay) await merchantClient(server).post(`/api/merchant/orders/${order.id}/mark-paid`);
  return order;
}

/** The group the shopper's order is in (the shopper's 我的拼团). */
async function groupOf(call, order) {
  const mine = await call('GET', '/api/member/groups');
  const g = mine.items.find((x) => x.orderId === order.id);
  assert.ok(g, `order ${order.id} is in a group: ${JSON.stringify(mine)}`);
  return g.groupId;
}

test('a group buy is created in the dialog with its 团长价 typed in yuan and stored as fen', (t) => guard(t, async () => {
  await page.click(tid('activity-new'));
  const dialog = page.locator(tid('activity-dialog'));
  await dialog.waitFor();
  assert.equal(await page.locator(tid('activity-group-window')).count(), 0, 'a flash sale has no group fields');
  assert.equal(await page.locator(tid('activity-leader-price-0')).count(), 0);
  await page.locator(tid('activity-kind')).locator('.el-radio', { hasText: '拼团' }).click();
  await fill(page, 'activity-title', '坚果三人团');
  await page.locator(tid('activity-window')).click();
  await page.locator('.el-picker-panel__shortcut:visible', { hasText: '从现在起 30 天' }).click();
  await fillNumber(page, 'activity-group-size', 3);
  await fillNumber(page, 'activity-group-window', 2);
  await page.locator(tid('activity-group-auto')).click();
  await fillNumber(page, 'activity-group-auto-percent', 60);
  assert.match(await text('activity-group-auto-note'), /不会虚拟凑人/);
  await choose(page, 'activity-share-reward', `分享奖励5元（#${reward.id}）`);
  await fill(page, 'activity-sku-0', NUTS_750G);
  await page.locator(tid('activity-sku-0')).locator('input').press('Tab');
  await fill(page, 'activity-price-0', '9.9');
  // A 团长价 above the group price is refused before anything is sent.
  await fill(page, 'activity-leader-price-0', '10');
  await page.click(tid('activity-save'));
  assert.match(await text('activity-error'), /团长价不能高于拼团价/);
  assert.equal((await owner.get('/marketing/activities')).items.filter((a) => a.kind === 'groupBuy').length, 0);
  await fill(page, 'activity-leader-price-0', '8.9');
  await page.click(tid('activity-save'));
  await dialog.waitFor({ state: 'hidden' });
  const { items } = await owner.get('/marketing/activities');
  const saved = items.find((a) => a.title === '坚果三人团');
  assert.ok(saved, JSON.stringify(items));
  activityId = saved.id;
  assert.equal(saved.kind, 'groupBuy');
  assert.equal(saved.groupSize, 3);
  assert.equal(saved.groupWindowHours, 2);
  assert.equal(saved.groupAutoPercent, 60);
  assert.equal(saved.shareRewardTemplateId, reward.id);
  assert.equal(saved.skus.length, 1);
  assert.equal(saved.skus[0].skuId, NUTS_750G);
  assert.equal(saved.skus[0].price, 990);
  assert.equal(saved.skus[0].leaderPrice, 890);
  assert.ok(saved.startsAt <= Math.floor(Date.now() / 1000), 'running now');
  assert.equal(await text(`activity-group-${saved.id}`), `3人团 · 2小时 · 系统成团 ≥60% · 分享奖励券 #${reward.id}`);
  // Editing shows the stored fen as yuan again.
  await page.click(tid(`activity-edit-${saved.id}`));
  await dialog.waitFor();
  assert.equal(await valueOf(page, 'activity-leader-price-0'), '8.90');
  assert.equal(await valueOf(page, 'activity-price-0'), '9.90');
  assert.equal(await valueOf(page, 'activity-group-window'), '2');
  assert.equal(await valueOf(page, 'activity-group-auto-percent'), '60');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
}));

test('the 拼团 tab lists real groups with their status, seats and 还差N人; a leader waiting shows 待成团 on 订单', (t) => guard(t, async () => {
  assert.ok(activityId, 'the group buy of the first test');
  // A 2-person group buy, formed below.
  const pair = await owner.post('/marketing/activities', {
    kind: 'groupBuy', title: '坚果两人团', startsAt: Math.floor(Date.now() / 1000) - 60, endsAt: Math.floor(Date.now() / 1000) + 86400,
    groupSize: 2, skus: [{ skuId: NUTS_750G, price: 1000 }],
  });
  // Group 1 (3 seats): the leader paid (¥8.90), a joiner holds a seat unpaid → 拼团中, 2 held / 1 paid, 还差2人.
  const a = await shopper('groups-leader-a', '团长小安');
  const aOrder = await groupOrder(a, activityId, {}, { pay: true });
  assert.equal(aOrder.payable, 890, 'the leader pays the 团长价');
  const g1 = await groupOf(a, aOrder);
  const b = await shopper('groups-joiner-b', '团员小白');
  const bOrder = await groupOrder(b, activityId, { groupId: g1 }, { pay: false });
  assert.equal(bOrder.payable, 990, 'a joiner pays the group price');
  // Group 2: its leader never paid → 待支付, 还差3人.
  const c = await shopper('groups-leader-c', '团长小陈');
  const g2 = await groupOf(c, await groupOrder(c, activityId, {}, { pay: false }));
  // Group 3 (2 seats): leader and joiner paid → 已成团.
  const d = await shopper('groups-leader-d', '团长小丁');
  const g3 = await groupOf(d, await groupOrder(d, pair.id, {}, { pay: true }));
  const e = await shopper('groups-joiner-e', '团员小鄂');
  await groupOrder(e, pair.id, { groupId: g3 }, { pay: true });

  const listed = await owner.get('/groups');
  const byId = new Map(listed.items.map((g) => [g.groupId, g]));
  assert.deepEqual([g1, g2, g3].map((id) => byId.get(id)?.status), ['open', 'pending', 'success'], JSON.stringify(listed));

  await page.click(tid('marketing-tab-groups'));
  await page.locator(tid(`group-row-${g3}`)).waitFor();
  assert.equal(await text(`group-status-${g1}`), '拼团中');
  assert.equal(await text(`group-needed-${g1}`), '还差2人');
  assert.equal(await text(`group-seats-${g1}`), '2 / 1');
  assert.equal(await text(`group-leader-${g1}`), '团长小安');
  assert.equal(await text(`group-activity-${g1}`), '坚果三人团');
  assert.equal(await text(`group-expires-${g1}`), `截止 ${beijing(byId.get(g1).expiresAt)}`);
  assert.equal(await text(`group-status-${g2}`), '待支付');
  assert.equal(await text(`group-needed-${g2}`), '还差3人');
  assert.equal(await text(`group-status-${g3}`), '已成团');
  assert.equal(await text(`group-needed-${g3}`), '—');
  assert.equal(await text(`group-seats-${g3}`), '2 / 2');
  assert.match(await text('group-pager'), /共 3 条/);

  // Filters: by status, then by activity.
  await choose(page, 'group-filter-status', '已成团');
  await page.locator(tid(`group-row-${g1}`)).waitFor({ state: 'detached' });
  assert.equal(await page.locator(tid(`group-row-${g3}`)).count(), 1);
  assert.match(await text('group-pager'), /共 1 条/);
  await page.locator(tid('group-filter-status')).hover();
  await page.locator(tid('group-filter-status')).locator('.el-select__clear').click();
  await page.locator(tid(`group-row-${g1}`)).waitFor();
  await choose(page, 'group-filter-activity', '坚果三人团');
  await page.locator(tid(`group-row-${g3}`)).waitFor({ state: 'detached' });
  assert.equal(await page.locator(tid(`group-row-${g1}`)).count(), 1);
  assert.equal(await page.locator(tid(`group-row-${g2}`)).count(), 1);

  // The leader's order is paid but waits for the group: 待成团 on 订单.
  assert.equal((await owner.get(`/orders/${aOrder.id}`)).status, 'grouping');
  await page.goto(`${server.base}/admin/orders?status=grouping`);
  await page.locator(tid(`order-row-${aOrder.orderNo}`)).waitFor();
  assert.equal(await text(`order-status-${aOrder.orderNo}`), '待成团');
  assert.match(await text('order-tab-grouping'), /待成团/);
}));
