//! Shipping an order: paid → shipped with its carrier and tracking number,
//! and the "shipped" message to the shopper, in one transaction.

use super::{transition, Action, OrderError};
use crate::notify::{self, Message};
use crate::state::AppState;

/// Ship a paid order (already validated carrier and tracking number).
pub async fn ship(
    state: &AppState,
    order_id: i64,
    carrier: &str,
    tracking_no: &str,
    now: i64,
) -> Result<(), OrderError> {
    let mut tx = state.db.begin_write().await?;
    let r = async {
        transition(&mut tx, order_id, None, Action::Ship, "merchant", now).await?;
        sqlx::query("UPDATE orders SET carrier = $1, tracking_no = $2 WHERE id = $3")
            .bind(carrier)
            .bind(tracking_no)
            .bind(order_id)
            .execute(&mut *tx)
            .await?;
        let (user_id, order_no): (i64, String) =
            sqlx::query_as("SELECT user_id, order_no FROM orders WHERE id = $1")
                .bind(order_id)
                .fetch_one(&mut *tx)
                .await?;
        notify::enqueue(
            &mut tx,
            &state.config.templates,
            user_id,
            &Message::OrderShipped {
                order_id,
                order_no,
                carrier: carrier.to_string(),
                tracking_no: tracking_no.to_string(),
                at: now,
            },
            now,
        )
        .await?;
        Ok(())
    }
    .await;
    crate::db::finish(tx, r).await
}
