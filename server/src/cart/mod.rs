//! The shopper's cart.

pub mod store;

pub use store::*;
