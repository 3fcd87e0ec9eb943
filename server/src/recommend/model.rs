//! The shop's recommendation model: built by a background job from the
//! shopper events and paid orders, stored as one row (`recommend_model`), and
//! loaded by every instance when its version changes.

use std::collections::BTreeMap;
use std::sync::Arc;

use mall_core::recommend::{
    best_sellers, item_similarity, BestSellersInput, Event, EventKind, Neighbours, OrderLine,
    ProductState, RecommendRules, RecommendShop, ShopModel, SimilarityInput,
};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::{Cache, Loaded, STATES_TTL_SECS};
use crate::db::Db;

/// The job rebuilds the model at most once per this window, on one instance.
pub const REBUILD_EVERY_SECS: i64 = 3_600;
/// Product views this recent are read (newest first, at most [`MAX_VIEWS`]).
pub const VIEW_WINDOW_SECS: i64 = 90 * 86_400;
pub const MAX_VIEWS: i64 = 1_000_000;
/// Paid order lines this recent are read (newest first, at most [`MAX_LINES`]).
pub const PURCHASE_WINDOW_SECS: i64 = 180 * 86_400;
pub const MAX_LINES: i64 = 500_000;
/// Best sellers are counted over this many days, this many per channel.
pub const BEST_WINDOW_DAYS: u64 = 30;
pub const BEST_COUNT: u64 = 200;
/// A channel with at least this many paid lines in the window gets its own
/// best sellers; at most [`MAX_CHANNELS`] channels (the busiest).
pub const MIN_CHANNEL_LINES: usize = 20;
pub const MAX_CHANNELS: usize = 4;
/// Neighbours kept per product.
pub const TOP_K: u64 = 30;
/// The key of all channels together.
const ALL: &str = "all";

/// `recommend_model.body`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Body {
    pub similar: Vec<Neighbours>,
    /// Product ids, best first, per channel; `""`: all channels.
    pub best_sellers: BTreeMap<String, Vec<String>>,
}

/// What one rebuild read and wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Built {
    pub version: i64,
    pub views: usize,
    pub purchases: usize,
    pub products_with_neighbours: usize,
}

/// The job: rebuild the model if no instance did within the window.
pub async fn rebuild_due(db: &Db, cache: &Cache, now: i64) -> anyhow::Result<Option<Built>> {
    let claimed =
        sqlx::query("UPDATE recommend_model SET claimed_at = $1 WHERE id = 1 AND claimed_at <= $2")
            .bind(now)
            .bind(now - REBUILD_EVERY_SECS)
            .execute(&mut *db.write_conn().await?)
            .await?;
    if claimed.rows_affected() == 0 {
        return Ok(None);
    }
    let built = rebuild(db, now).await?;
    cache.invalidate().await;
    Ok(Some(built))
}

/// Read the events and orders, compute, and store a new version.
pub async fn rebuild(db: &Db, now: i64) -> anyhow::Result<Built> {
    let (events, lines) = {
        let mut conn = db.pool.acquire().await?;
        let views = views(&mut conn, now).await?;
        let (purchases, lines) = purchases(&mut conn, now).await?;
        let mut events = views;
        events.extend(purchases);
        (events, lines)
    };
    let views = events.iter().filter(|e| e.kind == EventKind::View).count();
    let purchases = events.len() - views;
    let table = item_similarity(&SimilarityInput {
        now,
        half_life_seconds: 30 * 86_400,
        top_k: TOP_K,
        weights: Default::default(),
        shrink: 2,
        max_products_per_shopper: 200,
        events,
    })?;
    let body = Body {
        best_sellers: channel_best_sellers(now, lines)?,
        similar: table.products,
    };
    let products_with_neighbours = body.similar.len();
    let text = serde_json::to_string(&body)?;
    let mut conn = db.write_conn().await?;
    sqlx::query(
        "UPDATE recommend_model SET version = version + 1, built_at = $1, inputs = $2, body = $3
         WHERE id = 1",
    )
    .bind(now)
    .bind(i64::try_from(views + purchases).unwrap_or(i64::MAX))
    .bind(&text)
    .execute(&mut *conn)
    .await?;
    let version: i64 = sqlx::query_scalar("SELECT version FROM recommend_model WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    Ok(Built {
        version,
        views,
        purchases,
        products_with_neighbours,
    })
}

/// Product views: a signed-in shopper by user id, others by visitor.
async fn views(conn: &mut AnyConnection, now: i64) -> sqlx::Result<Vec<Event>> {
    let rows: Vec<(Option<i64>, String, i64, i64)> = sqlx::query_as(
        "SELECT user_id, visitor, product_id, ts FROM events
         WHERE name = 'product_view' AND product_id IS NOT NULL AND ts >= $1
         ORDER BY ts DESC LIMIT $2",
    )
    .bind(now - VIEW_WINDOW_SECS)
    .bind(MAX_VIEWS)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(user, visitor, product, at)| Event {
            user_id: user.map_or_else(|| format!("v{visitor}"), |u| format!("u{u}")),
            product_id: product.to_string(),
            kind: EventKind::View,
            at,
        })
        .collect())
}

/// Paid order lines: as purchases (one per line) and as best-seller lines.
async fn purchases(
    conn: &mut AnyConnection,
    now: i64,
) -> sqlx::Result<(Vec<Event>, Vec<OrderLine>)> {
    let rows: Vec<(i64, i64, i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT o.user_id, l.product_id, l.quantity, o.paid_at, a.ch
         FROM orders o JOIN order_lines l ON l.order_id = o.id
         LEFT JOIN order_attribution a ON a.order_id = o.id
         WHERE o.paid_at IS NOT NULL AND o.paid_at >= $1
         ORDER BY o.paid_at DESC LIMIT $2",
    )
    .bind(now - PURCHASE_WINDOW_SECS)
    .bind(MAX_LINES)
    .fetch_all(conn)
    .await?;
    let mut events = Vec::with_capacity(rows.len());
    let mut lines = Vec::with_capacity(rows.len());
    for (user, product, qty, at, ch) in rows {
        events.push(Event {
            user_id: format!("u{user}"),
            product_id: product.to_string(),
            kind: EventKind::Purchase,
            at,
        });
        lines.push(OrderLine {
            product_id: product.to_string(),
            channel: ch.filter(|c| !c.is_empty()).unwrap_or_default(),
            quantity: u64::try_from(qty).unwrap_or(0),
            at,
        });
    }
    Ok((events, lines))
}

/// Best sellers of all channels (key `""`) and of the busiest channels.
fn channel_best_sellers(
    now: i64,
    lines: Vec<OrderLine>,
) -> Result<BTreeMap<String, Vec<String>>, mall_core::RuleError> {
    let since = now - i64::try_from(BEST_WINDOW_DAYS).unwrap_or(0) * 86_400;
    let mut per_channel: BTreeMap<&str, usize> = BTreeMap::new();
    for l in lines
        .iter()
        .filter(|l| l.at > since && !l.channel.is_empty())
    {
        *per_channel.entry(&l.channel).or_default() += 1;
    }
    let mut busiest: Vec<(&str, usize)> = per_channel
        .into_iter()
        .filter(|(_, n)| *n >= MIN_CHANNEL_LINES)
        .collect();
    busiest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let channels: Vec<String> = busiest
        .iter()
        .take(MAX_CHANNELS)
        .map(|(c, _)| c.to_string())
        .collect();
    let ranked = |channel: &str, lines: Vec<OrderLine>| {
        best_sellers(&BestSellersInput {
            now,
            channel: channel.to_string(),
            window_days: BEST_WINDOW_DAYS,
            count: BEST_COUNT,
            lines,
        })
        .map(|b| b.items.into_iter().map(|i| i.product_id).collect())
    };
    let mut out = BTreeMap::new();
    for c in &channels {
        let own = lines.iter().filter(|l| &l.channel == c).cloned().collect();
        out.insert(c.clone(), ranked(c, own)?);
    }
    let all = lines
        .into_iter()
        .map(|l| OrderLine {
            channel: ALL.to_string(),
            ..l
        })
        .collect();
    out.insert(String::new(), ranked(ALL, all)?);
    Ok(out)
}

/// The products that may be shown, with their states now, sorted by id as
/// text (the core's order); the consumable categories; and the products by
/// their sales counter (a shop without recent orders still has best sellers).
struct States {
    products: Vec<ProductState>,
    consumable: Vec<String>,
    by_sales: Vec<String>,
}

async fn product_states(conn: &mut AnyConnection) -> sqlx::Result<States> {
    let mut rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT p.id, p.category_id, CAST(SUM(s.stock) AS BIGINT), p.sales
         FROM products p JOIN skus s ON s.product_id = p.id AND s.on_shelf = 1
         WHERE p.on_shelf = 1 GROUP BY p.id, p.category_id, p.sales",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.sort_by(|a, b| b.3.cmp(&a.3).then(a.0.cmp(&b.0)));
    let by_sales = rows
        .iter()
        .take(usize::try_from(BEST_COUNT).unwrap_or(0))
        .map(|r| r.0.to_string())
        .collect();
    let mut products: Vec<ProductState> = rows
        .into_iter()
        .map(|(id, category, stock, _)| ProductState {
            product_id: id.to_string(),
            category_id: category.to_string(),
            on_shelf: true,
            sold_out: stock <= 0,
        })
        .collect();
    products.sort_by(|a, b| a.product_id.cmp(&b.product_id));
    let consumable: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM categories WHERE consumable = 1
            OR parent_id IN (SELECT id FROM categories WHERE consumable = 1)",
    )
    .fetch_all(conn)
    .await?;
    let mut consumable: Vec<String> = consumable.iter().map(i64::to_string).collect();
    consumable.sort();
    Ok(States {
        products,
        consumable,
        by_sales,
    })
}

/// Best sellers by paid orders, then by the sales counter, each once.
fn with_sales_counter(best: &[String], by_sales: &[String]) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    best.iter()
        .chain(by_sales)
        .filter(|id| seen.insert(id.as_str()))
        .take(1_000)
        .cloned()
        .collect()
}

/// This instance's model: the cached one while its version is current and
/// its product states are fresh, otherwise read again (one reader at a time;
/// the others answer from the previous copy meanwhile, if there is one).
pub async fn load(db: &Db, cache: &Cache, now: i64) -> anyhow::Result<Arc<Loaded>> {
    let version = || async {
        let mut conn = db.pool.acquire().await?;
        sqlx::query_scalar::<_, i64>("SELECT version FROM recommend_model WHERE id = 1")
            .fetch_one(&mut *conn)
            .await
    };
    let fresh =
        |l: &Loaded, v: i64| l.version == v && (0..STATES_TTL_SECS).contains(&(now - l.states_at));
    let current = cache.current().await;
    let v = version().await?;
    if let Some(l) = current.as_ref().filter(|l| fresh(l, v)) {
        return Ok(l.clone());
    }
    let Ok(_guard) = cache.reload.try_lock() else {
        if let Some(l) = current {
            return Ok(l);
        }
        let _wait = cache.reload.lock().await;
        if let Some(l) = cache.current().await {
            return Ok(l);
        }
        return reload(db, cache, None, v, now).await;
    };
    reload(db, cache, current, v, now).await
}

/// Read the products' states again, and the model's body only when its
/// version is not the one `current` holds (a refresh of the states alone
/// neither reads nor parses the similarity table).
async fn reload(
    db: &Db,
    cache: &Cache,
    current: Option<Arc<Loaded>>,
    version: i64,
    now: i64,
) -> anyhow::Result<Arc<Loaded>> {
    let mut conn = db.pool.acquire().await?;
    let (version, body) = match current.filter(|l| l.version == version) {
        Some(l) => (l.version, l.body.clone()),
        None => {
            let (version, text): (i64, String) =
                sqlx::query_as("SELECT version, body FROM recommend_model WHERE id = 1")
                    .fetch_one(&mut *conn)
                    .await?;
            let mut body: Body = serde_json::from_str(&text)?;
            body.best_sellers.entry(String::new()).or_default();
            (version, Arc::new(body))
        }
    };
    let states = product_states(&mut conn).await?;
    drop(conn);
    let mut by_channel = BTreeMap::new();
    for (channel, best) in &body.best_sellers {
        let shop = RecommendShop {
            products: states.products.clone(),
            similar: body.similar.clone(),
            best_sellers: with_sales_counter(best, &states.by_sales),
            consumable_categories: states.consumable.clone(),
            rules: RecommendRules::default(),
        };
        by_channel.insert(channel.clone(), ShopModel::new(shop)?);
    }
    let loaded = Arc::new(Loaded {
        version,
        states_at: now,
        body,
        by_channel,
    });
    cache.replace(loaded.clone()).await;
    Ok(loaded)
}
