//! Property tests of the invariants in docs/rules.md: the payable is never
//! negative, no discount exceeds its base, allocations sum exactly, order does not
//! matter, the chosen coupons are never worse than any other combination, and
//! refunds never exceed what was paid.

use mall_core::activity::{Activity, ActivityKind, ActivityPrice};
use mall_core::allocation::largest_remainder;
use mall_core::coupon::CouponStatus;
use mall_core::promotion::{
    AmountTier, Campaign, CampaignRule, ItemPromotion, ItemRule, QuantityTier, Scope, ScopeKind,
};
use mall_core::quote::UnitGroup;
use mall_core::refund::{OrderLineSnapshot, RefundItem, RefundRecord, RefundRequest, RefundedLine};
use mall_core::shipping::{Basis, ExpressRule, ExpressTemplate};
use mall_core::*;
use proptest::prelude::*;

const NOW: i64 = 1_767_225_600;

fn ratio(s: &str) -> Ratio {
    s.parse().unwrap()
}

fn scope_strategy() -> impl Strategy<Value = Scope> {
    prop_oneof![
        3 => Just(Scope::default()),
        1 => prop::sample::subsequence(vec!["c1", "c2", "c3"], 1..=2).prop_map(|ids| Scope {
            kind: ScopeKind::Categories,
            ids: ids.into_iter().map(String::from).collect(),
            ..Scope::default()
        }),
        1 => prop::sample::subsequence(vec!["s0", "s1", "s2", "s3", "s4", "s5"], 1..=3).prop_map(|ids| Scope {
            kind: ScopeKind::Skus,
            ids: ids.into_iter().map(String::from).collect(),
            ..Scope::default()
        }),
    ]
}

fn coupon_strategy(i: usize) -> impl Strategy<Value = Coupon> {
    let kind = prop_oneof![
        (1i64..60_000, 1i64..8_000).prop_map(|(t, a)| CouponKind::Threshold {
            threshold: Money::fen(t),
            amount: Money::fen(a)
        }),
        (1i64..20_000).prop_map(|a| CouponKind::NoThreshold {
            amount: Money::fen(a)
        }),
        (50u32..99, prop::option::of(1i64..5_000), 0i64..20_000).prop_map(|(r, cap, t)| {
            CouponKind::Percent {
                rate: ratio(&format!("0.{r}")),
                cap: cap.map(Money::fen),
                threshold: Money::fen(t),
            }
        }),
        (0i64..10_000, prop::option::of(1i64..1_500)).prop_map(|(t, cap)| {
            CouponKind::FreeShipping {
                threshold: Money::fen(t),
                cap: cap.map(Money::fen),
            }
        }),
    ];
    (
        kind,
        scope_strategy(),
        prop::option::of(prop::sample::select(vec!["shopA", "shopB"])),
        any::<bool>(),
        any::<bool>(),
        0i64..3,
    )
        .prop_map(
            move |(kind, scope, shop, stackable, with_campaigns, until)| Coupon {
                coupon_id: format!("k{i}"),
                batch_id: None,
                title: None,
                shop_id: shop.map(String::from),
                kind,
                scope,
                valid_from: 0,
                valid_until: NOW + 1 + until * 86_400,
                stackable: stackable || i % 2 == 0,
                with_campaigns,
                status: CouponStatus::Available,
            },
        )
}

fn input_strategy() -> impl Strategy<Value = QuoteInput> {
    let skus = prop::collection::vec(
        (
            0i64..40_000,
            prop::sample::select(vec!["shopA", "shopB"]),
            prop::sample::subsequence(vec!["c1", "c2", "c3"], 0..=2),
            0u64..3000,
            any::<bool>(),
        ),
        6,
    );
    let lines = prop::collection::vec(
        (
            0usize..6,
            1i64..6,
            prop::bool::weighted(0.9),
            prop::bool::weighted(0.15),
        ),
        1..7,
    );
    let coupons = (0usize..7).prop_flat_map(|n| (0..n).map(coupon_strategy).collect::<Vec<_>>());
    let extras = (
        prop::option::of((1i64..50_000, 1i64..6_000, any::<bool>())),
        prop::option::of((2u64..4, 60u32..95)),
        prop::option::of((1u64..3, 1u64..2)),
        prop::option::of((
            prop::sample::select(vec![1u64, 10, 100]),
            1u32..9,
            any::<bool>(),
            any::<bool>(),
        )),
        0u64..5_000,
        0u8..3,
        0u64..3000,
    );
    (skus, lines, coupons, extras).prop_map(|(skus, lines, coupons, extras)| {
        let (campaign, qty_promo, bxgy, points, balance, delivery, growth) = extras;
        let catalog: Vec<Sku> = skus
            .into_iter()
            .enumerate()
            .map(|(i, (price, shop, cats, weight, member))| Sku {
                sku_id: format!("s{i}"),
                spu_id: None,
                shop_id: shop.to_string(),
                category_ids: cats.into_iter().map(String::from).collect(),
                list_price: Money::fen(price),
                stock: 100,
                on_shelf: true,
                min_quantity: 1,
                per_user_limit: None,
                member_price: member,
                weight_grams: weight,
            })
            .collect();
        let mut seen = std::collections::BTreeSet::new();
        let lines: Vec<CartLine> = lines
            .into_iter()
            .enumerate()
            .filter(|(_, (sku, ..))| seen.insert(*sku))
            .map(|(i, (sku, qty, selected, activity))| CartLine {
                line_id: format!("L{}", 9 - i),
                sku_id: format!("s{sku}"),
                quantity: qty,
                selected,
                activity_id: activity.then(|| "act".to_string()),
                seen_unit_price: None,
                group_role: None,
            })
            .collect();
        let mut rules = ShopRules {
            member: MemberProgram {
                levels: vec![
                    MemberLevel {
                        level_id: "normal".into(),
                        name: "普通".into(),
                        min_growth: 0,
                        discount_rate: Ratio::ONE,
                        free_shipping: false,
                        points_multiplier: Ratio::ONE,
                    },
                    MemberLevel {
                        level_id: "gold".into(),
                        name: "黄金".into(),
                        min_growth: 1000,
                        discount_rate: ratio("0.95"),
                        free_shipping: true,
                        points_multiplier: ratio("1.5"),
                    },
                ],
                growth_per_yuan: Ratio::ONE,
                points_per_yuan: Ratio::ONE,
            },
            activities: vec![Activity {
                activity_id: "act".into(),
                kind: ActivityKind::FlashSale,
                starts_at: 0,
                ends_at: NOW + 3600,
                prices: (0..6)
                    .map(|i| ActivityPrice {
                        sku_id: format!("s{i}"),
                        price: Money::fen(990),
                        stock: None,
                        leader_price: None,
                    })
                    .collect(),
                per_user_limit: None,
                per_sku_limit: None,
                allow_coupons: growth % 2 == 0,
                allow_points: growth % 3 == 0,
                group_size: None,
            }],
            ..ShopRules::default()
        };
        if let Some((threshold, amount, repeat)) = campaign {
            rules.campaigns.push(Campaign {
                campaign_id: "mj".into(),
                shop_id: "shopA".into(),
                priority: 0,
                scope: Scope::default(),
                starts_at: None,
                ends_at: None,
                rule: CampaignRule::AmountOff {
                    tiers: vec![AmountTier {
                        threshold: Money::fen(threshold),
                        amount: Money::fen(amount),
                    }],
                    repeat,
                    cap: None,
                },
            });
        }
        if let Some((n, rate)) = qty_promo {
            rules.item_promotions.push(ItemPromotion {
                promotion_id: "qty".into(),
                shop_id: "shopB".into(),
                priority: 1,
                scope: Scope::default(),
                starts_at: None,
                ends_at: None,
                rule: ItemRule::QuantityDiscount {
                    tiers: vec![QuantityTier {
                        min_quantity: n,
                        rate: ratio(&format!("0.{rate}")),
                    }],
                },
            });
        }
        if let Some((buy, get)) = bxgy {
            rules.item_promotions.push(ItemPromotion {
                promotion_id: "bxgy".into(),
                shop_id: "shopA".into(),
                priority: 0,
                scope: Scope::default(),
                starts_at: None,
                ends_at: None,
                rule: ItemRule::BuyXGetY {
                    buy,
                    get,
                    max_times: None,
                },
            });
        }
        if let Some((per_yuan, share, cover, with_coupons)) = points {
            rules.points = Some(PointsRule {
                points_per_yuan: per_yuan,
                max_share: ratio(&format!("0.{share}")),
                cover_shipping: cover,
                with_coupons,
            });
        }
        rules.shipping.pickup_stores = vec!["store1".into()];
        rules.shipping.express = vec![
            ExpressTemplate {
                shop_id: "shopA".into(),
                basis: Basis::Weight,
                free_over: Some(Money::fen(9_900)),
                rules: vec![ExpressRule {
                    regions: vec![],
                    first: 1000,
                    first_fee: Money::fen(800),
                    additional: 500,
                    additional_fee: Money::fen(300),
                }],
            },
            ExpressTemplate {
                shop_id: "shopB".into(),
                basis: Basis::Piece,
                free_over: None,
                rules: vec![ExpressRule {
                    regions: vec![],
                    first: 1,
                    first_fee: Money::fen(1000),
                    additional: 1,
                    additional_fee: Money::fen(200),
                }],
            },
        ];
        let delivery = match delivery {
            0 => None,
            1 => Some(Delivery::Express {
                region_code: "310115".into(),
            }),
            _ => Some(Delivery::Pickup {
                store_id: "store1".into(),
            }),
        };
        QuoteInput {
            now: NOW,
            catalog,
            lines,
            rules,
            buyer: Buyer {
                growth,
                points_balance: balance,
                purchased: vec![],
                coupons,
            },
            options: QuoteOptions {
                coupons: CouponChoice::Best,
                points: if balance % 2 == 0 {
                    PointsChoice::Max
                } else {
                    PointsChoice::None
                },
                delivery,
            },
        }
    })
}

fn check_invariants(q: &Quote) {
    assert!(q.payable.as_fen() >= 0, "payable {}", q.payable);
    for l in &q.lines {
        assert!(
            l.net.as_fen() >= 0 && l.paid.as_fen() >= 0,
            "line {} net {} paid {}",
            l.line_id,
            l.net,
            l.paid
        );
        assert_eq!(
            l.subtotal.as_fen() - l.item_discount.as_fen() - l.order_discount.as_fen(),
            l.net.as_fen()
        );
        let units: u64 = l.units.iter().map(|u| u.count).sum();
        assert_eq!(units, l.quantity);
        let net: i64 = l
            .units
            .iter()
            .map(|u| u.net.as_fen() * u.count as i64)
            .sum();
        let paid: i64 = l
            .units
            .iter()
            .map(|u| u.paid.as_fen() * u.count as i64)
            .sum();
        assert_eq!((net, paid), (l.net.as_fen(), l.paid.as_fen()));
        assert!(l.units.iter().all(|u| u.paid.as_fen() >= 0));
    }
    for d in &q.discounts {
        assert!(
            d.amount <= d.base,
            "{} {} > base {}",
            d.source_id,
            d.amount,
            d.base
        );
        let sum: i64 = d.allocations.iter().map(|a| a.amount.as_fen()).sum();
        assert_eq!(sum, d.amount.as_fen(), "allocations of {}", d.source_id);
    }
    let shipping = q.shipping.as_ref().map_or(0, |s| s.payable.as_fen());
    let paid: i64 = q.lines.iter().map(|l| l.paid.as_fen()).sum();
    assert_eq!(
        paid + shipping - q.points.shipping_deduction.as_fen(),
        q.payable.as_fen()
    );
    assert_eq!(
        q.points.goods_deduction.as_fen(),
        q.lines
            .iter()
            .map(|l| l.points_deduction.as_fen())
            .sum::<i64>()
    );
    if let Some(s) = &q.shipping {
        assert!(s.discount <= s.fee && s.payable.as_fen() >= 0);
    }
}

proptest! {
    // 400 cases by default; PROPTEST_CASES=5000 for a longer run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(400),
        .. ProptestConfig::default()
    })]

    #[test]
    fn payable_is_never_negative_and_every_discount_fits_its_base(input in input_strategy()) {
        if let Ok(q) = quote(&input) {
            check_invariants(&q);
        }
    }

    #[test]
    fn reordering_lines_or_coupons_changes_nothing(input in input_strategy(), seed in any::<u64>()) {
        let a = quote(&input);
        let mut shuffled = input.clone();
        shuffled.lines.reverse();
        shuffled.buyer.coupons.reverse();
        shuffled.catalog.reverse();
        let n = shuffled.lines.len();
        if n > 1 { shuffled.lines.rotate_left((seed as usize) % n); }
        let b = quote(&shuffled);
        match (a, b) {
            (Ok(a), Ok(b)) => {
                prop_assert_eq!(a.payable, b.payable);
                prop_assert_eq!(&a.fingerprint, &b.fingerprint);
                let mut la = a.lines.clone(); la.sort_by(|x, y| x.line_id.cmp(&y.line_id));
                let mut lb = b.lines.clone(); lb.sort_by(|x, y| x.line_id.cmp(&y.line_id));
                prop_assert_eq!(la, lb);
                prop_assert_eq!(a.coupons, b.coupons);
            }
            (Err(a), Err(b)) => prop_assert_eq!(a.code(), b.code()),
            (a, b) => prop_assert!(false, "{:?} vs {:?}", a.map(|q| q.payable), b.map(|q| q.payable)),
        }
    }

    #[test]
    fn chosen_coupons_are_never_worse_than_any_other_combination(input in input_strategy()) {
        let Ok(best) = quote(&input) else { return Ok(()); };
        let ids: Vec<String> = input.buyer.coupons.iter().map(|c| c.coupon_id.clone()).collect();
        let mut combos: Vec<Vec<String>> = vec![vec![]];
        for (i, a) in ids.iter().enumerate() {
            combos.push(vec![a.clone()]);
            for b in &ids[i + 1..] {
                combos.push(vec![a.clone(), b.clone()]);
                for c in ids.iter().skip(i + 2) {
                    if c != b { combos.push(vec![a.clone(), b.clone(), c.clone()]); }
                }
            }
        }
        for combo in combos {
            let mut manual = input.clone();
            manual.options.coupons = CouponChoice::Manual { coupon_ids: combo.clone() };
            if let Ok(q) = quote(&manual) {
                check_invariants(&q);
                prop_assert!(best.payable <= q.payable, "best {} ({:?}) worse than {:?} at {}", best.payable, best.coupons.applied, combo, q.payable);
            }
        }
    }

    #[test]
    fn refunds_never_exceed_what_was_paid(input in input_strategy(), plan in prop::collection::vec((0usize..8, 1u64..4, any::<bool>()), 1..10)) {
        let Ok(q) = quote(&input) else { return Ok(()); };
        if q.lines.is_empty() { return Ok(()); }
        let order = OrderSnapshot::from(&q);
        let mut previous: Vec<RefundRecord> = Vec::new();
        // The same records carrying the cash each refund paid per line and its points.
        let mut with_cash: Vec<RefundRecord> = Vec::new();
        let (mut cash, mut points) = (0i64, 0u64);
        let mut refunded = vec![0u64; q.lines.len()];
        let mut steps: Vec<(usize, u64, bool)> = plan;
        // Finish with everything that is left, shipping included.
        steps.extend((0..q.lines.len()).map(|i| (i, u64::MAX, true)));
        for (i, k, ship) in steps {
            let i = i % q.lines.len();
            let left = q.lines[i].quantity - refunded[i];
            let k = k.min(left);
            if k == 0 && !ship { continue; }
            let items = if k == 0 { vec![] } else { vec![RefundItem { line_id: q.lines[i].line_id.clone(), quantity: k }] };
            let req = RefundInput { order: order.clone(), previous: previous.clone(), request: RefundRequest { items: items.clone(), include_shipping: ship } };
            let answer = refund(&req);
            // Actual cash and points that agree with the units change nothing.
            prop_assert_eq!(&refund(&RefundInput { previous: with_cash.clone(), ..req.clone() }), &answer);
            match answer {
                Ok(r) => {
                    cash += r.amount.as_fen();
                    points += r.points_returned;
                    prop_assert!(cash <= q.payable.as_fen());
                    prop_assert_eq!(r.remaining.as_fen(), q.payable.as_fen() - cash);
                    if !r.whole_order { prop_assert!(r.coupons_returned.is_empty()); }
                    refunded[i] += k;
                    let shipping_refunded = r.shipping_amount.is_positive() || (ship && !previous.iter().any(|p| p.shipping_refunded));
                    with_cash.push(RefundRecord { items: items.clone(), shipping_refunded, lines: Some(paid_lines(&r)), points_returned: Some(r.points_returned) });
                    previous.push(RefundRecord { items, shipping_refunded, lines: None, points_returned: None });
                }
                Err(e) => prop_assert_eq!(e.code(), "NOTHING_TO_REFUND"),
            }
        }
        prop_assert_eq!(cash, q.payable.as_fen());
        prop_assert_eq!(points, q.points.used);
    }

    #[test]
    fn refunds_reconcile_to_what_each_line_paid_and_the_points_used_when_some_are_closed(order in snapshot_strategy(), plan in prop::collection::vec((0usize..8, 1u64..4, any::<bool>(), 0u8..6), 1..12)) {
        let q = &order;
        let line_paid: Vec<i64> = order.lines.iter().map(|l| l.units.iter().map(|g| g.paid.as_fen() * g.count as i64).sum()).collect();
        // Live refunds (a closed one is undone: dropped) with the cash they paid.
        let mut live: Vec<(RefundRecord, i64)> = Vec::new();
        let points_of = |live: &[(RefundRecord, i64)]| -> u64 { live.iter().filter_map(|(r, _)| r.points_returned).sum() };
        let mut steps: Vec<(usize, u64, bool, u8)> = plan;
        // Finish with everything that is left, shipping included; these stand.
        steps.extend((0..q.lines.len()).map(|i| (i, u64::MAX, true, u8::MAX)));
        for (i, k, ship, close) in steps {
            let i = i % q.lines.len();
            let id = &q.lines[i].line_id;
            let units_of = |live: &[(RefundRecord, i64)], id: &str| -> u64 { live.iter().flat_map(|(r, _)| &r.items).filter(|x| x.line_id == id).map(|x| x.quantity).sum() };
            let k = k.min(q.lines[i].quantity - units_of(&live, id));
            if k == 0 && !ship { continue; }
            let items = if k == 0 { vec![] } else { vec![RefundItem { line_id: id.clone(), quantity: k }] };
            let previous: Vec<RefundRecord> = live.iter().map(|(r, _)| r.clone()).collect();
            let shipping_done = previous.iter().any(|p| p.shipping_refunded);
            let req = RefundInput { order: order.clone(), previous, request: RefundRequest { items: items.clone(), include_shipping: ship } };
            match refund(&req) {
                Ok(r) => {
                    prop_assert!(r.amount.as_fen() >= 0);
                    let record = RefundRecord { items, shipping_refunded: ship && !shipping_done, lines: Some(paid_lines(&r)), points_returned: Some(r.points_returned) };
                    live.push((record, r.amount.as_fen()));
                    prop_assert!(points_of(&live) <= q.points_used);
                    let total: i64 = live.iter().map(|(_, a)| a).sum();
                    prop_assert!(total <= q.payable.as_fen());
                    prop_assert_eq!(r.remaining.as_fen(), q.payable.as_fen() - total);
                    for (j, l) in order.lines.iter().enumerate() {
                        let out: i64 = live.iter().filter_map(|(r, _)| r.lines.as_ref()).flatten().filter(|x| x.line_id == l.line_id).map(|x| x.amount.as_fen()).sum();
                        prop_assert!(out <= line_paid[j], "line {} refunded {} > paid {}", l.line_id, out, line_paid[j]);
                        if units_of(&live, &l.line_id) == l.quantity { prop_assert_eq!(out, line_paid[j]); }
                    }
                    // A refund closes (any live one, not only the last): undone.
                    if close < 3 { live.remove(close as usize % live.len()); }
                }
                Err(e) => prop_assert_eq!(e.code(), "NOTHING_TO_REFUND"),
            }
        }
        prop_assert_eq!(live.iter().map(|(_, a)| a).sum::<i64>(), q.payable.as_fen());
        prop_assert_eq!(points_of(&live), q.points_used);
    }

    #[test]
    fn allocations_sum_exactly_and_no_share_exceeds_its_weight(weights in prop::collection::vec(0i64..1_000_000, 1..40), frac in 0u32..=1000) {
        let ws: Vec<Money> = weights.iter().map(|&w| Money::fen(w)).collect();
        let sum: i64 = weights.iter().sum();
        let total = Money::fen(sum * frac as i64 / 1000);
        let shares = largest_remainder(total, &ws).unwrap();
        prop_assert_eq!(shares.iter().map(|s| s.as_fen()).sum::<i64>(), total.as_fen());
        for (s, w) in shares.iter().zip(&ws) { prop_assert!(s <= w); }
    }
}

/// An order snapshot that adds up, its lines' units paying different amounts (the
/// extra fen of §14, points on some units, free units), so that undoing a refund
/// in the middle leaves units whose paid differs from the first ones'.
fn snapshot_strategy() -> impl Strategy<Value = OrderSnapshot> {
    let group = (1u64..3, 0i64..3000, prop_oneof![Just(0i64), 0i64..300]);
    let line = prop::collection::vec(group, 1..4);
    (
        prop::collection::vec(line, 1..4),
        0i64..1000,
        0i64..100,
        0u64..5000,
    )
        .prop_map(|(lines, shipping_paid, shipping_points, points_used)| {
            let lines: Vec<OrderLineSnapshot> = lines
                .into_iter()
                .enumerate()
                .map(|(i, groups)| OrderLineSnapshot {
                    line_id: format!("L{i}"),
                    quantity: groups.iter().map(|g| g.0).sum(),
                    units: groups
                        .into_iter()
                        .map(|(count, paid, points)| UnitGroup {
                            count,
                            net: Money::fen(paid + points),
                            points: Money::fen(points),
                            paid: Money::fen(paid),
                        })
                        .collect(),
                })
                .collect();
            let sum = |f: fn(&UnitGroup) -> i64| -> i64 {
                lines
                    .iter()
                    .flat_map(|l| &l.units)
                    .map(|g| f(g) * g.count as i64)
                    .sum()
            };
            let points_deduction = sum(|g| g.points.as_fen()) + shipping_points;
            OrderSnapshot {
                payable: Money::fen(sum(|g| g.paid.as_fen()) + shipping_paid),
                lines,
                shipping_paid: Money::fen(shipping_paid),
                shipping_points: Money::fen(shipping_points),
                points_used: if points_deduction == 0 {
                    0
                } else {
                    points_used
                },
                points_deduction: Money::fen(points_deduction),
                coupon_ids: vec!["c1".into()],
            }
        })
}

/// What a refund paid per line, as a later refund's record carries it.
fn paid_lines(r: &RefundQuote) -> Vec<RefundedLine> {
    r.lines
        .iter()
        .map(|l| RefundedLine {
            line_id: l.line_id.clone(),
            quantity: l.quantity,
            amount: l.amount,
        })
        .collect()
}

/// The generator must mostly produce carts that price, with coupons, campaigns,
/// points and delivery in play, or the properties above would prove little.
#[test]
fn the_generator_exercises_the_rules() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = input_strategy();
    let (mut ok, mut coupons, mut campaigns, mut items, mut points, mut shipping, mut invalid) =
        (0, 0, 0, 0, 0, 0, 0);
    for _ in 0..500 {
        let input = strategy.new_tree(&mut runner).unwrap().current();
        match quote(&input) {
            Ok(q) => {
                ok += 1;
                coupons += usize::from(!q.coupons.applied.is_empty());
                campaigns += usize::from(
                    q.discounts
                        .iter()
                        .any(|d| d.kind == quote::DiscountKind::Campaign),
                );
                items += usize::from(
                    q.discounts
                        .iter()
                        .any(|d| d.kind == quote::DiscountKind::ItemPromotion),
                );
                points += usize::from(q.points.used > 0);
                shipping += usize::from(q.shipping.as_ref().is_some_and(|s| s.fee.is_positive()));
                invalid += usize::from(!q.invalid_lines.is_empty());
            }
            Err(e) => panic!("generated input failed: {e}"),
        }
    }
    println!("ok {ok} coupons {coupons} campaigns {campaigns} items {items} points {points} shipping {shipping} invalid {invalid}");
    assert!(
        coupons > 100 && campaigns > 30 && items > 30 && points > 50 && shipping > 50,
        "generator too weak"
    );
}

/// Beyond its budget the exact search stops and says so (mode greedy), and its
/// answer is still never worse than no coupon or any single coupon.
#[test]
fn the_search_falls_back_to_greedy_beyond_its_budget_and_stays_sound() {
    let shops: Vec<String> = (0..20).map(|s| format!("shop{s:02}")).collect();
    let catalog: Vec<Sku> = (0..400)
        .map(|i| Sku {
            sku_id: format!("s{i:03}"),
            spu_id: None,
            shop_id: shops[i % 20].clone(),
            category_ids: vec![],
            list_price: Money::fen(1000 + (i as i64 * 37) % 900),
            stock: 10,
            on_shelf: true,
            min_quantity: 1,
            per_user_limit: None,
            member_price: true,
            weight_grams: 0,
        })
        .collect();
    let lines: Vec<CartLine> = (0..400)
        .map(|i| CartLine {
            line_id: format!("l{i:03}"),
            sku_id: format!("s{i:03}"),
            quantity: 1,
            selected: true,
            activity_id: None,
            seen_unit_price: None,
            group_role: None,
        })
        .collect();
    let coupons: Vec<Coupon> = (0..60)
        .map(|i| Coupon {
            coupon_id: format!("c{i:02}"),
            batch_id: None,
            title: None,
            shop_id: Some(shops[i % 20].clone()),
            kind: CouponKind::NoThreshold {
                amount: Money::fen(100 + i as i64 * 7),
            },
            scope: Scope::default(),
            valid_from: 0,
            valid_until: NOW + 86_400,
            stackable: true,
            with_campaigns: true,
            status: CouponStatus::Available,
        })
        .collect();
    let input = QuoteInput {
        now: NOW,
        catalog,
        lines,
        // Points that can pay everything make every payable 0: no branch can be cut.
        rules: ShopRules {
            points: Some(PointsRule {
                points_per_yuan: 100,
                max_share: Ratio::ONE,
                cover_shipping: false,
                with_coupons: true,
            }),
            ..ShopRules::default()
        },
        buyer: Buyer {
            growth: 0,
            points_balance: 100_000_000,
            purchased: vec![],
            coupons,
        },
        options: QuoteOptions {
            coupons: CouponChoice::Best,
            points: PointsChoice::Max,
            delivery: None,
        },
    };
    let q = quote(&input).unwrap();
    assert_eq!(q.coupons.mode, quote::SearchMode::Greedy);
    check_invariants(&q);
    // Ties at payable 0 go to the larger saving: the greedy answer takes each shop's largest coupon.
    assert_eq!(q.coupons.applied.len(), 20);
    for c in &input.buyer.coupons {
        let mut single = input.clone();
        single.options.coupons = CouponChoice::Manual {
            coupon_ids: vec![c.coupon_id.clone()],
        };
        assert!(q.payable <= quote(&single).unwrap().payable);
    }
}

// Flash sale (docs/rules.md §20): buckets hold the stock exactly, and the state
// never invites a claim that cannot succeed.
proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(2000),
        .. ProptestConfig::default()
    })]

    #[test]
    fn buckets_sum_to_the_stock_and_differ_by_at_most_one(
        stock in prop_oneof![0u64..5_000, Just(flash::MAX_COUNT)],
        buckets in 1u64..=flash::MAX_BUCKETS,
        seed in any::<u64>(),
    ) {
        let sizes = flash_buckets(&FlashBucketsInput { stock, buckets }).unwrap();
        prop_assert_eq!(sizes.len() as u64, buckets);
        prop_assert_eq!(sizes.iter().sum::<u64>(), stock);
        let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
        prop_assert!(hi - lo <= 1);
        prop_assert!(sizes.windows(2).all(|w| w[0] >= w[1]));
        let mut order = flash_bucket_order(seed, buckets).unwrap();
        order.sort_unstable();
        prop_assert_eq!(order, (0..buckets).collect::<Vec<_>>());
    }

    #[test]
    fn the_state_invites_a_claim_only_while_one_can_succeed(
        starts_at in 0i64..100,
        length in 1i64..100,
        now in -10i64..220,
        units_left in 0u64..5,
        in_flight in 0u64..10,
        max_in_flight in prop::option::of(1u64..8),
        user_bought in 0u64..5,
        per_user_limit in prop::option::of(1u64..4),
        retry_seed in 0u64..1_000_000,
    ) {
        let i = FlashStateInput {
            starts_at,
            ends_at: starts_at + length,
            now,
            units_left,
            in_flight,
            max_in_flight,
            user_bought,
            per_user_limit,
            retry_seed,
        };
        let s = flash_state(&i).unwrap();
        let in_window = starts_at <= now && now < starts_at + length;
        let limit_left = per_user_limit.map_or(u64::MAX, |l| l.saturating_sub(user_bought));
        prop_assert_eq!(s.may_attempt, s.phase == FlashPhase::Selling);
        if s.may_attempt {
            prop_assert!(in_window && units_left > 0 && limit_left > 0);
            prop_assert!(max_in_flight.is_none_or(|m| in_flight < m));
            prop_assert!(s.max_quantity >= 1 && s.max_quantity <= units_left.min(limit_left));
        }
        match s.phase {
            FlashPhase::Ended => prop_assert!(now >= starts_at + length),
            FlashPhase::NotStarted => prop_assert!(now < starts_at && s.seconds_to_start > 0),
            FlashPhase::LimitReached => prop_assert!(in_window && limit_left == 0),
            FlashPhase::SoldOut => prop_assert!(in_window && units_left == 0 && limit_left > 0),
            FlashPhase::Queued => {
                prop_assert!(in_window && units_left > 0 && limit_left > 0);
                let ms = s.retry_after_ms.unwrap();
                prop_assert!((500..1000).contains(&ms));
            }
            FlashPhase::Selling => {}
        }
        prop_assert_eq!(s.retry_after_ms.is_some(), s.phase == FlashPhase::Queued);
        prop_assert!(s.seconds_left >= 0 && s.seconds_left <= length);
        prop_assert_eq!(s.seconds_left > 0, in_window);
        if !matches!(s.phase, FlashPhase::Selling | FlashPhase::Queued) {
            prop_assert_eq!(s.max_quantity, 0);
        }
    }
}
