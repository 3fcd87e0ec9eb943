// 拼团 in the console (src/groups.ts): 还差N人 while a group can fill, and the
// 团长价 typed in yuan carried as fen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importTs } from './ts.mjs';

const { GROUP_STATUS, parseLeaderPrice, stillNeeded } = await importTs('groups.ts');

test('every group status has its Chinese label', () => {
  assert.deepEqual(Object.values(GROUP_STATUS), ['待支付', '拼团中', '已成团', '系统成团', '未成团', '已取消']);
});

test('still needed is size − paid while pending or open, seats held but unpaid still count', () => {
  assert.equal(stillNeeded({ status: 'open', size: 3, paid: 1 }), 2);
  assert.equal(stillNeeded({ status: 'pending', size: 2, paid: 0 }), 2);
  assert.equal(stillNeeded({ status: 'open', size: 3, paid: 3 }), 0);
  assert.equal(stillNeeded({ status: 'success', size: 3, paid: 3 }), null);
  assert.equal(stillNeeded({ status: 'autoSuccess', size: 5, paid: 3 }), null, 'formed: no one is missing');
  assert.equal(stillNeeded({ status: 'failed', size: 3, paid: 1 }), null);
});

test('a leader price typed in yuan is integer fen, never above the group price', () => {
  assert.equal(parseLeaderPrice('8.9', 990), 890);
  assert.equal(parseLeaderPrice('0.07', 990), 7);
  assert.equal(parseLeaderPrice('9.90', 990), 990);
  assert.equal(parseLeaderPrice('', 990), null);
  assert.equal(parseLeaderPrice('  ', 990), null);
  assert.equal(parseLeaderPrice('9.91', 990), '团长价不能高于拼团价');
  assert.equal(parseLeaderPrice('8.999', 990), '团长价请填写金额（元，最多两位小数）');
  assert.equal(parseLeaderPrice('-1', 990), '团长价请填写金额（元，最多两位小数）');
});
