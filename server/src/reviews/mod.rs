//! Product reviews by buyers of completed lines.

pub mod store;

pub use store::*;
