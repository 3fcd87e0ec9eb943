// Tests of the generated WeChat mini-program loader (scripts/gen-miniprogram-loader.js)
// in Node, the way the mini-program runtime sees it: WXWebAssembly stubbed on top of
// Node's WebAssembly, and no TextEncoder/TextDecoder globals.
//
// Paths (env vars, repo defaults):
//   MINIPROGRAM_ROOT   code-package root that package paths such as
//                      /lib/rules/mall_rules_wasm_bg.wasm.br resolve against
//                      (default: <repo>/miniprogram)
//   MALL_RULES_LOADER  the generated loader (default: $MINIPROGRAM_ROOT/lib/rules/index.js)
// Build them first: npm run build:wasm   (the test fails, never skips, when they are missing)
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const REPO = path.resolve(__dirname, '..', '..');
const ROOT = path.resolve(process.env.MINIPROGRAM_ROOT || path.join(REPO, 'miniprogram'));
const LOADER = path.resolve(process.env.MALL_RULES_LOADER || path.join(ROOT, 'lib', 'rules', 'index.js'));

// Independent of the generator's own list on purpose.
const FORBIDDEN = {
  fetch: /\bfetch\b/,
  'import.meta': /\bimport\s*\.\s*meta\b/,
  'new URL': /\bnew\s+URL\b/,
  instantiateStreaming: /\binstantiateStreaming\b/,
  'global WebAssembly': /(?<![\w$])WebAssembly\b/,
  initSync: /\binitSync\b/,
  'ESM export': /^\s*export\b/m,
  'ESM import': /^\s*import\b|\bimport\s*\(/m,
  eval: /\beval\s*\(/,
  'new Function': /\bnew\s+Function\b/,
  'unguarded new TextDecoder': /\bnew\s+TextDecoder\b/,
  'unguarded new TextEncoder': /\bnew\s+TextEncoder\b/,
};

// Node's own implementations, kept as the reference for the polyfill.
const NativeTextEncoder = globalThis.TextEncoder;
const NativeTextDecoder = globalThis.TextDecoder;
const NodeWebAssembly = globalThis.WebAssembly;

function bytesOf(packagePath) {
  assert.equal(typeof packagePath, 'string', 'WXWebAssembly.instantiate takes a string package path');
  const file = path.join(ROOT, packagePath);
  const buf = fs.readFileSync(file);
  return packagePath.endsWith('.br') ? zlib.brotliDecompressSync(buf) : buf;
}

// shape: 'pair' -> {instance, module} (as from bytes); 'bare' -> a bare Instance
function stubWX(shape, calls) {
  globalThis.WXWebAssembly = {
    instantiate(p, imports) {
      calls.push(p);
      const bytes = bytesOf(p);
      if (shape === 'pair') return NodeWebAssembly.instantiate(bytes, imports);
      return NodeWebAssembly.compile(bytes).then((m) => NodeWebAssembly.instantiate(m, imports));
    },
  };
}

function freshLoader() {
  delete require.cache[require.resolve(LOADER)];
  return require(LOADER);
}

function expectCodedError(fn, code) {
  let caught;
  try { fn(); } catch (e) { caught = e; }
  assert.ok(caught, `expected an Error with code ${code}, nothing was thrown`);
  assert.ok(caught instanceof Error, `expected an Error instance, got ${Object.prototype.toString.call(caught)}`);
  assert.equal(caught.code, code, `error code (message: ${caught.message})`);
  assert.equal(typeof caught.message, 'string');
  return caught;
}

before(() => {
  assert.ok(fs.existsSync(LOADER), `${LOADER} not found: run \`npm run build:wasm\` (or set MINIPROGRAM_ROOT / MALL_RULES_LOADER)`);
  // The mini-program runtime has none of these.
  delete globalThis.TextEncoder;
  delete globalThis.TextDecoder;
  assert.equal(typeof TextEncoder, 'undefined');
  assert.equal(typeof TextDecoder, 'undefined');
});

after(() => {
  globalThis.TextEncoder = NativeTextEncoder;
  globalThis.TextDecoder = NativeTextDecoder;
  delete globalThis.WXWebAssembly;
});

describe('loader source', () => {
  it('has none of the forbidden tokens and is CommonJS', () => {
    const src = fs.readFileSync(LOADER, 'utf8');
    const found = Object.entries(FORBIDDEN).filter(([, re]) => re.test(src)).map(([k]) => k);
    assert.deepEqual(found, [], `forbidden tokens in ${LOADER}`);
    assert.match(src, /\bmodule\.exports\s*=/);
    assert.match(src, /WXWebAssembly\.instantiate\(/);
    assert.match(src, /typeof TextDecoder === 'undefined'/);
    assert.match(src, /typeof TextEncoder === 'undefined'/);
  });

  it('ships the wasm it points at, brotli-compressed, next to it', () => {
    const src = fs.readFileSync(LOADER, 'utf8');
    const m = /var PACKAGE_PATH = ("[^"]*");/.exec(src);
    assert.ok(m, 'PACKAGE_PATH not found');
    const pkgPath = JSON.parse(m[1]);
    assert.match(pkgPath, /^\/.*_bg\.wasm\.br$/);
    const file = path.join(ROOT, pkgPath);
    assert.equal(path.dirname(file), path.dirname(LOADER), 'the wasm must sit next to the loader');
    const wasm = zlib.brotliDecompressSync(fs.readFileSync(file));
    assert.ok(NodeWebAssembly.validate(wasm), 'decompressed .wasm.br is a valid module');
  });
});

describe('loader with WXWebAssembly returning {instance, module}', () => {
  let rules;
  const calls = [];
  before(() => {
    stubWX('pair', calls);
    rules = freshLoader();
  });

  it('exports init() and functions, which refuse to run before init', () => {
    assert.equal(typeof rules.init, 'function');
    const fns = Object.keys(rules).filter((k) => k !== 'init');
    assert.ok(fns.length > 0, 'no wasm exports');
    for (const k of fns) assert.ok(['function', 'object'].includes(typeof rules[k]), `${k} export`);
    expectCodedError(() => rules[fns.find((k) => typeof rules[k] === 'function')](), 'WASM_NOT_INITIALIZED');
    assert.equal(calls.length, 0, 'nothing instantiated at require time');
  });

  it('init() instantiates once (memoised) from the package path', async () => {
    const p1 = rules.init();
    const p2 = rules.init();
    assert.equal(p1, p2, 'same promise');
    const ex = await p1;
    assert.equal(ex, rules, 'init() resolves to the module exports');
    await rules.init();
    assert.equal(calls.length, 1, 'WXWebAssembly.instantiate called exactly once');
    assert.match(calls[0], /^\/.*_bg\.wasm\.br$/);
  });

  it('still runs with no TextEncoder/TextDecoder globals (polyfill in use)', () => {
    assert.equal(typeof globalThis.TextEncoder, 'undefined');
    assert.equal(typeof globalThis.TextDecoder, 'undefined');
  });

  // ---- crate contract: the rules core's exports through the mini-program loader --
  const CART = {
    now: 1767225600,
    catalog: [
      { skuId: 'tea', listPrice: 12900, stock: 10, categoryIds: ['茶叶'] },
      { skuId: 'cup', listPrice: 4950, stock: 0 },
    ],
    lines: [
      { lineId: 'l1', skuId: 'tea', quantity: 2 },
      { lineId: 'l2', skuId: 'cup', quantity: 1 },
    ],
    rules: { campaigns: [{ campaignId: '满300减50', rule: { kind: 'amountOff', tiers: [{ threshold: 30000, amount: 5000 }] } }] },
  };

  it('passes plain JS objects in and out (serde-wasm-bindgen, json_compatible)', () => {
    const q = rules.quote(CART);
    assert.equal(Object.getPrototypeOf(q), Object.prototype, 'a plain object, not a Map');
    assert.equal(q.goodsTotal, 25800);
    assert.equal(q.payable, 25800);
    assert.equal(q.lines.length, 1);
    assert.equal(q.invalidLines[0].error.code, 'OUT_OF_STOCK');
    assert.equal(q.shipping, null);
    assert.match(q.fingerprint, /^[0-9a-f]{64}$/);
  });

  it('round-trips non-ASCII strings through the polyfill', () => {
    const q = rules.quote(CART);
    assert.equal(q.hints[0].campaignId, '满300减50');
    assert.equal(q.hints[0].shortfall, 4200);
    assert.equal(q.invalidLines[0].error.message, '商品已售罄');
  });

  it('throws real Error instances with a code', () => {
    const e = expectCodedError(() => rules.quote({ ...CART, options: { coupons: { kind: 'manual', couponIds: ['nope'] } } }), 'COUPON_NOT_FOUND');
    assert.equal(e.message, '优惠券不存在');
    assert.equal(e.details.couponId, 'nope');
    expectCodedError(() => rules.quote({ now: 1 }), 'INVALID_INPUT');
    expectCodedError(() => rules.bargainSplit({ price: 100, floor: 100, helpers: 1, seed: 1 }), 'BARGAIN_INVALID');
    // still usable after errors
    assert.equal(rules.quote(CART).payable, 25800);
  });
  // ---- end of crate contract ------------------------------------------------------
});

describe('loader with WXWebAssembly returning a bare instance', () => {
  it('initialises and runs', async () => {
    const calls = [];
    stubWX('bare', calls);
    const rules = freshLoader();
    await rules.init();
    assert.equal(calls.length, 1);
    const q = rules.quote({ now: 0, catalog: [{ skuId: 'a', listPrice: 10, stock: 3 }], lines: [{ lineId: '1', skuId: 'a', quantity: 3 }] });
    assert.equal(q.payable, 30);
  });
});

describe('loader init failure', () => {
  it('rejects, then a later init() retries', async () => {
    const calls = [];
    let fail = true;
    globalThis.WXWebAssembly = {
      instantiate(p, imports) {
        calls.push(p);
        if (fail) return Promise.reject(new Error('simulated load failure'));
        return NodeWebAssembly.instantiate(bytesOf(p), imports);
      },
    };
    const rules = freshLoader();
    await assert.rejects(rules.init(), /simulated load failure/);
    fail = false;
    await rules.init();
    assert.equal(calls.length, 2);
  });

  it('rejects with a clear Error when WXWebAssembly is missing', async () => {
    delete globalThis.WXWebAssembly;
    const rules = freshLoader();
    await assert.rejects(rules.init(), /WXWebAssembly is not available/);
  });
});

describe('UTF-8 polyfill matches Node\'s TextEncoder/TextDecoder', () => {
  let Encoder;
  let Decoder;
  before(() => {
    delete globalThis.WXWebAssembly;
    ({ Encoder, Decoder } = freshLoader().__utf8);
  });
  const strings = ['', 'abc', 'é', '€', '你好', '😀', 'a😀b', '\u{10FFFF}', '\uD800', 'x\uDC00y', '\uD83D', 'ok\uD83Dz',
    String.fromCharCode(...Array.from({ length: 3000 }, (_, i) => (i * 37) % 0xFFFF))];

  it('encode / encodeInto', () => {
    const enc = new Encoder();
    const native = new NativeTextEncoder();
    for (const s of strings) {
      assert.deepEqual(Buffer.from(enc.encode(s)), Buffer.from(native.encode(s)), JSON.stringify(s.slice(0, 20)));
      for (const cap of [0, 1, 2, 3, 4, 5, 7, s.length * 3]) {
        const a = new Uint8Array(cap);
        const b = new Uint8Array(cap);
        assert.deepEqual(enc.encodeInto(s, a), native.encodeInto(s, b), `encodeInto ${JSON.stringify(s.slice(0, 20))} cap ${cap}`);
        assert.deepEqual(Buffer.from(a), Buffer.from(b));
      }
    }
  });

  it('decode (valid, invalid and truncated input)', () => {
    const dec = new Decoder('utf-8', { ignoreBOM: true });
    const native = new NativeTextDecoder('utf-8', { ignoreBOM: true });
    assert.equal(dec.decode(), '');
    const samples = strings.map((s) => new NativeTextEncoder().encode(s));
    let seed = 12345;
    const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
    for (let k = 0; k < 2000; k++) {
      const len = rnd() % 12;
      samples.push(Uint8Array.from({ length: len }, () => [0x41, 0x80, 0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0x9F, 0xA0, 0x90, 0x8F][rnd() % 16] ^ (rnd() % 4 === 0 ? rnd() % 64 : 0)));
    }
    samples.push(Uint8Array.of(0xEF, 0xBB, 0xBF, 0x41)); // BOM, kept with ignoreBOM
    for (const b of samples) assert.equal(dec.decode(b), native.decode(b), `bytes ${Buffer.from(b).toString('hex')}`);
    const withBom = new Decoder('utf-8');
    assert.equal(withBom.decode(Uint8Array.of(0xEF, 0xBB, 0xBF, 0x41)), new NativeTextDecoder('utf-8').decode(Uint8Array.of(0xEF, 0xBB, 0xBF, 0x41)));
    const big = new NativeTextEncoder().encode('价'.repeat(50000));
    assert.equal(dec.decode(big), '价'.repeat(50000));
    assert.equal(dec.decode(big.subarray(3, 9)), '价价');
  });
});
