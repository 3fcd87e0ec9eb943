// 营销 → 签到: the rule edited in the browser is saved through the API (the state matches,
// a reload shows it, 当前规则 lists it as saved); a value the server refuses shows the
// server's own message under the field it names and changes nothing; the change is in
// 设置 → 操作日志 as rules.signin; shoppers earn the saved rule, and switched off it
// refuses their sign-in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consoleFile, fillNumber, guarded, http, tid, valueOf } from './harness.mjs';

const s = consoleFile('/admin/marketing?tab=signin');
const guard = (t, f) => guarded(t, s.page, f);
const text = async (id) => (await s.page.locator(tid(id)).innerText()).trim();

/** The server's answer to PUT /marketing/signin with `rule` (it must refuse it). */
async function refusal(rule) {
  try {
    await s.owner.put('/marketing/signin', rule);
  } catch (e) {
    return e.body;
  }
  throw new Error('the server accepted the rule');
}

const RULE = {
  enabled: true, pointsPerDay: 10, growthPerDay: 2, cycle: false,
  bonuses: [{ day: 3, points: 8, growth: 0 }, { day: 14, points: 50, growth: 10 }],
};

test('the rule edited in the browser is saved: the API has it, 当前规则 and a reload show it', (t) => guard(t, async () => {
  const initial = await s.owner.get('/marketing/signin');
  await s.page.locator(tid('signin-current-daily')).filter({ hasText: `${initial.pointsPerDay} 积分 · ${initial.growthPerDay} 成长值` }).waitFor();
  assert.equal(await valueOf(s.page, 'signin-points'), String(initial.pointsPerDay));
  // The seeded rule has two bonuses (day 3 and day 7): change both, then the cycle.
  assert.equal(initial.bonuses.length, 2);
  await fillNumber(s.page, 'signin-points', 10);
  await fillNumber(s.page, 'signin-growth', 2);
  await fillNumber(s.page, 'signin-bonus-points-0', 8);
  await fillNumber(s.page, 'signin-bonus-growth-0', 0);
  await fillNumber(s.page, 'signin-bonus-day-1', 14);
  await fillNumber(s.page, 'signin-bonus-points-1', 50);
  await fillNumber(s.page, 'signin-bonus-growth-1', 10);
  if (initial.cycle) await s.page.click(tid('signin-cycle'));
  await s.page.click(tid('signin-save'));
  await s.page.locator(tid('signin-current-daily')).filter({ hasText: '10 积分 · 2 成长值' }).waitFor();
  assert.deepEqual(await s.owner.get('/marketing/signin'), RULE);
  assert.equal(await text('signin-current-bonus-14'), '第 14 天 额外 50 积分 · 10 成长值');
  assert.equal(await text('signin-current-cycle'), '不循环');

  await s.page.reload();
  await s.page.locator(tid('signin-current-bonus-14')).waitFor();
  assert.equal(await valueOf(s.page, 'signin-points'), '10');
  assert.equal(await valueOf(s.page, 'signin-growth'), '2');
  assert.equal(await valueOf(s.page, 'signin-bonus-day-1'), '14');
  assert.equal(await valueOf(s.page, 'signin-bonus-points-1'), '50');
  assert.equal(await s.page.locator(tid('signin-cycle')).evaluate((n) => n.classList.contains('is-checked')), false);
}));

test('a bonus added with another bonus\'s day is refused by the server, its message under 连续签到奖励; nothing changes', (t) => guard(t, async () => {
  await s.page.click(tid('signin-bonus-add'));
  await fillNumber(s.page, 'signin-bonus-day-2', 3);
  await fillNumber(s.page, 'signin-bonus-points-2', 1);
  await s.page.click(tid('signin-save'));
  const refused = await refusal({ ...RULE, bonuses: [...RULE.bonuses, { day: 3, points: 1, growth: 0 }] });
  assert.equal(refused.code, 'RULES_INCONSISTENT');
  const shown = s.page.locator(tid('signin-item-bonuses')).locator('.el-form-item__error');
  await shown.waitFor();
  assert.equal((await shown.innerText()).trim(), `${refused.message}（bonuses.day：${refused.details.reason}）`);
  assert.deepEqual(await s.owner.get('/marketing/signin'), RULE);
  await s.page.click(tid('signin-bonus-remove-2'));
}));

test('points per sign-in above the server\'s bound: its message under 每次签到积分; the saved rule stays', (t) => guard(t, async () => {
  await fillNumber(s.page, 'signin-points', 2000000);
  await s.page.click(tid('signin-save'));
  const refused = await refusal({ ...RULE, pointsPerDay: 2000000 });
  assert.equal(refused.details.field, 'pointsPerDay');
  const shown = s.page.locator(tid('signin-item-pointsPerDay')).locator('.el-form-item__error');
  await shown.waitFor();
  assert.equal((await shown.innerText()).trim(), `${refused.message}（${refused.details.reason}）`);
  await s.page.locator(tid('signin-item-bonuses')).locator('.el-form-item__error').waitFor({ state: 'detached' }); // the earlier one
  assert.deepEqual(await s.owner.get('/marketing/signin'), RULE);
  assert.equal(await text('signin-current-daily'), '10 积分 · 2 成长值');
  await s.page.click(tid('signin-reset'));
  assert.equal(await valueOf(s.page, 'signin-points'), '10');
}));

test('the change is in 设置 → 操作日志 as rules.signin with before → after', (t) => guard(t, async () => {
  const log = await s.owner.get('/audit');
  const entries = log.items.filter((e) => e.action === 'rules.signin');
  assert.equal(entries.length, 1, 'the one saved change, none for the refusals');
  assert.deepEqual(entries[0].after, RULE);
  await s.page.goto(`${s.server.base}/admin/settings`);
  await s.page.click(tid('tab-audit'));
  assert.equal(await text(`audit-action-${entries[0].id}`), 'rules.signin');
  const row = s.page.locator('.el-table__row', { has: s.page.locator(tid(`audit-action-${entries[0].id}`)) });
  const change = row.locator('.diff', { hasText: 'pointsPerDay' });
  assert.equal((await change.innerText()).replace(/\s+/g, ''), `pointsPerDay：${entries[0].before.pointsPerDay}→10`);
}));

test('shoppers earn the saved rule; switched off in the console, sign-in is refused', (t) => guard(t, async () => {
  const signIn = async (code) => {
    const { data } = await http(s.server.base, 'POST', '/api/auth/login', { body: { code, nickname: code } });
    return http(s.server.base, 'POST', '/api/signin', { headers: { authorization: `Bearer ${data.token}` } });
  };
  const { data: first } = await signIn('signin-a');
  assert.deepEqual([first.streak, first.points, first.growth], [1, RULE.pointsPerDay, RULE.growthPerDay]);
  await s.page.goto(`${s.server.base}/admin/marketing?tab=signin`);
  await s.page.locator(tid('signin-current-enabled')).filter({ hasText: '已开启' }).waitFor();
  await s.page.click(tid('signin-enabled'));
  await s.page.click(tid('signin-save'));
  await s.page.locator(tid('signin-current-enabled')).filter({ hasText: '已关闭' }).waitFor();
  assert.deepEqual(await s.owner.get('/marketing/signin'), { ...RULE, enabled: false });
  await assert.rejects(signIn('signin-b'), (e) => e.body?.code === 'SIGNIN_DISABLED');
}));
