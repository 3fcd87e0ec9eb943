// Shared set-up of the mini-program page tests: the WeChat runtime as the
// pages see it (no TextEncoder/TextDecoder, WXWebAssembly stubbed over Node's
// WebAssembly, reading package paths from miniprogram/), wx.request routed to
// per-test handlers, and pages rendered with miniprogram-simulate.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const simulate = require('miniprogram-simulate');

const MP = path.resolve(__dirname, '..', '..', 'miniprogram');

// miniprogram-simulate runs a page's or component's JS with require() and then
// deletes it from require.cache so that Component() runs again for the next
// page using it; Jest's module registry ignores that delete, so a component
// shared by two pages (components/rec-list) would be registered only for the
// first page loaded. Evaluate the file itself each time instead; the modules
// it requires still come from Jest's registry, shared with the tests.
require('miniprogram-simulate/src/utils').runJs = function runJs(filePath) {
  const file = require.resolve(filePath);
  const mod = { exports: {} };
  const req = (p) => require(p.startsWith('.') ? path.resolve(path.dirname(file), p) : p);
  // eslint-disable-next-line no-new-func
  new Function('require', 'module', 'exports', fs.readFileSync(file, 'utf8'))(req, mod, mod.exports);
};
const LOADER = path.join(MP, 'lib', 'rules', 'index.js');

/** The real generated loader + wasm, as the phone loads them (package path, .wasm.br). */
function installWasm() {
  if (!fs.existsSync(LOADER)) throw new Error(`${LOADER} missing: run \`npm run build:wasm\` first`);
  delete globalThis.TextEncoder;
  delete globalThis.TextDecoder;
  const calls = [];
  globalThis.WXWebAssembly = {
    instantiate(p, imports) {
      if (typeof p !== 'string') throw new TypeError('WXWebAssembly.instantiate takes a package path');
      calls.push(p);
      const buf = fs.readFileSync(path.join(MP, p));
      return WebAssembly.instantiate(p.endsWith('.br') ? zlib.brotliDecompressSync(buf) : buf, imports);
    },
  };
  return calls;
}

/** The loader the pages use (same module instance), initialised. */
async function rules() {
  const r = require(LOADER);
  await r.init();
  return r;
}

/**
 * Routes wx.request to handlers: {'GET /api/cart': (req) => body | {status, body}}.
 * Query strings are parsed into req.query; unknown routes answer 404 NO_ROUTE.
 * POST /api/auth/login is answered unless overridden. Returns the call log.
 */
function mockServer(routes) {
  const log = [];
  const all = Object.assign({
    'POST /api/auth/login': () => ({ token: 'tok-1', expiresAt: Math.floor(Date.now() / 1000) + 86400, userId: 7 }),
  }, routes);
  wx.login = jest.fn((o) => { o.success && o.success({ code: 'wx-code-1', errMsg: 'login:ok' }); });
  wx.request = jest.fn((o) => {
    const u = new URL(o.url);
    const query = Object.fromEntries(u.searchParams.entries());
    const req = { method: o.method || 'GET', path: u.pathname, query, data: o.data, header: o.header || {} };
    log.push(req);
    let handler = all[`${req.method} ${req.path}`];
    if (!handler) {
      // patterns with {id}
      for (const k of Object.keys(all)) {
        const [m, p] = k.split(' ');
        const re = new RegExp('^' + p.replace(/\{[^}]+\}/g, '([^/]+)') + '$');
        const mm = m === req.method && re.exec(req.path);
        if (mm) { handler = all[k]; req.params = mm.slice(1); break; }
      }
    }
    let res;
    try {
      res = handler ? handler(req) : { status: 404, body: { code: 'NO_ROUTE', message: '接口不存在', details: {} } };
    } catch (e) {
      res = { status: 500, body: { code: 'INTERNAL', message: String(e), details: {} } };
    }
    if (res && res.__fail) {
      Promise.resolve().then(() => o.fail && o.fail({ errMsg: 'request:fail timeout' }));
      return;
    }
    const wrapped = res && typeof res === 'object' && 'status' in res && 'body' in res ? res : { status: 200, body: res };
    Promise.resolve().then(() => o.success && o.success({ statusCode: wrapped.status, data: JSON.parse(JSON.stringify(wrapped.body === undefined ? '' : wrapped.body)), header: {} }));
  });
  return log;
}

/** Lets every pending promise and 0-ms timer run. */
async function flush(rounds = 8) {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0));
}

const loaded = {};
/** Renders a page (a Component) and runs onLoad(query) + onShow(), then settles. */
async function openPage(rel, query = {}) {
  const file = path.join(MP, rel);
  if (!loaded[file]) loaded[file] = simulate.load(file, { rootPath: MP });
  const comp = simulate.render(loaded[file]);
  comp.attach(document.createElement('parent-wrapper'));
  const inst = comp.instance;
  if (inst.onLoad) inst.onLoad(query);
  if (inst.onShow) inst.onShow();
  await flush();
  return comp;
}

function text(comp, selector) {
  const el = comp.querySelector(selector);
  if (!el) throw new Error(`no element ${selector}`);
  return el.dom.textContent.replace(/\s+/g, ' ').trim();
}

function texts(comp, selector) {
  return comp.querySelectorAll(selector).map((e) => e.dom.textContent.replace(/\s+/g, ' ').trim());
}

async function tap(comp, selector) {
  const el = comp.querySelector(selector);
  if (!el) throw new Error(`no element ${selector}`);
  el.dispatchEvent('tap');
  await flush();
}

/** Clears the API client's session between tests. */
function resetSession() {
  require(path.join(MP, 'lib', 'api.js')).clearSession();
  wx.clearStorageSync && wx.clearStorageSync();
}

function clone(x) { return JSON.parse(JSON.stringify(x)); }

/**
 * The usual set-up of a page test file: the real wasm once, then before each
 * test a fresh session and wx.navigateTo / wx.showToast mocked. Returns
 * {core}: the rules module once loaded.
 */
function pageSuite() {
  const suite = { core: null };
  beforeAll(async () => { installWasm(); suite.core = await rules(); });
  beforeEach(() => {
    resetSession();
    wx.navigateTo = jest.fn();
    wx.showToast = jest.fn();
  });
  return suite;
}

/** The title of the last toast shown. */
function lastToast() {
  const calls = wx.showToast.mock.calls;
  return calls.length ? calls[calls.length - 1][0].title : undefined;
}

/** Expects each selector's text: {'#id': 'text'} (one diff for all of them). */
function expectTexts(comp, expected) {
  const actual = {};
  Object.keys(expected).forEach((k) => { actual[k] = text(comp, k); });
  expect(actual).toEqual(expected);
}

/**
 * The poster's `<canvas type="2d">` and the album, mocked for lib/share.js's
 * drawPoster: returns what gets drawn, in order (['rect', x, y, w, h],
 * ['text', text], ['image', src]; images load at once); the saved file is
 * `file`.
 */
function posterCanvas(file = 'tmp/poster.png') {
  const drawn = [];
  const ctx = { fillRect: (...a) => drawn.push(['rect', ...a]), fillText: (t) => drawn.push(['text', t]), drawImage: (img) => drawn.push(['image', img.src]), measureText: () => ({ width: 10 }) };
  const canvas = { getContext: () => ctx, createImage: () => { const img = {}; Object.defineProperty(img, 'src', { set(v) { img._src = v; setTimeout(() => img.onload(), 0); }, get() { return img._src; } }); return img; } };
  wx.createSelectorQuery = () => ({ in: () => ({ select: () => ({ fields: () => ({ exec: (cb) => cb([{ node: canvas }]) }) }) }) });
  wx.canvasToTempFilePath = jest.fn((o) => o.success({ tempFilePath: file }));
  wx.saveImageToPhotosAlbum = jest.fn((o) => o.success({}));
  return drawn;
}

module.exports = { MP, installWasm, rules, mockServer, flush, openPage, text, texts, tap, resetSession, clone, simulate, pageSuite, lastToast, expectTexts, posterCanvas };
