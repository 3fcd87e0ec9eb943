//! Flash sale (秒杀) rules. docs/rules.md §20.
//!
//! The server owns the stock (units left in the database, or in Redis in front
//! of it), the admission bound (how many claims may be applied at once) and each
//! shopper's count; these functions decide, from those numbers and the clock
//! given as input, what the shopper sees and whether a claim may be attempted,
//! so the phone and the server agree:
//!
//! - [`flash_state`]: 未开始 / 抢购中 / 排队中 / 已抢光 / 已达限购 / 已结束, the
//!   countdowns, whether a claim may be attempted now, how many units at most,
//!   and when to retry while queued;
//! - [`flash_buckets`]: an activity's stock split into stock rows (buckets)
//!   that sum exactly and differ by at most one unit;
//! - [`flash_bucket_order`]: the order in which one claim tries the buckets, a
//!   rotation from a seed, so claims spread over the rows and a claim only
//!   concludes "sold out" after trying every bucket (no stranded stock).
//!
//! The state is checked in the order a claim is (activities.md §1): the window,
//! then the shopper's limit, then the stock, then the admission bound.

use serde::{Deserialize, Serialize};

use crate::error::{Result, RuleError};

/// Largest count or seed accepted: 2^53 − 1, so JavaScript reads it exactly.
pub const MAX_COUNT: u64 = crate::money::MAX_FEN as u64;
/// Most stock rows one activity SKU is split into.
pub const MAX_BUCKETS: u64 = 64;
/// A queued shopper retries after this many milliseconds plus a jitter below it.
pub const RETRY_BASE_MS: u64 = 500;

/// What the shopper sees, in the order it is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FlashPhase {
    /// 已结束: now ≥ endsAt.
    Ended,
    /// 未开始: now < startsAt.
    NotStarted,
    /// 已达限购: the shopper bought or holds `perUserLimit` units already.
    LimitReached,
    /// 已抢光: no unit left.
    SoldOut,
    /// 排队中: units are left but the in-flight bound is full; retry.
    Queued,
    /// 抢购中: a claim may be attempted now.
    Selling,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FlashStateInput {
    /// Unix seconds, inclusive.
    pub starts_at: i64,
    /// Unix seconds, exclusive.
    pub ends_at: i64,
    pub now: i64,
    /// Units not yet claimed, from whichever source the server reads (the
    /// database, Redis, a sold-out flag as 0).
    pub units_left: u64,
    /// Claims being applied right now.
    #[serde(default)]
    pub in_flight: u64,
    /// Most claims applied at once (the admission bound); none: unbounded.
    #[serde(default)]
    pub max_in_flight: Option<u64>,
    /// Units this shopper bought or holds (unpaid orders) in the activity.
    #[serde(default)]
    pub user_bought: u64,
    /// Most units one shopper may buy in the activity; none: no limit.
    #[serde(default)]
    pub per_user_limit: Option<u64>,
    /// Spreads the retries of queued shoppers (e.g. a hash of the user id).
    #[serde(default)]
    pub retry_seed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlashState {
    pub phase: FlashPhase,
    /// max(0, startsAt − now).
    pub seconds_to_start: i64,
    /// endsAt − now inside the window, else 0.
    pub seconds_left: i64,
    /// Only while selling.
    pub may_attempt: bool,
    /// Most units one claim may take now (min of units left and the shopper's
    /// remaining limit) while selling or queued, else 0.
    pub max_quantity: u64,
    /// Only while queued: when to ask again, in milliseconds (500–999).
    pub retry_after_ms: Option<u64>,
}

fn check_count(field: &str, n: u64) -> Result<()> {
    if n > MAX_COUNT {
        return Err(RuleError::invalid(field, "must not exceed 2^53 − 1"));
    }
    Ok(())
}

fn validate(i: &FlashStateInput) -> Result<()> {
    if i.ends_at <= i.starts_at {
        return Err(RuleError::invalid("endsAt", "must be after startsAt"));
    }
    for (field, n) in [
        ("unitsLeft", i.units_left),
        ("inFlight", i.in_flight),
        ("userBought", i.user_bought),
        ("retrySeed", i.retry_seed),
    ] {
        check_count(field, n)?;
    }
    for (field, bound) in [
        ("maxInFlight", i.max_in_flight),
        ("perUserLimit", i.per_user_limit),
    ] {
        if let Some(n) = bound {
            if n == 0 {
                return Err(RuleError::invalid(field, "must be at least 1"));
            }
            check_count(field, n)?;
        }
    }
    Ok(())
}

/// The shopper's state of a flash sale at `now`. docs/rules.md §20.
///
/// Precedence: ended, not started, limit reached, sold out, queued, selling.
/// Counters read from racing sources may disagree for a moment: in-flight
/// claims above the bound read as a full bound, and a count bought above the
/// limit as the limit reached; neither is an error.
pub fn flash_state(i: &FlashStateInput) -> Result<FlashState> {
    validate(i)?;
    let overflow = || RuleError::AmountOverflow;
    let seconds_to_start = i.starts_at.checked_sub(i.now).ok_or_else(overflow)?.max(0);
    let in_window = i.starts_at <= i.now && i.now < i.ends_at;
    let seconds_left = if in_window {
        i.ends_at.checked_sub(i.now).ok_or_else(overflow)?
    } else {
        0
    };
    let user_left = match i.per_user_limit {
        Some(limit) => limit.saturating_sub(i.user_bought),
        None => u64::MAX,
    };
    let phase = if i.now >= i.ends_at {
        FlashPhase::Ended
    } else if i.now < i.starts_at {
        FlashPhase::NotStarted
    } else if user_left == 0 {
        FlashPhase::LimitReached
    } else if i.units_left == 0 {
        FlashPhase::SoldOut
    } else if i.max_in_flight.is_some_and(|m| i.in_flight >= m) {
        FlashPhase::Queued
    } else {
        FlashPhase::Selling
    };
    let open = matches!(phase, FlashPhase::Selling | FlashPhase::Queued);
    Ok(FlashState {
        phase,
        seconds_to_start,
        seconds_left,
        may_attempt: phase == FlashPhase::Selling,
        max_quantity: if open { i.units_left.min(user_left) } else { 0 },
        retry_after_ms: (phase == FlashPhase::Queued)
            .then(|| RETRY_BASE_MS + i.retry_seed % RETRY_BASE_MS),
    })
}

fn check_buckets(buckets: u64) -> Result<()> {
    if !(1..=MAX_BUCKETS).contains(&buckets) {
        return Err(RuleError::invalid("buckets", "must be between 1 and 64"));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FlashBucketsInput {
    pub stock: u64,
    pub buckets: u64,
}

/// `stock` split into `buckets` rows: they sum to `stock` exactly, and the
/// first `stock mod buckets` rows hold one unit more than the others.
pub fn flash_buckets(i: &FlashBucketsInput) -> Result<Vec<u64>> {
    check_count("stock", i.stock)?;
    check_buckets(i.buckets)?;
    let base = i.stock / i.buckets;
    let extra = i.stock % i.buckets;
    (0..i.buckets)
        .map(|b| {
            base.checked_add(u64::from(b < extra))
                .ok_or_else(|| RuleError::AmountOverflow)
        })
        .collect()
}

/// The order in which one claim tries the buckets: from `seed mod buckets`
/// on, wrapping around, so every bucket is tried exactly once.
pub fn flash_bucket_order(seed: u64, buckets: u64) -> Result<Vec<u64>> {
    check_buckets(buckets)?;
    let first = seed % buckets;
    Ok((0..buckets).map(|k| (first + k) % buckets).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selling() -> FlashStateInput {
        FlashStateInput {
            starts_at: 1000,
            ends_at: 2000,
            now: 1500,
            units_left: 10,
            in_flight: 3,
            max_in_flight: Some(8),
            user_bought: 1,
            per_user_limit: Some(2),
            retry_seed: 0,
        }
    }

    fn phase(i: FlashStateInput) -> FlashPhase {
        flash_state(&i).unwrap().phase
    }

    #[test]
    fn selling_allows_one_claim_of_what_the_limit_leaves() {
        let s = flash_state(&selling()).unwrap();
        assert_eq!(s.phase, FlashPhase::Selling);
        assert!(s.may_attempt);
        assert_eq!((s.seconds_to_start, s.seconds_left), (0, 500));
        assert_eq!(s.max_quantity, 1);
        assert_eq!(s.retry_after_ms, None);
    }

    #[test]
    fn the_window_is_start_inclusive_end_exclusive() {
        assert_eq!(
            phase(FlashStateInput {
                now: 999,
                ..selling()
            }),
            FlashPhase::NotStarted
        );
        assert_eq!(
            phase(FlashStateInput {
                now: 1000,
                ..selling()
            }),
            FlashPhase::Selling
        );
        let last = flash_state(&FlashStateInput {
            now: 1999,
            ..selling()
        })
        .unwrap();
        assert_eq!((last.phase, last.seconds_left), (FlashPhase::Selling, 1));
        assert_eq!(
            phase(FlashStateInput {
                now: 2000,
                ..selling()
            }),
            FlashPhase::Ended
        );
    }

    #[test]
    fn precedence_ended_then_not_started_then_limit_then_stock_then_bound() {
        let everything = FlashStateInput {
            units_left: 0,
            in_flight: 8,
            user_bought: 2,
            ..selling()
        };
        assert_eq!(
            phase(FlashStateInput {
                now: 2000,
                ..everything.clone()
            }),
            FlashPhase::Ended
        );
        assert_eq!(
            phase(FlashStateInput {
                now: 0,
                ..everything.clone()
            }),
            FlashPhase::NotStarted
        );
        assert_eq!(phase(everything.clone()), FlashPhase::LimitReached);
        assert_eq!(
            phase(FlashStateInput {
                user_bought: 1,
                ..everything.clone()
            }),
            FlashPhase::SoldOut
        );
        assert_eq!(
            phase(FlashStateInput {
                user_bought: 1,
                units_left: 1,
                ..everything
            }),
            FlashPhase::Queued
        );
    }

    #[test]
    fn queued_says_when_to_retry_with_a_jitter_below_a_second() {
        let q = flash_state(&FlashStateInput {
            in_flight: 9,
            retry_seed: 1234,
            ..selling()
        })
        .unwrap();
        assert_eq!(q.phase, FlashPhase::Queued);
        assert!(!q.may_attempt);
        assert_eq!(q.max_quantity, 1);
        assert_eq!(q.retry_after_ms, Some(500 + 234));
    }

    #[test]
    fn without_bound_or_limit_a_claim_may_take_every_unit_left() {
        let s = flash_state(&FlashStateInput {
            in_flight: 1_000_000,
            max_in_flight: None,
            per_user_limit: None,
            user_bought: 5,
            ..selling()
        })
        .unwrap();
        assert_eq!((s.phase, s.max_quantity), (FlashPhase::Selling, 10));
    }

    #[test]
    fn bad_settings_are_refused_with_the_field() {
        let field = |i: FlashStateInput| match flash_state(&i).unwrap_err() {
            RuleError::InvalidInput { field, .. } => field,
            e => panic!("{e}"),
        };
        assert_eq!(
            field(FlashStateInput {
                ends_at: 1000,
                ..selling()
            }),
            "endsAt"
        );
        assert_eq!(
            field(FlashStateInput {
                max_in_flight: Some(0),
                ..selling()
            }),
            "maxInFlight"
        );
        assert_eq!(
            field(FlashStateInput {
                per_user_limit: Some(0),
                ..selling()
            }),
            "perUserLimit"
        );
        assert_eq!(
            field(FlashStateInput {
                units_left: MAX_COUNT + 1,
                ..selling()
            }),
            "unitsLeft"
        );
    }

    #[test]
    fn extreme_clocks_answer_an_error_not_a_panic() {
        let e = flash_state(&FlashStateInput {
            starts_at: i64::MAX - 1,
            ends_at: i64::MAX,
            now: i64::MIN,
            ..selling()
        })
        .unwrap_err();
        assert_eq!(e.code(), "AMOUNT_OVERFLOW");
    }

    #[test]
    fn buckets_split_the_stock_exactly_larger_first() {
        let split = |stock, buckets| flash_buckets(&FlashBucketsInput { stock, buckets });
        assert_eq!(
            split(1000, 16).unwrap(),
            [63; 8].iter().chain(&[62; 8]).copied().collect::<Vec<_>>()
        );
        assert_eq!(split(3, 4).unwrap(), vec![1, 1, 1, 0]);
        assert_eq!(split(0, 1).unwrap(), vec![0]);
        assert!(split(10, 0).is_err());
        assert!(split(10, 65).is_err());
        assert!(split(MAX_COUNT + 1, 2).is_err());
    }

    #[test]
    fn a_claim_tries_every_bucket_once_from_its_seed() {
        assert_eq!(flash_bucket_order(10, 4).unwrap(), vec![2, 3, 0, 1]);
        assert_eq!(flash_bucket_order(u64::MAX, 1).unwrap(), vec![0]);
        assert!(flash_bucket_order(1, 0).is_err());
    }
}
