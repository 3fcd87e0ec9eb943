//! Binding (绑定): a new shopper who lands through an approved promoter's
//! share token (any kind) is bound to that promoter.
//!
//! The hook: the mini-program calls `POST /api/distribution/bind {share}`
//! once signed in, whenever a page opened with a `share` token (a share card's
//! `?share=` or a code's `scene`). Login happens once per session, before
//! landing pages are known, and events are anonymous and batched; this call
//! is the one place the server learns, for a signed-in shopper, which token
//! brought them. It is idempotent: a second call changes nothing.
//!
//! Rules, all in one conditional insert (first touch wins by the primary key,
//! never count-then-insert):
//! * new users only: no order yet;
//! * not already bound (an expired binding may be replaced);
//! * not to oneself; not into a cycle: the promoter's upline chain (all of
//!   it, followed through the bindings) must not contain the new user.
//!
//! Binding inserts are serialized by the settings row (`FOR UPDATE` on
//! PostgreSQL, the write lock on SQLite), so two users binding to each other
//! at the same moment cannot both pass the cycle check; they are rare (once
//! per shopper at most).

use mall_core::commission::CommissionRule;
use serde::Serialize;
use sqlx::AnyConnection;

use super::promoters;
use super::settings;
use super::{Distribution, DistributionError};
use crate::db::Db;

/// Why a landing did or did not bind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    Bound,
    /// Distribution is switched off.
    Disabled,
    /// No such share token.
    UnknownToken,
    /// The shopper's own token.
    OwnLink,
    /// The sharer is not an approved promoter.
    NotPromoter,
    /// Already bound (first touch wins).
    AlreadyBound,
    /// Not a new user: has ordered before.
    NotNew,
    /// The promoter's upline contains the shopper.
    Cycle,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bind {
    pub bound: bool,
    pub outcome: Outcome,
    /// The shopper's promoter now, if any.
    pub promoter_id: Option<i64>,
}

async fn current(conn: &mut AnyConnection, user_id: i64, now: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT promoter_id FROM distribution_bindings WHERE user_id = $1 AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(user_id)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// Bind `user_id` to the sharer of `token` if the rules allow.
pub async fn bind(db: &Db, user_id: i64, token: &str, now: i64) -> Result<Bind, DistributionError> {
    let mut tx = db.begin_write().await?;
    let r = bind_in(&mut tx, db.for_update(), user_id, token, now).await;
    crate::db::finish(tx, r).await
}

async fn bind_in(
    conn: &mut AnyConnection,
    lock: &str,
    user_id: i64,
    token: &str,
    now: i64,
) -> Result<Bind, DistributionError> {
    let not = |outcome, promoter_id| Bind {
        bound: false,
        outcome,
        promoter_id,
    };
    let s = settings::load(&mut *conn, lock).await?;
    if !s.enabled {
        return Ok(not(Outcome::Disabled, None));
    }
    let sharer: Option<i64> =
        sqlx::query_scalar("SELECT sharer_id FROM share_tokens WHERE token = $1")
            .bind(token)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(sharer) = sharer else {
        return Ok(not(Outcome::UnknownToken, None));
    };
    if sharer == user_id {
        return Ok(not(Outcome::OwnLink, None));
    }
    if !promoters::is_approved(&mut *conn, sharer).await? {
        return Ok(not(Outcome::NotPromoter, None));
    }
    let expires = s.binding_days.map(|d| now + d * 86_400);
    let r = sqlx::query(
        "WITH RECURSIVE up (id, depth) AS (
             SELECT CAST($2 AS BIGINT), 0
             UNION
             SELECT b.promoter_id, up.depth + 1 FROM distribution_bindings b JOIN up ON b.user_id = up.id
             WHERE up.depth < 64
         )
         INSERT INTO distribution_bindings (user_id, promoter_id, share_token, created_at, expires_at)
         SELECT $1, $2, $3, $4, $5
         WHERE NOT EXISTS (SELECT 1 FROM orders WHERE user_id = $1)
           AND NOT EXISTS (SELECT 1 FROM up WHERE up.id = $1)
         ON CONFLICT (user_id) DO UPDATE SET promoter_id = excluded.promoter_id,
             share_token = excluded.share_token, created_at = excluded.created_at, expires_at = excluded.expires_at
         WHERE distribution_bindings.expires_at IS NOT NULL AND distribution_bindings.expires_at <= $4",
    )
    .bind(user_id)
    .bind(sharer)
    .bind(token)
    .bind(now)
    .bind(expires)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() == 1 {
        return Ok(Bind {
            bound: true,
            outcome: Outcome::Bound,
            promoter_id: Some(sharer),
        });
    }
    if let Some(p) = current(&mut *conn, user_id, now).await? {
        return Ok(not(Outcome::AlreadyBound, Some(p)));
    }
    let ordered: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(not(
        if ordered > 0 {
            Outcome::NotNew
        } else {
            Outcome::Cycle
        },
        None,
    ))
}

/// An approved promoter's own promoter (their unexpired binding to an
/// approved promoter).
async fn upline(conn: &mut AnyConnection, user_id: i64, now: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT b.promoter_id FROM distribution_bindings b
         JOIN promoters p ON p.user_id = b.promoter_id AND p.status = 'approved'
         WHERE b.user_id = $1 AND (b.expires_at IS NULL OR b.expires_at > $2)",
    )
    .bind(user_id)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// The chain and rule an order placed by `buyer` now snapshots, under the
/// settings `s` (read by the order in its transaction): level 1 the buyer's
/// promoter (the buyer themself when self-purchase is on and they are an
/// approved promoter), level 2 that promoter's promoter when the settings
/// have two levels; approved promoters only. None: no commission (and no
/// statement when distribution is off).
pub async fn chain(
    conn: &mut AnyConnection,
    s: &settings::Settings,
    buyer: i64,
    now: i64,
) -> Result<Option<Distribution>, DistributionError> {
    if !s.enabled {
        return Ok(None);
    }
    let mut chain = Vec::new();
    let mut next = if s.self_purchase && promoters::is_approved(&mut *conn, buyer).await? {
        Some(buyer)
    } else {
        upline(&mut *conn, buyer, now).await?
    };
    while let Some(p) = next {
        if chain.len() as i64 >= s.levels || chain.contains(&p) {
            break;
        }
        chain.push(p);
        next = upline(&mut *conn, p, now).await?;
    }
    if chain.is_empty() {
        return Ok(None);
    }
    Ok(Some(Distribution {
        rule: CommissionRule {
            rates: s.rates.clone(),
        },
        promoters: chain.iter().map(i64::to_string).collect(),
    }))
}

/// Team counts of a promoter: shoppers bound to them (level 1) and to those
/// (level 2); counts only (no names, no team performance).
pub async fn team(conn: &mut AnyConnection, promoter: i64, now: i64) -> sqlx::Result<(i64, i64)> {
    let one: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM distribution_bindings WHERE promoter_id = $1 AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(promoter)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let two: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM distribution_bindings b2
         JOIN distribution_bindings b1 ON b2.promoter_id = b1.user_id
         WHERE b1.promoter_id = $1 AND (b1.expires_at IS NULL OR b1.expires_at > $2)
           AND (b2.expires_at IS NULL OR b2.expires_at > $2)",
    )
    .bind(promoter)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok((one, two))
}
