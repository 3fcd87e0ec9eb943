#!/usr/bin/env node
// wasm-size.js - size table of a wasm build, in bytes, at each stage:
//   raw cargo output  target/wasm32-unknown-unknown/release/<lib>.wasm
//   after wasm-bindgen (no wasm-opt; regenerated here into a temp dir with the
//                      toolchain's wasm-bindgen CLI, since wasm-pack keeps only
//                      the optimised file)
//   after wasm-opt     <pkg>/<lib>_bg.wasm as produced by wasm-pack
// each with its gzip -9 and brotli (quality 11) size, plus the JS glue.
//
// Usage: node scripts/wasm-size.js [--pkg DIR] [--lib NAME] [--raw FILE] [--json]
//   --pkg  wasm-pack output dir        (default: <repo>/wasm/pkg/web)
//   --lib  lib name                    (default: mall_rules_wasm)
//   --raw  raw cargo .wasm             (default: $CARGO_TARGET_DIR or <repo>/target,
//                                       + /wasm32-unknown-unknown/release/<lib>.wasm)
//   WASM_TOOLCHAIN_PREFIX (default /opt/rust-wasm) locates wasm-bindgen.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const { execFileSync } = require('child_process');

const repo = path.resolve(__dirname, '..');
const opts = { pkg: null, lib: 'mall_rules_wasm', raw: null, json: false };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const val = () => {
    if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
    return argv[++i];
  };
  if (a === '--pkg') opts.pkg = path.resolve(val());
  else if (a === '--lib') opts.lib = val();
  else if (a === '--raw') opts.raw = path.resolve(val());
  else if (a === '--json') opts.json = true;
  else if (a === '-h' || a === '--help') {
    console.log('usage: node scripts/wasm-size.js [--pkg DIR] [--lib NAME] [--raw FILE] [--json]');
    process.exit(0);
  } else throw new Error(`unknown argument ${a}`);
}
opts.pkg = opts.pkg || path.join(repo, 'wasm', 'pkg', 'web');
opts.raw = opts.raw || path.join(process.env.CARGO_TARGET_DIR ? path.resolve(process.env.CARGO_TARGET_DIR) : path.join(repo, 'target'),
  'wasm32-unknown-unknown', 'release', `${opts.lib}.wasm`);

const gz = (b) => zlib.gzipSync(b, { level: 9 }).length;
const br = (b) => zlib.brotliCompressSync(b, {
  params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length },
}).length;
const row = (stage, file, bytes) => (bytes ? { stage, file, bytes: bytes.length, gzip9: gz(bytes), brotli11: br(bytes) }
  : { stage, file, bytes: null, gzip9: null, brotli11: null });

const rows = [];
const optFile = path.join(opts.pkg, `${opts.lib}_bg.wasm`);
if (!fs.existsSync(optFile)) {
  console.error(`wasm-size: ${optFile} not found (run scripts/build-wasm.sh first)`);
  process.exit(1);
}

// 1. raw cargo output
const raw = fs.existsSync(opts.raw) ? fs.readFileSync(opts.raw) : null;
rows.push(row('raw cargo output', opts.raw, raw));

// 2. after wasm-bindgen, before wasm-opt
let bound = null;
const bindgen = path.join(process.env.WASM_TOOLCHAIN_PREFIX || '/opt/rust-wasm', 'bin', 'wasm-bindgen');
if (raw && fs.existsSync(bindgen)) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-size-'));
  try {
    execFileSync(bindgen, ['--target', 'web', '--out-dir', tmp, opts.raw], { stdio: ['ignore', 'ignore', 'inherit'] });
    bound = fs.readFileSync(path.join(tmp, `${opts.lib}_bg.wasm`));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
rows.push(row('after wasm-bindgen', bound ? '(regenerated, not kept)' : 'n/a (no raw output or no wasm-bindgen CLI)', bound));

// 3. after wasm-opt (what ships)
rows.push(row('after wasm-opt', optFile, fs.readFileSync(optFile)));

// JS glue, for reference
const glueFile = path.join(opts.pkg, `${opts.lib}.js`);
if (fs.existsSync(glueFile)) rows.push(row('JS glue (web target)', glueFile, fs.readFileSync(glueFile)));

if (opts.json) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  const cols = ['stage', 'bytes', 'gzip -9', 'brotli q11'];
  const cells = rows.map((r) => [r.stage, r.bytes, r.gzip9, r.brotli11].map((v, i) => (i === 0 ? v : v === null ? 'n/a' : String(v))));
  const w = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((v, i) => (i === 0 ? v.padEnd(w[i]) : v.padStart(w[i]))).join(' | ')} |`;
  console.log(line(cols));
  console.log(`|${w.map((n, i) => (i === 0 ? '-'.repeat(n + 2) : `${'-'.repeat(n + 1)}:`)).join('|')}|`);
  for (const r of cells) console.log(line(r));
  for (const r of rows) console.log(`  ${r.stage}: ${r.file}`);
}
