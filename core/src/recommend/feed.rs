//! One shopper's recommendations for a slot.
//!
//! Seeds are the shopper's products, each weighted by its events
//! `weight(kind) × 2^(−age / halfLife)`; on the product page the product on
//! screen, and below the cart the cart's products, are seeds as if bought now.
//! The strongest `maxSeeds` seeds lend their neighbours: a candidate scores
//! `Σ seed weight × similarity`, and its reason is the seed that gave most.
//! Candidates that score 0 or may not be shown are dropped, the rest are ranked
//! by score (ties by product id), and the channel's best sellers fill the list up.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::similarity::{EventWeights, Neighbours};
use super::{check_half_life, check_id, decay_q32, EventKind, DAY, ONE_Q32, PPM};
use crate::error::{Result, RuleError};

/// At most 100 recommendations per call.
pub const MAX_COUNT: u64 = 100;
/// Scores and units stop at 2^53 − 1, as JavaScript holds them exactly.
pub const MAX_SAFE: u64 = (1 << 53) - 1;
/// At most 10,000 events of one shopper per call.
pub const MAX_HISTORY: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Slot {
    /// 为你推荐 on the home page.
    Home,
    /// 猜你喜欢 on a product page: never the product on screen.
    Product,
    /// 猜你喜欢 below the cart: never what is in the cart.
    Cart,
    /// Below the search results.
    Search,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShopperEvent {
    pub product_id: String,
    pub kind: EventKind,
    pub at: i64,
}

/// A product's state now; a product not listed is never recommended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProductState {
    pub product_id: String,
    pub category_id: String,
    pub on_shelf: bool,
    /// Every SKU of the product is out of stock.
    pub sold_out: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecommendRules {
    /// A shopper's event this old counts half (default 7 days).
    #[serde(default = "seven_days")]
    pub half_life_seconds: u64,
    /// Bought within this many days: not shown again unless consumable (default 30; 0: no such rule).
    #[serde(default = "thirty")]
    pub bought_within_days: u64,
    /// The strongest seeds used (default 20, 1 to 200).
    #[serde(default = "twenty")]
    pub max_seeds: u64,
    #[serde(default)]
    pub weights: EventWeights,
}

fn seven_days() -> u64 {
    7 * 86_400
}
fn thirty() -> u64 {
    30
}
fn twenty() -> u64 {
    20
}
fn ten() -> u64 {
    10
}

impl Default for RecommendRules {
    fn default() -> Self {
        RecommendRules {
            half_life_seconds: seven_days(),
            bought_within_days: 30,
            max_seeds: 20,
            weights: EventWeights::default(),
        }
    }
}

/// The shop's side of a recommendation: the same for every shopper until the
/// job recomputes it. Checked once by [`ShopModel::new`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecommendShop {
    /// Every product that may be shown, sorted by product id, each once.
    pub products: Vec<ProductState>,
    /// The similarity table (`itemSimilarity`'s rows, sorted by product id, at
    /// most 200 neighbours each); only the seeds' rows are read.
    #[serde(default)]
    pub similar: Vec<Neighbours>,
    /// The shopper's channel's best sellers, best first (at most 1,000).
    #[serde(default)]
    pub best_sellers: Vec<String>,
    /// Categories whose products may be bought again and again.
    #[serde(default)]
    pub consumable_categories: Vec<String>,
    #[serde(default)]
    pub rules: RecommendRules,
}

/// The shopper's side: who asks, where, and what they did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShopperRequest {
    pub now: i64,
    pub slot: Slot,
    /// How many to return (default 10, 1 to 100).
    #[serde(default = "ten")]
    pub count: u64,
    /// The shopper's own views and purchases (empty: new or anonymous).
    #[serde(default)]
    pub history: Vec<ShopperEvent>,
    /// The product on screen (slot `product`; required there, ignored elsewhere).
    #[serde(default)]
    pub current_product_id: Option<String>,
    /// The cart's products (slot `cart`; ignored elsewhere).
    #[serde(default)]
    pub cart_product_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecommendInput {
    pub shop: RecommendShop,
    pub shopper: ShopperRequest,
}

/// A checked [`RecommendShop`]: sorted, bounded, valid ids. The server builds
/// it once per refresh of the table and shares it between requests, so a call
/// only checks the shopper's side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopModel(RecommendShop);

impl ShopModel {
    pub fn new(shop: RecommendShop) -> Result<ShopModel> {
        check_shop(&shop)?;
        Ok(ShopModel(shop))
    }

    pub fn shop(&self) -> &RecommendShop {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ReasonKind {
    Viewed,
    Bought,
    BestSeller,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    pub kind: ReasonKind,
    /// The seed product (none for a best seller).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    /// `because you viewed <id>`, `because you bought <id>` or `best seller`.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    pub product_id: String,
    /// Σ seed weight × similarity (ppm × event weight, at most 2^53 − 1); 0 for a best seller.
    pub score: u64,
    pub reason: Reason,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recommendations {
    pub items: Vec<Recommendation>,
}

struct Seed<'a> {
    id: &'a str,
    weight: u64,
    bought: bool,
    last_bought: Option<i64>,
}

fn check_sorted<'a>(field: &str, ids: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut last: Option<&str> = None;
    for id in ids {
        check_id(field, id)?;
        if last.is_some_and(|l| l >= id) {
            return Err(RuleError::invalid(
                field,
                "must be sorted by product id, each once",
            ));
        }
        last = Some(id);
    }
    Ok(())
}

fn check_shop(shop: &RecommendShop) -> Result<()> {
    let r = &shop.rules;
    check_half_life("rules.halfLifeSeconds", r.half_life_seconds)?;
    r.weights.check("rules.weights")?;
    if r.bought_within_days > super::MAX_HALF_LIFE / 86_400 {
        return Err(RuleError::invalid(
            "rules.boughtWithinDays",
            "0 to 3650 days",
        ));
    }
    if !(1..=200).contains(&r.max_seeds) {
        return Err(RuleError::invalid("rules.maxSeeds", "1 to 200"));
    }
    if shop.best_sellers.len() > 1_000 {
        return Err(RuleError::invalid("bestSellers", "at most 1,000"));
    }
    for id in &shop.best_sellers {
        check_id("bestSellers", id)?;
    }
    for c in &shop.consumable_categories {
        check_id("consumableCategories", c)?;
    }
    check_sorted(
        "products",
        shop.products.iter().map(|p| p.product_id.as_str()),
    )?;
    for p in &shop.products {
        check_id("products.categoryId", &p.category_id)?;
    }
    check_sorted(
        "similar",
        shop.similar.iter().map(|n| n.product_id.as_str()),
    )?;
    for row in &shop.similar {
        if row.neighbours.len() > super::similarity::MAX_TOP_K as usize {
            return Err(RuleError::invalid(
                "similar.neighbours",
                "at most 200 per product",
            ));
        }
        for n in &row.neighbours {
            check_id("similar.neighbours.productId", &n.product_id)?;
            if n.score > PPM {
                return Err(RuleError::invalid(
                    "similar.neighbours.score",
                    "0 to 1,000,000 parts per million",
                ));
            }
        }
    }
    Ok(())
}

fn check_shopper(i: &ShopperRequest) -> Result<()> {
    if !(1..=MAX_COUNT).contains(&i.count) {
        return Err(RuleError::invalid("count", "1 to 100"));
    }
    if i.history.len() > MAX_HISTORY {
        return Err(RuleError::invalid("history", "at most 10,000 events"));
    }
    for e in &i.history {
        check_id("history.productId", &e.product_id)?;
    }
    if i.cart_product_ids.len() > 1_000 {
        return Err(RuleError::invalid("cartProductIds", "at most 1,000"));
    }
    for id in &i.cart_product_ids {
        check_id("cartProductIds", id)?;
    }
    match (&i.slot, &i.current_product_id) {
        (Slot::Product, None) => {
            return Err(RuleError::invalid(
                "currentProductId",
                "required on the product slot",
            ))
        }
        (_, Some(id)) => check_id("currentProductId", id)?,
        _ => {}
    }
    Ok(())
}

/// The shopper's products as seeds, strongest first (ties by product id).
fn seeds<'a>(shop: &RecommendShop, i: &'a ShopperRequest) -> Vec<Seed<'a>> {
    let w = &shop.rules.weights;
    let hl = shop.rules.half_life_seconds;
    let mut by_id: BTreeMap<&str, Seed<'_>> = BTreeMap::new();
    fn add<'a>(
        by_id: &mut BTreeMap<&'a str, Seed<'a>>,
        id: &'a str,
        weight: u64,
        bought_at: Option<i64>,
    ) {
        let s = by_id.entry(id).or_insert(Seed {
            id,
            weight: 0,
            bought: false,
            last_bought: None,
        });
        s.weight = s.weight.saturating_add(weight);
        if let Some(at) = bought_at {
            s.bought = true;
            s.last_bought = Some(s.last_bought.map_or(at, |l| l.max(at)));
        }
    }
    for e in &i.history {
        let bought = (e.kind == EventKind::Purchase).then_some(e.at);
        add(
            &mut by_id,
            &e.product_id,
            w.of(e.kind) * decay_q32(i.now, e.at, hl),
            bought,
        );
    }
    // What the shopper looks at now counts as much as a fresh purchase.
    let now_weight = w.purchase * ONE_Q32;
    match i.slot {
        Slot::Product => {
            if let Some(id) = &i.current_product_id {
                add(&mut by_id, id, now_weight, None);
            }
        }
        Slot::Cart => {
            for id in &i.cart_product_ids {
                add(&mut by_id, id, now_weight, None);
            }
        }
        Slot::Home | Slot::Search => {}
    }
    let mut all: Vec<Seed<'_>> = by_id.into_values().collect();
    all.sort_by(|a, b| b.weight.cmp(&a.weight).then(a.id.cmp(b.id)));
    all
}

/// What may not be shown to this shopper in this slot, besides the products' states.
struct Exclusions<'a> {
    /// Bought within the rule's days, sorted.
    just_bought: Vec<&'a str>,
    /// The product on screen or the cart's products, sorted.
    slot: Vec<&'a str>,
}

fn exclusions<'a>(
    shop: &RecommendShop,
    i: &'a ShopperRequest,
    seeds: &[Seed<'a>],
) -> Exclusions<'a> {
    let within = shop.rules.bought_within_days;
    let horizon = i128::from(i.now) - i128::from(within) * i128::from(DAY);
    let mut just_bought: Vec<&str> = seeds
        .iter()
        .filter(|s| within > 0 && s.last_bought.is_some_and(|at| i128::from(at) > horizon))
        .map(|s| s.id)
        .collect();
    just_bought.sort_unstable();
    let mut slot: Vec<&str> = match i.slot {
        Slot::Product => i.current_product_id.as_deref().into_iter().collect(),
        Slot::Cart => i.cart_product_ids.iter().map(String::as_str).collect(),
        Slot::Home | Slot::Search => Vec::new(),
    };
    slot.sort_unstable();
    Exclusions { just_bought, slot }
}

/// Whether `id` may be shown: listed, on shelf, not sold out, not just bought
/// (unless its category is consumable), not excluded by the slot.
fn allowed(shop: &RecommendShop, x: &Exclusions<'_>, id: &str) -> bool {
    let Ok(k) = shop
        .products
        .binary_search_by(|p| p.product_id.as_str().cmp(id))
    else {
        return false;
    };
    let p = &shop.products[k];
    if !p.on_shelf || p.sold_out || x.slot.binary_search(&id).is_ok() {
        return false;
    }
    x.just_bought.binary_search(&id).is_err() || shop.consumable_categories.contains(&p.category_id)
}

fn reason(kind: ReasonKind, product_id: Option<&str>) -> Reason {
    let text = match (kind, product_id) {
        (ReasonKind::Viewed, Some(p)) => format!("because you viewed {p}"),
        (ReasonKind::Bought, Some(p)) => format!("because you bought {p}"),
        _ => "best seller".to_string(),
    };
    Reason {
        kind,
        product_id: product_id.map(str::to_string),
        text,
    }
}

/// The shopper's recommendations for the slot.
pub fn recommend(i: &RecommendInput) -> Result<Recommendations> {
    check_shop(&i.shop)?;
    recommend_checked(&i.shop, &i.shopper)
}

/// The shopper's recommendations from a shop model checked once.
pub fn recommend_for(model: &ShopModel, shopper: &ShopperRequest) -> Result<Recommendations> {
    recommend_checked(model.shop(), shopper)
}

fn recommend_checked(shop: &RecommendShop, i: &ShopperRequest) -> Result<Recommendations> {
    check_shopper(i)?;
    let all_seeds = seeds(shop, i);
    let excluded = exclusions(shop, i, &all_seeds);
    let max_seeds = usize::try_from(shop.rules.max_seeds).unwrap_or(usize::MAX);
    // candidate -> (score, best contribution, its seed's index)
    let mut cands: BTreeMap<&str, (u128, u128, usize)> = BTreeMap::new();
    for (k, seed) in all_seeds.iter().enumerate().take(max_seeds) {
        let Ok(row) = shop
            .similar
            .binary_search_by(|n| n.product_id.as_str().cmp(seed.id))
        else {
            continue;
        };
        for n in &shop.similar[row].neighbours {
            let c = u128::from(seed.weight) * u128::from(n.score.min(PPM));
            let e = cands.entry(n.product_id.as_str()).or_insert((0, 0, k));
            e.0 = e.0.saturating_add(c);
            // Seeds come strongest first: on equal contributions the first wins.
            if c > e.1 {
                e.1 = c;
                e.2 = k;
            }
        }
    }
    let mut ranked: Vec<(&str, u128, usize)> = cands
        .into_iter()
        .filter(|(id, (score, _, _))| *score > 0 && allowed(shop, &excluded, id))
        .map(|(id, (score, _, k))| (id, score, k))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let count = usize::try_from(i.count).unwrap_or(usize::MAX);
    ranked.truncate(count);
    let mut items: Vec<Recommendation> = ranked
        .into_iter()
        .map(|(id, score, k)| {
            let seed = &all_seeds[k];
            let kind = if seed.bought {
                ReasonKind::Bought
            } else {
                ReasonKind::Viewed
            };
            Recommendation {
                product_id: id.to_string(),
                score: u64::try_from(score >> 32).map_or(MAX_SAFE, |s| s.min(MAX_SAFE)),
                reason: reason(kind, Some(seed.id)),
            }
        })
        .collect();
    for id in &shop.best_sellers {
        if items.len() >= count {
            break;
        }
        if items.iter().all(|r| &r.product_id != id) && allowed(shop, &excluded, id) {
            items.push(Recommendation {
                product_id: id.clone(),
                score: 0,
                reason: reason(ReasonKind::BestSeller, None),
            });
        }
    }
    Ok(Recommendations { items })
}
