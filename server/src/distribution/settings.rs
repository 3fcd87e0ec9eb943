//! The merchant's distribution settings (one `settings` row, key
//! [`KEY`]): on/off, who may promote, levels and their rates, self-purchase
//! commission, how long a binding lasts and how long commission stays frozen.
//! [`Settings::check`] holds every bound; the HTTP edge and the OpenAPI
//! document use the same constants.

use mall_core::commission::MAX_LEVELS;
use mall_core::{Ratio, RuleError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::DistributionError;
use crate::db;

pub const KEY: &str = "distribution";
/// A binding lasts 1 to this many days, or for ever (`bindingDays: null`).
pub const MAX_BINDING_DAYS: i64 = 3650;
/// Days commission stays frozen after the after-sales window.
pub const MAX_FROZEN_DAYS: i64 = 365;
/// The after-sales window after receipt (7 days, 七天无理由): commission is
/// frozen for it plus `frozenDays`.
pub const AFTER_SALE_WINDOW_DAYS: i64 = 7;
/// Decimal places a rate may have ("0.1234" = 12.34%).
pub const RATE_SCALE: u32 = 4;
/// A rate as the API takes it.
pub const RATE_PATTERN: &str = r"^(0(\.[0-9]{1,4})?|1(\.0{1,4})?)$";
/// The smallest withdrawal WeChat Pay's 商家转账 takes (¥0.10), in fen.
pub const MIN_WITHDRAW_FEN: i64 = 10;
/// The largest single withdrawal (fen): ¥2,000, below the amount from which
/// 商家转账 requires the payee's real name.
pub const MAX_WITHDRAW_FEN: i64 = 200_000;
/// The largest daily cap a merchant may set (fen, ¥10,000).
pub const MAX_DAILY_CAP_FEN: i64 = 1_000_000;
/// The most promoters a month's leaderboard rewards.
pub const MAX_LEADERBOARD_TOP: i64 = 100;
/// The largest cash reward per promoter (fen, ¥10,000).
pub const MAX_LEADERBOARD_CASH_FEN: i64 = 1_000_000;

/// Whether `s` is a rate as the API writes it ([`RATE_PATTERN`]): `0`, `1`,
/// or `0.` / `1.` with 1 to 4 decimals (at most 1). No signs, spaces or
/// exponents, so the document and the server agree on every string.
pub fn rate_text_ok(s: &str) -> bool {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let frac_ok = |f: &str, zeros: bool| {
        (1..=RATE_SCALE as usize).contains(&f.len())
            && f.bytes()
                .all(|c| if zeros { c == b'0' } else { c.is_ascii_digit() })
    };
    match (int, frac) {
        ("0", None) | ("1", None) => true,
        ("0", Some(f)) => frac_ok(f, false),
        ("1", Some(f)) => frac_ok(f, true),
        _ => false,
    }
}

/// Who may promote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mode {
    /// Any shopper who asks becomes a promoter at once.
    Everyone,
    /// Shoppers apply; the merchant approves or rejects.
    Approval,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Settings {
    pub enabled: bool,
    pub mode: Mode,
    /// 1 (default) or 2; never 3 or more (`TOO_MANY_COMMISSION_LEVELS`).
    pub levels: i64,
    /// One rate per level, level 1 first, each in [0, 1], their sum ≤ 1.
    pub rates: Vec<Ratio>,
    /// A promoter's own purchase earns them level-1 commission.
    pub self_purchase: bool,
    /// Days a binding lasts; `None`: permanent.
    pub binding_days: Option<i64>,
    /// Days commission stays frozen after the after-sales window.
    pub frozen_days: i64,
    /// The smallest withdrawal (fen, [`MIN_WITHDRAW_FEN`]…[`MAX_WITHDRAW_FEN`]).
    pub withdraw_min: i64,
    /// The most a promoter may withdraw per Beijing day (fen).
    pub withdraw_daily_cap: i64,
    /// Withdrawals above this many fen wait for the merchant's review.
    pub review_above: i64,
    /// How many promoters the month-end leaderboard rewards (0: none).
    pub leaderboard_top: i64,
    /// Cash (fen) credited to each rewarded promoter's balance.
    pub leaderboard_cash: i64,
    /// A coupon template given to each rewarded promoter, if any.
    pub leaderboard_coupon_template_id: Option<i64>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: false,
            mode: Mode::Approval,
            levels: 1,
            rates: vec![Ratio::ZERO],
            self_purchase: false,
            binding_days: None,
            frozen_days: 7,
            withdraw_min: 100,
            withdraw_daily_cap: 100_000,
            review_above: 50_000,
            leaderboard_top: 10,
            leaderboard_cash: 0,
            leaderboard_coupon_template_id: None,
        }
    }
}

impl Settings {
    pub fn check(&self) -> Result<(), DistributionError> {
        let invalid = |f: &'static str, why: &str| DistributionError::Invalid(f, why.to_string());
        if self.levels > MAX_LEVELS as i64 || self.rates.len() > MAX_LEVELS {
            let levels = self.levels.max(self.rates.len() as i64).max(0) as u64;
            return Err(RuleError::TooManyCommissionLevels { levels }.into());
        }
        if self.levels < 1 {
            return Err(invalid("levels", "1 or 2"));
        }
        if self.rates.len() as i64 != self.levels {
            return Err(DistributionError::Rates("one rate per level".into()));
        }
        let mut sum = Decimal::ZERO;
        for r in &self.rates {
            let v = r.check_rate("rates")?;
            if v.scale() > RATE_SCALE {
                return Err(invalid("rates", "at most 4 decimal places"));
            }
            sum += v;
        }
        if sum > Decimal::ONE {
            return Err(DistributionError::Rates(
                "rates add up to more than 1".into(),
            ));
        }
        if let Some(d) = self.binding_days {
            if !(1..=MAX_BINDING_DAYS).contains(&d) {
                return Err(invalid("bindingDays", "1 to 3650, or null (permanent)"));
            }
        }
        if !(0..=MAX_FROZEN_DAYS).contains(&self.frozen_days) {
            return Err(invalid("frozenDays", "0 to 365"));
        }
        if !(MIN_WITHDRAW_FEN..=MAX_WITHDRAW_FEN).contains(&self.withdraw_min) {
            return Err(invalid("withdrawMin", "10 to 200000 fen"));
        }
        if !(MIN_WITHDRAW_FEN..=MAX_DAILY_CAP_FEN).contains(&self.withdraw_daily_cap) {
            return Err(invalid("withdrawDailyCap", "10 to 1000000 fen"));
        }
        if !(0..=MAX_WITHDRAW_FEN).contains(&self.review_above) {
            return Err(invalid("reviewAbove", "0 to 200000 fen"));
        }
        if !(0..=MAX_LEADERBOARD_TOP).contains(&self.leaderboard_top) {
            return Err(invalid("leaderboardTop", "0 to 100"));
        }
        if !(0..=MAX_LEADERBOARD_CASH_FEN).contains(&self.leaderboard_cash) {
            return Err(invalid("leaderboardCash", "0 to 1000000 fen"));
        }
        if self.leaderboard_coupon_template_id.is_some_and(|t| t < 1) {
            return Err(invalid("leaderboardCouponTemplateId", "a template id"));
        }
        // A rule the schema cannot say: 422, never INVALID_INPUT.
        if self.withdraw_daily_cap < self.withdraw_min {
            return Err(DistributionError::Limits(
                "withdrawDailyCap is below withdrawMin".into(),
            ));
        }
        Ok(())
    }
}

/// The stored settings (the defaults, switched off, until saved). `lock`:
/// `db.for_update()` to serialize with other writers of the row.
pub async fn load(conn: &mut AnyConnection, lock: &str) -> Result<Settings, DistributionError> {
    parse(db::setting(conn, KEY, lock).await?)
}

/// The settings from their stored text (`settings` under [`KEY`]; `None`:
/// never saved, the defaults).
pub fn parse(text: Option<String>) -> Result<Settings, DistributionError> {
    match text {
        Some(text) => Ok(serde_json::from_str(&text).map_err(anyhow::Error::from)?),
        None => Ok(Settings::default()),
    }
}

pub async fn save(conn: &mut AnyConnection, s: &Settings) -> Result<(), DistributionError> {
    s.check()?;
    let text = serde_json::to_string(s).map_err(anyhow::Error::from)?;
    db::put_setting(conn, KEY, &text).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(levels: i64, rates: &[&str]) -> Settings {
        Settings {
            enabled: true,
            levels,
            rates: rates.iter().map(|r| r.parse().unwrap()).collect(),
            ..Settings::default()
        }
    }

    #[test]
    fn one_or_two_levels_pass_and_three_is_too_many() {
        with(1, &["0.1"]).check().unwrap();
        with(2, &["0.1", "0.05"]).check().unwrap();
        let e = with(3, &["0.1", "0.05", "0.01"]).check().unwrap_err();
        assert!(matches!(
            e,
            DistributionError::Rule(RuleError::TooManyCommissionLevels { levels: 3 })
        ));
        assert!(with(2, &["0.1"]).check().is_err());
        assert!(with(0, &[]).check().is_err());
    }

    #[test]
    fn rate_texts_are_exactly_the_documented_pattern() {
        for ok in ["0", "1", "0.1", "0.05", "0.1234", "1.0", "1.0000"] {
            assert!(rate_text_ok(ok), "{ok}");
        }
        for bad in [
            "", " 0.1", "0.1 ", "+0.1", ".5", "00.1", "0.12345", "1.01", "2", "1e-1", "0.", "-0",
        ] {
            assert!(!rate_text_ok(bad), "{bad}");
        }
    }

    #[test]
    fn rates_are_bounded() {
        assert!(with(2, &["0.6", "0.5"]).check().is_err());
        assert!(with(1, &["1.5"]).check().is_err());
        assert!(with(1, &["0.12345"]).check().is_err());
        with(1, &["1"]).check().unwrap();
    }
}
