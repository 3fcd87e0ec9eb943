// 会员 → 分层与标签 in words (src/memberSegments.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importTs } from './ts.mjs';

const m = await importTs('memberSegments.ts');

test('each segment has its Chinese label; none yet is a dash', () => {
  assert.deepEqual(
    ['new', 'highFrequency', 'active', 'atRisk', 'dormant'].map(m.segmentLabel),
    ['新客', '高频', '活跃', '流失风险', '沉睡'],
  );
  assert.equal(m.segmentLabel(null), '—');
  assert.equal(m.segmentLabel(undefined), '—');
  assert.equal(m.segmentLabel('vip'), 'vip'); // a name this console does not know yet, as the server gave it
});

test('a change of segment and a filter option with its count', () => {
  assert.equal(m.segmentChange(null, 'new'), '首次 → 新客');
  assert.equal(m.segmentChange('active', 'atRisk'), '活跃 → 流失风险');
  assert.equal(m.segmentChange('dormant', 'highFrequency'), '沉睡 → 高频');
  assert.equal(m.segmentOption('active', 12), '活跃（12）');
  assert.equal(m.segmentOption('dormant', 0), '沉睡（0）');
});

test("the server's refusal of a tag set names the tag it refused", () => {
  const msg = '标签需为1到10个字，不含逗号，每位会员最多20个';
  assert.equal(m.tagIndex('tags[0]'), 0);
  assert.equal(m.tagIndex('tags[12]'), 12);
  for (const f of ['tags', 'tags[]', 'tags[-1]', 'tag[1]', null, undefined, 3]) assert.equal(m.tagIndex(f), null, String(f));
  assert.equal(m.tagRefusalText(msg, 'tags[1]', ['团长', '一二三四五六七八九十一']), `${msg}（第2个：一二三四五六七八九十一）`);
  assert.equal(m.tagRefusalText(msg, 'tags', Array.from({ length: 21 }, (_, i) => `t${i}`)), `${msg}（当前 21 个）`);
  assert.equal(m.tagRefusalText(msg, 'tags[5]', ['a']), msg); // an index past what was sent: the message alone
  assert.equal(m.tagRefusalText(msg, undefined, ['a']), msg);
});
