// Shapes of /admin/api/marketing/* (docs/admin-api.md, 营销). Rules are the
// core's own shapes (docs/rules.md); amounts integer fen, rates strings.
import type { Audience, Caps, Trigger } from '../../memberCampaigns';

export interface Scope { kind?: 'all' | 'categories' | 'skus'; ids?: string[]; excludeSkuIds?: string[]; excludeCategoryIds?: string[] }

export type CampaignRule =
  | { kind: 'amountOff'; tiers: { threshold: number; amount: number }[]; repeat?: boolean; cap?: number | null }
  | { kind: 'rateOff'; tiers: { threshold: number; rate: string }[] };

export interface Campaign {
  campaignId: string; shopId?: string; priority?: number; scope?: Scope;
  startsAt?: number | null; endsAt?: number | null; rule: CampaignRule;
}

export type ItemRule =
  | { kind: 'quantityDiscount'; tiers: { minQuantity: number; rate: string }[] }
  | { kind: 'nthItem'; n: number; rate: string }
  | { kind: 'buyXGetY'; buy: number; get: number; maxTimes?: number | null };

export interface ItemPromotion {
  promotionId: string; shopId?: string; priority?: number; scope?: Scope;
  startsAt?: number | null; endsAt?: number | null; rule: ItemRule;
}

export type CouponKind =
  | { kind: 'threshold'; threshold: number; amount: number }
  | { kind: 'noThreshold'; amount: number }
  | { kind: 'percent'; rate: string; cap?: number | null; threshold?: number }
  | { kind: 'freeShipping'; threshold?: number; cap?: number | null };

export interface CouponTemplate {
  id: number; title: string; shopId: string | null; kind: CouponKind; scope: Scope;
  stackable: boolean; withCampaigns: boolean; validFrom: number | null; validUntil: number | null;
  validDays: number | null; total: number; issued: number; perUserLimit: number; claimable: boolean;
  createdAt: number; used: number; usedRate: string;
  /** Claims of the batch per Beijing day at most (null: no daily cap). */
  perDayLimit: number | null;
  /** Shoppers may gift its coupons to friends (券转赠). */
  transferable: boolean;
}

export type ActivityKind = 'flashSale' | 'groupBuy' | 'bargain';
/** `leaderPrice` (团长价, fen): group buys only; null = the leader pays the group price. */
export interface ActivitySku { skuId: number; price: number; stock: number | null; leaderPrice?: number | null; title?: string; listPrice?: number }
/**
 * The group fields are a group buy's only (other kinds refuse them): `groupWindowHours`
 * a group stays open after its leader pays (24 when absent), `groupAutoPercent` the paid
 * share of seats that forms the group at expiry (系统成团; null = never),
 * `shareRewardTemplateId` the coupon a sharer earns when a group they shared forms with a new user.
 */
export interface Activity {
  id: string; kind: ActivityKind; title: string; startsAt: number; endsAt: number;
  perUserLimit: number | null; allowCoupons: boolean; allowPoints: boolean; groupSize: number | null;
  groupWindowHours: number | null; groupAutoPercent: number | null; shareRewardTemplateId: number | null;
  /** A flash sale's stock buckets (1–64; 1 = its quota is not set aside). */
  stockBuckets: number;
  skus: ActivitySku[];
}

export interface WhatIf {
  orders: number; touched: number; discountCostNow: number; discountCostProposed: number; costDelta: number;
  avgPayableNow: number; avgPayableProposed: number; sampled: boolean; skipped: number; from: number; to: number;
}

export interface Roi { orders: number; gmv: number; cost: number; roi: string | null }
export interface RoiReport {
  campaigns: Record<string, Roi>; itemPromotions: Record<string, Roi>;
  coupons: Record<string, Roi>; activities: Record<string, Roi>;
}

export const ACTIVITY_KINDS: Record<ActivityKind, string> = { flashSale: '限时秒杀', groupBuy: '拼团', bargain: '砍价' };

/** 砍价 activity (GET /admin/api/bargains); prices in fen, times in unix seconds. */
export interface BargainActivity {
  id: number; title: string; skuId: number; productId: number; productTitle: string; image: string; listPrice: number;
  startPrice: number; floorPrice: number; helpers: number; windowHours: number; buyBeforeFloor: boolean;
  initiationsPerUser: number; helpsPerDay: number; startsAt: number; endsAt: number;
}

/** 签到 rule (GET/PUT /admin/api/marketing/signin, docs/rules.md §18): bonus days strictly ascending. */
export interface StreakBonus { day: number; points: number; growth: number }
export interface SigninRule {
  enabled: boolean; pointsPerDay: number; growthPerDay: number; bonuses: StreakBonus[]; cycle: boolean;
}

/** 会员营销 (GET /admin/api/member-campaigns): a campaign with its effect against the holdout. */
export interface MemberCampaignSettings {
  enabled: boolean; trigger: Trigger; audience: Audience; caps: Caps;
  /** Held out to measure the effect, basis points 0–5000. */
  holdoutBps: number;
  /** The coupon batch granted (null: the campaign cannot be switched on). */
  couponTemplateId: number | null;
  /** A home banner the members reached see first for 7 days (null: none). */
  banner: { image: string; url: string } | null;
  /** With each coupon granted, the subscription message 券已到账 (consent permitting). */
  notify: boolean;
}
/** One group of members (reached or held out); `gmv` fen, `repurchaseRate` percent with 2 decimals. */
export interface EffectGroup { members: number; buyers: number; orders: number; gmv: number; repurchaseRate: string }
export interface CampaignEffect {
  reached: EffectGroup; holdout: EffectGroup; couponsGranted: number; couponsUsed: number;
  /** reached − holdout repurchase rate, percentage points ("3.25"). */
  incrementalRepurchase: string;
}
export interface MemberCampaign extends MemberCampaignSettings { id: string; title: string; updatedAt: number; effect: CampaignEffect }
/** POST /admin/api/member-campaigns/{id}/dry-run: what the settings would do now (or at the next weekly slot). */
export interface DryRunReport {
  campaignId: string; slot: number | null; sent: number; heldOut: number; notInAudience: number;
  campaignCapReached: number; weeklyCapReached: number; already: number; outOfCoupons: number;
}
