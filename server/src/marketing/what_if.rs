//! What-if: the carts of the last 30 days' paid orders priced again by the
//! core with the current rules and with proposed ones (docs/admin-api.md,
//! 营销). The replay rule is [`cart_of`] and [`replay_rules`]; both sides use
//! the same carts and buyers, so the difference is the proposal alone.

use std::collections::BTreeMap;

use mall_core::promotion::{Campaign, ItemPromotion};
use mall_core::{Buyer, CartLine, Coupon, Money, QuoteInput, QuoteOptions, ShopRules, Sku};
use serde::Serialize;
use sqlx::AnyConnection;

use super::Result;

/// How far back the replay looks.
pub const WINDOW_SECS: i64 = 30 * 86_400;
/// At most this many orders (the most recently paid) are replayed.
pub const MAX_ORDERS: i64 = 5_000;

/// One line of a paid order as stored when it was placed.
#[derive(Debug, Clone, PartialEq)]
pub struct PaidLine {
    pub line_id: String,
    pub sku_id: i64,
    pub quantity: i64,
    /// The unit list price stored on the line (the price at the time).
    pub list_price: i64,
    pub activity_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PaidOrder {
    pub id: i64,
    pub paid_at: i64,
    pub lines: Vec<PaidLine>,
}

/// The SKU facts a scope looks at (today's), by SKU id.
#[derive(Debug, Clone, Default)]
pub struct SkuFacts {
    pub shop_id: String,
    pub category_ids: Vec<String>,
}

/// The replay rule for one order: its lines bought at list price (activity
/// lines are left out: their price is the activity's and no promotion or
/// campaign applies to them), each SKU at the list price stored on the line,
/// with stock for exactly the quantity bought, on shelf, no minimum, no limit,
/// no member price; its shop and categories are today's (so scopes apply).
/// `None` when nothing of the order is left to replay.
pub fn cart_of(
    order: &PaidOrder,
    facts: &BTreeMap<i64, SkuFacts>,
) -> Option<(Vec<Sku>, Vec<CartLine>)> {
    let mut catalog: Vec<Sku> = Vec::new();
    let mut lines = Vec::new();
    for l in order
        .lines
        .iter()
        .filter(|l| l.activity_id.is_none() && l.quantity > 0)
    {
        let sku_id = l.sku_id.to_string();
        // The same SKU twice in one order: one catalog entry, stock for both.
        if let Some(s) = catalog.iter_mut().find(|s| s.sku_id == sku_id) {
            s.stock += l.quantity as u64;
        } else {
            let f = facts.get(&l.sku_id).cloned().unwrap_or_default();
            catalog.push(Sku {
                sku_id: sku_id.clone(),
                spu_id: None,
                shop_id: if f.shop_id.is_empty() {
                    mall_core::cart::DEFAULT_SHOP.to_string()
                } else {
                    f.shop_id
                },
                category_ids: f.category_ids,
                list_price: Money::fen(l.list_price.max(0)),
                stock: l.quantity as u64,
                on_shelf: true,
                min_quantity: 1,
                per_user_limit: None,
                member_price: false,
                weight_grams: 0,
            });
        }
        lines.push(CartLine {
            line_id: l.line_id.clone(),
            sku_id,
            quantity: l.quantity,
            selected: true,
            activity_id: None,
            seen_unit_price: None,
            group_role: None,
        });
    }
    (!lines.is_empty()).then_some((catalog, lines))
}

/// The rules a replay prices with: `rules` as if always in force (every
/// campaign's and promotion's window removed), without activities.
pub fn replay_rules(rules: &ShopRules) -> ShopRules {
    let mut r = rules.clone();
    r.activities.clear();
    for c in &mut r.campaigns {
        c.starts_at = None;
        c.ends_at = None;
    }
    for p in &mut r.item_promotions {
        p.starts_at = None;
        p.ends_at = None;
    }
    r
}

/// What one cart costs under one set of rules: (discount, payable). The buyer
/// is a new one (no level, no points, no earlier purchases) holding only the
/// assumed coupon; no delivery is chosen (no fee), coupons are picked by the
/// core's best choice. Discount = list total − payable.
pub fn price_cart(
    now: i64,
    catalog: &[Sku],
    lines: &[CartLine],
    rules: &ShopRules,
    coupon: Option<&Coupon>,
) -> Result<(i64, i64)> {
    let input = QuoteInput {
        now,
        catalog: catalog.to_vec(),
        lines: lines.to_vec(),
        rules: rules.clone(),
        buyer: Buyer {
            coupons: coupon.into_iter().cloned().collect(),
            ..Buyer::default()
        },
        options: QuoteOptions::default(),
    };
    let q = mall_core::quote(&input)?;
    let payable = q.payable.as_fen();
    Ok((q.list_total.as_fen() - payable, payable))
}

/// The proposal: the sections it replaces and an optional coupon every buyer holds once.
#[derive(Debug, Clone, Default)]
pub struct Proposal {
    pub campaigns: Option<Vec<Campaign>>,
    pub item_promotions: Option<Vec<ItemPromotion>>,
    pub coupon: Option<Coupon>,
}

impl Proposal {
    pub fn apply(&self, current: &ShopRules) -> ShopRules {
        let mut r = current.clone();
        if let Some(c) = &self.campaigns {
            r.campaigns = c.clone();
        }
        if let Some(p) = &self.item_promotions {
            r.item_promotions = p.clone();
        }
        r
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhatIf {
    /// Orders replayed.
    pub orders: i64,
    /// Orders whose discount differs between the two sides.
    pub touched: i64,
    pub discount_cost_now: i64,
    pub discount_cost_proposed: i64,
    /// proposed − now
    pub cost_delta: i64,
    /// Σ payable ÷ orders, rounded half up to the fen (0 without orders).
    pub avg_payable_now: i64,
    pub avg_payable_proposed: i64,
    /// True when more paid orders were in the window than [`MAX_ORDERS`]
    /// (the most recent ones were replayed).
    pub sampled: bool,
    /// Orders the core could not price again (e.g. a line no longer valid); left out.
    pub skipped: i64,
    pub from: i64,
    pub to: i64,
}

/// Half-up integer division of non-negative sums.
fn avg(sum: i64, n: i64) -> i64 {
    if n == 0 {
        0
    } else {
        (2 * sum + n) / (2 * n)
    }
}

/// Replay `orders` under `now_rules` and `proposed` (pure).
pub fn replay(
    orders: &[PaidOrder],
    facts: &BTreeMap<i64, SkuFacts>,
    now_rules: &ShopRules,
    proposed: &ShopRules,
    coupon: Option<&Coupon>,
) -> WhatIf {
    let a = replay_rules(now_rules);
    let b = replay_rules(proposed);
    let mut out = WhatIf::default();
    let (mut pay_a, mut pay_b) = (0i64, 0i64);
    for o in orders {
        let Some((catalog, lines)) = cart_of(o, facts) else {
            continue;
        };
        let priced = price_cart(o.paid_at, &catalog, &lines, &a, None)
            .and_then(|x| price_cart(o.paid_at, &catalog, &lines, &b, coupon).map(|y| (x, y)));
        let Ok(((cost_a, p_a), (cost_b, p_b))) = priced else {
            out.skipped += 1;
            continue;
        };
        out.orders += 1;
        out.touched += i64::from(cost_a != cost_b);
        out.discount_cost_now += cost_a;
        out.discount_cost_proposed += cost_b;
        pay_a += p_a;
        pay_b += p_b;
    }
    out.cost_delta = out.discount_cost_proposed - out.discount_cost_now;
    out.avg_payable_now = avg(pay_a, out.orders);
    out.avg_payable_proposed = avg(pay_b, out.orders);
    out
}

/// The most recently paid orders (≤ [`MAX_ORDERS`]) paid in `[from, to]`,
/// with their lines; and whether more were there. `to` is inclusive.
pub async fn paid_orders(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
) -> Result<(Vec<PaidOrder>, bool)> {
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM orders WHERE paid_at IS NOT NULL AND paid_at >= $1 AND paid_at <= $2",
    )
    .bind(from)
    .bind(to)
    .fetch_one(&mut *conn)
    .await?;
    type Row = (i64, i64, String, i64, i64, i64, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT o.id, o.paid_at, ol.line_id, ol.sku_id, ol.quantity, ol.list_price, ol.activity_id
         FROM (SELECT id, paid_at FROM orders
               WHERE paid_at IS NOT NULL AND paid_at >= $1 AND paid_at <= $2
               ORDER BY paid_at DESC, id DESC LIMIT $3) o
         JOIN order_lines ol ON ol.order_id = o.id
         ORDER BY o.paid_at DESC, o.id DESC, ol.line_id",
    )
    .bind(from)
    .bind(to)
    .bind(MAX_ORDERS)
    .fetch_all(&mut *conn)
    .await?;
    let mut orders: Vec<PaidOrder> = Vec::new();
    for r in rows {
        let line = PaidLine {
            line_id: r.2,
            sku_id: r.3,
            quantity: r.4,
            list_price: r.5,
            activity_id: r.6,
        };
        match orders.last_mut() {
            Some(o) if o.id == r.0 => o.lines.push(line),
            _ => orders.push(PaidOrder {
                id: r.0,
                paid_at: r.1,
                lines: vec![line],
            }),
        }
    }
    Ok((orders, total > MAX_ORDERS))
}

/// Today's shop and categories (own and parent) of these SKUs.
pub async fn sku_facts(
    conn: &mut AnyConnection,
    orders: &[PaidOrder],
) -> Result<BTreeMap<i64, SkuFacts>> {
    let mut ids: Vec<i64> = orders
        .iter()
        .flat_map(|o| o.lines.iter().map(|l| l.sku_id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = BTreeMap::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT s.id, p.shop_id, p.category_id, c.parent_id
             FROM skus s JOIN products p ON p.id = s.product_id JOIN categories c ON c.id = p.category_id
             WHERE s.id IN ({})",
            super::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (i64, String, i64, Option<i64>)>(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            let mut category_ids = vec![r.2.to_string()];
            category_ids.extend(r.3.map(|p| p.to_string()));
            out.insert(
                r.0,
                SkuFacts {
                    shop_id: r.1,
                    category_ids,
                },
            );
        }
    }
    Ok(out)
}

/// Replay the last 30 days up to `now` under the stored rules and the proposal.
pub async fn run(conn: &mut AnyConnection, proposal: &Proposal, now: i64) -> Result<WhatIf> {
    let current = super::rules::current(&mut *conn).await?;
    let proposed = proposal.apply(&current);
    super::rules::check(&proposed, now)?;
    if let Some(c) = &proposal.coupon {
        mall_core::coupon::validate(std::slice::from_ref(c))?;
    }
    let from = now - WINDOW_SECS;
    let (orders, sampled) = paid_orders(&mut *conn, from, now).await?;
    let facts = sku_facts(&mut *conn, &orders).await?;
    let mut out = replay(
        &orders,
        &facts,
        &current,
        &proposed,
        proposal.coupon.as_ref(),
    );
    out.sampled = sampled;
    out.from = from;
    out.to = now;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn line(id: &str, sku: i64, qty: i64, price: i64, activity: Option<&str>) -> PaidLine {
        PaidLine {
            line_id: id.into(),
            sku_id: sku,
            quantity: qty,
            list_price: price,
            activity_id: activity.map(String::from),
        }
    }

    fn order(id: i64, lines: Vec<PaidLine>) -> PaidOrder {
        PaidOrder {
            id,
            paid_at: 1_700_000_000,
            lines,
        }
    }

    fn rules(campaigns: serde_json::Value) -> ShopRules {
        serde_json::from_value(json!({ "campaigns": campaigns })).unwrap()
    }

    fn full_100_minus_10() -> ShopRules {
        rules(
            json!([{"campaignId": "c", "rule": {"kind": "amountOff", "tiers": [{"threshold": 10000, "amount": 1000}]}}]),
        )
    }

    #[test]
    fn a_cart_is_the_order_lines_at_their_stored_list_price_without_activity_lines() {
        let o = order(
            1,
            vec![
                line("1", 7, 2, 4990, None),
                line("2", 8, 1, 990, Some("flash")),
                line("3", 7, 1, 4990, None),
            ],
        );
        let (catalog, lines) = cart_of(&o, &BTreeMap::new()).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(catalog.len(), 1);
        assert_eq!(catalog[0].list_price, Money::fen(4990));
        assert_eq!(catalog[0].stock, 3);
        assert!(!catalog[0].member_price);
        let only_activity = order(2, vec![line("1", 8, 1, 990, Some("flash"))]);
        assert!(cart_of(&only_activity, &BTreeMap::new()).is_none());
    }

    #[test]
    fn a_full_reduction_touches_only_the_orders_over_its_threshold() {
        let orders = vec![
            order(1, vec![line("1", 1, 1, 5000, None)]),
            order(2, vec![line("1", 1, 2, 5000, None)]),
            order(3, vec![line("1", 1, 3, 5000, None)]),
        ];
        let w = replay(
            &orders,
            &BTreeMap::new(),
            &ShopRules::default(),
            &full_100_minus_10(),
            None,
        );
        assert_eq!(w.orders, 3);
        assert_eq!(w.touched, 2);
        assert_eq!(
            (w.discount_cost_now, w.discount_cost_proposed, w.cost_delta),
            (0, 2000, 2000)
        );
        assert_eq!(w.avg_payable_now, 10000);
        // (5000 + 9000 + 14000) / 3 = 9333.33…
        assert_eq!(w.avg_payable_proposed, 9333);
    }

    #[test]
    fn a_category_scope_sees_todays_categories_of_the_skus() {
        let r = rules(
            json!([{"campaignId": "c", "scope": {"kind": "categories", "ids": ["9"]},
            "rule": {"kind": "amountOff", "tiers": [{"threshold": 10000, "amount": 1000}]}}]),
        );
        let orders = vec![
            order(1, vec![line("1", 1, 2, 5000, None)]),
            order(2, vec![line("1", 2, 2, 5000, None)]),
        ];
        let mut facts = BTreeMap::new();
        facts.insert(
            1,
            SkuFacts {
                shop_id: "self".into(),
                category_ids: vec!["3".into(), "9".into()],
            },
        );
        let w = replay(&orders, &facts, &ShopRules::default(), &r, None);
        assert_eq!((w.touched, w.discount_cost_proposed), (1, 1000));
    }

    #[test]
    fn windows_are_ignored_so_a_future_campaign_is_replayed_as_if_running() {
        let mut r = full_100_minus_10();
        r.campaigns[0].starts_at = Some(2_000_000_000);
        let orders = vec![order(1, vec![line("1", 1, 2, 5000, None)])];
        let w = replay(&orders, &BTreeMap::new(), &ShopRules::default(), &r, None);
        assert_eq!((w.touched, w.discount_cost_proposed), (1, 1000));
    }

    #[test]
    fn an_assumed_coupon_counts_on_the_proposed_side_only() {
        let coupon: Coupon = serde_json::from_value(json!({
            "couponId": "assumed", "kind": {"kind": "noThreshold", "amount": 300},
            "validFrom": 0, "validUntil": 4_000_000_000i64
        }))
        .unwrap();
        let orders = vec![order(1, vec![line("1", 1, 1, 5000, None)])];
        let w = replay(
            &orders,
            &BTreeMap::new(),
            &ShopRules::default(),
            &ShopRules::default(),
            Some(&coupon),
        );
        assert_eq!(
            (w.touched, w.cost_delta, w.avg_payable_proposed),
            (1, 300, 4700)
        );
    }
}
