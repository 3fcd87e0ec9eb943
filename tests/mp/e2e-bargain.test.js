// End to end, 砍价 with three shoppers: the mini-program's own pages against
// the REAL server binary (fresh SQLite data dir, demo shop, fake WeChat API
// with its risk check, fake WeChat Pay). The merchant sets up a bargain that
// needs 2 helpers; shopper A starts it from the product page; A's page shares
// a card carrying A's share token; B opens the card and helps, C scans the
// 小程序码 (scene = the token) and helps: the cuts are the core's schedule and
// reach the floor exactly; D arrives too late and is told so; A buys at the
// floor through checkout and pays exactly the floor price.
//
// Needs the server binary: MALL_SERVER_BIN, default target/debug/mall-server.
'use strict';
const h = require('./helpers');
const money = require('../../miniprogram/lib/money.js');
const store = require('../../miniprogram/lib/store.js');
const e2ePhone = require('./e2e-phone');

jest.setTimeout(90000);

const START = 4990;
const FLOOR = 990;

let phone;
let nutsId;
let nutsSku;

beforeAll(async () => {
  phone = await e2ePhone.start();
  ({ id: nutsId, sku: nutsSku } = await phone.product('每日坚果礼盒'));
});

afterAll(() => phone && phone.stop());

test('A starts a bargain, B helps from the card, C from the 小程序码: the floor exactly; D is too late; A buys at the floor', async () => {
  const now = Math.floor(Date.now() / 1000);
  const act = await phone.merchant('POST', '/admin/api/bargains', {
    title: '坚果砍价', skuId: nutsSku.id, startPrice: START, floorPrice: FLOOR, helpers: 2, windowHours: 24,
    buyBeforeFloor: false, initiationsPerUser: 1, helpsPerDay: 3, startsAt: now - 60, endsAt: now + 86400,
  });

  // ---- A: product page → 发起砍价 → the bargain page
  phone.as('bargain-a');
  const product = await phone.open('pages/product/index', { id: nutsId });
  expect(h.text(product, '#bargain-helpers')).toBe(`${money.format(START)}起砍 · 邀请2位好友帮砍`);
  await phone.tap(product, '#start-bargain');
  const url = wx.navigateTo.mock.calls[wx.navigateTo.mock.calls.length - 1][0].url;
  const bargainId = Number(url.match(/id=(\d+)$/)[1]);
  const aPage = await phone.open('pkg-activity/bargain/index', { id: String(bargainId) });
  expect(h.text(aPage, '#headline')).toBe('还差2人砍到底价（共需2人帮砍）');
  expect(aPage.querySelector('#buy')).toBeFalsy();
  const card = aPage.instance.onShareAppMessage();
  expect(card.path).toMatch(new RegExp(`^/pkg-activity/bargain/index\\?id=${bargainId}&share=[0-9A-Za-z]{16}&ch=share$`));
  const query = phone.queryOf(card.path);

  // ---- B opens the card and helps
  phone.as('bargain-b');
  const bPage = await phone.open('pkg-activity/bargain/index', query);
  await phone.tap(bPage, '#help');
  const first = phone.bridge.log.find((r) => r.path === `/api/bargains/${bargainId}/help`).response;
  expect(h.text(bPage, '#helped')).toBe(`你帮TA砍掉了${money.format(first.cut)}`);
  expect(h.text(bPage, '#headline')).toBe('还差1人砍到底价（共需2人帮砍）');

  // ---- C scans the 小程序码 (its scene is the share token) and helps: the floor
  phone.as('bargain-c');
  const cPage = await phone.open('pkg-activity/bargain/index', { scene: encodeURIComponent(query.share) });
  await phone.tap(cPage, '#help');
  const second = phone.bridge.log.find((r) => r.path === `/api/bargains/${bargainId}/help`).response;
  expect(first.cut + second.cut).toBe(START - FLOOR);
  expect(second.progress.floorReached).toBe(true);

  // ---- D comes too late: no help button, the floor is shown
  phone.as('bargain-d');
  const dPage = await phone.open('pkg-activity/bargain/index', query);
  expect(dPage.querySelector('#help')).toBeFalsy();
  expect(h.text(dPage, '#headline')).toBe(`已砍到底价 ${money.format(FLOOR)}（共2人帮砍）`);

  // ---- A buys at the floor and pays exactly that
  phone.as('bargain-a');
  const done = await phone.open('pkg-activity/bargain/index', { id: String(bargainId) });
  expect(h.text(done, '#current')).toBe(money.format(FLOOR));
  await phone.tap(done, '#buy');
  expect(store.buyNow[0]).toEqual(expect.objectContaining({ skuId: nutsSku.id, quantity: 1, bargainId }));
  const order = await phone.checkoutAndPay();
  const paid = await phone.merchant('GET', `/api/merchant/orders/${order.id}`);
  expect(paid.payable).toBe(FLOOR);
  await phone.until(async () => (await phone.merchant('GET', `/api/merchant/orders/${order.id}`)).status === 'paid', 'A\'s order paid');
  const after = await phone.open('pkg-activity/bargain/index', { id: String(bargainId) });
  expect(h.text(after, '#order')).toBe('查看订单');
});
