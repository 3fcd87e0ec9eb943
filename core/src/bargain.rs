//! Bargain (砍价) schedule. docs/rules.md §13.
//!
//! At initiation, (price − floor) is split into exactly `helpers` cuts from a seed
//! given as input (the core has no randomness): each cut is at least ¥0.01, the
//! cuts are ordered largest first, and they add up to price − floor exactly, so
//! the last helper reaches the floor.

use serde::{Deserialize, Serialize};

use crate::error::{Result, RuleError};
use crate::money::Money;

/// Most helpers one bargain may have.
pub const MAX_HELPERS: u64 = 1000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BargainInput {
    pub price: Money,
    pub floor: Money,
    pub helpers: u64,
    /// Any integer up to 2^53 − 1; the same seed gives the same cuts.
    pub seed: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BargainPlan {
    pub total: Money,
    /// Cut of each helper in turn; the last one reaches the floor.
    pub cuts: Vec<Money>,
}

/// splitmix64: a small, well-mixed generator, identical on every target.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub fn bargain_split(input: &BargainInput) -> Result<BargainPlan> {
    let invalid = |reason: &str| RuleError::BargainInvalid {
        reason: reason.into(),
    };
    if input.floor.as_fen() < 0 || input.price <= input.floor {
        return Err(invalid("the price must be above a non-negative floor"));
    }
    if input.helpers == 0 || input.helpers > MAX_HELPERS {
        return Err(invalid("helpers must be between 1 and 1000"));
    }
    if input.seed > crate::money::MAX_FEN as u64 {
        return Err(RuleError::invalid("seed", "must not exceed 2^53 − 1"));
    }
    let total = input.price.checked_sub(input.floor)?;
    if (total.as_fen() as u64) < input.helpers {
        return Err(invalid("each helper must cut at least ¥0.01"));
    }
    let mut state = input.seed;
    let mut left = total.as_fen();
    let mut cuts = Vec::with_capacity(input.helpers as usize);
    for i in 0..input.helpers {
        let cuts_left = (input.helpers - i) as i64;
        if cuts_left == 1 {
            cuts.push(Money::fen(left));
            break;
        }
        // Keep one fen for each later cut; take 20%–50% of what is spare.
        let spare = left - cuts_left;
        let permyriad = 2000 + (splitmix64(&mut state) % 3001) as i64;
        let cut = 1 + ((spare as i128 * permyriad as i128) / 10_000) as i64;
        cuts.push(Money::fen(cut));
        left -= cut;
    }
    cuts.sort_by(|a, b| b.cmp(a));
    Ok(BargainPlan { total, cuts })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_reach_the_floor_exactly() {
        let plan = bargain_split(&BargainInput {
            price: Money::fen(9900),
            floor: Money::fen(100),
            helpers: 7,
            seed: 42,
        })
        .unwrap();
        assert_eq!(plan.cuts.len(), 7);
        assert_eq!(
            Money::sum(plan.cuts.iter().copied()).unwrap(),
            Money::fen(9800)
        );
        assert!(plan.cuts.iter().all(|c| c.as_fen() >= 1));
        assert!(plan.cuts.windows(2).all(|w| w[0] >= w[1]));
    }

    #[test]
    fn one_fen_each_when_that_is_all_there_is() {
        let plan = bargain_split(&BargainInput {
            price: Money::fen(103),
            floor: Money::fen(100),
            helpers: 3,
            seed: 7,
        })
        .unwrap();
        assert_eq!(plan.cuts, vec![Money::fen(1); 3]);
        assert!(bargain_split(&BargainInput {
            helpers: 4,
            ..BargainInput {
                price: Money::fen(103),
                floor: Money::fen(100),
                helpers: 3,
                seed: 7,
            }
        })
        .is_err());
    }
}
