// End to end, 拼团 with two shoppers: the mini-program's own pages against the
// REAL server binary (fresh SQLite data dir, demo shop, fake WeChat API and
// WeChat Pay, jobs every second). The merchant sets up a 2-person group buy
// with a ¥10 share reward; shopper A opens a group from the product page and
// pays (the order waits, 待成团); A's group page shares a card carrying A's
// share token; shopper B (a new user) opens that card, joins, pays: both
// orders become shippable and A's reward coupon arrives, once. Then a group
// nobody joins fails at its expiry and the fake WeChat Pay refunds exactly
// what was paid, which A's order page shows.
//
// Needs the server binary: MALL_SERVER_BIN, default target/debug/mall-server.
'use strict';
const h = require('./helpers');
const money = require('../../miniprogram/lib/money.js');
const store = require('../../miniprogram/lib/store.js');
const e2ePhone = require('./e2e-phone');

jest.setTimeout(90000);

let phone;
let nutsId;
let nutsSku;

beforeAll(async () => {
  phone = await e2ePhone.start({ env: { MALL_JOBS_EVERY_SECS: '1' } });
  ({ id: nutsId, sku: nutsSku } = await phone.product('每日坚果礼盒'));
});

afterAll(() => phone && phone.stop());

const merchant = (...a) => phone.merchant(...a);
const phoneAs = (code) => phone.as(code);
const open = (...a) => phone.open(...a);
const tap = (...a) => phone.tap(...a);
const until = (...a) => phone.until(...a);
const checkoutAndPay = () => phone.checkoutAndPay();

async function activity(title, endsAt, extra) {
  return merchant('POST', '/admin/api/marketing/activities', Object.assign({
    kind: 'groupBuy', title, startsAt: Math.floor(Date.now() / 1000) - 60, endsAt, groupSize: 2, groupWindowHours: 1,
    skus: [{ skuId: nutsSku.id, price: 990, leaderPrice: 890 }],
  }, extra));
}

test('A opens a 2-person group and pays, B joins from A\'s share card and pays: both ship, A\'s reward arrives once', async () => {
  const reward = await merchant('POST', '/admin/api/marketing/coupons', {
    title: '分享奖励10元', kind: { kind: 'noThreshold', amount: 1000 }, validDays: 7, total: 100, perUserLimit: 1,
  });
  const act = await activity('坚果2人团', Math.floor(Date.now() / 1000) + 86400, { shareRewardTemplateId: reward.id });

  // ---- A: product page → 发起拼团 → checkout → pay
  phoneAs('group-a');
  const product = await open('pages/product/index', { id: nutsId });
  await tap(product, '#sku-cell');
  // choose the SKU's spec values (ids spec-<spec>-<value>)
  for (let i = 0; i < nutsSku.specs.length; i++) {
    const j = product.instance._p.specNames[i].values.indexOf(nutsSku.specs[i]);
    if (!product.data.chosen[i]) await tap(product, `#spec-${i}-${j}`);
  }
  expect(h.text(product, '#open-group')).toBe('¥8.90发起拼团');
  await tap(product, '#open-group');
  expect(store.group).toEqual({});
  const a = await checkoutAndPay();
  expect(a.body.group).toEqual({});
  const aOrder = await merchant('GET', `/api/merchant/orders/${a.id}`);
  expect(aOrder.payable).toBe(890);
  await until(async () => (await merchant('GET', `/api/merchant/orders/${a.id}`)).status === 'grouping', 'A waiting for the group');
  const groupId = (await merchant('GET', `/api/merchant/orders/${a.id}`)).groupId;
  expect(groupId).toBeGreaterThan(0);

  // ---- A's group page: 还差1人成团, a share card with A's token
  const aGroup = await open('pkg-activity/group/index', { id: groupId });
  expect(h.text(aGroup, '#headline')).toBe('还差1人成团');
  const card = aGroup.instance.onShareAppMessage();
  expect(card.path).toMatch(/^\/pkg-activity\/group\/index\?id=\d+&share=[0-9A-Za-z]{16}&ch=share$/);
  aGroup.instance.onUnload();
  const query = phone.queryOf(card.path);

  // ---- B opens the card (a new user), joins at the group price, pays
  phoneAs('group-b');
  const bGroup = await open('pkg-activity/group/index', query);
  expect(h.text(bGroup, '#headline')).toBe('还差1人成团');
  await tap(bGroup, '#join');
  bGroup.instance.onUnload();
  expect(store.group).toEqual({ groupId, shareToken: query.share });
  const b = await checkoutAndPay();
  expect(b.body.group).toEqual({ groupId, shareToken: query.share });
  const bOrder = await merchant('GET', `/api/merchant/orders/${b.id}`);
  expect(bOrder.payable).toBe(990);

  // ---- the group formed: both orders shippable, A rewarded once
  await until(async () => (await merchant('GET', `/api/merchant/orders/${a.id}`)).status === 'paid', 'A shippable');
  expect((await merchant('GET', `/api/merchant/orders/${b.id}`)).status).toBe('paid');
  for (const id of [a.id, b.id]) {
    const shipped = await merchant('POST', `/api/merchant/orders/${id}/ship`, { carrier: '顺丰', trackingNo: `SF${id}` });
    expect(shipped.status).toBe('shipped');
  }
  phoneAs('group-a');
  const wallet = await open('pages/member/index');
  await tap(wallet, '#coupons');
  expect(h.texts(wallet, '.coupon').filter((t) => t.includes('分享奖励10元')).length).toBe(1);
  const done = await open('pkg-activity/group/index', { id: groupId });
  expect(h.text(done, '#headline')).toBe('拼团成功');
  done.instance.onUnload();
});

test('a group nobody joins fails at its expiry and WeChat Pay refunds exactly what was paid', async () => {
  // The activity ends in 8 s, so the group's window ends with it.
  const act = await activity('坚果限时2人团', Math.floor(Date.now() / 1000) + 8, {});
  phoneAs('group-c');
  store.buyNow = [{ skuId: nutsSku.id, quantity: 1, activityId: act.id, title: '每日坚果礼盒', specs: [], image: '' }];
  store.group = {};
  const c = await checkoutAndPay();
  await until(async () => (await merchant('GET', `/api/merchant/orders/${c.id}`)).status === 'grouping', 'C waiting');
  await until(async () => (await merchant('GET', `/api/merchant/orders/${c.id}`)).status === 'refunded', 'the failed group refunded', 40000);
  const order = await merchant('GET', `/api/merchant/orders/${c.id}`);
  expect(order.refundedAmount).toBe(order.payable);
  // The refund reaches WeChat Pay and succeeds there, once, for exactly what was paid.
  let mine = [];
  await until(async () => {
    mine = (await merchant('GET', '/api/merchant/refunds')).filter((r) => r.orderId === c.id);
    return mine.length === 1 && mine[0].status === 'success';
  }, 'the refund succeeded at WeChat Pay', 20000);
  expect(mine[0].amount).toBe(890);
  const page = await open('pkg-order/detail/index', { id: c.id });
  expect(h.text(page, '#refunded')).toBe(money.format(890));
  expect(h.text(page, '#status')).toBe('已退款');
});
