// 推广中心 (分销) on the phone: becoming a promoter, the earnings by state, the
// team as counts only, promoted orders with masked buyers, the month's
// ranking, and 提现: the amount typed in yuan goes to the server in fen, the
// bill's package to wx.requestMerchantTransfer, and the page reads the result
// from the server again (WeChat Pay tells the server, not the page).
'use strict';
const h = require('./helpers');
const lib = require('../../miniprogram/lib/promoter.js');

h.pageSuite();

const EARNINGS = { pending: 869, frozen: 1737, available: 5000, withdrawing: 0, withdrawn: 1200 };

function center(status) {
  return { promoter: status ? { userId: 7, nickname: '小明', status, createdAt: 1 } : null, earnings: status === 'approved' ? EARNINGS : { pending: 0, frozen: 0, available: 0, withdrawing: 0, withdrawn: 0 }, team: { level1: 3, level2: 1 } };
}

function lists(extra) {
  return Object.assign({
    'GET /api/distribution/withdrawals': () => ({ items: [
      { id: 2, promoterId: 7, amount: 1200, outBillNo: 'W2', state: 'SUCCESS', createdAt: 1767225600, updatedAt: 1, packageInfo: null },
      { id: 1, promoterId: 7, amount: 800, outBillNo: 'W1', state: 'CANCELLED', createdAt: 1767139200, updatedAt: 1, packageInfo: null },
    ], page: 1, pageSize: 20, total: 2, hasMore: false }),
    'GET /api/distribution/orders': () => ({ items: [
      { orderId: 41, orderNo: 'N41', buyer: '张*', level: 1, commission: 1737, status: 'FROZEN', createdAt: 1 },
      { orderId: 42, orderNo: 'N42', buyer: '李*', level: 2, commission: 869, status: 'PENDING', createdAt: 1 },
    ], page: 1, pageSize: 20, total: 2, hasMore: false }),
    'GET /api/distribution/leaderboard': () => ({ month: '2026-12', rewarded: 10, items: [
      { rank: 1, nickname: '王*', sales: 990000, me: false }, { rank: 2, nickname: '小*', sales: 17370, me: true },
    ] }),
  }, extra);
}

describe('lib/promoter', () => {
  test('yuan typed → fen; the earnings in the order shown; state words', () => {
    expect(['12.34', '0.5', '100', ' 7.05 ', '0', '0.00', '-1', '1.234', 'abc', '', '1e3'].map(lib.fenOf))
      .toEqual([1234, 50, 10000, 705, null, null, null, null, null, null, null]);
    expect(lib.earnings(EARNINGS).map((e) => `${e.label} ${e.value}`))
      .toEqual(['可提现 ¥50.00', '待收货 ¥8.69', '售后期 ¥17.37', '提现中 ¥0.00', '已提现 ¥12.00']);
    expect(['REVIEWING', 'WAIT_USER_CONFIRM', 'SUCCESS', 'FAIL', 'CANCELLED', 'REJECTED'].map(lib.withdrawalText))
      .toEqual(['审核中', '待确认收款', '已到账', '失败，已退回余额', '已撤销，已退回余额', '未通过，已退回余额']);
  });
});

describe('推广中心 page', () => {
  test('a shopper becomes a promoter and sees earnings, team, orders, ranking and the withdrawal history', async () => {
    let status = null;
    const log = h.mockServer(lists({
      'GET /api/distribution/center': () => center(status),
      'POST /api/distribution/promoter': () => { status = 'approved'; return center(status).promoter; },
    }));
    const page = await h.openPage('pkg-activity/promoter/index');
    expect(h.text(page, '#become')).toBe('成为推广员');
    expect(log.some((r) => r.path === '/api/distribution/withdrawals')).toBe(false);
    await h.tap(page, '#become');
    expect(h.lastToast()).toBe('已成为推广员');
    h.expectTexts(page, {
      '#earn-available': '¥50.00可提现',
      '#earn-frozen': '¥17.37售后期',
      '#team': '我的团队：一级 3 人 · 二级 1 人',
      '#wstate-2': '已到账',
      '#wstate-1': '已撤销，已退回余额',
      '#order-41': '张* · 一级¥17.37售后期',
      '#order-42': '李* · 二级¥8.69待收货',
      '#rank-2': '2. 小*¥173.70',
    });
    expect(page.querySelector('#rank-2').dom.className).toContain('me');
  });

  test('提现: fen to the server, the bill to wx.requestMerchantTransfer, then the server read again', async () => {
    let withdrawn = 0;
    const log = h.mockServer(lists({
      'GET /api/distribution/center': () => center('approved'),
      'POST /api/distribution/withdrawals': (req) => {
        withdrawn = req.data.amount;
        return { status: 201, body: { withdrawal: { id: 3, promoterId: 7, amount: withdrawn, outBillNo: 'W3', state: 'WAIT_USER_CONFIRM', createdAt: 1, updatedAt: 1, packageInfo: 'pkg-3' },
          transfer: { mchId: '1900000109', appId: 'wxdemo', package: 'pkg-3' } } };
      },
    }));
    wx.requestMerchantTransfer = jest.fn((o) => o.success({ errMsg: 'requestMerchantTransfer:ok' }));
    const page = await h.openPage('pkg-activity/promoter/index');
    // not an amount: refused on the phone, nothing sent
    page.instance.setData({ amount: '1.234' });
    await h.tap(page, '#withdraw');
    expect(h.lastToast()).toBe('请输入提现金额');
    expect(log.some((r) => r.path === '/api/distribution/withdrawals' && r.method === 'POST')).toBe(false);
    await h.tap(page, '#all');
    expect(page.data.amount).toBe('50.00');
    page.instance.setData({ amount: '12.34' });
    const reads = log.filter((r) => r.path === '/api/distribution/center').length;
    await h.tap(page, '#withdraw');
    expect(withdrawn).toBe(1234);
    expect(wx.requestMerchantTransfer).toHaveBeenCalledWith(expect.objectContaining({ mchId: '1900000109', appId: 'wxdemo', package: 'pkg-3' }));
    expect(h.lastToast()).toBe('已确认收款');
    expect(log.filter((r) => r.path === '/api/distribution/center').length).toBe(reads + 1);
    expect(page.data.amount).toBe('');

    // the sheet closed without confirming: the page says the amount comes back
    wx.requestMerchantTransfer = jest.fn((o) => o.fail({ errMsg: 'requestMerchantTransfer:fail cancel' }));
    page.instance.setData({ amount: '1' });
    await h.tap(page, '#withdraw');
    expect(h.lastToast()).toBe('已取消收款，金额将退回余额');
  });

  test('under review there is no transfer yet; distribution switched off says so', async () => {
    h.mockServer(lists({
      'GET /api/distribution/center': () => center('approved'),
      'POST /api/distribution/withdrawals': () => ({ status: 201, body: { withdrawal: { id: 4, promoterId: 7, amount: 500000, outBillNo: 'W4', state: 'REVIEWING', createdAt: 1, updatedAt: 1, packageInfo: null }, transfer: null } }),
    }));
    wx.requestMerchantTransfer = jest.fn();
    const page = await h.openPage('pkg-activity/promoter/index');
    page.instance.setData({ amount: '5000' });
    await h.tap(page, '#withdraw');
    expect(wx.requestMerchantTransfer).not.toHaveBeenCalled();
    expect(h.lastToast()).toBe('已提交，等待商家审核');

    h.mockServer({ 'GET /api/distribution/center': () => ({ status: 403, body: { code: 'DISTRIBUTION_DISABLED', message: '推广功能未开启', details: {} } }) });
    const off = await h.openPage('pkg-activity/promoter/index');
    expect(h.text(off, '#closed')).toBe('推广功能暂未开放');

    h.mockServer({ 'GET /api/distribution/center': () => center('applied') });
    const applied = await h.openPage('pkg-activity/promoter/index');
    expect(h.text(applied, '#status')).toBe('申请审核中');
  });
});

describe('the promoter\'s poster', () => {
  const shareLib = require('../../miniprogram/lib/share.js');
  const config = require('../../miniprogram/config.js');

  test('its ops: the shop\'s name, the headline, the masked nickname with 邀请你 (alone without one) and the code of the token', () => {
    expect(['小明', '王小二', 'a', '', null, ' 张 '].map(lib.mask)).toEqual(['小**', '王**', '*', '', '', '*']);
    const ops = shareLib.posterOps(lib.poster('微商城', '小明', 'shopTok1'));
    const texts = ops.filter((o) => o.op === 'text').map((o) => o.text);
    expect(texts).toEqual(['微商城', lib.HEADLINE, '小** 邀请你来逛逛', '长按识别小程序码']);
    expect(texts.join('')).not.toContain('小明');
    // no picture: a red panel carries the shop's name
    expect(ops.filter((o) => o.op === 'image').map((o) => o.src)).toEqual([expect.stringMatching(/\/api\/share\/shopTok1\/code$/)]);
    expect(ops[1]).toEqual(expect.objectContaining({ op: 'rect', color: '#e93323' }));
    const anonymous = shareLib.posterOps(lib.poster('微商城', '', 'shopTok1')).filter((o) => o.op === 'text').map((o) => o.text);
    expect(anonymous).toContain('邀请你来逛逛');
    // the product posters keep their picture, price and default invite
    const product = shareLib.posterOps({ image: 'img', title: 't', priceText: '¥1.00', token: 'p', sharer: '阿强' });
    expect(product[1]).toEqual(expect.objectContaining({ op: 'image', src: 'img' }));
    expect(product.filter((o) => o.op === 'text').map((o) => o.text)).toEqual(['t', '¥1.00', '阿强 邀你一起拼', '长按识别小程序码']);
  });

  test('an approved promoter taps 生成海报: the shop token (asked once) and its code are painted and saved', async () => {
    const log = h.mockServer(lists({
      'GET /api/distribution/center': () => center('approved'),
      'POST /api/share': () => ({ status: 201, body: { token: 'shopTok1', path: 'pages/home/index?share=shopTok1&ch=poster' } }),
    }));
    const drawn = h.posterCanvas('tmp/promoter.png');
    const page = await h.openPage('pkg-activity/promoter/index');
    expect(h.text(page, '#poster-btn')).toBe('生成海报');
    await page.instance.onPoster();
    expect(log.filter((r) => r.path === '/api/share').map((r) => r.data)).toEqual([{ kind: 'shop', channel: 'poster' }]);
    expect(drawn.filter((d) => d[0] === 'image').map((d) => d[1])).toEqual([expect.stringMatching(/\/api\/share\/shopTok1\/code$/)]);
    expect(drawn.filter((d) => d[0] === 'text').map((d) => d[1])).toEqual([config.shopName, lib.HEADLINE, '小** 邀请你来逛逛', '长按识别小程序码']);
    expect(wx.saveImageToPhotosAlbum).toHaveBeenCalledWith(expect.objectContaining({ filePath: 'tmp/promoter.png' }));
    expect(h.lastToast()).toBe('海报已保存到相册');
    expect(page.data.posterOpen).toBe(false);
    await page.instance.onPoster();
    expect(log.filter((r) => r.path === '/api/share').length).toBe(1);
  });

  test('only an approved promoter sees 生成海报', async () => {
    for (const status of [null, 'applied', 'rejected']) {
      const log = h.mockServer(lists({ 'GET /api/distribution/center': () => center(status) }));
      const page = await h.openPage('pkg-activity/promoter/index');
      expect(page.querySelector('#poster-btn')).toBeFalsy();
      await page.instance.onPoster();
      expect(log.some((r) => r.path === '/api/share')).toBe(false);
    }
  });
});

describe('landing on the home page through a promoter\'s poster', () => {
  const home = { now: 1, shop: { name: '微商城' }, banners: [], categories: [], flashSale: null, recommended: { items: [], page: 1, pageSize: 10, total: 0, hasMore: false } };
  const routes = (extra) => Object.assign({
    'GET /api/home': () => home,
    'GET /api/categories': () => [],
    'GET /api/products': () => ({ items: [], page: 1, pageSize: 10, total: 0, hasMore: false }),
  }, extra);

  test('a scanned code (scene = the shop token) binds through /api/distribution/bind; a card\'s ?share= too; a plain open does not', async () => {
    let log = h.mockServer(routes({
      'GET /api/share/{token}': (req) => ({ token: req.params[0], kind: 'shop', target: '', channel: 'poster', sharerNickname: '小明', path: '' }),
      'POST /api/distribution/bind': () => ({ bound: true, outcome: 'BOUND', promoterId: 7 }),
    }));
    await h.openPage('pages/home/index', { scene: encodeURIComponent('shop~Tok1') });
    await h.flush();
    expect(log.filter((r) => r.path === '/api/distribution/bind').map((r) => r.data)).toEqual([{ share: 'shop~Tok1' }]);

    log = h.mockServer(routes({ 'POST /api/distribution/bind': () => ({ bound: false, outcome: 'ALREADY_BOUND', promoterId: 7 }) }));
    await h.openPage('pages/home/index', { share: 'shopTok2', ch: 'poster' });
    await h.flush();
    expect(log.filter((r) => r.path === '/api/distribution/bind').map((r) => r.data)).toEqual([{ share: 'shopTok2' }]);

    log = h.mockServer(routes({
      'GET /api/share/{token}': () => ({ token: 'pTok', kind: 'product', target: '1', channel: 'share', sharerNickname: '小明', path: '' }),
    }));
    const page = await h.openPage('pages/home/index', { scene: 'pTok' });
    await h.flush();
    // a product's code is not the shop's: no binding, the home page still shows
    expect(log.some((r) => r.path === '/api/distribution/bind')).toBe(false);
    expect(log.some((r) => r.path === '/api/products')).toBe(true);
    expect(page.data.hasMore).toBe(false);
    log = h.mockServer(routes({}));
    await h.openPage('pages/home/index');
    await h.flush();
    expect(log.some((r) => r.path.startsWith('/api/share') || r.path === '/api/distribution/bind')).toBe(false);
  });
});
