// 砍价 in the console (src/bargains.ts): the status from the window and the core's constraint in fen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importTs } from './ts.mjs';

const { bargainStatus, parseBargainPrices } = await importTs('bargains.ts');

test('an activity is 未开始 before its start, 进行中 inside, 已结束 once its end passed', () => {
  assert.equal(bargainStatus({ startsAt: 100, endsAt: 200 }, 50), 'scheduled');
  assert.equal(bargainStatus({ startsAt: 100, endsAt: 200 }, 100), 'running');
  assert.equal(bargainStatus({ startsAt: 100, endsAt: 200 }, 200), 'ended');
});

test('start and floor typed in yuan are integer fen and leave each helper at least 1 fen', () => {
  assert.deepEqual(parseBargainPrices('99', '1', 5), { startPrice: 9900, floorPrice: 100 });
  assert.deepEqual(parseBargainPrices('0.1', '0.07', 3), { startPrice: 10, floorPrice: 7 });
  assert.deepEqual(parseBargainPrices('19.9', '0', 1000), { startPrice: 1990, floorPrice: 0 });
  assert.equal(parseBargainPrices('0.1', '0.07', 4), '可砍金额 3 分不足 4 人每人 0.01 元');
  assert.equal(parseBargainPrices('1', '2', 5), '底价须低于发起价');
  assert.equal(parseBargainPrices('1', '1', 5), '底价须低于发起价');
  assert.equal(parseBargainPrices('99', '1', 1001), '助力人数请填写 1 到 1000 的整数');
  assert.equal(parseBargainPrices('9.999', '1', 5), '发起价请填写金额（元，最多两位小数）');
  assert.equal(parseBargainPrices('99', '-1', 5), '底价请填写金额（元，最多两位小数）');
});
