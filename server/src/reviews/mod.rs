//! Product reviews by buyers of completed lines.

pub mod store;
pub mod write;

pub use store::*;
pub use write::write;

/// Why a review was not written.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Not a completed order's line, or fully refunded: the shopper's message.
    #[error("review not allowed: {0}")]
    NotAllowed(String),
    #[error("already reviewed")]
    AlreadyReviewed,
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}
