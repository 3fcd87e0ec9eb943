//! Writing a review: only the buyer, only of a completed order's line that is
//! not fully refunded, once per line (a unique index on the line).

use super::ReviewError;
use crate::db::{self, Db};
use crate::orders::OrderStatus;

/// Store the buyer's review of an order line; returns its id.
#[allow(clippy::too_many_arguments)]
pub async fn write(
    db: &Db,
    user_id: i64,
    order_id: i64,
    line_id: &str,
    rating: i64,
    text: &str,
    now: i64,
) -> Result<i64, ReviewError> {
    let mut tx = db.begin_write().await?;
    let r = async {
        let status: String =
            sqlx::query_scalar("SELECT status FROM orders WHERE id = $1 AND user_id = $2")
                .bind(order_id)
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(ReviewError::NotFound("order"))?;
        let (product_id, quantity, refunded): (i64, i64, i64) = sqlx::query_as(
            "SELECT product_id, quantity, refunded_quantity FROM order_lines WHERE order_id = $1 AND line_id = $2",
        )
        .bind(order_id)
        .bind(line_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(ReviewError::NotFound("order line"))?;
        let status = OrderStatus::parse(&status)
            .ok_or_else(|| ReviewError::Other(anyhow::anyhow!("order status {status}")))?;
        if status != OrderStatus::Completed {
            return Err(ReviewError::NotAllowed(format!(
                "订单{}，确认收货后才能评价",
                status.label()
            )));
        }
        if refunded >= quantity {
            return Err(ReviewError::NotAllowed("商品已全部退款，不能评价".into()));
        }
        super::insert(
            &mut tx,
            product_id,
            user_id,
            Some((order_id, line_id)),
            rating,
            text,
            now,
        )
        .await?
        .ok_or(ReviewError::AlreadyReviewed)
    }
    .await;
    db::finish(tx, r).await
}
