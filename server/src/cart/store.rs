//! The server-side cart: one row per (shopper, SKU, activity).

use std::sync::LazyLock;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::catalog::{Snapshot, SNAPSHOT_COLUMNS, SNAPSHOT_JOINS};
use crate::coupons::{self, Holdings};
use crate::db::{self, Batch};

#[derive(Debug, Clone)]
pub struct CartItem {
    pub id: i64,
    pub sku_id: i64,
    pub activity_id: Option<String>,
    pub quantity: i64,
    pub selected: bool,
}

/// What pricing the shopper's cart needs: its lines, the catalog snapshot of
/// their SKUs (`catalog::pricing::price`) and the shopper's growth, points
/// and wallet (None when there is no such shopper).
pub struct ForPricing {
    pub items: Vec<CartItem>,
    pub snapshot: Snapshot,
    pub holdings: Option<Holdings>,
}

/// [`ForPricing`] in one statement (the cart page, the checkout quote and
/// the order each read it once): the cart's rows, then the shopper's
/// [`coupons::HOLDINGS`] rows, told apart by the first column; each part's
/// columns are `NULL` in the other's rows.
pub async fn read_for_pricing(
    conn: &mut AnyConnection,
    user_id: i64,
    now: i64,
) -> anyhow::Result<ForPricing> {
    // The statement, and the column where a holdings row's columns start.
    static READ: LazyLock<(String, usize)> = LazyLock::new(|| {
        let nulls = |n: usize| vec!["NULL"; n].join(", ");
        let cart = ITEM_COLUMNS + db::column_count(SNAPSHOT_COLUMNS);
        let holdings = db::column_count(coupons::HOLDINGS_COLUMNS);
        let sql = format!(
            "SELECT CAST(0 AS BIGINT), ci.id, ci.sku_id, ci.activity_id, ci.quantity, ci.selected,
                    {SNAPSHOT_COLUMNS}, {}
             FROM cart_items ci LEFT JOIN (skus s {SNAPSHOT_JOINS}) ON s.id = ci.sku_id
             WHERE ci.user_id = $1
             UNION ALL
             SELECT CAST(1 AS BIGINT), {}, {}
             FROM {} WHERE u.id = $1
             ORDER BY 1, 2, {}",
            nulls(holdings),
            nulls(cart),
            coupons::HOLDINGS_COLUMNS,
            coupons::HOLDINGS,
            // The coupon's id: the wallet in its order.
            2 + cart,
        );
        (sql, 1 + cart)
    });
    let (sql, holdings_at) = (&READ.0, READ.1);
    let rows = sqlx::query(sql).bind(user_id).fetch_all(conn).await?;
    let mut read = ForPricing {
        items: Vec::with_capacity(rows.len()),
        snapshot: Snapshot::default(),
        holdings: None,
    };
    for r in &rows {
        if r.try_get::<i64, _>(0)? == 0 {
            read.items.push(item(r, 1)?);
            read.snapshot.add_row(r, 1 + ITEM_COLUMNS)?;
        } else {
            coupons::add_holdings_row(&mut read.holdings, r, holdings_at, now)?;
        }
    }
    Ok(read)
}

/// The columns [`item`] reads, first in a row.
const ITEM_COLUMNS: usize = 5;

/// A cart line from a row with `ci.id, ci.sku_id, ci.activity_id,
/// ci.quantity, ci.selected` from column `at`.
fn item(r: &AnyRow, at: usize) -> sqlx::Result<CartItem> {
    Ok(CartItem {
        id: r.try_get(at)?,
        sku_id: r.try_get(at + 1)?,
        activity_id: Some(r.try_get::<String, _>(at + 2)?).filter(|a| !a.is_empty()),
        quantity: r.try_get(at + 3)?,
        selected: r.try_get::<i64, _>(at + 4)? != 0,
    })
}

/// Add `quantity` of a SKU to the shopper's cart in one statement: a new
/// line, or more of the same (SKU, activity) line. None when the SKU does not
/// exist or the line would go above `max_quantity` (nothing changed).
pub async fn add(
    conn: &mut AnyConnection,
    user_id: i64,
    sku_id: i64,
    activity_id: Option<&str>,
    quantity: i64,
    max_quantity: i64,
    now: i64,
) -> sqlx::Result<Option<(i64, i64)>> {
    sqlx::query_as(
        "INSERT INTO cart_items (user_id, sku_id, activity_id, quantity, selected, created_at, updated_at)
         SELECT $1, id, $3, $4, 1, $5, $5 FROM skus WHERE id = $2
         ON CONFLICT (user_id, sku_id, activity_id) DO UPDATE
             SET quantity = cart_items.quantity + excluded.quantity, selected = 1, updated_at = excluded.updated_at
             WHERE cart_items.quantity + excluded.quantity <= $6
         RETURNING id, quantity",
    )
    .bind(user_id)
    .bind(sku_id)
    .bind(activity_id.unwrap_or(""))
    .bind(quantity)
    .bind(now)
    .bind(max_quantity)
    // Read to the statement's end: `fetch_optional` stops at the first row and
    // the statement is reset later, which is where SQLite commits a write made
    // outside a transaction, and a failed commit (a full disk) would be lost.
    .fetch_all(conn)
    .await
    .map(|rows| rows.into_iter().next())
}

/// The quantity of the shopper's (SKU, activity) line, if there is one.
pub async fn line_quantity(
    conn: &mut AnyConnection,
    user_id: i64,
    sku_id: i64,
    activity_id: Option<&str>,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT quantity FROM cart_items WHERE user_id = $1 AND sku_id = $2 AND activity_id = $3",
    )
    .bind(user_id)
    .bind(sku_id)
    .bind(activity_id.unwrap_or(""))
    .fetch_optional(conn)
    .await
}

/// One line of the shopper's cart.
pub async fn get(
    conn: &mut AnyConnection,
    user_id: i64,
    id: i64,
) -> sqlx::Result<Option<CartItem>> {
    sqlx::query(
        "SELECT ci.id, ci.sku_id, ci.activity_id, ci.quantity, ci.selected FROM cart_items ci
         WHERE ci.user_id = $1 AND ci.id = $2",
    )
    .bind(user_id)
    .bind(id)
    .fetch_optional(conn)
    .await?
    .map(|r| item(&r, 0))
    .transpose()
}

pub async fn update(
    conn: &mut AnyConnection,
    user_id: i64,
    id: i64,
    quantity: Option<i64>,
    selected: Option<bool>,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE cart_items SET quantity = COALESCE($1, quantity), selected = COALESCE($2, selected), updated_at = $3
         WHERE id = $4 AND user_id = $5",
    )
    .bind(quantity)
    .bind(selected.map(i64::from))
    .bind(now)
    .bind(id)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn remove(conn: &mut AnyConnection, user_id: i64, id: i64) -> sqlx::Result<bool> {
    let r = sqlx::query("DELETE FROM cart_items WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Select or deselect every line of the shopper's cart.
pub async fn select_all(
    conn: &mut AnyConnection,
    user_id: i64,
    selected: bool,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE cart_items SET selected = $1 WHERE user_id = $2")
        .bind(i64::from(selected))
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Remove the shopper's lines `ids` (the ones an order bought), on the
/// order's batch; nothing when there are none.
pub fn push_remove_many(b: &mut Batch<'_>, user_id: i64, ids: &[i64]) {
    if ids.is_empty() {
        return;
    }
    let mut s = b
        .push(&format!(
            "DELETE FROM cart_items WHERE user_id = $1 AND id IN ({})",
            crate::db::placeholders(2, ids.len())
        ))
        .bind(user_id);
    for id in ids {
        s = s.bind(*id);
    }
}
