//! Building the core's `QuoteInput` from the database: the catalog snapshot of
//! the lines' SKUs, the shop's rules, and the buyer (growth, points, earlier
//! purchases, wallet). The cart page, the checkout quote and the order all
//! price through [`price`], so they cannot disagree.

use std::collections::BTreeMap;

use mall_core::{Buyer, CartLine, Purchased, Quote, QuoteInput, QuoteOptions, ShopRules};
use sqlx::AnyConnection;

use crate::catalog::{self, SkuView};
use crate::coupons;

pub const RULES_KEY: &str = "shop_rules";

/// The merchant's rules (member program, promotions, campaigns, points,
/// shipping) from settings, plus the activities pricing these SKUs.
pub async fn rules(conn: &mut AnyConnection, sku_ids: &[i64]) -> anyhow::Result<ShopRules> {
    let text = crate::db::setting(&mut *conn, RULES_KEY, "").await?;
    let mut rules: ShopRules = match text {
        Some(t) => serde_json::from_str(&t)?,
        None => ShopRules::default(),
    };
    rules.activities = catalog::core_activities(conn, sku_ids).await?;
    Ok(rules)
}

pub async fn buyer(conn: &mut AnyConnection, user_id: i64, now: i64) -> anyhow::Result<Buyer> {
    let (growth, points): (i64, i64) =
        sqlx::query_as("SELECT growth, points FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&mut *conn)
            .await?;
    let rows: Vec<(i64, Option<String>, i64)> = sqlx::query_as(
        "SELECT ol.sku_id, ol.activity_id, CAST(SUM(ol.quantity) AS BIGINT)
         FROM order_lines ol JOIN orders o ON o.id = ol.order_id
         WHERE o.user_id = $1 AND o.status <> 'cancelled'
         GROUP BY ol.sku_id, ol.activity_id",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Buyer {
        growth: growth.max(0) as u64,
        points_balance: points.max(0) as u64,
        purchased: rows
            .into_iter()
            .map(|r| Purchased {
                sku_id: r.0.to_string(),
                activity_id: r.1,
                quantity: r.2.max(0) as u64,
            })
            .collect(),
        coupons: coupons::core_wallet(conn, user_id, now).await?,
    })
}

pub struct Priced {
    pub input: QuoteInput,
    pub quote: Quote,
    pub views: BTreeMap<i64, SkuView>,
}

/// Price lines for a shopper with the core.
pub async fn price(
    conn: &mut AnyConnection,
    user_id: i64,
    lines: Vec<CartLine>,
    options: QuoteOptions,
    now: i64,
) -> Result<Priced, PricingError> {
    let mut sku_ids: Vec<i64> = lines.iter().filter_map(|l| l.sku_id.parse().ok()).collect();
    sku_ids.sort_unstable();
    sku_ids.dedup();
    let (catalog, views) = catalog::snapshot(&mut *conn, &sku_ids).await?;
    let mut rules = rules(&mut *conn, &sku_ids).await?;
    // 砍价: a line naming the shopper's own bargain, priced from its schedule.
    let bargains = crate::bargains::price_activities(&mut *conn, user_id, &lines).await??;
    rules.activities.extend(bargains);
    let input = QuoteInput {
        now,
        catalog,
        lines,
        rules,
        buyer: buyer(conn, user_id, now).await?,
        options,
    };
    let quote = mall_core::quote(&input)?;
    Ok(Priced {
        input,
        quote,
        views,
    })
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
