// The 会员 page's rate display (src/rules.ts): a discount rate string as 折.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importTs } from './ts.mjs';

const { formatZhe, isDecimal } = await importTs('rules.ts');

test('formatZhe moves the decimal point of the rate string', () => {
  assert.equal(formatZhe('0.95'), '9.5折');
  assert.equal(formatZhe('0.9'), '9折');
  assert.equal(formatZhe('0.85'), '8.5折');
  assert.equal(formatZhe('0.955'), '9.55折');
  assert.equal(formatZhe('0.07'), '0.7折');
  assert.equal(formatZhe('1'), '不打折');
  assert.equal(formatZhe('1.0'), '不打折');
  assert.equal(formatZhe('abc'), '—');
  assert.equal(formatZhe(''), '—');
});

test('isDecimal accepts digits with one optional point', () => {
  assert.ok(isDecimal('0.95'));
  assert.ok(isDecimal(' 1 '));
  assert.ok(!isDecimal('-0.5'));
  assert.ok(!isDecimal('.5'));
  assert.ok(!isDecimal('1e2'));
});
