// 领券中心 (claimable batches, 立即领取 with a request id, 已领取 / 已抢光 /
// 今日已领完, refusals in the registry's words), 我的优惠券 with 赠送好友 where
// the core's giftEligibility allows it (the share card's path carries the gift
// token; 取消赠送), and the gift page a friend opens from the card or a
// 小程序码 (领取, and every state: accepted, returned, own gift, not found,
// not logged in).
'use strict';
const h = require('./helpers');
const lib = require('../../miniprogram/lib/coupon.js');
const track = require('../../miniprogram/lib/track.js');
const registry = require('../../miniprogram/lib/error-codes.js');
const util = require('../../miniprogram/lib/util.js');

const suite = h.pageSuite();
beforeEach(() => {
  wx.stopPullDownRefresh = jest.fn();
  wx.showModal = jest.fn((o) => o.success({ confirm: true, cancel: false }));
});
afterEach(() => jest.restoreAllMocks());

const now = () => Math.floor(Date.now() / 1000);
const TOKEN = 'cAbC-_0123456789xyzXYZ987';
const { lastToast } = h;
const posts = (log) => log.filter((r) => r.method === 'POST' && r.path !== '/api/auth/login');
const refuse = (status, code, message, details) => ({ status, body: { code, message, details: details || {} } });

function batch(id, extra) {
  return Object.assign({
    id, title: '满100减10', shopId: null, kind: { kind: 'threshold', threshold: 10000, amount: 1000 }, scope: {},
    validFrom: null, validUntil: null, validDays: 7, total: 100, remaining: 40, perUserLimit: 1, perDayLimit: null,
    remainingToday: null, transferable: false, claimed: 0, canClaim: true,
  }, extra);
}

function wallet(id, extra) {
  return Object.assign({
    id, templateId: 1, title: '可转赠10元券', shopId: null, kind: { kind: 'noThreshold', amount: 1000 }, scope: {}, stackable: true,
    validFrom: now() - 3600, validUntil: now() + 7 * 86400, status: 'available', orderId: null, transferable: true, received: false, giftExpiresAt: null,
  }, extra);
}

describe('lib/coupon', () => {
  test('faces, validity, and the core deciding what may be gifted', () => {
    const { core } = suite;
    expect(lib.face({ kind: 'percent', rate: '0.85', threshold: 0, cap: 3000 })).toEqual({ value: '8.5折', cond: '无门槛，最高减¥30' });
    expect(lib.batchValidity({ validDays: 7 })).toBe('领取后7天内有效');
    expect(lib.batchValidity({ validDays: null, validUntil: null })).toBe('');
    const t = 1735689600;
    const c = wallet(1, { validUntil: t + 3600 });
    expect(lib.giftCheck(core, c, t)).toEqual({ ok: true, expiresAt: t + 3600 });
    expect(lib.giftCheck(core, { ...c, transferable: false }, t)).toEqual({ ok: false, code: 'COUPON_NOT_TRANSFERABLE' });
    expect(lib.giftCheck(core, { ...c, received: true }, t)).toEqual({ ok: false, code: 'COUPON_RECEIVED_AS_GIFT' });
    expect(lib.giftCheck(core, { ...c, status: 'used' }, t)).toEqual({ ok: false, code: 'COUPON_USED' });
    expect(lib.giftCheck(core, { ...c, status: 'gifting' }, t)).toEqual({ ok: false, code: 'COUPON_GIFTING' });
    expect(lib.giftCheck(core, { ...c, status: 'expired', validUntil: t - 1 }, t)).toEqual({ ok: false, code: 'COUPON_EXPIRED' });
    expect(lib.giftCheck(null, c, t).ok).toBe(false);
    expect(lib.giftToken({ scene: encodeURIComponent(TOKEN) })).toBe(TOKEN);
    expect(lib.giftToken({ token: TOKEN, scene: 'x' })).toBe(TOKEN);
    expect(lib.giftShare('券', TOKEN).path).toBe(`/pkg-activity/gift/index?token=${TOKEN}`);
  });
});

describe('领券中心', () => {
  const list = () => [
    batch(1, { transferable: true }),
    batch(2, { title: '无门槛5元', kind: { kind: 'noThreshold', amount: 500 }, claimed: 1, canClaim: false }),
    batch(3, { title: '9折券', kind: { kind: 'percent', rate: '0.9', cap: 3000, threshold: 0 }, remaining: 0, canClaim: false, validDays: null, validUntil: 1798732800 }),
    batch(4, { title: '每日限量券', perDayLimit: 30, remainingToday: 0, canClaim: false, perUserLimit: 2 }),
  ];

  test('batches with what is left, the shopper\'s holding and why one cannot be claimed', async () => {
    const log = h.mockServer({ 'GET /api/coupons': () => list() });
    const page = await h.openPage('pkg-activity/coupons/index');
    // Anonymous: no login just to look.
    expect(log.map((r) => r.path)).toEqual(['/api/coupons']);
    expect(log[0].header.Authorization).toBeUndefined();
    // Claimable first, then gone for now, then the shopper's own.
    expect(h.texts(page, '.title')).toEqual(['满100减10', '9折券', '每日限量券', '无门槛5元']);
    expect(h.text(page, '#batch-1')).toContain('¥10');
    expect(h.text(page, '#batch-1')).toContain('满¥100可用');
    expect(h.text(page, '#batch-1')).toContain('可转赠');
    h.expectTexts(page, {
      '#left-1': '剩余40张',
      '#limit-1': '每人限领1张',
      '#claim-1': '立即领取',
      '#limit-2': '每人限领1张 · 已领1张',
      '#state-2': '已领取',
      '#state-3': '已抢光',
      '#left-4': '剩余40张 · 今日剩0张',
      '#state-4': '今日已领完',
    });
    expect(h.text(page, '#batch-3')).toContain('有效期至');
    expect(page.querySelector('#claim-2')).toBeFalsy();
    await h.tap(page, '#mine');
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pkg-activity/my-coupons/index' });
  });

  test('立即领取 claims with a request id, reports the claim and shows the new state', async () => {
    let claimed = 0;
    const log = h.mockServer({
      'GET /api/coupons': () => list().map((b) => (b.id === 1 && claimed ? { ...b, claimed: 1, remaining: 39, canClaim: false } : b)),
      'POST /api/coupons/{id}/claim': () => { claimed++; return { status: 201, body: wallet(77) }; },
    });
    const spy = jest.spyOn(track, 'track');
    const page = await h.openPage('pkg-activity/coupons/index');
    await h.tap(page, '#claim-1');
    const post = log.find((r) => r.method === 'POST' && r.path === '/api/coupons/1/claim');
    expect(post.data.requestId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(post.header.Authorization).toBe('Bearer tok-1');
    expect(lastToast()).toBe('领取成功');
    expect(spy).toHaveBeenCalledWith('coupon_claim', { page: 'pkg-activity/coupons/index' });
    expect(h.text(page, '#state-1')).toBe('已领取');
    expect(h.text(page, '#left-1')).toBe('剩余39张');
  });

  test('refusals show the registry message of their code; a lost answer is retried with the same request id', async () => {
    const answers = [
      refuse(409, 'COUPON_LIMIT_REACHED', '每人限领1张', { limit: 1 }),
      refuse(409, 'COUPON_DAY_LIMIT_REACHED', '每天限领30张，今日已领完', { limit: 30 }),
      refuse(409, 'COUPON_SOLD_OUT', '优惠券已领完'),
      { __fail: true },
      { status: 200, body: wallet(78) },
    ];
    const log = h.mockServer({ 'GET /api/coupons': () => list(), 'POST /api/coupons/{id}/claim': () => answers.shift() });
    const page = await h.openPage('pkg-activity/coupons/index');
    await h.tap(page, '#claim-1');
    expect(lastToast()).toBe(registry.COUPON_LIMIT_REACHED.message);
    await h.tap(page, '#claim-1');
    expect(lastToast()).toBe('今日已领完，明天再来');
    await h.tap(page, '#claim-1');
    expect(lastToast()).toBe('优惠券已领完');
    await h.tap(page, '#claim-1');
    expect(lastToast()).toBe('网络不给力，请稍后重试');
    await h.tap(page, '#claim-1');
    const ids = posts(log).map((r) => r.data.requestId);
    expect(ids.length).toBe(5);
    expect(new Set(ids.slice(0, 4)).size).toBe(4); // a refusal ends an attempt
    expect(ids[4]).toBe(ids[3]); // the retry after the lost answer
    expect(lastToast()).toBe('领取成功');
  });
});

describe('我的优惠券: 赠送好友', () => {
  // Closes within 24 h: the gift card closes with it (the core's expiresAt = validUntil).
  const soon = now() + 7200;
  const available = () => [
    wallet(11, { validUntil: soon }),
    wallet(12, { title: '不可转赠券', transferable: false }),
    wallet(13, { title: '好友送的券', received: true }),
    // The server may list a coupon whose validity ended a moment ago as available: the core says no.
    wallet(14, { title: '刚过期的券', validUntil: now() - 1 }),
  ];

  test('the core decides who shows 赠送好友; gifting opens a card whose share path carries the token', async () => {
    const expiresAt = now() + 86400;
    const log = h.mockServer({
      'GET /api/member/coupons': (req) => (req.query.status === 'available' ? available() : []),
      'POST /api/member/coupons/{id}/gift': (req) => ({ couponId: Number(req.params[0]), token: TOKEN, expiresAt }),
    });
    const spy = jest.spyOn(track, 'track');
    const page = await h.openPage('pkg-activity/my-coupons/index');
    expect(log.find((r) => r.path === '/api/member/coupons').query).toEqual({ status: 'available' });
    expect(page.querySelector('#gift-11')).toBeTruthy();
    expect(page.querySelector('#gift-12')).toBeFalsy();
    expect(page.querySelector('#gift-13')).toBeFalsy();
    expect(h.text(page, '#received-13')).toBe('好友赠送');
    expect(page.querySelector('#gift-14')).toBeFalsy();

    await h.tap(page, '#gift-11');
    // The confirm names when the card closes: min(now + 24 h, validUntil), from the core.
    expect(wx.showModal.mock.calls[0][0].content).toContain(`好友需在${util.datetime(soon)}前领取，逾期自动退回`);
    expect(posts(log).map((r) => r.path)).toEqual(['/api/member/coupons/11/gift']);
    expect(h.text(page, '#status-11')).toBe('赠送中');
    expect(h.text(page, '#gift-until-11')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d前未领取将自动退回$/);
    expect(page.querySelector('#gift-11')).toBeFalsy();
    expect(page.querySelector('#share-11')).toBeTruthy();
    expect(page.querySelector('#cancel-11')).toBeTruthy();

    const card = page.instance.onShareAppMessage({ from: 'button', target: { dataset: { id: 11 } } });
    expect(card.path).toBe(`/pkg-activity/gift/index?token=${TOKEN}`);
    expect(card.title).toContain('可转赠10元券');
    expect(TOKEN.length).toBeLessThanOrEqual(32);
    expect(spy).toHaveBeenCalledWith('share', { page: 'pkg-activity/gift/index' });
    // The menu's share is never a gift.
    expect(page.instance.onShareAppMessage({ from: 'menu' }).path).toBe('/pkg-activity/coupons/index');
  });

  test('a refused gift says why; declining the confirm posts nothing', async () => {
    const log = h.mockServer({
      'GET /api/member/coupons': () => available(),
      'POST /api/member/coupons/{id}/gift': () => refuse(409, 'GIFT_DAILY_LIMIT', '每天最多赠送10张', { limit: 10 }),
    });
    const page = await h.openPage('pkg-activity/my-coupons/index');
    wx.showModal = jest.fn((o) => o.success({ confirm: false, cancel: true }));
    await h.tap(page, '#gift-11');
    expect(posts(log)).toEqual([]);
    wx.showModal = jest.fn((o) => o.success({ confirm: true, cancel: false }));
    await h.tap(page, '#gift-11');
    expect(lastToast()).toBe('今日赠送次数已达上限');
    expect(page.querySelector('#gift-11')).toBeTruthy();
  });

  test('赠送中 and 已赠送 tabs; 取消赠送 takes the gift back', async () => {
    let cancelled = false;
    const log = h.mockServer({
      'GET /api/member/coupons': (req) => ({
        gifting: cancelled ? [] : [wallet(21, { status: 'gifting', giftExpiresAt: now() + 3600, giftToken: 'cTok21' })],
        gifted: [wallet(22, { status: 'gifted' })],
      }[req.query.status] || []),
      'POST /api/member/coupons/{id}/gift/cancel': (req) => { cancelled = true; return wallet(Number(req.params[0])); },
    });
    const page = await h.openPage('pkg-activity/my-coupons/index', { tab: 'gifting' });
    expect(h.text(page, '#status-21')).toBe('赠送中');
    // Opened on an earlier visit: the wallet carries its token, so the card can be sent again.
    expect(page.querySelector('#share-21')).toBeTruthy();
    expect(page.instance.onShareAppMessage({ from: 'button', target: { dataset: { id: 21 } } }).path).toBe('/pkg-activity/gift/index?token=cTok21');
    await h.tap(page, '#cancel-21');
    expect(log.some((r) => r.method === 'POST' && r.path === '/api/member/coupons/21/gift/cancel')).toBe(true);
    expect(lastToast()).toBe('已取消赠送');
    expect(h.text(page, '#empty')).toBe('暂无优惠券');
    await h.tap(page, '#tab-gifted');
    expect(log[log.length - 1].query).toEqual({ status: 'gifted' });
    expect(h.text(page, '#status-22')).toBe('已赠送');
    expect(page.querySelector('#gift-22')).toBeFalsy();
    expect(page.querySelector('#cancel-22')).toBeFalsy();
  });

  test('a gift closed meanwhile: the registry message, and the list again', async () => {
    h.mockServer({
      'GET /api/member/coupons': () => [wallet(21, { status: 'gifting', giftExpiresAt: now() + 3600 })],
      'POST /api/member/coupons/{id}/gift/cancel': () => refuse(409, 'GIFT_CLOSED', 'gift closed'),
    });
    const page = await h.openPage('pkg-activity/my-coupons/index', { tab: 'gifting' });
    await h.tap(page, '#cancel-21');
    expect(lastToast()).toBe('礼券已被领取、已取消或已过期');
  });
});

describe('领取礼券', () => {
  function card(extra) {
    return Object.assign({
      token: TOKEN, title: '可转赠10元券', kind: { kind: 'threshold', threshold: 5000, amount: 1000 }, validFrom: now() - 3600,
      validUntil: now() + 7 * 86400, fromNickname: '阿强', fromAvatar: '', expiresAt: now() + 86400, state: 'gifting', mine: false,
    }, extra);
  }

  test('a friend opens the card from the share card and accepts it', async () => {
    const log = h.mockServer({
      'GET /api/gifts/{token}': () => card(),
      'POST /api/gifts/{token}/accept': () => ({ status: 201, body: wallet(99, { received: true }) }),
    });
    const page = await h.openPage('pkg-activity/gift/index', { token: TOKEN });
    expect(log.find((r) => r.method === 'GET').path).toBe(`/api/gifts/${TOKEN}`);
    expect(h.text(page, '#from')).toBe('阿强 送你一张优惠券');
    expect(h.text(page, '#value')).toBe('¥10');
    expect(h.text(page, '#card')).toContain('满¥50可用');
    expect(h.text(page, '#validity')).toMatch(/^有效期 \d{4}-\d\d-\d\d 至 \d{4}-\d\d-\d\d$/);
    expect(h.text(page, '#expires')).toMatch(/前领取，逾期自动退回$/);
    await h.tap(page, '#accept');
    expect(log.some((r) => r.method === 'POST' && r.path === `/api/gifts/${TOKEN}/accept`)).toBe(true);
    expect(h.text(page, '#state')).toBe('领取成功，已放入你的优惠券');
    expect(page.querySelector('#accept')).toBeFalsy();
    await h.tap(page, '#mine');
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pkg-activity/my-coupons/index' });
  });

  test('a scanned 小程序码 lands with the token as its (encoded) scene', async () => {
    const log = h.mockServer({ 'GET /api/gifts/{token}': () => card() });
    const page = await h.openPage('pkg-activity/gift/index', { scene: encodeURIComponent(TOKEN) });
    expect(log.find((r) => r.method === 'GET').path).toBe(`/api/gifts/${TOKEN}`);
    expect(page.querySelector('#accept')).toBeTruthy();
    expect(page.instance.onShareAppMessage().path).toBe(`/pkg-activity/gift/index?token=${TOKEN}`);
  });

  test.each([
    ['accepted', { state: 'accepted' }, '礼券已被领取'],
    ['returned (cancelled or expired)', { state: 'returned' }, '礼券已过期或已被取消'],
    ['the giver\'s own card', { mine: true }, '这是你送出的礼券，等待好友领取'],
  ])('%s: its state and no 领取', async (_, extra, text) => {
    h.mockServer({ 'GET /api/gifts/{token}': () => card(extra) });
    const page = await h.openPage('pkg-activity/gift/index', { token: TOKEN });
    expect(h.text(page, '#state')).toBe(text);
    expect(page.querySelector('#accept')).toBeFalsy();
    expect(page.querySelector('#center')).toBeTruthy();
  });

  test('refusals by code: GIFT_CLOSED shows the registry message and the card as it is now; GIFT_OWN; NOT_FOUND', async () => {
    let accepted = false;
    h.mockServer({
      'GET /api/gifts/{token}': () => card(accepted ? { state: 'accepted' } : {}),
      'POST /api/gifts/{token}/accept': () => { accepted = true; return refuse(409, 'GIFT_CLOSED', 'closed'); },
    });
    const page = await h.openPage('pkg-activity/gift/index', { token: TOKEN });
    await h.tap(page, '#accept');
    expect(lastToast()).toBe('礼券已被领取、已取消或已过期');
    expect(h.text(page, '#state')).toBe('礼券已被领取');

    h.mockServer({ 'GET /api/gifts/{token}': () => card(), 'POST /api/gifts/{token}/accept': () => refuse(409, 'GIFT_OWN', 'own') });
    const own = await h.openPage('pkg-activity/gift/index', { token: TOKEN });
    await h.tap(own, '#accept');
    expect(h.text(own, '#state')).toBe('这是你送出的礼券，等待好友领取');

    h.mockServer({ 'GET /api/gifts/{token}': () => refuse(404, 'NOT_FOUND', '内容不存在或已删除', { resource: 'gift' }) });
    const gone = await h.openPage('pkg-activity/gift/index', { token: 'cNope' });
    expect(h.text(gone, '#state')).toBe('礼券不存在');
    expect(gone.querySelector('#card')).toBeFalsy();
    const none = await h.openPage('pkg-activity/gift/index', {});
    expect(h.text(none, '#state')).toBe('礼券不存在');
  });

  test('not logged in: 登录 then the card', async () => {
    const log = h.mockServer({ 'GET /api/gifts/{token}': () => card() });
    wx.login = jest.fn((o) => o.fail && o.fail({ errMsg: 'login:fail' }));
    const page = await h.openPage('pkg-activity/gift/index', { token: TOKEN });
    expect(h.text(page, '#state')).toBe('登录后才能领取礼券');
    expect(log.some((r) => r.path.startsWith('/api/gifts/'))).toBe(false);
    wx.login = jest.fn((o) => o.success({ code: 'wx-code-1', errMsg: 'login:ok' }));
    await h.tap(page, '#login');
    expect(page.querySelector('#accept')).toBeTruthy();
    expect(page.querySelector('#state')).toBeFalsy();
  });
});
