//! Coupon templates, claiming (the coupon center's caps), the shopper's
//! wallet and gifting a coupon to a friend (券转赠).

pub mod center;
pub mod gift;
pub mod grant;
pub mod store;

pub use store::*;

use mall_core::RuleError;

/// What claiming or gifting a coupon can refuse.
#[derive(Debug, thiserror::Error)]
pub enum CouponError {
    /// No such template open for claiming, or no such wallet coupon of the shopper.
    #[error("coupon not found")]
    NotFound,
    #[error("sold out")]
    SoldOut,
    #[error("at most {limit} per shopper")]
    UserLimit { limit: i64 },
    #[error("at most {limit} claims per day")]
    DayLimit { limit: i64 },
    /// The core refuses the gift (not transferable, received as a gift, used, …).
    #[error("rule: {0}")]
    Rule(#[from] RuleError),
    #[error("no gift card with this token")]
    GiftNotFound,
    /// The card was accepted, cancelled or has expired.
    #[error("gift card closed")]
    GiftClosed,
    #[error("a shopper cannot accept their own gift")]
    OwnGift,
    #[error("at most {limit} gifts a day")]
    GiftDayLimit { limit: i64 },
    /// The claim's request id is already taken (a retry racing the first attempt).
    #[error("duplicate request id")]
    DuplicateRequest,
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

pub type Result<T, E = CouponError> = std::result::Result<T, E>;

/// Take one unit of a capped counter row: insert it at 1, or add 1 while it
/// is below `limit`, in one statement (false: the cap is reached). Both
/// backends apply an upsert's `WHERE` under the row's lock, so racing
/// claims cannot pass the cap.
pub(crate) async fn bump(
    conn: &mut sqlx::AnyConnection,
    sql: &str,
    key: (i64, i64),
    limit: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query(sql)
        .bind(key.0)
        .bind(key.1)
        .bind(limit)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub(crate) const USER_QUOTA: &str =
    "INSERT INTO coupon_user_quota (template_id, user_id, n) VALUES ($1, $2, 1)
     ON CONFLICT (template_id, user_id) DO UPDATE SET n = coupon_user_quota.n + 1
     WHERE coupon_user_quota.n < $3";

pub(crate) const GIFT_QUOTA: &str =
    "INSERT INTO coupon_gift_quota (user_id, day, n) VALUES ($1, $2, 1)
     ON CONFLICT (user_id, day) DO UPDATE SET n = coupon_gift_quota.n + 1
     WHERE coupon_gift_quota.n < $3";

pub(crate) const DAY_QUOTA: &str =
    "INSERT INTO coupon_day_quota (template_id, day, n) VALUES ($1, $2, 1)
     ON CONFLICT (template_id, day) DO UPDATE SET n = coupon_day_quota.n + 1
     WHERE coupon_day_quota.n < $3";
