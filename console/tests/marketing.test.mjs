// 营销: a 满减 campaign created in the dialog after its 试算 (what-if) shows
// the hand-computed figures from two paid orders; the campaign then lists
// with its rule and the server stores its amounts as fen. A coupon's 每日限领
// and 允许转赠 are stored, listed and kept by an edit; an edit of only the
// title keeps every term of either validity mode (领取后天数 with its
// 领取截止, or a fixed window).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiLogin, fill, launchBrowser, openConsole, placeOrder, staffClient, startServer, tid, guarded, valueOf } from './harness.mjs';

const NUTS_750G = 15; // list price ¥129.00
let server;
let browser;
let page;
let owner;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const session = await apiLogin(server.base);
  owner = staffClient(server.base, session);
  // Two paid orders: ¥129 and ¥258. The seeded campaign is 满199减20 / 满399减50.
  await placeOrder(server, { skuId: NUTS_750G, quantity: 1 });
  await placeOrder(server, { skuId: NUTS_750G, quantity: 2 });
  ({ page } = await openConsole(browser, server, session, '/admin/marketing?tab=campaigns'));
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const guard = (t, f) => guarded(t, page, f);
/** unix seconds → `2026-12-04 09:30:15` (Beijing), as the date pickers show it. */
const beijing = (t) => new Date((t + 8 * 3600) * 1000).toISOString().slice(0, 19).replace('T', ' ');

test('a 满100减10 campaign is saved after its what-if shows the hand-computed cost', (t) => guard(t, async () => {
  await page.locator(tid('campaign-row-full-reduction')).waitFor();
  await page.click(tid('campaign-new'));
  await page.locator(tid('campaign-dialog')).waitFor();
  // Its id sorts after full-reduction, so 满199减20 keeps the ¥258 order and
  // 满100减10 takes only the ¥129 one: now 0 + 20 = ¥20, proposed 10 + 20 = ¥30.
  await fill(page, 'campaign-id', 'zz-100-10');
  await fill(page, 'campaign-threshold-0', '100');
  await fill(page, 'campaign-amount-0', '10');
  assert.equal(await page.locator(tid('campaign-save')).isDisabled(), true, 'save waits for the what-if');
  await page.click(tid('what-if-run'));
  await page.locator(tid('what-if-result')).waitFor();
  assert.equal((await page.locator(tid('what-if-orders')).innerText()).trim(), '2');
  assert.equal((await page.locator(tid('what-if-touched')).innerText()).trim(), '1');
  assert.equal((await page.locator(tid('what-if-cost-now')).innerText()).trim(), '¥20.00');
  assert.equal((await page.locator(tid('what-if-cost-proposed')).innerText()).trim(), '¥30.00');
  assert.equal((await page.locator(tid('what-if-cost-delta')).innerText()).trim(), '+¥10.00');
  await page.click(tid('campaign-save'));
  await page.locator(tid('campaign-rule-zz-100-10')).filter({ hasText: '满¥100.00减¥10.00' }).waitFor();
  const { items } = await owner.get('/marketing/campaigns');
  const saved = items.find((c) => c.campaignId === 'zz-100-10');
  assert.deepEqual(saved.rule.tiers, [{ threshold: 10000, amount: 1000 }]);
  assert.ok(items.some((c) => c.campaignId === 'full-reduction'), 'the other campaign stays');
  // The seeded campaign's ROI: the ¥258 order over its ¥20 (paid with shipping free over ¥99).
  const roi = await owner.get('/marketing/roi');
  assert.equal(roi.campaigns['full-reduction'].cost, 2000);
  assert.equal((await page.locator(tid('campaign-roi-full-reduction')).innerText()).trim(), roi.campaigns['full-reduction'].roi);
}));

test('a ¥5 无门槛 coupon is tried on both orders, then created and listed with its statistics', (t) => guard(t, async () => {
  await page.locator('.el-tabs__item', { hasText: '优惠券' }).click();
  await page.click(tid('coupon-new'));
  await page.locator(tid('coupon-dialog')).waitFor();
  await fill(page, 'coupon-title', '五元无门槛');
  await page.locator(tid('coupon-kind')).locator('.el-radio', { hasText: '无门槛券' }).click();
  await fill(page, 'coupon-amount', '5');
  await page.locator(tid('coupon-dialog')).locator(tid('what-if-run')).click();
  const result = page.locator(tid('coupon-dialog')).locator(tid('what-if-result'));
  await result.waitFor();
  assert.equal((await result.locator(tid('what-if-touched')).innerText()).trim(), '2');
  assert.equal((await result.locator(tid('what-if-cost-delta')).innerText()).trim(), '+¥10.00');
  await page.click(tid('coupon-save'));
  const { items } = await owner.get('/marketing/coupons');
  const created = items.find((c) => c.title === '五元无门槛');
  assert.deepEqual(created.kind, { kind: 'noThreshold', amount: 500 });
  await page.locator(tid(`coupon-issued-${created.id}`)).filter({ hasText: `0 / ${created.total}` }).waitFor();
}));

test('每日限领 and 允许转赠 set in the dialog are stored and listed; an edit keeps them, clearing 每日限领 stores none', (t) => guard(t, async () => {
  await page.click(tid('coupon-new'));
  const dialog = page.locator(tid('coupon-dialog'));
  await dialog.waitFor();
  assert.match(await dialog.locator(tid('coupon-transferable-help')).innerText(), /送给好友/);
  await fill(page, 'coupon-title', '可转赠十元券');
  await page.locator(tid('coupon-kind')).locator('.el-radio', { hasText: '无门槛券' }).click();
  await fill(page, 'coupon-amount', '10');
  await fill(page, 'coupon-per-day', '20');
  await page.locator(tid('coupon-per-day')).locator('input').press('Tab');
  await page.click(tid('coupon-transferable'));
  await page.click(tid('coupon-save'));
  await dialog.waitFor({ state: 'hidden' });
  const made = (await owner.get('/marketing/coupons')).items.find((c) => c.title === '可转赠十元券');
  assert.deepEqual([made.perDayLimit, made.transferable, made.perUserLimit], [20, true, 1]);
  await page.locator(tid(`coupon-transferable-${made.id}`)).filter({ hasText: '可转赠' }).waitFor();
  assert.equal((await page.locator(tid(`coupon-limits-${made.id}`)).innerText()).trim(), '1 / 20');
  const other = (await owner.get('/marketing/coupons')).items.find((c) => c.title === '五元无门槛');
  assert.equal(await page.locator(tid(`coupon-transferable-${other.id}`)).count(), 0, 'not transferable by default');
  assert.equal(other.perDayLimit, null);

  // An edit sends every term: a new title keeps both, then 每日限领 cleared is none.
  await page.click(tid(`coupon-edit-${made.id}`));
  await dialog.waitFor();
  await fill(page, 'coupon-title', '可转赠十元券（改）');
  await page.click(tid('coupon-save'));
  await dialog.waitFor({ state: 'hidden' });
  const edited = (await owner.get('/marketing/coupons')).items.find((c) => c.id === made.id);
  assert.deepEqual([edited.title, edited.perDayLimit, edited.transferable], ['可转赠十元券（改）', 20, true]);
  await page.click(tid(`coupon-edit-${made.id}`));
  await dialog.waitFor();
  await fill(page, 'coupon-per-day', '');
  await page.locator(tid('coupon-per-day')).locator('input').press('Tab');
  await page.click(tid('coupon-save'));
  await dialog.waitFor({ state: 'hidden' });
  await page.locator(tid(`coupon-limits-${made.id}`)).filter({ hasText: '1 / 不限' }).waitFor();
  assert.equal((await owner.get('/marketing/coupons')).items.find((c) => c.id === made.id).perDayLimit, null);
}));

/** Creates a batch through the API, edits only its title in the dialog (`shown` checks the open dialog), and returns it before and after. */
async function editTitle(terms, shown) {
  const before = await owner.post('/marketing/coupons', { kind: { kind: 'noThreshold', amount: 300 }, ...terms });
  await page.reload();
  await page.locator('.el-tabs__item', { hasText: '优惠券' }).click();
  await page.click(tid(`coupon-edit-${before.id}`));
  const dialog = page.locator(tid('coupon-dialog'));
  await dialog.waitFor();
  await shown();
  await fill(page, 'coupon-title', `${terms.title}（改）`);
  await page.click(tid('coupon-save'));
  await dialog.waitFor({ state: 'hidden' });
  const after = (await owner.get('/marketing/coupons')).items.find((c) => c.id === before.id);
  return { before, after };
}

test('an edit of a batch valid N days after claiming keeps its 领取截止 and every other term', (t) => guard(t, async () => {
  const validUntil = Math.floor(Date.now() / 1000) + 10 * 86400;
  const { before, after } = await editTitle({
    title: '领取后七天', validDays: 7, validUntil, total: 500, perUserLimit: 3, perDayLimit: 50,
    claimable: false, transferable: true,
  }, async () => {
    assert.equal(await valueOf(page, 'coupon-valid-days'), '7');
    assert.equal(await valueOf(page, 'coupon-claim-until'), beijing(validUntil));
    assert.match(await page.locator(tid('coupon-claim-until-help')).innerText(), /已领的券仍按领取后天数有效/);
  });
  assert.deepEqual({ ...after, title: before.title }, before);
  assert.equal(after.title, '领取后七天（改）');
  assert.deepEqual([after.validFrom, after.validDays, after.validUntil], [null, 7, validUntil]);
  assert.equal((await page.locator(tid(`coupon-validity-${after.id}`)).innerText()).trim(),
    `领取后 7 天，${beijing(validUntil).slice(0, 16)} 前可领`);
}));

test('an edit of a batch with a fixed window keeps the window and every other term', (t) => guard(t, async () => {
  const validFrom = Math.floor(Date.now() / 1000) - 86400;
  const { before, after } = await editTitle({
    title: '固定时间券', validFrom, validUntil: validFrom + 30 * 86400 + 59, total: 300, perUserLimit: 2,
    perDayLimit: null, claimable: true, transferable: false,
  }, async () => {
    assert.equal(await page.locator(tid('coupon-claim-until')).count(), 0, 'a window has no 领取截止');
    const range = page.locator(tid('coupon-window')).locator('input');
    assert.deepEqual([await range.nth(0).inputValue(), await range.nth(1).inputValue()],
      [beijing(validFrom), beijing(validFrom + 30 * 86400 + 59)]);
  });
  assert.deepEqual({ ...after, title: before.title }, before);
  assert.deepEqual([after.validFrom, after.validDays, after.validUntil], [validFrom, null, validFrom + 30 * 86400 + 59]);
}));
