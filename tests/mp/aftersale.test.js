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
    // the server's figure for the units asked (the page never computes it)
    'POST /api/orders/{id}/after-sales/preview': (req) => ({
      amount: 8952 * req.data.items[0].quantity, pointsReturned: 0, couponsBack: false, couponsReturned: [], wholeOrder: false,
    }),
    'POST /api/after-sales/{id}/return': (req) => {
      const a = store.requests.find((x) => x.id === Number(req.params[0]));
      Object.assign(a, { status: 'returned', returnCarrier: req.data.carrier, returnTrackingNo: req.data.trackingNo });
      return a;
    },
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
  // the refund of the chosen units, as the server would approve it, before submitting
  expect(h.text(page, '#form-preview')).toBe('¥179.04');
  const previews = () => log.filter((r) => r.path === '/api/orders/2/after-sales/preview');
  expect(previews().map((r) => r.data)).toEqual([{ kind: 'refund_only', items: [{ lineId: '11', quantity: 2 }], includeShipping: false, reason: '' }]);
  await h.tap(page, '#qty-plus'); // at most the 2 bought
  expect(h.text(page, '#form-qty')).toBe('2');
  expect(previews().length).toBe(1);
  await h.tap(page, '#qty-minus');
  expect(h.text(page, '#form-qty')).toBe('1');
  expect(h.text(page, '#form-preview')).toBe('¥89.52');
  expect(previews().pop().data.items).toEqual([{ lineId: '11', quantity: 1 }]);
  expect(page.querySelector('#form-preview-note')).toBeFalsy();
  expect(log.some((r) => r.method === 'POST' && r.path === '/api/orders/2/after-sales')).toBe(false);
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

test('the preview shows points and coupons coming back; a refused preview shows the server\'s message', async () => {
  let answer = { amount: 38704, pointsReturned: 120, couponsBack: true, couponsReturned: ['7'], wholeOrder: true };
  server('paid', [], {
    'POST /api/orders/{id}/after-sales/preview': () => answer,
  });
  const page = await h.openPage('pkg-order/detail/index', { id: '2' });
  await h.tap(page, '#aftersale-12');
  expect(h.text(page, '#form-preview')).toBe('¥387.04');
  expect(h.text(page, '#form-preview-note')).toBe('退还120积分，优惠券将退回');
  answer = { status: 422, body: { code: 'REFUND_QUANTITY_EXCEEDED', message: '退款数量超过可退数量', details: {} } };
  await h.tap(page, '#form-close');
  await h.tap(page, '#aftersale-11');
  expect(h.text(page, '#form-preview')).toBe('');
  expect(h.text(page, '#form-preview-note')).toBe('退款数量超过可退数量');
});

test('return and refund waiting for the goods: carrier and tracking number sent back, then shown', async () => {
  const { log } = server('shipped', [
    fx.afterSale(61, 2, { kind: 'return_refund', status: 'awaiting_return', items: [{ lineId: '12', quantity: 1 }], amount: 19900 }),
    fx.afterSale(60, 2, { kind: 'refund_only', status: 'requested' }),
  ]);
  const page = await h.openPage('pkg-order/detail/index', { id: '2' });
  expect(h.text(page, '#as-status-61')).toBe('待寄回商品');
  expect(page.querySelector('#send-back-60')).toBeFalsy(); // refund only: nothing to send
  expect(page.querySelector('#as-return-61')).toBeFalsy();
  await h.tap(page, '#send-back-61');
  expect(page.querySelector('#return-form')).toBeTruthy();
  await h.tap(page, '#return-submit');
  expect(wx.showToast).toHaveBeenLastCalledWith(expect.objectContaining({ title: '请填写快递公司' }));
  page.querySelector('#return-carrier').dispatchEvent('input', { detail: { value: ' 顺丰速运 ' } });
  await h.flush();
  await h.tap(page, '#return-submit');
  expect(wx.showToast).toHaveBeenLastCalledWith(expect.objectContaining({ title: '请填写快递单号' }));
  page.querySelector('#return-tracking').dispatchEvent('input', { detail: { value: 'SF1234567890' } });
  await h.flush();
  expect(log.some((r) => r.path === '/api/after-sales/61/return')).toBe(false);
  await h.tap(page, '#return-submit');

  const post = log.find((r) => r.method === 'POST' && r.path === '/api/after-sales/61/return');
  expect(post.data).toEqual({ carrier: '顺丰速运', trackingNo: 'SF1234567890' });
  expect(page.querySelector('#return-form')).toBeFalsy();
  expect(h.text(page, '#as-status-61')).toBe('商品已寄回');
  expect(h.text(page, '#as-return-61')).toBe('顺丰速运 SF1234567890');
  expect(page.querySelector('#send-back-61')).toBeFalsy();
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
