//! The server-side cart: one row per (shopper, SKU, activity).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::catalog::{Snapshot, SNAPSHOT_COLUMNS, SNAPSHOT_JOINS};
use crate::db::Batch;

#[derive(Debug, Clone)]
pub struct CartItem {
    pub id: i64,
    pub sku_id: i64,
    pub activity_id: Option<String>,
    pub quantity: i64,
    pub selected: bool,
}

/// The shopper's cart and the catalog snapshot of its SKUs, in one statement
/// (what pricing the cart needs from the catalog, `catalog::pricing::price`).
pub async fn items_with_snapshot(
    conn: &mut AnyConnection,
    user_id: i64,
) -> sqlx::Result<(Vec<CartItem>, Snapshot)> {
    let sql = format!(
        "SELECT ci.id, ci.sku_id, ci.activity_id, ci.quantity, ci.selected, {SNAPSHOT_COLUMNS}
         FROM cart_items ci LEFT JOIN (skus s {SNAPSHOT_JOINS}) ON s.id = ci.sku_id
         WHERE ci.user_id = $1 ORDER BY ci.id"
    );
    let rows = sqlx::query(&sql).bind(user_id).fetch_all(conn).await?;
    let mut items = Vec::with_capacity(rows.len());
    let mut snapshot = Snapshot::default();
    for r in &rows {
        items.push(item(r)?);
        snapshot.add_row(r, ITEM_COLUMNS)?;
    }
    Ok((items, snapshot))
}

/// The columns [`item`] reads, first in a row.
const ITEM_COLUMNS: usize = 5;

/// A cart line from a row starting `ci.id, ci.sku_id, ci.activity_id,
/// ci.quantity, ci.selected`.
fn item(r: &AnyRow) -> sqlx::Result<CartItem> {
    Ok(CartItem {
        id: r.try_get(0)?,
        sku_id: r.try_get(1)?,
        activity_id: Some(r.try_get::<String, _>(2)?).filter(|a| !a.is_empty()),
        quantity: r.try_get(3)?,
        selected: r.try_get::<i64, _>(4)? != 0,
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
    .map(|r| item(&r))
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
