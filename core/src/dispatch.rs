//! Call an entry point by name on JSON (the shared vectors' `fn` names). Used by
//! the vector runner, the native side of the wasm differential test and the CLI.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::commission::CommissionInput;
use crate::error::{Result, RuleError};
use crate::member::MemberProgram;
use crate::refund::RefundItem;

/// Every entry point, by the name its wasm export has.
pub const ENTRY_POINTS: &[&str] = &[
    "quote",
    "validateCart",
    "bestCoupons",
    "memberStatus",
    "orderSnapshot",
    "refund",
    "commission",
    "commissionReversal",
    "bargainSplit",
    "bargainProgress",
    "bargainPrice",
    "lateCompensation",
    "groupProgress",
    "checkGroupJoin",
    "groupAtExpiry",
    "signinReward",
    "giftEligibility",
    "flashState",
    "flashBuckets",
    "memberSegment",
    "campaignDecision",
    "beijingWeekSlot",
    "itemSimilarity",
    "recommend",
    "bestSellers",
    "searchSuggestions",
];

fn parse<T: DeserializeOwned>(v: Value) -> Result<T> {
    serde_json::from_value(v).map_err(|e| RuleError::invalid("input", e.to_string()))
}

fn out<T: Serialize>(v: T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| RuleError::invalid("output", e.to_string()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MemberStatusInput {
    program: MemberProgram,
    growth: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReversalInput {
    commission: CommissionInput,
    refund: Vec<RefundItem>,
}

/// Run entry point `name` on `input`. Entry points with two arguments take an
/// object: `memberStatus {program, growth}`, `commissionReversal {commission, refund}`.
pub fn call(name: &str, input: Value) -> Result<Value> {
    match name {
        "quote" => out(crate::quote(&parse(input)?)?),
        "validateCart" => out(crate::validate_cart(&parse(input)?)?),
        "bestCoupons" => out(crate::best_coupons(&parse(input)?)?),
        "memberStatus" => {
            let i: MemberStatusInput = parse(input)?;
            out(crate::member_status(&i.program, i.growth)?)
        }
        "orderSnapshot" => {
            let q: crate::Quote = parse(input)?;
            out(crate::OrderSnapshot::from(&q))
        }
        "refund" => out(crate::refund(&parse(input)?)?),
        "commission" => out(crate::commission(&parse(input)?)?),
        "commissionReversal" => {
            let i: ReversalInput = parse(input)?;
            out(crate::commission_reversal(&i.commission, &i.refund)?)
        }
        "bargainSplit" => out(crate::bargain_split(&parse(input)?)?),
        "bargainProgress" => out(crate::bargain_progress(&parse(input)?)?),
        "bargainPrice" => out(crate::bargain_price(&parse(input)?)?),
        "lateCompensation" => out(crate::late_compensation(&parse(input)?)?),
        "groupProgress" => out(crate::group_progress(&parse(input)?)?),
        "checkGroupJoin" => out(crate::check_join(&parse(input)?)?),
        "groupAtExpiry" => out(crate::group_at_expiry(&parse(input)?)?),
        "signinReward" => out(crate::signin_reward(&parse(input)?)?),
        "giftEligibility" => out(crate::gift_eligibility(&parse(input)?)?),
        "flashState" => out(crate::flash_state(&parse(input)?)?),
        "flashBuckets" => out(crate::flash_buckets(&parse(input)?)?),
        "memberSegment" => out(crate::member_segment(&parse(input)?)?),
        "campaignDecision" => out(crate::campaign_decision(&parse(input)?)?),
        "beijingWeekSlot" => out(crate::beijing_week_slot(&parse(input)?)?),
        "itemSimilarity" => out(crate::item_similarity(&parse(input)?)?),
        "recommend" => out(crate::recommend(&parse(input)?)?),
        "bestSellers" => out(crate::best_sellers(&parse(input)?)?),
        "searchSuggestions" => out(crate::search_suggestions(&parse(input)?)?),
        other => Err(RuleError::invalid(
            "fn",
            format!("unknown entry point {other}"),
        )),
    }
}
