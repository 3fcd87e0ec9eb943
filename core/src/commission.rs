//! Distribution commission (分销佣金). docs/rules.md §12.
//!
//! Rates per level (level 1 = the buyer's direct promoter); 2 levels by default,
//! never more than 2. The base is the cash paid for the goods of the units not
//! refunded (delivery excluded); each level's amount is base × rate rounded half-up
//! once. A refund reverses exactly the difference between the commission before
//! and after it.

use serde::{Deserialize, Serialize};

use crate::error::{Result, RuleError};
use crate::money::{Money, Ratio};
use crate::refund::{OrderSnapshot, RefundItem};

/// The most commission levels a rule may have: two (三级以内分销 is the legal
/// line; WeChat bans more), so a third is refused here as at the server's edge.
pub const MAX_LEVELS: usize = 2;

fn default_rates() -> Vec<Ratio> {
    vec![Ratio::ZERO, Ratio::ZERO]
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommissionRule {
    /// Rate per level, level 1 first. Default: two levels.
    #[serde(default = "default_rates")]
    pub rates: Vec<Ratio>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommissionInput {
    pub rule: CommissionRule,
    /// The promoter chain, level 1 first.
    pub promoters: Vec<String>,
    pub order: OrderSnapshot,
    /// Units refunded so far.
    #[serde(default)]
    pub refunded: Vec<RefundItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommissionShare {
    pub level: u64,
    pub promoter_id: String,
    pub rate: Ratio,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Commission {
    pub base: Money,
    pub shares: Vec<CommissionShare>,
}

fn base(order: &OrderSnapshot, refunded: &[RefundItem]) -> Result<Money> {
    let mut total = Money::ZERO;
    for l in &order.lines {
        let done: u64 = refunded
            .iter()
            .filter(|r| r.line_id == l.line_id)
            .map(|r| r.quantity)
            .fold(0u64, u64::saturating_add);
        if done > l.quantity {
            return Err(RuleError::RefundQuantityExceeded {
                line_id: l.line_id.clone(),
                requested: done,
                remaining: l.quantity,
            });
        }
        // Refunds take each line's first units (docs/rules.md §11).
        let mut skip = done;
        for g in &l.units {
            let keep = g.count.saturating_sub(skip);
            skip = skip.saturating_sub(g.count);
            total = total.checked_add(g.paid.checked_mul(keep)?)?;
        }
    }
    for r in refunded {
        if !order.lines.iter().any(|l| l.line_id == r.line_id) {
            return Err(RuleError::UnknownLine {
                line_id: r.line_id.clone(),
            });
        }
    }
    Ok(total)
}

pub fn commission(input: &CommissionInput) -> Result<Commission> {
    crate::refund::check_amounts(&input.order)?;
    let rates = &input.rule.rates;
    if rates.len() > MAX_LEVELS {
        return Err(RuleError::TooManyCommissionLevels {
            levels: rates.len() as u64,
        });
    }
    let mut sum = rust_decimal::Decimal::ZERO;
    for r in rates {
        sum += r.check_rate("rule.rates")?;
    }
    if sum > rust_decimal::Decimal::ONE {
        return Err(RuleError::invalid(
            "rule.rates",
            "rates add up to more than 1",
        ));
    }
    let base = base(&input.order, &input.refunded)?;
    let shares = rates
        .iter()
        .zip(&input.promoters)
        .enumerate()
        .map(|(i, (rate, promoter))| {
            Ok(CommissionShare {
                level: i as u64 + 1,
                promoter_id: promoter.clone(),
                rate: *rate,
                amount: base.mul_rate(rate.value())?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Commission { base, shares })
}

/// What a refund of `refund_now` reverses: commission before minus commission after.
pub fn commission_reversal(
    input: &CommissionInput,
    refund_now: &[RefundItem],
) -> Result<Commission> {
    let before = commission(input)?;
    for r in refund_now {
        let line = input
            .order
            .lines
            .iter()
            .find(|l| l.line_id == r.line_id)
            .ok_or_else(|| RuleError::UnknownLine {
                line_id: r.line_id.clone(),
            })?;
        let sum = |items: &[RefundItem]| -> u64 {
            items
                .iter()
                .filter(|x| x.line_id == r.line_id)
                .map(|x| x.quantity)
                .fold(0u64, u64::saturating_add)
        };
        let (done, asked) = (sum(&input.refunded), sum(refund_now));
        if done.saturating_add(asked) > line.quantity {
            return Err(RuleError::RefundQuantityExceeded {
                line_id: r.line_id.clone(),
                requested: asked,
                remaining: line.quantity.saturating_sub(done),
            });
        }
    }
    let mut after_input = input.clone();
    after_input.refunded.extend(refund_now.iter().cloned());
    let after = commission(&after_input)?;
    Ok(Commission {
        base: before.base.checked_sub(after.base)?,
        shares: before
            .shares
            .iter()
            .zip(&after.shares)
            .map(|(b, a)| {
                Ok(CommissionShare {
                    amount: b.amount.checked_sub(a.amount)?,
                    ..b.clone()
                })
            })
            .collect::<Result<Vec<_>>>()?,
    })
}
