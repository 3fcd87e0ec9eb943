// 限时秒杀 on the phone: the sale page shows each SKU in the state the server
// computed with the core, counts down on the server's clock, reads the sale
// again after 排队中's wait, and sends 立即抢购 to the checkout as a buy-now in
// the sale; the home strip and the product page lead to it. lib/flash's
// submit policy: 排队中 repeated a bounded number of times with the server's
// wait, a lost answer repeated with X-Mall-Retry (the same key).
'use strict';
const h = require('./helpers');
const lib = require('../../miniprogram/lib/flash.js');
const store = require('../../miniprogram/lib/store.js');

h.pageSuite();

const queued = (ms) => Object.assign(new Error('queued'), { code: 'FLASH_QUEUED', details: { retryAfterMs: ms } });
const lost = () => Object.assign(new Error('lost'), { code: 'NETWORK', details: {} });

describe('lib/flash', () => {
  test('button words per phase and the wait kept within bounds', () => {
    expect(['selling', 'queued', 'soldOut', 'limitReached', 'notStarted', 'ended', 'other'].map(lib.buttonText))
      .toEqual(['立即抢购', '排队中', '已抢光', '已达限购', '即将开抢', '已结束', '已结束']);
    expect([lib.retryDelay(queued(735)), lib.retryDelay(queued(10)), lib.retryDelay(queued(60000)), lib.retryDelay({})])
      .toEqual([735, 300, 5000, 300]);
  });

  test('排队中 is repeated with the server\'s wait until it answers, at most MAX_QUEUED_RETRIES times', async () => {
    const waits = [];
    const told = [];
    const wait = (ms) => { waits.push(ms); return Promise.resolve(); };
    let n = 0;
    const send = jest.fn(() => (++n <= 2 ? Promise.reject(queued(600 + n)) : Promise.resolve({ id: 9 })));
    await expect(lib.placeOrder(send, wait, (k) => told.push(k))).resolves.toEqual({ id: 9 });
    expect(waits).toEqual([601, 602]);
    expect(told).toEqual([1, 2]);
    expect(send.mock.calls.map((c) => c[0])).toEqual([null, null, null]);

    const always = jest.fn(() => Promise.reject(queued(500)));
    await expect(lib.placeOrder(always, wait)).rejects.toMatchObject({ code: 'FLASH_QUEUED' });
    expect(always).toHaveBeenCalledTimes(lib.MAX_QUEUED_RETRIES + 1);
  });

  test('a lost answer is repeated once, marked, and stays marked through 排队中; other refusals are not repeated', async () => {
    const wait = () => Promise.resolve();
    const answers = [lost(), queued(500), { id: 4 }];
    const send = jest.fn(() => { const a = answers.shift(); return a instanceof Error ? Promise.reject(a) : Promise.resolve(a); });
    await expect(lib.placeOrder(send, wait)).resolves.toEqual({ id: 4 });
    expect(send.mock.calls.map((c) => c[0])).toEqual([null, { 'X-Mall-Retry': '1' }, { 'X-Mall-Retry': '1' }]);

    const twice = jest.fn(() => Promise.reject(lost()));
    await expect(lib.placeOrder(twice, wait)).rejects.toMatchObject({ code: 'NETWORK' });
    expect(twice).toHaveBeenCalledTimes(2);

    const soldOut = jest.fn(() => Promise.reject(Object.assign(new Error('x'), { code: 'OUT_OF_STOCK' })));
    await expect(lib.placeOrder(soldOut, wait)).rejects.toMatchObject({ code: 'OUT_OF_STOCK' });
    expect(soldOut).toHaveBeenCalledTimes(1);
  });
});

/** A sale as GET /api/flash-sales/{id} answers, its clock `skew` seconds off the phone's. */
function sale(phases, opts) {
  const o = Object.assign({ skew: 100000, startsIn: -60, endsIn: 3600, retryAfterMs: 500 }, opts);
  const now = Math.floor(Date.now() / 1000) + o.skew;
  return {
    activityId: 'flash-earbuds', title: '耳机秒杀', startsAt: now + o.startsIn, endsAt: now + o.endsIn,
    perUserLimit: 2, now, userBought: 1,
    skus: phases.map((phase, i) => ({
      skuId: 13 + i, productId: 5, title: '耳机 ' + (i + 1), image: '/img/e.png', price: 29900, listPrice: 39900,
      unitsLeft: phase === 'soldOut' ? 0 : 7,
      state: { phase, secondsToStart: 0, secondsLeft: 3600, mayAttempt: phase === 'selling', maxQuantity: 1,
        retryAfterMs: phase === 'queued' ? o.retryAfterMs : null },
    })),
  };
}

describe('限时秒杀 page', () => {
  test('each SKU in its state, the countdown on the server clock, 立即抢购 to the checkout in the sale', async () => {
    const log = h.mockServer({ 'GET /api/flash-sales/{id}': () => sale(['selling', 'soldOut', 'limitReached']) });
    const page = await h.openPage('pkg-activity/flash/index', { id: 'flash-earbuds' });
    expect(log.find((r) => r.path === '/api/flash-sales/flash-earbuds')).toBeTruthy();
    h.expectTexts(page, {
      '#title': '耳机秒杀',
      '#limit': '每人限购2件，已购1件',
      '#buy-13': '立即抢购',
      '#buy-14': '已抢光',
      '#buy-15': '已达限购',
      '#left-13': '剩余7件',
      '#left-14': '已抢光',
    });
    // The server's clock is a day ahead of the phone's: the countdown is the server's.
    expect(h.text(page, '#clock')).toMatch(/^距结束 (01:00:00|00:59:5\d)$/);
    await h.tap(page, '#buy-14');
    expect(wx.navigateTo).not.toHaveBeenCalled();
    await h.tap(page, '#buy-13');
    expect(store.buyNow).toEqual([{ skuId: 13, quantity: 1, activityId: 'flash-earbuds', title: '耳机 1', specs: [], image: '/img/e.png' }]);
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pkg-order/checkout/index?mode=buynow' });
    page.instance.onUnload();
  });

  test('未开始 counts down to the start; 排队中 reads the sale again after the wait; an unknown sale says so', async () => {
    let reads = 0;
    h.mockServer({
      'GET /api/flash-sales/{id}': () => (++reads === 1 ? sale(['queued']) : sale(['selling'])),
    });
    const page = await h.openPage('pkg-activity/flash/index', { id: 'flash-earbuds' });
    expect(h.text(page, '#buy-13')).toBe('排队中');
    await new Promise((r) => setTimeout(r, 650));
    await h.flush();
    expect(reads).toBe(2);
    expect(h.text(page, '#buy-13')).toBe('立即抢购');
    page.instance.onUnload();

    h.mockServer({ 'GET /api/flash-sales/{id}': () => sale(['notStarted'], { startsIn: 90, endsIn: 3600 }) });
    const soon = await h.openPage('pkg-activity/flash/index', { id: 'flash-earbuds' });
    expect(h.text(soon, '#clock')).toMatch(/^距开始 00:01:(30|29)$/);
    expect(h.text(soon, '#buy-13')).toBe('即将开抢');
    soon.instance.onUnload();

    h.mockServer({ 'GET /api/flash-sales/{id}': () => ({ status: 404, body: { code: 'NOT_FOUND', message: '不存在', details: {} } }) });
    const none = await h.openPage('pkg-activity/flash/index', { id: 'gone' });
    expect(h.text(none, '#missing')).toBe('秒杀活动不存在或已下线');
  });
});
