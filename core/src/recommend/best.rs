//! A channel's best sellers: what new and anonymous shoppers see, and what
//! fills up every recommendation list.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::feed::MAX_SAFE;
use super::{check_id, DAY};
use crate::error::{Result, RuleError};

fn thirty() -> u64 {
    30
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderLine {
    pub product_id: String,
    /// The channel the order came from (e.g. `miniprogram`, `h5`, `live`).
    pub channel: String,
    pub quantity: u64,
    /// When it was paid (unix seconds).
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BestSellersInput {
    pub now: i64,
    pub channel: String,
    /// Paid lines within this many days before `now` count (default 30, 1 to 3650).
    #[serde(default = "thirty")]
    pub window_days: u64,
    /// How many to return (default 100, 1 to 1000).
    #[serde(default = "hundred")]
    pub count: u64,
    pub lines: Vec<OrderLine>,
}

fn hundred() -> u64 {
    100
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BestSellers {
    /// Most units first; equal units by product id.
    pub items: Vec<BestSeller>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BestSeller {
    pub product_id: String,
    pub units: u64,
}

/// The channel's best sellers: units paid within the window, most first.
pub fn best_sellers(i: &BestSellersInput) -> Result<BestSellers> {
    check_id("channel", &i.channel)?;
    if !(1..=3_650).contains(&i.window_days) {
        return Err(RuleError::invalid("windowDays", "1 to 3650 days"));
    }
    if !(1..=1_000).contains(&i.count) {
        return Err(RuleError::invalid("count", "1 to 1000"));
    }
    if i.lines.len() > super::similarity::MAX_EVENTS {
        return Err(RuleError::invalid("lines", "at most 10,000,000"));
    }
    let from = i128::from(i.now) - i128::from(i.window_days) * i128::from(DAY);
    let mut units: BTreeMap<&str, u64> = BTreeMap::new();
    for l in &i.lines {
        check_id("lines.productId", &l.product_id)?;
        check_id("lines.channel", &l.channel)?;
        let at = i128::from(l.at);
        if l.channel == i.channel && at > from && at <= i128::from(i.now) {
            let u = units.entry(&l.product_id).or_insert(0);
            *u = u.saturating_add(l.quantity);
        }
    }
    let mut ranked: Vec<(&str, u64)> = units.into_iter().filter(|(_, u)| *u > 0).collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    ranked.truncate(usize::try_from(i.count).unwrap_or(usize::MAX));
    Ok(BestSellers {
        items: ranked
            .into_iter()
            .map(|(p, units)| BestSeller {
                product_id: p.to_string(),
                units: units.min(MAX_SAFE),
            })
            .collect(),
    })
}
