// 推荐位效果 (docs/metrics.md, Recommendation slots): the server's figures per
// recommendation slot as the console shows them. Rates stay the server's
// 4-decimal ratio strings until shown, then become percentages by moving the
// decimal point (formatRate: "0.3333" → "33.33%"), never through a float.
import { formatRate } from './money';

export type RecSlot = 'home' | 'product' | 'cart';

/** One slot as `GET /admin/api/stats/rec-slots` answers it. */
export interface RecSlotFigures {
  slot: RecSlot;
  impressions: number;
  clicks: number;
  clickThrough: string;
  orders: number;
  conversion: string;
}

/** Where the mini-program shows each slot. */
export const REC_SLOT_LABELS: Record<RecSlot, string> = {
  home: '为你推荐（首页）',
  product: '猜你喜欢（商品页）',
  cart: '猜你喜欢（购物车）',
};

export interface RecSlotRow {
  slot: string;
  label: string;
  impressions: number;
  clicks: number;
  clickThrough: string;
  orders: number;
  conversion: string;
}

/** The table's rows, in the server's order (an unknown slot keeps its key as label). */
export function recSlotRows(items: RecSlotFigures[]): RecSlotRow[] {
  return items.map((r) => ({
    slot: r.slot,
    label: REC_SLOT_LABELS[r.slot] ?? r.slot,
    impressions: r.impressions,
    clicks: r.clicks,
    clickThrough: formatRate(r.clickThrough),
    orders: r.orders,
    conversion: formatRate(r.conversion),
  }));
}

/** Whether any slot had an impression, a click or an order (else the panel shows its empty state). */
export function anyRecActivity(items: RecSlotFigures[]): boolean {
  return items.some((r) => r.impressions > 0 || r.clicks > 0 || r.orders > 0);
}
