//! Member levels (会员等级): growth value → level → benefits (discount rate, free
//! shipping, points multiplier). Growth and points are earned from the amount paid
//! for goods (shipping excluded), rounded down. docs/rules.md §9.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::{Result, RuleError};
use crate::money::{Money, Ratio};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemberLevel {
    pub level_id: String,
    pub name: String,
    /// Growth value at which this level starts.
    pub min_growth: u64,
    /// Share of the list price a member pays, e.g. "0.95" (9.5折). "1" = no discount.
    pub discount_rate: Ratio,
    #[serde(default)]
    pub free_shipping: bool,
    /// Multiplies the points earned, e.g. "1.5".
    pub points_multiplier: Ratio,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemberProgram {
    pub levels: Vec<MemberLevel>,
    /// Growth earned per ¥1 paid for goods.
    pub growth_per_yuan: Ratio,
    /// Points earned per ¥1 paid for goods, before the level's multiplier.
    pub points_per_yuan: Ratio,
}

impl Default for MemberProgram {
    fn default() -> Self {
        MemberProgram {
            levels: Vec::new(),
            growth_per_yuan: Ratio::ZERO,
            points_per_yuan: Ratio::ZERO,
        }
    }
}

/// The level that a growth value reaches: the highest `min_growth` not above it.
pub fn level_for(program: &MemberProgram, growth: u64) -> Option<&MemberLevel> {
    program
        .levels
        .iter()
        .filter(|l| l.min_growth <= growth)
        .max_by(|a, b| {
            a.min_growth
                .cmp(&b.min_growth)
                .then(b.level_id.cmp(&a.level_id))
        })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LevelRef {
    pub level_id: String,
    pub name: String,
    pub discount_rate: Ratio,
    pub free_shipping: bool,
    pub points_multiplier: Ratio,
}

impl From<&MemberLevel> for LevelRef {
    fn from(l: &MemberLevel) -> Self {
        LevelRef {
            level_id: l.level_id.clone(),
            name: l.name.clone(),
            discount_rate: l.discount_rate,
            free_shipping: l.free_shipping,
            points_multiplier: l.points_multiplier,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NextLevel {
    pub level_id: String,
    pub name: String,
    pub min_growth: u64,
    pub growth_needed: u64,
    /// "再消费¥X升级黄金": the least goods payment that earns the growth needed.
    /// `None` when the program awards no growth for spending.
    pub spend_needed: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberStatus {
    pub growth: u64,
    pub level: Option<LevelRef>,
    pub next: Option<NextLevel>,
}

pub fn validate(program: &MemberProgram) -> Result<()> {
    for l in &program.levels {
        l.discount_rate.check_rate("levels.discountRate")?;
    }
    let mut ids: Vec<&str> = program.levels.iter().map(|l| l.level_id.as_str()).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        return Err(RuleError::invalid("levels", "duplicate levelId"));
    }
    Ok(())
}

/// Current level and the upgrade preview.
pub fn member_status(program: &MemberProgram, growth: u64) -> Result<MemberStatus> {
    validate(program)?;
    let level = level_for(program, growth);
    let next = program
        .levels
        .iter()
        .filter(|l| l.min_growth > growth)
        .min_by(|a, b| {
            a.min_growth
                .cmp(&b.min_growth)
                .then(a.level_id.cmp(&b.level_id))
        })
        .map(|l| {
            let needed = l.min_growth - growth;
            Ok::<_, RuleError>(NextLevel {
                level_id: l.level_id.clone(),
                name: l.name.clone(),
                min_growth: l.min_growth,
                growth_needed: needed,
                spend_needed: spend_for_growth(program.growth_per_yuan, needed)?,
            })
        })
        .transpose()?;
    Ok(MemberStatus {
        growth,
        level: level.map(LevelRef::from),
        next,
    })
}

/// The least fen `f` with `floor(f / 100 × rate) ≥ needed`, i.e. `ceil(needed × 100 / rate)`.
fn spend_for_growth(rate: Ratio, needed: u64) -> Result<Option<Money>> {
    if rate.value().is_zero() {
        return Ok(None);
    }
    let fen = (Decimal::from(needed) * Decimal::ONE_HUNDRED)
        .checked_div(rate.value())
        .ok_or_else(|| RuleError::AmountOverflow)?
        .round_dp_with_strategy(0, RoundingStrategy::ToPositiveInfinity);
    Ok(Some(Money::new(
        fen.to_i64().ok_or_else(|| RuleError::AmountOverflow)?,
    )?))
}

/// Whole units earned for paying `paid` fen at `per_yuan` × `multiplier`, rounded down.
pub fn earned(paid: Money, per_yuan: Ratio, multiplier: Ratio) -> Result<u64> {
    if !paid.is_positive() {
        return Ok(0);
    }
    let v = Decimal::from(paid.as_fen())
        .checked_mul(per_yuan.value())
        .and_then(|v| v.checked_mul(multiplier.value()))
        .ok_or_else(|| RuleError::AmountOverflow)?
        / Decimal::ONE_HUNDRED;
    v.floor().to_u64().ok_or_else(|| RuleError::AmountOverflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program() -> MemberProgram {
        let lvl =
            |id: &str, name: &str, min: u64, rate: &str, free: bool, mult: &str| MemberLevel {
                level_id: id.into(),
                name: name.into(),
                min_growth: min,
                discount_rate: rate.parse().unwrap(),
                free_shipping: free,
                points_multiplier: mult.parse().unwrap(),
            };
        MemberProgram {
            levels: vec![
                lvl("normal", "普通", 0, "1", false, "1"),
                lvl("gold", "黄金", 1000, "0.95", true, "1.5"),
                lvl("diamond", "钻石", 5000, "0.9", true, "2"),
            ],
            growth_per_yuan: "1".parse().unwrap(),
            points_per_yuan: "1".parse().unwrap(),
        }
    }

    #[test]
    fn spend_x_more_to_reach_gold() {
        let s = member_status(&program(), 880).unwrap();
        assert_eq!(s.level.unwrap().level_id, "normal");
        let next = s.next.unwrap();
        assert_eq!(next.name, "黄金");
        assert_eq!(next.growth_needed, 120);
        assert_eq!(next.spend_needed, Some(Money::fen(12000)));
    }

    #[test]
    fn top_level_has_no_next() {
        let s = member_status(&program(), 9000).unwrap();
        assert_eq!(s.level.unwrap().level_id, "diamond");
        assert!(s.next.is_none());
    }

    #[test]
    fn earned_rounds_down() {
        assert_eq!(
            earned(
                Money::fen(9999),
                "1".parse().unwrap(),
                "1.5".parse().unwrap()
            )
            .unwrap(),
            149
        );
    }
}
