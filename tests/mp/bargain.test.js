// 砍价 on the phone: what a bargain's progress says (已砍, current price,
// 还差k人 with the disclosed N), its helpers' cuts, a refusal in the server's
// words, the share card carrying the bargain id, and the checkout sending the
// line's bargainId (never an activityId with it).
'use strict';
const h = require('./helpers');
const fx = require('./fixtures');
const store = require('../../miniprogram/lib/store.js');
const lib = require('../../miniprogram/lib/bargain.js');

beforeAll(async () => { h.installWasm(); await h.rules(); });
beforeEach(() => {
  h.resetSession();
  store.buyNow = null;
  store.group = null;
  wx.navigateTo = jest.fn();
  wx.showToast = jest.fn();
});

const now = () => Math.floor(Date.now() / 1000);

function progress(extra) {
  return Object.assign({ cut: 1234, currentPrice: 3666, helpersNeeded: 5, helpersLeft: 3, floorReached: false, buyable: false, lastCut: 600, nextCut: 400 }, extra);
}

function bargainView(extra) {
  return Object.assign({
    id: 7, activityId: 3, title: 'T恤砍价', skuId: 108, productId: 1, productTitle: '男士纯棉短袖T恤', image: 'https://img.example.com/tee.jpg',
    startPrice: 4900, floorPrice: 990, status: 'open', progress: progress(), createdAt: now() - 60, expiresAt: now() + 3661,
    initiator: { nickname: '阿强', avatar: 'https://img.example.com/a.jpg' },
    helpers: [{ seq: 1, nickname: '小美', avatar: 'https://img.example.com/b.jpg', cut: 634, helpedAt: now() - 30 }, { seq: 2, nickname: '', avatar: '', cut: 600, helpedAt: now() - 10 }],
    mine: true, helpedByMe: false, orderId: null,
  }, extra);
}

describe('lib/bargain', () => {
  test('the headline always states N; 已砍 and the current price come from the server in fen', () => {
    const p = progress();
    expect(lib.headline(p)).toBe('还差3人砍到底价（共需5人帮砍）');
    expect(lib.cutText(p)).toBe('已砍¥12.34 · 当前价¥36.66');
    expect(lib.percent(p)).toBe(40);
    const done = progress({ cut: 3910, currentPrice: 990, helpersLeft: 0, floorReached: true, buyable: true, nextCut: null });
    expect(lib.headline(done)).toBe('已砍到底价 ¥9.90（共5人帮砍）');
    expect(lib.percent(done)).toBe(100);
    expect(lib.percent(progress({ helpersNeeded: 3, helpersLeft: 2 }))).toBe(33);
  });

  test('time left while open or at the floor, nothing once expired', () => {
    const t = now();
    expect(lib.timeLeft(bargainView({ expiresAt: t + 3661 }), t)).toBe('剩余 01:01:01');
    expect(lib.timeLeft(bargainView({ status: 'floor', expiresAt: t + 61 }), t)).toBe('剩余 00:01:01');
    expect(lib.timeLeft(bargainView({ status: 'expired', expiresAt: t - 1 }), t)).toBe('');
  });

  test('helpers with their cuts; a nameless helper gets a placeholder initial, never an invented avatar', () => {
    const list = lib.helpers(bargainView().helpers);
    expect(list).toEqual([
      { key: 'h1', nickname: '小美', avatar: 'https://img.example.com/b.jpg', initial: '小', cutText: '砍掉¥6.34' },
      { key: 'h2', nickname: '', avatar: '', initial: '砍', cutText: '砍掉¥6.00' },
    ]);
  });

  test('each refusal keeps the server\'s code and Chinese message', () => {
    const codes = {
      BARGAIN_OWN: '不能给自己的砍价帮砍', BARGAIN_ALREADY_HELPED: '你已经帮TA砍过了', BARGAIN_DAILY_LIMIT: '今天的帮砍次数已用完',
      BARGAIN_FULL: '已经砍到底价了', BARGAIN_EXPIRED: '砍价已过期', BARGAIN_RISKY: '账号存在风险，暂不能帮砍',
    };
    for (const [code, message] of Object.entries(codes)) expect(lib.refusal({ code, message })).toEqual({ code, message });
    expect(lib.refusal(null)).toEqual({ code: 'ERROR', message: '帮砍失败，请稍后再试' });
  });

  test('the share card\'s path carries the bargain id', () => {
    expect(lib.shareCard(bargainView())).toEqual({
      title: '帮我砍一刀！男士纯棉短袖T恤 最低¥9.90', path: '/pkg-activity/bargain/index?id=7', imageUrl: 'https://img.example.com/tee.jpg',
    });
  });
});

test('buying at the current price: the checkout sends the line with its bargainId and no activityId', async () => {
  const v = bargainView({ status: 'floor', progress: progress({ cut: 3910, currentPrice: 990, helpersLeft: 0, floorReached: true, buyable: true, nextCut: null }) });
  lib.toCheckout(v, '黑色 M');
  expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pkg-order/checkout/index?mode=buynow' });
  expect(store.buyNow).toEqual([{ skuId: 108, quantity: 1, bargainId: 7, title: '男士纯棉短袖T恤', specs: '黑色 M', image: 'https://img.example.com/tee.jpg', price: 990 }]);
  expect(store.group).toBeNull();

  const log = h.mockServer({
    'GET /api/addresses': () => fx.addresses,
    'POST /api/checkout/input': () => {
      const input = fx.cartInput();
      input.lines = [{ lineId: 'b1', skuId: '108', quantity: 1, selected: true, activityId: null }];
      input.options = { coupons: { kind: 'best' }, points: { kind: 'none' }, delivery: null };
      return { input };
    },
  });
  await h.openPage('pkg-order/checkout/index', { mode: 'buynow' });
  expect(log.find((r) => r.path === '/api/checkout/input').data.items).toEqual([{ skuId: 108, quantity: 1, bargainId: 7 }]);
});

describe('the bargain page', () => {
  test('the initiator sees the product, start → floor, 已砍, 还差k人 with N, the bar, the helpers and the time left', async () => {
    h.mockServer({ 'GET /api/bargains/{id}': () => bargainView() });
    const page = await h.openPage('pkg-activity/bargain/index', { id: '7' });
    expect(h.text(page, '#headline')).toBe('还差3人砍到底价（共需5人帮砍）');
    expect(h.text(page, '#cut')).toBe('已砍¥12.34 · 当前价¥36.66');
    expect(h.text(page, '#start')).toBe('¥49.00');
    expect(h.text(page, '#floor')).toBe('最低可砍至 ¥9.90');
    expect(page.data.b.percent).toBe(40);
    expect(h.text(page, '#helper-0')).toContain('砍掉¥6.34');
    expect(h.text(page, '#time-left')).toMatch(/^剩余 01:0[01]:/);
    expect(page.querySelector('#invite')).toBeTruthy();
    expect(page.querySelector('#buy')).toBeFalsy();
    expect(page.querySelector('#help')).toBeFalsy();
    expect(page.instance.onShareAppMessage().path).toBe('/pkg-activity/bargain/index?id=7');
  });

  test('a friend helps: the cut they made, then the page reloaded', async () => {
    let helped = false;
    const log = h.mockServer({
      'GET /api/bargains/{id}': () => bargainView(helped ? { mine: false, helpedByMe: true, progress: progress({ helpersLeft: 2, cut: 1634, currentPrice: 3266 }) } : { mine: false }),
      'POST /api/bargains/{id}/help': () => { helped = true; return { seq: 3, cut: 400, progress: progress({ helpersLeft: 2 }) }; },
    });
    const page = await h.openPage('pkg-activity/bargain/index', { id: '7' });
    expect(page.querySelector('#mine')).toBeTruthy();
    await h.tap(page, '#help');
    expect(log.some((r) => r.method === 'POST' && r.path === '/api/bargains/7/help')).toBe(true);
    expect(h.text(page, '#helped')).toBe('你帮TA砍掉了¥4.00');
    expect(h.text(page, '#headline')).toBe('还差2人砍到底价（共需5人帮砍）');
    expect(page.querySelector('#help')).toBeFalsy();
  });

  const refusals = [
    ['BARGAIN_OWN', '不能给自己的砍价帮砍'], ['BARGAIN_ALREADY_HELPED', '你已经帮TA砍过了'], ['BARGAIN_DAILY_LIMIT', '今天的帮砍次数已用完'],
    ['BARGAIN_FULL', '已经砍到底价了'], ['BARGAIN_EXPIRED', '砍价已过期'], ['BARGAIN_RISKY', '账号存在风险，暂不能帮砍'],
  ];
  test.each(refusals)('a refusal %s shows the server\'s message', async (code, message) => {
    h.mockServer({
      'GET /api/bargains/{id}': () => bargainView({ mine: false }),
      'POST /api/bargains/{id}/help': () => ({ status: 409, body: { code, message, details: {} } }),
    });
    const page = await h.openPage('pkg-activity/bargain/index', { id: '7' });
    await h.tap(page, '#help');
    expect(h.text(page, '#refusal')).toBe(message);
    expect(page.data.refusalCode).toBe(code);
  });

  test('立即购买 at the current price once buyable sends the bargainId to checkout', async () => {
    h.mockServer({ 'GET /api/bargains/{id}': () => bargainView({ status: 'floor', progress: progress({ cut: 3910, currentPrice: 990, helpersLeft: 0, floorReached: true, buyable: true, nextCut: null }) }) });
    const page = await h.openPage('pkg-activity/bargain/index', { id: '7' });
    expect(h.text(page, '#buy')).toBe('¥9.90 立即购买');
    await h.tap(page, '#buy');
    expect(store.buyNow[0]).toMatchObject({ skuId: 108, quantity: 1, bargainId: 7, price: 990 });
    expect(store.buyNow[0].activityId).toBeUndefined();
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pkg-order/checkout/index?mode=buynow' });
  });
});

test('the product page shows a 砍价 entry for a live bargain activity; starting one opens its page', async () => {
  const d = h.clone(fx.productDetail);
  const log = h.mockServer({
    'GET /api/products/{id}': () => d,
    'GET /api/bargain-activities': () => ({ items: [
      { id: 9, title: '别的商品砍价', skuId: 500, productId: d.id + 1, productTitle: 'x', image: '', listPrice: 100, startPrice: 100, floorPrice: 1, helpers: 2, windowHours: 24, buyBeforeFloor: false, initiationsPerUser: 1, helpsPerDay: 3, startsAt: now() - 60, endsAt: now() + 3600 },
      { id: 3, title: 'T恤砍价', skuId: 108, productId: d.id, productTitle: d.title, image: '', listPrice: 4900, startPrice: 4900, floorPrice: 990, helpers: 5, windowHours: 24, buyBeforeFloor: false, initiationsPerUser: 1, helpsPerDay: 3, startsAt: now() - 60, endsAt: now() + 3600 },
    ] }),
    'POST /api/bargain-activities/{id}/start': () => ({ status: 201, body: bargainView({ id: 12 }) }),
  });
  const page = await h.openPage('pages/product/index', { id: String(d.id) });
  expect(h.text(page, '#bargain-floor')).toBe('最低砍至 ¥9.90');
  expect(h.text(page, '#bargain-helpers')).toBe('¥49.00起砍 · 邀请5位好友帮砍');
  await h.tap(page, '#start-bargain');
  expect(log.some((r) => r.method === 'POST' && r.path === '/api/bargain-activities/3/start')).toBe(true);
  expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pkg-activity/bargain/index?id=12' });
});

test('no live bargain activity for the product: no entry', async () => {
  h.mockServer({ 'GET /api/products/{id}': () => h.clone(fx.productDetail), 'GET /api/bargain-activities': () => ({ items: [] }) });
  const page = await h.openPage('pages/product/index', { id: String(fx.productDetail.id) });
  expect(page.querySelector('#bargain-entry')).toBeFalsy();
});

test('我的砍价: from the member page, paged, each with 已砍 and 还差k人 of N', async () => {
  const pages = {
    1: { items: [bargainView({ id: 7 }), bargainView({ id: 6, status: 'ordered', progress: progress({ cut: 3910, currentPrice: 990, helpersLeft: 0, floorReached: true, buyable: true }) })], page: 1, pageSize: 20, total: 3, hasMore: true },
    2: { items: [bargainView({ id: 5, status: 'expired' })], page: 2, pageSize: 20, total: 3, hasMore: false },
  };
  const log = h.mockServer({ 'GET /api/bargains': (req) => pages[req.query.page] });
  const page = await h.openPage('pkg-activity/bargains/index');
  expect(h.text(page, '#bargain-7')).toContain('还差3人砍到底价（共需5人帮砍）');
  expect(h.text(page, '#bargain-6')).toContain('已下单 · 已砍¥39.10 · 当前价¥9.90');
  await page.instance.onReachBottom();
  expect(h.text(page, '#bargain-5')).toContain('已过期');
  expect(h.text(page, '#end')).toBe('没有更多了');
  expect(log.filter((r) => r.path === '/api/bargains').map((r) => r.query.page)).toEqual(['1', '2']);
  await h.tap(page, '#bargain-7');
  expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pkg-activity/bargain/index?id=7' });
});

describe('sharing a bargain: the card and the poster carry the initiator\'s token, a friend lands from either', () => {
  const sharePath = 'pkg-activity/bargain/index?id=7&share=bTok7&ch=share';

  test('the initiator\'s card carries the token; the poster shows the current price, 还差k人 and the code', async () => {
    const log = h.mockServer({
      'GET /api/bargains/{id}': () => bargainView(),
      'POST /api/share': () => ({ status: 201, body: { token: 'bTok7', path: sharePath } }),
    });
    const page = await h.openPage('pkg-activity/bargain/index', { id: '7' });
    expect(log.find((r) => r.path === '/api/share').data).toEqual({ kind: 'bargain', targetId: 7 });
    expect(page.instance.onShareAppMessage().path).toBe('/' + sharePath);
    expect(page.querySelector('#poster-btn')).toBeTruthy();
    const ops = require('../../miniprogram/lib/share.js').posterOps(lib.poster(bargainView(), 'bTok7'));
    const texts = ops.filter((o) => o.op === 'text').map((o) => o.text);
    expect(texts).toEqual(expect.arrayContaining(['¥36.66', '¥49.00', '还差3人砍到底价（共需5人帮砍）', '阿强 邀你帮砍一刀']));
    expect(ops.find((o) => o.op === 'image' && o.src.includes('/code')).src).toMatch(/\/api\/share\/bTok7\/code$/);
  });

  test('a friend\'s page asks for no token and offers no poster', async () => {
    const log = h.mockServer({ 'GET /api/bargains/{id}': () => bargainView({ mine: false }) });
    const page = await h.openPage('pkg-activity/bargain/index', { id: '7', share: 'bTok7' });
    expect(log.some((r) => r.path === '/api/share')).toBe(false);
    expect(page.querySelector('#poster-btn')).toBeFalsy();
    expect(page.querySelector('#help')).toBeTruthy();
  });

  test('a scanned code (scene = token) opens the bargain it was made for; another kind\'s token does not', async () => {
    const log = h.mockServer({
      'GET /api/share/{token}': (req) => ({ token: req.params[0], kind: req.params[0].startsWith('b') ? 'bargain' : 'group', target: '7', channel: 'poster', sharerNickname: '阿强', path: '' }),
      'GET /api/bargains/{id}': () => bargainView({ mine: false }),
    });
    const page = await h.openPage('pkg-activity/bargain/index', { scene: encodeURIComponent('bTok~7') });
    expect(log.some((r) => r.path === '/api/share/bTok~7')).toBe(true);
    expect(log.some((r) => r.path === '/api/bargains/7')).toBe(true);
    expect(h.text(page, '#headline')).toBe('还差3人砍到底价（共需5人帮砍）');
    const wrong = await h.openPage('pkg-activity/bargain/index', { scene: 'gTok' });
    expect(h.text(wrong, '#not-found')).toBe('砍价不存在');
  });
});
