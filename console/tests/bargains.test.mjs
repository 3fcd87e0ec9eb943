// 营销 → 砍价: a bargain activity created in the dialog (¥99 → ¥1, 5 helpers) stores
// 9900 and 100 fen; a floor above the start or fewer fen than helpers is refused and
// nothing is stored; shoppers start and help real bargains through the shopper API,
// and 结束 after a confirm ends the activity (状态 已结束, its bargains expire).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  apiLogin, fill, fillNumber, guarded, http, launchBrowser, openConsole, staffClient, startServer, tid, valueOf,
} from './harness.mjs';

const NUTS_750G = 15;
let server;
let browser;
let page;
let owner;
let activityId;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const session = await apiLogin(server.base);
  owner = staffClient(server.base, session);
  ({ page } = await openConsole(browser, server, session, '/admin/marketing?tab=bargains'));
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const guard = (t, f) => guarded(t, page, f);
const text = async (id) => (await page.locator(tid(id)).innerText()).trim();

/** A shopper signed in with `code`: (method, path, body) → {status, data}, refusals included. */
async function shopper(code) {
  const { data } = await http(server.base, 'POST', '/api/auth/login', { body: { code, nickname: code } });
  const headers = { authorization: `Bearer ${data.token}` };
  return async (method, path, body) => {
    try {
      return { status: 200, data: (await http(server.base, method, path, { body, headers })).data };
    } catch (e) {
      if (!e.status) throw e;
      return { status: e.status, data: e.body };
    }
  };
}

test('a bargain made in the dialog stores its yuan as fen; a floor above the start or too few fen for N is refused', (t) => guard(t, async () => {
  await page.click(tid('bargain-new'));
  const dialog = page.locator(tid('bargain-dialog'));
  await dialog.waitFor();
  assert.match(await text('bargain-rule'), /至少砍 ¥0\.01/);
  await fill(page, 'bargain-title', '坚果砍价');
  await fillNumber(page, 'bargain-sku', NUTS_750G);
  await fillNumber(page, 'bargain-helpers', 5);
  await fillNumber(page, 'bargain-helps-per-day', 2);
  await page.locator(tid('bargain-window')).click();
  await page.locator('.el-picker-panel__shortcut:visible', { hasText: '从现在起 30 天' }).click();
  // Refused before sending: a floor above the start, then 4 fen for 5 helpers.
  await fill(page, 'bargain-start', '1');
  await fill(page, 'bargain-floor', '2');
  await page.click(tid('bargain-save'));
  assert.equal(await text('bargain-error'), '底价须低于发起价');
  await fill(page, 'bargain-start', '0.05');
  await fill(page, 'bargain-floor', '0.01');
  await page.click(tid('bargain-save'));
  assert.equal(await text('bargain-error'), '可砍金额 4 分不足 5 人每人 0.01 元');
  assert.equal((await owner.get('/bargains')).items.length, 0, 'nothing stored');
  await fill(page, 'bargain-start', '99');
  await fill(page, 'bargain-floor', '1');
  await page.click(tid('bargain-save'));
  await dialog.waitFor({ state: 'hidden' });
  const { items } = await owner.get('/bargains');
  assert.equal(items.length, 1, JSON.stringify(items));
  const a = items[0];
  activityId = a.id;
  assert.equal(a.startPrice, 9900);
  assert.equal(a.floorPrice, 100);
  assert.equal(a.helpers, 5);
  assert.equal(a.helpsPerDay, 2);
  assert.equal(a.skuId, NUTS_750G);
  await page.locator(tid(`bargain-row-${a.id}`)).waitFor();
  assert.equal(await text(`bargain-prices-${a.id}`), '¥99.00 → ¥1.00');
  assert.equal(await text(`bargain-terms-${a.id}`), '5人助力 · 24小时 · 到底价才可购买');
  assert.equal(await text(`bargain-caps-${a.id}`), '每人发起 1 次 · 每人每天助力 2 次');
  assert.equal(await text(`bargain-status-${a.id}`), '进行中');
  // The server's own refusal (a body the dialog lets through but the server refuses) is shown in the dialog.
  await page.click(tid(`bargain-edit-${a.id}`));
  await dialog.waitFor();
  assert.equal(await valueOf(page, 'bargain-start'), '99.00');
  assert.equal(await valueOf(page, 'bargain-floor'), '1.00');
  await fillNumber(page, 'bargain-sku', 999999);
  await page.click(tid('bargain-save'));
  await page.locator(tid('bargain-error')).waitFor();
  assert.notEqual(await text('bargain-error'), '');
  assert.equal((await owner.get('/bargains')).items[0].skuId, NUTS_750G, 'unchanged');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
}));

test('shoppers start and help real bargains; 结束 ends the activity and its live bargains', (t) => guard(t, async () => {
  assert.ok(activityId, 'the activity of the first test');
  const a = await shopper('bargain-starter');
  const started = await a('POST', `/api/bargain-activities/${activityId}/start`, {});
  assert.equal(started.status, 200, JSON.stringify(started.data));
  assert.equal(started.data.progress.helpersNeeded, 5);
  const bargainId = started.data.id;
  assert.ok(bargainId, JSON.stringify(started.data));
  for (const code of ['bargain-helper-1', 'bargain-helper-2']) {
    const h = await shopper(code);
    const r = await h('POST', `/api/bargains/${bargainId}/help`, {});
    assert.ok(r.status < 300, JSON.stringify(r.data));
  }
  const helped = (await a('GET', `/api/bargains/${bargainId}`)).data;
  assert.equal(helped.progress.helpersLeft, 3, JSON.stringify(helped));
  assert.ok(helped.progress.currentPrice < 9900 && helped.progress.currentPrice > 100);
  await page.reload();
  await page.locator(tid(`bargain-row-${activityId}`)).waitFor();
  assert.equal(await text(`bargain-status-${activityId}`), '进行中');
  await page.click(tid(`bargain-end-${activityId}`));
  await page.locator('.el-message-box__btns .el-button--primary').click();
  await page.locator(tid(`bargain-end-${activityId}`)).waitFor({ state: 'detached' });
  assert.equal(await text(`bargain-status-${activityId}`), '已结束');
  const ended = (await owner.get('/bargains')).items[0];
  assert.ok(ended.endsAt <= Math.floor(Date.now() / 1000) + 1);
  const late = await shopper('bargain-helper-late');
  const r = await late('POST', `/api/bargains/${bargainId}/help`, {});
  assert.ok(r.status >= 400, `helping an ended bargain is refused: ${r.status} ${JSON.stringify(r.data)}`);
  assert.equal((await a('GET', `/api/bargains/${bargainId}`)).data.status, 'expired');
}));
