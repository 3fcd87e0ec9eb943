//! Orders: the state machine ([`status`]), their rows and transitions
//! ([`store`]), and the shopper's lists.
//! Expiry (which asks WeChat Pay first) is a job: `jobs::expiry`.

pub mod place;
pub mod search;
pub mod ship;
pub mod ship_csv;
pub mod status;
pub mod store;

pub use ship::{ship, write_off};
pub use status::{Action, OrderStatus, Tab};
pub use store::*;

/// Why an order operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("order not found")]
    NotFound,
    #[error("illegal transition {action:?} from {from:?}")]
    IllegalTransition { from: OrderStatus, action: Action },
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

/// Apply `action` to an order (the shopper's own when `user_id` is given) in
/// its own write transaction.
pub async fn act(
    db: &crate::db::Db,
    order_id: i64,
    user_id: Option<i64>,
    action: Action,
    actor: &str,
    now: i64,
) -> Result<OrderStatus, OrderError> {
    let mut tx = db.begin_write().await?;
    let r = transition(&mut tx, order_id, user_id, action, actor, now).await;
    crate::db::finish(tx, r).await
}
