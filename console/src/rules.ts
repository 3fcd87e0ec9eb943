// The shop's rules as the 会员 and 配送 pages edit them (the core's types,
// docs/rules.md §7–§9). Amounts are integer fen, rates decimal strings; the
// pages show yuan and 折 without float arithmetic. Dependency-free (unit-tested
// through tests/unit/ts.mjs).

import type { Segment } from './memberCampaigns';
export interface MemberLevel {
  levelId: string;
  name: string;
  minGrowth: number;
  /** Share of the list price, e.g. "0.95" (9.5折). */
  discountRate: string;
  freeShipping?: boolean;
  pointsMultiplier: string;
}
export interface MemberProgram { levels: MemberLevel[]; growthPerYuan: string; pointsPerYuan: string }

export interface PointsRule { pointsPerYuan: number; maxShare: string; coverShipping?: boolean; withCoupons?: boolean }
export interface PointsView { rule: PointsRule | null; growthPerYuan: string; pointsPerYuan: string }

export interface LevelRef { levelId: string; name: string }
export interface MemberRow {
  id: number; nickname: string; avatar: string; level: LevelRef | null;
  growth: number; points: number; pointsDebt: number;
  /** Σ paid amounts of paid orders, fen. */
  spend: number; orderCount: number; lastOrderAt: number | null; createdAt: number;
  /** The segment the hourly job last computed (null: not yet). */
  segment: Segment | null;
  tags: string[];
}
export interface MemberDetail extends MemberRow {
  segmentHistory: { segment: Segment; previous: Segment | null; at: number }[];
  profile: {
    preferredCategories: { id: number; name: string; weight: number }[];
    /** The middle half of unit prices paid, fen; null without purchases. */
    priceBand: [number, number] | null;
    paidOrders: number;
    /** Province and city of the default address. */
    region: string | null;
  };
  status: { level: LevelRef | null; next: { levelId: string; name: string; growthNeeded: number; spendNeeded: number | null } | null } | null;
  recentOrders: { id: number; orderNo: string; status: string; payable: number; paidAmount: number | null; createdAt: number; paidAt: number | null }[];
  pointsLedger: { id: number; delta: number; reason: string; orderId: number | null; createdAt: number }[];
}

export interface ExpressRule { regions: string[]; first: number; firstFee: number; additional: number; additionalFee: number }
export interface ExpressTemplate { shopId: string; basis: 'piece' | 'weight'; rules: ExpressRule[]; freeOver?: number | null }

export interface DistanceTier { maxMeters: number; fee: number }
export interface DeliverySlot { slotId: string; startsAt: number; endsAt: number; surcharge?: number; full?: boolean }
export type Compensation =
  | { kind: 'fixed'; amount: number }
  | { kind: 'deliveryFee' }
  | { kind: 'shareOfGoods'; rate: string };
export interface LateRule { tiers: { afterMinutes: number; compensation: Compensation }[]; cap?: number | null }
export interface SameCityRule {
  tiers: DistanceTier[]; slots?: DeliverySlot[]; leadMinutes?: number; freeOver?: number | null; late?: LateRule | null;
}

/** `"0.95"` → `9.5折`, `"0.9"` → `9折`, `"1"` → `不打折`; by moving the decimal point. */
export function formatZhe(rate: string | null | undefined): string {
  const m = /^(\d+)(?:\.(\d+))?$/.exec((rate ?? '').trim());
  if (!m) return '—';
  // Parts per million, from the digits (no float touches the rate).
  const ppm = Number(m[1]) * 1_000_000 + Number((m[2] ?? '').padEnd(6, '0').slice(0, 6));
  if (ppm >= 1_000_000) return '不打折';
  const whole = Math.trunc(ppm / 100_000);
  const frac = String(ppm % 100_000).padStart(5, '0').replace(/0+$/, '');
  return `${whole}${frac ? `.${frac}` : ''}折`;
}

/** A decimal string the server takes as a rate: digits, one optional point. */
export function isDecimal(s: string): boolean {
  return /^\d+(\.\d+)?$/.test(s.trim());
}
