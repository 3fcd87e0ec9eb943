// Seeded random scenarios for the native/wasm differential test: carts with
// coupons, campaigns, item promotions, activities, members, points and every
// delivery method; member status, bargains, group buys, sign-in, gifting,
// flash sales, late deliveries; and, from priced
// carts, refunds and commissions. Deterministic for a given seed.
'use strict';

function rng(seed) {
  // mulberry32
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = (xs) => xs[int(0, xs.length - 1)];
  const chance = (p) => next() < p;
  const some = (xs, max) => xs.filter(() => chance(max / xs.length));
  return { int, pick, chance, some };
}

const NOW = 1767225600;
const SHOPS = ['self', 'shopB'];
const CATS = ['fruit', 'dairy', 'snacks', 'drinks'];
const rate = (r) => `0.${String(r.int(1, 99)).padStart(2, '0')}`;

function scope(r, skus) {
  const k = r.int(0, 5);
  const s = k <= 2 ? {} : k === 3 ? { kind: 'categories', ids: r.some(CATS, 2) } : { kind: 'skus', ids: r.some(skus, 3) };
  if (r.chance(0.15)) s.excludeSkuIds = [r.pick(skus)];
  if (r.chance(0.1)) s.excludeCategoryIds = [r.pick(CATS)];
  return s;
}

function couponKind(r) {
  switch (r.int(0, 3)) {
    case 0: return { kind: 'threshold', threshold: r.int(1, 40000), amount: r.int(1, 6000) };
    case 1: return { kind: 'noThreshold', amount: r.int(1, 3000) };
    case 2: {
      const c = { kind: 'percent', rate: rate(r) };
      if (r.chance(0.6)) c.cap = r.int(1, 5000);
      if (r.chance(0.5)) c.threshold = r.int(0, 20000);
      return c;
    }
    default: {
      const c = { kind: 'freeShipping' };
      if (r.chance(0.5)) c.threshold = r.int(0, 15000);
      if (r.chance(0.5)) c.cap = r.int(1, 1500);
      return c;
    }
  }
}

function quoteInput(r) {
  const nSku = r.int(1, 8);
  const skus = Array.from({ length: nSku }, (_, i) => `sku${i}`);
  const catalog = skus.map((skuId) => {
    const s = { skuId, listPrice: r.chance(0.05) ? 0 : r.int(1, 30000), stock: r.int(0, 12) };
    if (r.chance(0.7)) s.shopId = r.pick(SHOPS);
    if (r.chance(0.8)) s.categoryIds = r.some(CATS, 1.5);
    if (r.chance(0.05)) s.onShelf = false;
    if (r.chance(0.1)) s.minQuantity = r.int(1, 3);
    if (r.chance(0.1)) s.perUserLimit = r.int(1, 5);
    if (r.chance(0.2)) s.memberPrice = false;
    if (r.chance(0.7)) s.weightGrams = r.int(0, 3000);
    return s;
  });
  const lines = Array.from({ length: r.int(0, 7) }, (_, i) => {
    const l = { lineId: `L${r.int(0, 99)}-${i}`, skuId: r.chance(0.04) ? 'ghost' : r.pick(skus), quantity: r.chance(0.03) ? r.int(-1, 0) : r.int(1, 5) };
    if (r.chance(0.15)) l.selected = false;
    if (r.chance(0.15)) l.activityId = r.pick(['flash', 'group', 'later']);
    // A group-buy line opens or joins a group; now and then one without a role (GROUP_ROLE_INVALID).
    if (l.activityId === 'group' && r.chance(0.9)) l.groupRole = r.pick(['leader', 'member']);
    if (r.chance(0.05)) l.seenUnitPrice = r.int(1, 30000);
    return l;
  });
  const rules = {};
  if (r.chance(0.7)) {
    rules.member = {
      levels: [
        { levelId: 'normal', name: '普通', minGrowth: 0, discountRate: '1', pointsMultiplier: '1' },
        { levelId: 'gold', name: '黄金', minGrowth: 1000, discountRate: r.pick(['0.95', '0.9', '0.88']), freeShipping: r.chance(0.5), pointsMultiplier: '1.5' },
        { levelId: 'diamond', name: '钻石', minGrowth: 5000, discountRate: '0.85', freeShipping: true, pointsMultiplier: '2' },
      ],
      growthPerYuan: r.pick(['1', '0.5', '2']),
      pointsPerYuan: r.pick(['1', '0', '10']),
    };
  }
  if (r.chance(0.5)) {
    rules.itemPromotions = Array.from({ length: r.int(1, 2) }, (_, i) => {
      const kinds = [
        () => ({ kind: 'quantityDiscount', tiers: [{ minQuantity: r.int(1, 3), rate: rate(r) }, { minQuantity: r.int(3, 6), rate: rate(r) }] }),
        () => ({ kind: 'nthItem', n: r.int(2, 3), rate: rate(r) }),
        () => ({ kind: 'buyXGetY', buy: r.int(1, 3), get: r.int(1, 2), ...(r.chance(0.5) ? { maxTimes: r.int(1, 2) } : {}) }),
      ];
      return { promotionId: `p${i}`, shopId: r.pick(SHOPS), priority: r.int(0, 2), scope: scope(r, skus), rule: r.pick(kinds)() };
    });
  }
  if (r.chance(0.6)) {
    rules.campaigns = Array.from({ length: r.int(1, 2) }, (_, i) => {
      const rule = r.chance(0.6)
        ? { kind: 'amountOff', tiers: [{ threshold: r.int(1000, 20000), amount: r.int(100, 3000) }, { threshold: r.int(20000, 60000), amount: r.int(1000, 9000) }], repeat: r.chance(0.3), ...(r.chance(0.3) ? { cap: r.int(500, 8000) } : {}) }
        : { kind: 'rateOff', tiers: [{ threshold: r.int(1000, 30000), rate: rate(r) }] };
      const c = { campaignId: `mj${i}`, shopId: r.pick(SHOPS), scope: scope(r, skus), rule };
      if (r.chance(0.1)) c.endsAt = NOW;
      return c;
    });
  }
  rules.activities = [
    { activityId: 'flash', kind: 'flashSale', startsAt: NOW - 60, endsAt: NOW + 60, prices: r.some(skus, 3).map((skuId) => ({ skuId, price: r.int(1, 9900), ...(r.chance(0.3) ? { stock: r.int(0, 5) } : {}) })), allowCoupons: r.chance(0.5), allowPoints: r.chance(0.5), ...(r.chance(0.3) ? { perUserLimit: r.int(1, 3) } : {}) },
    { activityId: 'group', kind: 'groupBuy', startsAt: 0, endsAt: NOW + 1, groupSize: 3, prices: skus.map((skuId) => ({ skuId, price: 990, ...(r.chance(0.5) ? { leaderPrice: 890 } : {}) })), allowCoupons: r.chance(0.3) },
    { activityId: 'later', kind: 'bargain', startsAt: NOW + 1, endsAt: NOW + 100, prices: skus.map((skuId) => ({ skuId, price: 100 })) },
  ];
  if (r.chance(0.5)) rules.points = { pointsPerYuan: r.pick([1, 10, 100, 150]), maxShare: rate(r), coverShipping: r.chance(0.3), withCoupons: r.chance(0.8) };
  rules.shipping = {
    express: SHOPS.filter(() => r.chance(0.8)).map((shopId) => ({
      shopId,
      basis: r.pick(['piece', 'weight']),
      ...(r.chance(0.5) ? { freeOver: r.int(1000, 30000) } : {}),
      rules: [
        { regions: ['31'], first: r.int(1, 1000), firstFee: r.int(0, 1200), additional: r.int(0, 1000), additionalFee: r.int(0, 500) },
        ...(r.chance(0.8) ? [{ first: r.int(1, 1000), firstFee: r.int(0, 1500), additional: r.int(1, 1000), additionalFee: r.int(0, 600) }] : []),
      ],
    })),
    pickupStores: ['store1'],
    sameCity: { tiers: [{ maxMeters: 3000, fee: 500 }, { maxMeters: 8000, fee: 900 }], slots: [{ slotId: 'tooSoon', startsAt: NOW + 600, endsAt: NOW + 2400 }, { slotId: 'soon', startsAt: NOW + 3600, endsAt: NOW + 5400 }, { slotId: 'eve', startsAt: NOW + 7200, endsAt: NOW + 9000, surcharge: 300 }, { slotId: 'full', startsAt: NOW + 7200, endsAt: NOW + 9000, full: true }], leadMinutes: 30, ...(r.chance(0.5) ? { freeOver: r.int(1000, 20000) } : {}) },
  };
  if (r.chance(0.2)) rules.thresholdBase = 'salePrice';
  const coupons = Array.from({ length: r.int(0, 6) }, (_, i) => {
    const c = { couponId: `c${i}`, kind: couponKind(r), validFrom: r.chance(0.05) ? NOW + 10 : 0, validUntil: r.chance(0.05) ? NOW : NOW + r.int(1, 9) * 86400 };
    if (r.chance(0.5)) c.shopId = r.pick(SHOPS);
    if (r.chance(0.4)) c.scope = scope(r, skus);
    if (r.chance(0.2)) c.stackable = false;
    if (r.chance(0.2)) c.withCampaigns = false;
    if (r.chance(0.03)) c.status = 'used';
    return c;
  });
  const buyer = { growth: r.pick([0, 500, 1000, 4999, 5000, 8000]), pointsBalance: r.int(0, 20000), coupons };
  if (r.chance(0.2)) buyer.purchased = [{ skuId: r.pick(skus), quantity: r.int(1, 4) }];
  const options = {};
  const mode = r.int(0, 9);
  if (mode === 8) options.coupons = { kind: 'none' };
  if (mode === 9) options.coupons = { kind: 'manual', couponIds: r.some(coupons.map((c) => c.couponId), 2) };
  const pts = r.int(0, 3);
  // Mostly a valid request: an explicit amount within the balance, where there is a program.
  const exact = rules.points || r.chance(0.1) ? { kind: 'exactly', points: r.int(0, Math.floor(buyer.pointsBalance * (r.chance(0.9) ? 1 : 2))) } : { kind: 'max' };
  options.points = pts === 0 ? { kind: 'none' } : pts === 1 ? { kind: 'max' } : exact;
  const d = r.int(0, 4);
  if (d === 1 || d === 2) options.delivery = { kind: 'express', regionCode: r.chance(0.9) ? r.pick(['310115', '320100']) : '110000' };
  if (d === 3) options.delivery = r.chance(0.9) ? { kind: 'pickup', storeId: 'store1' } : { kind: 'pickup', storeId: 'nowhere' };
  if (d === 4) options.delivery = { kind: 'sameCity', distanceMeters: r.int(0, 9000), ...(r.chance(0.7) ? { slotId: r.chance(0.8) ? r.pick(['soon', 'eve']) : r.pick(['full', 'nope', 'tooSoon']) } : {}) };
  // Now and then, something malformed.
  const input = { now: NOW, catalog, lines, rules, buyer, options };
  if (r.chance(0.01)) input.rules.points = { pointsPerYuan: 100, maxShare: '1.5' };
  if (r.chance(0.01)) input.lines.push({ ...(input.lines[0] || { lineId: 'x', skuId: 'sku0', quantity: 1 }) });
  return input;
}

/** A group's counters, now and then impossible ones (GROUP_INVALID). */
function groupState(r) {
  const size = r.chance(0.05) ? r.int(0, 120) : r.int(2, 10);
  const held = r.int(0, size);
  const paid = r.chance(0.05) ? held + 1 : r.int(0, held);
  const status = r.pick(['pending', 'open', 'open', 'open', 'success', 'autoSuccess', 'failed', 'cancelled']);
  return { status, size, held, paid, ...(r.chance(0.9) ? { expiresAt: NOW + r.int(-3600, 3600) } : {}) };
}

function otherScenario(r) {
  switch (r.int(0, 9)) {
    case 8: {
      // A flash sale around its window; now and then a bound or limit of 0 (INVALID_INPUT).
      const startsAt = NOW + r.int(-120, 120);
      const opt = (k, lo, hi) => (r.chance(0.7) ? { [k]: r.int(lo, hi) } : {});
      return {
        fn: 'flashState',
        input: {
          startsAt,
          endsAt: startsAt + (r.chance(0.03) ? 0 : r.int(1, 240)),
          now: NOW,
          unitsLeft: r.int(0, 5),
          ...opt('inFlight', 0, 10),
          ...opt('maxInFlight', r.chance(0.03) ? 0 : 1, 8),
          ...opt('userBought', 0, 4),
          ...opt('perUserLimit', r.chance(0.03) ? 0 : 1, 3),
          ...opt('retrySeed', 0, 2 ** 31),
        },
      };
    }
    case 9:
      return { fn: 'flashBuckets', input: { stock: r.int(0, 100000), buckets: r.int(0, 70) } };
    case 5:
      return { fn: 'groupProgress', input: { group: groupState(r), now: NOW } };
    case 6:
      return { fn: 'checkGroupJoin', input: { group: groupState(r), now: NOW, alreadyMember: r.chance(0.1) } };
    case 7:
      return { fn: 'groupAtExpiry', input: { group: groupState(r), now: NOW, ...(r.chance(0.5) ? { autoSuccessPercent: r.int(0, 110) } : {}) } };
    case 0: {
      const input = quoteInput(r);
      return { fn: 'memberStatus', input: { program: input.rules.member || { levels: [], growthPerYuan: '1', pointsPerYuan: '1' }, growth: r.int(0, 9000) } };
    }
    case 1: {
      const floor = r.int(0, 5000);
      if (r.chance(0.5)) {
        // Progress on a plan: now and then a zero cut, a total off by one or too many helps.
        const cuts = Array.from({ length: r.int(0, 12) }, () => r.int(r.chance(0.05) ? 0 : 1, 3000));
        const total = cuts.reduce((a, b) => a + b, 0) + (r.chance(0.05) ? 1 : 0);
        const fn = r.chance(0.5) ? 'bargainProgress' : 'bargainPrice';
        return { fn, input: { price: floor + total, floor, cuts, helped: r.int(0, cuts.length + (r.chance(0.05) ? 1 : 0)), buyBeforeFloor: r.chance(0.3) } };
      }
      return { fn: 'bargainSplit', input: { price: floor + r.int(0, 20000), floor, helpers: r.int(0, 40), seed: r.int(0, 2 ** 31) } };
    }
    case 2: {
      const today = 20000 + r.int(0, 400);
      const bonuses = r.chance(0.9) ? [{ day: r.int(1, 3), points: r.int(0, 50) }, { day: r.int(4, 10), points: r.int(0, 100), growth: r.int(0, 20) }] : [{ day: 5 }, { day: 2 }];
      return {
        fn: 'signinReward',
        input: {
          rule: { enabled: r.chance(0.95), pointsPerDay: r.int(0, 20), growthPerDay: r.int(0, 5), bonuses, cycle: r.chance(0.5) },
          ...(r.chance(0.8) ? { lastDay: today - r.int(0, 3), lastStreak: r.int(0, 30) } : {}),
          today,
        },
      };
    }
    case 3:
      return {
        fn: 'giftEligibility',
        input: {
          couponId: String(r.int(1, 999)),
          state: r.pick(['available', 'available', 'used', 'gifting', 'gifted']),
          transferable: r.chance(0.8),
          receivedAsGift: r.chance(0.2),
          validUntil: NOW + r.int(-3600, 3 * 86400),
          now: NOW,
        },
      };
    default:
      return {
        fn: 'lateCompensation',
        input: {
          rule: { tiers: [{ afterMinutes: 1, compensation: { kind: 'fixed', amount: r.int(0, 500) } }, { afterMinutes: r.int(10, 40), compensation: { kind: 'deliveryFee' } }, { afterMinutes: r.int(40, 90), compensation: { kind: 'shareOfGoods', rate: rate(r) } }], ...(r.chance(0.5) ? { cap: r.int(0, 3000) } : {}) },
          promisedBy: NOW,
          deliveredAt: NOW + r.int(-600, 7200),
          deliveryPaid: r.int(0, 1500),
          goodsPaid: r.int(0, 40000),
        },
      };
  }
}

/** Phase 1: `n` requests `{fn, input}` from `seed`. */
function scenarios(seed, n) {
  const r = rng(seed);
  return Array.from({ length: n }, () => (r.chance(0.8) ? { fn: 'quote', input: quoteInput(r) } : otherScenario(r)));
}

/** Phase 2: refunds, commissions and reversals built from a priced quote. */
function derived(seed, quote) {
  const r = rng(seed);
  const order = {
    lines: quote.lines.map((l) => ({ lineId: l.lineId, quantity: l.quantity, units: l.units })),
    shippingPaid: quote.shipping ? quote.shipping.payable - quote.points.shippingDeduction : 0,
    shippingPoints: quote.points.shippingDeduction,
    pointsUsed: quote.points.used,
    pointsDeduction: quote.points.deduction,
    couponIds: quote.coupons.applied.map((c) => c.couponId),
    payable: quote.payable,
  };
  const out = [{ fn: 'orderSnapshot', input: quote }];
  if (order.lines.length === 0) return out;
  const item = () => {
    const l = r.pick(order.lines);
    return { lineId: l.lineId, quantity: r.int(0, l.quantity + 1) };
  };
  const previous = r.chance(0.5) ? [{ items: [item()], shippingRefunded: r.chance(0.3) }] : [];
  out.push({ fn: 'refund', input: { order, previous, request: { items: [item()], includeShipping: r.chance(0.4) } } });
  const rates = Array.from({ length: r.int(1, r.chance(0.05) ? 4 : 3) }, () => `0.0${r.int(0, 9)}`);
  const commission = { rule: { rates }, promoters: ['p1', 'p2', 'p3'].slice(0, r.int(1, 3)), order, refunded: r.chance(0.3) ? [item()] : [] };
  out.push({ fn: 'commission', input: commission });
  out.push({ fn: 'commissionReversal', input: { commission, refund: [item()] } });
  return out;
}

module.exports = { scenarios, derived, quoteInput, rng, NOW };
