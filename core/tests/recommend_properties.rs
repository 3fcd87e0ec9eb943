//! Property tests of the recommendation rules (docs/rules.md §22): whatever the
//! history, table and catalogue, a list never holds a product that may not be
//! shown, never holds one twice, never exceeds the count, and does not depend
//! on the order its inputs arrive in.

use mall_core::recommend::{
    item_similarity, recommend, recommend_for, search_suggestions, Event, EventKind, EventWeights,
    Matching, Neighbour, Neighbours, ProductState, ReasonKind, RecommendInput, RecommendRules,
    RecommendShop, SearchQuery, SearchTerm, ShopModel, ShopperEvent, ShopperRequest,
    SimilarityInput, Slot, SuggestInput, SuggestionSource,
};
use proptest::prelude::*;

const NOW: i64 = 1_796_140_800;
const DAY: i64 = 86_400;
const N: usize = 16;

fn id(k: usize) -> String {
    format!("p{k:02}")
}

fn kind() -> impl Strategy<Value = EventKind> {
    prop_oneof![Just(EventKind::View), Just(EventKind::Purchase)]
}

fn slot() -> impl Strategy<Value = Slot> {
    prop_oneof![
        Just(Slot::Home),
        Just(Slot::Product),
        Just(Slot::Cart),
        Just(Slot::Search)
    ]
}

prop_compose! {
    fn input()(
        states in prop::collection::vec((0..3usize, any::<bool>(), 0..10u8), N),
        history in prop::collection::vec((0..N + 2, kind(), 0..60i64), 0..12),
        rows in prop::collection::vec(prop::collection::vec((0..N + 2, 1..=1_000_000u64), 0..6), N + 2),
        best in prop::collection::vec(0..N + 2, 0..8),
        cart in prop::collection::vec(0..N, 0..4),
        current in 0..N,
        slot in slot(),
        consumable in prop::collection::vec(0..3usize, 0..2),
        count in 1..15u64,
        within in 0..40u64,
    ) -> RecommendInput {
        // Products p16 and p17 appear in histories and tables but are unknown.
        let products = states
            .iter()
            .enumerate()
            .map(|(k, &(cat, on, r))| ProductState {
                product_id: id(k),
                category_id: format!("c{cat}"),
                on_shelf: on || r < 3,
                sold_out: r == 9,
            })
            .collect();
        let similar = rows
            .into_iter()
            .enumerate()
            .map(|(k, row)| {
                let mut neighbours: Vec<Neighbour> = row
                    .into_iter()
                    .map(|(q, score)| Neighbour { product_id: id(q), score })
                    .collect();
                neighbours.sort_by(|a, b| b.score.cmp(&a.score).then(a.product_id.cmp(&b.product_id)));
                Neighbours { product_id: id(k), neighbours }
            })
            .collect();
        RecommendInput {
            shop: RecommendShop {
                products,
                similar,
                best_sellers: best.into_iter().map(id).collect(),
                consumable_categories: consumable.into_iter().map(|c| format!("c{c}")).collect(),
                rules: RecommendRules { bought_within_days: within, ..RecommendRules::default() },
            },
            shopper: ShopperRequest {
                now: NOW,
                slot,
                count,
                history: history
                    .into_iter()
                    .map(|(k, kind, days)| ShopperEvent { product_id: id(k), kind, at: NOW - days * DAY })
                    .collect(),
                current_product_id: Some(id(current)),
                cart_product_ids: cart.into_iter().map(id).collect(),
            },
        }
    }
}

/// Whether the rules allow `product` in this input's list.
fn may_show(i: &RecommendInput, product: &str) -> bool {
    let Some(p) = i.shop.products.iter().find(|p| p.product_id == product) else {
        return false;
    };
    let just_bought = i.shop.rules.bought_within_days > 0
        && i.shopper.history.iter().any(|e| {
            e.product_id == product
                && e.kind == EventKind::Purchase
                && e.at > NOW - i.shop.rules.bought_within_days as i64 * DAY
        });
    let slot_ok = match i.shopper.slot {
        Slot::Product => i.shopper.current_product_id.as_deref() != Some(product),
        Slot::Cart => !i.shopper.cart_product_ids.iter().any(|c| c == product),
        _ => true,
    };
    p.on_shelf
        && !p.sold_out
        && slot_ok
        && (!just_bought || i.shop.consumable_categories.contains(&p.category_id))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(512),
        .. ProptestConfig::default()
    })]

    #[test]
    fn a_list_holds_only_showable_products_once_each_and_at_most_count(i in input()) {
        let items = recommend(&i).unwrap().items;
        prop_assert!(items.len() as u64 <= i.shopper.count);
        for (k, r) in items.iter().enumerate() {
            prop_assert!(may_show(&i, &r.product_id), "{} may not be shown", r.product_id);
            prop_assert!(items[..k].iter().all(|o| o.product_id != r.product_id), "{} twice", r.product_id);
            match r.reason.kind {
                ReasonKind::BestSeller => {
                    prop_assert_eq!(r.score, 0);
                    prop_assert!(i.shop.best_sellers.contains(&r.product_id));
                    prop_assert_eq!(r.reason.text.as_str(), "best seller");
                }
                kind => {
                    let seed = r.reason.product_id.clone().unwrap();
                    let verb = if kind == ReasonKind::Bought { "bought" } else { "viewed" };
                    prop_assert_eq!(r.reason.text.clone(), format!("because you {verb} {seed}"));
                    let row = i.shop.similar.iter().find(|n| n.product_id == seed).unwrap();
                    prop_assert!(row.neighbours.iter().any(|n| n.product_id == r.product_id));
                }
            }
        }
        // Personal picks first, by score then id; best sellers after them.
        let personal = items.iter().take_while(|r| r.reason.kind != ReasonKind::BestSeller).count();
        prop_assert!(items[personal..].iter().all(|r| r.reason.kind == ReasonKind::BestSeller));
        for w in items[..personal].windows(2) {
            prop_assert!((w[0].score, &w[1].product_id) >= (w[1].score, &w[0].product_id));
        }
    }

    #[test]
    fn a_shop_model_checked_once_answers_as_the_whole_input(i in input()) {
        let model = ShopModel::new(i.shop.clone()).unwrap();
        prop_assert_eq!(recommend_for(&model, &i.shopper).unwrap(), recommend(&i).unwrap());
    }

    #[test]
    fn the_history_order_does_not_change_the_list(i in input()) {
        let mut reversed = i.clone();
        reversed.shopper.history.reverse();
        reversed.shopper.cart_product_ids.reverse();
        prop_assert_eq!(recommend(&i).unwrap(), recommend(&reversed).unwrap());
    }

    #[test]
    fn the_list_fills_up_when_enough_products_may_be_shown(i in input()) {
        let items = recommend(&i).unwrap().items;
        let mut showable: Vec<&String> = i.shop.best_sellers.iter().filter(|b| may_show(&i, b)).collect();
        showable.sort();
        showable.dedup();
        prop_assert!(items.len() >= showable.len().min(i.shopper.count as usize));
    }

    #[test]
    fn similarity_rows_are_symmetric_bounded_and_order_free(
        events in prop::collection::vec((0..6usize, 0..8usize, kind(), 0..90i64), 0..40),
        top_k in 1..6u64,
        shrink in 0..4u64,
    ) {
        let events: Vec<Event> = events
            .into_iter()
            .map(|(u, p, kind, days)| Event { user_id: format!("u{u}"), product_id: id(p), kind, at: NOW - days * DAY })
            .collect();
        let mut input = SimilarityInput {
            now: NOW,
            half_life_seconds: 30 * DAY as u64,
            top_k,
            weights: EventWeights::default(),
            shrink,
            max_products_per_shopper: 200,
            events,
        };
        let t = item_similarity(&input).unwrap();
        for w in t.products.windows(2) {
            prop_assert!(w[0].product_id < w[1].product_id);
        }
        for row in &t.products {
            prop_assert!(!row.neighbours.is_empty() && row.neighbours.len() as u64 <= top_k);
            for (k, n) in row.neighbours.iter().enumerate() {
                prop_assert!(n.product_id != row.product_id);
                prop_assert!((1..=1_000_000).contains(&n.score));
                if k > 0 {
                    let m = &row.neighbours[k - 1];
                    prop_assert!((m.score, &n.product_id) > (n.score, &m.product_id));
                }
                // Both rows hold the pair: the same score both ways.
                if let Some(back) = t.products.iter().find(|r| r.product_id == n.product_id)
                    .and_then(|r| r.neighbours.iter().find(|b| b.product_id == row.product_id)) {
                    prop_assert_eq!(back.score, n.score);
                }
            }
        }
        input.events.reverse();
        prop_assert_eq!(t, item_similarity(&input).unwrap());
    }

    #[test]
    fn suggestions_match_the_prefix_once_each_history_first(
        history in prop::collection::vec((prop::sample::select(vec!["ab", "abc", "Abd", "b", "ab "]), 0..9i64), 0..6),
        terms in prop::collection::vec((prop::sample::select(vec!["ab", "abx", "ABC", "ba", "a"]), 0..3usize, 0..5u64), 0..8),
        prefix in prop::sample::select(vec!["", "a", "AB", "b", "z"]),
        preferred in prop::collection::vec(0..3usize, 0..3),
        count in 1..8u64,
        contains in any::<bool>(),
    ) {
        let matching = if contains { Matching::Contains } else { Matching::Prefix };
        let i = SuggestInput {
            prefix: prefix.to_string(),
            history: history.into_iter().map(|(q, at)| SearchQuery { query: q.to_string(), at }).collect(),
            preferred_categories: preferred.into_iter().map(|c| format!("c{c}")).collect(),
            terms: terms.into_iter().map(|(t, c, p)| SearchTerm { text: t.to_string(), category_id: format!("c{c}"), popularity: p }).collect(),
            count,
            matching,
        };
        let out = search_suggestions(&i).unwrap();
        prop_assert!(out.len() as u64 <= count);
        let key = |s: &str| s.trim().to_lowercase();
        for (k, s) in out.iter().enumerate() {
            if contains {
                prop_assert!(key(&s.text).contains(&key(&i.prefix)));
            } else {
                prop_assert!(key(&s.text).starts_with(&key(&i.prefix)));
            }
            prop_assert!(out[..k].iter().all(|o| key(&o.text) != key(&s.text)));
            if k > 0 {
                prop_assert!(out[k - 1].source <= s.source);
            }
            if s.source == SuggestionSource::PreferredCategory {
                prop_assert!(i.terms.iter().any(|t| t.text == s.text && i.preferred_categories.contains(&t.category_id)));
            }
        }
    }
}
