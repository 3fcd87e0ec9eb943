//! Marketing activities that set a line's price: flash sale (秒杀), group buy (拼团)
//! and bargain (砍价). The server owns their stock and seats; the core only needs
//! the price, the window, the per-user limits and whether coupons and points apply.
//! A flash sale's shopper state and stock buckets are [`crate::flash`].

use serde::{Deserialize, Serialize};

use crate::money::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ActivityKind {
    FlashSale,
    GroupBuy,
    Bargain,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActivityPrice {
    pub sku_id: String,
    pub price: Money,
    /// Units left in the activity's own quota (the SKU's stock still bounds it).
    #[serde(default)]
    pub stock: Option<u64>,
    /// Group buy: the price of the one who opens the group (团长价), when it differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_price: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Activity {
    pub activity_id: String,
    pub kind: ActivityKind,
    /// Unix seconds, inclusive.
    pub starts_at: i64,
    /// Unix seconds, exclusive.
    pub ends_at: i64,
    pub prices: Vec<ActivityPrice>,
    /// Most units one user may ever buy in this activity, all its SKUs together
    /// (counting earlier orders in this activity).
    #[serde(default)]
    pub per_user_limit: Option<u64>,
    /// Most units one user may ever buy of each one SKU in this activity
    /// (counting earlier orders of that SKU in this activity).
    #[serde(default)]
    pub per_sku_limit: Option<u64>,
    /// Whether lines bought in this activity may also take coupons.
    #[serde(default)]
    pub allow_coupons: bool,
    /// Whether lines bought in this activity may also be paid with points.
    #[serde(default)]
    pub allow_points: bool,
    /// Group size for a group buy (informational for the client; the server forms groups).
    #[serde(default)]
    pub group_size: Option<u64>,
}

impl Activity {
    pub fn price_of(&self, sku_id: &str) -> Option<&ActivityPrice> {
        self.prices.iter().find(|p| p.sku_id == sku_id)
    }
}
