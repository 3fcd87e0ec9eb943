// 签到 on the phone: the month's calendar from the server (signed days, the
// live streak, the merchant's rule) and the rewards to expect, computed by the
// core's signinReward (the rule the server rewards with): today's, if not yet
// signed, and tomorrow's (明天签到可得…), with the next streak bonus.
'use strict';

var WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六'];

function pad(n) { return (n < 10 ? '0' : '') + n; }

/** "YYYY-MM-DD" (a Beijing date) → its Beijing day number, as the core counts days. */
function dayNumber(date) {
  var p = date.split('-');
  return Date.UTC(Number(p[0]), Number(p[1]) - 1, Number(p[2])) / 86400000;
}

/** "5积分 + 1成长值" (the parts that are not zero). */
function rewardText(r) {
  var parts = [];
  if (r && r.points) parts.push(r.points + '积分');
  if (r && r.growth) parts.push(r.growth + '成长值');
  return parts.join(' + ');
}

/**
 * A day's reward naming the streak bonus in it, "10积分 + 1成长值（含连签3天奖励）":
 * the core's reward (`bonus`) or the server's sign-in (`bonusDay`).
 */
function dayText(r) {
  var day = r.bonus ? r.bonus.day : r.bonusDay;
  return rewardText(r) + (day ? '（含连签' + day + '天奖励）' : '');
}

/** The month's cells, Sunday first: blanks before the 1st, then each day. */
function cells(month, days, today) {
  var y = Number(month.slice(0, 4));
  var m = Number(month.slice(5, 7));
  var first = new Date(Date.UTC(y, m - 1, 1)).getUTCDay();
  var count = new Date(Date.UTC(y, m, 0)).getUTCDate();
  var signed = {};
  (days || []).forEach(function (d) { signed[d.date] = d; });
  var out = [];
  for (var i = 0; i < first; i++) out.push({ key: 'b' + i, blank: true });
  for (var d = 1; d <= count; d++) {
    var date = month + '-' + pad(d);
    var s = signed[date];
    out.push({ key: date, day: d, signed: !!s, bonus: !!(s && s.bonusDay), today: date === today });
  }
  return out;
}

/** 每日签到 5积分 + 1成长值；连签3天额外 5积分；…；满7天重新计算 */
function ruleText(rule) {
  var parts = ['每日签到 ' + (rewardText({ points: rule.pointsPerDay, growth: rule.growthPerDay }) || '无奖励')];
  (rule.bonuses || []).forEach(function (b) { parts.push('连签' + b.day + '天额外 ' + rewardText(b)); });
  var last = (rule.bonuses || []).slice(-1)[0];
  if (rule.cycle && last) parts.push('满' + last.day + '天重新计算');
  return parts.join('；');
}

/**
 * What the page shows for a calendar `cal` (GET /api/signin): today's reward
 * (the server's once signed, else the core's), tomorrow's and the next bonus
 * from the core. `core` is the rules module (null: only the server's figures).
 */
function view(cal, core) {
  var today = dayNumber(cal.today);
  var signed = null;
  (cal.days || []).forEach(function (d) { if (d.date === cal.today) signed = d; });
  var out = {
    monthTitle: cal.month.slice(0, 4) + '年' + Number(cal.month.slice(5, 7)) + '月',
    weekdays: WEEKDAYS,
    cells: cells(cal.month, cal.days, cal.today),
    streak: cal.streak,
    signedToday: !!cal.signedToday,
    enabled: cal.rule.enabled !== false,
    ruleText: ruleText(cal.rule),
    todayText: signed ? '今日已获得 ' + dayText(signed) : '',
    tomorrowText: '',
    nextBonusText: '',
  };
  if (!core || !out.enabled) return out;
  try {
    var mine = signed || core.signinReward({ rule: cal.rule, lastDay: cal.streak ? today - 1 : null, lastStreak: cal.streak, today: today });
    if (!signed) out.todayText = '今日签到可得 ' + dayText(mine);
    var next = core.signinReward({ rule: cal.rule, lastDay: today, lastStreak: mine.streak, today: today + 1 });
    out.tomorrowText = '明天签到可得 ' + dayText(next);
    // nextBonus.daysLeft counts the sign-ins after today's; today's too while unsigned.
    var bonus = mine.nextBonus;
    if (bonus) out.nextBonusText = '再签' + (bonus.daysLeft + (signed ? 0 : 1)) + '天，连签' + bonus.day + '天额外得 ' + rewardText(bonus);
  } catch (e) {
    // The rule refused by the core: the server's figures only.
  }
  return out;
}

module.exports = { WEEKDAYS: WEEKDAYS, dayNumber: dayNumber, rewardText: rewardText, dayText: dayText, cells: cells, ruleText: ruleText, view: view };
