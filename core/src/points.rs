//! Paying with points (积分抵扣), after coupons. docs/rules.md §7.
//!
//! deduction = min(value of the points offered, floor(maxShare × base)), whole fen,
//! where the value of p points is floor(p × 100 / pointsPerYuan) fen and the base
//! is the net of the lines that take points (plus the delivery fee still payable
//! when `coverShipping`). Points used = ceil(deduction × pointsPerYuan / 100).

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::allocation::largest_remainder;
use crate::cart::PricedLine;
use crate::error::{Result, RuleError};
use crate::money::{Money, Ratio};
use crate::quote::Ledger;

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PointsRule {
    /// Points worth ¥1 (e.g. 100: one point is one fen).
    pub points_per_yuan: u64,
    /// Most of the base points may pay, e.g. "0.5".
    pub max_share: Ratio,
    /// Points may also pay the delivery fee.
    #[serde(default)]
    pub cover_shipping: bool,
    /// Points may be used on an order that also uses coupons.
    #[serde(default = "default_true")]
    pub with_coupons: bool,
}

/// How many points the shopper offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum PointsChoice {
    #[default]
    None,
    /// As many as the rule allows.
    Max,
    /// At most this many.
    Exactly { points: u64 },
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PointsUse {
    pub used: u64,
    pub deduction: Money,
    pub goods_deduction: Money,
    pub shipping_deduction: Money,
    /// Most the shopper could deduct on this order with their balance.
    pub max_deduction: Money,
}

pub fn validate(rule: &PointsRule) -> Result<()> {
    if rule.points_per_yuan == 0 {
        return Err(RuleError::invalid(
            "points.pointsPerYuan",
            "must be at least 1",
        ));
    }
    rule.max_share.check_rate("points.maxShare")?;
    Ok(())
}

fn value_of(points: u64, per_yuan: u64) -> Result<Money> {
    let fen = (points as u128 * 100) / per_yuan as u128;
    Money::new(i64::try_from(fen).map_err(|_| RuleError::AmountOverflow)?)
}

/// Apply points; returns the use and the per-line deductions (canonical line order).
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply_points(
    rule: Option<&PointsRule>,
    choice: PointsChoice,
    balance: u64,
    lines: &[PricedLine],
    ledger: &Ledger,
    shipping_payable: Money,
    coupons_used: bool,
    allocate: bool,
) -> Result<(PointsUse, Vec<Money>)> {
    let none = || (PointsUse::default(), vec![Money::ZERO; lines.len()]);
    let offered = match choice {
        PointsChoice::None => return Ok(none()),
        PointsChoice::Max => balance,
        PointsChoice::Exactly { points } => {
            if points > balance {
                return Err(RuleError::PointsInsufficient {
                    balance,
                    requested: points,
                });
            }
            points
        }
    };
    let Some(rule) = rule else {
        // "As many as allowed" of nothing is nothing; an explicit amount is an error.
        return match choice {
            PointsChoice::Max => Ok(none()),
            _ => Err(RuleError::PointsNotAllowed {
                reason: "this shop has no points program".into(),
            }),
        };
    };
    if coupons_used && !rule.with_coupons {
        return match choice {
            PointsChoice::Max => Ok(none()),
            _ => Err(RuleError::PointsNotAllowed {
                reason: "points cannot be combined with coupons".into(),
            }),
        };
    }
    let eligible: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].takes_points)
        .collect();
    let mut weights: Vec<Money> = eligible.iter().map(|&i| ledger.net[i]).collect();
    if rule.cover_shipping {
        weights.push(shipping_payable);
    }
    let base = Money::sum(weights.iter().copied())?;
    let cap_fen = (Decimal::from(base.as_fen()) * rule.max_share.value())
        .floor()
        .to_i64()
        .ok_or_else(|| RuleError::AmountOverflow)?;
    let cap = Money::new(cap_fen)?;
    let max_deduction = value_of(balance, rule.points_per_yuan)?.min(cap);
    let deduction = value_of(offered, rule.points_per_yuan)?.min(cap);
    let used_u128 = (deduction.as_fen() as u128 * rule.points_per_yuan as u128).div_ceil(100);
    let used = u64::try_from(used_u128).map_err(|_| RuleError::AmountOverflow)?;
    let mut per_line = vec![Money::ZERO; lines.len()];
    let shipping_deduction = if allocate || rule.cover_shipping {
        let shares = largest_remainder(deduction, &weights)?;
        for (k, &i) in eligible.iter().enumerate() {
            per_line[i] = shares[k];
        }
        if rule.cover_shipping {
            shares[eligible.len()]
        } else {
            Money::ZERO
        }
    } else {
        Money::ZERO
    };
    Ok((
        PointsUse {
            used,
            deduction,
            goods_deduction: deduction.checked_sub(shipping_deduction)?,
            shipping_deduction,
            max_deduction,
        },
        per_line,
    ))
}

/// The most points could deduct from an order whose base is `base`, ignoring
/// which lines take points (an upper bound, for the coupon search's pruning).
pub(crate) fn max_deduction_for(
    rule: Option<&PointsRule>,
    choice: PointsChoice,
    balance: u64,
    base: Money,
) -> Option<Money> {
    let rule = rule?;
    let offered = match choice {
        PointsChoice::None => return Some(Money::ZERO),
        PointsChoice::Max => balance,
        PointsChoice::Exactly { points } => points.min(balance),
    };
    let cap = (Decimal::from(base.as_fen()) * rule.max_share.value())
        .floor()
        .to_i64()?;
    let value = value_of(offered, rule.points_per_yuan).ok()?;
    Some(value.min(Money::new(cap).ok()?))
}
