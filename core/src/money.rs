//! Money is an integer number of fen (分, 1/100 yuan) in one newtype with checked
//! arithmetic. Rates and ratios are `Decimal`s, carried as strings on the boundary.
//!
//! The one rounding rule (docs/rules.md §1): where a rate applies, the amount
//! paid at that rate is rounded **half-up to the fen** (`MidpointAwayFromZero`),
//! once per discount application, and the discount is the exact difference. Amounts are bounded by ±(2^53 − 1) fen so that they are exact as
//! JavaScript numbers; going past that is `AMOUNT_OVERFLOW`, never a wrap or a panic.

use std::fmt;
use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::RuleError;

/// Largest amount (in fen) that is exact as a JavaScript number: 2^53 − 1.
pub const MAX_FEN: i64 = 9_007_199_254_740_991;

/// An amount of money in fen. Serialized as a plain integer.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Money(i64);

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let fen = i64::deserialize(d)?;
        Money::new(fen).map_err(serde::de::Error::custom)
    }
}

impl Money {
    pub const ZERO: Money = Money(0);

    /// An amount in fen; out of ±(2^53 − 1) is `AMOUNT_OVERFLOW`.
    pub fn new(fen: i64) -> Result<Money, RuleError> {
        if (-MAX_FEN..=MAX_FEN).contains(&fen) {
            Ok(Money(fen))
        } else {
            Err(RuleError::AmountOverflow)
        }
    }

    /// For constants and tests; panics out of range.
    pub const fn fen(fen: i64) -> Money {
        assert!(fen <= MAX_FEN && fen >= -MAX_FEN);
        Money(fen)
    }

    pub const fn as_fen(self) -> i64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn checked_add(self, other: Money) -> Result<Money, RuleError> {
        self.0
            .checked_add(other.0)
            .ok_or_else(|| RuleError::AmountOverflow)
            .and_then(Money::new)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, RuleError> {
        self.0
            .checked_sub(other.0)
            .ok_or_else(|| RuleError::AmountOverflow)
            .and_then(Money::new)
    }

    /// `self × n` (a unit price times a quantity).
    pub fn checked_mul(self, n: u64) -> Result<Money, RuleError> {
        let n = i64::try_from(n).map_err(|_| RuleError::AmountOverflow)?;
        self.0
            .checked_mul(n)
            .ok_or_else(|| RuleError::AmountOverflow)
            .and_then(Money::new)
    }

    /// `self − other`, but never below zero.
    pub fn saturating_sub_floor(self, other: Money) -> Money {
        Money((self.0 - other.0).max(0))
    }

    /// `self × rate`, rounded half-up to the fen (the one rounding rule).
    pub fn mul_rate(self, rate: Decimal) -> Result<Money, RuleError> {
        let exact = Decimal::from(self.0)
            .checked_mul(rate)
            .ok_or_else(|| RuleError::AmountOverflow)?;
        let rounded = exact.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
        Money::new(rounded.to_i64().ok_or_else(|| RuleError::AmountOverflow)?)
    }

    /// What is paid for `self` at `rate` (e.g. 8.5折): `round_half_up(self × rate)`.
    /// This is the one rounding of a rate discount: the amount paid is rounded
    /// half-up once, and the discount is the exact difference.
    pub fn at_rate(self, rate: Decimal) -> Result<Money, RuleError> {
        self.mul_rate(rate)
    }

    /// The discount when only `rate` of `self` is paid: `self − at_rate(rate)`.
    pub fn discount_at_rate(self, rate: Decimal) -> Result<Money, RuleError> {
        self.checked_sub(self.at_rate(rate)?)
    }

    /// Sum of amounts, checked.
    pub fn sum<I: IntoIterator<Item = Money>>(items: I) -> Result<Money, RuleError> {
        items
            .into_iter()
            .try_fold(Money::ZERO, |acc, m| acc.checked_add(m))
    }
}

impl fmt::Display for Money {
    /// `¥12.30`, the way a shopper reads it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}¥{}.{:02}", abs / 100, abs % 100)
    }
}

/// A non-negative decimal ratio (a discount rate such as `"0.85"` = 85折, a share,
/// a multiplier). Serialized as a string so that it is exact in JavaScript.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ratio(Decimal);

impl Ratio {
    pub const ONE: Ratio = Ratio(Decimal::ONE);
    pub const ZERO: Ratio = Ratio(Decimal::ZERO);

    pub fn new(value: Decimal) -> Result<Ratio, RuleError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(RuleError::invalid("ratio", "must not be negative"));
        }
        Ok(Ratio(value.normalize()))
    }

    pub fn value(self) -> Decimal {
        self.0
    }

    /// A rate that a price is multiplied by must lie in [0, 1].
    pub fn check_rate(self, field: &str) -> Result<Decimal, RuleError> {
        if self.0 > Decimal::ONE {
            return Err(RuleError::invalid(field, "a rate must lie between 0 and 1"));
        }
        Ok(self.0)
    }
}

impl FromStr for Ratio {
    type Err = RuleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let d = Decimal::from_str_exact(s.trim())
            .map_err(|_| RuleError::invalid("ratio", "not a decimal number"))?;
        Ratio::new(d)
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for Ratio {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(|_| {
            serde::de::Error::custom(format!(
                "invalid ratio {s:?}: expected a non-negative decimal string such as \"0.85\""
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_reads_as_yuan() {
        assert_eq!(Money::fen(12_30).to_string(), "¥12.30");
        assert_eq!(Money::fen(-5).to_string(), "-¥0.05");
    }

    #[test]
    fn half_up_not_bankers() {
        // 19.99 at 75%: 1499.25 -> 1499; 0.5 fen rounds away from zero.
        assert_eq!(
            Money::fen(1999)
                .mul_rate("0.75".parse::<Ratio>().unwrap().value())
                .unwrap(),
            Money::fen(1499)
        );
        assert_eq!(
            Money::fen(1)
                .mul_rate("0.5".parse::<Ratio>().unwrap().value())
                .unwrap(),
            Money::fen(1)
        );
        assert_eq!(
            Money::fen(5)
                .mul_rate("0.5".parse::<Ratio>().unwrap().value())
                .unwrap(),
            Money::fen(3)
        );
    }

    #[test]
    fn the_amount_paid_is_what_is_rounded() {
        let half: Decimal = "0.5".parse().unwrap();
        // 5折 on ¥123.45: pays 61.725 -> 61.73, saves 61.72.
        assert_eq!(Money::fen(12345).at_rate(half).unwrap(), Money::fen(6173));
        assert_eq!(
            Money::fen(12345).discount_at_rate(half).unwrap(),
            Money::fen(6172)
        );
        // 5折 on ¥0.01 pays the fen: no saving.
        assert_eq!(Money::fen(1).discount_at_rate(half).unwrap(), Money::ZERO);
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert!(matches!(
            Money::fen(MAX_FEN).checked_add(Money::fen(1)),
            Err(RuleError::AmountOverflow)
        ));
        assert!(matches!(
            Money::fen(MAX_FEN).checked_mul(2),
            Err(RuleError::AmountOverflow)
        ));
        assert!(matches!(
            Money::fen(1).checked_mul(u64::MAX),
            Err(RuleError::AmountOverflow)
        ));
        assert!(Money::new(MAX_FEN + 1).is_err());
    }

    #[test]
    fn ratio_is_a_string_on_the_wire() {
        let r: Ratio = serde_json::from_str("\"0.85\"").unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"0.85\"");
        assert!(serde_json::from_str::<Ratio>("0.85").is_err());
        assert!(serde_json::from_str::<Ratio>("\"-0.1\"").is_err());
    }
}
