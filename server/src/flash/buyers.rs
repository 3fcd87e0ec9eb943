//! A flash sale's limit of one unit per shopper as a unique key
//! (`flash_buyers`, migration 0021): the order taking a shopper's unit
//! inserts its row in the order's transaction, so a second order of the same
//! shopper in the sale cannot commit, whatever else the count of their
//! earlier orders says; the row goes with the order's release (cancelled or
//! expired unpaid), after which the shopper may buy again. Larger limits are
//! the core's count of the shopper's orders under their row lock.

use mall_core::activity::{Activity, ActivityKind};
use mall_core::quote::QuotedLine;
use mall_core::RuleError;
use sqlx::AnyConnection;

/// Record the order's shopper in each flash sale with a limit of one that
/// it buys in; the limit's error when the shopper already has their unit.
pub async fn record(
    conn: &mut AnyConnection,
    activities: &[Activity],
    lines: &[QuotedLine],
    user_id: i64,
    order_id: i64,
) -> sqlx::Result<Result<(), RuleError>> {
    for line in lines {
        let Some(id) = line.activity_id.as_deref() else {
            continue;
        };
        let one_each = activities.iter().any(|a| {
            a.activity_id == id && a.kind == ActivityKind::FlashSale && a.per_user_limit == Some(1)
        });
        if !one_each {
            continue;
        }
        let r = sqlx::query(
            "INSERT INTO flash_buyers (activity_id, user_id, order_id) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(user_id)
        .bind(order_id)
        .execute(&mut *conn)
        .await?;
        if r.rows_affected() == 0 {
            return Ok(Err(RuleError::OverPurchaseLimit {
                sku_id: line.sku_id.clone(),
                activity_id: Some(id.to_string()),
                limit: 1,
                already_bought: 1,
                remaining: 0,
            }));
        }
    }
    Ok(Ok(()))
}

/// The order no longer holds its shoppers' units.
pub async fn forget(conn: &mut AnyConnection, order_id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM flash_buyers WHERE order_id = $1")
        .bind(order_id)
        .execute(conn)
        .await?;
    Ok(())
}
