//! Bargain (砍价) schedule. docs/rules.md §13.
//!
//! At initiation, (price − floor) is split into exactly `helpers` cuts from a seed
//! given as input (the core has no randomness): each cut is at least ¥0.01, the
//! cuts are ordered largest first, and they add up to price − floor exactly, so
//! the last helper reaches the floor.
//!
//! While helpers come, [`bargain_progress`] reads the plan and the number of
//! helps so far: the amount cut, the current price, how many helpers are still
//! needed (还差k人, always shown), whether the floor is reached and whether the
//! bargain may be bought now.

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

/// The plan of a bargain and how far it has come.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BargainProgressInput {
    pub price: Money,
    pub floor: Money,
    /// The plan's cuts, in the order helpers take them (from [`bargain_split`]).
    pub cuts: Vec<Money>,
    /// Helps recorded so far (0 ≤ helped ≤ number of cuts).
    pub helped: u64,
    /// Whether the activity lets the shopper buy before the floor is reached.
    #[serde(default)]
    pub buy_before_floor: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BargainProgress {
    /// 已砍: the first `helped` cuts added up.
    pub cut: Money,
    /// price − cut.
    pub current_price: Money,
    /// N: every helper the bargain needs (disclosed to everyone).
    pub helpers_needed: u64,
    /// 还差k人: N − helped.
    pub helpers_left: u64,
    pub floor_reached: bool,
    /// The floor is reached, or the activity allows buying before it.
    pub buyable: bool,
    /// The cut of help number `helped` (the latest one); none before the first help.
    pub last_cut: Option<Money>,
    /// The cut the next helper will make; none once the floor is reached.
    pub next_cut: Option<Money>,
}

fn check_plan(input: &BargainProgressInput) -> Result<()> {
    let invalid = |reason: &str| RuleError::BargainInvalid {
        reason: reason.into(),
    };
    if input.floor.as_fen() < 0 || input.price <= input.floor {
        return Err(invalid("the price must be above a non-negative floor"));
    }
    let n = input.cuts.len() as u64;
    if n == 0 || n > MAX_HELPERS {
        return Err(invalid("helpers must be between 1 and 1000"));
    }
    if input.cuts.iter().any(|c| c.as_fen() < 1) {
        return Err(invalid("each helper must cut at least ¥0.01"));
    }
    if Money::sum(input.cuts.iter().copied())? != input.price.checked_sub(input.floor)? {
        return Err(invalid("the cuts must add up to price − floor"));
    }
    if input.helped > n {
        return Err(invalid("more helps than helpers"));
    }
    Ok(())
}

/// Where a bargain stands after `helped` helps. docs/rules.md §13.
pub fn bargain_progress(input: &BargainProgressInput) -> Result<BargainProgress> {
    check_plan(input)?;
    let n = input.cuts.len() as u64;
    let done = &input.cuts[..input.helped as usize];
    let cut = Money::sum(done.iter().copied())?;
    let floor_reached = input.helped == n;
    Ok(BargainProgress {
        cut,
        current_price: input.price.checked_sub(cut)?,
        helpers_needed: n,
        helpers_left: n - input.helped,
        floor_reached,
        buyable: floor_reached || input.buy_before_floor,
        last_cut: done.last().copied(),
        next_cut: input.cuts.get(input.helped as usize).copied(),
    })
}

/// The price the shopper pays for the bargain now, or
/// `BARGAIN_FLOOR_NOT_REACHED` when it may not be bought yet.
pub fn bargain_price(input: &BargainProgressInput) -> Result<Money> {
    let p = bargain_progress(input)?;
    if !p.buyable {
        return Err(RuleError::BargainFloorNotReached {
            helpers_left: p.helpers_left,
        });
    }
    Ok(p.current_price)
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

    fn progress(helped: u64, buy_before_floor: bool) -> BargainProgressInput {
        BargainProgressInput {
            price: Money::fen(9900),
            floor: Money::fen(100),
            cuts: [3363, 2098, 1147, 962, 961, 923, 346]
                .map(Money::fen)
                .to_vec(),
            helped,
            buy_before_floor,
        }
    }

    #[test]
    fn progress_adds_the_cuts_taken_so_far() {
        let p = bargain_progress(&progress(2, false)).unwrap();
        assert_eq!(p.cut, Money::fen(5461));
        assert_eq!(p.current_price, Money::fen(4439));
        assert_eq!((p.helpers_needed, p.helpers_left), (7, 5));
        assert_eq!(p.last_cut, Some(Money::fen(2098)));
        assert_eq!(p.next_cut, Some(Money::fen(1147)));
        assert!(!p.floor_reached && !p.buyable);
    }

    #[test]
    fn the_last_help_reaches_the_floor_and_allows_buying() {
        let p = bargain_progress(&progress(7, false)).unwrap();
        assert_eq!(p.current_price, Money::fen(100));
        assert!(p.floor_reached && p.buyable);
        assert_eq!(p.next_cut, None);
        assert_eq!(bargain_price(&progress(7, false)), Ok(Money::fen(100)));
    }

    #[test]
    fn buying_before_the_floor_needs_the_activity_to_allow_it() {
        assert_eq!(
            bargain_price(&progress(3, false)),
            Err(RuleError::BargainFloorNotReached { helpers_left: 4 })
        );
        assert_eq!(bargain_price(&progress(3, true)), Ok(Money::fen(3292)));
    }

    #[test]
    fn more_helps_than_cuts_or_a_plan_not_adding_up_is_refused() {
        assert!(bargain_progress(&progress(8, false)).is_err());
        let mut bad = progress(0, false);
        bad.cuts[0] = Money::fen(3362);
        assert!(bargain_progress(&bad).is_err());
        bad.cuts = vec![];
        assert!(bargain_progress(&bad).is_err());
    }
}
