// A server refusal beside the field it names (src/refusal.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importTs } from './ts.mjs';

const { refusalOf } = await importTs('refusal.ts');
const { ApiError } = await importTs('api.ts');
const ITEMS = ['pointsPerDay', 'growthPerDay', 'bonuses'];
const refused = (code, details) => new ApiError(400, { code, message: '请求数据有误，请刷新后重试', details });

test('a field the form has gets the message and the reason', () => {
  assert.deepEqual(refusalOf(refused('INVALID_INPUT', { field: 'pointsPerDay', reason: '0 to 1000000' }), ITEMS),
    { item: 'pointsPerDay', text: '请求数据有误，请刷新后重试（0 to 1000000）' });
});

test('a nested field belongs to the item of its first part and is named in the text', () => {
  assert.deepEqual(refusalOf(refused('RULES_INCONSISTENT', { field: 'bonuses.day', reason: 'days strictly ascending' }), ITEMS),
    { item: 'bonuses', text: '请求数据有误，请刷新后重试（bonuses.day：days strictly ascending）' });
});

test('a field the form lacks, no field, or not an API error: no item, the message stays', () => {
  assert.deepEqual(refusalOf(refused('INVALID_INPUT', { field: 'cycle' }), ITEMS), { item: null, text: '请求数据有误，请刷新后重试（cycle）' });
  assert.deepEqual(refusalOf(refused('INVALID_INPUT', {}), ITEMS), { item: null, text: '请求数据有误，请刷新后重试' });
  assert.deepEqual(refusalOf(refused('INVALID_INPUT', { field: 'bonusesX' }), ITEMS).item, null);
  assert.deepEqual(refusalOf(new Error('网络异常'), ITEMS), { item: null, text: '网络异常' });
});
