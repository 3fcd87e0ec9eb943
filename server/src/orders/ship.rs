//! Shipping an order: paid → shipped with its carrier and tracking number,
//! the "shipped" message to the shopper and the shipping report to WeChat
//! (`shipping_info`), in one transaction; a pickup order's write-off likewise.

use super::{transition, Action, OrderError};
use crate::notify::{self, Message};
use crate::shipping_info::{self, Logistics};
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
        let (user_id, order_no, delivery): (i64, String, String) =
            sqlx::query_as("SELECT user_id, order_no, delivery FROM orders WHERE id = $1")
                .bind(order_id)
                .fetch_one(&mut *tx)
                .await?;
        let logistics = if delivery_kind(&delivery) == "sameCity" {
            Logistics::SameCity
        } else {
            Logistics::Express {
                carrier: carrier.to_string(),
                tracking_no: tracking_no.to_string(),
            }
        };
        shipping_info::enqueue(&mut tx, order_id, &logistics, now).await?;
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

/// The stored delivery's kind (`express`, `pickup`, `sameCity`).
pub fn delivery_kind(delivery: &str) -> String {
    serde_json::from_str::<serde_json::Value>(delivery)
        .ok()
        .and_then(|d| d["kind"].as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The merchant writes off a pickup code: the order is completed as picked
/// up, and reported to WeChat as self-pickup. Returns the order.
pub async fn write_off(state: &AppState, code: &str, now: i64) -> Result<i64, OrderError> {
    let mut tx = state.db.begin_write().await?;
    let r = async {
        let order_id: i64 = sqlx::query_scalar("SELECT id FROM orders WHERE pickup_code = $1")
            .bind(code)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(OrderError::NotFound)?;
        transition(&mut tx, order_id, None, Action::WriteOff, "merchant", now).await?;
        shipping_info::enqueue(&mut tx, order_id, &Logistics::SelfPickup, now).await?;
        Ok(order_id)
    }
    .await;
    crate::db::finish(tx, r).await
}
