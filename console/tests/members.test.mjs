// 会员 and 配送: a level's discount changed in the 会员等级 table reaches the
// shopper's next checkout quote (through the API); a refused rate shows the
// core's error and is not saved; a 包邮门槛 typed in yuan is saved as fen and
// makes the next quote's express free; the member list shows the spend.
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

test('segments and tags: the list shows the job segment, a tag typed in the drawer is saved, a bad one refused, the tag filters the list', (t) => guard(t, async () => {
  await page.goto(`${server.base}/admin/members?tab=list`);
  await page.locator(tid('member-table')).waitFor();
  const list = await owner.get('/members?pageSize=50');
  // The segment job ran at start-up: every member has the server's segment in the list.
  const me = list.items.find((m) => m.segment !== null);
  assert.ok(me, JSON.stringify(list.items));
  const labels = { new: '新客', highFrequency: '高频', active: '活跃', atRisk: '流失风险', dormant: '沉睡' };
  assert.equal((await page.locator(tid(`member-segment-${me.id}`)).textContent()).trim(), labels[me.segment]);

  await page.click(tid(`member-row-${me.id}`));
  await page.locator(tid('member-detail-segment')).filter({ hasText: labels[me.segment] }).waitFor();
  const typeTag = async (text) => {
    await page.locator(tid('member-tags-select')).click();
    await page.keyboard.type(text);
    await page.keyboard.press('Enter');
    await page.keyboard.press('Escape');
  };
  await typeTag('团长');
  await page.click(tid('member-tags-save'));
  await page.locator('.el-message--success').filter({ hasText: '标签已保存' }).waitFor();
  assert.deepEqual((await owner.get(`/members/${me.id}`)).tags, ['团长']);

  // Eleven characters: the server's 422 under the field, nothing saved.
  await typeTag('一二三四五六七八九十一');
  await page.click(tid('member-tags-save'));
  const item = page.locator(tid('member-tags-item'));
  await item.locator('.el-form-item__error').filter({ hasText: '标签需为1到10个字' }).waitFor();
  assert.deepEqual((await owner.get(`/members/${me.id}`)).tags, ['团长']);
  await page.keyboard.press('Escape');

  // The tag filters the list: exactly the tagged member.
  await page.goto(`${server.base}/admin/members?tab=list`);
  await page.locator(tid('member-filter-tag')).click();
  await page.locator('.el-select-dropdown__item:visible').filter({ hasText: '团长（1）' }).click();
  await page.click(tid('member-search'));
  await page.locator(`${tid('member-table')} .el-table__body tr`).first().waitFor();
  await page.waitForFunction((id) => {
    const rows = document.querySelectorAll('[data-testid="member-table"] .el-table__body tr');
    return rows.length === 1 && !!document.querySelector(`[data-testid="member-row-${id}"]`);
  }, me.id);
  assert.equal((await page.locator(tid(`member-tags-${me.id}`)).textContent()).trim(), '团长');
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
