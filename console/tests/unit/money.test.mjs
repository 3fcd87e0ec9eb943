// The money helpers (src/money.ts): integer fen shown as yuan, typed yuan parsed to fen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importTs } from './ts.mjs';

const { formatFen, fenToYuan, parseYuan, formatRate, rateToPpm, change } = await importTs('money.ts');

test('formatFen shows integer fen as yuan with two decimals', () => {
  assert.equal(formatFen(1234), '¥12.34');
  assert.equal(formatFen(0), '¥0.00');
  assert.equal(formatFen(5), '¥0.05');
  assert.equal(formatFen(100), '¥1.00');
  assert.equal(formatFen(-5), '-¥0.05');
  assert.equal(formatFen(-123456), '-¥1234.56');
  assert.equal(formatFen(9007199254740991), '¥90071992547409.91');
  assert.equal(formatFen(null), '—');
  assert.equal(fenToYuan(1990), '19.90');
});

test('parseYuan reads the typed string without float multiplication', () => {
  assert.equal(parseYuan('12'), 1200);
  assert.equal(parseYuan('12.3'), 1230);
  assert.equal(parseYuan('12.34'), 1234);
  assert.equal(parseYuan('0.29'), 29); // 0.29 * 100 = 28.999999999999996 in floats
  assert.equal(parseYuan('1.005'), null);
  assert.equal(parseYuan('¥ 1'), null);
  assert.equal(parseYuan('¥1.10'), 110);
  assert.equal(parseYuan('12.'), 1200);
  assert.equal(parseYuan(''), null);
  assert.equal(parseYuan('abc'), null);
  assert.equal(parseYuan('-1'), null);
  assert.equal(parseYuan('-1.5', true), -150);
  assert.equal(parseYuan(19.9), 1990);
});

test('formatRate moves the decimal point of the server rate string', () => {
  assert.equal(formatRate('0.1250'), '12.50%');
  assert.equal(formatRate('1'), '100.00%');
  assert.equal(formatRate('0.0003'), '0.03%');
  assert.equal(formatRate('0.5'), '50.00%');
  assert.equal(rateToPpm('0.1250'), 125000);
});

test('change gives the 环比 in tenths of a percent, rounded half away from zero', () => {
  assert.deepEqual(change(150, 100), { dir: 'up', text: '+50.0%' });
  assert.deepEqual(change(50, 100), { dir: 'down', text: '-50.0%' });
  assert.deepEqual(change(100, 100), { dir: 'flat', text: '0.0%' });
  assert.deepEqual(change(1, 3), { dir: 'down', text: '-66.7%' });
  assert.deepEqual(change(10, 0), { dir: 'new', text: '—' });
  assert.deepEqual(change(0, 0), { dir: 'flat', text: '0.0%' });
});
