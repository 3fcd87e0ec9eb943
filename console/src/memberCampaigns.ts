// 会员营销 in words: a campaign's trigger, audience, caps and holdout share as
// the console shows them, and the holdout typed in percent carried as integer
// basis points (no float arithmetic: the string is split, as with money).

export type Segment = 'new' | 'highFrequency' | 'active' | 'atRisk' | 'dormant';

export const SEGMENTS: Record<Segment, string> = {
  new: '新客', highFrequency: '高频', active: '活跃', atRisk: '流失风险', dormant: '沉睡',
};

export const WEEKDAYS = ['周一', '周二', '周三', '周四', '周五', '周六', '周日'];

export type Trigger =
  | { kind: 'weekly'; weekday: number; hour: number; minute: number }
  | { kind: 'dormancy' }
  | { kind: 'couponExpiry'; hoursBefore: number };

/** Whether the campaign grants a coupon (优惠券到期提醒 sends a message instead). */
export function grantsCoupon(t: Trigger): boolean {
  return t.kind !== 'couponExpiry';
}

export interface Audience { segments: Segment[]; minLevel: number | null; tags: string[]; noOrderDays: number | null }
export interface Caps { perCampaign: number | null; perWeek: number | null }

/** The largest holdout share: half the audience. */
export const MAX_HOLDOUT_BPS = 5000;

const two = (n: number) => String(n).padStart(2, '0');

/** `1000` → `10.00%`. */
export function formatBps(bps: number): string {
  return `${Math.trunc(bps / 100)}.${two(bps % 100)}%`;
}

/** `1000` → `10` / `1250` → `12.5` (for the input). */
export function bpsToPercent(bps: number): string {
  const frac = two(bps % 100).replace(/0+$/, '');
  return frac ? `${Math.trunc(bps / 100)}.${frac}` : String(Math.trunc(bps / 100));
}

/** A percent typed by a person → basis points, or null: `"12.5"` → 1250, `"10%"` → 1000, `"1.234"` → null. */
export function parsePercent(input: string): number | null {
  const m = /^(\d{1,3})(?:\.(\d{0,2}))?%?$/.exec(input.trim());
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/** `每周三 00:00（北京时间）`, `未下单满 7 天（每次沉睡一次）` or `优惠券到期前 24 小时（每张券一次）`. */
export function triggerText(t: Trigger, noOrderDays: number | null): string {
  if (t.kind === 'weekly') return `每${WEEKDAYS[t.weekday - 1] ?? `周${t.weekday}`} ${two(t.hour)}:${two(t.minute)}（北京时间）`;
  if (t.kind === 'couponExpiry') return `优惠券到期前 ${t.hoursBefore} 小时（每张券一次）`;
  return noOrderDays === null ? '沉睡时（每次沉睡一次）' : `未下单满 ${noOrderDays} 天（每次沉睡一次）`;
}

/** The level names by index (the program's levels in the order of their minGrowth). */
export function levelNames(levels: { name: string; minGrowth: number }[]): string[] {
  const byGrowth = new Map<number, string>();
  for (const l of [...levels].sort((a, b) => a.minGrowth - b.minGrowth)) {
    if (!byGrowth.has(l.minGrowth)) byGrowth.set(l.minGrowth, l.name);
  }
  return [...byGrowth.values()];
}

/** `黄金会员及以上 · 活跃/沉睡 · 7天未下单`, or `全部会员`. */
export function audienceText(a: Audience, levels: string[]): string {
  const parts: string[] = [];
  if (a.minLevel !== null && a.minLevel > 0) parts.push(`${levels[a.minLevel] ?? `等级 ${a.minLevel}`}及以上`);
  if (a.segments.length) parts.push(a.segments.map((s) => SEGMENTS[s] ?? s).join('/'));
  if (a.noOrderDays !== null) parts.push(`${a.noOrderDays}天未下单`);
  if (a.tags.length) parts.push(`标签 ${a.tags.join('/')}`);
  return parts.length ? parts.join(' · ') : '全部会员';
}

/** `每人本活动 3 次 · 每人每周 2 次（全部活动）`. */
export function capsText(c: Caps): string {
  const campaign = c.perCampaign === null ? '不限' : `${c.perCampaign} 次`;
  const week = c.perWeek === null ? '不限' : `${c.perWeek} 次`;
  return `每人本活动 ${campaign} · 每人每周 ${week}（全部活动）`;
}

/** The increment in repurchase, percentage points from the server (`"3.25"`) → `+3.25pp`. */
export function pointsText(pp: string): string {
  const positive = /^\d/.test(pp) && /[1-9]/.test(pp);
  return `${positive ? '+' : ''}${pp}pp`;
}
