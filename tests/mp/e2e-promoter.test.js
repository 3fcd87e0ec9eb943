// End to end, 分销 from the promoter's poster to the money in WeChat 零钱: the
// mini-program's own pages against the REAL server binary (fresh SQLite data
// dir, demo shop, fake WeChat API and WeChat Pay, jobs every second). The
// merchant switches distribution on (everyone mode, 10%, 0 frozen days);
// shopper A opens 推广中心, becomes a promoter and makes the poster (the
// shop's share token and its 小程序码); shopper B (new) scans it: the home
// page binds B to A. B buys and pays at the fake WeChat Pay, the merchant
// ships, B confirms receipt on the order page: A's commission is 售后期
// (FROZEN) until the 7-day after-sales window has passed. The shop then runs
// on: the same data dir restarted with its clock 7 days later
// (MALL_CLOCK_START, a demo-build-only setting), and the background job
// makes it 可提现 (AVAILABLE). A withdraws on the page; the transfer sheet
// (wx.requestMerchantTransfer) confirms at the fake WeChat Pay, which
// notifies the server: the page shows 已到账 and the balance less exactly the
// amount, and the ledger reconciles to the fen.
//
// Needs the server binary: MALL_SERVER_BIN, default target/debug/mall-server.
'use strict';
const h = require('./helpers');
const e2e = require('./e2e-server');
const money = require('../../miniprogram/lib/money.js');
const store = require('../../miniprogram/lib/store.js');
const e2ePhone = require('./e2e-phone');

jest.setTimeout(120000);

let phone;

beforeAll(async () => {
  phone = await e2ePhone.start({ env: { MALL_JOBS_EVERY_SECS: '1' } });
});

afterAll(() => phone && phone.stop());

const merchant = (...a) => phone.merchant(...a);
const open = (...a) => phone.open(...a);
const tap = (...a) => phone.tap(...a);
const until = (...a) => phone.until(...a);
const answers = (method, p) => phone.bridge.log.filter((r) => r.method === method && r.path === p);

test('A\'s poster binds B, B\'s order pays A\'s commission after the window, A withdraws it to 零钱: reconciled to the fen', async () => {
  const saved = await merchant('PUT', '/api/merchant/distribution/settings', {
    enabled: true, mode: 'everyone', levels: 1, rates: ['0.1'], selfPurchase: false, bindingDays: null, frozenDays: 0,
    withdrawMin: 100, withdrawDailyCap: 1000000, reviewAbove: 200000,
  });
  expect(saved.enabled).toBe(true);

  // ---- A: 推广中心 → 成为推广员 → 生成海报
  phone.as('promoter-a');
  const center = await open('pkg-activity/promoter/index');
  expect(center.querySelector('#poster-btn')).toBeFalsy();
  await tap(center, '#become');
  expect(center.data.status).toBe('approved');
  const aId = answers('POST', '/api/distribution/promoter')[0].response.userId;
  const drawn = h.posterCanvas('tmp/promoter.png');
  await center.instance.onPoster();
  await phone.bridge.idle();
  const shared = answers('POST', '/api/share');
  expect(shared.map((r) => [r.status, r.data])).toEqual([[201, { kind: 'shop', channel: 'poster' }]]);
  const token = shared[0].response.token;
  expect(shared[0].response.path).toBe(`pages/home/index?share=${token}&ch=poster`);
  const codeUrl = drawn.find((d) => d[0] === 'image')[1];
  expect(codeUrl).toBe(`${phone.server.base}/api/share/${token}/code`);
  const code = await e2e.httpJson(phone.server.base, 'GET', `/api/share/${token}/code`);
  expect([code.status, code.headers['content-type']]).toEqual([200, 'image/png']);
  expect(drawn.filter((d) => d[0] === 'text').map((d) => d[1])).toContain('邀请你来逛逛');
  expect(wx.saveImageToPhotosAlbum).toHaveBeenCalled();

  // ---- B scans the code: the home page (scene = the token) binds B to A
  phone.as('shopper-b');
  await open('pages/home/index', { scene: encodeURIComponent(token) });
  const bound = answers('POST', '/api/distribution/bind');
  expect(bound.map((r) => [r.status, r.data, r.response.outcome, r.response.promoterId])).toEqual([[200, { share: token }, 'BOUND', aId]]);

  // ---- B buys and pays; the merchant ships; B confirms receipt on the order page
  const { sku } = await phone.product('每日坚果礼盒');
  store.buyNow = [{ skuId: sku.id, quantity: 2, title: '每日坚果礼盒', specs: [], image: '' }];
  const b = await phone.checkoutAndPay();
  await until(async () => (await merchant('GET', `/api/merchant/orders/${b.id}`)).status === 'paid', 'B\'s order paid');
  const shipped = await merchant('POST', `/api/merchant/orders/${b.id}/ship`, { carrier: '顺丰', trackingNo: `SF${b.id}` });
  expect(shipped.status).toBe('shipped');
  const detail = await open('pkg-order/detail/index', { id: b.id });
  await tap(detail, '#confirm');
  expect(answers('POST', `/api/orders/${b.id}/confirm-receipt`).map((r) => r.status)).toEqual([200]);
  const order = await merchant('GET', `/api/merchant/orders/${b.id}`);
  const paid = order.lines.reduce((s, l) => s + l.paid, 0);
  const commission = Math.floor((paid + 5) / 10); // 10%, half up, in fen
  expect(commission).toBeGreaterThan(100);

  // ---- A: 售后期 (FROZEN), nothing to withdraw yet
  phone.as('promoter-a');
  let page = await open('pkg-activity/promoter/index');
  expect(h.text(page, '#earn-frozen')).toBe(`${money.format(commission)}售后期`);
  expect(h.text(page, '#earn-available')).toBe(`${money.format(0)}可提现`);
  expect(h.text(page, `#order-${b.id}`)).toContain('售后期');
  const ledgerPath = `/api/merchant/promoters/${aId}/ledger`;
  const frozen = await merchant('GET', ledgerPath);
  expect(frozen.entries.items.map((e) => [e.status, e.amount])).toEqual([['FROZEN', commission]]);
  // the window is the after-sales 7 days (+ 0 frozen days) from receipt
  expect(frozen.entries.items[0].availableAt).toBe(order.completedAt + 7 * 86400);

  // ---- 7 days later (the shop's clock; a demo build): the job releases it
  await phone.restart({ MALL_CLOCK_START: String(Math.floor(Date.now() / 1000) + 7 * 86400 + 120) });
  await until(async () => (await merchant('GET', ledgerPath)).balances.available === commission, 'the job making the commission available');
  phone.as('promoter-a');
  page = await open('pkg-activity/promoter/index');
  expect(h.text(page, '#earn-available')).toBe(`${money.format(commission)}可提现`);
  expect(h.text(page, '#earn-frozen')).toBe(`${money.format(0)}售后期`);
  expect(h.text(page, `#order-${b.id}`)).toContain('可提现');

  // ---- A withdraws all but 0.37 yuan, typed in yuan; the transfer sheet confirms
  const amount = commission - 37;
  page.instance.setData({ amount: money.yuan(amount) });
  await tap(page, '#withdraw');
  const w = answers('POST', '/api/distribution/withdrawals');
  expect(w.map((r) => [r.status, r.data])).toEqual([[201, { amount }]]);
  expect(wx.requestMerchantTransfer).toHaveBeenCalledTimes(1);
  expect(wx.requestMerchantTransfer.mock.calls[0][0].package).toBe(w[0].response.transfer.package);
  await until(() => h.lastToast() === '已确认收款', 'the transfer confirmed');
  const id = w[0].response.withdrawal.id;
  // WeChat Pay told the server (not the page): the page reads 已到账
  await until(async () => {
    await page.instance.load();
    await phone.bridge.idle();
    return page.querySelector(`#wstate-${id}`) && h.text(page, `#wstate-${id}`) === '已到账';
  }, 'the withdrawal shown as succeeded');
  expect(h.text(page, '#earn-available')).toBe(`${money.format(commission - amount)}可提现`);
  expect(h.text(page, '#earn-withdrawn')).toBe(`${money.format(amount)}已提现`);
  expect(h.text(page, '#earn-withdrawing')).toBe(`${money.format(0)}提现中`);

  // ---- the ledger reconciles to the fen: commission = withdrawn + balance
  const ledger = await merchant('GET', ledgerPath);
  const earned = ledger.entries.items.filter((e) => e.status === 'AVAILABLE').reduce((s, e) => s + e.amount, 0);
  expect(earned).toBe(commission);
  expect(ledger.balances).toEqual(expect.objectContaining({ pending: 0, frozen: 0, withdrawing: 0, withdrawn: amount, available: commission - amount }));
  expect(ledger.balances.withdrawn + ledger.balances.available).toBe(earned);
});
