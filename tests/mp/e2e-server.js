// The real mall-server for the end-to-end page tests and the screenshot
// script: started from its binary on 127.0.0.1 (a free port), with a fresh
// SQLite data dir, the demo shop and the fake WeChat API; stopped by its pid.
// Also: a plain HTTP client for the test's own server calls, and a wx.request
// bridge to real HTTP with an in-flight counter, so tests can wait until every
// request the pages started has been answered (and open / tap a page so).
'use strict';
const fs = require('fs');
const os = require('os');
const net = require('net');
const path = require('path');
const http = require('http');
const { spawn } = require('child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const DEFAULT_BIN = path.join(ROOT, 'target', 'debug', 'mall-server');

function serverBin() {
  const bin = process.env.MALL_SERVER_BIN || DEFAULT_BIN;
  if (!fs.existsSync(bin)) {
    throw new Error(
      `mall-server binary not found at ${bin}.\n` +
      'Build it first: `cargo build -p mall-server --features demo` (binary in target/debug/), ' +
      'or point MALL_SERVER_BIN at a built binary.',
    );
  }
  return bin;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** One HTTP exchange: resolves {status, body} (body parsed when JSON). */
function httpJson(base, method, urlPath, { body, token, headers } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(base + urlPath);
    const payload = body === undefined ? null : JSON.stringify(body);
    const h = Object.assign({ accept: 'application/json' }, headers);
    if (payload !== null) {
      h['content-type'] = 'application/json';
      h['content-length'] = String(Buffer.byteLength(payload));
    }
    if (token) h.authorization = `Bearer ${token}`;
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: h, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed = text;
        if (text && /json/.test(res.headers['content-type'] || '')) {
          try { parsed = JSON.parse(text); } catch (e) { /* keep the text */ }
        }
        resolve({ status: res.statusCode, body: parsed, headers: res.headers });
      });
      res.on('error', reject);
    });
    req.setTimeout(15000, () => req.destroy(new Error(`${method} ${urlPath}: timeout`)));
    req.on('error', reject);
    if (payload !== null) req.write(payload);
    req.end();
  });
}

/**
 * Starts the server; resolves {base, port, dataDir, pid, stop(), log()}.
 * stop() kills exactly this process (by its pid) and removes the data dir,
 * unless stop({ keepData: true }): then startServer({ dataDir }) starts the
 * same shop again (its database and secrets) on a new port.
 */
async function startServer(opts = {}) {
  const bin = serverBin();
  const port = await freePort();
  const dataDir = opts.dataDir || fs.mkdtempSync(path.join(os.tmpdir(), 'mall-e2e-'));
  const env = Object.assign({}, process.env, {
    MALL_BIND: `127.0.0.1:${port}`,
    MALL_DATA_DIR: dataDir,
    DATABASE_URL: `sqlite://${path.join(dataDir, 'mall.db')}`,
    WECHAT_API_BASE: 'fake',
    MALL_SEED_DEMO: 'true',
    // warn, plus the line that says where the fake WeChat API listens
    RUST_LOG: process.env.E2E_RUST_LOG || 'warn,mall_server::wechat::fake=info',
    NO_COLOR: '1',
  }, opts.env || {});
  const child = spawn(bin, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let fakeBase = null;
  const keep = (c) => {
    output = (output + c.toString()).slice(-20000);
    if (!fakeBase) {
      // "fake WeChat API listening addr=127.0.0.1:PORT" (ANSI codes stripped)
      const m = /fake WeChat API listening\s+addr=([0-9.]+:\d+)/.exec(output.replace(/\x1b\[[0-9;]*m/g, ''));
      if (m) fakeBase = `http://${m[1]}`;
    }
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });

  const stop = (o = {}) => new Promise((resolve) => {
    const done = () => {
      if (!o.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
      resolve();
    };
    if (exited || child.exitCode !== null) return done();
    const force = setTimeout(() => { if (!exited) { try { process.kill(child.pid, 'SIGKILL'); } catch (e) { /* gone */ } } }, 3000);
    child.once('exit', () => { clearTimeout(force); done(); });
    try { process.kill(child.pid, 'SIGTERM'); } catch (e) { clearTimeout(force); done(); }
  });
  // Never leave it running, whatever happens to the test process.
  const onExit = () => { if (!exited) { try { process.kill(child.pid, 'SIGKILL'); } catch (e) { /* gone */ } } };
  process.once('exit', onExit);

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.startTimeoutMs || 30000);
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`mall-server exited during start-up (${JSON.stringify(exited)}):\n${output}`);
    }
    try {
      const r = await httpJson(base, 'GET', '/api/categories');
      if (r.status === 200) break;
    } catch (e) { /* not listening yet */ }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`mall-server did not answer on ${base} within the start-up timeout:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base, port, dataDir, pid: child.pid, stop,
    log: () => output,
    /** The fake WeChat API (WeChat's side, incl. WeChat Pay) the server started. */
    fakeWeChat: () => {
      if (!fakeBase) throw new Error(`the fake WeChat API address was not logged (RUST_LOG must enable mall_server::wechat::fake=info):\n${output}`);
      return fakeBase;
    },
    secrets: () => JSON.parse(fs.readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')),
  };
}

/** A plain client for the test's own calls: login(code) then get/post/… with the token. */
function client(base) {
  const c = {
    token: null,
    async login(code = 'demo') {
      const r = await httpJson(base, 'POST', '/api/auth/login', { body: { code } });
      if (r.status !== 200) throw new Error(`login failed: ${r.status} ${JSON.stringify(r.body)}`);
      c.token = r.body.token;
      return r.body;
    },
    async call(method, p, body, headers) {
      const r = await httpJson(base, method, p, { body, token: c.token, headers });
      if (r.status < 200 || r.status >= 300) {
        const e = new Error(`${method} ${p} → ${r.status} ${JSON.stringify(r.body)}`);
        e.status = r.status;
        e.body = r.body;
        throw e;
      }
      return r.body;
    },
    get: (p) => c.call('GET', p),
    post: (p, b) => c.call('POST', p, b === undefined ? {} : b),
    patch: (p, b) => c.call('PATCH', p, b),
    put: (p, b) => c.call('PUT', p, b),
    del: (p) => c.call('DELETE', p),
  };
  return c;
}

/**
 * Replaces wx.request with real HTTP (the shape the pages' lib/api.js uses:
 * url, method, data as JSON, header; success({statusCode, data, header}) or
 * fail({errMsg})). Returns {log, inflight(), idle(), open(rel, query), tap(page, selector)}.
 */
function bridgeWxRequest(wxObj) {
  const log = [];
  let inflight = 0;
  let started = 0;
  wxObj.request = (o) => {
    const method = (o.method || 'GET').toUpperCase();
    const u = new URL(o.url);
    let urlPath = u.pathname + u.search;
    let body;
    if (o.data !== undefined && o.data !== null) {
      if (method === 'GET') {
        const q = new URLSearchParams(u.search);
        Object.keys(o.data).forEach((k) => q.set(k, String(o.data[k])));
        urlPath = u.pathname + (q.toString() ? `?${q}` : '');
      } else {
        body = o.data;
      }
    }
    const headers = Object.assign({}, o.header || {});
    delete headers['content-type'];
    const entry = { method, path: u.pathname, url: urlPath, data: body, header: o.header || {} };
    log.push(entry);
    inflight++;
    started++;
    httpJson(`${u.protocol}//${u.host}`, method, urlPath, { body, headers })
      .then((r) => {
        entry.status = r.status;
        entry.response = r.body;
        inflight--;
        const data = o.dataType === 'json' || o.dataType === undefined ? r.body : r.body;
        if (o.success) o.success({ statusCode: r.status, data, header: r.headers, errMsg: 'request:ok' });
        if (o.complete) o.complete({});
      }, (e) => {
        inflight--;
        entry.error = String(e);
        if (o.fail) o.fail({ errMsg: `request:fail ${e.message}` });
        if (o.complete) o.complete({});
      });
    return { abort() {} };
  };
  const tick = () => new Promise((r) => setTimeout(r, 0));
  /** Waits until no request is in flight and none starts for a few turns. */
  async function idle(timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    let quiet = 0;
    let seen = started;
    while (quiet < 5) {
      if (Date.now() > deadline) throw new Error(`requests still in flight after ${timeoutMs} ms: ${JSON.stringify(log.filter((l) => l.status === undefined && !l.error).map((l) => `${l.method} ${l.url}`))}`);
      await tick();
      if (inflight === 0 && started === seen) quiet++;
      else { quiet = 0; seen = started; if (inflight) await new Promise((r) => setTimeout(r, 5)); }
    }
  }
  const h = require('./helpers');
  /** Opens a page and waits until every request it started has been answered. */
  async function open(rel, query) {
    const page = await h.openPage(rel, query);
    await idle();
    return page;
  }
  /** Taps and waits likewise. */
  async function tap(page, selector) {
    await h.tap(page, selector);
    await idle();
  }
  return { log, inflight: () => inflight, idle, open, tap };
}

module.exports = { ROOT, DEFAULT_BIN, serverBin, startServer, client, httpJson, bridgeWxRequest };
