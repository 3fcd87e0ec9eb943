#!/usr/bin/env node
// Prints the size of every package of the mini-program as WeChat would upload
// it (the main package and each subpackage from app.json) and exits non-zero
// over WeChat's limits: main ≤ 2 MB, each subpackage ≤ 2 MB, all ≤ 20 MB.
// Counted: what the upload keeps — the wasm only as .wasm.br (the raw .wasm is
// ignored by project.config.json packOptions), no dotfiles, no project config.
//
//   node scripts/mp-size.js [miniprogram-dir]
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(process.argv[2] || path.join(__dirname, '..', 'miniprogram'));
const MB = 1024 * 1024;
const LIMITS = { main: 2 * MB, sub: 2 * MB, total: 20 * MB };
// Not part of the code package.
const SKIP_FILES = new Set(['project.config.json', 'project.private.config.json']);

function uploaded(rel) {
  const base = path.basename(rel);
  if (base.startsWith('.') || SKIP_FILES.has(rel)) return false;
  if (rel.endsWith('.wasm')) return false; // shipped as .wasm.br only
  return true;
}

function walk(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      walk(full, out);
    } else if (e.isFile()) {
      out.push(path.relative(ROOT, full).split(path.sep).join('/'));
    }
  }
  return out;
}

function fmt(n) {
  return n >= MB ? `${(n / MB).toFixed(2)} MB` : `${(n / 1024).toFixed(1)} KB`;
}

const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'));
const subs = (app.subpackages || app.subPackages || []).map((s) => ({ name: s.name || s.root, root: s.root.replace(/\/+$/, '') + '/' }));
const packages = [{ name: 'main', root: '', files: [], bytes: 0 }].concat(subs.map((s) => Object.assign(s, { files: [], bytes: 0 })));

const files = walk(ROOT).filter(uploaded);
for (const rel of files) {
  const pkg = packages.find((p) => p.root && rel.startsWith(p.root)) || packages[0];
  pkg.files.push(rel);
  pkg.bytes += fs.statSync(path.join(ROOT, rel)).size;
}

// The loader must point at a .wasm.br that ships in some package.
let failed = false;
const loader = path.join(ROOT, 'lib', 'rules', 'index.js');
if (fs.existsSync(loader)) {
  const m = /var PACKAGE_PATH = ("[^"]*");/.exec(fs.readFileSync(loader, 'utf8'));
  const wasmPath = m && JSON.parse(m[1]).replace(/^\//, '');
  if (!wasmPath || !files.includes(wasmPath)) {
    console.error(`FAIL the loader's PACKAGE_PATH ${m ? m[1] : '(none)'} is not an uploaded file`);
    failed = true;
  } else {
    const home = packages.find((p) => p.root && wasmPath.startsWith(p.root)) || packages[0];
    console.log(`wasm: /${wasmPath} (${fmt(fs.statSync(path.join(ROOT, wasmPath)).size)}) in package ${home.name}`);
  }
} else {
  console.warn('warning: lib/rules/index.js missing (run `npm run build:wasm`): the wasm is not counted');
}

let total = 0;
for (const p of packages) {
  const limit = p.root ? LIMITS.sub : LIMITS.main;
  const over = p.bytes > limit;
  failed = failed || over;
  total += p.bytes;
  console.log(`${over ? 'FAIL' : 'ok  '} ${p.root ? `subpackage ${p.name} (${p.root})` : 'main package'}: ${fmt(p.bytes)} of ${fmt(limit)}, ${p.files.length} files`);
  const big = p.files.map((f) => [f, fs.statSync(path.join(ROOT, f)).size]).sort((a, b) => b[1] - a[1]).slice(0, 3);
  for (const [f, n] of big) console.log(`       ${fmt(n).padStart(9)}  ${f}`);
}
const overTotal = total > LIMITS.total;
failed = failed || overTotal;
console.log(`${overTotal ? 'FAIL' : 'ok  '} total: ${fmt(total)} of ${fmt(LIMITS.total)}`);
process.exit(failed ? 1 : 0);
