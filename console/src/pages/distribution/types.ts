// 分销 as the console API answers it (/admin/api/distribution/*): money in
// integer fen, rates as decimal strings ("0.1" = 10%), times in unix seconds.

export type Mode = 'everyone' | 'approval';

export interface DistributionSettings {
  enabled: boolean;
  mode: Mode;
  levels: number;
  rates: string[];
  selfPurchase: boolean;
  /** null: permanent. */
  bindingDays: number | null;
  frozenDays: number;
  withdrawMin: number;
  withdrawDailyCap: number;
  reviewAbove: number;
  leaderboardTop: number;
  leaderboardCash: number;
  leaderboardCouponTemplateId: number | null;
}

export type PromoterStatus = 'applied' | 'approved' | 'rejected';

export interface Promoter {
  userId: number;
  nickname: string;
  status: PromoterStatus;
  createdAt: number;
  decidedAt: number | null;
}

export interface Balances { pending: number; frozen: number; available: number; withdrawing: number; withdrawn: number }

export interface LedgerEntry {
  id: number; orderId: number; afterSaleId: number | null; level: number; amount: number;
  status: 'PENDING' | 'FROZEN' | 'AVAILABLE' | 'WITHDRAWN'; createdAt: number; availableAt: number | null;
}

export interface Ledger { promoterId: number; balances: Balances; entries: { items: LedgerEntry[]; total: number } }

export interface Withdrawal {
  id: number; promoterId: number; nickname: string; amount: number; outBillNo: string; state: string;
  failReason: string | null; createdAt: number; updatedAt: number; finishedAt: number | null;
}

export interface Rank { rank: number; promoterId: number; nickname: string; sales: number }
export interface Reward extends Rank { month: string; cash: number; couponId: number | null; createdAt: number }
export interface MerchantBoard { month: string; ranking: Rank[]; rewards: Reward[] }

export const PROMOTER_STATUS: Record<PromoterStatus, string> = {
  applied: '待审核',
  approved: '已通过',
  rejected: '已拒绝',
};

export const PROMOTER_TAG: Record<PromoterStatus, 'warning' | 'success' | 'info'> = {
  applied: 'warning',
  approved: 'success',
  rejected: 'info',
};

/** The withdrawal states the filter offers, in the order they happen. */
export const WITHDRAWAL_STATE: Record<string, string> = {
  REVIEWING: '待审核',
  CREATING: '创建中',
  ACCEPTED: '已受理',
  PROCESSING: '处理中',
  WAIT_USER_CONFIRM: '待用户确认',
  TRANSFERING: '转账中',
  CANCELING: '撤销中',
  SUCCESS: '已到账',
  FAIL: '失败（已退回）',
  CANCELLED: '已撤销（已退回）',
  REJECTED: '已拒绝（已退回）',
};

export const ENTRY_STATUS: Record<LedgerEntry['status'], string> = {
  PENDING: '待收货',
  FROZEN: '冻结中',
  AVAILABLE: '可提现',
  WITHDRAWN: '已提现',
};
