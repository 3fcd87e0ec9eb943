// 会员营销 in words and the holdout in basis points (src/memberCampaigns.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importTs } from './ts.mjs';

const m = await importTs('memberCampaigns.ts');

test('the holdout typed in percent is carried as integer basis points', () => {
  assert.equal(m.parsePercent('10'), 1000);
  assert.equal(m.parsePercent('12.5'), 1250);
  assert.equal(m.parsePercent(' 0.01% '), 1);
  assert.equal(m.parsePercent('50'), 5000);
  for (const bad of ['', '1.234', '-1', 'abc', '1e3']) assert.equal(m.parsePercent(bad), null, bad);
  assert.equal(m.formatBps(1000), '10.00%');
  assert.equal(m.formatBps(1), '0.01%');
  assert.equal(m.bpsToPercent(1250), '12.5');
  assert.equal(m.bpsToPercent(1000), '10');
  assert.equal(m.bpsToPercent(7), '0.07');
  for (const bps of [0, 1, 99, 1000, 1234, 5000]) assert.equal(m.parsePercent(m.bpsToPercent(bps)), bps);
});

test('triggers, audiences and caps in words', () => {
  assert.equal(m.triggerText({ kind: 'weekly', weekday: 3, hour: 0, minute: 0 }, null), '每周三 00:00（北京时间）');
  assert.equal(m.triggerText({ kind: 'weekly', weekday: 5, hour: 10, minute: 5 }, null), '每周五 10:05（北京时间）');
  assert.equal(m.triggerText({ kind: 'dormancy' }, 7), '未下单满 7 天（每次沉睡一次）');
  assert.equal(m.triggerText({ kind: 'couponExpiry', hoursBefore: 24 }, null), '优惠券到期前 24 小时（每张券一次）');
  assert.equal(m.grantsCoupon({ kind: 'couponExpiry', hoursBefore: 24 }), false);
  assert.equal(m.grantsCoupon({ kind: 'dormancy' }), true);
  const levels = m.levelNames([
    { name: '黄金', minGrowth: 2000 }, { name: '普通', minGrowth: 0 }, { name: '白银', minGrowth: 500 },
  ]);
  assert.deepEqual(levels, ['普通', '白银', '黄金']);
  assert.equal(m.audienceText({ segments: [], minLevel: null, tags: [], noOrderDays: null }, levels), '全部会员');
  assert.equal(
    m.audienceText({ segments: ['active', 'dormant'], minLevel: 2, tags: [], noOrderDays: 7 }, levels),
    '黄金及以上 · 活跃/沉睡 · 7天未下单',
  );
  assert.equal(m.audienceText({ segments: [], minLevel: 5, tags: [], noOrderDays: null }, levels), '等级 5及以上');
  assert.equal(m.capsText({ perCampaign: null, perWeek: 2 }), '每人本活动 不限 · 每人每周 2 次（全部活动）');
  assert.equal(m.pointsText('3.25'), '+3.25pp');
  assert.equal(m.pointsText('-1.00'), '-1.00pp');
  assert.equal(m.pointsText('0.00'), '0.00pp');
});
