// Shared helpers of the JS tests: the wasm build (Node target), the native CLI,
// calling an entry point by its vector name, canonical JSON and subset matching.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const REPO = path.resolve(__dirname, '..', '..', '..');
const WASM_PKG = process.env.MALL_RULES_WASM_PKG || path.join(REPO, 'wasm', 'pkg', 'node', 'mall_rules_wasm.js');
const NATIVE_BIN = process.env.MALL_RULES_BIN || path.join(REPO, 'target', 'debug', 'mall-rules');

function loadWasm() {
  if (!fs.existsSync(WASM_PKG)) {
    throw new Error(`${WASM_PKG} not found: run \`npm run build:wasm\` first`);
  }
  return require(WASM_PKG);
}

/** Call entry point `name` (the vectors' `fn`) on the wasm module. */
function callWasm(wasm, name, input) {
  switch (name) {
    case 'memberStatus': return wasm.memberStatus(input.program, input.growth);
    case 'commissionReversal': return wasm.commissionReversal(input.commission, input.refund);
    default: {
      const f = wasm[name];
      if (typeof f !== 'function') throw new Error(`no wasm export ${name}`);
      return f(input);
    }
  }
}

/** `{ok}` or `{error: {code, message, details}}`, as the native CLI answers. */
function resultOfWasm(wasm, name, input) {
  try {
    return { ok: callWasm(wasm, name, input) };
  } catch (e) {
    if (!(e instanceof Error) || typeof e.code !== 'string') throw e;
    return { error: { code: e.code, message: e.message, details: e.details } };
  }
}

/** Run many requests `{fn, input}` through the native core in one process. */
function runNative(requests) {
  if (!fs.existsSync(NATIVE_BIN)) {
    throw new Error(`${NATIVE_BIN} not found: run \`cargo build -p mall-rules-cli\` first`);
  }
  const stdin = requests.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const out = execFileSync(NATIVE_BIN, ['run'], { input: stdin, maxBuffer: 1 << 30 });
  const lines = out.toString('utf8').split('\n').filter((l) => l.length > 0);
  if (lines.length !== requests.length) throw new Error(`native answered ${lines.length} of ${requests.length}`);
  return lines.map((l) => JSON.parse(l));
}

/** JSON with object keys sorted at every level. */
function canonical(v) {
  return JSON.stringify(sortKeys(v));
}
function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v).sort()) o[k] = sortKeys(v[k]);
    return o;
  }
  return v;
}

/** Differences where `got` does not hold every key of `want` (arrays: same length). */
function subsetDiffs(want, got, p = '', out = []) {
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) {
      out.push(`${p}: ${JSON.stringify(got)}, want ${want.length} items`);
      return out;
    }
    want.forEach((w, i) => subsetDiffs(w, got[i], `${p}[${i}]`, out));
  } else if (want && typeof want === 'object') {
    if (!got || typeof got !== 'object') {
      out.push(`${p}: got ${JSON.stringify(got)}, want an object`);
      return out;
    }
    for (const [k, w] of Object.entries(want)) {
      if (!(k in got)) {
        if (w !== null) out.push(`${p}.${k}: missing, want ${JSON.stringify(w)}`);
      } else subsetDiffs(w, got[k], `${p}.${k}`, out);
    }
  } else if (want !== got) {
    out.push(`${p}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
  return out;
}

function vectorFiles(dir = path.join(REPO, 'tests', 'vectors'), out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) vectorFiles(p, out);
    else if (e.name.endsWith('.json')) out.push(p);
  }
  return out.sort();
}

module.exports = { REPO, loadWasm, callWasm, resultOfWasm, runNative, canonical, subsetDiffs, vectorFiles };
