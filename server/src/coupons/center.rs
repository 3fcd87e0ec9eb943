//! 领券中心: the batches open for claiming with what remains, and claiming
//! one in a single write transaction where every cap is one conditional
//! statement (never count-then-insert):
//! 1. `issued = issued + 1 WHERE issued < total` and the claim window;
//! 2. the shopper's holding of the batch, upserted `WHERE n < per_user_limit`;
//! 3. the batch's claims that Beijing day, upserted `WHERE n < per_day_limit`;
//! 4. the wallet coupon, unique on the shopper's request id (a retry answers
//!    the coupon of the first attempt and takes nothing again).
//!
//! Any cap refusing rolls the whole transaction back.

use serde::Serialize;
use sqlx::AnyConnection;

use super::{bump, CouponError, Result, DAY_QUOTA, USER_QUOTA};
use crate::clock::beijing_day_start;
use crate::db::{self, Db};

/// A batch as the coupon center shows it to a shopper.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Batch {
    pub id: i64,
    pub title: String,
    pub shop_id: Option<String>,
    pub kind: mall_core::CouponKind,
    pub scope: mall_core::promotion::Scope,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
    pub valid_days: Option<i64>,
    pub total: i64,
    pub remaining: i64,
    pub per_user_limit: i64,
    pub per_day_limit: Option<i64>,
    /// Left today under the daily cap (None without one).
    pub remaining_today: Option<i64>,
    pub transferable: bool,
    /// How many of this batch the shopper holds (claimed or received); 0 anonymous.
    pub claimed: i64,
    /// The shopper may claim one now.
    pub can_claim: bool,
}

type BRow = (
    i64,
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
    i64,
    Option<i64>,
    i64,
    i64,
    Option<i64>,
    Option<String>,
);

/// Every batch open for claiming now, with the shopper's own state.
pub async fn batches(
    conn: &mut AnyConnection,
    user_id: Option<i64>,
    now: i64,
) -> Result<Vec<Batch>> {
    let rows: Vec<BRow> = sqlx::query_as(
        "SELECT t.id, t.title, t.kind, t.scope, t.valid_from, t.valid_until, t.valid_days, t.total, t.issued,
                t.per_user_limit, t.per_day_limit, t.transferable,
                COALESCE((SELECT q.n FROM coupon_user_quota q WHERE q.template_id = t.id AND q.user_id = $1), 0),
                (SELECT d.n FROM coupon_day_quota d WHERE d.template_id = t.id AND d.day = $2), t.shop_id
         FROM coupon_templates t
         WHERE t.claimable = 1 AND (t.valid_until IS NULL OR t.valid_until > $3)
         ORDER BY t.id",
    )
    .bind(user_id.unwrap_or(0))
    .bind(beijing_day_start(now))
    .bind(now)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let remaining = (r.7 - r.8).max(0);
            let remaining_today = r.10.map(|l| (l - r.13.unwrap_or(0)).max(0));
            Ok(Batch {
                id: r.0,
                title: r.1,
                shop_id: r.14,
                kind: serde_json::from_str(&r.2).map_err(anyhow::Error::from)?,
                scope: serde_json::from_str(&r.3).map_err(anyhow::Error::from)?,
                valid_from: r.4,
                valid_until: r.5,
                valid_days: r.6,
                total: r.7,
                remaining,
                per_user_limit: r.9,
                per_day_limit: r.10,
                remaining_today,
                transferable: r.11 != 0,
                claimed: r.12,
                can_claim: remaining > 0 && r.12 < r.9 && remaining_today != Some(0),
            })
        })
        .collect()
}

/// Claim one coupon of batch `template_id`: the new (or, for a repeated
/// `request_id`, the earlier) wallet coupon's id, and whether it is new.
pub async fn claim(
    db: &Db,
    user_id: i64,
    template_id: i64,
    request_id: Option<&str>,
    now: i64,
) -> Result<(i64, bool)> {
    if let Some(rid) = request_id {
        let mut conn = db.pool.acquire().await?;
        if let Some(id) = by_request(&mut conn, user_id, rid).await? {
            return Ok((id, false));
        }
    }
    let mut tx = db.begin_write().await?;
    let r = take(&mut tx, user_id, template_id, request_id, now).await;
    match db::finish(tx, r).await {
        Ok(id) => Ok((id, true)),
        // The same request id won in a racing transaction: answer its coupon.
        Err(CouponError::DuplicateRequest) => {
            let mut conn = db.pool.acquire().await?;
            let rid = request_id.unwrap_or_default();
            by_request(&mut conn, user_id, rid)
                .await?
                .map(|id| (id, false))
                .ok_or(CouponError::NotFound)
        }
        Err(e) => Err(e),
    }
}

async fn by_request(conn: &mut AnyConnection, user_id: i64, rid: &str) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM user_coupons WHERE user_id = $1 AND request_id = $2")
            .bind(user_id)
            .bind(rid)
            .fetch_optional(conn)
            .await?,
    )
}

type Window = (Option<i64>, Option<i64>, Option<i64>, i64, Option<i64>);

/// The claim's statements; `DuplicateRequest` when the request id is already
/// taken (the transaction is rolled back).
async fn take(
    conn: &mut AnyConnection,
    user_id: i64,
    template_id: i64,
    request_id: Option<&str>,
    now: i64,
) -> Result<i64> {
    let w: Option<Window> = sqlx::query_as(
        "UPDATE coupon_templates SET issued = issued + 1
         WHERE id = $1 AND claimable = 1 AND (valid_until IS NULL OR valid_until > $2) AND issued < total
         RETURNING valid_from, valid_until, valid_days, per_user_limit, per_day_limit",
    )
    .bind(template_id)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((from, until, days, per_user, per_day)) = w else {
        // Only to name the refusal: the batch is open but none is left, or it is not open.
        let open: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM coupon_templates
             WHERE id = $1 AND claimable = 1 AND (valid_until IS NULL OR valid_until > $2)",
        )
        .bind(template_id)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        return Err(if open.is_some() {
            CouponError::SoldOut
        } else {
            CouponError::NotFound
        });
    };
    if !bump(&mut *conn, USER_QUOTA, (template_id, user_id), per_user).await? {
        return Err(CouponError::UserLimit { limit: per_user });
    }
    if let Some(limit) = per_day {
        let day = beijing_day_start(now);
        if !bump(&mut *conn, DAY_QUOTA, (template_id, day), limit).await? {
            return Err(CouponError::DayLimit { limit });
        }
    }
    let (valid_from, valid_until) = match (from, until, days) {
        (_, _, Some(d)) => (now, now + d * 86_400),
        (f, Some(u), None) => (f.unwrap_or(now), u),
        (f, None, None) => (f.unwrap_or(now), now + 30 * 86_400),
    };
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO user_coupons (user_id, template_id, valid_from, valid_until, status, claimed_at, request_id)
         VALUES ($1, $2, $3, $4, 'available', $5, $6)
         ON CONFLICT (user_id, request_id) DO NOTHING RETURNING id",
    )
    .bind(user_id)
    .bind(template_id)
    .bind(valid_from)
    .bind(valid_until)
    .bind(now)
    .bind(request_id)
    .fetch_optional(&mut *conn)
    .await?;
    id.ok_or(CouponError::DuplicateRequest)
}
