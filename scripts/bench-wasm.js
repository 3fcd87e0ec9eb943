#!/usr/bin/env node
// bench-wasm.js - the wasm build's figures, printed:
//   * size: raw cargo output / after wasm-bindgen / after wasm-opt, gzip -9, brotli
//     (scripts/wasm-size.js);
//   * quote latency under Node for the two benchmark carts (tests/bench/*.json:
//     20 lines + 5 coupons; 200 lines + 30 coupons with the best-combination
//     search), and the native latency of the same carts measured in the same run
//     (release build of the `mall-rules` CLI), with the wasm/native ratio.
//
// Usage: node scripts/bench-wasm.js [--iterations N]
// Needs: npm run build:wasm; cargo build --release -p mall-rules-cli (done here).
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const repo = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const iterIdx = argv.indexOf('--iterations');
const ITER = iterIdx >= 0 ? Number(argv[iterIdx + 1]) : 300;

execFileSync('node', [path.join(__dirname, 'wasm-size.js')], { stdio: 'inherit' });

execFileSync('cargo', ['build', '--quiet', '--release', '-p', 'mall-rules-cli'], { cwd: repo, stdio: 'inherit' });
const targetDir = process.env.CARGO_TARGET_DIR || path.join(repo, 'target');
const nativeBin = path.join(targetDir, 'release', 'mall-rules');
const wasm = require(path.join(repo, 'wasm', 'pkg', 'node', 'mall_rules_wasm.js'));

function timeWasm(input, n) {
  for (let i = 0; i < Math.ceil(n / 10); i++) wasm.quote(input);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) wasm.quote(input);
  return Number(process.hrtime.bigint() - t0) / n;
}

const rows = [];
for (const [label, file, n] of [
  ['20 lines, 5 coupons', 'cart-20.json', ITER * 10],
  ['200 lines, 30 coupons (best search)', 'cart-200.json', ITER],
]) {
  const p = path.join(repo, 'tests', 'bench', file);
  const input = JSON.parse(fs.readFileSync(p, 'utf8'));
  const q = wasm.quote(input);
  const wasmNs = timeWasm(input, n);
  const nativeNs = JSON.parse(execFileSync(nativeBin, ['bench', p, String(n)]).toString()).nsPerQuote;
  rows.push({ label, search: `${q.coupons.mode}, ${q.coupons.combinations} combinations`, payable: q.payable, wasmNs, nativeNs });
}

const us = (ns) => `${(ns / 1000).toFixed(1)} µs`;
console.log('\n| cart | coupon search | payable (fen) | wasm (Node) | native | wasm/native |');
console.log('|---|---|--:|--:|--:|--:|');
for (const r of rows) {
  console.log(`| ${r.label} | ${r.search} | ${r.payable} | ${us(r.wasmNs)} | ${us(r.nativeNs)} | ${(r.wasmNs / r.nativeNs).toFixed(2)}× |`);
}
