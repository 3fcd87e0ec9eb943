//! The stock ledger: every stock change the merchant makes (set in the
//! console, a new SKU's first stock) is one row with its reason, actor and
//! the stock before and after, written in the same transaction as the
//! change. The alert list is every SKU at or below its own threshold.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::db::Db;
use crate::paging::Paging;

/// Reasons the shop itself writes (the merchant writes their own).
pub const ORDER_PLACED: &str = "下单占用";
pub const ORDER_RELEASED: &str = "未支付关闭，库存退回";
pub const REFUND_RESTOCKED: &str = "退款退回库存";
pub const REFUND_CLOSED: &str = "退款关闭，库存扣回";
/// A flash sale in stock buckets set the units aside (`stock::buckets`).
pub const FLASH_SET_ASIDE: &str = "秒杀备货";
/// What its buckets held came back when it ended or was edited.
pub const FLASH_RETURNED: &str = "秒杀结束，备货退回";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntry {
    pub id: i64,
    pub sku_id: i64,
    pub delta: i64,
    pub before: i64,
    pub after: i64,
    pub reason: String,
    pub actor: String,
    pub order_id: Option<i64>,
    pub created_at: i64,
}

/// A ledger row's INSERT up to its values: [`record`] adds `VALUES`, the
/// order's take in a batch (`stock::push_take`) a `SELECT` from the take.
pub const INSERT: &str = "INSERT INTO stock_ledger (sku_id, delta, before_stock, after_stock, reason, actor, order_id, created_at)";

/// Write one ledger row (the caller changed the stock in the same transaction).
#[allow(clippy::too_many_arguments)]
pub async fn record(
    conn: &mut AnyConnection,
    sku_id: i64,
    before: i64,
    after: i64,
    reason: &str,
    actor: &str,
    order_id: Option<i64>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(&format!("{INSERT} VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"))
        .bind(sku_id)
        .bind(after - before)
        .bind(before)
        .bind(after)
        .bind(reason)
        .bind(actor)
        .bind(order_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Set a SKU's stock: the row is locked, changed and written to the ledger in
/// one transaction. `None` when there is no such SKU.
pub async fn set(
    db: &Db,
    sku_id: i64,
    stock: i64,
    reason: &str,
    actor: &str,
    now: i64,
) -> sqlx::Result<Option<(i64, i64)>> {
    let mut tx = db.begin_write().await?;
    let result = async {
        let before: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT stock FROM skus WHERE id = $1{}",
            db.for_update()
        ))
        .bind(sku_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(before) = before else {
            return Ok(None);
        };
        sqlx::query("UPDATE skus SET stock = $1 WHERE id = $2")
            .bind(stock)
            .bind(sku_id)
            .execute(&mut *tx)
            .await?;
        record(&mut tx, sku_id, before, stock, reason, actor, None, now).await?;
        Ok(Some((before, stock)))
    }
    .await;
    crate::db::finish(tx, result).await
}

pub async fn list(
    conn: &mut AnyConnection,
    sku_id: Option<i64>,
    paging: &Paging,
) -> sqlx::Result<(Vec<LedgerEntry>, i64)> {
    type Row = (i64, i64, i64, i64, i64, String, String, Option<i64>, i64);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, sku_id, delta, before_stock, after_stock, reason, actor, order_id, created_at
         FROM stock_ledger WHERE ($1 IS NULL OR sku_id = $1) ORDER BY id DESC LIMIT $2 OFFSET $3",
    )
    .bind(sku_id)
    .bind(paging.page_size)
    .bind(paging.offset())
    .fetch_all(&mut *conn)
    .await?;
    let total: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM stock_ledger WHERE ($1 IS NULL OR sku_id = $1)")
            .bind(sku_id)
            .fetch_one(&mut *conn)
            .await?;
    let items = rows
        .into_iter()
        .map(|r| LedgerEntry {
            id: r.0,
            sku_id: r.1,
            delta: r.2,
            before: r.3,
            after: r.4,
            reason: r.5,
            actor: r.6,
            order_id: r.7,
            created_at: r.8,
        })
        .collect();
    Ok((items, total))
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StockAlert {
    pub sku_id: i64,
    pub product_id: i64,
    pub title: String,
    pub specs: Vec<String>,
    pub stock: i64,
    pub alert_threshold: i64,
}

/// SKUs on sale whose stock is at or below their threshold (threshold > 0).
pub async fn alerts(conn: &mut AnyConnection) -> sqlx::Result<Vec<StockAlert>> {
    let rows: Vec<(i64, i64, String, String, i64, i64)> = sqlx::query_as(
        "SELECT s.id, p.id, p.title, s.specs, s.stock, s.alert_threshold
         FROM skus s JOIN products p ON p.id = s.product_id
         WHERE s.alert_threshold > 0 AND s.stock <= s.alert_threshold AND s.on_shelf = 1
         ORDER BY s.stock, s.id LIMIT 500",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| StockAlert {
            sku_id: r.0,
            product_id: r.1,
            title: r.2,
            specs: serde_json::from_str(&r.3).unwrap_or_default(),
            stock: r.4,
            alert_threshold: r.5,
        })
        .collect())
}

/// How many SKUs are at or below their threshold (the overview's counter).
pub async fn alert_count(conn: &mut AnyConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM skus WHERE alert_threshold > 0 AND stock <= alert_threshold AND on_shelf = 1",
    )
    .fetch_one(conn)
    .await
}
