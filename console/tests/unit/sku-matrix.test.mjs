// The SKU matrix (src/skuMatrix.ts): one SKU per combination of spec values,
// edits kept when the specs change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importTs } from './ts.mjs';

const { combinations, rebuild } = await importTs('skuMatrix.ts');

test('2 colours × 3 sizes make 6 combinations, first spec varying slowest', () => {
  const c = combinations([{ name: '颜色', values: ['黑', '白'] }, { name: '尺码', values: ['S', 'M', 'L'] }]);
  assert.deepEqual(c, [['黑', 'S'], ['黑', 'M'], ['黑', 'L'], ['白', 'S'], ['白', 'M'], ['白', 'L']]);
});

test('no specs make one empty combination (a single SKU)', () => {
  assert.deepEqual(combinations([]), [[]]);
});

test('adding a value keeps the rows already edited and adds blanks for the new combinations', () => {
  const specs = [{ name: '颜色', values: ['黑'] }];
  let rows = rebuild(specs, [], (s) => ({ specs: s, price: '' }));
  rows[0].price = '9.90';
  rows[0].id = 7;
  rows = rebuild([{ name: '颜色', values: ['黑', '白'] }], rows, (s) => ({ specs: s, price: '' }));
  assert.deepEqual(rows, [{ specs: ['黑'], price: '9.90', id: 7 }, { specs: ['白'], price: '' }]);
});
