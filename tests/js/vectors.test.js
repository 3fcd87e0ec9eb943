// Every shared rule vector in tests/vectors/ through the wasm build under Node:
// the same expectations the native runner (core/tests/vectors.rs) checks.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { REPO, loadWasm, resultOfWasm, subsetDiffs, vectorFiles } = require('./lib/rules');

test('every shared vector holds on the wasm build', () => {
  const wasm = loadWasm();
  const files = vectorFiles();
  assert.ok(files.length > 0, 'no vectors');
  const failures = [];
  for (const file of files) {
    const v = JSON.parse(fs.readFileSync(file, 'utf8'));
    const rel = path.relative(path.join(REPO, 'tests', 'vectors'), file);
    const got = resultOfWasm(wasm, v.fn || 'quote', v.input);
    let diffs = [];
    if (v.expect.error !== undefined) {
      if (!got.error) diffs.push(`ok, want error ${v.expect.error}`);
      else if (got.error.code !== v.expect.error) diffs.push(`error ${got.error.code} (${got.error.message}), want ${v.expect.error}`);
      else if (v.expect.details) diffs = subsetDiffs(v.expect.details, got.error.details, 'details');
    } else if (got.error) {
      diffs.push(`error ${got.error.code}: ${got.error.message} ${JSON.stringify(got.error.details)}`);
    } else {
      diffs = subsetDiffs(v.expect.ok, got.ok);
    }
    if (diffs.length) failures.push(`${rel} (${v.name}):\n    ${diffs.join('\n    ')}`);
  }
  console.log(`${files.length} vectors run through wasm, ${failures.length} failed`);
  assert.deepEqual(failures, [], `${failures.length} of ${files.length} vectors failed on wasm`);
});
