// The phone in the end-to-end tests of the activities (拼团, 砍价, coupons
// between friends): the mini-program's pages under miniprogram-simulate, their
// wx.request bridged to the REAL server, signed in as a given WeChat code,
// paying for real at the fake WeChat Pay. One per test file:
//   beforeAll(async () => { phone = await e2ePhone.start(); });
//   afterAll(() => phone && phone.stop());
//   phone.as('shopper-a'); const page = await phone.open('pages/member/index');
'use strict';
const h = require('./helpers');
const e2e = require('./e2e-server');
const config = require('../../miniprogram/config.js');
const store = require('../../miniprogram/lib/store.js');
const pay = require('../../miniprogram/lib/pay.js');

function create(first, opts = {}) {
  let server = first;
  let admin = e2e.client(server.base);
  const phone = { bridge: null, server };

  /** A call as the merchant (the merchant token acts as the owner). */
  phone.merchant = function (method, p, body) {
    return admin.call(method, p, body, { 'x-merchant-token': server.secrets().merchantToken });
  };

  /** The phone signed in as `code` (a fresh session: wx.login answers that code). */
  phone.as = function (code) {
    h.resetSession();
    store.buyNow = null;
    store.group = null;
    phone.bridge = e2e.bridgeWxRequest(wx);
    wx.login = jest.fn((o) => { if (o.success) o.success({ code, errMsg: 'login:ok' }); });
    wx.showToast = jest.fn();
    wx.showModal = jest.fn((o) => o.success && o.success({ confirm: true, cancel: false }));
    wx.navigateTo = jest.fn();
    wx.redirectTo = jest.fn();
    pay.poll.intervalMs = 200;
    // The payment sheet pays for real at the fake WeChat Pay.
    wx.requestPayment = jest.fn((o) => {
      const prepayId = String(o.package).replace(/^prepay_id=/, '');
      e2e.httpJson(server.fakeWeChat(), 'POST', '/fake/pay/confirm', { body: { prepayId } }).then((r) => {
        if (r.status === 200) o.success({ errMsg: 'requestPayment:ok' });
        else o.fail({ errMsg: `requestPayment:fail ${r.status}` });
      }, (e) => o.fail({ errMsg: `requestPayment:fail ${e.message}` }));
    });
    // 商家转账's confirm sheet: the payee confirms the bill (its package) at
    // the fake WeChat Pay, which then notifies the server; success once it has.
    wx.requestMerchantTransfer = jest.fn((o) => {
      e2e.httpJson(server.fakeWeChat(), 'POST', '/fake/pay/transfer/confirm', { body: { packageInfo: o.package } }).then((r) => {
        if (r.status === 200) o.success({ errMsg: 'requestMerchantTransfer:ok' });
        else o.fail({ errMsg: `requestMerchantTransfer:fail ${r.status}` });
      }, (e) => o.fail({ errMsg: `requestMerchantTransfer:fail ${e.message}` }));
    });
  };

  /**
   * The same shop restarted on its data dir (database, secrets) with `env`
   * added, e.g. MALL_CLOCK_START (demo builds only) to run its clock days
   * later; the pages and the merchant's calls follow it to its new port.
   * Sessions are the new process's to check: sign in again with phone.as.
   */
  phone.restart = async function (env) {
    await server.stop({ keepData: true });
    server = await e2e.startServer(Object.assign({}, opts, { dataDir: server.dataDir, env: Object.assign({}, opts.env, env) }));
    config.baseURL = server.base;
    admin = e2e.client(server.base);
    phone.server = server;
  };

  phone.open = (rel, query) => phone.bridge.open(rel, query);
  phone.tap = (page, selector) => phone.bridge.tap(page, selector);

  phone.until = async function (cond, what, timeoutMs = 20000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await cond()) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  /** Checkout with store pickup, submit, pay: the placed order's id, the order page's url and the body sent. */
  phone.checkoutAndPay = async function () {
    const page = await phone.open('pkg-order/checkout/index', { mode: 'buynow' });
    await phone.tap(page, '#method-pickup');
    if (!page.data.storeId) await phone.tap(page, `#store-${page.data.stores[0].id}`);
    await page.instance.onSubmit();
    await phone.until(() => wx.redirectTo.mock.calls.length > 0, 'the order page after paying');
    const url = wx.redirectTo.mock.calls[0][0].url;
    const placed = phone.bridge.log.find((r) => r.method === 'POST' && r.path === '/api/orders');
    expect(placed.status).toBe(201);
    return { id: placed.response.id, url, body: placed.data };
  };

  /** A seeded product by title, and its first SKU on the shelf with stock. */
  phone.product = async function (title) {
    const list = await admin.get('/api/products?page=1&pageSize=50');
    const id = list.items.find((p) => p.title === title).id;
    const detail = await admin.get(`/api/products/${id}`);
    return { id, sku: detail.skus.find((s) => s.onShelf && s.stock > 0) };
  };

  phone.stop = () => server.stop();

  /** The query of a share card's path, as the page that opens it receives it. */
  phone.queryOf = function (path) {
    return Object.fromEntries(new URL(`https://x${path}`).searchParams.entries());
  };

  return phone;
}

/** Starts the real server (`opts` as e2e.startServer), points the pages at it, loads the wasm rules: the phone. */
async function start(opts) {
  const server = await e2e.startServer(opts);
  config.baseURL = server.base;
  const phone = create(server, opts);
  h.installWasm();
  await h.rules();
  return phone;
}

module.exports = { create, start };
