//! Coupon templates (批次) and the coupons in shoppers' wallets. A wallet
//! coupon's id is what the core sees as `couponId`.

use mall_core::coupon::CouponStatus;
use mall_core::promotion::Scope;
use mall_core::{Coupon, CouponKind};
use serde::Serialize;
use sqlx::AnyConnection;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WalletStatus {
    Available,
    Used,
    Expired,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletCoupon {
    pub id: i64,
    pub template_id: i64,
    pub title: String,
    pub shop_id: Option<String>,
    pub kind: CouponKind,
    pub scope: Scope,
    pub stackable: bool,
    pub valid_from: i64,
    pub valid_until: i64,
    pub status: WalletStatus,
    pub order_id: Option<i64>,
}

type Row = (
    i64,
    i64,
    String,
    Option<String>,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    String,
    Option<i64>,
);

const SELECT: &str = "SELECT uc.id, uc.template_id, t.title, t.shop_id, t.kind, t.scope, t.stackable, t.with_campaigns,
        uc.valid_from, uc.valid_until, uc.status, uc.order_id
     FROM user_coupons uc JOIN coupon_templates t ON t.id = uc.template_id";

fn parse(r: Row, now: i64) -> anyhow::Result<(WalletCoupon, bool)> {
    let status = match (r.10.as_str(), now >= r.9) {
        ("used", _) => WalletStatus::Used,
        (_, true) => WalletStatus::Expired,
        _ => WalletStatus::Available,
    };
    Ok((
        WalletCoupon {
            id: r.0,
            template_id: r.1,
            title: r.2,
            shop_id: r.3,
            kind: serde_json::from_str(&r.4)?,
            scope: serde_json::from_str(&r.5)?,
            stackable: r.6 != 0,
            valid_from: r.8,
            valid_until: r.9,
            status,
            order_id: r.11,
        },
        r.7 != 0,
    ))
}

pub async fn list(
    conn: &mut AnyConnection,
    user_id: i64,
    now: i64,
) -> anyhow::Result<Vec<(WalletCoupon, bool)>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} WHERE uc.user_id = $1 ORDER BY uc.id"))
        .bind(user_id)
        .fetch_all(conn)
        .await?;
    rows.into_iter().map(|r| parse(r, now)).collect()
}

/// The wallet as the core sees it: coupons not yet used (the core reports
/// expired or not-yet-valid ones as unusable, with the reason).
pub async fn core_wallet(
    conn: &mut AnyConnection,
    user_id: i64,
    now: i64,
) -> anyhow::Result<Vec<Coupon>> {
    Ok(list(conn, user_id, now)
        .await?
        .into_iter()
        .filter(|(c, _)| c.status != WalletStatus::Used)
        .map(|(c, with_campaigns)| Coupon {
            coupon_id: c.id.to_string(),
            batch_id: Some(c.template_id.to_string()),
            title: Some(c.title),
            shop_id: c.shop_id,
            kind: c.kind,
            scope: c.scope,
            valid_from: c.valid_from,
            valid_until: c.valid_until,
            stackable: c.stackable,
            with_campaigns,
            status: CouponStatus::Available,
        })
        .collect())
}

/// Consume a wallet coupon for an order; false if it is not the shopper's or already used.
pub async fn consume(
    conn: &mut AnyConnection,
    user_id: i64,
    coupon_id: i64,
    order_id: i64,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE user_coupons SET status = 'used', order_id = $1, used_at = $2
         WHERE id = $3 AND user_id = $4 AND status = 'available'",
    )
    .bind(order_id)
    .bind(now)
    .bind(coupon_id)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Give back the coupons an order consumed.
pub async fn release_for_order(conn: &mut AnyConnection, order_id: i64) -> sqlx::Result<u64> {
    let r = sqlx::query(
        "UPDATE user_coupons SET status = 'available', order_id = NULL, used_at = NULL
         WHERE order_id = $1 AND status = 'used'",
    )
    .bind(order_id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Template {
    pub id: i64,
    pub title: String,
    pub shop_id: Option<String>,
    pub kind: CouponKind,
    pub scope: Scope,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
    pub valid_days: Option<i64>,
    pub remaining: i64,
    pub per_user_limit: i64,
    /// How many of this template the caller holds (0 when anonymous).
    pub claimed: i64,
}

type TRow = (
    i64,
    String,
    Option<String>,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
    i64,
);

pub async fn claimable(
    conn: &mut AnyConnection,
    user_id: Option<i64>,
    now: i64,
) -> anyhow::Result<Vec<Template>> {
    let rows: Vec<TRow> = sqlx::query_as(
        "SELECT id, title, shop_id, kind, scope, valid_from, valid_until, valid_days, total - issued, per_user_limit,
                (SELECT COUNT(*) FROM user_coupons uc WHERE uc.template_id = t.id AND uc.user_id = $1)
         FROM coupon_templates t
         WHERE claimable = 1 AND (valid_until IS NULL OR valid_until > $2)
         ORDER BY id",
    )
    .bind(user_id.unwrap_or(0))
    .bind(now)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Template {
                id: r.0,
                title: r.1,
                shop_id: r.2,
                kind: serde_json::from_str(&r.3)?,
                scope: serde_json::from_str(&r.4)?,
                valid_from: r.5,
                valid_until: r.6,
                valid_days: r.7,
                remaining: r.8,
                per_user_limit: r.9,
                claimed: r.10,
            })
        })
        .collect()
}

pub enum ClaimError {
    NotFound,
    SoldOut,
    LimitReached { limit: i64 },
}

/// Claim one coupon of a template into the wallet (the caller holds the
/// shopper's row lock). The template's `issued` counter is incremented
/// conditionally, so a template never issues more than `total`.
pub async fn claim(
    conn: &mut AnyConnection,
    user_id: i64,
    template_id: i64,
    now: i64,
) -> anyhow::Result<Result<i64, ClaimError>> {
    type Window = (Option<i64>, Option<i64>, Option<i64>, i64);
    let t: Option<Window> = sqlx::query_as(
        "SELECT valid_from, valid_until, valid_days, per_user_limit FROM coupon_templates
         WHERE id = $1 AND claimable = 1 AND (valid_until IS NULL OR valid_until > $2)",
    )
    .bind(template_id)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((from, until, days, limit)) = t else {
        return Ok(Err(ClaimError::NotFound));
    };
    let held: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM user_coupons WHERE template_id = $1 AND user_id = $2",
    )
    .bind(template_id)
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?;
    if held >= limit {
        return Ok(Err(ClaimError::LimitReached { limit }));
    }
    let r = sqlx::query(
        "UPDATE coupon_templates SET issued = issued + 1 WHERE id = $1 AND issued < total",
    )
    .bind(template_id)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(Err(ClaimError::SoldOut));
    }
    let (valid_from, valid_until) = match (from, until, days) {
        (_, _, Some(d)) => (now, now + d * 86_400),
        (f, Some(u), None) => (f.unwrap_or(now), u),
        (f, None, None) => (f.unwrap_or(now), now + 30 * 86_400),
    };
    let id = insert(conn, user_id, template_id, valid_from, valid_until, now).await?;
    Ok(Ok(id))
}

pub async fn insert(
    conn: &mut AnyConnection,
    user_id: i64,
    template_id: i64,
    valid_from: i64,
    valid_until: i64,
    now: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO user_coupons (user_id, template_id, valid_from, valid_until, status, claimed_at)
         VALUES ($1, $2, $3, $4, 'available', $5) RETURNING id",
    )
    .bind(user_id)
    .bind(template_id)
    .bind(valid_from)
    .bind(valid_until)
    .bind(now)
    .fetch_one(conn)
    .await
}
