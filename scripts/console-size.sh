#!/usr/bin/env bash
# console-size.sh - the merchant console's JavaScript sizes: the initial JS of
# the shell (the entry chunk, every chunk index.html preloads, and every chunk
# those import statically), minified and gzip (level 9), then each lazy chunk.
# Exits non-zero when the initial gzip exceeds the budget (300 KB).
#
#   bash scripts/console-size.sh            # reads console/dist (build it first)
#   BUDGET_KB=250 bash scripts/console-size.sh
set -euo pipefail
cd "$(dirname "$0")/../console"
[[ -f dist/index.html ]] || { echo "console-size: console/dist is not built (bash scripts/build-console.sh)" >&2; exit 2; }

BUDGET_KB=${BUDGET_KB:-300} node --input-type=module - <<'JS'
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, posix } from 'node:path';

const dist = 'dist';
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const local = (u) => u.replace(/^\/admin\//, '').replace(/^\//, '');
const seeds = [
  ...[...html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)].map((m) => m[1]),
  ...[...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map((m) => m[1]),
].map(local);

// Static imports of a minified ES chunk: `import{a}from"./x.js"`, `import"./x.js"`,
// `export{a}from"./x.js"`; dynamic `import("./x.js")` is left out (lazy).
const staticImport = /(?:^|[;\s}])(?:import|export)\s*(?:[\w$*{}\s,]*?from\s*)?["'](\.\.?\/[^"']+\.js)["']/g;
const initial = new Set();
const queue = [...seeds];
while (queue.length) {
  const f = queue.shift();
  if (initial.has(f)) continue;
  initial.add(f);
  const src = readFileSync(join(dist, f), 'utf8');
  for (const m of src.matchAll(staticImport)) queue.push(posix.normalize(posix.join(posix.dirname(f), m[1])));
}

const size = (f) => {
  const b = readFileSync(join(dist, f));
  return { f, min: b.length, gz: gzipSync(b, { level: 9 }).length };
};
const kb = (n) => (n / 1024).toFixed(1).padStart(8);
const all = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js')).map((f) => `assets/${f}`);
const init = [...initial].map(size);
const lazy = all.filter((f) => !initial.has(f)).map(size).sort((a, b) => b.gz - a.gz);
const sum = (xs, k) => xs.reduce((s, x) => s + x[k], 0);

console.log('initial JS of the shell (KB)                    minified     gzip');
for (const s of init) console.log(`  ${s.f.padEnd(44)} ${kb(s.min)} ${kb(s.gz)}`);
const gz = sum(init, 'gz');
console.log(`  ${'TOTAL'.padEnd(44)} ${kb(sum(init, 'min'))} ${kb(gz)}`);
console.log(`lazy chunks (${lazy.length}, KB)                             minified     gzip`);
for (const s of lazy) console.log(`  ${s.f.padEnd(44)} ${kb(s.min)} ${kb(s.gz)}`);
const budget = Number(process.env.BUDGET_KB) * 1024;
if (gz > budget) {
  console.error(`console-size: initial JS ${(gz / 1024).toFixed(1)} KB gzip exceeds the budget of ${process.env.BUDGET_KB} KB`);
  process.exit(1);
}
console.log(`initial JS ${(gz / 1024).toFixed(1)} KB gzip, within the ${process.env.BUDGET_KB} KB budget`);
JS
