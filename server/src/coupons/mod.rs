//! Coupon templates, claiming and the shopper's wallet.

pub mod store;

pub use store::*;
