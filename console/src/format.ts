// Times and labels. The shop runs on Beijing time (UTC+8), as the server's
// buckets do, whatever the browser's zone.
const BEIJING = 8 * 3600;

/** unix seconds → `2026-12-04 09:30` (Beijing). */
export function fmtTime(t: number | null | undefined): string {
  if (t === null || t === undefined) return '—';
  return new Date((t + BEIJING) * 1000).toISOString().slice(0, 16).replace('T', ' ');
}

/** unix seconds → `2026-12-04` (Beijing). */
export function fmtDate(t: number): string {
  return new Date((t + BEIJING) * 1000).toISOString().slice(0, 10);
}

/** `2026-12-04` → unix seconds of 00:00 Beijing that day. */
export function dayStart(day: string): number {
  return Math.trunc(Date.parse(`${day}T00:00:00+08:00`) / 1000);
}

/** Today in Beijing, `YYYY-MM-DD`, shifted by `offset` days. */
export function beijingDay(offset = 0, nowMs = Date.now()): string {
  return fmtDate(Math.trunc(nowMs / 1000) + offset * 86400);
}

export const ORDER_STATUS: Record<string, string> = {
  pending_payment: '待付款',
  paid: '待发货',
  grouping: '待成团',
  shipped: '已发货',
  completed: '已完成',
  cancelled: '已取消',
  refunded: '已退款',
};

export const DELIVERY: Record<string, string> = {
  express: '快递',
  pickup: '门店自提',
  cityDelivery: '同城配送',
  sameCity: '同城配送',
};

export function deliveryKind(d: unknown): string {
  if (typeof d === 'string') return d;
  if (d && typeof d === 'object' && 'kind' in d) return String((d as { kind: unknown }).kind);
  return '';
}

export const AFTER_SALE_STATUS: Record<string, string> = {
  requested: '待审核',
  awaiting_return: '待买家退货',
  returned: '已退货待收货确认',
  refunding: '退款中',
  refunded: '已退款',
  refund_abnormal: '退款异常',
  refund_closed: '退款关闭',
  rejected: '已拒绝',
};

export const AFTER_SALE_KIND: Record<string, string> = {
  refund_only: '仅退款',
  return_refund: '退货退款',
};

export const REFUND_STATUS: Record<string, string> = {
  pending: '待退款',
  processing: '退款处理中',
  success: '退款成功',
  abnormal: '退款异常',
  closed: '已关闭',
  superseded: '已重试',
};

export function label(map: Record<string, string>, key: string | null | undefined): string {
  if (!key) return '—';
  return map[key] ?? key;
}
