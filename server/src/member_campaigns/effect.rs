//! A campaign's effect, measured against its holdout: for the members it
//! reached and those held out, the orders paid within [`EFFECT_DAYS`] after
//! the decision, their GMV (paid less refunded), the share who bought again
//! (repurchase) and the difference in percentage points (the increment the
//! campaign made); and how many of its coupons were used.

use rust_decimal::prelude::*;
use serde::Serialize;
use sqlx::AnyConnection;

/// Orders within this many days after a decision count for the campaign.
pub const EFFECT_DAYS: i64 = 7;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub members: i64,
    /// Members who paid an order within the window.
    pub buyers: i64,
    pub orders: i64,
    /// Σ paid − refunded of those orders, fen.
    pub gmv: i64,
    /// buyers / members, percent with 2 decimals ("12.50").
    pub repurchase_rate: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Effect {
    pub reached: Group,
    pub holdout: Group,
    pub coupons_granted: i64,
    pub coupons_used: i64,
    /// reached − holdout repurchase rate, percentage points ("3.25", "-1.00";
    /// "0.00" while either group is empty).
    pub incremental_repurchase: String,
}

/// `part / whole` in percent, half-up to 2 decimals.
pub fn percent(part: i64, whole: i64) -> Decimal {
    if whole <= 0 {
        return Decimal::ZERO;
    }
    (Decimal::from(part) * Decimal::from(100) / Decimal::from(whole))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn fixed(d: Decimal) -> String {
    format!("{:.2}", d)
}

pub async fn effect(conn: &mut AnyConnection, campaign_id: &str) -> sqlx::Result<Effect> {
    let window = EFFECT_DAYS * 86_400;
    let members: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT s.decision, COUNT(*),
                CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM orders o WHERE o.user_id = s.user_id
                    AND o.paid_at >= s.at AND o.paid_at < s.at + $2) THEN 1 ELSE 0 END) AS BIGINT)
         FROM member_campaign_sends s WHERE s.campaign_id = $1 GROUP BY s.decision",
    )
    .bind(campaign_id)
    .bind(window)
    .fetch_all(&mut *conn)
    .await?;
    let orders: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT s.decision, COUNT(o.id),
                CAST(COALESCE(SUM(COALESCE(o.paid_amount, o.payable) - o.refunded_amount), 0) AS BIGINT)
         FROM member_campaign_sends s
         JOIN orders o ON o.user_id = s.user_id AND o.paid_at >= s.at AND o.paid_at < s.at + $2
         WHERE s.campaign_id = $1 GROUP BY s.decision",
    )
    .bind(campaign_id)
    .bind(window)
    .fetch_all(&mut *conn)
    .await?;
    let (granted, used): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(c.id), CAST(COALESCE(SUM(CASE WHEN c.status = 'used' THEN 1 ELSE 0 END), 0) AS BIGINT)
         FROM member_campaign_sends s JOIN user_coupons c ON c.id = s.coupon_id
         WHERE s.campaign_id = $1",
    )
    .bind(campaign_id)
    .fetch_one(&mut *conn)
    .await?;
    let group = |decision: &str| {
        let (m, b) = members
            .iter()
            .find(|r| r.0 == decision)
            .map_or((0, 0), |r| (r.1, r.2));
        let (o, g) = orders
            .iter()
            .find(|r| r.0 == decision)
            .map_or((0, 0), |r| (r.1, r.2));
        Group {
            members: m,
            buyers: b,
            orders: o,
            gmv: g,
            repurchase_rate: fixed(percent(b, m)),
        }
    };
    let (reached, holdout) = (group("send"), group("holdout"));
    let increment = if reached.members > 0 && holdout.members > 0 {
        percent(reached.buyers, reached.members) - percent(holdout.buyers, holdout.members)
    } else {
        Decimal::ZERO
    };
    Ok(Effect {
        reached,
        holdout,
        coupons_granted: granted,
        coupons_used: used,
        incremental_repurchase: fixed(increment),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_is_half_up_to_two_places() {
        assert_eq!(fixed(percent(1, 3)), "33.33");
        assert_eq!(fixed(percent(2, 3)), "66.67");
        assert_eq!(fixed(percent(1, 8)), "12.50");
        assert_eq!(fixed(percent(0, 0)), "0.00");
        assert_eq!(fixed(percent(1, 3) - percent(2, 3)), "-33.34");
    }
}
