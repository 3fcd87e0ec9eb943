// 推荐位效果 rows (src/recSlots.ts): the server's ratio strings shown as
// percentages by moving the decimal point; the empty state when nothing happened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importTs } from './ts.mjs';

const { recSlotRows, anyRecActivity } = await importTs('recSlots.ts');

const fig = (slot, impressions, clicks, clickThrough, orders, conversion) => ({ slot, impressions, clicks, clickThrough, orders, conversion });

test('each slot gets its name and its rates as percentages with 2 decimals', () => {
  const rows = recSlotRows([
    fig('home', 3, 1, '0.3333', 1, '1.0000'),
    fig('product', 7, 2, '0.2857', 1, '0.5000'),
    fig('cart', 3, 2, '0.6667', 0, '0.0000'),
  ]);
  assert.deepEqual(rows.map((r) => [r.label, r.impressions, r.clicks, r.clickThrough, r.orders, r.conversion]), [
    ['为你推荐（首页）', 3, 1, '33.33%', 1, '100.00%'],
    ['猜你喜欢（商品页）', 7, 2, '28.57%', 1, '50.00%'],
    ['猜你喜欢（购物车）', 3, 2, '66.67%', 0, '0.00%'],
  ]);
});

test('rates are taken digit by digit, never through a float', () => {
  // String(0.0007 * 100) is "0.06999999999999999" in floating point.
  const [r] = recSlotRows([fig('home', 10000, 7, '0.0007', 1, '0.1429')]);
  assert.equal(r.clickThrough, '0.07%');
  assert.equal(r.conversion, '14.29%');
  const [s] = recSlotRows([fig('cart', 1000, 291, '0.2910', 0, '0.0000')]);
  assert.equal(s.clickThrough, '29.10%');
});

test('an unknown slot keeps its key as its name', () => {
  assert.equal(recSlotRows([fig('search', 1, 0, '0.0000', 0, '0.0000')])[0].label, 'search');
});

test('the panel is empty only when no slot had an impression, a click or an order', () => {
  const zero = ['home', 'product', 'cart'].map((s) => fig(s, 0, 0, '0.0000', 0, '0.0000'));
  assert.equal(anyRecActivity(zero), false);
  assert.equal(anyRecActivity([]), false);
  assert.equal(anyRecActivity([...zero.slice(0, 2), fig('cart', 1, 0, '0.0000', 0, '0.0000')]), true);
  assert.equal(anyRecActivity([fig('home', 0, 1, '0.0000', 0, '0.0000')]), true);
});
