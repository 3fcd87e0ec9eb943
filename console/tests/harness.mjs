// The console's browser tests: each test file starts its own mall-server
// (target/debug/mall-server, built with --features demo) on a fresh SQLite
// database and a free port, signs in as the owner through the API, and drives
// Debian's chromium through playwright-core by data-testid. Nothing is
// downloaded: the browser is /usr/bin/chromium (scripts/install-browser.sh).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { after, before } from 'node:test';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, '..', '..');
export const OWNER_PASSWORD = 'owner-pass-123';
const BIN = process.env.MALL_SERVER_BIN || join(ROOT, 'target', 'debug', 'mall-server');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

/** A free port, preferring the console's range (18510–18599). */
async function freePort() {
  const tryPort = (p) => new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(null));
    s.listen(p, '127.0.0.1', () => { const got = s.address().port; s.close(() => res(got)); });
  });
  const start = 18510 + Math.floor(Math.random() * 80);
  for (let i = 0; i < 90; i++) {
    const p = await tryPort(18510 + ((start - 18510 + i) % 90));
    if (p) return p;
  }
  return tryPort(0);
}

/** Starts the server; resolves {base, stop(), merchantToken, log()}. */
export async function startServer({ env = {} } = {}) {
  if (!existsSync(BIN)) {
    throw new Error(`mall-server not found at ${BIN}: cargo build -p mall-server --features demo --bin mall-server`);
  }
  if (!existsSync(join(ROOT, 'console', 'dist', 'index.html'))) {
    throw new Error('console/dist is not built: bash scripts/build-console.sh');
  }
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'console-test-'));
  const child = spawn(BIN, [], {
    cwd: ROOT,
    env: {
      ...process.env,
      MALL_BIND: `127.0.0.1:${port}`,
      MALL_DATA_DIR: dataDir,
      DATABASE_URL: `sqlite://${join(dataDir, 'mall.db')}`,
      MALL_OWNER_PASSWORD: OWNER_PASSWORD,
      MALL_SEED_DEMO: 'true',
      WECHAT_API_BASE: 'fake',
      RUST_LOG: process.env.CONSOLE_RUST_LOG || 'warn',
      NO_COLOR: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (c) => { output = (output + c.toString()).slice(-20000); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const kill = () => { if (!exited) { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } } };
  process.once('exit', kill);
  const stop = async () => {
    if (!exited) {
      const gone = new Promise((r) => child.once('exit', r));
      try { process.kill(child.pid, 'SIGTERM'); } catch { /* gone */ }
      const t = setTimeout(kill, 3000);
      await gone;
      clearTimeout(t);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`mall-server exited during start-up (${JSON.stringify(exited)}):\n${output}`);
    try {
      const r = await fetch(`${base}/health`);
      if (r.ok) break;
    } catch { /* not yet */ }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`mall-server did not answer /health on ${base}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8'));
  return { base, port, dataDir, stop, merchantToken: secrets.merchantToken, log: () => output };
}

/** JSON over HTTP; throws with the server's answer on a non-2xx. */
export async function http(base, method, path, { body, headers = {}, raw, contentType } = {}) {
  const h = { accept: 'application/json', ...headers };
  let payload;
  if (raw !== undefined) {
    payload = raw;
    if (contentType) h['content-type'] = contentType;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['content-type'] = 'application/json';
  }
  const r = await fetch(base + path, { method, headers: h, body: payload });
  const text = await r.text();
  let data = text;
  try { data = text ? JSON.parse(text) : null; } catch { /* text */ }
  if (!r.ok) {
    const e = new Error(`${method} ${path} → ${r.status} ${text}`);
    e.status = r.status;
    e.body = data;
    throw e;
  }
  return { data, headers: r.headers };
}

/** Signs in through the API: {cookie: {name, value}, csrfToken, staff, pages}. */
export async function apiLogin(base, username = 'owner', password = OWNER_PASSWORD) {
  const { data, headers } = await http(base, 'POST', '/admin/api/login', { body: { username, password } });
  const setCookie = headers.get('set-cookie') || '';
  const m = /mall_staff=([^;]+)/.exec(setCookie);
  if (!m) throw new Error(`login set no mall_staff cookie: ${setCookie}`);
  return { cookie: { name: 'mall_staff', value: m[1] }, ...data };
}

/** A console API client acting as a signed-in staff member (cookie + CSRF). */
export function staffClient(base, session) {
  const headers = { cookie: `mall_staff=${session.cookie.value}`, 'x-csrf-token': session.csrfToken };
  const call = async (method, path, body) => (await http(base, method, `/admin/api${path}`, { body, headers })).data;
  return { get: (p) => call('GET', p), post: (p, b = {}) => call('POST', p, b), put: (p, b = {}) => call('PUT', p, b) };
}

/** A client with the merchant token (acts as the owner, no CSRF). */
export function merchantClient(server) {
  const headers = { 'x-merchant-token': server.merchantToken };
  const call = async (method, path, body) => (await http(server.base, method, path, { body, headers })).data;
  return { get: (p) => call('GET', p), post: (p, b = {}) => call('POST', p, b), put: (p, b = {}) => call('PUT', p, b) };
}

/** The demo shopper places a buy-now order for `skuId` × `quantity` (by express, or `delivery` e.g. {kind: 'pickup', storeId}); paid through the merchant route when `pay`. */
/** The demo shopper's API client. */
export async function shopperClient(server) {
  const { data: login } = await http(server.base, 'POST', '/api/auth/login', { body: { code: 'demo' } });
  const auth = { authorization: `Bearer ${login.token}` };
  return async (method, path, body) => (await http(server.base, method, path, { body, headers: auth })).data;
}

/** The shopper asks for a refund of `quantity` units of the order's first line. */
export async function requestRefund(server, order, { quantity = 1, kind = 'refund_only', reason = '不想要了' } = {}) {
  const call = await shopperClient(server);
  const o = await call('GET', `/api/orders/${order.id}`);
  return call('POST', `/api/orders/${order.id}/after-sales`, {
    kind, items: [{ lineId: o.lines[0].lineId, quantity }], includeShipping: false, reason,
  });
}

export async function placeOrder(server, { skuId, quantity = 1, pay = true, delivery } = {}) {
  const call = await shopperClient(server);
  let addresses = await call('GET', '/api/addresses');
  let address = addresses.find((a) => a.isDefault) || addresses[0];
  if (!address) {
    address = await call('POST', '/api/addresses', {
      name: '张三', phone: '13800138000', regionCode: '310115', province: '上海市', city: '上海市',
      district: '浦东新区', detail: '世纪大道100号', isDefault: true,
    });
  }
  const body = { items: [{ skuId, quantity }], coupons: { kind: 'none' }, points: { kind: 'none' }, ...(delivery ? { delivery } : { addressId: address.id }) };
  const quote = await call('POST', '/api/checkout/quote', body);
  const order = await call('POST', '/api/orders', { ...body, fingerprint: quote.fingerprint, idempotencyKey: `console-${Date.now()}-${Math.random()}` });
  if (pay) await merchantClient(server).post(`/api/merchant/orders/${order.id}/mark-paid`);
  return order;
}

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: bash scripts/install-browser.sh`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page signed in as `session` (its cookie set for /admin), at `path` under /admin/. */
export async function openConsole(browser, server, session, path = '/admin/') {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  if (session) {
    await context.addCookies([{ ...session.cookie, domain: '127.0.0.1', path: '/admin', httpOnly: true, sameSite: 'Strict' }]);
  }
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(server.base + path);
  return { page, context, errors };
}

export const tid = (id) => `[data-testid="${id}"]`;

/** Fills an Element Plus input (the data-testid sits on the <input> or on its wrapper). */
export async function fill(page, id, value) {
  const el = page.locator(tid(id)).first();
  const tag = await el.evaluate((n) => n.tagName);
  const input = tag === 'INPUT' || tag === 'TEXTAREA' ? el : el.locator('input, textarea').first();
  await input.fill(String(value));
}

/** An Element Plus input-number: type, then leave the field so it commits. */
export async function fillNumber(page, id, value) {
  await fill(page, id, value);
  await page.locator(tid(id)).locator('input').press('Tab');
}

/** The value of an Element Plus input (the data-testid on the <input> or on its wrapper). */
export async function valueOf(page, id) {
  const el = page.locator(tid(id)).first();
  const tag = await el.evaluate((n) => n.tagName);
  return (tag === 'INPUT' ? el : el.locator('input').first()).inputValue();
}

/** Picks `text` in an Element Plus select/cascader opened by clicking `id`. */
export async function choose(page, id, ...texts) {
  await page.locator(tid(id)).first().click();
  for (const t of texts) {
    await page.locator('.el-select-dropdown__item:visible, .el-cascader-node:visible').filter({ hasText: t }).first().click();
  }
}

/**
 * One test file's server, browser and owner: before its tests `s.server`, `s.browser`,
 * `s.session`, `s.owner` (the owner's API client) and `s.page` signed in at `path`;
 * after them all stopped.
 */
export function consoleFile(path) {
  const s = {};
  before(async () => {
    s.server = await startServer();
    s.browser = await launchBrowser();
    s.session = await apiLogin(s.server.base);
    s.owner = staffClient(s.server.base, s.session);
    ({ page: s.page } = await openConsole(s.browser, s.server, s.session, path));
  });
  after(async () => {
    await s.browser?.close();
    await s.server?.stop();
  });
  return s;
}

/** Saves a screenshot when a test fails (console/test-results/). */
/** Run a test's body; on failure keep a screenshot of `page` (onFailure). */
export async function guarded(t, page, f) {
  try {
    await f();
  } catch (e) {
    await onFailure(t, page);
    throw e;
  }
}

export async function onFailure(t, page) {
  if (!page) return;
  const dir = join(ROOT, 'console', 'test-results');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${t.name.replace(/[^\w一-龥-]+/g, '_')}.png`), fullPage: true }).catch(() => {});
}
