//! 券转赠: a shopper gifts an available coupon of a transferable batch.
//! `available → gifting` opens a card with a share token for 24 hours (the
//! coupon is out of the checkout's wallet meanwhile); a friend accepting it
//! turns the giver's coupon `gifted` with one conditional UPDATE (so of any
//! number of friends accepting at once exactly one wins) and receives a new
//! coupon (parent id, the original validity, never gifted again), counted
//! toward the friend's per-user cap. The giver may cancel while it is open;
//! a job returns unaccepted gifts at expiry. A shopper opens at most
//! [`GIFTS_PER_DAY`] cards per Beijing day (one conditional upsert).

use mall_core::{gift_eligibility, GiftCouponState, GiftInput};
use serde::Serialize;
use sqlx::AnyConnection;

use super::{bump, CouponError, Result, GIFT_QUOTA, USER_QUOTA};
use crate::db::{self, Db};

/// A gift card's share token: `c` + 24 URL-safe base64 characters (within
/// WeChat's `scene` alphabet, ≤ 32 characters).
pub const TOKEN_LEN: usize = 25;

/// Gift cards a shopper may open per Beijing day (cancelled ones count too).
pub const GIFTS_PER_DAY: i64 = 10;

/// Whether `t` can be a gift token (checked at the edge before any query).
pub fn is_token(t: &str) -> bool {
    t.len() == TOKEN_LEN
        && t.starts_with('c')
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Opened {
    pub coupon_id: i64,
    pub token: String,
    pub expires_at: i64,
}

type Own = (String, Option<i64>, i64, i64);

/// Open a gift card for the shopper's coupon `coupon_id`.
pub async fn open(db: &Db, user_id: i64, coupon_id: i64, now: i64) -> Result<Opened> {
    let mut tx = db.begin_write().await?;
    let r: Result<_> = async {
        let row: Option<Own> = sqlx::query_as(
            "SELECT uc.status, uc.parent_id, uc.valid_until, t.transferable
             FROM user_coupons uc JOIN coupon_templates t ON t.id = uc.template_id
             WHERE uc.id = $1 AND uc.user_id = $2",
        )
        .bind(coupon_id)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let (status, parent, valid_until, transferable) = row.ok_or(CouponError::NotFound)?;
        let ok = gift_eligibility(&GiftInput {
            coupon_id: coupon_id.to_string(),
            state: state(&status),
            transferable: transferable != 0,
            received_as_gift: parent.is_some(),
            valid_until,
            now,
        })?;
        let day = crate::clock::beijing_day_start(now);
        if !bump(&mut tx, GIFT_QUOTA, (user_id, day), GIFTS_PER_DAY).await? {
            return Err(CouponError::GiftDayLimit {
                limit: GIFTS_PER_DAY,
            });
        }
        let token = format!("c{}", crate::config::random_token(18));
        let r = sqlx::query(
            "UPDATE user_coupons SET status = 'gifting', gift_token = $1, gift_expires_at = $2
             WHERE id = $3 AND user_id = $4 AND status = 'available' AND parent_id IS NULL",
        )
        .bind(&token)
        .bind(ok.expires_at)
        .bind(coupon_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() != 1 {
            // Another request changed it between the read and the update.
            return Err(CouponError::Rule(mall_core::RuleError::CouponGifting {
                coupon_id: coupon_id.to_string(),
            }));
        }
        Ok(Opened {
            coupon_id,
            token,
            expires_at: ok.expires_at,
        })
    }
    .await;
    db::finish(tx, r).await
}

fn state(status: &str) -> GiftCouponState {
    match status {
        "available" => GiftCouponState::Available,
        "gifting" => GiftCouponState::Gifting,
        "gifted" => GiftCouponState::Gifted,
        _ => GiftCouponState::Used,
    }
}

/// The giver takes an open gift back.
pub async fn cancel(db: &Db, user_id: i64, coupon_id: i64, now: i64) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let r: Result<_> = async {
        let r = sqlx::query(
            "UPDATE user_coupons SET status = 'available', gift_expires_at = $1
             WHERE id = $2 AND user_id = $3 AND status = 'gifting'",
        )
        .bind(now)
        .bind(coupon_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 1 {
            Ok(())
        } else {
            Err(CouponError::GiftClosed)
        }
    }
    .await;
    db::finish(tx, r).await
}

/// What a gift card shows: what, from whom, until when, and its state.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Card {
    pub token: String,
    pub title: String,
    pub kind: mall_core::CouponKind,
    pub valid_from: i64,
    pub valid_until: i64,
    pub from_nickname: String,
    pub from_avatar: String,
    pub expires_at: i64,
    /// `gifting` (open), `accepted`, or `returned` (cancelled or expired).
    pub state: &'static str,
    /// The viewer is the giver.
    pub mine: bool,
}

type CardRow = (String, String, i64, i64, String, String, i64, String, i64);

pub async fn card(conn: &mut AnyConnection, viewer: i64, token: &str, now: i64) -> Result<Card> {
    let r: Option<CardRow> = sqlx::query_as(
        "SELECT t.title, t.kind, uc.valid_from, uc.valid_until, u.nickname, u.avatar,
                uc.gift_expires_at, uc.status, uc.user_id
         FROM user_coupons uc JOIN coupon_templates t ON t.id = uc.template_id
              JOIN users u ON u.id = uc.user_id
         WHERE uc.gift_token = $1",
    )
    .bind(token)
    .fetch_optional(conn)
    .await?;
    let r = r.ok_or(CouponError::GiftNotFound)?;
    let state = match (r.7.as_str(), r.6 > now) {
        ("gifted", _) => "accepted",
        ("gifting", true) => "gifting",
        _ => "returned",
    };
    Ok(Card {
        token: token.to_string(),
        title: r.0,
        kind: serde_json::from_str(&r.1).map_err(anyhow::Error::from)?,
        valid_from: r.2,
        valid_until: r.3,
        from_nickname: r.4,
        from_avatar: r.5,
        expires_at: r.6,
        state,
        mine: r.8 == viewer,
    })
}

type GiftRow = (i64, i64, i64, i64, i64, i64);

/// The friend `recipient` accepts the card `token`: the id of their new coupon.
pub async fn accept(db: &Db, recipient: i64, token: &str, now: i64) -> Result<i64> {
    let mut tx = db.begin_write().await?;
    let r: Result<_> = async {
        let g: Option<GiftRow> = sqlx::query_as(
            "SELECT uc.id, uc.user_id, uc.template_id, uc.valid_from, uc.valid_until, t.per_user_limit
             FROM user_coupons uc JOIN coupon_templates t ON t.id = uc.template_id
             WHERE uc.gift_token = $1",
        )
        .bind(token)
        .fetch_optional(&mut *tx)
        .await?;
        let (id, giver, template_id, valid_from, valid_until, per_user) =
            g.ok_or(CouponError::GiftNotFound)?;
        if giver == recipient {
            return Err(CouponError::OwnGift);
        }
        let won = sqlx::query(
            "UPDATE user_coupons SET status = 'gifted', gifted_to = $1
             WHERE id = $2 AND status = 'gifting' AND gift_token = $3 AND gift_expires_at > $4",
        )
        .bind(recipient)
        .bind(id)
        .bind(token)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if won.rows_affected() != 1 {
            return Err(CouponError::GiftClosed);
        }
        if !bump(&mut tx, USER_QUOTA, (template_id, recipient), per_user).await? {
            return Err(CouponError::UserLimit { limit: per_user });
        }
        let new_id: i64 = sqlx::query_scalar(
            "INSERT INTO user_coupons (user_id, template_id, valid_from, valid_until, status, claimed_at, parent_id)
             VALUES ($1, $2, $3, $4, 'available', $5, $6) RETURNING id",
        )
        .bind(recipient)
        .bind(template_id)
        .bind(valid_from)
        .bind(valid_until)
        .bind(now)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        Ok(new_id)
    }
    .await;
    db::finish(tx, r).await
}

/// Return every gift whose card closed unaccepted to its giver; each one
/// exactly once (the UPDATE only matches `gifting`). The number returned.
pub async fn return_expired(db: &Db, now: i64) -> Result<u64> {
    let mut tx = db.begin_write().await?;
    let r = sqlx::query(
        "UPDATE user_coupons SET status = 'available'
         WHERE status = 'gifting' AND gift_expires_at <= $1",
    )
    .bind(now)
    .execute(&mut *tx)
    .await
    .map(|r| r.rows_affected())
    .map_err(CouponError::from);
    db::finish(tx, r).await
}
