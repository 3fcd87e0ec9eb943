//! Orders: the state machine ([`status`]), their rows and transitions
//! ([`store`]), and the shopper's lists.
//! Expiry (which asks WeChat Pay first) is a job: `jobs::expiry`.

pub mod status;
pub mod store;

pub use status::{Action, OrderStatus, Tab};
pub use store::*;
