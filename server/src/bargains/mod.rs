//! 砍价 bargains. A merchant's activity sells one SKU from a start price down
//! to a floor over N helpers (`activities`). A shopper starts a bargain: the
//! server draws a seed and stores it, and the core (`mall_core::bargain_split`)
//! turns it into the N cuts, recomputed whenever needed (`bargain`). A help
//! claims the next cut with one conditional UPDATE and a unique
//! (bargain, helper) row; the helper's daily cap is one conditional upsert in
//! the same transaction; WeChat's risk rank refuses risky helpers. The shopper
//! buys through the normal checkout at the price the core computes from the
//! schedule (`order`: pricing hook, order binding, release).

pub mod activities;
pub mod bargain;
pub mod order;
pub mod status;

pub use activities::{ActivityInput, BargainActivity};
pub use bargain::{help, initiate, mine, view, BargainView, Helped};
pub use order::{activity_key, bargain_of, bind_order, price_activities, release_order};
pub use status::{Action, BargainStatus};

use mall_core::RuleError;

use crate::wechat::WeChatError;

/// WeChat risk ranks from this one up are refused as helpers.
pub const RISKY_RANK: i64 = 3;

/// Why a bargain operation was refused (nothing changed).
#[derive(Debug, thiserror::Error)]
pub enum BargainError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("invalid {0}: {1}")]
    Invalid(&'static str, String),
    /// A contradiction a schema cannot state (a window ending before it starts).
    #[error("inconsistent {0}: {1}")]
    Inconsistent(&'static str, String),
    /// The activity has not started or has ended.
    #[error("activity not running")]
    NotRunning,
    /// The shopper has started as many bargains in this activity as allowed.
    #[error("initiation limit {limit} reached")]
    InitiationLimit { limit: i64 },
    #[error("a shopper cannot help their own bargain")]
    OwnBargain,
    #[error("this helper already helped this bargain")]
    AlreadyHelped,
    /// The helper has helped as many bargains today as the activity allows.
    #[error("daily help limit {limit} reached")]
    DailyLimit { limit: i64 },
    /// Every helper the bargain needs has helped.
    #[error("the floor is already reached")]
    Full,
    #[error("the bargain has expired")]
    Expired,
    /// Ordered (or otherwise no longer taking helps).
    #[error("the bargain is {0:?}")]
    Closed(BargainStatus),
    /// WeChat's risk rank of the helper is `RISKY_RANK` or more.
    #[error("risky helper (rank {rank})")]
    Risky { rank: i64 },
    #[error("rule: {0}")]
    Rule(#[from] RuleError),
    #[error("wechat: {0}")]
    WeChat(#[from] WeChatError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

pub type Result<T, E = BargainError> = std::result::Result<T, E>;
