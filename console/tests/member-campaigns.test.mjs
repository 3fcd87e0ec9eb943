// 营销 → 会员营销: the demo shop's three member campaigns are on (the demo seed); the
// shop's clock starts 5 s into Wednesday 2026-12-09 in Beijing (MALL_CLOCK_START), so
// the job run at start-up acts on 周三会员日's slot and on the 7-day recall for the demo
// members (黄金 and 钻石). One reached member pays an order with the member-day coupon;
// the tab then shows every campaign's effect (reached vs holdout, orders, GMV in yuan,
// repurchase and its increment, coupons granted and used) as the server measures it.
// In the dialog: switched off without a coupon is saved; switched on without one the
// server's 422 shows under 发放优惠券 and nothing changes; with a coupon chosen, 试算
// shows the server's own dry run of the dialog's settings, and 保存 switches it on.
// The audience: a member tag given in 会员 is offered in the dialog; the segments
// checked and that tag chosen are what the server then holds, nothing else changed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  apiLogin, choose, fill, guarded, http, launchBrowser, merchantClient, openConsole, staffClient, startServer, tid,
} from './harness.mjs';

const WEDNESDAY = Date.parse('2026-12-09T00:00:00+08:00') / 1000;
const NUTS_750G = 15; // list price ¥129.00
const PICKUP = { kind: 'pickup', storeId: 'store-1' };
let server;
let browser;
let page;
let owner;
let paid;

const yuan = (fen) => `${fen < 0 ? '-' : ''}¥${Math.trunc(Math.abs(fen) / 100)}.${String(Math.abs(fen) % 100).padStart(2, '0')}`;
const campaign = async (id) => (await owner.get('/member-campaigns')).find((c) => c.id === id);

/** A shopper signed in with `code`: their API client. */
async function shopper(code) {
  const { data } = await http(server.base, 'POST', '/api/auth/login', { body: { code } });
  const headers = { authorization: `Bearer ${data.token}` };
  return async (method, path, body) => (await http(server.base, method, path, { body, headers })).data;
}

before(async () => {
  server = await startServer({ env: { MALL_CLOCK_START: String(WEDNESDAY + 5) } });
  browser = await launchBrowser();
  const session = await apiLogin(server.base);
  owner = staffClient(server.base, session);
  // The job's first run, at start-up: all ten demo members decided for the member day.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const e = (await campaign('memberDay')).effect;
    if (e.reached.members + e.holdout.members === 10) break;
    if (Date.now() > deadline) throw new Error(`the member day did not run: ${JSON.stringify(e)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  // A member who received the member-day coupon spends it on a ¥129.00 order.
  const day = await campaign('memberDay');
  for (let i = 1; i <= 10 && !paid; i++) {
    const call = await shopper(`vip-${i}`);
    const wallet = await call('GET', '/api/member/coupons?status=available');
    const coupon = (Array.isArray(wallet) ? wallet : wallet.items).find((c) => c.templateId === day.couponTemplateId);
    if (!coupon) continue;
    const body = {
      items: [{ skuId: NUTS_750G, quantity: 1 }], delivery: PICKUP,
      coupons: { kind: 'manual', couponIds: [String(coupon.id)] }, points: { kind: 'none' },
    };
    const quote = await call('POST', '/api/checkout/quote', body);
    const order = await call('POST', '/api/orders', { ...body, fingerprint: quote.fingerprint, idempotencyKey: `mc-${Date.now()}` });
    await merchantClient(server).post(`/api/merchant/orders/${order.id}/mark-paid`);
    paid = await call('GET', `/api/orders/${order.id}`);
  }
  assert.ok(paid, 'a demo member holds the member-day coupon');
  ({ page } = await openConsole(browser, server, session, '/admin/marketing?tab=memberCampaigns'));
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const guard = (t, f) => guarded(t, page, f);
const text = async (id) => (await page.locator(tid(id)).innerText()).trim();
const increment = (pp) => (pp.startsWith('-') || pp === '0.00' ? `${pp}pp` : `+${pp}pp`);

test('the campaigns that ran show their effect against the holdout as the server measures it', (t) => guard(t, async () => {
  await page.locator(tid('mc-row-memberDay')).waitFor();
  const list = await owner.get('/member-campaigns');
  // 优惠券到期提醒 is a campaign too (a message, no coupon), on in every shop.
  assert.deepEqual(list.map((c) => [c.id, c.enabled]), [['couponExpiry', true], ['dormantRecall', true], ['memberDay', true], ['newArrivals', true]]);
  assert.equal(await text('mc-coupon-couponExpiry'), '订阅消息：优惠券到期提醒');
  const day = list.find((c) => c.id === 'memberDay').effect;
  assert.equal(day.reached.orders, 1, JSON.stringify(day));
  assert.equal(day.reached.gmv, paid.payable);
  assert.equal(day.couponsUsed, 1);
  assert.equal(day.couponsGranted, day.reached.members);
  assert.ok(day.reached.members > 0 && day.holdout.members > 0, JSON.stringify(day));
  for (const { id, effect: e } of list) {
    for (const g of ['reached', 'holdout']) {
      assert.equal(await text(`mc-${g}-members-${id}`), String(e[g].members), `${id} ${g}`);
      assert.equal(await text(`mc-${g}-buyers-${id}`), String(e[g].buyers), `${id} ${g}`);
      assert.equal(await text(`mc-${g}-orders-${id}`), String(e[g].orders), `${id} ${g}`);
      assert.equal(await text(`mc-${g}-gmv-${id}`), yuan(e[g].gmv), `${id} ${g}`);
      assert.equal(await text(`mc-${g}-rate-${id}`), `${e[g].repurchaseRate}%`, `${id} ${g}`);
    }
    assert.equal(await text(`mc-granted-${id}`), String(e.couponsGranted), id);
    assert.equal(await text(`mc-used-${id}`), String(e.couponsUsed), id);
    assert.equal(await text(`mc-increment-${id}`), increment(e.incrementalRepurchase), id);
  }
  assert.equal(await text('mc-reached-gmv-memberDay'), yuan(paid.payable));
  // The demo shopper (白银) is below the demo campaigns' 黄金: no campaign coupon in the wallet.
  const demo = await shopper('demo');
  const wallet = await demo('GET', '/api/member/coupons');
  const granted = new Set(list.map((c) => c.couponTemplateId));
  assert.deepEqual((Array.isArray(wallet) ? wallet : wallet.items).filter((c) => granted.has(c.templateId)), []);
  assert.equal(await text('mc-trigger-memberDay'), '每周三 00:00（北京时间）');
  assert.equal(await text('mc-audience-memberDay'), '黄金会员及以上');
  assert.equal(await text('mc-holdout-memberDay'), '10.00%');
  assert.equal(await text('mc-coupon-memberDay'), '会员日专享 满100减15');
}));

test('switched off without a coupon is saved; the list says so', (t) => guard(t, async () => {
  await page.click(tid('mc-edit-memberDay'));
  const dialog = page.locator(tid('mc-dialog'));
  await dialog.waitFor();
  await page.click(tid('mc-enabled'));
  await page.locator(tid('mc-coupon')).hover();
  await page.locator(tid('mc-coupon')).locator('.el-select__clear').click();
  await page.click(tid('mc-save'));
  await dialog.waitFor({ state: 'hidden' });
  const c = await campaign('memberDay');
  assert.deepEqual([c.enabled, c.couponTemplateId], [false, null]);
  await page.locator(tid('mc-status-memberDay')).filter({ hasText: '未开启' }).waitFor();
  assert.equal(await text('mc-coupon-memberDay'), '未选择');
}));

test('switched on without a coupon: the server\'s 422 under 发放优惠券, nothing saved; with one, 试算 is the server\'s dry run and 保存 switches it on', (t) => guard(t, async () => {
  const before = await campaign('memberDay');
  await page.click(tid('mc-edit-memberDay'));
  const dialog = page.locator(tid('mc-dialog'));
  await dialog.waitFor();
  await page.click(tid('mc-enabled'));
  await page.click(tid('mc-save'));
  const settings = {
    enabled: true, trigger: before.trigger, audience: before.audience, caps: before.caps,
    holdoutBps: before.holdoutBps, couponTemplateId: null,
  };
  const refused = await owner.put('/member-campaigns/memberDay', settings).then(() => null, (e) => e);
  assert.equal(refused?.status, 422);
  assert.equal(refused.body.code, 'CAMPAIGN_COUPON_INVALID');
  const shown = page.locator(tid('mc-item-couponTemplateId')).locator('.el-form-item__error');
  await shown.waitFor();
  assert.equal((await shown.innerText()).trim(), `${refused.body.message}（${refused.body.details.reason}）`);
  assert.deepEqual(await campaign('memberDay'), before);

  // A coupon, 20% held out, and 白银 and above: the demo shopper (白银) joins the audience.
  const coupons = (await owner.get('/marketing/coupons')).items;
  const chosen = coupons.find((c) => c.title === '会员日专享 满100减15');
  await choose(page, 'mc-coupon', chosen.title);
  await fill(page, 'mc-holdout', '20');
  await choose(page, 'mc-min-level', '白银会员及以上');
  await page.click(tid('mc-dry-run-button'));
  const result = dialog.locator(tid('mc-dry-run-result'));
  await result.waitFor();
  await shown.waitFor({ state: 'detached' }); // 试算 clears the refusal
  const proposed = { ...settings, holdoutBps: 2000, couponTemplateId: chosen.id, audience: { ...before.audience, minLevel: 1 } };
  const dry = await owner.post('/member-campaigns/memberDay/dry-run', proposed);
  assert.equal(dry.sent + dry.heldOut, 1, `the demo shopper, not yet decided this Wednesday: ${JSON.stringify(dry)}`);
  assert.equal(await text('mc-dry-sent'), String(dry.sent));
  assert.equal(await text('mc-dry-held-out'), String(dry.heldOut));
  assert.equal(await text('mc-dry-capped'), String(dry.campaignCapReached + dry.weeklyCapReached));
  assert.equal(await text('mc-dry-outside'), String(dry.notInAudience));
  assert.equal(await text('mc-dry-already'), String(dry.already));
  await page.click(tid('mc-save'));
  await dialog.waitFor({ state: 'hidden' });
  const c = await campaign('memberDay');
  assert.deepEqual(
    [c.enabled, c.couponTemplateId, c.holdoutBps, c.audience.minLevel],
    [true, chosen.id, 2000, 1],
  );
  await page.locator(tid('mc-status-memberDay')).filter({ hasText: '已开启' }).waitFor();
  assert.equal(await text('mc-coupon-memberDay'), chosen.title);
  assert.equal(await text('mc-holdout-memberDay'), '20.00%');
  assert.equal(await text('mc-audience-memberDay'), '白银会员及以上');
}));

test('the audience: a tag given in 会员 is offered in the dialog; the segments and that tag chosen are saved, the rest unchanged', (t) => guard(t, async () => {
  const [member] = (await owner.get('/members?pageSize=1')).items;
  await owner.put(`/members/${member.id}/tags`, { tags: ['高价值'] });
  const before = await campaign('newArrivals');
  await page.reload();
  await page.click(tid('mc-edit-newArrivals'));
  const dialog = page.locator(tid('mc-dialog'));
  await dialog.waitFor();
  const segments = dialog.locator(tid('mc-segments'));
  for (const s of ['新客', '高频', '活跃', '流失风险', '沉睡']) await segments.locator('.el-checkbox').filter({ hasText: s }).waitFor();
  const checked = async () => (await segments.locator('.el-checkbox.is-checked').allInnerTexts()).map((s) => s.trim());
  for (const s of ['流失风险', '沉睡']) {
    if (!(await checked()).includes(s)) await segments.locator('.el-checkbox').filter({ hasText: s }).click();
  }
  await choose(page, 'mc-tags', '高价值'); // one of the shop's tags (GET /member-tags)
  await page.keyboard.press('Escape');
  await page.click(tid('mc-save'));
  await dialog.waitFor({ state: 'hidden' });
  const c = await campaign('newArrivals');
  assert.deepEqual([...c.audience.segments].sort(), [...new Set([...before.audience.segments, 'atRisk', 'dormant'])].sort());
  assert.deepEqual(c.audience.tags, [...before.audience.tags, '高价值']);
  assert.deepEqual(
    [c.enabled, c.trigger, c.caps, c.holdoutBps, c.couponTemplateId, c.audience.minLevel, c.audience.noOrderDays],
    [before.enabled, before.trigger, before.caps, before.holdoutBps, before.couponTemplateId, before.audience.minLevel, before.audience.noOrderDays],
  );
  const shown = await text('mc-audience-newArrivals');
  assert.match(shown, /流失风险/);
  assert.match(shown, /沉睡/);
  assert.match(shown, /标签 (.*\/)?高价值/);
}));
