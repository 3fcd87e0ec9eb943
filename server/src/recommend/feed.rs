//! One shopper's recommendations for a slot: the shopper's recent views and
//! purchases and (below the cart) the cart's products go to the core with the
//! cached model; the picks are read back as product cards, dropping anything
//! off the shelf or sold out at this moment, and each reason is put in the
//! shopper's words with the seed product's title.

use std::collections::BTreeMap;

use mall_core::recommend::{recommend_for, ReasonKind, ShopperEvent, ShopperRequest, Slot};
use mall_core::RuleError;
use serde::Serialize;
use sqlx::AnyConnection;

use super::model;
use crate::catalog::ProductCard;
use crate::db::{placeholders, Db};
use crate::state::AppState;

/// Items per answer: 1 to this.
pub const MAX_COUNT: u64 = 30;
/// Asked of the core beyond `count`, to make up for picks that went off the
/// shelf or sold out since the states were read.
const SPARE: u64 = 10;
/// The shopper's views this recent, at most this many, are seeds.
const HISTORY_SECS: i64 = 90 * 86_400;
const MAX_VIEWS: i64 = 300;
/// Purchases this recent: seeds, and not shown again for the core's days.
const PURCHASE_SECS: i64 = 365 * 86_400;
const MAX_PURCHASES: i64 = 200;
/// A seed's title in a reason is cut to this many characters.
const TITLE_CHARS: usize = 12;

#[derive(Debug, Clone)]
pub struct Ask {
    pub slot: Slot,
    pub count: u64,
    /// The product on screen (slot `product`).
    pub product_id: Option<i64>,
    /// The shopper's channel (`ch`): its own best sellers, if it has them.
    pub channel: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    /// `viewed`, `bought` or `bestSeller`.
    pub kind: ReasonKind,
    /// The product the shopper viewed or bought (none for a best seller).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<i64>,
    /// 因为你看过「…」 / 因为你买过「…」 / 看过此商品的人也喜欢 (the product on
    /// screen) / 和购物车里的「…」很配 (a product in the cart) / 热销好物.
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    #[serde(flatten)]
    pub product: ProductCard,
    pub reason: Reason,
}

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// The shopper's list (`user`: none when not signed in: best sellers).
pub async fn feed(
    state: &AppState,
    user: Option<i64>,
    ask: &Ask,
    now: i64,
) -> Result<Vec<Item>, FeedError> {
    let loaded = model::load(&state.db, &state.recs, now).await?;
    let Some(model) = loaded.model(&ask.channel) else {
        return Ok(Vec::new());
    };
    let (history, cart): (Vec<ShopperEvent>, Vec<String>) = match user {
        Some(u) => shopper(&state.db, u, ask.slot, now).await?,
        None => (Vec::new(), Vec::new()),
    };
    let picks = recommend_for(
        model,
        &ShopperRequest {
            now,
            slot: ask.slot,
            count: ask.count + SPARE,
            history,
            current_product_id: ask.product_id.map(|p| p.to_string()),
            cart_product_ids: cart.clone(),
        },
    )
    .map_err(|e| match e {
        RuleError::InvalidInput { field, reason } => FeedError::Invalid { field, reason },
        other => FeedError::Other(other.into()),
    })?;
    let ids: Vec<i64> = picks
        .items
        .iter()
        .filter_map(|r| r.product_id.parse().ok())
        .collect();
    let seeds: Vec<i64> = picks
        .items
        .iter()
        .filter_map(|r| r.reason.product_id.as_deref()?.parse().ok())
        .collect();
    let mut conn = state.db.pool.acquire().await?;
    let cards = crate::catalog::sellable_cards(&mut conn, &ids).await?;
    let titles = titles(&mut conn, &seeds).await?;
    let mut out = Vec::new();
    for r in &picks.items {
        let Some(card) = r.product_id.parse().ok().and_then(|id| cards.get(&id)) else {
            continue;
        };
        let seed: Option<i64> = r.reason.product_id.as_deref().and_then(|p| p.parse().ok());
        let title = seed.and_then(|s| titles.get(&s)).map(String::as_str);
        let text = match seed {
            Some(s) if ask.product_id == Some(s) => "看过此商品的人也喜欢".to_string(),
            Some(s) if cart.contains(&s.to_string()) => match title {
                Some(t) => format!("和购物车里的「{}」很配", short(t)),
                None => "和购物车里的商品很配".to_string(),
            },
            _ => words(r.reason.kind, title),
        };
        out.push(Item {
            product: card.clone(),
            reason: Reason {
                kind: r.reason.kind,
                product_id: seed,
                text,
            },
        });
        if out.len() as u64 == ask.count {
            break;
        }
    }
    Ok(out)
}

/// A seed's title in a reason: its first [`TITLE_CHARS`] characters.
fn short(t: &str) -> String {
    let mut s: String = t.chars().take(TITLE_CHARS).collect();
    if t.chars().count() > TITLE_CHARS {
        s.push('…');
    }
    s
}

/// The reason in the shopper's words (a seed from their history).
pub fn words(kind: ReasonKind, seed_title: Option<&str>) -> String {
    match (kind, seed_title) {
        (ReasonKind::Viewed, Some(t)) => format!("因为你看过「{}」", short(t)),
        (ReasonKind::Bought, Some(t)) => format!("因为你买过「{}」", short(t)),
        (ReasonKind::Viewed, None) => "根据你的浏览推荐".to_string(),
        (ReasonKind::Bought, None) => "根据你的购买推荐".to_string(),
        (ReasonKind::BestSeller, _) => "热销好物".to_string(),
    }
}

/// The shopper's recent views and purchases, and their cart's products
/// (slot `cart` only).
async fn shopper(
    db: &Db,
    user: i64,
    slot: Slot,
    now: i64,
) -> sqlx::Result<(Vec<ShopperEvent>, Vec<String>)> {
    let mut conn = db.pool.acquire().await?;
    let views: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT product_id, ts FROM events
         WHERE user_id = $1 AND ts >= $2 AND name = 'product_view' AND product_id IS NOT NULL
         ORDER BY ts DESC LIMIT $3",
    )
    .bind(user)
    .bind(now - HISTORY_SECS)
    .bind(MAX_VIEWS)
    .fetch_all(&mut *conn)
    .await?;
    let bought: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT l.product_id, o.paid_at FROM orders o JOIN order_lines l ON l.order_id = o.id
         WHERE o.user_id = $1 AND o.paid_at >= $2
         ORDER BY o.paid_at DESC LIMIT $3",
    )
    .bind(user)
    .bind(now - PURCHASE_SECS)
    .bind(MAX_PURCHASES)
    .fetch_all(&mut *conn)
    .await?;
    let event = |kind| {
        move |(p, at): (i64, i64)| ShopperEvent {
            product_id: p.to_string(),
            kind,
            at,
        }
    };
    let mut history: Vec<ShopperEvent> = views
        .into_iter()
        .map(event(mall_core::recommend::EventKind::View))
        .collect();
    history.extend(
        bought
            .into_iter()
            .map(event(mall_core::recommend::EventKind::Purchase)),
    );
    let cart = if slot == Slot::Cart {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT s.product_id FROM cart_items c JOIN skus s ON s.id = c.sku_id
             WHERE c.user_id = $1",
        )
        .bind(user)
        .fetch_all(&mut *conn)
        .await?;
        ids.iter().map(i64::to_string).collect()
    } else {
        Vec::new()
    };
    Ok((history, cart))
}

async fn titles(conn: &mut AnyConnection, ids: &[i64]) -> sqlx::Result<BTreeMap<i64, String>> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let sql = format!(
        "SELECT id, title FROM products WHERE id IN ({})",
        placeholders(1, ids.len())
    );
    let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
    for id in ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?.into_iter().collect())
}
