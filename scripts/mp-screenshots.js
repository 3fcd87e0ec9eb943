#!/usr/bin/env node
// Screenshots of every mini-program page, without WeChat DevTools:
//   1. starts the real server (tests/mp/e2e-server.js: MALL_SERVER_BIN, default
//      target/debug/mall-server; fresh SQLite dir, demo shop, fake WeChat API)
//      and gives the demo shopper a realistic state (cart, addresses, orders);
//   2. renders each page with miniprogram-simulate on jsdom, wx.request bridged
//      to the server and the real wasm rules core pricing on the "phone";
//   3. writes the page's DOM + its WXSS (and app.wxss, and base CSS for the
//      built-in wx-* tags; images as <img> with local placeholders, since the
//      demo's picsum.photos images need the internet) to an HTML file;
//   4. screenshots it with Debian's chromium at 750×1334 (1 rpx = 1 px, an
//      iPhone-8-sized screen at 2×) into docs/screenshots/<page>.png.
//
//   node scripts/mp-screenshots.js [--only cart,checkout] [--html-dir DIR]
//   (needs `apt-get install -y chromium fonts-noto-cjk`; CHROMIUM=/path overrides)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const MP = path.join(ROOT, 'miniprogram');
const OUT = path.join(ROOT, 'docs', 'screenshots');

function arg(name) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : null;
}
const only = arg('--only') ? arg('--only').split(',') : null;

// ---- the WeChat page runtime on jsdom (what jest's jsdom environment gives the tests)
const { JSDOM } = require('jsdom');
const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', { pretendToBeVisual: true, url: 'http://localhost/' });
global.window = dom.window;
for (const k of Object.getOwnPropertyNames(dom.window)) {
  // DOM names Node also has (Event, EventTarget, …) must be jsdom's, as under jest
  if (!(k in global) || /Event$|^EventTarget$/.test(k)) {
    try { global[k] = dom.window[k]; } catch (e) { /* read-only */ }
  }
}
const simulate = require('miniprogram-simulate');
const simUtils = require('miniprogram-simulate/src/utils');
const simWxss = require('miniprogram-simulate/src/wxss');
const h = require('../tests/mp/helpers');
const e2e = require('../tests/mp/e2e-server');

// Built-ins that must show something: <image> as <img>, <input> with its value or placeholder.
simulate.load({
  id: 'image', tagName: 'wx-image',
  properties: { src: { type: String, value: '' }, mode: { type: String, value: 'scaleToFill' } },
  template: '<img data-src="{{src}}" data-mode="{{mode}}"/>',
});
simulate.load({
  id: 'input', tagName: 'wx-input',
  properties: { value: { type: String, value: '' }, placeholder: { type: String, value: '' }, focus: Boolean, maxlength: Number, type: String, confirmType: String },
  template: '<span wx:if="{{value}}">{{value}}</span><span wx:else class="wx-input-ph">{{placeholder}}</span>',
});

const BASE_CSS = `
html, body { margin: 0; padding: 0; }
body { width: 750px; min-height: 1334px; background: #f5f5f5; color: #333; font-size: 28px;
  font-family: -apple-system, "PingFang SC", "Noto Sans CJK SC", "Noto Sans SC", sans-serif; -webkit-font-smoothing: antialiased; }
main, wx-view, wx-scroll-view, wx-swiper, wx-swiper-item, wx-form, wx-button, wx-navigator, wx-input { display: block; }
wx-text { display: inline; }
wx-image { display: inline-block; overflow: hidden; width: 320px; height: 240px; }
wx-image img { display: block; width: 100%; height: 100%; object-fit: fill; }
wx-image img[data-mode=aspectFill] { object-fit: cover; }
wx-image img[data-mode=aspectFit] { object-fit: contain; }
wx-image:has(img[data-mode=widthFix]) { height: auto; }
wx-image img[data-mode=widthFix] { height: auto; }
wx-swiper { position: relative; overflow: hidden; height: 150px; }
wx-swiper-item { width: 100%; height: 100%; }
wx-swiper-item:not(:first-child) { display: none; }
wx-scroll-view { overflow: hidden; }
wx-input { min-height: 1.4em; overflow: hidden; white-space: nowrap; display: grid; align-items: center; }
.wx-input-ph { color: #999; }
`;

/** A soft, deterministic placeholder for a product image URL (the demo's images are remote). */
function placeholder(url) {
  let hash = 0;
  for (const c of url) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const hue = hash % 360;
  const m = /seed\/mall-([a-z0-9]+)-(\d+)/.exec(url) || /\/([a-z0-9-]+)\.(?:jpg|png)/i.exec(url);
  const label = m ? m[1] + (m[2] ? ` ${m[2]}` : '') : '';
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300" viewBox="0 0 300 300">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(${hue},55%,82%)"/><stop offset="1" stop-color="hsl(${(hue + 40) % 360},55%,68%)"/></linearGradient></defs>
<rect width="300" height="300" fill="url(#g)"/><circle cx="150" cy="128" r="52" fill="rgba(255,255,255,.45)"/>
<text x="150" y="240" font-family="sans-serif" font-size="30" fill="rgba(0,0,0,.45)" text-anchor="middle">${label}</text></svg>`;
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}

function pageCss(css) {
  // WXSS `page` is the page root: <body> here.
  return css.replace(/(^|[{},\s])page(?=\s*[{,])/g, '$1body');
}

const APP_CSS = pageCss(simUtils.transformRpx(simWxss.compile(fs.readFileSync(path.join(MP, 'app.wxss'), 'utf8'), { prefix: 'main' })));

const loadedIds = {};
let bridge;

async function openPage(rel, query) {
  const file = path.join(MP, rel);
  if (!loadedIds[file]) loadedIds[file] = simulate.load(file, { rootPath: MP });
  const id = loadedIds[file];
  document.body.innerHTML = '';
  const comp = simulate.render(id);
  comp.attach(document.body);
  const inst = comp.instance;
  if (inst.onLoad) inst.onLoad(query || {});
  if (inst.onShow) inst.onShow();
  await h.flush();
  await bridge.idle();
  await h.flush();
  const style = document.getElementById(String(id));
  comp.css = pageCss(style ? style.textContent : '');
  return comp;
}

async function tap(comp, selector) {
  await h.tap(comp, selector);
  await bridge.idle();
  await h.flush();
}

/** Hides everything before `selector` (and before each of its ancestors): the page as scrolled to it. */
function focus(comp, selector) {
  let el = comp.dom.querySelector(selector);
  if (!el) throw new Error(`no element ${selector}`);
  for (; el && el !== comp.dom; el = el.parentElement) {
    for (let sib = el.previousElementSibling; sib; sib = sib.previousElementSibling) sib.style.display = 'none';
  }
}

function chromium() {
  const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
  const bin = candidates.find((c) => fs.existsSync(c));
  if (!bin) throw new Error('chromium not found: `apt-get install -y chromium fonts-noto-cjk` (or set CHROMIUM)');
  return bin;
}

function shoot(name, comp, htmlDir) {
  const body = comp.dom.cloneNode(true);
  body.querySelectorAll('img[data-src]').forEach((img) => {
    const src = img.getAttribute('data-src');
    if (src) img.setAttribute('src', placeholder(src));
  });
  const html = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${name}</title>
<style>${BASE_CSS}</style><style>${APP_CSS}</style><style>${comp.css}</style></head>
<body>${body.outerHTML}</body></html>`;
  const htmlFile = path.join(htmlDir, `${name}.html`);
  fs.writeFileSync(htmlFile, html);
  const png = path.join(OUT, `${name}.png`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-shot-chromium-'));
  try {
    execFileSync(chromium(), [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--hide-scrollbars', `--user-data-dir=${profile}`, '--window-size=750,1334',
      `--screenshot=${png}`, `file://${htmlFile}`,
    ], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60000 });
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
  console.log(`  ${path.relative(ROOT, png)}`);
}

/** The demo shopper's state: a cart with member/flash/unselected/sold-out lines, two addresses, orders in several states. */
async function seed(server) {
  const shopper = e2e.client(server.base);
  await shopper.login('demo');
  const merchant = { 'x-merchant-token': server.secrets().merchantToken };
  const list = await shopper.get('/api/products?page=1&pageSize=50');
  const detail = async (title) => shopper.get(`/api/products/${list.items.find((p) => p.title === title).id}`);
  const sku = (p, specs) => p.skus.find((s) => s.specs.join('/') === specs).id;

  const tee = await detail('纯棉圆领短袖T恤');
  const buds = await detail('降噪真无线蓝牙耳机');
  const nuts = await detail('每日坚果礼盒');
  const tea = await detail('明前龙井绿茶');
  const beef = await detail('内蒙古风干牛肉干');
  const dress = await detail('法式碎花连衣裙');

  const home = await shopper.post('/api/addresses', { name: '张三', phone: '13800138000', regionCode: '310115', province: '上海市', city: '上海市', district: '浦东新区', detail: '世纪大道100号 8号楼1201', isDefault: true });
  await shopper.post('/api/addresses', { name: '李四', phone: '13900139000', regionCode: '330106', province: '浙江省', city: '杭州市', district: '西湖区', detail: '文三路90号', isDefault: false });

  // orders: one shipped, one paid, one waiting for payment (buy-now, so the cart stays)
  const place = async (items, remark) => {
    const body = { items, coupons: { kind: 'none' }, points: { kind: 'none' }, addressId: home.id };
    const q = await shopper.post('/api/checkout/quote', body);
    return shopper.post('/api/orders', Object.assign({ fingerprint: q.fingerprint, idempotencyKey: `shot-${Math.random().toString(36).slice(2)}`, remark: remark || '' }, body));
  };
  const shipped = await place([{ skuId: sku(dress, '雾蓝/M'), quantity: 1 }]);
  await shopper.call('POST', `/api/merchant/orders/${shipped.id}/mark-paid`, {}, merchant);
  await shopper.call('POST', `/api/merchant/orders/${shipped.id}/ship`, { carrier: '顺丰速运', trackingNo: 'SF1300000001' }, merchant);
  const paid = await place([{ skuId: sku(tea, '250g'), quantity: 1 }]);
  await shopper.call('POST', `/api/merchant/orders/${paid.id}/mark-paid`, {}, merchant);
  const unpaid = await place([{ skuId: sku(tee, '黑色/M'), quantity: 2 }, { skuId: sku(nuts, '1.5kg'), quantity: 1 }], '请尽快发货');

  // 为你推荐 / 猜你喜欢: other shoppers viewed the T恤 with the earbuds or the
  // nuts, the demo shopper viewed the T恤; the model is rebuilt now (the job: hourly)
  const views = (client, session, ids) => client.post('/api/events', {
    events: ids.map((id) => ({ uuid: require('crypto').randomUUID(), name: 'product_view', ts: Date.now(),
      sessionId: session, visitorId: `v-${session}`, props: { productId: id } })),
  });
  for (let i = 0; i < 4; i++) {
    const other = e2e.client(server.base);
    await other.login(`browser-${i}`);
    await views(other, `browse${i}`, [tee.id, i < 3 ? buds.id : nuts.id]);
  }
  await views(shopper, 'demo1', [tee.id]);
  await shopper.call('POST', '/api/merchant/recommendations/rebuild', {}, merchant);

  // the cart
  await shopper.post('/api/cart/items', { skuId: sku(tee, '白色/L'), quantity: 2 });
  // (the 月光白 earbuds are in a flash sale: bought now, never in the cart)
  await shopper.post('/api/cart/items', { skuId: sku(buds, '深空黑'), quantity: 1 });
  await shopper.post('/api/cart/items', { skuId: sku(nuts, '750g'), quantity: 1 });
  const c = await shopper.post('/api/cart/items', { skuId: sku(tea, '100g'), quantity: 1 });
  await shopper.patch(`/api/cart/items/${c.items.find((i) => i.skuId === sku(tea, '100g')).id}`, { selected: false });
  await shopper.post('/api/cart/items', { skuId: sku(beef, '香辣'), quantity: 1 });
  await shopper.call('PUT', `/api/merchant/skus/${sku(beef, '香辣')}/stock`, { stock: 0 }, merchant);

  // 拼团: a 3-person group buy on the nuts; the demo shopper opened a group, a friend joined (2 of 3 paid)
  const now = Math.floor(Date.now() / 1000);
  const gb = await shopper.call('POST', '/admin/api/marketing/activities', {
    kind: 'groupBuy', title: '坚果3人团', startsAt: now - 60, endsAt: now + 7 * 86400, groupSize: 3, groupWindowHours: 24,
    skus: [{ skuId: sku(nuts, '750g'), price: 6900, leaderPrice: 5900 }],
  }, merchant);
  const groupBody = (group) => ({ items: [{ skuId: sku(nuts, '750g'), quantity: 1, activityId: gb.id }], group, addressId: null, delivery: { kind: 'pickup', storeId: 'store-1' } });
  const placeGroup = async (client, group) => {
    const body = groupBody(group);
    delete body.addressId;
    const q = await client.post('/api/checkout/quote', body);
    const o = await client.post('/api/orders', Object.assign({ fingerprint: q.fingerprint, idempotencyKey: `shot-${Math.random().toString(36).slice(2)}` }, body));
    await client.call('POST', `/api/merchant/orders/${o.id}/mark-paid`, {}, merchant);
    return o;
  };
  const opened = await placeGroup(shopper, {});
  const groupId = (await shopper.get(`/api/orders/${opened.id}`)).groupId;
  const friend = e2e.client(server.base);
  await friend.login('friend');
  await placeGroup(friend, { groupId });

  // 领券中心 and 券转赠: a transferable batch the shopper holds three of (one being
  // gifted to the friend), one the friend emptied, one whose daily cap is reached.
  const batch = (b) => shopper.call('POST', '/admin/api/marketing/coupons', Object.assign({ validDays: 30, perUserLimit: 1 }, b), merchant);
  const giftable = await batch({ title: '好友同享20元券', kind: { kind: 'threshold', threshold: 9900, amount: 2000 }, total: 500, perUserLimit: 3, transferable: true });
  const gone = await batch({ title: '限量1元秒杀券', kind: { kind: 'noThreshold', amount: 100 }, total: 1 });
  const daily = await batch({ title: '每日限量8折券', kind: { kind: 'percent', rate: '0.8', threshold: 5000, cap: 2000 }, total: 1000, perDayLimit: 1 });
  const held = [];
  for (let i = 0; i < 3; i++) held.push(await shopper.post(`/api/coupons/${giftable.id}/claim`, {}));
  await friend.post(`/api/coupons/${gone.id}/claim`, {});
  await friend.post(`/api/coupons/${daily.id}/claim`, {});
  const gift = await shopper.post(`/api/member/coupons/${held[2].id}/gift`, {});

  // 砍价: a bargain on the tea needing 5 helpers; the shopper started one, the friend cut once
  const ba = await shopper.call('POST', '/admin/api/bargains', {
    title: '新茶砍价', skuId: sku(tea, '100g'), startPrice: 12800, floorPrice: 990, helpers: 5, windowHours: 24,
    buyBeforeFloor: false, initiationsPerUser: 1, helpsPerDay: 3, startsAt: now - 60, endsAt: now + 7 * 86400,
  }, merchant);
  const bargain = await shopper.post(`/api/bargain-activities/${ba.id}/start`, {});
  await friend.post(`/api/bargains/${bargain.id}/help`, {});

  await shopper.get(`/api/search?keyword=${encodeURIComponent('耳机')}`);
  await shopper.get(`/api/search?keyword=${encodeURIComponent('连衣裙')}`);
  const cats = await shopper.get('/api/categories');
  const menswear = cats.flatMap((x) => x.children || []).find((x) => x.name === '男装') || cats[0];
  return { buds, tee, unpaid, menswear, nuts, groupId, giftToken: gift.token, giftable: held[0].id, bargainId: bargain.id };
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const htmlDir = arg('--html-dir') || fs.mkdtempSync(path.join(os.tmpdir(), 'mp-shots-'));
  fs.mkdirSync(htmlDir, { recursive: true });
  chromium();
  const server = await e2e.startServer();
  try {
    require(path.join(MP, 'config.js')).baseURL = server.base;
    h.installWasm();
    await h.rules();
    bridge = e2e.bridgeWxRequest(wx);
    wx.login = (o) => o.success && o.success({ code: 'demo', errMsg: 'login:ok' });
    for (const k of ['showToast', 'navigateTo', 'redirectTo', 'switchTab', 'stopPullDownRefresh', 'setNavigationBarTitle']) wx[k] = () => {};
    // A confirm is confirmed (赠送好友).
    wx.showModal = (o) => o.success && o.success({ confirm: true, cancel: false });
    const s = await seed(server);

    const shots = [
      ['home', 'pages/home/index'],
      // 为你推荐 and 猜你喜欢 with their reasons: what is above them is hidden, as if scrolled down
      // (the shopper signed in, as one who came back: the list is theirs)
      ['home-recs', 'pages/home/index', {}, async (p) => focus(p, '.rec-list--recs'), async () => { await require(path.join(MP, 'lib', 'api.js')).login(); }],
      ['product-recs', 'pages/product/index', { id: String(s.tee.id) }, async (p) => focus(p, '.rec-list--recs')],
      ['category', 'pages/category/index'],
      ['search', 'pages/search/index'],
      ['list', 'pages/list/index', { categoryId: String(s.menswear.id), title: s.menswear.name }],
      ['product', 'pages/product/index', { id: String(s.buds.id) }],
      ['product-sku', 'pages/product/index', { id: String(s.buds.id) }, async (p) => { await tap(p, '#sku-cell'); await tap(p, '#spec-0-0'); }],
      ['cart', 'pages/cart/index'],
      // as the shopper gets there: 结算 on the cart page (which leaves sold-out lines out)
      ['checkout', 'pkg-order/checkout/index', {}, null, async () => { await tap(await openPage('pages/cart/index'), '#checkout'); }],
      ['checkout-coupons', 'pkg-order/checkout/index', {}, async (p) => { await tap(p, '#coupon-cell'); }],
      ['orders', 'pkg-order/orders/index', { tab: 'all' }],
      ['order-detail', 'pkg-order/detail/index', { id: String(s.unpaid.id) }],
      ['member', 'pages/member/index'],
      ['product-group', 'pages/product/index', { id: String(s.nuts.id) }],
      ['group', 'pkg-activity/group/index', { id: String(s.groupId) }],
      ['groups', 'pkg-activity/groups/index'],
      ['bargain', 'pkg-activity/bargain/index', { id: String(s.bargainId) }],
      ['bargains', 'pkg-activity/bargains/index'],
      ['coupons', 'pkg-activity/coupons/index'],
      // 赠送好友 on one coupon: 赠送中 with 发送给好友 and 取消赠送
      ['my-coupons', 'pkg-activity/my-coupons/index', {}, async (p) => { await tap(p, `#gift-${s.giftable}`); }],
      ['signin', 'pkg-activity/signin/index', {}, async (p) => { await tap(p, '#signin'); }],
      ['flash', 'pkg-activity/flash/index', { id: 'flash-earbuds' }],
      // 推广中心 of an approved promoter (distribution on, everyone mode): 生成海报, 提现
      ['promoter', 'pkg-activity/promoter/index', {}, null, async () => {
        await e2e.httpJson(server.base, 'PUT', '/api/merchant/distribution/settings', {
          headers: { 'x-merchant-token': server.secrets().merchantToken },
          body: { enabled: true, mode: 'everyone', levels: 2, rates: ['0.1', '0.05'], selfPurchase: false, bindingDays: null, frozenDays: 7 },
        });
        const demo = e2e.client(server.base);
        await demo.login('demo');
        await demo.post('/api/distribution/promoter', {});
      }],
      // the friend opening the shopper's gift card (last: the phone stays signed in as the friend)
      ['gift', 'pkg-activity/gift/index', { token: s.giftToken }, null, async () => {
        require(path.join(MP, 'lib', 'api.js')).clearSession();
        wx.login = (o) => o.success && o.success({ code: 'friend', errMsg: 'login:ok' });
      }],
    ];
    for (const [name, rel, query, act, before] of shots) {
      if (only && !only.includes(name)) continue;
      const from = bridge.log.length;
      if (before) await before();
      const page = await openPage(rel, query);
      if (act) await act(page);
      const failed = bridge.log.slice(from).filter((r) => r.error || r.status >= 400);
      for (const f of failed) console.warn(`  ! ${name}: ${f.method} ${f.url} → ${f.status || f.error} ${JSON.stringify(f.response || '')}`);
      shoot(name, page, htmlDir);
    }
    console.log(`HTML in ${htmlDir}`);
  } finally {
    await server.stop();
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
