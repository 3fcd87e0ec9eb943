//! Item-to-item similarity from co-views and co-purchases.
//!
//! Each shopper's interest in a product is the sum of their events on it, each
//! `weight(kind) × 2^(−age / halfLife)` (Q32), capped at one fresh purchase so
//! one shopper's repeats do not dominate. Two products are similar by the
//! cosine of their interest vectors over shoppers, `Σ wᵢwⱼ / (‖wᵢ‖ ‖wⱼ‖)`: a
//! best seller co-occurs with everything but its large norm divides that
//! away. The cosine is shrunk by `n / (n + shrink)`, n = the shoppers who
//! have both, so a pair seen once does not outrank a pair seen by hundreds.

use serde::{Deserialize, Serialize};

use super::{check_half_life, check_id, decay_q32, isqrt, EventKind, ONE_Q32, PPM};
use crate::error::{Result, RuleError};

/// At most ten million events per run.
pub const MAX_EVENTS: usize = 10_000_000;
/// At most 200 neighbours per product.
pub const MAX_TOP_K: u64 = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Event {
    pub user_id: String,
    /// A product (or SKU) id: recommendations are made in the same ids.
    pub product_id: String,
    pub kind: EventKind,
    /// Unix seconds.
    pub at: i64,
}

/// How much one event counts, 1 to 100; a purchase must count at least as much as a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventWeights {
    #[serde(default = "one")]
    pub view: u64,
    #[serde(default = "five")]
    pub purchase: u64,
}

fn one() -> u64 {
    1
}
fn five() -> u64 {
    5
}

impl Default for EventWeights {
    fn default() -> Self {
        EventWeights {
            view: 1,
            purchase: 5,
        }
    }
}

impl EventWeights {
    pub(crate) fn check(&self, field: &str) -> Result<()> {
        if !(1..=100).contains(&self.view) || !(self.view..=100).contains(&self.purchase) {
            return Err(RuleError::invalid(
                field,
                "view and purchase 1 to 100, purchase at least view",
            ));
        }
        Ok(())
    }

    pub(crate) fn of(&self, kind: EventKind) -> u64 {
        match kind {
            EventKind::View => self.view,
            EventKind::Purchase => self.purchase,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimilarityInput {
    pub now: i64,
    /// An event this old counts half (default 30 days).
    #[serde(default = "thirty_days")]
    pub half_life_seconds: u64,
    /// Neighbours kept per product (default 20, at most 200).
    #[serde(default = "twenty")]
    pub top_k: u64,
    #[serde(default)]
    pub weights: EventWeights,
    /// Shrinkage: the cosine × n / (n + shrink), n = shoppers with both (default 2, at most 1000).
    #[serde(default = "two")]
    pub shrink: u64,
    /// A shopper's products considered, their strongest first (default 200, 1 to 10,000).
    #[serde(default = "two_hundred")]
    pub max_products_per_shopper: u64,
    pub events: Vec<Event>,
}

fn thirty_days() -> u64 {
    30 * 86_400
}
fn twenty() -> u64 {
    20
}
fn two() -> u64 {
    2
}
fn two_hundred() -> u64 {
    200
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Neighbour {
    pub product_id: String,
    /// Similarity in parts per million (1 to 1,000,000).
    pub score: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Neighbours {
    pub product_id: String,
    /// Best first; equal scores by product id.
    pub neighbours: Vec<Neighbour>,
}

/// Every product with at least one neighbour, by product id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimilarityTable {
    pub products: Vec<Neighbours>,
}

/// Sorted distinct ids and each input's index in them.
fn dense<'a>(ids: impl Iterator<Item = &'a str> + Clone) -> (Vec<&'a str>, Vec<u32>) {
    let mut names: Vec<&str> = ids.clone().collect();
    names.sort_unstable();
    names.dedup();
    let idx = ids
        .map(|s| names.binary_search(&s).map_or(0, |i| i as u32))
        .collect();
    (names, idx)
}

/// Compressed rows: `start[r]..start[r + 1]` index `items`.
struct Rows {
    start: Vec<usize>,
    items: Vec<(u32, u64)>,
}

impl Rows {
    fn row(&self, r: usize) -> &[(u32, u64)] {
        &self.items[self.start[r]..self.start[r + 1]]
    }
}

/// The top-K neighbours of every product.
pub fn item_similarity(i: &SimilarityInput) -> Result<SimilarityTable> {
    check_half_life("halfLifeSeconds", i.half_life_seconds)?;
    i.weights.check("weights")?;
    if !(1..=MAX_TOP_K).contains(&i.top_k) {
        return Err(RuleError::invalid("topK", "1 to 200"));
    }
    if i.shrink > 1_000 {
        return Err(RuleError::invalid("shrink", "0 to 1000"));
    }
    if !(1..=10_000).contains(&i.max_products_per_shopper) {
        return Err(RuleError::invalid("maxProductsPerShopper", "1 to 10000"));
    }
    if i.events.len() > MAX_EVENTS {
        return Err(RuleError::invalid("events", "at most 10,000,000"));
    }
    for e in &i.events {
        check_id("events.userId", &e.user_id)?;
        check_id("events.productId", &e.product_id)?;
    }
    let (products, pidx) = dense(i.events.iter().map(|e| e.product_id.as_str()));
    let (users, uidx) = dense(i.events.iter().map(|e| e.user_id.as_str()));

    // (user, product, weight), summed per pair and capped at one fresh purchase.
    let cap = i.weights.purchase * ONE_Q32;
    let mut pairs: Vec<(u32, u32, u64)> = i
        .events
        .iter()
        .zip(pidx.iter().zip(&uidx))
        .map(|(e, (&p, &u))| {
            let w = i.weights.of(e.kind) * decay_q32(i.now, e.at, i.half_life_seconds);
            (u, p, w)
        })
        .collect();
    pairs.sort_unstable();
    let mut merged: Vec<(u32, u32, u64)> = Vec::with_capacity(pairs.len());
    for (u, p, w) in pairs {
        match merged.last_mut() {
            Some(last) if last.0 == u && last.1 == p => last.2 = (last.2 + w).min(cap),
            _ => merged.push((u, p, w.min(cap))),
        }
    }
    merged.retain(|&(_, _, w)| w > 0);

    // Shopper rows, each cut to its strongest products (ties by product id).
    let max_per = usize::try_from(i.max_products_per_shopper).unwrap_or(usize::MAX);
    let mut by_user = Rows {
        start: vec![0; users.len() + 1],
        items: Vec::with_capacity(merged.len()),
    };
    let mut k = 0;
    for u in 0..users.len() {
        let from = k;
        while k < merged.len() && merged[k].0 as usize == u {
            k += 1;
        }
        let mut row: Vec<(u32, u64)> = merged[from..k].iter().map(|&(_, p, w)| (p, w)).collect();
        if row.len() > max_per {
            row.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            row.truncate(max_per);
            row.sort_unstable();
        }
        by_user.items.extend(row);
        by_user.start[u + 1] = by_user.items.len();
    }

    // Product rows (the shoppers who have each product) and norms.
    let mut count = vec![0usize; products.len() + 1];
    for &(p, _) in &by_user.items {
        count[p as usize + 1] += 1;
    }
    for p in 0..products.len() {
        count[p + 1] += count[p];
    }
    let mut by_product = Rows {
        start: count.clone(),
        items: vec![(0, 0); by_user.items.len()],
    };
    for u in 0..users.len() {
        for &(p, w) in by_user.row(u) {
            let slot = &mut count[p as usize];
            by_product.items[*slot] = (u as u32, w);
            *slot += 1;
        }
    }
    let norm: Vec<u128> = (0..products.len())
        .map(|p| {
            let sq: u128 = by_product
                .row(p)
                .iter()
                .map(|&(_, w)| u128::from(w) * u128::from(w))
                .fold(0, u128::saturating_add);
            isqrt(sq)
        })
        .collect();

    let top_k = usize::try_from(i.top_k).unwrap_or(usize::MAX);
    let mut acc = vec![0u128; products.len()];
    let mut both = vec![0u64; products.len()];
    let mut touched: Vec<u32> = Vec::new();
    let mut out = Vec::new();
    for p in 0..products.len() {
        for &(u, wp) in by_product.row(p) {
            for &(q, wq) in by_user.row(u as usize) {
                if q as usize == p {
                    continue;
                }
                let a = &mut acc[q as usize];
                if *a == 0 && both[q as usize] == 0 {
                    touched.push(q);
                }
                *a = a.saturating_add(u128::from(wp) * u128::from(wq));
                both[q as usize] += 1;
            }
        }
        let mut row: Vec<(u64, u32)> = Vec::with_capacity(touched.len());
        for &q in &touched {
            let q = q as usize;
            let denom = norm[p].saturating_mul(norm[q]);
            if let Some(cos) = acc[q].saturating_mul(u128::from(PPM)).checked_div(denom) {
                let n = u128::from(both[q]);
                let s = cos.min(u128::from(PPM)) * n / (n + u128::from(i.shrink));
                if s > 0 {
                    row.push((u64::try_from(s).unwrap_or(PPM), q as u32));
                }
            }
            acc[q] = 0;
            both[q] = 0;
        }
        touched.clear();
        let order = |a: &(u64, u32), b: &(u64, u32)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
        if row.len() > top_k {
            row.select_nth_unstable_by(top_k, order);
            row.truncate(top_k);
        }
        row.sort_unstable_by(order);
        if !row.is_empty() {
            out.push(Neighbours {
                product_id: products[p].to_string(),
                neighbours: row
                    .into_iter()
                    .map(|(score, q)| Neighbour {
                        product_id: products[q as usize].to_string(),
                        score,
                    })
                    .collect(),
            });
        }
    }
    Ok(SimilarityTable { products: out })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(u: &str, p: &str, kind: EventKind, at: i64) -> Event {
        Event {
            user_id: u.into(),
            product_id: p.into(),
            kind,
            at,
        }
    }

    fn table(events: Vec<Event>, shrink: u64) -> SimilarityTable {
        item_similarity(&SimilarityInput {
            now: 1_000_000,
            half_life_seconds: 86_400,
            top_k: 5,
            weights: EventWeights::default(),
            shrink,
            max_products_per_shopper: 200,
            events,
        })
        .unwrap()
    }

    #[test]
    fn a_best_seller_does_not_crowd_out_a_true_complement() {
        use EventKind::*;
        let mut events = Vec::new();
        // Everyone buys the best seller; the dress buyers also view its belt.
        for u in 0..20 {
            events.push(ev(&format!("u{u}"), "bestseller", Purchase, 1_000_000));
        }
        for u in 0..4 {
            events.push(ev(&format!("u{u}"), "dress", Purchase, 1_000_000));
            events.push(ev(&format!("u{u}"), "belt", View, 1_000_000));
        }
        let t = table(events, 0);
        let dress = t.products.iter().find(|n| n.product_id == "dress").unwrap();
        assert_eq!(dress.neighbours[0].product_id, "belt");
        assert_eq!(dress.neighbours[0].score, 1_000_000);
        assert_eq!(dress.neighbours[1].product_id, "bestseller");
        // 4 co-buyers of 20: cos = 4·25 / (√(4·25)·√(20·25)) = 1/√5.
        assert_eq!(dress.neighbours[1].score, 447_213);
    }

    #[test]
    fn shrinkage_favours_pairs_seen_by_more_shoppers() {
        use EventKind::*;
        let events = vec![
            ev("a", "x", View, 1_000_000),
            ev("a", "y", View, 1_000_000),
            ev("b", "x", View, 1_000_000),
            ev("b", "z", View, 1_000_000),
            ev("c", "x", View, 1_000_000),
            ev("c", "z", View, 1_000_000),
        ];
        let t = table(events, 2);
        let x = &t.products[0];
        assert_eq!(x.product_id, "x");
        assert_eq!(x.neighbours[0].product_id, "z");
    }
}
