//! 签到: one sign-in per shopper and Beijing day (a unique index; a second
//! sign-in that day answers the same reward and earns nothing), the reward
//! computed by the core from the merchant's rule and the previous sign-in,
//! points through the points ledger and growth through the member growth
//! (so member levels follow), in one transaction. The merchant's rule is a
//! settings row beside the shop rules, changed from the console and audited.

use mall_core::{signin_reward, NextBonus, RuleError, SigninInput, SigninRule};
use serde::Serialize;
use sqlx::AnyConnection;

use crate::clock::{beijing_rfc3339, BEIJING_OFFSET};
use crate::db::{self, Db};
use crate::members::users;
use crate::staff::{audit, StaffMember};

/// The settings key of the merchant's sign-in rule.
pub const RULE_KEY: &str = "signin_rule";

#[derive(Debug, thiserror::Error)]
pub enum SigninError {
    #[error("rule: {0}")]
    Rule(#[from] RuleError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

pub type Result<T, E = SigninError> = std::result::Result<T, E>;

/// The Beijing day number (days since 1970-01-01 Beijing) holding `t`.
pub fn day_of(t: i64) -> i64 {
    (t + BEIJING_OFFSET).div_euclid(86_400)
}

/// `YYYY-MM-DD` of a Beijing day number.
pub fn date_of(day: i64) -> String {
    beijing_rfc3339(day * 86_400 - BEIJING_OFFSET)[..10].to_string()
}

/// The merchant's rule (the default rule until one is saved).
pub async fn rule(conn: &mut AnyConnection) -> Result<SigninRule> {
    let text = db::setting(conn, RULE_KEY, "").await?;
    Ok(match text {
        Some(t) => serde_json::from_str(&t).map_err(anyhow::Error::from)?,
        None => SigninRule::default(),
    })
}

/// Replace the rule (checked by the core) and record who changed what.
pub async fn set_rule(
    db: &Db,
    new: &SigninRule,
    who: &StaffMember,
    now: i64,
) -> Result<SigninRule> {
    mall_core::signin::validate_rule(new)?;
    let mut tx = db.begin_write().await?;
    let r: Result<_> = async {
        let before = serde_json::to_value(rule(&mut tx).await?).map_err(anyhow::Error::from)?;
        let text = serde_json::to_string(new).map_err(anyhow::Error::from)?;
        db::put_setting(&mut tx, RULE_KEY, &text).await?;
        let after = serde_json::to_value(new).map_err(anyhow::Error::from)?;
        audit::record(
            &mut tx,
            who,
            "rules.signin",
            "settings:signin_rule",
            Some(&before),
            Some(&after),
            now,
        )
        .await?;
        Ok(new.clone())
    }
    .await;
    db::finish(tx, r).await
}

/// A sign-in and what it earned.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Signed {
    /// The Beijing date signed.
    pub date: String,
    pub streak: u32,
    pub points: i64,
    pub growth: i64,
    /// The streak bonus day earned today, if any.
    pub bonus_day: Option<u32>,
    /// The next bonus if the streak goes on (还差N天).
    pub next_bonus: Option<NextBonus>,
    /// True when today was already signed: nothing more was earned.
    pub already: bool,
}

type Day = (i64, i64, i64, i64, Option<i64>);

async fn on_day(conn: &mut AnyConnection, user_id: i64, day: i64) -> Result<Option<Day>> {
    Ok(sqlx::query_as(
        "SELECT day, streak, points, growth, bonus_day FROM signins WHERE user_id = $1 AND day = $2",
    )
    .bind(user_id)
    .bind(day)
    .fetch_optional(conn)
    .await?)
}

fn signed(rule: &SigninRule, d: Day, already: bool) -> Signed {
    // The next bonus as the rule stands now, continuing from that day.
    let next = signin_reward(&SigninInput {
        rule: rule.clone(),
        last_day: Some(d.0),
        last_streak: u32::try_from(d.1).unwrap_or(u32::MAX),
        today: d.0 + 1,
    })
    .ok()
    .and_then(|r| {
        r.bonus
            .map(|b| NextBonus {
                day: b.day,
                days_left: 1,
                points: b.points,
                growth: b.growth,
            })
            .or(r.next_bonus.map(|n| NextBonus {
                days_left: n.days_left + 1,
                ..n
            }))
    });
    Signed {
        date: date_of(d.0),
        streak: u32::try_from(d.1).unwrap_or(u32::MAX),
        points: d.2,
        growth: d.3,
        bonus_day: d.4.and_then(|b| u32::try_from(b).ok()),
        next_bonus: next,
        already,
    }
}

/// Sign the shopper in for the Beijing day holding `now`.
pub async fn sign_in(db: &Db, user_id: i64, now: i64) -> Result<Signed> {
    let today = day_of(now);
    let mut tx = db.begin_write().await?;
    let r: Result<_> = async {
        let rule = rule(&mut tx).await?;
        if let Some(d) = on_day(&mut tx, user_id, today).await? {
            return Ok(Some(signed(&rule, d, true)));
        }
        let last: Option<(i64, i64)> = sqlx::query_as(
            "SELECT day, streak FROM signins WHERE user_id = $1 AND day < $2 ORDER BY day DESC LIMIT 1",
        )
        .bind(user_id)
        .bind(today)
        .fetch_optional(&mut *tx)
        .await?;
        let reward = signin_reward(&SigninInput {
            rule: rule.clone(),
            last_day: last.map(|l| l.0),
            last_streak: last.map_or(0, |l| u32::try_from(l.1).unwrap_or(0)),
            today,
        })?;
        let points = i64::try_from(reward.points).map_err(|_| RuleError::AmountOverflow)?;
        let growth = i64::try_from(reward.growth).map_err(|_| RuleError::AmountOverflow)?;
        let bonus_day = reward.bonus.as_ref().map(|b| i64::from(b.day));
        let inserted = sqlx::query(
            "INSERT INTO signins (user_id, day, streak, points, growth, bonus_day, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, day) DO NOTHING",
        )
        .bind(user_id)
        .bind(today)
        .bind(i64::from(reward.streak))
        .bind(points)
        .bind(growth)
        .bind(bonus_day)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            // A racing sign-in the same day won: answer its reward.
            return Ok(None);
        }
        if points > 0 {
            users::add_points(&mut tx, user_id, points, "signin", None, now).await?;
        }
        if growth > 0 {
            users::add_growth(&mut tx, user_id, growth).await?;
        }
        Ok(Some(signed(
            &rule,
            (today, i64::from(reward.streak), points, growth, bonus_day),
            false,
        )))
    }
    .await;
    match db::finish(tx, r).await? {
        Some(s) => Ok(s),
        None => {
            let mut conn = db.pool.acquire().await?;
            let rule = rule(&mut conn).await?;
            let d = on_day(&mut conn, user_id, today)
                .await?
                .ok_or_else(|| anyhow::anyhow!("sign-in row vanished"))?;
            Ok(signed(&rule, d, true))
        }
    }
}

/// The sign-in calendar of one month.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Calendar {
    /// `YYYY-MM`.
    pub month: String,
    pub today: String,
    pub signed_today: bool,
    /// The streak still alive (signed today or yesterday), else 0.
    pub streak: u32,
    pub rule: SigninRule,
    pub days: Vec<Signed>,
}

/// The month `month` (`YYYY-MM`, a real month 2000–2199) or None.
pub fn month_days(month: &str) -> Option<(i64, i64)> {
    let start = crate::clock::beijing_date_start(&format!("{month}-01"))?;
    let (y, m): (i64, i64) = (
        month.get(..4)?.parse().ok()?,
        month.get(5..7)?.parse().ok()?,
    );
    let next = if m == 12 {
        format!("{:04}-01-01", y + 1)
    } else {
        format!("{y:04}-{:02}-01", m + 1)
    };
    let end = crate::clock::beijing_date_start(&next).unwrap_or(start + 31 * 86_400);
    Some((day_of(start), day_of(end)))
}

pub async fn calendar(
    conn: &mut AnyConnection,
    user_id: i64,
    month: &str,
    (first, end): (i64, i64),
    now: i64,
) -> Result<Calendar> {
    let rule = rule(&mut *conn).await?;
    let rows: Vec<Day> = sqlx::query_as(
        "SELECT day, streak, points, growth, bonus_day FROM signins
         WHERE user_id = $1 AND day >= $2 AND day < $3 ORDER BY day",
    )
    .bind(user_id)
    .bind(first)
    .bind(end)
    .fetch_all(&mut *conn)
    .await?;
    let today = day_of(now);
    let last: Option<(i64, i64)> = sqlx::query_as(
        "SELECT day, streak FROM signins WHERE user_id = $1 AND day <= $2 ORDER BY day DESC LIMIT 1",
    )
    .bind(user_id)
    .bind(today)
    .fetch_optional(&mut *conn)
    .await?;
    let streak = match last {
        Some((d, s)) if d >= today - 1 => u32::try_from(s).unwrap_or(0),
        _ => 0,
    };
    Ok(Calendar {
        month: month.to_string(),
        today: date_of(today),
        signed_today: last.is_some_and(|l| l.0 == today),
        streak,
        days: rows.into_iter().map(|d| signed(&rule, d, true)).collect(),
        rule,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_days_turn_at_local_midnight() {
        // 2025-01-01 00:00 Beijing = 2024-12-31 16:00 UTC.
        let midnight = 1_735_660_800;
        assert_eq!(day_of(midnight), day_of(midnight - 1) + 1);
        assert_eq!(date_of(day_of(midnight)), "2025-01-01");
        assert_eq!(date_of(day_of(midnight - 1)), "2024-12-31");
    }

    #[test]
    fn a_month_spans_its_days() {
        let (a, b) = month_days("2024-02").unwrap();
        assert_eq!(b - a, 29);
        assert_eq!(date_of(a), "2024-02-01");
        let (a, b) = month_days("2024-12").unwrap();
        assert_eq!((b - a, date_of(b)), (31, "2025-01-01".to_string()));
        assert!(month_days("2024-13").is_none());
    }
}
