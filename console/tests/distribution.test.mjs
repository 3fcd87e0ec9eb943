// 分销: the shop's clock starts 35 s before 2026-12-01 00:00 Beijing
// (MALL_CLOCK_START). Before the month ends a promoter's link brings a new
// buyer whose ¥129.00 order is paid, so the promoter tops November's
// leaderboard; once December has begun the month-end job grants the ¥600.00
// cash reward and the promoter withdraws it, above the ¥500.00 review
// threshold. Then, in the page: 设置 refuses rates adding up to more than 1
// beside the field and saves the approval mode with two levels; in 推广员 one
// shopper's application is approved and another's rejected; the withdrawal is
// approved in 提现; 排行榜 shows November's ranking and reward.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  apiLogin, fill, guarded, http, launchBrowser, merchantClient, openConsole, staffClient, startServer, tid, valueOf,
} from './harness.mjs';

const DECEMBER = Date.parse('2026-12-01T00:00:00+08:00') / 1000;
const LEAD = 35;
const NUTS_750G = 15; // list price ¥129.00
const PRODUCT = 1;
const PICKUP = { kind: 'pickup', storeId: 'store-1' };
let server;
let browser;
let page;
let owner;
let promoterId;
let withdrawal;

/** A shopper signed in with `code` (a new user per code): [call, userId]. */
async function shopper(code, nickname) {
  const { data } = await http(server.base, 'POST', '/api/auth/login', { body: { code, nickname } });
  const headers = { authorization: `Bearer ${data.token}` };
  return [async (method, path, body) => (await http(server.base, method, path, { body, headers })).data, data.userId];
}

before(async () => {
  server = await startServer({ env: { MALL_CLOCK_START: String(DECEMBER - LEAD) } });
  browser = await launchBrowser();
  const session = await apiLogin(server.base);
  owner = staffClient(server.base, session);
  await owner.put('/distribution/settings', {
    enabled: true, mode: 'everyone', levels: 1, rates: ['0.1'], selfPurchase: false, bindingDays: null, frozenDays: 7,
    withdrawMin: 100, withdrawDailyCap: 100000, reviewAbove: 50000, leaderboardTop: 10, leaderboardCash: 60000,
  });
  // November: the promoter's link, a new buyer bound to it, a paid order.
  const [promoter, id] = await shopper('dist-promoter', '推广达人');
  promoterId = id;
  assert.equal((await promoter('POST', '/api/distribution/promoter', {})).status, 'approved');
  const share = await promoter('POST', '/api/share', { kind: 'product', targetId: PRODUCT });
  const [buyer] = await shopper('dist-buyer', '新顾客');
  assert.equal((await buyer('POST', '/api/distribution/bind', { share: share.token })).bound, true);
  const body = { items: [{ skuId: NUTS_750G, quantity: 1 }], delivery: PICKUP };
  const quote = await buyer('POST', '/api/checkout/quote', body);
  const order = await buyer('POST', '/api/orders', { ...body, fingerprint: quote.fingerprint, idempotencyKey: `dist-${Date.now()}` });
  await merchantClient(server).post(`/api/merchant/orders/${order.id}/mark-paid`);
  assert.equal((await owner.get('/distribution/leaderboard')).month, '2026-11', 'the sale is in November');
  // December: the month-end job rewards November once; the reward is withdrawn.
  for (;;) {
    if ((await owner.get('/distribution/leaderboard')).month === '2026-12') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  await merchantClient(server).post('/api/merchant/jobs/run');
  const nov = await owner.get('/distribution/leaderboard?month=2026-11');
  assert.deepEqual(nov.rewards.map((r) => [r.promoterId, r.cash]), [[promoterId, 60000]], JSON.stringify(nov));
  withdrawal = (await promoter('POST', '/api/distribution/withdrawals', { amount: 60000 })).withdrawal;
  assert.equal(withdrawal.state, 'REVIEWING');
  ({ page } = await openConsole(browser, server, session, '/admin/distribution?tab=settings'));
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const guard = (t, f) => guarded(t, page, f);
const text = async (id) => (await page.locator(tid(id)).innerText()).trim();

/** Waits until the input `id` (its data-testid on the input or its wrapper) shows `want`. */
async function shows(id, want) {
  const deadline = Date.now() + 10_000;
  let got;
  while ((got = await valueOf(page, id).catch(() => null)) !== want) {
    if (Date.now() > deadline) assert.fail(`${id} shows ${got}, not ${want}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The input element of `id` (the data-testid on the input or its wrapper). */
const inputOf = (id) => page.locator(`input${tid(id)}, ${tid(id)} input`).first();

test('设置 refuses rates adding up to more than 1 beside the field, then saves approval mode with two levels', (t) => guard(t, async () => {
  await page.locator(tid('dist-settings')).waitFor();
  await shows('dist-leaderboard-cash', '600.00');
  assert.equal(await valueOf(page, 'dist-review-above'), '500.00');
  await page.locator(tid('dist-mode')).locator('.el-radio', { hasText: '申请审核' }).click();
  await page.locator(tid('dist-levels')).locator('.el-radio', { hasText: '二级' }).click();
  await fill(page, 'dist-rate-0', '0.6');
  await fill(page, 'dist-rate-1', '0.5');
  assert.equal(await text('dist-rate-hint-0'), '60.00%');
  await page.click(tid('dist-save'));
  const item = page.locator(tid('dist-item-rates')).locator('.el-form-item__error');
  await item.waitFor();
  assert.match(await item.innerText(), /rates add up to more than 1/);
  assert.equal((await owner.get('/distribution/settings')).mode, 'everyone', 'nothing saved');
  await fill(page, 'dist-rate-0', '0.10');
  await fill(page, 'dist-rate-1', '0.05');
  await page.click(tid('dist-save'));
  await page.locator('.el-message--success').filter({ hasText: '分销设置已保存' }).waitFor();
  await page.locator(tid('dist-item-rates')).locator('.el-form-item__error').waitFor({ state: 'detached' });
  const saved = await owner.get('/distribution/settings');
  assert.equal(saved.mode, 'approval');
  assert.equal(saved.levels, 2);
  assert.deepEqual(saved.rates, ['0.1', '0.05']);
  assert.equal(saved.leaderboardCash, 60000, 'the untouched fields keep their fen');
  assert.equal(saved.reviewAbove, 50000);
  const audit = await owner.get('/audit');
  assert.equal(audit.items.filter((e) => e.action === 'distribution.settings').length, 2);
}));

test('推广员: two shoppers apply; the owner approves one and rejects the other', (t) => guard(t, async () => {
  const [applicant, id] = await shopper('dist-applicant', '想推广的小王');
  assert.equal((await applicant('POST', '/api/distribution/promoter', {})).status, 'applied');
  const [other, otherId] = await shopper('dist-other', '路过的小李');
  assert.equal((await other('POST', '/api/distribution/promoter', {})).status, 'applied');
  await page.click(tid('dist-tab-promoters'));
  await page.locator(tid('promoter-filter-applied')).click();
  await page.locator(tid(`promoter-row-${id}`)).waitFor();
  assert.equal(await page.locator(tid(`promoter-row-${promoterId}`)).count(), 0, 'only applications');
  assert.equal(await text(`promoter-status-${id}`), '待审核');
  await page.click(tid(`promoter-approve-${id}`));
  await page.locator('.el-message-box').getByText('想推广的小王').waitFor();
  await page.locator('.el-message-box__btns .el-button--primary').click();
  await page.locator(tid(`promoter-row-${id}`)).waitFor({ state: 'detached' });
  await page.locator(tid('promoter-filter-all')).click();
  await page.locator(tid(`promoter-row-${id}`)).waitFor();
  assert.equal(await text(`promoter-status-${id}`), '已通过');
  assert.equal(await page.locator(tid(`promoter-approve-${id}`)).count(), 0);
  assert.equal((await applicant('GET', '/api/distribution/center')).promoter.status, 'approved');
  await page.click(tid(`promoter-reject-${otherId}`));
  await page.locator('.el-message-box').getByText('路过的小李').waitFor();
  await page.locator('.el-message-box__btns .el-button--primary').click();
  await page.locator('.el-message--success').filter({ hasText: '已拒绝' }).waitFor();
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent.trim() === '已拒绝', tid(`promoter-status-${otherId}`));
  assert.equal((await other('GET', '/api/distribution/center')).promoter.status, 'rejected');
  // The promoter's ledger: November's commission, pending until received.
  await page.click(tid(`promoter-ledger-${promoterId}`));
  await page.locator(tid('ledger-pending')).waitFor();
  assert.equal(await text('ledger-pending'), '¥12.90');
  assert.equal(await text('ledger-withdrawing'), '¥600.00');
  await page.keyboard.press('Escape');
}));

test('提现: the withdrawal above the threshold is approved and its transfer bill created', (t) => guard(t, async () => {
  await page.click(tid('dist-tab-withdrawals'));
  await page.locator(tid(`withdrawal-row-${withdrawal.id}`)).waitFor();
  assert.equal(await text(`withdrawal-amount-${withdrawal.id}`), '¥600.00');
  assert.equal(await text(`withdrawal-state-${withdrawal.id}`), '待审核');
  assert.equal(await text(`withdrawal-nickname-${withdrawal.id}`), '推广达人');
  await page.click(tid(`withdrawal-approve-${withdrawal.id}`));
  await page.locator('.el-message-box').getByText('¥600.00').waitFor();
  await page.locator('.el-message-box__btns .el-button--primary').click();
  await page.locator(tid(`withdrawal-row-${withdrawal.id}`)).waitFor({ state: 'detached' });
  const { items } = await owner.get('/distribution/withdrawals');
  assert.equal(items.find((w) => w.id === withdrawal.id).state, 'WAIT_USER_CONFIRM');
  await page.locator(tid('withdrawal-filter')).hover();
  await page.locator(tid('withdrawal-filter')).locator('.el-select__clear').click();
  await page.locator(tid(`withdrawal-row-${withdrawal.id}`)).waitFor();
  assert.equal(await text(`withdrawal-state-${withdrawal.id}`), '待用户确认');
  assert.equal(await page.locator(tid(`withdrawal-approve-${withdrawal.id}`)).count(), 0);
}));

test('排行榜: November shows the promoter first with the ¥600.00 reward', (t) => guard(t, async () => {
  await page.click(tid('dist-tab-leaderboard'));
  await shows('leaderboard-month', '2026-12');
  const input = inputOf('leaderboard-month');
  await input.fill('2026-11');
  await input.press('Enter');
  await page.locator(tid('rank-1')).waitFor();
  assert.equal(await text('rank-nickname-1'), '推广达人');
  assert.equal(await text('rank-sales-1'), '¥129.00');
  assert.equal(await text('reward-nickname-1'), '推广达人');
  assert.equal(await text('reward-1'), '现金 ¥600.00');
}));
