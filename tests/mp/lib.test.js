// lib/money.js (fen → text, integers only) and lib/api.js (token, login, errors).
'use strict';
const h = require('./helpers');
const money = require('../../miniprogram/lib/money.js');
const api = require('../../miniprogram/lib/api.js');

test('money formats integer fen and refuses anything else', () => {
  expect(money.format(1230)).toBe('¥12.30');
  expect(money.format(5)).toBe('¥0.05');
  expect(money.format(0)).toBe('¥0.00');
  expect(money.format(-150)).toBe('-¥1.50');
  expect(money.format(9007199254740991)).toBe('¥90071992547409.91');
  expect(money.short(1200)).toBe('¥12');
  expect(money.short(1250)).toBe('¥12.50');
  expect(() => money.format(12.3)).toThrow(TypeError);
  expect(() => money.format('1230')).toThrow(TypeError);
});

describe('api', () => {
  beforeEach(() => h.resetSession());

  test('logs in once for concurrent calls and sends the bearer token', async () => {
    const log = h.mockServer({ 'GET /api/cart': () => ({ items: [] }), 'GET /api/member': () => ({}) });
    await Promise.all([api.get('/api/cart'), api.get('/api/member')]);
    expect(log.filter((r) => r.path === '/api/auth/login')).toHaveLength(1);
    expect(log.find((r) => r.path === '/api/auth/login').data).toEqual({ code: 'wx-code-1' });
    expect(log.filter((r) => r.path !== '/api/auth/login').every((r) => r.header.Authorization === 'Bearer tok-1')).toBe(true);
  });

  test('a 401 with a stored session logs in again and retries once', async () => {
    let n = 0;
    const log = h.mockServer({
      'GET /api/cart': (req) => (req.header.Authorization === 'Bearer tok-1' && n++ === 0
        ? { status: 401, body: { code: 'UNAUTHORIZED', message: '请先登录', details: {} } }
        : { items: [1] }),
    });
    await api.login();
    const res = await api.get('/api/cart');
    expect(res).toEqual({ items: [1] });
    expect(log.filter((r) => r.path === '/api/auth/login')).toHaveLength(2);
  });

  test('errors carry the server code, message, details and status; network failures are NETWORK', async () => {
    h.mockServer({
      'POST /api/cart/items': () => ({ status: 409, body: { code: 'OUT_OF_STOCK', message: '商品已售罄', details: { skuId: '7', available: 0 } } }),
      'GET /api/products': () => ({ __fail: true }),
      'GET /api/categories': () => ({ status: 502, body: '<html>bad gateway</html>' }),
    });
    await expect(api.post('/api/cart/items', { skuId: 7, quantity: 1 })).rejects.toMatchObject({ code: 'OUT_OF_STOCK', message: '商品已售罄', details: { available: 0 }, status: 409 });
    await expect(api.get('/api/products', { auth: 'none' })).rejects.toMatchObject({ code: 'NETWORK' });
    await expect(api.get('/api/categories', { auth: 'none' })).rejects.toMatchObject({ code: 'HTTP_502', status: 502 });
  });

  test('public calls send no token and never log in; query strings are encoded', async () => {
    const log = h.mockServer({ 'GET /api/search/suggest': () => ({ suggestions: [] }) });
    await api.get('/api/search/suggest', { auth: 'none', query: { q: '耳机 降噪', empty: '', nope: null } });
    expect(log).toHaveLength(1);
    expect(log[0].query).toEqual({ q: '耳机 降噪' });
    expect(log[0].header.Authorization).toBeUndefined();
  });
});

describe('share landing (分销 binding)', () => {
  const share = require('../../miniprogram/lib/share.js');
  beforeEach(() => h.resetSession());

  test('a page opened with a share token asks the server to bind; a refusal shows nothing', async () => {
    const log = h.mockServer({ 'POST /api/distribution/bind': () => ({ status: 409, body: { code: 'DISTRIBUTION_DISABLED', message: '分销功能未开启', details: {} } }) });
    const l = await share.landing({ id: '3', share: 'tokA' }, 'product');
    await h.flush();
    expect(l).toEqual({ id: 3, share: 'tokA' });
    expect(log.filter((r) => r.path === '/api/distribution/bind').map((r) => r.data)).toEqual([{ share: 'tokA' }]);
  });

  test('a page opened without a token binds nothing', async () => {
    const log = h.mockServer({});
    await share.landing({ id: '3' }, 'product');
    await h.flush();
    expect(log.filter((r) => r.path === '/api/distribution/bind')).toHaveLength(0);
  });
});
