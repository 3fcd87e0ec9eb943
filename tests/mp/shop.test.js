// 首页, 分类, 搜索, 商品列表, 商品详情: render from realistic server data and react to taps.
'use strict';
const h = require('./helpers');
const fx = require('./fixtures');
const store = require('../../miniprogram/lib/store.js');

let core;
beforeAll(async () => { h.installWasm(); core = await h.rules(); });
beforeEach(() => {
  h.resetSession();
  wx.navigateTo = jest.fn();
  wx.showToast = jest.fn();
});

describe('home', () => {
  test('banners, three core categories, flash sale countdown from server time, paged recommendations', async () => {
    const serverNow = Math.floor(Date.now() / 1000) - 3600 * 24 * 365; // server clock differs from the phone
    const log = h.mockServer({
      'GET /api/home': () => ({
        now: serverNow,
        banners: [{ image: 'https://img.example.com/b1.jpg', url: '/pages/list/index?categoryId=2' }],
        flashSale: { activityId: 'flash-earbuds', title: '耳机限时秒杀', startsAt: serverNow - 60, endsAt: serverNow + 2 * 3600 + 5 * 60 + 9,
          items: [{ productId: 2, title: '降噪蓝牙耳机', image: 'https://img.example.com/buds.jpg', price: 19900, listPrice: 29900 }] },
      }),
      'GET /api/categories': () => fx.categories,
      'GET /api/products': (req) => fx.productsPage(Number(req.query.page), 13, Number(req.query.pageSize)),
    });
    const page = await h.openPage('pages/home/index');
    expect(h.texts(page, '.cat')).toEqual(['服装', '数码', '食品']);
    expect(h.text(page, '#countdown')).toMatch(/^距结束 02:0(5:0[89]|5:09)$/);
    expect(h.text(page, '#flash')).toContain('¥199.00');
    expect(page.querySelectorAll('.banner-item').length).toBe(1);
    expect(page.querySelectorAll('.card').length).toBe(10);
    expect(log.find((r) => r.path === '/api/products').query).toEqual({ sort: 'sales', page: '1', pageSize: '10' });
    // public endpoints: no login, no token
    expect(log.some((r) => r.path === '/api/auth/login')).toBe(false);

    await page.instance.onReachBottom();
    await h.flush();
    expect(page.querySelectorAll('.card').length).toBe(13);
    expect(h.text(page, '#more')).toBe('没有更多了');
    page.instance.onUnload();

    await h.tap(page, '#cat-2');
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pages/list/index?categoryId=2&title=%E6%95%B0%E7%A0%81' });
    await h.tap(page, '#product-3');
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pages/product/index?id=3' });
    // the strip's head opens the sale's own page
    await h.tap(page, '#flash-head');
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pkg-activity/flash/index?id=flash-earbuds' });
  });

  test('without /api/home the page still works (no banner, no flash strip)', async () => {
    h.mockServer({
      'GET /api/categories': () => fx.categories,
      'GET /api/products': (req) => fx.productsPage(Number(req.query.page), 2),
    });
    const page = await h.openPage('pages/home/index');
    expect(page.querySelector('#flash')).toBeFalsy();
    expect(page.querySelectorAll('.card').length).toBe(2);
  });
});

test('category: two levels, tap switches the right side and opens the list', async () => {
  h.mockServer({ 'GET /api/categories': () => fx.categories });
  const page = await h.openPage('pages/category/index');
  expect(h.texts(page, '.top')).toEqual(['服装', '数码', '食品', '家居']);
  expect(h.texts(page, '.child')).toEqual(['男装', '女装']);
  await h.tap(page, '#top-3');
  expect(h.texts(page, '.child')).toEqual(['零食', '茶饮']);
  await h.tap(page, '#top-4');
  expect(h.text(page, '.empty')).toBe('暂无子分类');
  await h.tap(page, '#top-3');
  await h.tap(page, '#child-32');
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/list/index?categoryId=32&title=%E8%8C%B6%E9%A5%AE' });
});

test('search: hot words, history, suggestions, clear history', async () => {
  const log = h.mockServer({
    'GET /api/search/hot': () => ({ words: ['耳机', 'T恤', '坚果', '茶叶'] }),
    'GET /api/search/history': () => ({ keywords: ['帆布鞋', '坚果'] }),
    'GET /api/search/suggest': (req) => ({ suggestions: [`${req.query.q}降噪`, `${req.query.q}无线`] }),
    'DELETE /api/search/history': () => ({ keywords: [] }),
  });
  const page = await h.openPage('pages/search/index');
  expect(h.texts(page, '.hot-word')).toEqual(['耳机', 'T恤', '坚果', '茶叶']);
  expect(h.texts(page, '.history-word')).toEqual(['帆布鞋', '坚果']);
  expect(log.find((r) => r.path === '/api/search/history').header.Authorization).toBe('Bearer tok-1');

  page.instance.onInput({ detail: { value: '耳机' } });
  await new Promise((r) => setTimeout(r, 300));
  await h.flush();
  expect(h.texts(page, '.suggestion')).toEqual(['耳机降噪', '耳机无线']);
  await h.tap(page, '.suggestion');
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/list/index?keyword=%E8%80%B3%E6%9C%BA%E9%99%8D%E5%99%AA' });

  page.instance.onInput({ detail: { value: '' } });
  await h.flush();
  expect(h.texts(page, '.history-word')[0]).toBe('耳机降噪');
  await h.tap(page, '#clear-history');
  expect(log.some((r) => r.method === 'DELETE' && r.path === '/api/search/history')).toBe(true);
  expect(page.querySelectorAll('.history-word').length).toBe(0);
});

test('product list: keyword search, sort toggles, paging, empty state', async () => {
  const log = h.mockServer({
    'GET /api/search': (req) => fx.productsPage(Number(req.query.page), 25, Number(req.query.pageSize)),
  });
  const page = await h.openPage('pages/list/index', { keyword: '耳机' });
  expect(page.querySelectorAll('.item').length).toBe(20);
  expect(h.text(page, '#product-1')).toContain('¥11.00');
  await page.instance.onReachBottom();
  await h.flush();
  expect(page.querySelectorAll('.item').length).toBe(25);
  await h.tap(page, '#sort-price');
  expect(log[log.length - 1].query).toMatchObject({ keyword: '耳机', sort: 'priceAsc', page: '1' });
  await h.tap(page, '#sort-price');
  expect(log[log.length - 1].query.sort).toBe('priceDesc');
  expect(h.text(page, '#sort-price')).toBe('价格↓');

  h.mockServer({ 'GET /api/products': () => ({ items: [], page: 1, pageSize: 20, total: 0, hasMore: false }) });
  const empty = await h.openPage('pages/list/index', { categoryId: '12', title: '女装' });
  expect(h.text(empty, '#empty')).toBe('没有找到相关商品');
});

describe('product detail', () => {
  function server(extra) {
    const detail = h.clone(fx.productDetail);
    const now = Math.floor(Date.now() / 1000);
    detail.activities[0].startsAt = now - 3600;
    detail.activities[0].endsAt = now + 7200;
    return h.mockServer(Object.assign({
      'GET /api/products/{id}': () => detail,
      'POST /api/cart/items': () => ({ items: [], quote: null }),
      'POST /api/checkout/input': (req) => {
        const input = fx.cartInput();
        input.lines = req.data.items.map((it, i) => ({ lineId: `b${i + 1}`, skuId: String(it.skuId), quantity: it.quantity, selected: true }));
        input.catalog = detail.skus.map((s) => ({ skuId: String(s.id), shopId: 'self', listPrice: s.listPrice, stock: s.stock, categoryIds: ['11', '1'] }));
        return { input };
      },
    }, extra));
  }

  test('carousel, price range, SKU selector with stock per spec, flash price', async () => {
    server();
    const page = await h.openPage('pages/product/index', { id: '1' });
    expect(page.querySelectorAll('.gallery-img').length).toBe(3);
    // A flash sale runs on one spec: before choosing, the lowest price is the sale's.
    expect(h.text(page, '#price')).toBe('¥29.00起');
    expect(page.querySelector('.strike').dom.textContent.trim()).toBe('¥49.00');
    expect(h.text(page, '#chosen')).toBe('请选择颜色 尺码');
    await h.tap(page, '#sku-cell');
    // 白色 M is sold out: after choosing 白色, M is disabled
    await h.tap(page, '#spec-0-0');
    expect(page.querySelector('#spec-1-0').dom.className).toContain('disabled');
    await h.tap(page, '#spec-1-0'); // ignored
    expect(h.text(page, '#stock')).toBe('请选择颜色 尺码');
    await h.tap(page, '#spec-1-1');
    expect(h.text(page, '#stock')).toBe('库存50件');
    expect(h.text(page, '#price')).toBe('¥99.00');
    // 黑色 M is in the flash sale: activity price with countdown
    await h.tap(page, '#spec-0-0'); // unselect
    await h.tap(page, '#spec-0-1');
    await h.tap(page, '#spec-1-1');
    await h.tap(page, '#spec-1-0');
    expect(h.text(page, '#price')).toBe('¥29.00');
    expect(h.text(page, '#activity')).toMatch(/T恤限时秒杀.*距结束 0[12]:/);
    expect(h.text(page, '#stock')).toBe('库存20件');
  });

  test('member price from the rules core when signed in; add to cart and buy now', async () => {
    const log = server();
    wx.switchTab = jest.fn();
    await require('../../miniprogram/lib/api.js').login();
    const page = await h.openPage('pages/product/index', { id: '1' });
    const input = log.find((r) => r.path === '/api/checkout/input');
    expect(input.data.items.map((i) => i.skuId)).toEqual([101, 108, 109]);
    await h.tap(page, '#sku-cell');
    await h.tap(page, '#spec-0-0');
    await h.tap(page, '#spec-1-1');
    // silver member 0.98 × ¥99.00 = ¥97.02, computed by the wasm core
    expect(h.text(page, '#member-price')).toBe('会员价 ¥97.02');
    await h.tap(page, '#plus');
    await h.tap(page, '#add-to-cart');
    expect(log.find((r) => r.path === '/api/cart/items').data).toEqual({ skuId: 101, quantity: 2, activityId: null });
    // the page shows a toast, not the cart: it asks for no cart in the answer
    expect(log.find((r) => r.path === '/api/cart/items').header.Prefer).toBe('return=minimal');
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '已加入购物车' }));
    expect(page.querySelector('#sheet')).toBeFalsy();

    await h.tap(page, '#sku-cell');
    await h.tap(page, '#spec-0-0');
    await h.tap(page, '#spec-0-1');
    await h.tap(page, '#spec-1-1');
    await h.tap(page, '#spec-1-0');
    // 加入购物车 on the flash-sale SKU: bought now only, nothing sent
    const adds = log.filter((r) => r.path === '/api/cart/items').length;
    await h.tap(page, '#add-to-cart');
    expect(wx.showToast).toHaveBeenLastCalledWith(expect.objectContaining({ title: '秒杀商品请直接抢购' }));
    expect(log.filter((r) => r.path === '/api/cart/items').length).toBe(adds);
    await h.tap(page, '#buy-now');
    expect(store.buyNow).toEqual([expect.objectContaining({ skuId: 108, quantity: 2, activityId: 'flash-tee', title: '男士纯棉短袖T恤', specs: ['黑色', 'M'] })]);
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pkg-order/checkout/index?mode=buynow' });
    // a SKU in a running flash sale links to the sale's page
    await h.tap(page, '#flash-link');
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pkg-activity/flash/index?id=flash-tee' });
  });

  test('review summary: count, 好评率, the two latest, and a link to every review', async () => {
    server();
    const page = await h.openPage('pages/product/index', { id: '1' });
    expect(h.text(page, '#all-reviews')).toMatch(/^商品评价\(25\) ?好评率 96% 查看全部 ›$/);
    expect(h.text(page, '#good-rate')).toBe('好评率 96%');
    expect(page.querySelectorAll('.review').length).toBe(2);
    expect(h.texts(page, '.review .nick')).toEqual(['阿***', 'T***m']);
    expect(h.texts(page, '.review .stars')).toEqual(['★★★★★', '★★★☆☆']);
    expect(h.texts(page, '.review .review-text')).toEqual(['棉很软，洗了几次也不变形。', '此用户没有填写评价']);
    expect(page.querySelector('#no-reviews')).toBeFalsy();
    await h.tap(page, '#all-reviews');
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/reviews/index?id=1' });
  });

  test('no reviews yet: 暂无评价, no good rate', async () => {
    const detail = h.clone(fx.productDetail);
    detail.reviewSummary = { count: 0, goodRate: null, latest: [] };
    server({ 'GET /api/products/{id}': () => detail });
    const page = await h.openPage('pages/product/index', { id: '1' });
    expect(h.text(page, '#all-reviews')).toMatch(/^商品评价\(0\) ?查看全部 ›$/);
    expect(page.querySelector('#good-rate')).toBeFalsy();
    expect(h.text(page, '#no-reviews')).toBe('暂无评价');
  });

  test('share: an open-type="share" button, and the message carries title, path with the id, image', async () => {
    server();
    const page = await h.openPage('pages/product/index', { id: '1' });
    const btn = page.querySelector('#share');
    expect(btn).toBeTruthy();
    expect(h.text(page, '#share')).toBe('分享');
    // (miniprogram-simulate does not keep a built-in button's properties: read the template)
    const wxml = require('fs').readFileSync(require('path').join(h.MP, 'pages/product/index.wxml'), 'utf8');
    expect(wxml).toMatch(/<button[^>]*\bid="share"[^>]*\bopen-type="share"|<button[^>]*\bopen-type="share"[^>]*\bid="share"/);
    expect(btn.dom.tagName).toBe('WX-BUTTON');
    expect(page.instance.onShareAppMessage({ from: 'button' })).toEqual({
      title: '男士纯棉短袖T恤', path: '/pages/product/index?id=1', imageUrl: 'https://img.example.com/tee-1.jpg',
    });
    // with a SKU chosen, its picture
    await h.tap(page, '#sku-cell');
    await h.tap(page, '#spec-0-1');
    await h.tap(page, '#spec-1-1');
    expect(page.instance.onShareAppMessage({ from: 'menu' }).imageUrl).toBe('https://img.example.com/tee-b.jpg');
  });

  test('buying without a complete choice asks for the specs', async () => {
    const log = server();
    const page = await h.openPage('pages/product/index', { id: '1' });
    await h.tap(page, '#add-to-cart');
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '请选择颜色 尺码' }));
    expect(page.querySelector('#sheet')).toBeTruthy();
    expect(log.some((r) => r.path === '/api/cart/items')).toBe(false);
  });
});

test('reviews page: newest first, paged on reaching the bottom, empty state', async () => {
  const log = h.mockServer({
    'GET /api/products/{id}/reviews': (req) => (req.params[0] === '1' ? fx.reviewsPage(Number(req.query.page), 13, Number(req.query.pageSize)) : fx.reviewsPage(1, 0)),
  });
  const page = await h.openPage('pages/reviews/index', { id: '1' });
  expect(log.find((r) => r.path === '/api/products/1/reviews').query).toEqual({ page: '1', pageSize: '10' });
  expect(log.some((r) => r.path === '/api/auth/login')).toBe(false);
  expect(h.text(page, '#total')).toBe('共13条评价');
  expect(page.querySelectorAll('.review').length).toBe(10);
  expect(h.texts(page, '#review-999 .nick, #review-998 .nick')).toEqual(['用***1', '用***2']);
  expect(h.texts(page, '.review .stars').slice(0, 2)).toEqual(['★★☆☆☆', '★★★☆☆']);
  expect(h.texts(page, '.review .text').slice(0, 2)).toEqual(['评价1', '评价2']);
  expect(h.texts(page, '.review .muted')[0]).toMatch(/^202[56]-\d\d-\d\d$/);
  expect(h.text(page, '#more')).toBe('上拉加载更多');
  await page.instance.onReachBottom();
  await h.flush();
  expect(page.querySelectorAll('.review').length).toBe(13);
  expect(h.text(page, '#more')).toBe('没有更多了');
  await page.instance.onReachBottom(); // nothing more to ask for
  expect(log.filter((r) => r.path === '/api/products/1/reviews').length).toBe(2);

  const empty = await h.openPage('pages/reviews/index', { id: '2' });
  expect(h.text(empty, '#empty')).toBe('暂无评价');
});
