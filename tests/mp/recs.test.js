// 为你推荐 / 猜你喜欢 (components/rec-list): the home page, a product page and
// the cart ask the server for their slot, show each product with its reason,
// report impressions and clicks as shopper events, and show nothing (no error)
// when the server has no recommendations.
'use strict';
const h = require('./helpers');
const fx = require('./fixtures');
const track = require('../../miniprogram/lib/track.js');

let core;
beforeAll(async () => { h.installWasm(); core = await h.rules(); });
beforeEach(() => {
  h.resetSession();
  track._reset();
  wx.navigateTo = jest.fn();
  wx.showToast = jest.fn();
});

const ITEMS = [
  { id: 8, title: '商务休闲免烫衬衫', subtitle: '', image: 'https://img.example.com/8.jpg', price: 15900, stock: 9, sales: 640,
    reason: { kind: 'viewed', productId: 1, text: '因为你看过「纯棉圆领短袖T恤」' } },
  { id: 7, title: '内蒙古风干牛肉干', subtitle: '', image: 'https://img.example.com/7.jpg', price: 4990, stock: 99, sales: 7600,
    reason: { kind: 'bestSeller', text: '热销好物' } },
];

function recsRoute(seen) {
  return {
    'GET /api/recommendations': (req) => { seen.push(req); return { slot: req.query.slot, items: ITEMS }; },
    'POST /api/events': (req) => ({ status: 202, body: { accepted: req.data.events.length, duplicates: 0 } }),
  };
}

/** The events the page sent (after a flush). */
async function sentEvents(log) {
  await track.flush();
  await h.flush();
  return log.filter((r) => r.path === '/api/events').flatMap((r) => r.data.events);
}

test('home: 为你推荐 with reasons; impressions once, a tap is a click and opens the product', async () => {
  const seen = [];
  const log = h.mockServer(Object.assign({
    'GET /api/categories': () => fx.categories,
    'GET /api/products': (req) => fx.productsPage(Number(req.query.page), 3, Number(req.query.pageSize)),
  }, recsRoute(seen)));
  const page = await h.openPage('pages/home/index');
  const recs = page.querySelector('#recs');
  expect(seen.map((r) => r.query)).toEqual([{ slot: 'home', count: '10' }]);
  expect(h.texts(recs, '.recs-title')).toEqual(['为你推荐']);
  expect(h.texts(recs, '.rec-title')).toEqual(['商务休闲免烫衬衫', '内蒙古风干牛肉干']);
  expect(h.texts(recs, '.rec-reason')).toEqual(['因为你看过「纯棉圆领短袖T恤」', '热销好物']);
  expect(h.texts(recs, '.rec-price')).toEqual(['¥159.00', '¥49.90']);
  // the paged list by sales is still there, under its own title
  expect(page.querySelectorAll('.card').length).toBe(3);
  expect(h.text(page, '.section-title')).toBe('更多好物');

  await h.tap(recs, '#rec-8');
  expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pages/product/index?id=8' });
  const events = (await sentEvents(log)).map((e) => [e.name, e.props.slot, e.props.productId]);
  expect(events).toEqual([
    ['rec_impression', 'home', 8],
    ['rec_impression', 'home', 7],
    ['rec_click', 'home', 8],
  ]);
  // no login for a guest's home page
  expect(log.some((r) => r.path === '/api/auth/login')).toBe(false);
});

test('product page: 猜你喜欢 for the product on screen', async () => {
  const seen = [];
  h.mockServer(Object.assign({ 'GET /api/products/{id}': () => h.clone(fx.productDetail) }, recsRoute(seen)));
  const page = await h.openPage('pages/product/index', { id: '1' });
  await h.flush();
  const recs = page.querySelector('#recs');
  expect(seen.map((r) => r.query)).toEqual([{ slot: 'product', count: '6', productId: String(fx.productDetail.id) }]);
  expect(h.texts(recs, '.recs-title')).toEqual(['猜你喜欢']);
  expect(h.texts(recs, '.rec-reason')).toEqual(['因为你看过「纯棉圆领短袖T恤」', '热销好物']);
});

test('cart: 猜你喜欢 as the signed-in owner, asked again when the shopper comes back', async () => {
  const seen = [];
  const input = fx.cartInput();
  const log = h.mockServer(Object.assign({
    'GET /api/cart': () => ({ items: fx.cartItems, quote: core.quote(input) }),
    'POST /api/checkout/input': () => ({ input }),
  }, recsRoute(seen)));
  const page = await h.openPage('pages/cart/index');
  expect(seen.length).toBe(1);
  expect(seen[0].query).toEqual({ slot: 'cart', count: '6' });
  expect(seen[0].header.Authorization).toBe('Bearer tok-1');
  expect(log.filter((r) => r.path === '/api/auth/login').length).toBe(1);
  expect(h.texts(page.querySelector('#recs'), '.rec-title')).toEqual(['商务休闲免烫衬衫', '内蒙古风干牛肉干']);
  page.instance.onShow();
  await h.flush();
  expect(seen.length).toBe(2);
});

test('nothing to recommend, or a server without the route: no section and no error', async () => {
  for (const route of [() => ({ slot: 'home', items: [] }), null]) {
    const routes = {
      'GET /api/categories': () => fx.categories,
      'GET /api/products': (req) => fx.productsPage(Number(req.query.page), 2),
    };
    if (route) routes['GET /api/recommendations'] = route;
    const log = h.mockServer(routes);
    const page = await h.openPage('pages/home/index');
    expect(log.filter((r) => r.path === '/api/recommendations').length).toBe(1);
    expect(page.querySelector('#recs').querySelector('.recs')).toBeFalsy();
    expect(page.querySelectorAll('.card').length).toBe(2);
    expect(wx.showToast).not.toHaveBeenCalled();
  }
});

test("home: a signed-in member's /api/home carries the token (their campaign banners come first)", async () => {
  const log = h.mockServer({
    'GET /api/home': () => ({ now: Math.floor(Date.now() / 1000), banners: [{ image: 'https://img.example.com/vip.jpg', url: '/pages/list/index?categoryId=1' }], flashSale: null }),
    'GET /api/categories': () => fx.categories,
    'GET /api/products': (req) => fx.productsPage(Number(req.query.page), 2),
  });
  await require('../../miniprogram/lib/api.js').login();
  const page = await h.openPage('pages/home/index');
  const home = log.find((r) => r.path === '/api/home');
  expect(home.header.Authorization).toBe('Bearer tok-1');
  expect(page.querySelectorAll('.banner-item').length).toBe(1);
});
