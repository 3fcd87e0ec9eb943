// 拼团 in the console: the group statuses in Chinese, what a group still
// needs, and the 团长价 typed beside the group price (yuan → fen, never floats).
import { parseYuan } from './money';
import type { GroupStatus } from './types';

export const GROUP_STATUS: Record<GroupStatus, string> = {
  pending: '待支付',
  open: '拼团中',
  success: '已成团',
  autoSuccess: '系统成团',
  failed: '未成团',
  cancelled: '已取消',
};

export const GROUP_TAG: Record<GroupStatus, 'primary' | 'success' | 'info' | 'warning' | 'danger'> = {
  pending: 'info',
  open: 'warning',
  success: 'success',
  autoSuccess: 'success',
  failed: 'danger',
  cancelled: 'info',
};

/** 还差N人: seats not yet paid (size − paid) while the group can still fill; null once it closed. */
export function stillNeeded(g: { status: GroupStatus; size: number; paid: number }): number | null {
  if (g.status !== 'pending' && g.status !== 'open') return null;
  return Math.max(0, g.size - g.paid);
}

/**
 * A 团长价 typed in yuan against the group price (fen): blank → null (the leader
 * pays the group price), an amount → fen, else the message to show.
 */
export function parseLeaderPrice(input: string | null | undefined, price: number): number | null | string {
  if (input === null || input === undefined || !String(input).trim()) return null;
  const fen = parseYuan(input);
  if (fen === null) return '团长价请填写金额（元，最多两位小数）';
  if (fen > price) return '团长价不能高于拼团价';
  return fen;
}
