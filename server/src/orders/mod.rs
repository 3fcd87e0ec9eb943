//! Orders: the state machine ([`status`]), their rows and transitions
//! ([`store`]), placing ([`place`]) and expiring ([`expiry`]) them.

pub mod expiry;
pub mod status;
pub mod store;

pub use status::{Action, OrderStatus, Tab};
pub use store::*;
