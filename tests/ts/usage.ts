// Type-checks the wasm package's TypeScript declarations under --strict: every
// entry point is callable with typed inputs and its outputs read as typed values;
// the @ts-expect-error lines prove that wrong shapes are rejected (a declaration
// that fell back to `any` would make them fail). Run by tests/js/types.test.js.
import * as rules from "../../wasm/pkg/node/mall_rules_wasm";
import type { QuoteInput, Quote, RuleError, Coupon, OrderSnapshot, Fen, FlashPhase, Segment, Decision, Slot, ReasonKind } from "../../wasm/pkg/node/mall_rules_wasm";

const coupon: Coupon = {
  couponId: "c1",
  kind: { kind: "threshold", threshold: 30000, amount: 5000 },
  scope: { kind: "categories", ids: ["tea"] },
  validFrom: 0,
  validUntil: 1893456000,
};

const input: QuoteInput = {
  now: 1767225600,
  catalog: [{ skuId: "tea", listPrice: 12900, stock: 10, categoryIds: ["tea"] }],
  lines: [{ lineId: "l1", skuId: "tea", quantity: 3 }],
  rules: {
    campaigns: [{ campaignId: "mj", rule: { kind: "amountOff", tiers: [{ threshold: 30000, amount: 3000 }] } }],
    points: { pointsPerYuan: 100, maxShare: "0.5" },
    shipping: { express: [{ shopId: "self", basis: "piece", rules: [{ first: 1, firstFee: 800, additional: 1, additionalFee: 200 }] }] },
  },
  buyer: { growth: 1200, pointsBalance: 500, coupons: [coupon] },
  options: { coupons: { kind: "best" }, points: { kind: "max" }, delivery: { kind: "express", regionCode: "310115" } },
};

const q: Quote = rules.quote(input);
const payable: Fen = q.payable;
const firstUnitPaid: number = q.lines[0].units[0].paid;
const reason: string | undefined = q.coupons.unusable[0]?.error.code;
const shippingFree: boolean = q.shipping?.shops.some((s) => s.freeReason === "member") ?? false;
const snapshot: OrderSnapshot = rules.orderSnapshot(q);
const refunded: number = rules.refund({ order: snapshot, request: { items: [{ lineId: "l1", quantity: 1 }] } }).amount;
const level: string | undefined = rules.memberStatus({ levels: [], growthPerYuan: "1", pointsPerYuan: "1" }, 10).next?.name;
const cuts: Fen[] = rules.bargainSplit({ price: 9900, floor: 100, helpers: 5, seed: 7 }).cuts;
const left: number = rules.bargainProgress({ price: 9900, floor: 100, cuts, helped: 2 }).helpersLeft;
const now: Fen = rules.bargainPrice({ price: 9900, floor: 100, cuts, helped: 5, buyBeforeFloor: false });
const owed: Fen = rules.lateCompensation({ rule: { tiers: [] }, promisedBy: 0, deliveredAt: 60, deliveryPaid: 500, goodsPaid: 100 }).amount;
const group = { status: "open" as const, size: 3, held: 2, paid: 1, expiresAt: 100 };
const needed: number = rules.groupProgress({ group, now: 10 }).needed;
const joinable: boolean = rules.checkGroupJoin({ group, now: 10, alreadyMember: false }).joinable;
const outcome: string = rules.groupAtExpiry({ group, now: 200, autoSuccessPercent: 60 }).outcome;
const streak: number = rules.signinReward({ rule: { pointsPerDay: 5, bonuses: [{ day: 3, points: 5 }] }, lastDay: 100, lastStreak: 2, today: 101 }).streak;
const giftUntil: number = rules.giftEligibility({ couponId: '7', state: 'available', transferable: true, validUntil: 2000000000, now: 1700000000 }).expiresAt;
const flash = rules.flashState({ startsAt: 100, endsAt: 200, now: 150, unitsLeft: 1000, inFlight: 8, maxInFlight: 8, userBought: 0, perUserLimit: 1, retrySeed: 7 });
const retryMs: number | null = flash.retryAfterMs;
const mayAttempt: boolean = flash.mayAttempt && flash.phase === "selling";
const bucketSizes: number[] = rules.flashBuckets({ stock: 1000, buckets: 16 });
const member = { userId: "u1", registeredAt: 0, lastOrderAt: 1767225600 - 40 * 86400, recentOrders: 1, level: 2, tags: ["vip"] };
const segment: Segment = rules.memberSegment({ now: 1767225600, member }).segment;
const decision: Decision = rules.campaignDecision({ now: 1767225600, campaignId: "wed", member, audience: { segments: ["atRisk"], noOrderDays: 7 }, caps: { perWeek: 2 }, holdoutBps: 1000 }).decision;
const wednesday: number = rules.beijingWeekSlot({ now: 1767225600, weekday: 3 });
const table = rules.itemSimilarity({ now: 1767225600, events: [{ userId: "u1", productId: "p1", kind: "view", at: 1767225000 }] });
const picks = rules.recommend({ shop: { products: [{ productId: "p2", categoryId: "c1", onShelf: true, soldOut: false }], similar: table.products, bestSellers: ["p2"] }, shopper: { now: 1767225600, slot: "product", currentProductId: "p1" } });
const reasons: string[] = picks.items.map((r) => r.reason.text);
const reasonKind: ReasonKind = picks.items[0].reason.kind;
const sellers: string[] = rules.bestSellers({ now: 1767225600, channel: "miniprogram", lines: [] }).items.map((b) => b.productId);
const suggestions: string[] = rules.searchSuggestions({ prefix: "连衣", history: [{ query: "连衣裙", at: 1767225000 }] }).map((s) => s.text);
const check = rules.validateCart(input).invalid.map((i) => i.error.message);
const best = rules.bestCoupons(input).applied.map((a) => a.couponId);
const levels = rules.commission({ rule: { rates: ["0.1", "0.05"] }, promoters: ["p1", "p2"], order: snapshot }).shares.map((s) => s.amount);
const back = rules.commissionReversal({ rule: {}, promoters: [], order: snapshot }, [{ lineId: "l1", quantity: 1 }]).base;

function onError(e: unknown): string {
  const err = e as RuleError;
  return `${err.code}: ${err.message} ${JSON.stringify(err.details)} (${err.reason})`;
}

// @ts-expect-error amounts are integer fen numbers, not strings
const badPrice: QuoteInput = { now: 0, catalog: [{ skuId: "x", listPrice: "12.90", stock: 1 }], lines: [] };
// @ts-expect-error rates are decimal strings, not numbers
const badRate: Coupon = { ...coupon, kind: { kind: "percent", rate: 0.85 } };
// @ts-expect-error an unknown coupon kind
const badKind: Coupon = { ...coupon, kind: { kind: "cashback", amount: 1 } };
// @ts-expect-error the quote's payable is a number
const badPayable: string = q.payable;
// @ts-expect-error a flash sale's phase is one of six names
const badPhase: FlashPhase = "waiting";
// @ts-expect-error a segment is one of five names
const badSegment: Segment = "vip";
// @ts-expect-error a recommendation slot is one of four names
const badSlot: Slot = "banner";

export { payable, firstUnitPaid, reason, shippingFree, refunded, level, cuts, owed, needed, joinable, outcome, streak, giftUntil, retryMs, mayAttempt, bucketSizes, segment, decision, wednesday, reasons, reasonKind, sellers, suggestions, check, best, levels, back, onError, badPrice, badRate, badKind, badPayable, badPhase, badSegment, badSlot };
