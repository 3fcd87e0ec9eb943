//! Recommendations (issue 16): 为你推荐 on the home page, 猜你喜欢 on the
//! product page and below the cart. The rules are the core's
//! (`mall_core::recommend`); this module holds their state:
//!
//! - [`model`]: the background job that rebuilds the shop's model (item
//!   similarity from co-views and co-purchases, the channels' best sellers)
//!   once per [`model::REBUILD_EVERY_SECS`] on however many instances, and
//!   each instance's copy of it ([`Cache`]), reloaded when its version changes
//!   and with the products' shelf and stock states refreshed every
//!   [`STATES_TTL_SECS`].
//! - [`feed`]: one shopper's list for a slot, with the reason the core gives
//!   each item in the shopper's words; what is off the shelf or sold out at
//!   the moment of the answer is dropped even if the cached states lag.
//! - [`slots`]: impressions and clicks per slot from the shopper events, and
//!   the orders they led to, for the dashboard.

pub mod feed;
pub mod model;
pub mod slots;

use std::collections::BTreeMap;
use std::sync::Arc;

use mall_core::recommend::ShopModel;
use tokio::sync::{Mutex, RwLock};

/// The products' shelf and stock states in a cached model are this fresh.
pub const STATES_TTL_SECS: i64 = 30;

/// One instance's copy of the shop's model.
pub struct Loaded {
    /// `recommend_model.version` it was read from.
    pub version: i64,
    /// When the products' states were read (the shop's clock).
    pub states_at: i64,
    /// The stored model it was built from (kept for a refresh of the states).
    pub body: Arc<model::Body>,
    /// The model per channel with enough sales of its own; `""`: all channels.
    pub by_channel: BTreeMap<String, ShopModel>,
}

impl Loaded {
    /// The channel's model, or the shop-wide one.
    pub fn model(&self, channel: &str) -> Option<&ShopModel> {
        self.by_channel
            .get(channel)
            .or_else(|| self.by_channel.get(""))
    }
}

/// The model shared by this instance's requests.
#[derive(Default)]
pub struct Cache {
    current: RwLock<Option<Arc<Loaded>>>,
    /// One reload at a time; the others keep answering from the current copy.
    reload: Mutex<()>,
}

impl Cache {
    pub fn new() -> Cache {
        Cache::default()
    }

    async fn current(&self) -> Option<Arc<Loaded>> {
        self.current.read().await.clone()
    }

    async fn replace(&self, l: Arc<Loaded>) {
        *self.current.write().await = Some(l);
    }

    /// Forget the copy: the next request reads the model again.
    pub async fn invalidate(&self) {
        *self.current.write().await = None;
    }
}
