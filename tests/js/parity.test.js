// Differential test: at least 10,000 seeded random scenarios run through the
// native core (the `mall-rules` CLI) and through the wasm build; their canonical
// JSON must be byte-identical. A disagreement is minimized, printed, and saved as
// a regression vector under tests/vectors/regressions/.
//
// PARITY_SEED (default 20261125) and PARITY_COUNT (default 10000) change the run.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { REPO, loadWasm, resultOfWasm, runNative, canonical } = require('./lib/rules');
const { scenarios, derived } = require('./lib/scenarios');

const SEED = Number(process.env.PARITY_SEED || 20261125);
const COUNT = Number(process.env.PARITY_COUNT || 10000);

function disagree(wasm, req, native) {
  const w = canonical(resultOfWasm(wasm, req.fn, structuredClone(req.input)));
  const n = canonical(native);
  return w === n ? null : { wasm: w, native: n };
}

/** Drop array elements of the input one at a time while the disagreement persists. */
function minimize(wasm, req) {
  let best = structuredClone(req);
  const still = (cand) => disagree(wasm, cand, runNative([cand])[0]) !== null;
  const arrayPaths = (v, p = [], out = []) => {
    if (Array.isArray(v)) out.push(p);
    if (v && typeof v === 'object') for (const k of Object.keys(v)) arrayPaths(v[k], [...p, k], out);
    return out;
  };
  const tryOnce = () => {
    for (const p of arrayPaths(best.input)) {
      const len = p.reduce((o, k) => o[k], best.input).length;
      for (let i = len - 1; i >= 0; i--) {
        const cand = structuredClone(best);
        p.reduce((o, k) => o[k], cand.input).splice(i, 1);
        if (still(cand)) {
          best = cand;
          return true;
        }
      }
    }
    return false;
  };
  for (let rounds = 0; rounds < 500 && tryOnce(); rounds++);
  return best;
}

test(`native and wasm agree byte for byte on ${COUNT} random scenarios`, () => {
  const wasm = loadWasm();
  const phase1 = scenarios(SEED, COUNT);
  const native1 = runNative(phase1);
  const phase2 = [];
  phase1.forEach((req, i) => {
    if (req.fn === 'quote' && native1[i].ok && i % 2 === 0) phase2.push(...derived(SEED + i, native1[i].ok));
  });
  const requests = [...phase1, ...phase2];
  const native = [...native1, ...runNative(phase2)];
  const counts = {};
  let errors = 0;
  let failure = null;
  requests.forEach((req, i) => {
    counts[req.fn] = (counts[req.fn] || 0) + 1;
    if (native[i].error) errors += 1;
    if (!failure) {
      const d = disagree(wasm, req, native[i]);
      if (d) failure = { req, d };
    }
  });
  console.log(`parity: ${requests.length} scenarios (${JSON.stringify(counts)}), ${errors} ending in a rule error`);
  assert.ok(requests.length >= 10000 || COUNT < 10000, 'at least 10,000 scenarios');
  if (failure) {
    const min = minimize(wasm, failure.req);
    const expect = runNative([min])[0];
    const name = `parity-${SEED}-${Date.now()}.json`;
    const file = path.join(REPO, 'tests', 'vectors', 'regressions', name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const vector = { name: `native/wasm disagreement found by the differential test (seed ${SEED})`, fn: min.fn, input: min.input, expect: expect.ok ? { ok: expect.ok } : { error: expect.error.code, details: expect.error.details } };
    fs.writeFileSync(file, JSON.stringify(vector, null, 2) + '\n');
    const d = disagree(wasm, min, expect);
    assert.fail(`native and wasm disagree; minimized input saved as ${path.relative(REPO, file)}:\n${JSON.stringify(min)}\nnative: ${d && d.native}\nwasm:   ${d && d.wasm}`);
  }
});
