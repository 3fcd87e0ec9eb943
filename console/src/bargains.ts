// 砍价 in the console: an activity's status from its window, and the core's
// constraint on the numbers (start − floor leaves each of the N helpers at
// least 1 fen, N ≤ 1000) checked before sending, all in integer fen.
import { parseYuan } from './money';

export const MAX_HELPERS = 1000;

export type BargainStatus = 'scheduled' | 'running' | 'ended';
export const BARGAIN_STATUS: Record<BargainStatus, string> = { scheduled: '未开始', running: '进行中', ended: '已结束' };
export const BARGAIN_TAG: Record<BargainStatus, 'info' | 'success'> = { scheduled: 'info', running: 'success', ended: 'info' };

/** Ended once `endsAt` has passed (结束 sets it to now), running from `startsAt`. */
export function bargainStatus(a: { startsAt: number; endsAt: number }, now: number): BargainStatus {
  if (a.endsAt <= now) return 'ended';
  return a.startsAt > now ? 'scheduled' : 'running';
}

/** Start and floor typed in yuan and N: `{startPrice, floorPrice}` in fen, or the message to show. */
export function parseBargainPrices(
  start: string, floor: string, helpers: number | null,
): { startPrice: number; floorPrice: number } | string {
  const startPrice = parseYuan(start);
  if (startPrice === null || startPrice < 1) return '发起价请填写金额（元，最多两位小数）';
  const floorPrice = parseYuan(floor);
  if (floorPrice === null) return '底价请填写金额（元，最多两位小数）';
  if (helpers === null || !Number.isInteger(helpers) || helpers < 1 || helpers > MAX_HELPERS) {
    return `助力人数请填写 1 到 ${MAX_HELPERS} 的整数`;
  }
  if (floorPrice >= startPrice) return '底价须低于发起价';
  if (startPrice - floorPrice < helpers) return `可砍金额 ${startPrice - floorPrice} 分不足 ${helpers} 人每人 0.01 元`;
  return { startPrice, floorPrice };
}
