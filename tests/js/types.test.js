// The wasm package's TypeScript declarations: no `any`, and they type-check a
// strict usage of every entry point (tests/ts/usage.ts) with tsc.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { REPO } = require('./lib/rules');

const DTS = path.join(REPO, 'wasm', 'pkg', 'node', 'mall_rules_wasm.d.ts');

test('the declarations never say any', () => {
  const src = fs.readFileSync(DTS, 'utf8');
  const hits = src.split('\n').filter((l) => /\bany\b/.test(l.replace(/\/\/.*|\/\*.*?\*\/|^\s*\*.*$/g, '')));
  assert.deepEqual(hits, []);
  for (const f of ['quote', 'validateCart', 'bestCoupons', 'memberStatus', 'orderSnapshot', 'refund', 'commission', 'commissionReversal', 'bargainSplit', 'bargainProgress', 'bargainPrice', 'lateCompensation', 'groupProgress', 'checkGroupJoin', 'groupAtExpiry', 'signinReward', 'giftEligibility', 'flashState', 'flashBuckets', 'memberSegment', 'campaignDecision', 'beijingWeekSlot', 'itemSimilarity', 'recommend', 'bestSellers', 'searchSuggestions']) {
    assert.match(src, new RegExp(`export function ${f}\\(`), `${f} is declared`);
  }
});

test('tsc --strict accepts typed use of every entry point and rejects wrong shapes', () => {
  const tsc = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(REPO, 'tests', 'ts', 'tsconfig.json')], { stdio: 'pipe' });
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
  }
});
