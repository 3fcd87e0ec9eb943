// End to end, 领券中心 → 券转赠 → 签到 with two shoppers: the mini-program's own
// pages against the REAL server binary (fresh SQLite data dir, demo shop, fake
// WeChat API) and the real wasm rules core on the "phone". The merchant makes a
// transferable batch; shopper A claims one in the coupon center, gifts it from
// 我的优惠券 (the core shows 赠送好友, the share card carries the gift token);
// shopper B opens the card and accepts: A's coupon is 已赠送, B holds a new
// usable coupon that neither the page nor the server lets B gift again. Then A
// signs in twice the same day and earns exactly one reward.
//
// Needs the server binary: MALL_SERVER_BIN, default target/debug/mall-server.
'use strict';
const h = require('./helpers');
const e2e = require('./e2e-server');
const e2ePhone = require('./e2e-phone');

jest.setTimeout(90000);

let phone;

beforeAll(async () => {
  phone = await e2ePhone.start();
});

afterAll(() => phone && phone.stop());

const phoneAs = (code) => phone.as(code);
const open = (rel, query) => phone.open(rel, query);
const tap = (page, selector) => phone.tap(page, selector);

/** The server's answers to the phone's `method path` requests, in order. */
const answers = (method, p) => phone.bridge.log.filter((r) => r.method === method && r.path === p);
const { lastToast } = h;

test('A claims a transferable coupon and gifts it; B accepts it from the card and cannot gift it again', async () => {
  const batch = await phone.merchant('POST', '/admin/api/marketing/coupons', {
    title: '转赠专享20元', kind: { kind: 'noThreshold', amount: 2000 }, validDays: 30, total: 50, perUserLimit: 1, transferable: true,
  });

  // ---- A: 领券中心 → 立即领取
  phoneAs('gift-a');
  const center = await open('pkg-activity/coupons/index');
  expect(h.text(center, `#left-${batch.id}`)).toBe('剩余50张');
  expect(h.text(center, `#batch-${batch.id}`)).toContain('可转赠');
  await tap(center, `#claim-${batch.id}`);
  const claim = answers('POST', `/api/coupons/${batch.id}/claim`);
  expect(claim.map((r) => r.status)).toEqual([201]);
  const couponId = claim[0].response.id;
  expect(h.text(center, `#state-${batch.id}`)).toBe('已领取');
  expect(h.text(center, `#left-${batch.id}`)).toBe('剩余49张');
  expect(h.text(center, `#limit-${batch.id}`)).toBe('每人限领1张 · 已领1张');

  // ---- A: 我的优惠券 → 赠送好友 (the core allows it) → a share card with the token
  const wallet = await open('pkg-activity/my-coupons/index');
  await tap(wallet, `#gift-${couponId}`);
  expect(answers('POST', `/api/member/coupons/${couponId}/gift`).map((r) => r.status)).toEqual([200]);
  expect(h.text(wallet, `#status-${couponId}`)).toBe('赠送中');
  expect(wallet.querySelector(`#cancel-${couponId}`)).toBeTruthy();
  const card = wallet.instance.onShareAppMessage({ from: 'button', target: { dataset: { id: couponId } } });
  expect(card.path).toMatch(/^\/pkg-activity\/gift\/index\?token=c[A-Za-z0-9_-]{24}$/);
  const query = phone.queryOf(card.path);
  const own = await open('pkg-activity/gift/index', query);
  expect(h.text(own, '#state')).toBe('这是你送出的礼券，等待好友领取');

  // ---- B opens the card (a new shopper) and accepts it
  phoneAs('gift-b');
  const gift = await open('pkg-activity/gift/index', query);
  expect(h.text(gift, '#title')).toBe('转赠专享20元');
  expect(h.text(gift, '#value')).toBe('¥20');
  await tap(gift, '#accept');
  const accepted = answers('POST', `/api/gifts/${query.token}/accept`);
  expect(accepted.map((r) => r.status)).toEqual([201]);
  expect(h.text(gift, '#state')).toBe('领取成功，已放入你的优惠券');
  const received = accepted[0].response;
  expect(received).toEqual(expect.objectContaining({ templateId: batch.id, status: 'available', received: true }));

  // B holds it, usable, without 赠送好友; the server refuses a re-gift too.
  const bWallet = await open('pkg-activity/my-coupons/index');
  expect(h.text(bWallet, `#received-${received.id}`)).toBe('好友赠送');
  expect(bWallet.querySelector(`#gift-${received.id}`)).toBeFalsy();
  const b = e2e.client(phone.server.base);
  await b.login('gift-b');
  const regift = await b.post(`/api/member/coupons/${received.id}/gift`).catch((e) => e);
  expect([regift.status, regift.body.code]).toEqual([422, 'COUPON_RECEIVED_AS_GIFT']);
  const again = await open('pkg-activity/gift/index', query);
  expect(h.text(again, '#state')).toBe('礼券已被领取');

  // ---- A: the coupon is 已赠送, no longer usable
  phoneAs('gift-a');
  const gifted = await open('pkg-activity/my-coupons/index', { tab: 'gifted' });
  expect(h.text(gifted, `#status-${couponId}`)).toBe('已赠送');
  const usable = await open('pkg-activity/my-coupons/index');
  expect(usable.querySelector(`#coupon-${couponId}`)).toBeFalsy();
});

test('A signs in twice the same day: one reward, the one the phone announced', async () => {
  phoneAs('gift-a');
  const a = e2e.client(phone.server.base);
  await a.login('gift-a');
  const before = await a.get('/api/member');
  const page = await open('pkg-activity/signin/index');
  // The default rule, a first sign-in: 5 points and 1 growth, by the core on the phone.
  expect(h.text(page, '#today')).toBe('今日签到可得 5积分 + 1成长值');
  expect(h.text(page, '#next-bonus')).toBe('再签3天，连签3天额外得 5积分');
  await tap(page, '#signin');
  expect(lastToast()).toBe('签到成功 +5积分 + 1成长值');
  expect(h.text(page, '#signin')).toBe('今日已签到');
  expect(h.text(page, '#streak')).toBe('1');
  expect(h.text(page, '#today')).toBe('今日已获得 5积分 + 1成长值');
  await tap(page, '#signin');
  expect(lastToast()).toBe('今日已签到');

  const posts = answers('POST', '/api/signin');
  expect(posts.map((r) => [r.status, r.response.already, r.response.points])).toEqual([[200, false, 5], [200, true, 5]]);
  const after = await a.get('/api/member');
  expect(after.points - before.points).toBe(5);
  expect(after.member.growth - before.member.growth).toBe(1);
  const today = posts[0].response.date;
  expect(page.querySelector(`#day-${Number(today.slice(8))}`).dom.className).toContain('signed');
});
