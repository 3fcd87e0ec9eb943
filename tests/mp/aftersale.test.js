// 申请售后 per line on 订单详情 (quantity, 仅退款 / 退货退款, reason) with the
// refund amount the server computes, and the 售后 tab of 我的订单.
'use strict';
const h = require('./helpers');
const fx = require('./fixtures');

beforeEach(() => {
  h.resetSession();
  wx.navigateTo = jest.fn();
  wx.showToast = jest.fn();
  wx.showModal = jest.fn((o) => o.success && o.success({ confirm: true }));
});

function server(status, requests, overrides) {
  const store = { requests: requests.slice() };
  const log = h.mockServer(Object.assign({
    'GET /api/orders/{id}': (req) => fx.orderDetail(fx.order(Number(req.params[0]), status), {
      refundedAmount: store.requests.filter((a) => a.status === 'refunded').reduce((n, a) => n + a.amount, 0),
    }),
    'GET /api/after-sales': () => store.requests,
    'POST /api/orders/{id}/after-sales': (req) => {
      const a = fx.afterSale(60 + store.requests.length, Number(req.params[0]), {
        kind: req.data.kind, items: req.data.items, reason: req.data.reason, includeShipping: req.data.includeShipping, amount: 8952,
      });
      store.requests.unshift(a);
      return { status: 201, body: a };
    },
  }, overrides));
  return { log, store };
}

test('shipped order: 申请售后 on a line → quantity, 退货退款, reason → the server\'s amount, then listed', async () => {
  const { log } = server('shipped', []);
  const page = await h.openPage('pkg-order/detail/index', { id: '2' });
  expect(h.text(page, '#aftersale-11')).toBe('申请售后');
  expect(h.text(page, '#aftersale-12')).toBe('申请售后');

  await h.tap(page, '#aftersale-11');
  expect(h.text(page, '#form-title')).toBe('男士纯棉短袖T恤');
  expect(h.text(page, '#form-qty')).toBe('2');
  await h.tap(page, '#qty-plus'); // at most the 2 bought
  expect(h.text(page, '#form-qty')).toBe('2');
  await h.tap(page, '#qty-minus');
  expect(h.text(page, '#form-qty')).toBe('1');
  await h.tap(page, '#kind-return_refund');
  // no reason yet: not sent
  await h.tap(page, '#form-submit');
  expect(wx.showToast).toHaveBeenLastCalledWith(expect.objectContaining({ title: '请选择售后原因' }));
  expect(log.some((r) => r.path === '/api/orders/2/after-sales')).toBe(false);
  await h.tap(page, '#reason-1');
  await h.tap(page, '#form-submit');

  const post = log.find((r) => r.method === 'POST' && r.path === '/api/orders/2/after-sales');
  expect(post.data).toEqual({ kind: 'return_refund', items: [{ lineId: '11', quantity: 1 }], includeShipping: false, reason: '商品质量问题' });
  expect(wx.showModal).toHaveBeenCalledWith(expect.objectContaining({ title: '售后申请已提交', content: expect.stringContaining('¥89.52') }));
  expect(page.querySelector('#aftersale-form')).toBeFalsy();
  expect(h.text(page, '#as-60')).toContain('退货退款');
  expect(h.text(page, '#as-60')).toContain('男士纯棉短袖T恤 ×1');
  expect(h.text(page, '#as-status-60')).toBe('待商家处理');
  expect(h.text(page, '#as-amount-60')).toBe('¥89.52');
  // one T-shirt left to ask for
  await h.tap(page, '#aftersale-11');
  expect(h.text(page, '#form-qty')).toBe('1');
});

test('paid (not shipped) order: refund only; units held by a request are not offered again, rejected ones are', async () => {
  server('paid', [
    fx.afterSale(50, 2, { items: [{ lineId: '12', quantity: 1 }], status: 'refunded', amount: 19900 }),
    fx.afterSale(51, 2, { items: [{ lineId: '11', quantity: 2 }], status: 'rejected', rejectReason: '已超过售后期' }),
  ]);
  const page = await h.openPage('pkg-order/detail/index', { id: '2' });
  expect(page.querySelector('#aftersale-12')).toBeFalsy();
  expect(h.text(page, '#aftersale-11')).toBe('申请售后');
  expect(h.text(page, '#refunded')).toBe('¥199.00');
  expect(h.text(page, '#as-status-50')).toBe('退款成功');
  expect(h.text(page, '#as-status-51')).toBe('已拒绝');
  expect(h.text(page, '#as-51')).toContain('已超过售后期');
  await h.tap(page, '#aftersale-11');
  expect(page.querySelector('#kind-return_refund')).toBeFalsy();
  expect(h.text(page, '#form-qty')).toBe('2');
});

test('the server refusing a request shows its message; unpaid orders offer no after-sales', async () => {
  server('shipped', [], {
    'POST /api/orders/{id}/after-sales': () => ({ status: 409, body: { code: 'AFTER_SALE_NOT_ALLOWED', message: '订单已退款，不能申请售后', details: {} } }),
  });
  const page = await h.openPage('pkg-order/detail/index', { id: '2' });
  await h.tap(page, '#aftersale-12');
  await h.tap(page, '#reason-0');
  await h.tap(page, '#form-submit');
  expect(wx.showToast).toHaveBeenLastCalledWith(expect.objectContaining({ title: '订单已退款，不能申请售后' }));
  expect(page.querySelector('#aftersale-form')).toBeTruthy();

  const { log } = server('pending_payment', []);
  const unpaid = await h.openPage('pkg-order/detail/index', { id: '3' });
  expect(unpaid.querySelector('#aftersale-11')).toBeFalsy();
  expect(log.some((r) => r.path === '/api/after-sales')).toBe(false);
});

test('orders list: the 售后 tab lists the requests with their status and the server\'s amount', async () => {
  const requests = [
    fx.afterSale(61, 2, { kind: 'return_refund', status: 'awaiting_return', items: [{ lineId: '12', quantity: 1 }], amount: 19900 }),
    fx.afterSale(60, 2, { status: 'refunded', amount: 8952 }),
  ];
  const log = h.mockServer({
    'GET /api/orders': (req) => {
      const items = req.query.tab === 'afterSale' ? [fx.order(2, 'shipped')] : [];
      return { items, page: 1, pageSize: 10, total: items.length, hasMore: false };
    },
    'GET /api/after-sales': () => requests,
  });
  const page = await h.openPage('pkg-order/orders/index');
  await h.tap(page, '#tab-afterSale');
  expect(log.some((r) => r.path === '/api/after-sales')).toBe(true);
  expect(h.text(page, '#as-61')).toContain('退货退款');
  expect(h.text(page, '#as-61')).toContain('降噪蓝牙耳机 ×1');
  expect(h.text(page, '#as-status-61')).toBe('待寄回商品');
  expect(h.text(page, '#as-amount-61')).toBe('¥199.00');
  expect(h.text(page, '#as-status-60')).toBe('退款成功');
  expect(h.text(page, '#as-amount-60')).toBe('¥89.52');
  expect(page.querySelector('#empty')).toBeFalsy();
  await h.tap(page, '#as-60');
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pkg-order/detail/index?id=2' });
  // back to 全部: the requests are gone, orders list again
  await h.tap(page, '#tab-all');
  expect(page.querySelector('#as-60')).toBeFalsy();
});
