// 我的订单 (status tabs), 订单详情, 我的 (member centre): realistic data, taps.
'use strict';
const h = require('./helpers');
const fx = require('./fixtures');

beforeEach(() => {
  h.resetSession();
  wx.navigateTo = jest.fn();
  wx.showToast = jest.fn();
  wx.showModal = jest.fn((o) => o.success({ confirm: true }));
});

// The server's shapes (tests/mp/fixtures.js): snake_case statuses, its actions.
const order = (id, status, extra) => fx.order(id, status, extra);
const detail = fx.orderDetail;

test('orders: six tabs (全部 + 5 statuses), opening on the tab asked for, cancel from the list', async () => {
  let cancelled = false;
  const log = h.mockServer({
    'GET /api/orders': (req) => {
      const items = {
        unpaid: cancelled ? [] : [order(1, 'pending_payment')],
        toReceive: [order(2, 'shipped')],
      }[req.query.tab] || [];
      return { items, page: 1, pageSize: 10, total: items.length, hasMore: false };
    },
    'POST /api/orders/{id}/cancel': (req) => { cancelled = true; return detail(order(Number(req.params[0]), 'cancelled')); },
  });
  const page = await h.openPage('pkg-order/orders/index', { tab: 'unpaid' });
  expect(h.texts(page, '.tab')).toEqual(['全部', '待付款', '待发货', '待收货', '已完成', '售后']);
  expect(h.text(page, '.tab.on') || h.text(page, '#tab-unpaid')).toBe('待付款');
  expect(log.find((r) => r.path === '/api/orders').query).toEqual({ tab: 'unpaid', page: '1', pageSize: '10' });
  expect(h.text(page, '#order-1')).toContain('待付款');
  expect(h.text(page, '#order-1')).toContain('¥387.04');

  await h.tap(page, '#cancel-1');
  expect(log.some((r) => r.method === 'POST' && r.path === '/api/orders/1/cancel')).toBe(true);
  expect(h.text(page, '#empty')).toBe('暂无订单');

  await h.tap(page, '#tab-toReceive');
  expect(h.text(page, '#order-2')).toContain('确认收货');
  await h.tap(page, '#tab-toShip');
  expect(h.text(page, '#empty')).toBe('暂无订单');
});

test('order detail: amounts, address, lines, confirm receipt', async () => {
  const shipped = detail(order(2, 'shipped'), { shippedAt: fx.NOW + 3600 });
  const log = h.mockServer({
    'GET /api/orders/{id}': () => shipped,
    'GET /api/after-sales': () => [],
    'POST /api/orders/{id}/confirm-receipt': () => detail(order(2, 'completed'), { shippedAt: fx.NOW + 3600, completedAt: fx.NOW + 7200 }),
  });
  const page = await h.openPage('pkg-order/detail/index', { id: '2' });
  expect(h.text(page, '#status')).toBe('待收货');
  expect(h.text(page, '#address')).toBe('张三 13800138000');
  expect(h.text(page, '#payable')).toBe('¥387.04');
  expect(h.text(page, '#row-goods')).toContain('¥393.04');
  expect(h.text(page, '#row-discount')).toContain('-¥15.00');
  expect(h.text(page, '#row-shipping')).toContain('¥9.00');
  expect(h.text(page, '#line-11')).toContain('¥97.02 ×2');
  await h.tap(page, '#confirm');
  expect(log.some((r) => r.path === '/api/orders/2/confirm-receipt')).toBe(true);
  expect(h.text(page, '#status')).toBe('已完成');
  expect(page.querySelector('#confirm')).toBeFalsy();
});

test('order detail: an error from the server is shown with its message', async () => {
  h.mockServer({ 'GET /api/orders/{id}': () => ({ status: 404, body: { code: 'NOT_FOUND', message: '内容不存在或已删除', details: { resource: 'order' } } }) });
  await h.openPage('pkg-order/detail/index', { id: '99' });
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '内容不存在或已删除' }));
});

test('member centre: level, growth progress, upgrade hint, points, coupons, order shortcuts', async () => {
  const log = h.mockServer({
    'GET /api/member': () => ({
      userId: 7, nickname: '小明', avatar: 'https://img.example.com/a.png', phone: '138****8000', points: 3000, pointsDebt: 0,
      member: {
        growth: 600,
        level: { levelId: 'silver', name: '白银会员', discountRate: '0.98', freeShipping: false, pointsMultiplier: '1' },
        next: { levelId: 'gold', name: '黄金会员', minGrowth: 2000, growthNeeded: 1400, spendNeeded: 140000 },
      },
      coupons: { available: 5, used: 1, expired: 0 },
    }),
    'GET /api/member/coupons': () => fx.wallet.map((c, i) => ({
      id: Number(c.couponId), templateId: i + 1, title: c.title, shopId: c.shopId || null, kind: c.kind, scope: c.scope || {},
      stackable: true, validFrom: c.validFrom, validUntil: c.validUntil, status: 'available', orderId: null,
    })),
  });
  const page = await h.openPage('pages/member/index');
  expect(h.text(page, '#level')).toBe('白银会员 · 购物享9.8折');
  expect(h.text(page, '#growth')).toBe('600/2000');
  expect(page.querySelector('#progress').dom.getAttribute('style')).toContain('width: 30%');
  expect(h.text(page, '#upgrade-hint')).toBe('再获得1400成长值升级黄金会员（约再消费¥1400）');
  expect(h.text(page, '#points')).toBe('3000');
  expect(page.querySelector('#points-debt')).toBeFalsy();
  expect(h.text(page, '#coupon-count')).toBe('5');

  await h.tap(page, '#coupons');
  expect(log.find((r) => r.path === '/api/member/coupons').query).toEqual({ status: 'available' });
  expect(h.text(page, '#coupon-901')).toContain('¥10');
  expect(h.text(page, '#coupon-901')).toContain('满¥100可用');
  expect(h.text(page, '#coupon-903')).toContain('9折');
  expect(h.text(page, '#coupon-903')).toContain('最高减¥30');

  await h.tap(page, '#orders-toShip');
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pkg-order/orders/index?tab=toShip' });
});

test('member centre: a points debt from a closed refund shows as 待扣积分', async () => {
  h.mockServer({
    'GET /api/member': () => ({
      userId: 7, nickname: '小明', avatar: '', phone: null, points: 0, pointsDebt: 120,
      member: { growth: 0, level: null, next: { levelId: 'silver', name: '白银会员', minGrowth: 500, growthNeeded: 500, spendNeeded: 50000 } },
      coupons: { available: 0, used: 0, expired: 0 },
    }),
  });
  const page = await h.openPage('pages/member/index');
  expect(h.text(page, '#points')).toBe('0');
  expect(h.text(page, '#points-debt')).toBe('120待扣积分');
});

describe('order detail: 评价 a line of a completed order', () => {
  const completed = (reviewed) => {
    const o = order(3, 'completed');
    o.lines.forEach((l) => { l.reviewed = reviewed.includes(l.lineId); });
    return detail(o, { shippedAt: fx.NOW + 3600, completedAt: fx.NOW + 7200 });
  };

  test('stars and text post the review; the line then shows 已评价', async () => {
    const reviewed = ['12'];
    const log = h.mockServer({
      'GET /api/orders/{id}': () => completed(reviewed),
      'GET /api/after-sales': () => [],
      'POST /api/orders/{id}/lines/{lineId}/review': (req) => {
        reviewed.push(req.params[1]);
        return { status: 201, body: { id: 40, nickname: '小***明', rating: req.data.rating, text: req.data.text, createdAt: fx.NOW + 9000 } };
      },
    });
    const page = await h.openPage('pkg-order/detail/index', { id: '3' });
    expect(h.text(page, '#review-11')).toBe('评价');
    expect(page.querySelector('#reviewed-11')).toBeFalsy();
    expect(page.querySelector('#review-12')).toBeFalsy();
    expect(h.text(page, '#reviewed-12')).toBe('已评价');

    await h.tap(page, '#review-11');
    expect(h.text(page, '#review-title')).toBe('男士纯棉短袖T恤');
    expect(page.querySelectorAll('.star.on').length).toBe(5);
    await h.tap(page, '#star-3');
    expect(page.querySelectorAll('.star.on').length).toBe(3);
    page.querySelector('#review-text').dispatchEvent('input', { detail: { value: '  面料舒服，尺码偏大  ' } });
    await h.flush();
    expect(h.text(page, '#review-count')).toBe('9/500');
    await h.tap(page, '#review-submit');

    const post = log.find((r) => r.method === 'POST' && r.path.endsWith('/review'));
    expect(post.path).toBe('/api/orders/3/lines/11/review');
    expect(post.data).toEqual({ rating: 3, text: '面料舒服，尺码偏大' });
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '评价成功' }));
    expect(page.querySelector('#review-form')).toBeFalsy();
    expect(page.querySelector('#review-11')).toBeFalsy();
    expect(h.text(page, '#reviewed-11')).toBe('已评价');
  });

  test('over 500 characters is not sent; ALREADY_REVIEWED closes the form and shows the line as reviewed', async () => {
    const reviewed = [];
    const log = h.mockServer({
      'GET /api/orders/{id}': () => completed(reviewed),
      'GET /api/after-sales': () => [],
      'POST /api/orders/{id}/lines/{lineId}/review': () => {
        reviewed.push('11');
        return { status: 409, body: { code: 'ALREADY_REVIEWED', message: '已经评价过了', details: {} } };
      },
    });
    const page = await h.openPage('pkg-order/detail/index', { id: '3' });
    await h.tap(page, '#review-11');
    page.querySelector('#review-text').dispatchEvent('input', { detail: { value: '好'.repeat(501) } });
    await h.flush();
    await h.tap(page, '#review-submit');
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '评价最多500字' }));
    const posts = () => log.filter((r) => r.method === 'POST' && r.path.endsWith('/review'));
    expect(posts().length).toBe(0);

    page.querySelector('#review-text').dispatchEvent('input', { detail: { value: '😀'.repeat(500) } });
    await h.flush();
    expect(h.text(page, '#review-count')).toBe('500/500');
    await h.tap(page, '#review-submit');
    expect(posts().length).toBe(1);
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '已经评价过了' }));
    expect(page.querySelector('#review-form')).toBeFalsy();
    expect(h.text(page, '#reviewed-11')).toBe('已评价');
  });

  test('orders not completed have no 评价', async () => {
    h.mockServer({
      'GET /api/orders/{id}': () => detail(order(2, 'shipped')),
      'GET /api/after-sales': () => [],
    });
    const page = await h.openPage('pkg-order/detail/index', { id: '2' });
    expect(page.querySelector('#review-11')).toBeFalsy();
    expect(page.querySelector('#reviewed-11')).toBeFalsy();
  });
});
