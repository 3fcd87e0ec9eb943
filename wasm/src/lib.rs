//! WebAssembly bindings of mall-core: one thin function per core entry point,
//! `JS object -> core call -> JS object`, nothing else. Amounts are integer fen,
//! rates are decimal strings; errors are JS `Error`s with the core's `code`.
//! The TypeScript declarations of every input and output are in `types.d.ts`
//! (included below).

mod error;

use mall_core::refund::RefundItem;
use mall_core::RuleError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

/// JS object -> JSON text (the engine's own `JSON.stringify`) -> input type, with
/// the same serde_json parser as natively: unknown fields are rejected exactly as
/// natively (`deny_unknown_fields`), errors read the same on both targets, and a
/// whole cart crosses the boundary in one call instead of one per field.
fn input<T: DeserializeOwned>(v: JsValue) -> Result<T, JsValue> {
    let invalid = |reason: String| error::to_js(&RuleError::invalid("input", reason));
    if v.is_undefined() {
        return Err(invalid("missing argument".into()));
    }
    let text = js_sys::JSON::stringify(&v)
        .map_err(|_| invalid("not serializable as JSON".into()))?
        .as_string()
        .ok_or_else(|| invalid("not serializable as JSON".into()))?;
    serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))
}

/// Output -> JSON text -> a plain JS object (`JSON.parse`).
fn output<T: Serialize>(r: Result<T, RuleError>) -> Result<JsValue, JsValue> {
    let v = r.map_err(|e| error::to_js(&e))?;
    let text = serde_json::to_string(&v)
        .map_err(|e| error::to_js(&RuleError::invalid("output", e.to_string())))?;
    js_sys::JSON::parse(&text)
}

/// Price a cart: the full breakdown (docs/rules.md).
#[wasm_bindgen(unchecked_return_type = "Quote")]
pub fn quote(
    #[wasm_bindgen(unchecked_param_type = "QuoteInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::QuoteInput = input(input_)?;
    output(mall_core::quote(&i))
}

/// Which cart lines are valid, and why the others are not.
#[wasm_bindgen(js_name = validateCart, unchecked_return_type = "CartCheck")]
pub fn validate_cart(
    #[wasm_bindgen(unchecked_param_type = "QuoteInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::QuoteInput = input(input_)?;
    output(mall_core::validate_cart(&i))
}

/// The best coupon combination and, for every other coupon, why it is not usable.
#[wasm_bindgen(js_name = bestCoupons, unchecked_return_type = "CouponReport")]
pub fn best_coupons(
    #[wasm_bindgen(unchecked_param_type = "QuoteInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::QuoteInput = input(input_)?;
    output(mall_core::best_coupons(&i))
}

/// Level and the 'spend ¥X more to reach …' preview.
#[wasm_bindgen(js_name = memberStatus, unchecked_return_type = "MemberStatus")]
pub fn member_status(
    #[wasm_bindgen(unchecked_param_type = "MemberProgram")] program: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] growth: JsValue,
) -> Result<JsValue, JsValue> {
    let p: mall_core::MemberProgram = input(program)?;
    let g: u64 = input(growth)?;
    output(mall_core::member_status(&p, g))
}

/// What an order stores at checkout (from its quote), for refunds and commission.
#[wasm_bindgen(js_name = orderSnapshot, unchecked_return_type = "OrderSnapshot")]
pub fn order_snapshot(
    #[wasm_bindgen(unchecked_param_type = "Quote")] quote: JsValue,
) -> Result<JsValue, JsValue> {
    let q: mall_core::Quote = input(quote)?;
    output(Ok(mall_core::OrderSnapshot::from(&q)))
}

/// The amounts, points and coupons a refund returns.
#[wasm_bindgen(unchecked_return_type = "RefundQuote")]
pub fn refund(
    #[wasm_bindgen(unchecked_param_type = "RefundInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::RefundInput = input(input_)?;
    output(mall_core::refund(&i))
}

/// Distribution commission per level.
#[wasm_bindgen(unchecked_return_type = "Commission")]
pub fn commission(
    #[wasm_bindgen(unchecked_param_type = "CommissionInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::CommissionInput = input(input_)?;
    output(mall_core::commission(&i))
}

/// Commission reversed by refunding `refund` units.
#[wasm_bindgen(js_name = commissionReversal, unchecked_return_type = "Commission")]
pub fn commission_reversal(
    #[wasm_bindgen(unchecked_param_type = "CommissionInput")] input_: JsValue,
    #[wasm_bindgen(unchecked_param_type = "RefundItem[]")] refund: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::CommissionInput = input(input_)?;
    let r: Vec<RefundItem> = input(refund)?;
    output(mall_core::commission_reversal(&i, &r))
}

/// Split a bargain into helper cuts from a seed.
#[wasm_bindgen(js_name = bargainSplit, unchecked_return_type = "BargainPlan")]
pub fn bargain_split(
    #[wasm_bindgen(unchecked_param_type = "BargainInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::BargainInput = input(input_)?;
    output(mall_core::bargain_split(&i))
}

/// Where a group buy stands (还差N人成团, time left, joinable).
#[wasm_bindgen(js_name = groupProgress, unchecked_return_type = "GroupProgress")]
pub fn group_progress(
    #[wasm_bindgen(unchecked_param_type = "GroupProgressInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::ProgressInput = input(input_)?;
    output(mall_core::group_progress(&i))
}

/// Whether a shopper may join a group now (throws the reason when not).
#[wasm_bindgen(js_name = checkGroupJoin, unchecked_return_type = "GroupProgress")]
pub fn check_group_join(
    #[wasm_bindgen(unchecked_param_type = "GroupJoinInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::JoinInput = input(input_)?;
    output(mall_core::check_join(&i))
}

/// What an open group becomes at its expiry.
#[wasm_bindgen(js_name = groupAtExpiry, unchecked_return_type = "GroupExpiryDecision")]
pub fn group_at_expiry(
    #[wasm_bindgen(unchecked_param_type = "GroupExpiryInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::ExpiryInput = input(input_)?;
    output(mall_core::group_at_expiry(&i))
}

/// Where a bargain stands: cut so far, current price, helpers still needed.
#[wasm_bindgen(js_name = bargainProgress, unchecked_return_type = "BargainProgress")]
pub fn bargain_progress(
    #[wasm_bindgen(unchecked_param_type = "BargainProgressInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::BargainProgressInput = input(input_)?;
    output(mall_core::bargain_progress(&i))
}

/// The price a bargain is bought at now (BARGAIN_FLOOR_NOT_REACHED if not yet).
#[wasm_bindgen(js_name = bargainPrice, unchecked_return_type = "Fen")]
pub fn bargain_price(
    #[wasm_bindgen(unchecked_param_type = "BargainProgressInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::BargainProgressInput = input(input_)?;
    output(mall_core::bargain_price(&i))
}

/// What is owed for a late same-city delivery.
#[wasm_bindgen(js_name = lateCompensation, unchecked_return_type = "LateCompensation")]
pub fn late_compensation(
    #[wasm_bindgen(unchecked_param_type = "LateDeliveryInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::LateDeliveryInput = input(input_)?;
    output(mall_core::late_compensation(&i))
}

/// Today's sign-in streak, points, growth and next bonus (签到).
#[wasm_bindgen(js_name = signinReward, unchecked_return_type = "SigninReward")]
pub fn signin_reward(
    #[wasm_bindgen(unchecked_param_type = "SigninInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::SigninInput = input(input_)?;
    output(mall_core::signin_reward(&i))
}

/// Whether a wallet coupon may be gifted now, and until when the card stays open.
#[wasm_bindgen(js_name = giftEligibility, unchecked_return_type = "GiftEligibility")]
pub fn gift_eligibility(
    #[wasm_bindgen(unchecked_param_type = "GiftInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::GiftInput = input(input_)?;
    output(mall_core::gift_eligibility(&i))
}

/// A flash sale's state for the shopper: 未开始 / 抢购中 / 排队中 / 已抢光 / 已达限购 / 已结束.
#[wasm_bindgen(js_name = flashState, unchecked_return_type = "FlashState")]
pub fn flash_state(
    #[wasm_bindgen(unchecked_param_type = "FlashStateInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::FlashStateInput = input(input_)?;
    output(mall_core::flash_state(&i))
}

/// A flash sale's stock split into buckets that sum exactly and differ by at most one.
#[wasm_bindgen(js_name = flashBuckets, unchecked_return_type = "number[]")]
pub fn flash_buckets(
    #[wasm_bindgen(unchecked_param_type = "FlashBucketsInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::FlashBucketsInput = input(input_)?;
    output(mall_core::flash_buckets(&i))
}

/// A member's segment (new / highFrequency / active / atRisk / dormant) at `now`.
#[wasm_bindgen(js_name = memberSegment, unchecked_return_type = "MemberSegment")]
pub fn member_segment(
    #[wasm_bindgen(unchecked_param_type = "SegmentInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::SegmentInput = input(input_)?;
    output(mall_core::member_segment(&i))
}

/// Whether a member receives a campaign now: audience, holdout, caps.
#[wasm_bindgen(js_name = campaignDecision, unchecked_return_type = "CampaignDecision")]
pub fn campaign_decision(
    #[wasm_bindgen(unchecked_param_type = "CampaignInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::CampaignInput = input(input_)?;
    output(mall_core::campaign_decision(&i))
}

/// The latest start of a weekly Beijing-time slot at or before `now` (unix seconds).
#[wasm_bindgen(js_name = beijingWeekSlot, unchecked_return_type = "UnixSeconds")]
pub fn beijing_week_slot(
    #[wasm_bindgen(unchecked_param_type = "WeekSlotInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::WeekSlotInput = input(input_)?;
    output(mall_core::beijing_week_slot(&i))
}

/// Each product's top-K neighbours from time-decayed co-views and co-purchases.
#[wasm_bindgen(js_name = itemSimilarity, unchecked_return_type = "SimilarityTable")]
pub fn item_similarity(
    #[wasm_bindgen(unchecked_param_type = "SimilarityInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::SimilarityInput = input(input_)?;
    output(mall_core::item_similarity(&i))
}

/// One shopper's recommendations for a slot, each with its reason.
#[wasm_bindgen(unchecked_return_type = "Recommendations")]
pub fn recommend(
    #[wasm_bindgen(unchecked_param_type = "RecommendInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::RecommendInput = input(input_)?;
    output(mall_core::recommend(&i))
}

/// A channel's best sellers over a window of days.
#[wasm_bindgen(js_name = bestSellers, unchecked_return_type = "BestSellers")]
pub fn best_sellers(
    #[wasm_bindgen(unchecked_param_type = "BestSellersInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::BestSellersInput = input(input_)?;
    output(mall_core::best_sellers(&i))
}

/// Search suggestions for a prefix: the shopper's history, then preferred categories.
#[wasm_bindgen(js_name = searchSuggestions, unchecked_return_type = "Suggestion[]")]
pub fn search_suggestions(
    #[wasm_bindgen(unchecked_param_type = "SuggestInput")] input_: JsValue,
) -> Result<JsValue, JsValue> {
    let i: mall_core::SuggestInput = input(input_)?;
    output(mall_core::search_suggestions(&i))
}
