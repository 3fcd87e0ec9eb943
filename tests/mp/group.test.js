// 拼团 on the phone: the product page's group section (单独购买 / 发起拼团, the
// open groups), the group page (还差N人成团, real members and empty seats, 参团
// with the share token, 邀请好友 with the shopper's own token), my groups, and
// the checkout sending the group with the order.
'use strict';
const h = require('./helpers');
const fx = require('./fixtures');
const store = require('../../miniprogram/lib/store.js');
const lib = require('../../miniprogram/lib/group.js');

beforeAll(async () => { h.installWasm(); await h.rules(); });
beforeEach(() => {
  h.resetSession();
  store.buyNow = null;
  store.group = null;
  wx.navigateTo = jest.fn();
  wx.showToast = jest.fn();
});

const now = () => Math.floor(Date.now() / 1000);

function groupDetail() {
  const d = h.clone(fx.productDetail);
  d.activities = [{
    activityId: 'gb-tee', kind: 'groupBuy', title: 'T恤3人团', startsAt: now() - 3600, endsAt: now() + 86400, perUserLimit: null, groupSize: 3,
    prices: [{ skuId: 108, price: 1990, leaderPrice: 1890 }, { skuId: 109, price: 1990 }],
  }];
  return d;
}

function card(id, needed, secondsLeft) {
  return { groupId: id, activityId: 'gb-tee', skuId: 108, leader: { nickname: '阿强', avatar: 'https://img.example.com/a.jpg' },
    expiresAt: now() + secondsLeft, progress: { status: 'open', size: 3, paid: 3 - needed, needed, seatsLeft: needed, secondsLeft, joinable: true } };
}

describe('lib/group', () => {
  test('headline, time left and seats: real members, then empty seats, never invented ones', () => {
    const open = { status: 'open', size: 3, paid: 1, needed: 2, seatsLeft: 1, secondsLeft: 3661, joinable: true };
    expect(lib.headline(open, false)).toBe('还差2人成团');
    expect(lib.timeLeft(open)).toBe('剩余 01:01:01');
    const seats = lib.seats([{ nickname: 'A', avatar: 'a', role: 'leader', paid: true }, { nickname: 'B', avatar: 'b', role: 'member', paid: false }], open);
    expect(seats.map((s) => [s.empty, !!s.leader, !!s.waiting])).toEqual([[false, true, false], [false, false, true], [true, false, false]]);
    const auto = { status: 'autoSuccess', size: 3, paid: 2, needed: 1, seatsLeft: 1, secondsLeft: 0, joinable: false };
    expect(lib.headline(auto, true)).toBe('系统成团（2人）');
    expect(lib.seats([{ nickname: 'A', avatar: 'a', role: 'leader', paid: true }], auto).length).toBe(1);
    expect(lib.headline({ ...open, status: 'failed' }, false)).toBe('拼团未成功，已原路退款');
  });
});

describe('product page in a group buy', () => {
  test('单独购买 at the list price, 发起拼团 at the leader price, and the open groups to join', async () => {
    const log = h.mockServer({
      'GET /api/products/{id}': () => groupDetail(),
      'GET /api/products/{id}/groups': () => [card(41, 1, 600), card(42, 2, 7200)],
    });
    const page = await h.openPage('pages/product/index', { id: '1', share: 'tokA' });
    expect(h.text(page, '#group-size')).toBe('3人团');
    expect(h.texts(page, '.group-need')).toEqual(['还差1人成团', '还差2人成团']);
    expect(log.find((r) => r.path === '/api/products/1/groups').header.Authorization).toBeUndefined();
    await h.tap(page, '#join-41');
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pkg-activity/group/index?id=41' });
    // 黑色 M: group price 19.90, leader price 18.90, alone 49.00
    await h.tap(page, '#sku-cell');
    await h.tap(page, '#spec-0-1');
    await h.tap(page, '#spec-1-0');
    expect(h.text(page, '#price')).toBe('¥19.90');
    expect(h.text(page, '#buy-now')).toBe('¥49.00单独购买');
    expect(h.text(page, '#open-group')).toBe('¥18.90发起拼团');
    await h.tap(page, '#open-group');
    expect(store.buyNow).toEqual([expect.objectContaining({ skuId: 108, quantity: 1, activityId: 'gb-tee' })]);
    expect(store.group).toEqual({ shareToken: 'tokA' });
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pkg-order/checkout/index?mode=buynow' });
    // Buying alone never carries the group-buy activity.
    store.group = null;
    await h.tap(page, '#buy-now');
    expect(store.buyNow[0].activityId).toBeNull();
    expect(store.group).toBeNull();
  });
});

function groupView(extra) {
  return Object.assign({
    groupId: 41, activityId: 'gb-tee', title: 'T恤3人团', skuId: 108, productId: 1, productTitle: '男士纯棉短袖T恤',
    image: 'https://img.example.com/tee-b.jpg', listPrice: 4900, price: 1990, leaderPrice: 1890, expiresAt: now() + 600, autoFormed: false,
    progress: { status: 'open', size: 3, paid: 1, needed: 2, seatsLeft: 2, secondsLeft: 600, joinable: true },
    members: [{ nickname: '阿强', avatar: 'https://img.example.com/a.jpg', role: 'leader', paid: true, joinedAt: now() - 60 }],
    myOrderId: null, canJoin: true, joinRefusal: null,
  }, extra);
}

describe('group page', () => {
  test('a friend opening a shared group sees 还差2人成团 and joins with the share token', async () => {
    h.mockServer({ 'GET /api/groups/{id}': () => groupView() });
    const page = await h.openPage('pkg-activity/group/index', { id: '41', share: 'tokA' });
    expect(h.text(page, '#headline')).toBe('还差2人成团');
    expect(h.text(page, '#time-left')).toMatch(/^剩余 00:(10:00|09:5\d)$/);
    expect(h.text(page, '#leader-price')).toBe('团长价 ¥18.90');
    expect(page.querySelectorAll('.seat').length).toBe(3);
    expect(page.querySelectorAll('.seat.free').length).toBe(2);
    expect(page.querySelector('#invite')).toBeFalsy();
    await h.tap(page, '#join');
    expect(store.buyNow).toEqual([expect.objectContaining({ skuId: 108, quantity: 1, activityId: 'gb-tee' })]);
    expect(store.group).toEqual({ groupId: 41, shareToken: 'tokA' });
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pkg-order/checkout/index?mode=buynow' });
    page.instance.onUnload();
  });

  test('a member invites friends with their own share token; a full group offers to open one', async () => {
    const log = h.mockServer({
      'GET /api/groups/{id}': () => groupView({ myOrderId: 9, canJoin: false, joinRefusal: 'GROUP_ALREADY_JOINED' }),
      'POST /api/share': (req) => ({ status: 201, body: { token: 'mine123', path: `pkg-activity/group/index?id=${req.data.targetId}&share=mine123` } }),
    });
    const page = await h.openPage('pkg-activity/group/index', { id: '41' });
    expect(page.querySelector('#invite')).toBeTruthy();
    expect(page.querySelector('#join')).toBeFalsy();
    expect(log.find((r) => r.path === '/api/share').data).toEqual({ kind: 'group', targetId: 41 });
    const share = page.instance.onShareAppMessage();
    expect(share.path).toBe('/pkg-activity/group/index?id=41&share=mine123');
    expect(share.title).toBe('还差2人，¥19.90拼男士纯棉短袖T恤');
    await h.tap(page, '#my-order');
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pkg-order/detail/index?id=9' });
    page.instance.onUnload();

    h.mockServer({ 'GET /api/groups/{id}': () => groupView({ canJoin: false, joinRefusal: 'GROUP_FULL', progress: { status: 'open', size: 3, paid: 2, needed: 1, seatsLeft: 0, secondsLeft: 600, joinable: false } }) });
    const full = await h.openPage('pkg-activity/group/index', { id: '41' });
    expect(h.text(full, '#refusal')).toBe('该团已满，可以自己开团');
    await h.tap(full, '#open-own');
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pages/product/index?id=1' });
    full.instance.onUnload();
  });

  test('a group formed by 系统成团 says so and shows only its real members', async () => {
    h.mockServer({ 'GET /api/groups/{id}': () => groupView({ autoFormed: true, canJoin: false, joinRefusal: 'GROUP_NOT_OPEN',
      progress: { status: 'autoSuccess', size: 3, paid: 2, needed: 1, seatsLeft: 1, secondsLeft: 0, joinable: false },
      members: [{ nickname: '阿强', avatar: 'a', role: 'leader', paid: true, joinedAt: 1 }, { nickname: '小美', avatar: 'b', role: 'member', paid: true, joinedAt: 2 }] }) });
    const page = await h.openPage('pkg-activity/group/index', { id: '41' });
    expect(h.text(page, '#headline')).toBe('系统成团（2人）');
    expect(page.querySelectorAll('.seat').length).toBe(2);
    expect(page.querySelectorAll('.seat.free').length).toBe(0);
  });
});

describe('my groups', () => {
  test('lists the shopper groups with their progress and opens one', async () => {
    h.mockServer({
      'GET /api/member/groups': () => ({ items: [
        { groupId: 41, orderId: 9, role: 'leader', productTitle: 'T恤', image: 'x', expiresAt: now() + 60, joinedAt: now(), progress: { status: 'open', size: 3, paid: 1, needed: 2, seatsLeft: 2, secondsLeft: 60, joinable: true } },
        { groupId: 40, orderId: 8, role: 'member', productTitle: '坚果', image: 'y', expiresAt: now() - 60, joinedAt: now() - 99, progress: { status: 'success', size: 2, paid: 2, needed: 0, seatsLeft: 0, secondsLeft: 0, joinable: false } },
      ], page: 1, pageSize: 20, total: 2, hasMore: false }),
    });
    const page = await h.openPage('pkg-activity/groups/index');
    expect(h.texts(page, '.headline').map((t) => t.split(' ')[0])).toEqual(['还差2人成团', '拼团成功']);
    expect(h.text(page, '#end')).toBe('没有更多了');
    await h.tap(page, '#group-40');
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pkg-activity/group/index?id=40' });
  });
});

describe('sharing: landing from a card or a 小程序码, and the poster', () => {
  const shareLib = require('../../miniprogram/lib/share.js');

  test('a scanned code (scene = token) lands on the product and on the group it was made for', async () => {
    const log = h.mockServer({
      'GET /api/share/{token}': (req) => ({ token: req.params[0], kind: req.params[0].startsWith('p') ? 'product' : 'group', target: req.params[0].startsWith('p') ? '1' : '41', channel: 'poster', sharerNickname: '阿强', path: '' }),
      'GET /api/products/{id}': () => groupDetail(),
      'GET /api/products/{id}/groups': () => [],
      'GET /api/groups/{id}': () => groupView(),
    });
    const product = await h.openPage('pages/product/index', { scene: encodeURIComponent('pTok~1') });
    expect(log.some((r) => r.path === '/api/products/1')).toBe(true);
    expect(product.instance._share).toBe('pTok~1');
    const page = await h.openPage('pkg-activity/group/index', { scene: 'gTok' });
    expect(log.some((r) => r.path === '/api/groups/41')).toBe(true);
    await h.tap(page, '#join');
    expect(store.group).toEqual({ groupId: 41, shareToken: 'gTok' });
    page.instance.onUnload();
    // A product's token on the group page is not a group.
    const wrong = await h.openPage('pkg-activity/group/index', { scene: 'pTok' });
    expect(h.text(wrong, '#not-found')).toBe('拼团不存在');
  });

  test('the poster: picture, wrapped title, group price, 还差N人 and the token\'s code; painted and saved', async () => {
    const ops = shareLib.posterOps({ image: 'img', title: '一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十', priceText: '¥19.90', listPriceText: '¥49.00', note: '还差2人成团', token: 'mine123' });
    const texts = ops.filter((o) => o.op === 'text').map((o) => o.text);
    expect(texts[0]).toHaveLength(18);
    expect(Array.from(texts[1])).toHaveLength(18);
    expect(texts[1].endsWith('…')).toBe(true);
    expect(texts).toEqual(expect.arrayContaining(['¥19.90', '还差2人成团', '长按识别小程序码']));
    const code = ops.find((o) => o.op === 'image' && o.src.includes('/code'));
    expect(code.src).toMatch(/\/api\/share\/mine123\/code$/);

    h.mockServer({
      'GET /api/groups/{id}': () => groupView({ myOrderId: 9, canJoin: false, joinRefusal: 'GROUP_ALREADY_JOINED' }),
      'POST /api/share': () => ({ status: 201, body: { token: 'mine123', path: 'pkg-activity/group/index?id=41&share=mine123' } }),
    });
    const drawn = h.posterCanvas('tmp/poster.png');
    const page = await h.openPage('pkg-activity/group/index', { id: '41' });
    await page.instance.onPoster();
    expect(drawn.filter((d) => d[0] === 'image').map((d) => d[1])).toEqual(['https://img.example.com/tee-b.jpg', expect.stringMatching(/\/api\/share\/mine123\/code$/)]);
    expect(drawn.some((d) => d[0] === 'text' && d[1] === '还差2人成团，3人团')).toBe(true);
    expect(wx.saveImageToPhotosAlbum).toHaveBeenCalledWith(expect.objectContaining({ filePath: 'tmp/poster.png' }));
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '海报已保存到相册', icon: 'success' });
    page.instance.onUnload();
  });
});

test('a signed-in shopper\'s product card carries their share token (WeChat waits on the promise)', async () => {
  h.mockServer({
    'GET /api/products/{id}': () => groupDetail(),
    'GET /api/products/{id}/groups': () => [],
    'POST /api/share': (req) => ({ status: 201, body: { token: 'prod77', path: `pages/product/index?id=${req.data.targetId}&share=prod77` } }),
  });
  const api = require('../../miniprogram/lib/api.js');
  const page = await h.openPage('pages/product/index', { id: '1' });
  // Not signed in: the plain page, nothing asked of the server.
  expect(page.instance.onShareAppMessage()).toEqual(expect.not.objectContaining({ promise: expect.anything() }));
  await api.login();
  const card = page.instance.onShareAppMessage();
  expect(card.path).toBe('/pages/product/index?id=1');
  expect(await card.promise).toEqual(expect.objectContaining({ path: '/pages/product/index?id=1&share=prod77' }));
});
