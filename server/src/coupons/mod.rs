//! Coupon templates, claiming and the shopper's wallet.

pub mod grant;
pub mod store;

pub use store::*;
