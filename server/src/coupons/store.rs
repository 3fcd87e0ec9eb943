//! Coupon templates (批次) and the coupons in shoppers' wallets. A wallet
//! coupon's id is what the core sees as `couponId`.

use mall_core::coupon::CouponStatus;
use mall_core::promotion::Scope;
use mall_core::{Coupon, CouponKind};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row as _};

use crate::db::Batch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WalletStatus {
    Available,
    Used,
    Expired,
    /// A gift card for it is open (赠送中): not usable at checkout meanwhile.
    Gifting,
    /// Given to a friend.
    Gifted,
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
    /// The batch may be gifted to a friend.
    pub transferable: bool,
    /// Received from a friend (never gifted again).
    pub received: bool,
    /// While gifting: when the card closes.
    pub gift_expires_at: Option<i64>,
    /// While gifting: the card's token (the wallet is its owner's alone), so
    /// the card can be sent again from another visit.
    pub gift_token: Option<String>,
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
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

// The columns a [`Row`] reads and the table they come from, as macros so
// [`HOLDINGS_COLUMNS`] and [`HOLDINGS`] are written with them.
macro_rules! columns {
    () => {
        "uc.id, uc.template_id, t.title, t.shop_id, t.kind, t.scope, t.stackable, t.with_campaigns,
        uc.valid_from, uc.valid_until, uc.status, uc.order_id, t.transferable, uc.parent_id, uc.gift_expires_at, uc.gift_token"
    };
}
macro_rules! wallet {
    () => {
        "user_coupons uc JOIN coupon_templates t ON t.id = uc.template_id"
    };
}
/// The columns a [`Row`] reads, in its order, from [`WALLET`].
const COLUMNS: &str = columns!();
/// How many: [`add_holdings_row`] finds the balances after them.
pub(crate) const ROW_WIDTH: usize = 16;
/// Wallet coupons with their batch.
const WALLET: &str = wallet!();

fn parse(r: Row, now: i64) -> anyhow::Result<(WalletCoupon, bool)> {
    let status = match (r.10.as_str(), now >= r.9) {
        ("used", _) => WalletStatus::Used,
        ("gifting", _) => WalletStatus::Gifting,
        ("gifted", _) => WalletStatus::Gifted,
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
            transferable: r.12 != 0,
            received: r.13.is_some(),
            gift_expires_at: (r.10 == "gifting").then_some(r.14).flatten(),
            gift_token: (r.10 == "gifting").then_some(r.15).flatten(),
        },
        r.7 != 0,
    ))
}

pub async fn list(
    conn: &mut AnyConnection,
    user_id: i64,
    now: i64,
) -> anyhow::Result<Vec<(WalletCoupon, bool)>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM {WALLET} WHERE uc.user_id = $1 ORDER BY uc.id"
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(|r| parse(r, now)).collect()
}

/// The wallet as the core sees it: coupons not yet used, being gifted or
/// given away (the core reports expired or not-yet-valid ones as unusable,
/// with the reason).
pub async fn core_wallet(
    conn: &mut AnyConnection,
    user_id: i64,
    now: i64,
) -> anyhow::Result<Vec<Coupon>> {
    Ok(list(conn, user_id, now)
        .await?
        .into_iter()
        .filter_map(core_coupon)
        .collect())
}

/// The shopper's growth and points, and their wallet as the core sees it
/// ([`core_wallet`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Holdings {
    pub growth: i64,
    pub points: i64,
    pub wallet: Vec<Coupon>,
}

/// [`core_wallet`] with the shopper's growth and points, in one statement
/// (the buy-now quote reads both); None when there is no such shopper.
pub async fn core_wallet_with_balances(
    conn: &mut AnyConnection,
    user_id: i64,
    now: i64,
) -> anyhow::Result<Option<Holdings>> {
    let rows = sqlx::query(&format!(
        "SELECT {HOLDINGS_COLUMNS} FROM {HOLDINGS} WHERE u.id = $1 ORDER BY uc.id"
    ))
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    let mut holdings = None;
    for r in &rows {
        add_holdings_row(&mut holdings, r, 0, now)?;
    }
    Ok(holdings)
}

/// What [`HOLDINGS`] answers, one row per wallet coupon (or one row of the
/// shopper's alone, the coupon's columns `NULL`, when they have none): the
/// coupon's [`COLUMNS`] first, as a [`Row`] reads them, the balances after.
pub const HOLDINGS_COLUMNS: &str = concat!(columns!(), ", u.growth, u.points");
/// The shopper (`u`) and their wallet coupons, with their batch.
pub const HOLDINGS: &str = concat!("users u LEFT JOIN (", wallet!(), ") ON uc.user_id = u.id");

/// Add a row of [`HOLDINGS_COLUMNS`], starting at column `at` of `r`, to the
/// shopper's holdings (the balances from the first row, the coupon the core
/// sees from each).
pub fn add_holdings_row(
    holdings: &mut Option<Holdings>,
    r: &AnyRow,
    at: usize,
    now: i64,
) -> anyhow::Result<()> {
    let h = match holdings {
        Some(h) => h,
        None => holdings.insert(Holdings {
            growth: r.try_get(at + ROW_WIDTH)?,
            points: r.try_get(at + ROW_WIDTH + 1)?,
            wallet: Vec::new(),
        }),
    };
    if r.try_get::<Option<i64>, _>(at)?.is_some() {
        h.wallet.extend(core_coupon(parse(row_at(r, at)?, now)?));
    }
    Ok(())
}

/// A [`Row`] from the [`COLUMNS`] starting at column `at`.
fn row_at(r: &AnyRow, at: usize) -> sqlx::Result<Row> {
    Ok((
        r.try_get(at)?,
        r.try_get(at + 1)?,
        r.try_get(at + 2)?,
        r.try_get(at + 3)?,
        r.try_get(at + 4)?,
        r.try_get(at + 5)?,
        r.try_get(at + 6)?,
        r.try_get(at + 7)?,
        r.try_get(at + 8)?,
        r.try_get(at + 9)?,
        r.try_get(at + 10)?,
        r.try_get(at + 11)?,
        r.try_get(at + 12)?,
        r.try_get(at + 13)?,
        r.try_get(at + 14)?,
        r.try_get(at + 15)?,
    ))
}

/// A wallet coupon as the core sees it; None for one the core never sees
/// (used, being gifted or given away).
fn core_coupon((c, with_campaigns): (WalletCoupon, bool)) -> Option<Coupon> {
    matches!(c.status, WalletStatus::Available | WalletStatus::Expired).then(|| Coupon {
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
}

/// Consume a wallet coupon for an order; false if it is not the shopper's or already used.
pub async fn consume(
    conn: &mut AnyConnection,
    user_id: i64,
    coupon_id: i64,
    order_id: i64,
    now: i64,
) -> sqlx::Result<bool> {
    let mut b = Batch::new();
    push_consume(&mut b, user_id, coupon_id, order_id, now);
    Ok(b.run(conn).await? == [1])
}

/// [`consume`] on the order's batch: the coupon is the order's when its
/// statement changed one row.
pub fn push_consume(b: &mut Batch<'_>, user_id: i64, coupon_id: i64, order_id: i64, now: i64) {
    b.push(
        "UPDATE user_coupons SET status = 'used', order_id = $1, used_at = $2
         WHERE id = $3 AND user_id = $4 AND status = 'available'",
    )
    .bind(order_id)
    .bind(now)
    .bind(coupon_id)
    .bind(user_id);
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

/// Put a coupon straight into a wallet (the demo seed). It counts toward
/// the shopper's per-user cap of the batch like a claimed one.
pub async fn insert(
    conn: &mut AnyConnection,
    user_id: i64,
    template_id: i64,
    valid_from: i64,
    valid_until: i64,
    now: i64,
) -> sqlx::Result<i64> {
    let id = sqlx::query_scalar(
        "INSERT INTO user_coupons (user_id, template_id, valid_from, valid_until, status, claimed_at)
         VALUES ($1, $2, $3, $4, 'available', $5) RETURNING id",
    )
    .bind(user_id)
    .bind(template_id)
    .bind(valid_from)
    .bind(valid_until)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    super::bump(conn, super::USER_QUOTA, (template_id, user_id), i64::MAX).await?;
    Ok(id)
}
