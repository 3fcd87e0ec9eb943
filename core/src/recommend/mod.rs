//! Recommendations (issue 16): 为你推荐 on the home page, 猜你喜欢 on the
//! product page and below the cart, and personalized search suggestions.
//!
//! - [`item_similarity`]: for each product its top-K neighbours from co-views
//!   and co-purchases — time-decayed, purchases weighted more than views,
//!   cosine-normalised so best sellers do not become everyone's neighbour.
//!   A background job computes it.
//! - [`recommend`]: one shopper's list for a slot: neighbours of their recent
//!   views and purchases (recency-weighted), filled up with the channel's best
//!   sellers; never off-shelf, sold out, unknown or just bought (consumable
//!   categories excepted), never the product on screen or what is in the cart.
//!   Each item carries the reason the merchant sees. The server checks the
//!   shop's side once ([`ShopModel::new`]) and calls [`recommend_for`] per
//!   request.
//! - [`best_sellers`]: a channel's best sellers over a window of days.
//! - [`search_suggestions`]: history first, then the preferred categories.
//!
//! **Arithmetic.** Scores are integers so the server and the phone agree bit
//! for bit: similarities are parts per million (0–1,000,000), time decay is
//! `2^(−age / halfLife)` in Q32 fixed point (1.0 = 2^32), computed from exact
//! integer constants. No floats (the workspace denies float arithmetic).
//! Ties are broken by id, ascending.

mod best;
mod feed;
mod search;
mod similarity;

use serde::{Deserialize, Serialize};

use crate::error::{Result, RuleError};

pub use best::{best_sellers, BestSeller, BestSellers, BestSellersInput, OrderLine};
pub use feed::{
    recommend, recommend_for, ProductState, Reason, ReasonKind, RecommendInput, RecommendRules,
    RecommendShop, Recommendation, Recommendations, ShopModel, ShopperEvent, ShopperRequest, Slot,
};
pub use search::{
    search_suggestions, Matching, SearchQuery, SearchTerm, SuggestInput, Suggestion,
    SuggestionSource,
};
pub use similarity::{
    item_similarity, Event, EventWeights, Neighbour, Neighbours, SimilarityInput, SimilarityTable,
};

pub(crate) const DAY: i64 = 86_400;
/// Similarity scores are parts per million.
pub const PPM: u64 = 1_000_000;
/// 1.0 in Q32 fixed point.
pub const ONE_Q32: u64 = 1 << 32;
/// Half-lives from one second to ten years.
pub const MAX_HALF_LIFE: u64 = 3_650 * 86_400;
/// Ids are 1 to 64 characters.
pub const MAX_ID: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EventKind {
    View,
    Purchase,
}

/// `2^(−2^−(i+1))` in Q32, rounded: the factor for binary digit i + 1 of the
/// fraction of a half-life.
const HALF_ROOTS: [u128; 32] = [
    3_037_000_500,
    3_611_622_603,
    3_938_502_376,
    4_112_874_773,
    4_202_935_003,
    4_248_701_965,
    4_271_771_996,
    4_283_353_945,
    4_289_156_690,
    4_292_061_010,
    4_293_513_907,
    4_294_240_540,
    4_294_603_903,
    4_294_785_595,
    4_294_876_445,
    4_294_921_870,
    4_294_944_583,
    4_294_955_939,
    4_294_961_618,
    4_294_964_457,
    4_294_965_876,
    4_294_966_586,
    4_294_966_941,
    4_294_967_119,
    4_294_967_207,
    4_294_967_252,
    4_294_967_274,
    4_294_967_285,
    4_294_967_290,
    4_294_967_293,
    4_294_967_295,
    4_294_967_295,
];

/// `2^(−age / halfLife)` in Q32 (2^32 = 1.0): whole half-lives are shifts, the
/// rest is the fraction's 32 binary digits, each a multiplication by an exact
/// constant rounded half up (within 1 in 10^7 of the exact power). An event
/// in the future counts as now; one older than 32 half-lives counts 0.
pub fn decay_q32(now: i64, at: i64, half_life: u64) -> u64 {
    let age = (i128::from(now) - i128::from(at)).max(0);
    let hl = i128::from(half_life.max(1));
    let halvings = age / hl;
    if halvings >= 33 {
        return 0;
    }
    let frac = ((age % hl) << 32) / hl;
    let mut r: u128 = u128::from(ONE_Q32);
    for (i, c) in HALF_ROOTS.iter().enumerate() {
        if frac & (1 << (31 - i)) != 0 {
            r = (r * c + (1 << 31)) >> 32;
        }
    }
    u64::try_from(r >> halvings).unwrap_or(ONE_Q32)
}

/// ⌊√n⌋, exact (Newton's method on integers).
pub(crate) fn isqrt(n: u128) -> u128 {
    if n < 2 {
        return n;
    }
    let mut x = 1u128 << (128 - n.leading_zeros()).div_ceil(2);
    loop {
        let y = (x + n / x) / 2;
        if y >= x {
            return x;
        }
        x = y;
    }
}

pub(crate) fn check_id(field: &str, id: &str) -> Result<()> {
    if id.is_empty() || id.len() > MAX_ID {
        return Err(RuleError::invalid(field, "1 to 64 characters"));
    }
    Ok(())
}

pub(crate) fn check_half_life(field: &str, v: u64) -> Result<()> {
    if !(1..=MAX_HALF_LIFE).contains(&v) {
        return Err(RuleError::invalid(field, "between 1 second and 3650 days"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decay_halves_every_half_life() {
        let hl = 7 * DAY as u64;
        assert_eq!(decay_q32(0, 0, hl), ONE_Q32);
        assert_eq!(decay_q32(7 * DAY, 0, hl), ONE_Q32 / 2);
        assert_eq!(decay_q32(14 * DAY, 0, hl), ONE_Q32 / 4);
        assert_eq!(decay_q32(-5, 0, hl), ONE_Q32, "the future counts as now");
        assert_eq!(decay_q32(33 * 7 * DAY, 0, hl), 0);
        // Half a half-life: 1/√2 = 0.70710678… of 2^32 = 3037000499.98.
        assert_eq!(decay_q32(7 * DAY / 2, 0, hl), 3_037_000_500);
        // Monotone over a half-life, second by second at a coarse step.
        let mut last = ONE_Q32;
        for s in (0..7 * DAY).step_by(997) {
            let d = decay_q32(s, 0, hl);
            assert!(d <= last, "{s}");
            last = d;
        }
        assert_eq!(decay_q32(i64::MAX, i64::MIN, 1), 0);
    }

    #[test]
    fn decay_is_within_a_ten_millionth_of_the_exact_power_of_two() {
        // round(2^32 · 2^(−a/h)), computed in double precision elsewhere.
        let exact: [(i64, u64, u64); 6] = [
            (1, 3, 3_408_917_802),
            (2, 3, 2_705_659_852),
            (1, 10, 4_007_346_185),
            (9, 10, 2_301_615_985),
            (5, 7, 2_617_811_889),
            (123_456, 1_000_000, 3_942_719_693),
        ];
        for (age, half_life, want) in exact {
            let got = decay_q32(age, 0, half_life);
            let tolerance = ONE_Q32 / 10_000_000;
            assert!(
                got.abs_diff(want) <= tolerance,
                "{age}/{half_life}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn integer_square_root_is_exact() {
        for n in [
            0u128,
            1,
            2,
            3,
            4,
            15,
            16,
            17,
            1 << 100,
            (1 << 102) - 1,
            u128::MAX,
        ] {
            let r = isqrt(n);
            assert!(r * r <= n, "{n}");
            assert!((r + 1).checked_mul(r + 1).is_none_or(|s| s > n), "{n}");
        }
    }
}
