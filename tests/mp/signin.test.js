// 签到 on the phone: the month's calendar (signed days, today), the streak,
// today's and tomorrow's reward and the next bonus from the core's
// signinReward; 签到 posts and a second tap says 今日已签到; a switched-off
// rule says so. And the member page's entries to 签到, 领券中心, 我的优惠券.
'use strict';
const h = require('./helpers');
const lib = require('../../miniprogram/lib/signin.js');

const suite = h.pageSuite();

// The server's default rule: 5 points and 1 growth a day, day 3 +5, day 7 +20 +5 growth, cycle.
const RULE = { enabled: true, pointsPerDay: 5, growthPerDay: 1, bonuses: [{ day: 3, points: 5, growth: 0 }, { day: 7, points: 20, growth: 5 }], cycle: true };
const { lastToast } = h;

function day(date, streak, points, growth, bonusDay) {
  return { date, streak, points, growth, bonusDay: bonusDay || null, nextBonus: null, already: true };
}

function calendar(extra) {
  return Object.assign({
    month: '2026-01', today: '2026-01-14', signedToday: false, streak: 2, rule: RULE,
    days: [day('2026-01-05', 1, 5, 1), day('2026-01-12', 1, 5, 1), day('2026-01-13', 2, 5, 1)],
  }, extra);
}

const signedToday = () => calendar({
  signedToday: true, streak: 3,
  days: calendar().days.concat([{ date: '2026-01-14', streak: 3, points: 10, growth: 1, bonusDay: 3, nextBonus: { day: 7, daysLeft: 4, points: 20, growth: 5 }, already: true }]),
});

describe('lib/signin', () => {
  test('day numbers as the server counts Beijing days; reward and rule texts; the month\'s cells', () => {
    // 2025-01-01 is Beijing day 20089 (the core's vectors).
    expect(lib.dayNumber('2025-01-01')).toBe(20089);
    expect(lib.rewardText({ points: 25, growth: 6 })).toBe('25积分 + 6成长值');
    expect(lib.rewardText({ points: 0, growth: 0 })).toBe('');
    expect(lib.dayText({ points: 10, growth: 1, bonus: { day: 3 } })).toBe('10积分 + 1成长值（含连签3天奖励）');
    expect(lib.ruleText(RULE)).toBe('每日签到 5积分 + 1成长值；连签3天额外 5积分；连签7天额外 20积分 + 5成长值；满7天重新计算');
    // February 2026 starts on a Sunday and has 28 days.
    const feb = lib.cells('2026-02', [], '2026-02-10');
    expect(feb.length).toBe(28);
    expect(feb[0]).toEqual({ key: '2026-02-01', day: 1, signed: false, bonus: false, today: false });
    const jan = lib.cells('2026-01', calendar().days, '2026-01-14');
    expect(jan.filter((c) => c.blank).length).toBe(4); // Thursday
    expect(jan.filter((c) => c.signed).map((c) => c.day)).toEqual([5, 12, 13]);
    expect(jan.find((c) => c.today).day).toBe(14);
  });

  test('today\'s and tomorrow\'s rewards are the core\'s, continuing the live streak', () => {
    const { core } = suite;
    const v = lib.view(calendar(), core);
    expect(v.todayText).toBe('今日签到可得 10积分 + 1成长值（含连签3天奖励）');
    expect(v.tomorrowText).toBe('明天签到可得 5积分 + 1成长值');
    expect(v.nextBonusText).toBe('再签5天，连签7天额外得 20积分 + 5成长值');
    // Streak 6 yesterday: today is day 7 (25 points, 6 growth), tomorrow day 1 of the next cycle.
    const seven = lib.view(calendar({ streak: 6 }), core);
    expect(seven.todayText).toBe('今日签到可得 25积分 + 6成长值（含连签7天奖励）');
    expect(seven.tomorrowText).toBe('明天签到可得 5积分 + 1成长值');
    // No streak: day 1.
    expect(lib.view(calendar({ streak: 0 }), core).todayText).toBe('今日签到可得 5积分 + 1成长值');
    // Without the core: only what the server says.
    const bare = lib.view(signedToday(), null);
    expect([bare.todayText, bare.tomorrowText]).toEqual(['今日已获得 10积分 + 1成长值（含连签3天奖励）', '']);
  });
});

describe('签到 page', () => {
  test('the calendar, 签到, and a second tap answering 今日已签到', async () => {
    let signed = false;
    const answer = { date: '2026-01-14', streak: 3, points: 10, growth: 1, bonusDay: 3, nextBonus: { day: 7, daysLeft: 4, points: 20, growth: 5 } };
    const log = h.mockServer({
      'GET /api/signin': () => (signed ? signedToday() : calendar()),
      'POST /api/signin': () => { const already = signed; signed = true; return Object.assign({ already }, answer); },
    });
    const page = await h.openPage('pkg-activity/signin/index');
    h.expectTexts(page, {
      '#month': '2026年1月',
      '#streak': '2',
      '#signin': '签到',
      '#today': '今日签到可得 10积分 + 1成长值（含连签3天奖励）',
      '#tomorrow': '明天签到可得 5积分 + 1成长值',
      '#next-bonus': '再签5天，连签7天额外得 20积分 + 5成长值',
    });
    expect(page.querySelector('#day-13').dom.className).toContain('signed');
    expect(page.querySelector('#day-14').dom.className).toContain('today');
    expect(page.querySelector('#day-14').dom.className).not.toContain('signed');
    expect(h.text(page, '#rules')).toContain('连签7天额外 20积分 + 5成长值');

    await h.tap(page, '#signin');
    expect(lastToast()).toBe('签到成功 +10积分 + 1成长值');
    h.expectTexts(page, {
      '#signin': '今日已签到',
      '#streak': '3',
      '#today': '今日已获得 10积分 + 1成长值（含连签3天奖励）',
      '#tomorrow': '明天签到可得 5积分 + 1成长值',
      '#next-bonus': '再签4天，连签7天额外得 20积分 + 5成长值',
    });
    expect(page.querySelector('#day-14').dom.className).toContain('signed');

    await h.tap(page, '#signin');
    expect(lastToast()).toBe('今日已签到');
    expect(log.filter((r) => r.method === 'POST' && r.path === '/api/signin').length).toBe(2);
    await h.tap(page, '#center');
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pkg-activity/coupons/index' });
  });

  test('a switched-off rule: the registry message and no posting', async () => {
    const log = h.mockServer({ 'GET /api/signin': () => calendar({ rule: Object.assign({}, RULE, { enabled: false }) }) });
    const page = await h.openPage('pkg-activity/signin/index');
    expect(h.text(page, '#disabled')).toBe('签到活动未开启');
    expect(page.querySelector('#tomorrow')).toBeFalsy();
    await h.tap(page, '#signin');
    expect(log.some((r) => r.method === 'POST' && r.path === '/api/signin')).toBe(false);
  });

  test('an error from the server shows the registry message', async () => {
    h.mockServer({ 'GET /api/signin': () => ({ status: 500, body: { code: 'INTERNAL', message: 'boom', details: {} } }) });
    await h.openPage('pkg-activity/signin/index');
    expect(lastToast()).toBe('服务繁忙，请稍后重试');
  });
});

test('the member page opens 签到, 领券中心 and 我的优惠券', async () => {
  h.mockServer({
    'GET /api/member': () => ({
      userId: 7, nickname: '小明', avatar: '', phone: null, points: 0, pointsDebt: 0,
      member: { growth: 0, level: null, next: null }, coupons: { available: 1, used: 0, expired: 0 },
    }),
    'GET /api/member/coupons': () => [],
  });
  const page = await h.openPage('pages/member/index');
  await h.tap(page, '#signin-entry');
  expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pkg-activity/signin/index' });
  await h.tap(page, '#coupon-center');
  expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pkg-activity/coupons/index' });
  await h.tap(page, '#my-coupons');
  expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pkg-activity/my-coupons/index' });
  await h.tap(page, '#coupons');
  await h.tap(page, '#all-coupons');
  expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pkg-activity/my-coupons/index' });
});
