//! Offline evaluation of the recommendation rules (issue 16).
//!
//! cargo run --release -p mall-core --example recs_eval [-- SEED]
//!
//! Generates a shop's history with a seeded PRNG (SplitMix64): products in
//! categories with Zipf-like popularity, complementary pairs across paired
//! categories (a dress and its matching belt), consumable categories bought
//! again every 2–5 weeks, seasonal categories, shoppers with 1–3 preferred
//! categories. Each shopper's last purchase is held out together with the
//! whole session it was in; the similarity table and the best sellers are
//! computed from the remaining sessions only, so no held-out purchase leaks
//! into training. For each shopper with a held-out purchase, `recommend` (home
//! slot, 10 items, called at the start of the held-out session) is scored:
//! hit rate@10 = held-out product among the 10; coverage = distinct products
//! recommended / catalogue. The baseline is today's 为你推荐: the best sellers,
//! through the same filters. The product slot (猜你喜欢) is scored the same
//! way on the page the held-out session landed on, when that page is not the
//! held-out product. Then the same at the latency scale:
//! 10,000 products and 100,000 shoppers, p50/p99 of the home-feed call timed
//! over 10,000 shoppers with the similarity table precomputed. Between the two,
//! the same history with other similarity settings (views as strong as
//! purchases, no decay, no shrinkage) shows what each choice is worth.
//!
//! Integers only (the workspace denies float arithmetic): rates are printed in
//! tenths of a percent.

use std::time::Instant;

use mall_core::recommend::{
    best_sellers, item_similarity, recommend_for, BestSellersInput, Event, EventKind, EventWeights,
    OrderLine, ProductState, RecommendRules, RecommendShop, ShopModel, ShopperEvent,
    ShopperRequest, SimilarityInput, Slot,
};

const DAY: i64 = 86_400;
/// 2026-12-01T00:00:00Z: the end of the generated history.
const END: i64 = 1_796_083_200;

/// SplitMix64: small, seeded, the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
    /// True with probability `pct` percent.
    fn pct(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
    /// An index drawn by integer weights (cumulative table).
    fn pick(&mut self, cumulative: &[u64]) -> usize {
        let total = *cumulative.last().unwrap_or(&1);
        let x = self.below(total);
        cumulative.partition_point(|&c| c <= x)
    }
}

fn cumulative(weights: impl Iterator<Item = u64>) -> Vec<u64> {
    weights
        .scan(0u64, |s, w| {
            *s += w;
            Some(*s)
        })
        .collect()
}

/// The similarity settings under test.
#[derive(Clone, Copy)]
struct Variant {
    name: &'static str,
    half_life_days: u64,
    purchase_weight: u64,
    shrink: u64,
}

const DEFAULT: Variant = Variant {
    name: "default: half-life 60 days, purchase 5 views, shrink 2",
    half_life_days: 60,
    purchase_weight: 5,
    shrink: 2,
};

#[derive(Clone, Copy)]
struct Params {
    variant: Variant,
    seed: u64,
    products: usize,
    per_category: usize,
    shoppers: usize,
    days: i64,
    /// Shoppers evaluated (and timed); 0: all with a held-out purchase.
    evaluated: usize,
}

struct Catalogue {
    category: Vec<usize>,
    /// Popularity rank inside its category (0 = most popular).
    rank: Vec<usize>,
    complements: Vec<[usize; 2]>,
    consumable: Vec<bool>,
    /// Repurchase cycle in days, consumables only.
    cycle: Vec<i64>,
    /// The day of the year the category peaks.
    peak: Vec<i64>,
    states: Vec<ProductState>,
}

fn pid(p: usize) -> String {
    format!("p{p:05}")
}

fn catalogue(rng: &mut Rng, p: &Params) -> Catalogue {
    let cats = p.products / p.per_category;
    let mut c = Catalogue {
        category: Vec::new(),
        rank: Vec::new(),
        complements: Vec::new(),
        consumable: (0..cats).map(|k| k % 5 == 4).collect(),
        cycle: Vec::new(),
        peak: (0..cats).map(|_| rng.below(365) as i64).collect(),
        states: Vec::new(),
    };
    for i in 0..p.products {
        let cat = i / p.per_category;
        // Paired categories: 0 ↔ 1, 2 ↔ 3, … (dresses ↔ accessories).
        let mate = (cat ^ 1).min(cats - 1);
        let a = mate * p.per_category + rng.below(p.per_category as u64) as usize;
        let b = mate * p.per_category + rng.below(p.per_category as u64) as usize;
        c.category.push(cat);
        c.rank.push(i % p.per_category);
        c.complements.push([a, b]);
        c.cycle.push(14 + rng.below(22) as i64);
        let r = rng.below(100);
        c.states.push(ProductState {
            product_id: pid(i),
            category_id: format!("c{cat:03}"),
            on_shelf: r >= 2,
            sold_out: (2..4).contains(&r),
        });
    }
    c
}

/// Zipf-like weight of the r-th most popular (exponent 1).
fn zipf(r: usize) -> u64 {
    1_000_000 / (r as u64 + 1)
}

/// 3× inside ±30 days of the category's peak (day of year).
fn season(c: &Catalogue, cat: usize, day: i64) -> u64 {
    let d = (day - c.peak[cat]).rem_euclid(365);
    if d.min(365 - d) <= 30 {
        3
    } else {
        1
    }
}

struct Ev {
    user: usize,
    product: usize,
    kind: EventKind,
    at: i64,
    session: u32,
}

fn history(rng: &mut Rng, c: &Catalogue, p: &Params) -> Vec<Vec<Ev>> {
    let cats = c.peak.len();
    let in_cat = cumulative((0..p.per_category).map(zipf));
    let cat_weights: Vec<u64> = (0..cats).map(|k| zipf(k % 20)).collect();
    let cat_cum = cumulative(cat_weights.iter().copied());
    let start = END - p.days * DAY;
    let mut all = Vec::with_capacity(p.shoppers);
    for u in 0..p.shoppers {
        let prefs: Vec<usize> = (0..1 + rng.below(3)).map(|_| rng.pick(&cat_cum)).collect();
        let sessions = 2 + rng.below(4) + if rng.pct(30) { rng.below(8) } else { 0 };
        let mut times: Vec<i64> = (0..sessions)
            .map(|_| start + rng.below((p.days * DAY) as u64) as i64)
            .collect();
        let mut repeats: Vec<(i64, usize)> = Vec::new();
        times.sort_unstable();
        let mut evs = Vec::new();
        let mut sid = 0u32;
        let mut k = 0;
        loop {
            // The next session: a planned repurchase or a browsing session, earliest first.
            repeats.sort_unstable();
            let (t, repeat) = match (times.get(k), repeats.first()) {
                (Some(&t), Some(&(r, _))) if r < t => (r, Some(repeats.remove(0).1)),
                (None, Some(&(r, _))) if r < END => (r, Some(repeats.remove(0).1)),
                (Some(&t), _) => {
                    k += 1;
                    (t, None)
                }
                _ => break,
            };
            let mut at = t;
            let mut push = |rng: &mut Rng, product, kind, evs: &mut Vec<Ev>| {
                at += 30 + rng.below(300) as i64;
                evs.push(Ev {
                    user: u,
                    product,
                    kind,
                    at,
                    session: sid,
                });
            };
            let mut bought = Vec::new();
            if let Some(prod) = repeat {
                push(rng, prod, EventKind::View, &mut evs);
                push(rng, prod, EventKind::Purchase, &mut evs);
                bought.push(prod);
            } else {
                let day = (t / DAY).rem_euclid(365);
                let cat = if rng.pct(75) {
                    let w = cumulative(prefs.iter().map(|&q| season(c, q, day)));
                    prefs[rng.pick(&w)]
                } else {
                    let w = cumulative((0..cats).map(|q| cat_weights[q] * season(c, q, day)));
                    rng.pick(&w)
                };
                let n = 2 + rng.below(5);
                let viewed: Vec<usize> = (0..n)
                    .map(|_| cat * p.per_category + rng.pick(&in_cat))
                    .collect();
                for &v in &viewed {
                    push(rng, v, EventKind::View, &mut evs);
                }
                if rng.pct(40) {
                    let b = viewed[rng.below(n) as usize];
                    push(rng, b, EventKind::Purchase, &mut evs);
                    bought.push(b);
                    if rng.pct(50) {
                        let comp = c.complements[b][rng.below(2) as usize];
                        push(rng, comp, EventKind::View, &mut evs);
                        if rng.pct(45) {
                            push(rng, comp, EventKind::Purchase, &mut evs);
                            bought.push(comp);
                        }
                    }
                }
            }
            for b in bought {
                if c.consumable[c.category[b]] && rng.pct(70) {
                    let jitter = c.cycle[b] * DAY / 5;
                    let due = t + c.cycle[b] * DAY - jitter + rng.below(2 * jitter as u64) as i64;
                    if due < END {
                        repeats.push((due, b));
                    }
                }
            }
            sid += 1;
        }
        all.push(evs);
    }
    all
}

struct Outcome {
    evaluated: usize,
    hits: usize,
    baseline_hits: usize,
    covered: usize,
    baseline_covered: usize,
    returning: usize,
    returning_hits: usize,
    returning_baseline_hits: usize,
    page: usize,
    page_hits: usize,
    page_baseline_hits: usize,
    nanos: Vec<u64>,
    train_events: usize,
    similarity_ms: u128,
    model_us: u128,
}

fn permille(a: usize, b: usize) -> String {
    let x = (a * 1000 + b / 2) / b.max(1);
    format!("{}.{}%", x / 10, x % 10)
}

fn ms(ns: u64) -> String {
    format!("{}.{:03} ms", ns / 1_000_000, (ns / 1_000) % 1_000)
}

fn run(p: &Params) -> Outcome {
    let mut rng = Rng(p.seed);
    let c = catalogue(&mut rng, p);
    let hist = history(&mut rng, &c, p);

    // Hold out each shopper's last purchase with its whole session.
    // (product, session, the session's start, the product it landed on)
    let held: Vec<Option<(usize, u32, i64, usize)>> = hist
        .iter()
        .map(|evs| {
            let last = evs.iter().rev().find(|e| e.kind == EventKind::Purchase)?;
            let first = evs.iter().find(|e| e.session == last.session)?;
            Some((last.product, last.session, first.at, first.product))
        })
        .collect();
    let training = |u: usize| {
        let cut = held[u].map_or(u32::MAX, |h| h.1);
        hist[u].iter().filter(move |e| e.session < cut)
    };
    let events: Vec<Event> = (0..p.shoppers)
        .flat_map(|u| training(u))
        .map(|e| Event {
            user_id: format!("u{}", e.user),
            product_id: pid(e.product),
            kind: e.kind,
            at: e.at,
        })
        .collect();
    let train_events = events.len();
    let lines: Vec<OrderLine> = events
        .iter()
        .filter(|e| e.kind == EventKind::Purchase)
        .map(|e| OrderLine {
            product_id: e.product_id.clone(),
            channel: "miniprogram".into(),
            quantity: 1,
            at: e.at,
        })
        .collect();
    let best = best_sellers(&BestSellersInput {
        now: END,
        channel: "miniprogram".into(),
        window_days: u64::try_from(p.days).unwrap_or(1),
        count: 200,
        lines,
    })
    .expect("best sellers");
    let t0 = Instant::now();
    let table = item_similarity(&SimilarityInput {
        now: END,
        half_life_seconds: p.variant.half_life_days * DAY as u64,
        top_k: 30,
        weights: EventWeights {
            view: 1,
            purchase: p.variant.purchase_weight,
        },
        shrink: p.variant.shrink,
        max_products_per_shopper: 200,
        events,
    })
    .expect("similarity");
    let similarity_ms = t0.elapsed().as_millis();

    let consumable: Vec<String> = (0..c.peak.len())
        .filter(|&k| c.consumable[k])
        .map(|k| format!("c{k:03}"))
        .collect();
    let shop = RecommendShop {
        products: c.states.clone(),
        similar: table.products,
        best_sellers: best.items.into_iter().map(|b| b.product_id).collect(),
        consumable_categories: consumable,
        rules: RecommendRules::default(),
    };
    // The baseline: the same shop without the similarity table.
    let baseline = ShopModel::new(RecommendShop {
        similar: Vec::new(),
        ..shop.clone()
    })
    .expect("baseline model");
    let t0 = Instant::now();
    let model = ShopModel::new(shop).expect("shop model");
    let model_us = t0.elapsed().as_micros();
    let mut shoppers: Vec<usize> = (0..p.shoppers).filter(|&u| held[u].is_some()).collect();
    if p.evaluated > 0 && p.evaluated < shoppers.len() {
        // A seeded sample, in shopper order.
        let mut r = Rng(p.seed ^ 0x5eed);
        let mut keep = vec![false; shoppers.len()];
        let mut n = 0;
        while n < p.evaluated {
            let k = r.below(shoppers.len() as u64) as usize;
            if !keep[k] {
                keep[k] = true;
                n += 1;
            }
        }
        shoppers = shoppers
            .into_iter()
            .zip(keep)
            .filter_map(|(u, k)| k.then_some(u))
            .collect();
    }
    let mut seen = vec![false; p.products];
    let mut baseline_seen = vec![false; p.products];
    let mut o = Outcome {
        evaluated: shoppers.len(),
        hits: 0,
        baseline_hits: 0,
        covered: 0,
        baseline_covered: 0,
        returning: 0,
        returning_hits: 0,
        returning_baseline_hits: 0,
        page: 0,
        page_hits: 0,
        page_baseline_hits: 0,
        nanos: Vec::with_capacity(shoppers.len()),
        train_events,
        similarity_ms,
        model_us,
    };
    for &u in &shoppers {
        let (target, _, at, landing) = held[u].expect("held out");
        let landing = (landing != target).then(|| pid(landing));
        let target = pid(target);
        let shopper = ShopperRequest {
            now: at,
            slot: Slot::Home,
            count: 10,
            history: training(u)
                .map(|e| ShopperEvent {
                    product_id: pid(e.product),
                    kind: e.kind,
                    at: e.at,
                })
                .collect(),
            current_product_id: None,
            cart_product_ids: Vec::new(),
        };
        let returning = !shopper.history.is_empty();
        let t = Instant::now();
        let recs = recommend_for(&model, &shopper).expect("recommend");
        o.nanos
            .push(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
        let base = recommend_for(&baseline, &shopper).expect("baseline");
        let hit = recs.items.iter().any(|r| r.product_id == target);
        let base_hit = base.items.iter().any(|r| r.product_id == target);
        o.hits += usize::from(hit);
        o.baseline_hits += usize::from(base_hit);
        if returning {
            o.returning += 1;
            o.returning_hits += usize::from(hit);
            o.returning_baseline_hits += usize::from(base_hit);
        }
        for r in &recs.items {
            let k: usize = r.product_id[1..].parse().expect("id");
            seen[k] = true;
        }
        // 猜你喜欢 on the page the held-out session landed on, when that
        // page is not the held-out product itself (never shown on its own page).
        if let Some(landing) = landing {
            let page = ShopperRequest {
                slot: Slot::Product,
                current_product_id: Some(landing),
                ..shopper
            };
            let recs = recommend_for(&model, &page).expect("product page");
            let base = recommend_for(&baseline, &page).expect("product page baseline");
            o.page += 1;
            o.page_hits += usize::from(recs.items.iter().any(|r| r.product_id == target));
            o.page_baseline_hits += usize::from(base.items.iter().any(|r| r.product_id == target));
        }
        for r in &base.items {
            let k: usize = r.product_id[1..].parse().expect("id");
            baseline_seen[k] = true;
        }
    }
    o.covered = seen.iter().filter(|&&s| s).count();
    o.baseline_covered = baseline_seen.iter().filter(|&&s| s).count();
    o.nanos.sort_unstable();
    o
}

fn report(title: &str, p: &Params, o: &Outcome) {
    let pct = |q: usize| o.nanos[(o.nanos.len() * q / 100).min(o.nanos.len() - 1)];
    println!("== {title}");
    println!(
        "   seed {} | {} products in {} categories ({} per category, every 5th consumable, 2% off shelf, 2% sold out) | {} shoppers over {} days",
        p.seed,
        p.products,
        p.products / p.per_category,
        p.per_category,
        p.shoppers,
        p.days
    );
    println!(
        "   training events {} | similarity: half-life {} days, top 30, view 1 / purchase {}, shrink {}, computed in {} ms",
        o.train_events,
        p.variant.half_life_days,
        p.variant.purchase_weight,
        p.variant.shrink,
        o.similarity_ms
    );
    println!(
        "   recommend: home slot, 10 items, half-life 7 days, 20 seeds, not re-shown within 30 days unless consumable"
    );
    println!(
        "   shoppers evaluated {} (returning, with history before the held-out session: {})",
        o.evaluated, o.returning
    );
    println!(
        "   hit rate@10   recommender {:>6} | best sellers {:>6}   (returning shoppers: {} vs {})",
        permille(o.hits, o.evaluated),
        permille(o.baseline_hits, o.evaluated),
        permille(o.returning_hits, o.returning),
        permille(o.returning_baseline_hits, o.returning)
    );
    println!(
        "   product page (猜你喜欢 on the page the held-out session landed on, {} shoppers whose held-out product is another): hit rate@10 {} vs {}",
        o.page,
        permille(o.page_hits, o.page),
        permille(o.page_baseline_hits, o.page)
    );
    println!(
        "   coverage      recommender {:>6} | best sellers {:>6}   ({} and {} of {} products)",
        permille(o.covered, p.products),
        permille(o.baseline_covered, p.products),
        o.covered,
        o.baseline_covered,
        p.products
    );
    println!(
        "   shop model (products, table, best sellers) checked once in {} us; then per call only the shopper's side",
        o.model_us
    );
    println!(
        "   recommend call over {} calls: p50 {} | p99 {} | max {}",
        o.nanos.len(),
        ms(pct(50)),
        ms(pct(99)),
        ms(*o.nanos.last().unwrap_or(&0))
    );
}

fn main() {
    let seed: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_205);
    let eval = Params {
        variant: DEFAULT,
        seed,
        products: 2_000,
        per_category: 50,
        shoppers: 20_000,
        days: 180,
        evaluated: 0,
    };
    let o = run(&eval);
    report(
        "evaluation: each shopper's last purchase held out",
        &eval,
        &o,
    );
    assert!(
        o.hits > o.baseline_hits,
        "the recommender must beat the best sellers"
    );
    println!("   the same history, other similarity settings (hit rate@10, coverage):");
    for variant in [
        Variant {
            name: "views count as much as purchases",
            purchase_weight: 1,
            ..DEFAULT
        },
        Variant {
            name: "no time decay (half-life 10 years)",
            half_life_days: 3_650,
            ..DEFAULT
        },
        Variant {
            name: "no shrinkage (a pair one shopper shares counts fully)",
            shrink: 0,
            ..DEFAULT
        },
    ] {
        let v = run(&Params { variant, ..eval });
        println!(
            "     {:<55} {:>6} {:>6}",
            variant.name,
            permille(v.hits, v.evaluated),
            permille(v.covered, eval.products)
        );
    }
    let scale = Params {
        variant: DEFAULT,
        seed,
        products: 10_000,
        per_category: 50,
        shoppers: 100_000,
        days: 180,
        evaluated: 10_000,
    };
    let o = run(&scale);
    report(
        "latency scale: 10,000 products, 100,000 shoppers, 10,000 home-feed calls timed",
        &scale,
        &o,
    );
    let p99 = o.nanos[(o.nanos.len() * 99 / 100).min(o.nanos.len() - 1)];
    println!(
        "   issue 16 target: home feed p99 <= 20 ms on 10,000 products and 100,000 shoppers: p99 {} -> {}",
        ms(p99),
        if p99 <= 20_000_000 { "met" } else { "NOT met" }
    );
}
