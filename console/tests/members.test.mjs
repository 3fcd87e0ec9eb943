// 会员 and 配送: a level's discount changed in the 会员等级 table reaches the
// shopper's next checkout quote (through the API); a refused rate shows the
// core's error and is not saved; a 包邮门槛 typed in yuan is saved as fen and
// makes the next quote's express free; the member list shows the spend, the
// segment the server's job computed (filtered by segment with its count, its
// changes in the drawer) and the tags typed in the drawer (saved exactly, an
// 11-character one refused at the field, the tag filter listing exactly the
// tagged members).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiLogin, fill, launchBrowser, openConsole, placeOrder, shopperClient, staffClient, startServer, tid, guarded } from './harness.mjs';

let server;
let browser;
let page;
let owner;
let shopper;
let addressId;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const session = await apiLogin(server.base);
  owner = staffClient(server.base, session);
  shopper = await shopperClient(server);
  ({ page } = await openConsole(browser, server, session, '/admin/members'));
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const guard = (t, f) => guarded(t, page, f);

/** The demo shopper's quote for one white tee (¥59) by express to their address. */
async function quoteTee() {
  if (!addressId) {
    const a = await shopper('POST', '/api/addresses', {
      name: '张三', phone: '13800138000', regionCode: '310115', province: '上海市', city: '上海市',
      district: '浦东新区', detail: '世纪大道100号', isDefault: true,
    });
    addressId = a.id;
  }
  return shopper('POST', '/api/checkout/quote', {
    items: [{ skuId: 1, quantity: 1 }], addressId, coupons: { kind: 'none' }, points: { kind: 'none' },
  });
}

test('a level discount changed in the table reaches the next quote', (t) => guard(t, async () => {
  const q0 = await quoteTee();
  const levelId = q0.member?.levelId ?? 'normal';
  const program = await owner.get('/member-program');
  const i = program.levels.findIndex((l) => l.levelId === levelId);
  assert.ok(i >= 0, JSON.stringify(q0.member));
  assert.equal(q0.lines[0].unitPrice, 5782); // the demo shopper is 白银: round(5900 × 0.98)

  await page.locator(tid(`level-rate-${i}`)).waitFor();
  await fill(page, `level-rate-${i}`, '0.85');
  await page.locator(tid(`level-zhe-${i}`)).filter({ hasText: '8.5折' }).waitFor();
  await page.click(tid('program-save'));
  await page.locator('.el-message--success').filter({ hasText: '会员等级已保存' }).waitFor();

  const q1 = await quoteTee();
  assert.equal(q1.lines[0].unitPrice, 5015); // 5900 × 0.85
  assert.equal((await owner.get('/member-program')).levels[i].discountRate, '0.85');
}));

test('a rate the core refuses shows its error and is not saved', (t) => guard(t, async () => {
  await fill(page, 'level-rate-0', '1.5');
  await page.click(tid('program-save'));
  await page.locator(tid('program-error')).filter({ hasText: 'levels.discountRate' }).waitFor();
  assert.notEqual((await owner.get('/member-program')).levels[0].discountRate, '1.5');
}));

test('a free-shipping threshold typed in yuan is saved as fen and frees the next quote', (t) => guard(t, async () => {
  const before = await quoteTee();
  assert.ok(before.shipping.payable > 0, JSON.stringify(before.shipping));
  await page.goto(`${server.base}/admin/delivery`);
  await page.locator(tid('express-free-over-0')).waitFor();
  await fill(page, 'express-free-over-0', '40.01');
  await page.click(tid('express-save'));
  await page.locator('.el-message--success').filter({ hasText: '快递模板已保存' }).waitFor();
  const saved = await owner.get('/delivery/express');
  assert.equal(saved.templates[0].freeOver, 4001);
  const q = await quoteTee();
  assert.equal(q.shipping.payable, 0);
  assert.equal(q.shipping.shops[0].freeReason, 'threshold');
}));

test('the member list shows the spend of paid orders', (t) => guard(t, async () => {
  const order = await placeOrder(server, { skuId: 1, quantity: 1 });
  const paid = await shopper('GET', `/api/orders/${order.id}`);
  await page.goto(`${server.base}/admin/members?tab=list`);
  await page.locator(tid('member-table')).waitFor();
  await page.locator(tid('member-sort')).click();
  await page.locator('.el-select-dropdown__item:visible').filter({ hasText: '消费金额' }).click();
  await page.click(tid('member-search'));
  const list = await owner.get('/members?sort=spend');
  const me = list.items.find((m) => m.orderCount > 0 && m.spend >= paid.payable);
  assert.ok(me, JSON.stringify(list.items));
  const spend = page.locator(tid(`member-spend-${me.id}`));
  await spend.waitFor();
  assert.equal((await spend.textContent()).trim(), `¥${Math.trunc(me.spend / 100)}.${String(me.spend % 100).padStart(2, '0')}`);
  await page.click(tid(`member-row-${me.id}`));
  await page.locator(tid('member-detail-spend')).waitFor();
}));

const SEGMENT_LABELS = { new: '新客', highFrequency: '高频', active: '活跃', atRisk: '流失风险', dormant: '沉睡' };

/** The member ids the list's table shows, once it shows exactly `count` rows. */
async function tableIds(count) {
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="member-table"] .el-table__body tr').length === n, count);
  const ids = await page.locator(`${tid('member-table')} [data-testid^="member-row-"]`)
    .evaluateAll((els) => els.map((e) => Number(e.dataset.testid.slice('member-row-'.length))));
  return ids.sort((a, b) => a - b);
}
const sorted = (xs) => [...xs].sort((a, b) => a - b);

test('segments: the list shows the segment job computed at start-up, the segment filter its count and exactly its members, the drawer its changes', (t) => guard(t, async () => {
  await page.goto(`${server.base}/admin/members?tab=list`);
  await page.locator(tid('member-table')).waitFor();
  const list = await owner.get('/members?pageSize=20');
  // The segment job ran at start-up: the list shows each member's segment as the server has it.
  assert.ok(list.items.some((m) => m.segment !== null), JSON.stringify(list.items));
  for (const m of list.items) {
    const cell = page.locator(tid(`member-segment-${m.id}`));
    await cell.waitFor();
    assert.equal((await cell.textContent()).trim(), m.segment === null ? '—' : SEGMENT_LABELS[m.segment], `member ${m.id}`);
  }

  // The filter offers every segment with the server's count; choosing the fullest lists exactly its members.
  const counts = await owner.get('/member-segments');
  assert.deepEqual(counts.map((c) => c.segment).sort(), Object.keys(SEGMENT_LABELS).sort());
  const fullest = counts.reduce((a, b) => (b.members > a.members ? b : a));
  assert.ok(fullest.members > 0 && fullest.members <= 20, JSON.stringify(counts));
  await page.locator(tid('member-filter-segment')).click();
  for (const c of counts) {
    await page.locator('.el-select-dropdown__item:visible').filter({ hasText: `${SEGMENT_LABELS[c.segment]}（${c.members}）` }).waitFor();
  }
  await page.locator('.el-select-dropdown__item:visible').filter({ hasText: `${SEGMENT_LABELS[fullest.segment]}（${fullest.members}）` }).click();
  await page.click(tid('member-search'));
  const inSegment = (await owner.get(`/members?segment=${fullest.segment}&pageSize=20`)).items.map((m) => m.id);
  assert.equal(inSegment.length, fullest.members);
  assert.deepEqual(await tableIds(fullest.members), sorted(inSegment));

  // The drawer: the segment and its changes (Beijing time, previous → segment), latest first.
  const me = list.items.find((m) => m.segment === fullest.segment);
  const d = await owner.get(`/members/${me.id}`);
  assert.ok(d.segmentHistory.length > 0, JSON.stringify(d));
  await page.click(tid(`member-row-${me.id}`));
  await page.locator(tid('member-detail-segment')).filter({ hasText: SEGMENT_LABELS[me.segment] }).waitFor();
  const rows = page.locator(`${tid('member-segment-history')} .el-table__body tr`);
  await rows.first().waitFor();
  assert.equal(await rows.count(), d.segmentHistory.length);
  const h = d.segmentHistory[0];
  const beijing = new Date((h.at + 8 * 3600) * 1000).toISOString().slice(0, 16).replace('T', ' ');
  const from = h.previous === null ? '首次' : SEGMENT_LABELS[h.previous];
  assert.equal((await rows.first().innerText()).replace(/\s+/g, ' ').trim(), `${beijing} ${from} → ${SEGMENT_LABELS[h.segment]}`);
  await page.keyboard.press('Escape');
}));

test('tags: typed in the drawer they are saved as typed, a bad one shows the 422 at the field and changes nothing, the tag filters the list', (t) => guard(t, async () => {
  await page.goto(`${server.base}/admin/members?tab=list`);
  await page.locator(tid('member-table')).waitFor();
  const list = await owner.get('/members?pageSize=20');
  assert.ok(list.items.length >= 3, JSON.stringify(list.items));
  const [me, other, untagged] = list.items;
  // Another member already carries 团长 (set through the API): it is offered in the drawer and counted in the filter.
  assert.deepEqual((await owner.put(`/members/${other.id}/tags`, { tags: ['团长'] })).tags, ['团长']);
  await page.reload();
  await page.locator(tid('member-table')).waitFor();

  await page.click(tid(`member-row-${me.id}`));
  await page.locator(tid('member-tags-select')).waitFor();
  const select = page.locator(tid('member-tags-select'));
  await select.click();
  await page.locator('.el-select-dropdown__item:visible').filter({ hasText: '团长' }).click(); // an existing tag
  await page.keyboard.type('老客'); // a new one
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
  await page.click(tid('member-tags-save'));
  await page.locator('.el-message--success').filter({ hasText: '标签已保存' }).waitFor();
  assert.deepEqual((await owner.get(`/members/${me.id}`)).tags.sort(), ['团长', '老客'].sort());
  // The list refreshed behind the drawer: the row shows both tags.
  await page.locator(tid(`member-tags-${me.id}`)).filter({ hasText: '老客' }).waitFor();

  // Eleven characters: the server's 422 under the field, naming the tag; nothing saved.
  await select.click();
  await page.keyboard.type('一二三四五六七八九十一');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
  await page.click(tid('member-tags-save'));
  const error = page.locator(`${tid('member-tags-item')} .el-form-item__error`);
  await error.filter({ hasText: '标签需为1到10个字' }).waitFor();
  assert.match(await error.textContent(), /第3个：一二三四五六七八九十一/);
  assert.deepEqual((await owner.get(`/members/${me.id}`)).tags.sort(), ['团长', '老客'].sort());
  assert.deepEqual((await owner.get(`/members/${other.id}`)).tags, ['团长']);
  assert.deepEqual((await owner.get(`/members/${untagged.id}`)).tags, []);
  await page.keyboard.press('Escape');

  // The tag filters the list: exactly the two members tagged 团长.
  assert.deepEqual(await owner.get('/member-tags'), [{ tag: '团长', members: 2 }, { tag: '老客', members: 1 }]);
  await page.goto(`${server.base}/admin/members?tab=list`);
  await page.locator(tid('member-filter-tag')).click();
  await page.locator('.el-select-dropdown__item:visible').filter({ hasText: '团长（2）' }).click();
  await page.click(tid('member-search'));
  const tagged = (await owner.get(`/members?tag=${encodeURIComponent('团长')}`)).items.map((m) => m.id);
  assert.deepEqual(sorted(tagged), sorted([me.id, other.id]));
  assert.deepEqual(await tableIds(2), sorted([me.id, other.id]));
  assert.equal((await page.locator(tid(`member-tags-${other.id}`)).textContent()).trim(), '团长');
}));

test('a pickup store and a same-city tier typed in the UI are offered at the next quote', (t) => guard(t, async () => {
  await page.goto(`${server.base}/admin/delivery?tab=pickup`);
  await page.locator(tid('pickup-new')).waitFor();
  await fill(page, 'pickup-new', 'store-east');
  await page.click(tid('pickup-add'));
  await page.click(tid('pickup-save'));
  await page.locator('.el-message--success').filter({ hasText: '自提门店已保存' }).waitFor();
  assert.ok((await owner.get('/delivery/pickup')).stores.includes('store-east'));
  const items = [{ skuId: 1, quantity: 1 }];
  const pickup = await shopper('POST', '/api/checkout/quote', { items, delivery: { kind: 'pickup', storeId: 'store-east' } });
  assert.equal(pickup.shipping.shops[0].freeReason, 'pickup');

  await page.click(tid('tab-same-city'));
  await page.locator(tid('same-city-enabled')).click();
  await page.click(tid('tier-add'));
  await fill(page, 'tier-fee-0', '5.5');
  await page.click(tid('same-city-save'));
  await page.locator('.el-message--success').filter({ hasText: '同城配送已保存' }).waitFor();
  const { rule } = await owner.get('/delivery/same-city');
  assert.deepEqual(rule.tiers, [{ maxMeters: 3000, fee: 550 }]);
  const q = await shopper('POST', '/api/checkout/quote', { items, delivery: { kind: 'sameCity', distanceMeters: 2000 } });
  assert.equal(q.shipping.fee, 550);
}));
