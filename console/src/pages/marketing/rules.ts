// Labels of the core's marketing rules for the console (amounts from fen,
// rates as the strings the core keeps; no float arithmetic).
import { formatFen } from '../../money';
import { formatZhe as zhe } from '../../rules';
import type { CampaignRule, CouponKind, ItemRule } from './types';

/** A typed rate: `0.8`, `.8`, `1` → the core's string, else null (0 ≤ rate ≤ 1). */
export function parseRate(input: string): string | null {
  const s = input.trim();
  const m = /^(0|1)?(?:\.(\d{1,4}))?$/.exec(s);
  if (!m || s === '' || s === '.') return null;
  const whole = m[1] ?? '0';
  if (whole === '1' && m[2] && /[1-9]/.test(m[2])) return null;
  return m[2] ? `${whole}.${m[2]}` : whole;
}

export function campaignText(r: CampaignRule): string {
  if (r.kind === 'amountOff') {
    const each = r.repeat ? '每满' : '满';
    const tiers = r.tiers.map((t) => `${each}${formatFen(t.threshold)}减${formatFen(t.amount)}`).join('，');
    return r.cap ? `${tiers}（最多减${formatFen(r.cap)}）` : tiers;
  }
  return r.tiers.map((t) => `满${formatFen(t.threshold)}打${zhe(t.rate)}`).join('，');
}

export function promotionText(r: ItemRule): string {
  switch (r.kind) {
    case 'quantityDiscount':
      return r.tiers.map((t) => `${t.minQuantity}件${zhe(t.rate)}`).join('，');
    case 'nthItem':
      return `第${r.n}件${zhe(r.rate)}`;
    case 'buyXGetY':
      return `买${r.buy}送${r.get}${r.maxTimes ? `（最多${r.maxTimes}次）` : ''}`;
  }
}

export function couponText(k: CouponKind): string {
  switch (k.kind) {
    case 'threshold':
      return `满${formatFen(k.threshold)}减${formatFen(k.amount)}`;
    case 'noThreshold':
      return `无门槛减${formatFen(k.amount)}`;
    case 'percent':
      return `${k.threshold ? `满${formatFen(k.threshold)}打` : ''}${zhe(k.rate)}${k.cap ? `，最多减${formatFen(k.cap)}` : ''}`;
    case 'freeShipping':
      return `免邮${k.threshold ? `（满${formatFen(k.threshold)}）` : ''}`;
  }
}
