//! Subscription consent (订阅消息的一次性授权): WeChat delivers a one-time
//! subscription message only after the shopper accepted its template in
//! `wx.requestSubscribeMessage`, one message per acceptance. The mini-program
//! asks at natural moments ([`Moment`]) and reports the answers; each
//! acceptance is one credit per (user, template). The outbox takes a credit
//! with one conditional UPDATE before it sends ([`take`]) and never sends
//! without one; a retryable failure gives it back ([`give_back`]); WeChat's
//! 43101 (not accepted after all) clears the template's credits ([`clear`]).

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::AnyConnection;

use super::message::Kind;

/// Credits kept per (user, template): acceptances beyond this are counted but
/// add no credit (a shopper cannot be sent more than this many messages of
/// one template without being asked again).
pub const MAX_CREDITS: i64 = 50;

/// Templates one `wx.requestSubscribeMessage` call may ask for (WeChat's limit).
pub const MAX_PER_ASK: usize = 3;

/// When the mini-program asks, and for which messages (at most
/// [`MAX_PER_ASK`] each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// The 支付 tap: paid, shipped and the group-buy result.
    Pay,
    /// Applying for a refund or return: its result.
    AfterSale,
    /// Claiming a coupon: the reminder before it expires.
    Coupon,
    /// 消息提醒 on the member page: shipping, refunds, coupon expiry.
    Member,
}

impl Moment {
    pub const ALL: [Moment; 4] = [
        Moment::Pay,
        Moment::AfterSale,
        Moment::Coupon,
        Moment::Member,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Moment::Pay => "pay",
            Moment::AfterSale => "afterSale",
            Moment::Coupon => "coupon",
            Moment::Member => "member",
        }
    }

    pub fn kinds(self) -> &'static [Kind] {
        match self {
            Moment::Pay => &[Kind::OrderPaid, Kind::OrderShipped, Kind::GroupResult],
            Moment::AfterSale => &[Kind::RefundResult],
            Moment::Coupon => &[Kind::CouponExpiring, Kind::CouponGranted],
            Moment::Member => &[Kind::OrderShipped, Kind::RefundResult, Kind::CouponExpiring],
        }
    }
}

/// The template ids to ask for at each moment (configured templates only).
pub fn moments(templates: &BTreeMap<String, String>) -> BTreeMap<&'static str, Vec<String>> {
    Moment::ALL
        .into_iter()
        .map(|m| {
            let ids = m
                .kinds()
                .iter()
                .filter_map(|k| templates.get(k.as_str()).filter(|t| !t.is_empty()).cloned())
                .collect();
            (m.as_str(), ids)
        })
        .collect()
}

/// A shopper's answer to one template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accept,
    /// `reject`, `ban` (the shopper switched the template off) or `filter`
    /// (WeChat filtered it): no credit.
    Decline,
}

impl Answer {
    /// WeChat's words in `wx.requestSubscribeMessage`'s result.
    pub fn parse(s: &str) -> Option<Answer> {
        match s {
            "accept" => Some(Answer::Accept),
            "reject" | "ban" | "filter" => Some(Answer::Decline),
            _ => None,
        }
    }
}

/// The credits a shopper holds, by template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Credit {
    /// The message kind (`paid`, `shipped`, …) of the template, when configured.
    pub kind: Option<String>,
    pub template_id: String,
    pub credits: i64,
}

/// Record one ask's answers (template ids already checked against the
/// configuration): an acceptance adds a credit (at most [`MAX_CREDITS`]).
pub async fn record(
    conn: &mut AnyConnection,
    user_id: i64,
    answers: &[(String, Answer)],
    now: i64,
) -> sqlx::Result<()> {
    for (template, answer) in answers {
        let (credit, accepted, rejected) = match answer {
            Answer::Accept => (1_i64, 1_i64, 0_i64),
            Answer::Decline => (0, 0, 1),
        };
        sqlx::query(
            "INSERT INTO subscribe_credits (user_id, template_id, credits, accepted, rejected, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (user_id, template_id) DO UPDATE SET
               credits = CASE WHEN subscribe_credits.credits + excluded.credits > $7
                              THEN $7 ELSE subscribe_credits.credits + excluded.credits END,
               accepted = subscribe_credits.accepted + excluded.accepted,
               rejected = subscribe_credits.rejected + excluded.rejected,
               updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(template)
        .bind(credit)
        .bind(accepted)
        .bind(rejected)
        .bind(now)
        .bind(MAX_CREDITS)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The shopper's credits, by template id.
pub async fn credits(
    conn: &mut AnyConnection,
    templates: &BTreeMap<String, String>,
    user_id: i64,
) -> sqlx::Result<Vec<Credit>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT template_id, credits FROM subscribe_credits WHERE user_id = $1 ORDER BY template_id",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(template_id, credits)| Credit {
            kind: templates
                .iter()
                .find(|(_, t)| **t == template_id)
                .map(|(k, _)| k.clone()),
            template_id,
            credits,
        })
        .collect())
}

/// Take one credit to send `template_id` to the user: one conditional
/// UPDATE, so concurrent senders never spend more credits than were given.
pub async fn take(
    conn: &mut AnyConnection,
    user_id: i64,
    template_id: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE subscribe_credits SET credits = credits - 1, updated_at = $3
         WHERE user_id = $1 AND template_id = $2 AND credits > 0",
    )
    .bind(user_id)
    .bind(template_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Give back a credit taken for a send that failed and will be retried.
pub async fn give_back(
    conn: &mut AnyConnection,
    user_id: i64,
    template_id: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE subscribe_credits SET credits = credits + 1, updated_at = $3
         WHERE user_id = $1 AND template_id = $2",
    )
    .bind(user_id)
    .bind(template_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// WeChat answered 43101: the user holds no acceptance of this template, so
/// what we counted is void.
pub async fn clear(
    conn: &mut AnyConnection,
    user_id: i64,
    template_id: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE subscribe_credits SET credits = 0, updated_at = $3
         WHERE user_id = $1 AND template_id = $2",
    )
    .bind(user_id)
    .bind(template_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_moment_asks_for_at_most_three_templates_and_every_kind_is_asked_somewhere() {
        for m in Moment::ALL {
            assert!(
                !m.kinds().is_empty() && m.kinds().len() <= MAX_PER_ASK,
                "{m:?}"
            );
        }
        for k in Kind::ALL {
            assert!(
                Moment::ALL.iter().any(|m| m.kinds().contains(&k)),
                "{k:?} is never asked for"
            );
        }
    }

    #[test]
    fn moments_list_configured_templates_only() {
        let mut t = crate::config::default_templates();
        t.insert("group".into(), String::new());
        let m = moments(&t);
        assert_eq!(m["pay"], ["tmpl-order-paid", "tmpl-order-shipped"]);
        assert_eq!(m["coupon"], ["tmpl-coupon-expiring", "tmpl-coupon-granted"]);
        t.insert("couponGranted".into(), String::new());
        assert_eq!(moments(&t)["coupon"], ["tmpl-coupon-expiring"]);
        assert_eq!(m.len(), Moment::ALL.len());
    }

    #[test]
    fn answers_are_wechats_words() {
        assert_eq!(Answer::parse("accept"), Some(Answer::Accept));
        for d in ["reject", "ban", "filter"] {
            assert_eq!(Answer::parse(d), Some(Answer::Decline));
        }
        assert_eq!(Answer::parse("yes"), None);
    }
}
