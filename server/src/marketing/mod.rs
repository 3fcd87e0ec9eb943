//! 营销: the merchant's coupon templates, campaigns (满减/满折), item promotions,
//! activity prices, the what-if replay of recent orders under proposed rules,
//! and each source's ROI. The rules themselves are mall-core's; this module
//! stores them and refuses anything the core would refuse.

pub mod activities;
pub mod coupons;
pub mod roi;
pub mod rules;
pub mod what_if;

/// Why a marketing change was refused.
#[derive(Debug, thiserror::Error)]
pub enum MarketingError {
    /// The core refused the rules (its own code reaches the merchant).
    #[error("rule: {0}")]
    Rule(#[from] mall_core::RuleError),
    /// A value the core accepts but the shop does not (field, reason).
    #[error("invalid {0}: {1}")]
    Invalid(&'static str, String),
    /// Values each fine alone that contradict each other or the stored state
    /// (a window ending before it starts, an id twice, a total below what is
    /// already issued): what a schema cannot say (field, reason).
    #[error("inconsistent {0}: {1}")]
    Inconsistent(&'static str, String),
    /// A flash sale in stock buckets asks more units of a SKU than it has.
    #[error("SKU {sku_id} has {available} units to set aside")]
    StockShort { sku_id: i64, available: i64 },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

impl From<serde_json::Error> for MarketingError {
    fn from(e: serde_json::Error) -> Self {
        MarketingError::Other(e.into())
    }
}

pub type Result<T, E = MarketingError> = std::result::Result<T, E>;

pub(crate) use crate::db::placeholders;
