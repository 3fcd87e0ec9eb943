/** Integer fen (1/100 yuan); exact as a JS number (|x| ≤ 2^53 − 1). */
export type Fen = number;
/** A non-negative decimal as a string, e.g. "0.85" (85% of the price, 8.5折). */
export type Rate = string;
/** Unix seconds. */
export type UnixSeconds = number;

/** Thrown by every function: a real `Error` carrying the core's stable code. */
export interface RuleError extends Error {
  /** Stable machine-readable code, e.g. "COUPON_BELOW_THRESHOLD". */
  code: string;
  /** The numbers behind the error (e.g. `shortfall`, `available`). */
  details: Record<string, string | number | boolean | null>;
  /** Developer-facing description (`message` is the shopper-facing one). */
  reason: string;
}

export interface ErrorBody {
  code: string;
  message: string;
  details: Record<string, string | number | boolean | null>;
}

// ---------------------------------------------------------------- catalog and cart

export interface Sku {
  skuId: string;
  spuId?: string | null;
  /** Default "self". */
  shopId?: string;
  categoryIds?: string[];
  listPrice: Fen;
  stock: number;
  /** Default true. */
  onShelf?: boolean;
  /** Default 1. */
  minQuantity?: number;
  perUserLimit?: number | null;
  /** Whether the member discount applies. Default true. */
  memberPrice?: boolean;
  weightGrams?: number;
}

export interface CartLine {
  lineId: string;
  skuId: string;
  quantity: number;
  /** Default true. */
  selected?: boolean;
  activityId?: string | null;
  /** The unit price the client last showed; a different price is PRICE_CHANGED. */
  seenUnitPrice?: Fen | null;
  /** Group buy: open a group (leader) or join one (member); required there, refused elsewhere. */
  groupRole?: GroupRole | null;
}

export interface Purchased {
  skuId: string;
  activityId?: string | null;
  quantity: number;
}

export type PriceSource = "list" | "member" | "flashSale" | "groupBuy" | "bargain";

export interface LineIssue {
  lineId: string;
  skuId: string;
  selected: boolean;
  error: ErrorBody;
}

export interface CartCheck {
  valid: string[];
  invalid: LineIssue[];
}

// ---------------------------------------------------------------- rules

export interface MemberLevel {
  levelId: string;
  name: string;
  minGrowth: number;
  discountRate: Rate;
  freeShipping?: boolean;
  pointsMultiplier: Rate;
}

export interface MemberProgram {
  levels: MemberLevel[];
  growthPerYuan: Rate;
  pointsPerYuan: Rate;
}

export type ActivityKind = "flashSale" | "groupBuy" | "bargain";

export interface ActivityPrice {
  skuId: string;
  price: Fen;
  stock?: number | null;
  /** Group buy: the leader's price (团长价), when it differs. */
  leaderPrice?: Fen | null;
}

export interface Activity {
  activityId: string;
  kind: ActivityKind;
  startsAt: UnixSeconds;
  endsAt: UnixSeconds;
  prices: ActivityPrice[];
  /** Units one shopper may buy across all of this activity's SKUs (earlier purchases included). */
  perUserLimit?: number | null;
  /** Units one shopper may buy of each SKU within this activity. */
  perSkuLimit?: number | null;
  allowCoupons?: boolean;
  allowPoints?: boolean;
  groupSize?: number | null;
}

export interface Scope {
  kind?: "all" | "categories" | "skus";
  ids?: string[];
  excludeSkuIds?: string[];
  excludeCategoryIds?: string[];
}

export type ItemRule =
  | { kind: "quantityDiscount"; tiers: { minQuantity: number; rate: Rate }[] }
  | { kind: "nthItem"; n: number; rate: Rate }
  | { kind: "buyXGetY"; buy: number; get: number; maxTimes?: number | null };

export interface ItemPromotion {
  promotionId: string;
  shopId?: string;
  priority?: number;
  scope?: Scope;
  startsAt?: UnixSeconds | null;
  endsAt?: UnixSeconds | null;
  rule: ItemRule;
}

export type CampaignRule =
  | { kind: "amountOff"; tiers: { threshold: Fen; amount: Fen }[]; repeat?: boolean; cap?: Fen | null }
  | { kind: "rateOff"; tiers: { threshold: Fen; rate: Rate }[] };

export interface Campaign {
  campaignId: string;
  shopId?: string;
  priority?: number;
  scope?: Scope;
  startsAt?: UnixSeconds | null;
  endsAt?: UnixSeconds | null;
  rule: CampaignRule;
}

export interface PointsRule {
  pointsPerYuan: number;
  maxShare: Rate;
  coverShipping?: boolean;
  withCoupons?: boolean;
}

export interface ExpressRule {
  regions?: string[];
  first: number;
  firstFee: Fen;
  additional: number;
  additionalFee: Fen;
}

export interface ExpressTemplate {
  shopId: string;
  basis: "piece" | "weight";
  rules: ExpressRule[];
  freeOver?: Fen | null;
}

export interface DeliverySlot {
  slotId: string;
  startsAt: UnixSeconds;
  endsAt: UnixSeconds;
  surcharge?: Fen;
  full?: boolean;
}

export type Compensation =
  | { kind: "fixed"; amount: Fen }
  | { kind: "deliveryFee" }
  | { kind: "shareOfGoods"; rate: Rate };

export interface LateRule {
  tiers: { afterMinutes: number; compensation: Compensation }[];
  cap?: Fen | null;
}

export interface SameCityRule {
  tiers: { maxMeters: number; fee: Fen }[];
  slots?: DeliverySlot[];
  leadMinutes?: number;
  freeOver?: Fen | null;
  late?: LateRule | null;
}

export interface ShippingRules {
  express?: ExpressTemplate[];
  pickupStores?: string[];
  sameCity?: SameCityRule | null;
}

export type ThresholdBase = "afterEarlierLayers" | "salePrice";

export interface ShopRules {
  member?: MemberProgram;
  itemPromotions?: ItemPromotion[];
  campaigns?: Campaign[];
  activities?: Activity[];
  points?: PointsRule | null;
  shipping?: ShippingRules;
  thresholdBase?: ThresholdBase;
}

// ---------------------------------------------------------------- buyer and options

export type CouponKind =
  | { kind: "threshold"; threshold: Fen; amount: Fen }
  | { kind: "noThreshold"; amount: Fen }
  | { kind: "percent"; rate: Rate; cap?: Fen | null; threshold?: Fen }
  | { kind: "freeShipping"; threshold?: Fen; cap?: Fen | null };

export interface Coupon {
  couponId: string;
  batchId?: string | null;
  title?: string | null;
  /** Absent for a platform coupon. */
  shopId?: string | null;
  kind: CouponKind;
  scope?: Scope;
  validFrom: UnixSeconds;
  validUntil: UnixSeconds;
  stackable?: boolean;
  withCampaigns?: boolean;
  status?: "available" | "used";
}

export interface Buyer {
  growth?: number;
  pointsBalance?: number;
  purchased?: Purchased[];
  coupons?: Coupon[];
}

export type CouponChoice =
  | { kind: "best" }
  | { kind: "none" }
  | { kind: "manual"; couponIds: string[] };

export type PointsChoice = { kind: "none" } | { kind: "max" } | { kind: "exactly"; points: number };

export type Delivery =
  | { kind: "express"; regionCode: string }
  | { kind: "pickup"; storeId: string }
  | { kind: "sameCity"; distanceMeters: number; slotId?: string | null };

export interface QuoteOptions {
  coupons?: CouponChoice;
  points?: PointsChoice;
  delivery?: Delivery | null;
}

export interface QuoteInput {
  now: UnixSeconds;
  catalog: Sku[];
  lines: CartLine[];
  rules?: ShopRules;
  buyer?: Buyer;
  options?: QuoteOptions;
}

// ---------------------------------------------------------------- quote

export type DiscountKind = "itemPromotion" | "campaign" | "shopCoupon" | "platformCoupon";

export interface Allocation {
  lineId: string;
  amount: Fen;
}

export interface AppliedDiscount {
  kind: DiscountKind;
  sourceId: string;
  base: Fen;
  amount: Fen;
  allocations: Allocation[];
}

export interface UnitGroup {
  count: number;
  net: Fen;
  points: Fen;
  paid: Fen;
}

export interface QuotedLine {
  lineId: string;
  skuId: string;
  shopId: string;
  quantity: number;
  listPrice: Fen;
  unitPrice: Fen;
  priceSource: PriceSource;
  activityId: string | null;
  subtotal: Fen;
  itemDiscount: Fen;
  orderDiscount: Fen;
  net: Fen;
  pointsDeduction: Fen;
  paid: Fen;
  units: UnitGroup[];
}

export interface CampaignHint {
  campaignId: string;
  base: Fen;
  nextThreshold: Fen;
  shortfall: Fen;
  nextAmount: Fen;
}

export interface AppliedCoupon {
  couponId: string;
  amount: Fen;
}

export interface UnusableCoupon {
  couponId: string;
  error: ErrorBody;
  shortfall: Fen | null;
}

export interface CouponReport {
  mode: "exact" | "greedy" | "manual" | "none";
  applied: AppliedCoupon[];
  available: string[];
  unusable: UnusableCoupon[];
  combinations: number;
}

export interface PointsUse {
  used: number;
  deduction: Fen;
  goodsDeduction: Fen;
  shippingDeduction: Fen;
  maxDeduction: Fen;
}

export type FreeReason = "member" | "threshold" | "coupon" | "pickup";

export interface ShopShipping {
  shopId: string;
  fee: Fen;
  discount: Fen;
  payable: Fen;
  freeReason: FreeReason | null;
}

export interface ShippingQuote {
  method: "express" | "pickup" | "sameCity";
  fee: Fen;
  discount: Fen;
  payable: Fen;
  shops: ShopShipping[];
  slotId: string | null;
  promisedBy: UnixSeconds | null;
}

export interface LevelRef {
  levelId: string;
  name: string;
  discountRate: Rate;
  freeShipping: boolean;
  pointsMultiplier: Rate;
}

export interface Quote {
  lines: QuotedLine[];
  invalidLines: LineIssue[];
  listTotal: Fen;
  goodsTotal: Fen;
  itemDiscount: Fen;
  orderDiscount: Fen;
  goodsNet: Fen;
  discounts: AppliedDiscount[];
  hints: CampaignHint[];
  coupons: CouponReport;
  points: PointsUse;
  shipping: ShippingQuote | null;
  payable: Fen;
  member: LevelRef | null;
  rewards: { growth: number; points: number };
  fingerprint: string;
}

// ---------------------------------------------------------------- member

export interface MemberStatus {
  growth: number;
  level: LevelRef | null;
  next: {
    levelId: string;
    name: string;
    minGrowth: number;
    growthNeeded: number;
    spendNeeded: Fen | null;
  } | null;
}

// ---------------------------------------------------------------- refunds, commission, bargain, delivery

export interface OrderSnapshot {
  lines: { lineId: string; quantity: number; units: UnitGroup[] }[];
  shippingPaid: Fen;
  shippingPoints?: Fen;
  pointsUsed: number;
  pointsDeduction: Fen;
  couponIds: string[];
  payable: Fen;
}

export interface RefundItem {
  lineId: string;
  quantity: number;
}

export interface RefundInput {
  order: OrderSnapshot;
  previous?: {
    items: RefundItem[];
    shippingRefunded?: boolean;
    /** Cash this refund actually paid per line (its quote's `lines`); absent: counted by units. */
    lines?: { lineId: string; quantity: number; amount: Fen }[];
    /** Points this refund actually gave back (its quote's `pointsReturned`). */
    pointsReturned?: number;
  }[];
  request: { items: RefundItem[]; includeShipping?: boolean };
}

export interface RefundQuote {
  lines: { lineId: string; quantity: number; amount: Fen; pointsDeduction: Fen }[];
  goodsAmount: Fen;
  shippingAmount: Fen;
  amount: Fen;
  pointsReturned: number;
  couponsReturned: string[];
  wholeOrder: boolean;
  remaining: Fen;
}

export interface CommissionInput {
  rule: { rates?: Rate[] };
  promoters: string[];
  order: OrderSnapshot;
  refunded?: RefundItem[];
}

export interface Commission {
  base: Fen;
  shares: { level: number; promoterId: string; rate: Rate; amount: Fen }[];
}

export interface BargainInput {
  price: Fen;
  floor: Fen;
  helpers: number;
  seed: number;
}

export interface BargainPlan {
  total: Fen;
  cuts: Fen[];
}

export type GroupRole = "leader" | "member";
export type GroupStatus = "pending" | "open" | "success" | "autoSuccess" | "failed" | "cancelled";

export interface GroupState {
  status: GroupStatus;
  size: number;
  /** Seats taken by orders, paid or not. */
  held: number;
  paid: number;
  expiresAt?: UnixSeconds | null;
}

export interface GroupProgressInput {
  group: GroupState;
  now: UnixSeconds;
}

export interface GroupProgress {
  status: GroupStatus;
  size: number;
  paid: number;
  /** 还差N人成团 */
  needed: number;
  seatsLeft: number;
  secondsLeft: number;
  joinable: boolean;
}

export interface GroupJoinInput {
  group: GroupState;
  now: UnixSeconds;
  alreadyMember?: boolean;
}

export interface GroupExpiryInput {
  group: GroupState;
  now: UnixSeconds;
  /** 系统成团 threshold, 1–100 percent of seats paid. */
  autoSuccessPercent?: number | null;
}

export interface GroupExpiryDecision {
  outcome: "wait" | "success" | "autoSuccess" | "failed";
  reason: string;
}

export interface BargainProgressInput {
  price: Fen;
  floor: Fen;
  cuts: Fen[];
  helped: number;
  buyBeforeFloor?: boolean;
}

export interface BargainProgress {
  cut: Fen;
  currentPrice: Fen;
  helpersNeeded: number;
  helpersLeft: number;
  floorReached: boolean;
  buyable: boolean;
  lastCut: Fen | null;
  nextCut: Fen | null;
}

export interface LateDeliveryInput {
  rule: LateRule;
  promisedBy: UnixSeconds;
  deliveredAt: UnixSeconds;
  deliveryPaid: Fen;
  goodsPaid: Fen;
}

export interface LateCompensation {
  minutesLate: number;
  tierAfterMinutes: number | null;
  amount: Fen;
}

export interface StreakBonus {
  day: number;
  points?: number;
  growth?: number;
}

export interface SigninRule {
  enabled?: boolean;
  pointsPerDay?: number;
  growthPerDay?: number;
  bonuses?: StreakBonus[];
  cycle?: boolean;
}

export interface SigninInput {
  rule: SigninRule;
  /** Beijing day number of the last sign-in, before `today`. */
  lastDay?: number | null;
  lastStreak?: number;
  today: number;
}

export interface NextBonus {
  day: number;
  daysLeft: number;
  points: number;
  growth: number;
}

export interface SigninReward {
  streak: number;
  cycleDay: number;
  points: number;
  growth: number;
  bonus: Required<StreakBonus> | null;
  nextBonus: NextBonus | null;
}

export type GiftCouponState = 'available' | 'used' | 'gifting' | 'gifted';

export interface GiftInput {
  couponId: string;
  state: GiftCouponState;
  transferable: boolean;
  receivedAsGift?: boolean;
  validUntil: UnixSeconds;
  now: UnixSeconds;
}

export interface GiftEligibility {
  expiresAt: UnixSeconds;
}

/** 已结束 / 未开始 / 已达限购 / 已抢光 / 排队中 / 抢购中, in the order they are decided. */
export type FlashPhase = "ended" | "notStarted" | "limitReached" | "soldOut" | "queued" | "selling";

export interface FlashStateInput {
  startsAt: UnixSeconds;
  endsAt: UnixSeconds;
  now: UnixSeconds;
  /** Units not yet claimed (database, Redis, or 0 for a sold-out flag). */
  unitsLeft: number;
  /** Claims being applied right now. */
  inFlight?: number;
  /** Most claims applied at once; none: unbounded. */
  maxInFlight?: number | null;
  /** Units this shopper bought or holds in the activity. */
  userBought?: number;
  perUserLimit?: number | null;
  /** Spreads the retries of queued shoppers (e.g. a hash of the user id). */
  retrySeed?: number;
}

export interface FlashState {
  phase: FlashPhase;
  secondsToStart: number;
  secondsLeft: number;
  /** Only while selling. */
  mayAttempt: boolean;
  /** Most units one claim may take now (selling or queued), else 0. */
  maxQuantity: number;
  /** Only while queued: ask again after this many milliseconds (500–999). */
  retryAfterMs: number | null;
}

export interface FlashBucketsInput {
  stock: number;
  /** 1–64 */
  buckets: number;
}

/** RFM segments (issue 16): by recency, then frequency. */
export type Segment = "new" | "highFrequency" | "active" | "atRisk" | "dormant";

export interface SegmentRules {
  /** Registered within this many days without an order: new (default 30). */
  newDays?: number;
  /** Ordered within this many days: active (default 30). */
  activeDays?: number;
  /** No order for more than this many days: dormant (default 90; more than activeDays). */
  dormantDays?: number;
  /** The window recentOrders counts (default 90). */
  frequencyWindowDays?: number;
  /** Active with at least this many recent orders: highFrequency (default 5). */
  highFrequencyOrders?: number;
}

export interface MemberSnapshot {
  userId: string;
  registeredAt: UnixSeconds;
  lastOrderAt?: UnixSeconds | null;
  /** Paid orders within the frequency window. */
  recentOrders?: number;
  /** The member level's index (0 = lowest). */
  level?: number;
  tags?: string[];
}

export interface SegmentInput {
  now: UnixSeconds;
  member: MemberSnapshot;
  rules?: SegmentRules;
}

export interface MemberSegment {
  segment: Segment;
  /** Whole days since the last order; null: never ordered. */
  daysSinceOrder: number | null;
}

export interface Audience {
  segments?: Segment[];
  minLevel?: number | null;
  /** At least one of these tags. */
  tags?: string[];
  /** No order for at least this many days (never ordered counts). */
  noOrderDays?: number | null;
}

export interface CampaignInput {
  now: UnixSeconds;
  campaignId: string;
  member: MemberSnapshot;
  rules?: SegmentRules;
  audience?: Audience;
  caps?: { perCampaign?: number | null; perWeek?: number | null };
  sentByCampaign?: number;
  sentThisWeek?: number;
  /** Held-out share in basis points, 0–5000. */
  holdoutBps?: number;
}

export type Decision = "send" | "notInAudience" | "holdout" | "campaignCapReached" | "weeklyCapReached";

export interface CampaignDecision {
  decision: Decision;
  segment: Segment;
  /** The member's stable place in 0..10000 for this campaign. */
  bucket: number;
}

export interface WeekSlotInput {
  now: UnixSeconds;
  /** 1 = Monday … 7 = Sunday, Beijing time. */
  weekday: number;
  hour?: number;
  minute?: number;
}

/** Recommendations (issue 16). Similarities are parts per million (0–1000000). */
export type EventKind = "view" | "purchase";

export interface EventWeights {
  /** 1–100 (default 1). */
  view?: number;
  /** view–100 (default 5). */
  purchase?: number;
}

export interface ShopEvent {
  userId: string;
  productId: string;
  kind: EventKind;
  at: UnixSeconds;
}

export interface SimilarityInput {
  now: UnixSeconds;
  /** Default 30 days. */
  halfLifeSeconds?: number;
  /** Neighbours per product, 1–200 (default 20). */
  topK?: number;
  weights?: EventWeights;
  /** Cosine × n / (n + shrink), n = shoppers with both (default 2). */
  shrink?: number;
  /** A shopper's strongest products considered (default 200). */
  maxProductsPerShopper?: number;
  events: ShopEvent[];
}

export interface Neighbour {
  productId: string;
  /** Parts per million. */
  score: number;
}

export interface Neighbours {
  productId: string;
  neighbours: Neighbour[];
}

export interface SimilarityTable {
  /** By product id. */
  products: Neighbours[];
}

/** home = 为你推荐; product = 猜你喜欢 on a product page; cart = below the cart. */
export type Slot = "home" | "product" | "cart" | "search";

export interface ShopperEvent {
  productId: string;
  kind: EventKind;
  at: UnixSeconds;
}

export interface ProductState {
  productId: string;
  categoryId: string;
  onShelf: boolean;
  soldOut: boolean;
}

export interface RecommendRules {
  /** Default 7 days. */
  halfLifeSeconds?: number;
  /** Not shown again within this many days of a purchase unless consumable (default 30; 0: off). */
  boughtWithinDays?: number;
  /** 1–200 (default 20). */
  maxSeeds?: number;
  weights?: EventWeights;
}

/** The shop's side: the same for every shopper until the job recomputes it. */
export interface RecommendShop {
  /** Sorted by product id, each once; a product not listed is never shown. */
  products: ProductState[];
  /** Sorted by product id, at most 200 neighbours each. */
  similar?: Neighbours[];
  /** The shopper's channel's best sellers, best first (at most 1000). */
  bestSellers?: string[];
  consumableCategories?: string[];
  rules?: RecommendRules;
}

/** The shopper's side. */
export interface ShopperRequest {
  now: UnixSeconds;
  slot: Slot;
  /** 1–100 (default 10). */
  count?: number;
  history?: ShopperEvent[];
  /** Required on the product slot. */
  currentProductId?: string | null;
  cartProductIds?: string[];
}

export interface RecommendInput {
  shop: RecommendShop;
  shopper: ShopperRequest;
}

export type ReasonKind = "viewed" | "bought" | "bestSeller";

export interface Reason {
  kind: ReasonKind;
  /** The seed product; absent for a best seller. */
  productId?: string;
  /** "because you viewed p1", "because you bought p1" or "best seller". */
  text: string;
}

export interface Recommendation {
  productId: string;
  /** 0 for a best seller. */
  score: number;
  reason: Reason;
}

export interface Recommendations {
  items: Recommendation[];
}

export interface OrderLine {
  productId: string;
  channel: string;
  quantity: number;
  at: UnixSeconds;
}

export interface BestSellersInput {
  now: UnixSeconds;
  channel: string;
  /** 1–3650 (default 30). */
  windowDays?: number;
  /** 1–1000 (default 100). */
  count?: number;
  lines: OrderLine[];
}

export interface BestSellers {
  items: { productId: string; units: number }[];
}

export interface SearchQuery {
  query: string;
  at: UnixSeconds;
}

export interface SearchTerm {
  text: string;
  categoryId: string;
  popularity?: number;
}

export interface SuggestInput {
  prefix?: string;
  history?: SearchQuery[];
  /** Most preferred first. */
  preferredCategories?: string[];
  terms?: SearchTerm[];
  /** 1–50 (default 10). */
  count?: number;
  /** "prefix" (default): texts starting with the prefix; "contains": texts holding it. */
  matching?: "prefix" | "contains";
}

export type SuggestionSource = "history" | "preferredCategory" | "popular";

export interface Suggestion {
  text: string;
  source: SuggestionSource;
}
