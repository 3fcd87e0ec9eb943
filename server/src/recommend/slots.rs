//! Each recommendation slot's figures over a range, for the dashboard:
//! impressions and clicks (the shopper events `rec_impression`, `rec_click`),
//! click-through, and the paid orders they led to: an order attributed to the
//! click's session, paid after the click, holding the clicked product
//! (counted once per slot however many of its products were clicked).

use serde::Serialize;

use crate::db::Db;
use crate::events::REC_SLOTS;
use crate::stats::buckets::ratio;
use crate::stats::Range;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotFigures {
    /// `home` (为你推荐), `product` (猜你喜欢 on a product page), `cart` (below the cart).
    pub slot: &'static str,
    pub impressions: i64,
    pub clicks: i64,
    /// clicks ÷ impressions, 4 decimals ("0.1250").
    pub click_through: String,
    /// Paid orders holding a product clicked in this slot in the same session.
    pub orders: i64,
    /// orders ÷ clicks, 4 decimals.
    pub conversion: String,
}

/// Every slot (also those without events), in [`REC_SLOTS`] order.
pub async fn figures(db: &Db, r: Range) -> sqlx::Result<Vec<SlotFigures>> {
    let mut conn = db.pool.acquire().await?;
    let counts: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT slot, kind, COUNT(*) FROM rec_events WHERE ts >= $1 AND ts < $2
         GROUP BY slot, kind",
    )
    .bind(r.from)
    .bind(r.to)
    .fetch_all(&mut *conn)
    .await?;
    let orders: Vec<(String, i64)> = sqlx::query_as(
        "SELECT t.slot, COUNT(*) FROM (
            SELECT DISTINCT c.slot, o.id FROM rec_events c
            JOIN order_attribution a ON a.session = c.session
            JOIN orders o ON o.id = a.order_id AND o.paid_at >= c.ts
            JOIN order_lines l ON l.order_id = o.id AND l.product_id = c.product_id
            WHERE c.kind = 'click' AND c.ts >= $1 AND c.ts < $2
         ) t GROUP BY t.slot",
    )
    .bind(r.from)
    .bind(r.to)
    .fetch_all(&mut *conn)
    .await?;
    let count = |slot: &str, kind: &str| {
        counts
            .iter()
            .find(|c| c.0 == slot && c.1 == kind)
            .map_or(0, |c| c.2)
    };
    Ok(REC_SLOTS
        .iter()
        .map(|slot| {
            let impressions = count(slot, "impression");
            let clicks = count(slot, "click");
            let orders = orders.iter().find(|o| o.0 == *slot).map_or(0, |o| o.1);
            SlotFigures {
                slot,
                impressions,
                clicks,
                click_through: ratio(clicks, impressions, 4),
                orders,
                conversion: ratio(orders, clicks, 4),
            }
        })
        .collect())
}
