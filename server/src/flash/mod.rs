//! Flash sale (秒杀): admission in front of the database, and the shopper's
//! state of a sale.
//!
//! The database stays the truth: an order takes the activity's quota with one
//! conditional UPDATE (`stock::reserve`) in the order's transaction. What this
//! module adds is the part in front of it ([`gate`]), so that a buyer who
//! cannot win is answered from memory: the window, a sold-out flag per
//! activity SKU, a bound on claims in flight, and rate limits per shopper and
//! overall. The decisions are the core's (`mall_core::flash_state`), so the
//! mini-program shows the same 未开始 / 抢购中 / 排队中 / 已抢光 / 已达限购.
//! [`state`] answers the flash-sale page from the database.

pub mod buy;
pub mod buyers;
pub mod gate;
pub mod redis;
pub mod state;

pub use gate::{Admission, FlashGate, Refusal};

/// Admission settings (environment: `MALL_FLASH_*`, see server/README.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashConfig {
    /// Most orders of one activity SKU being placed at once; more wait (排队中).
    pub max_in_flight: u64,
    /// Overall attempts per second per activity SKU (a token bucket of one
    /// second's worth); 0: unlimited.
    pub rate_per_sec: u64,
    /// Per shopper: a burst of this many attempts, refilled at `user_per_sec`.
    pub user_burst: u64,
    pub user_per_sec: u64,
    /// A sold-out flag lets one attempt through to the database after this
    /// many milliseconds, so units returned elsewhere (another instance, a
    /// merchant's edit) sell again without waiting for this instance to hear.
    pub recheck_ms: u64,
    /// How long an activity's window is remembered before it is read again.
    pub activity_ttl_ms: u64,
    /// Redis mode (`REDIS_URL`): units are taken in Redis before the database.
    pub redis_url: Option<String>,
    /// Prefix of this shop's Redis keys (`MALL_REDIS_PREFIX`, default `mall`).
    pub redis_prefix: String,
}

impl FlashConfig {
    /// The defaults. Orders of one SKU all take the same stock rows, so more
    /// of them at once only wait on each other's locks: `mall-flash-bench`
    /// (1,000 units, 20,000 buyers) measured 4 in flight per instance against
    /// twice the pool (20 on PostgreSQL, 16 on SQLite) at p99 14.9 / 33.1 /
    /// 51.5 ms instead of 36.6 / 70.5 / 141.9 ms on SQLite / PostgreSQL /
    /// PostgreSQL + Redis with two instances, and more attempts per second.
    pub fn defaults() -> FlashConfig {
        FlashConfig {
            max_in_flight: 4,
            rate_per_sec: 0,
            user_burst: 5,
            user_per_sec: 2,
            recheck_ms: 1000,
            activity_ttl_ms: 5000,
            redis_url: None,
            redis_prefix: "mall".into(),
        }
    }
}
