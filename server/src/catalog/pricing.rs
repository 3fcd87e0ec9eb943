//! Building the core's `QuoteInput` from the database: the catalog snapshot of
//! the lines' SKUs, the shop's rules, and the buyer (growth, points, earlier
//! purchases, wallet). The cart page, the checkout quote and the order all
//! price through [`price`], so they cannot disagree.

use std::collections::BTreeMap;

use mall_core::activity::Activity;
use mall_core::{Buyer, CartLine, Purchased, Quote, QuoteInput, QuoteOptions, ShopRules, Sku};
use sqlx::AnyConnection;

use crate::catalog::{self, SkuView};
use crate::coupons::{self, Holdings};
use crate::db;
use crate::shop_rules::{self, RulesCache};

/// The merchant's rules (member program, promotions, campaigns, points,
/// shipping) from settings, plus the activities pricing these SKUs.
pub async fn rules(conn: &mut AnyConnection, sku_ids: &[i64]) -> anyhow::Result<ShopRules> {
    let settings = shop_rules::load(&mut *conn).await?;
    Ok(
        rules_with_set_aside(conn, sku_ids, RulesFrom::Read(Box::new(settings)))
            .await?
            .0,
    )
}

/// Where [`price`] takes the shop's rules (the settings part) from.
pub enum RulesFrom<'a> {
    /// The cart page and the checkout quote: this instance's cache.
    Cache(&'a RulesCache),
    /// The order: read by it, in its transaction (never a cached copy).
    Read(Box<ShopRules>),
}

/// The rules (the settings as `from` gives them), with the activities of
/// these SKUs, and the units flash sales in stock buckets set aside.
async fn rules_with_set_aside(
    conn: &mut AnyConnection,
    sku_ids: &[i64],
    from: RulesFrom<'_>,
) -> anyhow::Result<(ShopRules, catalog::SetAside)> {
    let mut rules = match from {
        RulesFrom::Cache(c) => c.get(&mut *conn).await?,
        RulesFrom::Read(rules) => *rules,
    };
    let (activities, set_aside) = catalog::core_activities(conn, sku_ids).await?;
    rules.activities = activities;
    Ok((rules, set_aside))
}

/// The buyer: growth, points and coupons (read unless the shopper came with
/// them), and the earlier purchases the limits of `catalog` and `activities`
/// count ([`purchased`]).
pub async fn buyer(
    conn: &mut AnyConnection,
    shopper: Shopper,
    now: i64,
    catalog: &[Sku],
    activities: &[Activity],
) -> anyhow::Result<Buyer> {
    let user_id = shopper.id;
    let (growth, points, coupons) = match shopper.known {
        Known::Holdings(h) => (h.growth, h.points, h.wallet),
        Known::Balances(growth, points) => (
            growth,
            points,
            coupons::core_wallet(&mut *conn, user_id, now).await?,
        ),
        Known::Nothing => {
            let h = coupons::core_wallet_with_balances(&mut *conn, user_id, now)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no shopper {user_id}"))?;
            (h.growth, h.points, h.wallet)
        }
    };
    Ok(Buyer {
        growth: growth.max(0) as u64,
        points_balance: points.max(0) as u64,
        purchased: purchased(&mut *conn, user_id, catalog, activities).await?,
        coupons,
    })
}

/// The buyer's earlier purchases that a limit of this quote counts: of SKUs
/// with a per-shopper limit (in any activity or none), and in activities with
/// a limit (of any SKU). The core counts nothing else
/// (`mall_core::cart::Context::bought`), so a checkout without limits reads
/// no order history, and one with limits reads only what they count.
async fn purchased(
    conn: &mut AnyConnection,
    user_id: i64,
    catalog: &[Sku],
    activities: &[Activity],
) -> sqlx::Result<Vec<Purchased>> {
    let skus: Vec<i64> = catalog
        .iter()
        .filter(|s| s.per_user_limit.is_some())
        .filter_map(|s| s.sku_id.parse().ok())
        .collect();
    let limited: Vec<&str> = activities
        .iter()
        .filter(|a| a.per_user_limit.is_some() || a.per_sku_limit.is_some())
        .map(|a| a.activity_id.as_str())
        .collect();
    if skus.is_empty() && limited.is_empty() {
        return Ok(Vec::new());
    }
    // `IN ()` is not SQL: an empty list is a list of one impossible id.
    let sku_list = db::placeholders(2, skus.len().max(1));
    let activity_list = db::placeholders(2 + skus.len().max(1), limited.len().max(1));
    let sql = format!(
        "SELECT ol.sku_id, ol.activity_id, CAST(SUM(ol.quantity) AS BIGINT)
         FROM order_lines ol JOIN orders o ON o.id = ol.order_id
         WHERE o.user_id = $1 AND o.status <> 'cancelled'
           AND (ol.sku_id IN ({sku_list}) OR ol.activity_id IN ({activity_list}))
         GROUP BY ol.sku_id, ol.activity_id"
    );
    let mut q = sqlx::query_as::<_, (i64, Option<String>, i64)>(&sql).bind(user_id);
    if skus.is_empty() {
        q = q.bind(0i64);
    }
    for id in &skus {
        q = q.bind(*id);
    }
    if limited.is_empty() {
        q = q.bind("");
    }
    for id in &limited {
        q = q.bind(*id);
    }
    Ok(q.fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| Purchased {
            sku_id: r.0.to_string(),
            activity_id: r.1,
            quantity: r.2.max(0) as u64,
        })
        .collect())
}

/// Whose quote [`price`] makes: the shopper, with what the caller read of
/// them already (`From<i64>`: nothing, [`price`] reads it).
pub struct Shopper {
    pub id: i64,
    pub known: Known,
}

/// What the caller read of the shopper already; [`buyer`] reads the rest.
pub enum Known {
    Nothing,
    /// Growth and points (the buy-now order reads them under its lock).
    Balances(i64, i64),
    /// Growth, points and wallet (read with the cart, `cart::read_for_pricing`).
    Holdings(Holdings),
}

impl From<i64> for Shopper {
    fn from(id: i64) -> Shopper {
        Shopper {
            id,
            known: Known::Nothing,
        }
    }
}

impl Shopper {
    /// The shopper with the holdings read with their cart (None: no such
    /// shopper, which [`price`] then reports).
    pub fn holding(id: i64, holdings: Option<Holdings>) -> Shopper {
        Shopper {
            id,
            known: holdings.map_or(Known::Nothing, Known::Holdings),
        }
    }
}

pub struct Priced {
    pub input: QuoteInput,
    pub quote: Quote,
    pub views: BTreeMap<i64, SkuView>,
}

/// Price lines for a shopper with the core, with the shop's rules `from`
/// the cache (the cart page, the checkout quote) or as the order read them.
/// `snapshot`: the catalog snapshot of the lines' SKUs when it was read with
/// them (the cart, `cart::read_for_pricing`); `None` reads it.
pub async fn price(
    conn: &mut AnyConnection,
    shopper: Shopper,
    lines: Vec<CartLine>,
    snapshot: Option<catalog::Snapshot>,
    options: QuoteOptions,
    now: i64,
    rules: RulesFrom<'_>,
) -> Result<Priced, PricingError> {
    let snapshot = match snapshot {
        Some(s) => s,
        None => {
            let mut sku_ids: Vec<i64> =
                lines.iter().filter_map(|l| l.sku_id.parse().ok()).collect();
            sku_ids.sort_unstable();
            sku_ids.dedup();
            catalog::snapshot(&mut *conn, &sku_ids).await?
        }
    };
    let catalog::Snapshot {
        skus: mut catalog,
        views,
        in_activity,
    } = snapshot;
    // Activities are read for the SKUs some activity prices, none otherwise.
    let (mut rules, set_aside) = rules_with_set_aside(&mut *conn, &in_activity, rules).await?;
    add_set_aside(&mut catalog, &lines, &set_aside);
    // 砍价: a line naming the shopper's own bargain, priced from its schedule.
    let bargains = crate::bargains::price_activities(&mut *conn, shopper.id, &lines).await??;
    rules.activities.extend(bargains);
    let buyer = buyer(conn, shopper, now, &catalog, &rules.activities).await?;
    let input = QuoteInput {
        now,
        catalog,
        lines,
        rules,
        buyer,
        options,
    };
    let quote = mall_core::quote(&input)?;
    Ok(Priced {
        input,
        quote,
        views,
    })
}

/// A line in a flash sale whose units are set aside in stock buckets is
/// bounded by those units, which the SKU's own stock no longer counts: its
/// SKU's stock for the core is the two together (the sale's quota, the
/// smaller, then bounds the line).
fn add_set_aside(
    catalog: &mut [mall_core::Sku],
    lines: &[CartLine],
    set_aside: &catalog::SetAside,
) {
    for ((activity, sku), &units) in set_aside {
        let sku = sku.to_string();
        let bought = lines
            .iter()
            .any(|l| l.sku_id == sku && l.activity_id.as_deref() == Some(activity.as_str()));
        if let (true, Some(s)) = (bought, catalog.iter_mut().find(|s| s.sku_id == sku)) {
            s.stock = s.stock.saturating_add(units.max(0) as u64);
        }
    }
}

/// Why a cart could not be priced.
#[derive(Debug, thiserror::Error)]
pub enum PricingError {
    /// The core refused the input (a rule failure the shopper is shown).
    #[error("rule: {0}")]
    Rule(#[from] mall_core::RuleError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}
