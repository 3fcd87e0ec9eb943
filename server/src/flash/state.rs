//! The flash-sale page's answer: the sale, each SKU's units left and the
//! shopper's state (`mall_core::flash_state`), with the server's clock so the
//! countdown runs on it rather than on the phone's.

use mall_core::flash::{flash_state, FlashState, FlashStateInput};
use serde::Serialize;
use sqlx::AnyConnection;

use super::FlashGate;

/// Which of `ids` are flash-sale activities (whatever their window).
pub async fn flash_sale_ids(conn: &mut AnyConnection, ids: &[&str]) -> sqlx::Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id FROM activities WHERE kind = 'flashSale' AND id IN ({})",
        crate::db::placeholders(1, ids.len())
    );
    let mut q = sqlx::query_scalar(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    q.fetch_all(conn).await
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlashSale {
    pub activity_id: String,
    pub title: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub per_user_limit: Option<i64>,
    /// The server's clock (unix seconds) the states were computed at.
    pub now: i64,
    /// Units the shopper bought or holds in this sale (0 when signed out).
    pub user_bought: i64,
    pub skus: Vec<FlashSku>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlashSku {
    pub sku_id: i64,
    pub product_id: i64,
    pub title: String,
    pub image: String,
    /// The flash price and the list price, fen.
    pub price: i64,
    pub list_price: i64,
    /// The smaller of the sale's quota and the SKU's stock.
    pub units_left: i64,
    pub state: FlashState,
}

/// product id, title, image, sku id, price, quota, SKU stock, list price
type Row = (i64, String, String, i64, i64, Option<i64>, i64, i64);

/// The sale as `user_id` (if any) sees it at `now`; None unless the activity
/// is a flash sale.
pub async fn load(
    conn: &mut AnyConnection,
    gate: &FlashGate,
    activity_id: &str,
    user_id: Option<i64>,
    now: i64,
) -> anyhow::Result<Option<FlashSale>> {
    let head: Option<(String, i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT title, starts_at, ends_at, per_user_limit FROM activities WHERE id = $1 AND kind = 'flashSale'",
    )
    .bind(activity_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((title, starts_at, ends_at, per_user_limit)) = head else {
        return Ok(None);
    };
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT p.id, p.title, CASE WHEN s.image = '' THEN p.main_image ELSE s.image END,
                a.sku_id, a.price, a.stock, s.stock + a.set_aside, s.list_price
         FROM activity_skus_left a JOIN skus s ON s.id = a.sku_id JOIN products p ON p.id = s.product_id
         WHERE a.activity_id = $1 ORDER BY a.sku_id",
    )
    .bind(activity_id)
    .fetch_all(&mut *conn)
    .await?;
    let user_bought: i64 = match user_id {
        // The same count pricing checks the per-user limit against.
        Some(u) => {
            sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(ol.quantity), 0) AS BIGINT)
             FROM order_lines ol JOIN orders o ON o.id = ol.order_id
             WHERE o.user_id = $1 AND o.status <> 'cancelled' AND ol.activity_id = $2",
            )
            .bind(u)
            .bind(activity_id)
            .fetch_one(&mut *conn)
            .await?
        }
        None => 0,
    };
    let seed = gate.seed_of(&user_id.map_or_else(|| "anonymous".into(), |u| u.to_string()));
    let mut skus = Vec::with_capacity(rows.len());
    for (product_id, title, image, sku_id, price, quota, stock, list_price) in rows {
        let units_left = quota.map_or(stock, |q| q.min(stock)).max(0);
        let (in_flight, _) = gate.counters(activity_id, sku_id);
        let state = flash_state(&FlashStateInput {
            starts_at,
            ends_at,
            now,
            units_left: units_left as u64,
            in_flight,
            max_in_flight: Some(gate.config().max_in_flight.max(1)),
            user_bought: user_bought.max(0) as u64,
            per_user_limit: per_user_limit.map(|n| n.max(1) as u64),
            retry_seed: seed,
        })?;
        skus.push(FlashSku {
            sku_id,
            product_id,
            title,
            image,
            price,
            list_price,
            units_left,
            state,
        });
    }
    Ok(Some(FlashSale {
        activity_id: activity_id.into(),
        title,
        starts_at,
        ends_at,
        per_user_limit,
        now,
        user_bought,
        skus,
    }))
}
