//! A merchant's bargain activities: one SKU, start price, floor, N helpers,
//! the window a bargain lasts, whether buying before the floor is allowed,
//! bargains per shopper and helps per helper per Beijing day. Changing an
//! activity changes bargains started afterwards (each bargain keeps its own
//! copy of the numbers); ending it expires its live bargains.

use mall_core::{bargain_split, BargainInput, Money};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::status::{Action, BargainStatus};
use super::{BargainError, Result};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActivityInput {
    pub title: String,
    pub sku_id: i64,
    /// Fen.
    pub start_price: i64,
    /// Fen.
    pub floor_price: i64,
    /// N: the helpers every bargain needs.
    pub helpers: i64,
    pub window_hours: i64,
    #[serde(default)]
    pub buy_before_floor: bool,
    pub initiations_per_user: i64,
    pub helps_per_day: i64,
    pub starts_at: i64,
    pub ends_at: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BargainActivity {
    pub id: i64,
    pub title: String,
    pub sku_id: i64,
    pub product_id: i64,
    pub product_title: String,
    pub image: String,
    pub list_price: i64,
    pub start_price: i64,
    pub floor_price: i64,
    pub helpers: i64,
    pub window_hours: i64,
    pub buy_before_floor: bool,
    pub initiations_per_user: i64,
    pub helps_per_day: i64,
    pub starts_at: i64,
    pub ends_at: i64,
}

const SELECT: &str = "SELECT a.id, a.title, a.sku_id, s.product_id, p.title,
        CASE WHEN s.image <> '' THEN s.image ELSE p.main_image END, s.list_price,
        a.start_price, a.floor_price, a.helpers, a.window_hours, a.buy_before_floor,
        a.initiations_per_user, a.helps_per_day, a.starts_at, a.ends_at
    FROM bargain_activities a JOIN skus s ON s.id = a.sku_id JOIN products p ON p.id = s.product_id";

type Row = (
    i64,
    String,
    i64,
    i64,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
);

fn build(r: Row) -> BargainActivity {
    BargainActivity {
        id: r.0,
        title: r.1,
        sku_id: r.2,
        product_id: r.3,
        product_title: r.4,
        image: r.5,
        list_price: r.6,
        start_price: r.7,
        floor_price: r.8,
        helpers: r.9,
        window_hours: r.10,
        buy_before_floor: r.11 != 0,
        initiations_per_user: r.12,
        helps_per_day: r.13,
        starts_at: r.14,
        ends_at: r.15,
    }
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<BargainActivity>> {
    let r: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(r.map(build))
}

/// Every activity, newest first (the console).
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<BargainActivity>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} ORDER BY a.id DESC"))
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(build).collect())
}

/// Activities a shopper can start a bargain in now, ending first.
pub async fn live(conn: &mut AnyConnection, now: i64) -> Result<Vec<BargainActivity>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE a.starts_at <= $1 AND a.ends_at > $1 AND p.on_shelf = 1 AND s.on_shelf = 1
         ORDER BY a.ends_at, a.id"
    ))
    .bind(now)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(build).collect())
}

/// The core checks price, floor and N (BARGAIN_INVALID); the window must not
/// be empty; the SKU must exist.
async fn check(conn: &mut AnyConnection, a: &ActivityInput) -> Result<()> {
    bargain_split(&BargainInput {
        price: Money::fen(a.start_price),
        floor: Money::fen(a.floor_price),
        helpers: a.helpers.max(0) as u64,
        seed: 0,
    })?;
    if a.ends_at <= a.starts_at {
        return Err(BargainError::Inconsistent(
            "endsAt",
            "must be after startsAt".into(),
        ));
    }
    let sku: Option<i64> = sqlx::query_scalar("SELECT id FROM skus WHERE id = $1")
        .bind(a.sku_id)
        .fetch_optional(conn)
        .await?;
    if sku.is_none() {
        return Err(BargainError::NotFound("sku"));
    }
    Ok(())
}

pub async fn create(conn: &mut AnyConnection, a: &ActivityInput, now: i64) -> Result<i64> {
    check(&mut *conn, a).await?;
    Ok(sqlx::query_scalar(
        "INSERT INTO bargain_activities (title, sku_id, start_price, floor_price, helpers,
            window_hours, buy_before_floor, initiations_per_user, helps_per_day, starts_at,
            ends_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
    )
    .bind(&a.title)
    .bind(a.sku_id)
    .bind(a.start_price)
    .bind(a.floor_price)
    .bind(a.helpers)
    .bind(a.window_hours)
    .bind(a.buy_before_floor as i64)
    .bind(a.initiations_per_user)
    .bind(a.helps_per_day)
    .bind(a.starts_at)
    .bind(a.ends_at)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

/// Change an activity (bargains already started keep their numbers).
pub async fn update(conn: &mut AnyConnection, id: i64, a: &ActivityInput, now: i64) -> Result<()> {
    check(&mut *conn, a).await?;
    let r = sqlx::query(
        "UPDATE bargain_activities SET title = $1, sku_id = $2, start_price = $3, floor_price = $4,
            helpers = $5, window_hours = $6, buy_before_floor = $7, initiations_per_user = $8,
            helps_per_day = $9, starts_at = $10, ends_at = $11, updated_at = $12
         WHERE id = $13",
    )
    .bind(&a.title)
    .bind(a.sku_id)
    .bind(a.start_price)
    .bind(a.floor_price)
    .bind(a.helpers)
    .bind(a.window_hours)
    .bind(a.buy_before_floor as i64)
    .bind(a.initiations_per_user)
    .bind(a.helps_per_day)
    .bind(a.starts_at)
    .bind(a.ends_at)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    if r.rows_affected() != 1 {
        return Err(BargainError::NotFound("bargain activity"));
    }
    Ok(())
}

/// End an activity now: no new bargains, and its live bargains expire (an
/// order already placed for one stands).
pub async fn end(conn: &mut AnyConnection, id: i64, now: i64) -> Result<()> {
    let r = sqlx::query(
        "UPDATE bargain_activities SET ends_at = CASE WHEN ends_at > $1 THEN $1 ELSE ends_at END,
            updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() != 1 {
        return Err(BargainError::NotFound("bargain activity"));
    }
    // Live bargains: the states an order may still bind.
    let live = BargainStatus::sources(Action::Order);
    sqlx::query(
        "UPDATE bargains SET expires_at = $1, updated_at = $1
         WHERE activity_id = $2 AND expires_at > $1 AND status IN ($3, $4)",
    )
    .bind(now)
    .bind(id)
    .bind(live[0].as_str())
    .bind(live[1].as_str())
    .execute(conn)
    .await?;
    Ok(())
}
