//! Shopper events and the console's figures (docs/metrics.md), checked
//! against hand-computed seeds: midnight in Beijing time, a refund in a later
//! window than its order, an unpaid order left out, retries counted once, the
//! closed funnel, rollups equal to live queries.

use mall_server::stats::{rollup, Range, SqlStats, StatsStore};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// 2025-01-01 00:00 Beijing time (a Wednesday).
const JAN1: i64 = 1_735_660_800;
const DAY: i64 = 86_400;

fn uuid(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

fn event(n: u32, name: &str, session: &str, visitor: &str, props: Value) -> Value {
    json!({"uuid": uuid(n), "name": name, "ts": mall_server::db::now() * 1000,
           "sessionId": session, "visitorId": visitor, "props": props})
}

async fn user(app: &TestApp, openid: &str) -> i64 {
    app.exec(&format!(
        "INSERT INTO users (openid, created_at, updated_at) VALUES ('{openid}', 0, 0)"
    ))
    .await;
    count(
        app,
        &format!("SELECT id FROM users WHERE openid = '{openid}'"),
    )
    .await
}

/// An order paid at `paid_at` (None: unpaid) for `amount` fen, one line of
/// product 1 (with `activity`, if given).
async fn order(
    app: &TestApp,
    no: &str,
    user: i64,
    amount: i64,
    paid_at: Option<i64>,
    activity: Option<&str>,
) -> i64 {
    let (status, paid) = match paid_at {
        Some(t) => ("paid", t.to_string()),
        None => ("pending_payment", "NULL".to_string()),
    };
    let created = paid_at.unwrap_or(JAN1 + DAY) - 60;
    app.exec(&format!(
        "INSERT INTO orders (order_no, user_id, status, idempotency_key, fingerprint, goods_total,
           discount_total, shipping_fee, points_used, points_deduction, payable, reward_growth,
           reward_points, delivery, quote, snapshot, created_at, expires_at, paid_at, paid_amount, updated_at)
         VALUES ('{no}', {user}, '{status}', '{no}', 'f', {amount}, 0, 0, 0, 0, {amount}, 0, 0, '{{}}', '{{}}', '{{}}',
                 {created}, {created}, {paid}, {amount}, {created})"
    ))
    .await;
    let id = count(
        app,
        &format!("SELECT id FROM orders WHERE order_no = '{no}'"),
    )
    .await;
    let act = activity.map_or("NULL".to_string(), |a| format!("'{a}'"));
    app.exec(&format!(
        "INSERT INTO order_lines (order_id, line_id, sku_id, product_id, title, specs, image, quantity,
           list_price, unit_price, price_source, activity_id, subtotal, item_discount, order_discount,
           net, points_deduction, paid, units)
         VALUES ({id}, 'l1', 1, 1, 't', '[]', '', 2, {amount}, {amount}, 'list', {act}, {amount}, 0, 0,
                 {amount}, 0, {amount}, '[]')"
    ))
    .await;
    id
}

/// Orders across Beijing midnight, a refund three days later, an unpaid order
/// and a refund not yet successful.
async fn seed_sales(app: &TestApp) {
    let u1 = user(app, "buyer-1").await;
    let u2 = user(app, "buyer-2").await;
    let flash: String = sqlx::query_scalar("SELECT id FROM activities WHERE kind = 'flashSale'")
        .fetch_one(&app.server.state.db.pool)
        .await
        .unwrap();
    let a = order(app, "A", u1, 10_000, Some(JAN1 + DAY - 1), None).await; // Jan 1 23:59:59
    let b = order(app, "B", u2, 5_000, Some(JAN1 + DAY), None).await; // Jan 2 00:00:00
    order(app, "C", u1, 3_000, Some(JAN1 + DAY + 3_600), Some(&flash)).await; // Jan 2 01:00
    order(app, "D", u2, 99_999, None, None).await; // never paid
    let refund = |order: i64, no: &str, status: &str, at: i64| {
        format!(
            "INSERT INTO refunds (order_id, out_refund_no, amount, reason, status, created_at, updated_at, succeeded_at)
             VALUES ({order}, '{no}', 4000, 'r', '{status}', {at}, {at}, {at})"
        )
    };
    app.exec(&refund(a, "R1", "success", JAN1 + 3 * DAY + 100))
        .await; // Jan 4
    app.exec(&refund(b, "R2", "processing", JAN1 + DAY + 100))
        .await;
}

fn range(from: i64, days: i64) -> Range {
    Range {
        from,
        to: from + days * DAY,
    }
}

#[tokio::test]
async fn trend_counts_gmv_by_paid_time_and_refunds_by_refund_time_in_beijing_days() {
    let app = spawn_app().await;
    seed_sales(&app).await;
    let stats = SqlStats {
        db: &app.server.state.db,
    };
    let t = stats.trend(range(JAN1, 4)).await.unwrap();
    let v = serde_json::to_value(&t).unwrap();
    assert_eq!(v["bucket"], "day");
    let got: Vec<(i64, i64, i64, i64, i64, i64)> = t
        .points
        .iter()
        .map(|p| (p.start, p.gmv, p.refunds, p.net, p.paid_orders, p.buyers))
        .collect();
    assert_eq!(
        got,
        vec![
            (JAN1, 10_000, 0, 10_000, 1, 1),
            (JAN1 + DAY, 8_000, 0, 8_000, 2, 2),
            (JAN1 + 2 * DAY, 0, 0, 0, 0, 0),
            (JAN1 + 3 * DAY, 0, 4_000, -4_000, 0, 0),
        ]
    );
    // One day: 24 Beijing hours.
    let h = stats.trend(range(JAN1 + DAY, 1)).await.unwrap();
    assert_eq!(h.points.len(), 24);
    assert_eq!(
        (h.points[0].gmv, h.points[1].gmv, h.points[2].gmv),
        (5_000, 3_000, 0)
    );
    // Weeks and months keep the same totals.
    for days in [60, 200] {
        let w = stats.trend(range(JAN1, days)).await.unwrap();
        let total: i64 = w.points.iter().map(|p| p.net).sum();
        assert_eq!(total, 14_000, "{days} days");
        assert_eq!(w.points[0].buyers, 2, "{days} days");
    }
    // Order types: the flash-sale line makes its order a flash-sale order.
    let kinds = stats.order_types(range(JAN1, 4)).await.unwrap();
    let k: Vec<(&str, i64, i64)> = kinds
        .iter()
        .map(|r| (r.kind.as_str(), r.orders, r.gmv))
        .collect();
    assert_eq!(
        k,
        vec![
            ("normal", 2, 15_000),
            ("flashSale", 1, 3_000),
            ("groupBuy", 0, 0),
            ("bargain", 0, 0)
        ]
    );
    // The same through the console's API (dates inclusive).
    let (s, v) = app
        .merchant(
            Method::GET,
            "/admin/api/stats/trend?from=2025-01-01&to=2025-01-04",
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["points"][3]["net"], -4_000);
    let (s, v) = app
        .merchant(
            Method::GET,
            "/admin/api/stats/order-types?from=2025-01-01&to=2025-01-04",
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["items"][1]["orders"], 1);
}

#[tokio::test]
async fn overview_compares_today_so_far_with_yesterday_at_the_same_time() {
    let app = spawn_app().await;
    seed_sales(&app).await;
    let stats = SqlStats {
        db: &app.server.state.db,
    };
    // Jan 2 02:00: today has B and C; yesterday until 02:00 had nothing (A was 23:59:59).
    let o = stats.overview(JAN1 + DAY + 7_200).await.unwrap();
    let v = serde_json::to_value(&o).unwrap();
    assert_eq!(v["kpis"]["gmv"], json!({"today": 8_000, "yesterday": 0}));
    assert_eq!(v["kpis"]["paidOrders"], json!({"today": 2, "yesterday": 0}));
    assert_eq!(v["kpis"]["buyers"], json!({"today": 2, "yesterday": 0}));
    assert_eq!(v["kpis"]["aov"], json!({"today": 4_000, "yesterday": 0}));
    assert_eq!(v["kpis"]["conversion"]["today"], "0.0000"); // no visitors tracked then
    assert_eq!(o.curve.yesterday[23], 10_000);
    assert_eq!(&o.curve.today[..3], &[5_000, 3_000, 0]);
    // Heatmap over the week after: Wednesday 23:00, Thursday 00:00 and 01:00.
    let hm = stats.heatmap(1, JAN1 + 7 * DAY + 3_600).await.unwrap();
    assert_eq!((hm.cells[2][23], hm.cells[3][0], hm.cells[3][1]), (1, 1, 1));
    assert_eq!(hm.cells.iter().flatten().sum::<i64>(), 3);
    assert_eq!(hm.fact, None); // far from 20 orders
    let (s, v) = app.merchant(Method::GET, "/admin/api/overview", None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["curve"]["today"].as_array().unwrap().len(), 24);
    assert!(v["counters"]["toShip"].as_i64().unwrap() >= 3, "{v}");
    let (s, v) = app
        .merchant(Method::GET, "/admin/api/stats/heatmap?weeks=4", None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["cells"].as_array().unwrap().len(), 7);
}

#[tokio::test]
async fn events_are_stored_once_per_uuid_and_bad_batches_refused_in_the_error_shape() {
    let app = spawn_app().await;
    let e = event(
        1,
        "page_view",
        "s1",
        "v1",
        json!({"page": "/pages/home/index"}),
    );
    let (s, v) = app
        .post(
            "/api/events",
            None,
            json!({"events": [e.clone(), e.clone()]}),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    assert_eq!(v, json!({"accepted": 1, "duplicates": 1}));
    let (s, v) = app
        .post("/api/events", None, json!({"events": [e.clone()]}))
        .await;
    assert_eq!((s, v), (202, json!({"accepted": 0, "duplicates": 1})));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM events").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM session_facts").await, 1);

    let many: Vec<Value> = (10..61)
        .map(|n| event(n, "page_view", "s1", "v1", json!({})))
        .collect();
    let (s, v) = app.post("/api/events", None, json!({"events": many})).await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["code"], "EVENT_BATCH_SIZE");
    assert_eq!(v["details"]["max"], 50);
    assert!(v["message"].is_string());
    let (s, v) = app
        .post(
            "/api/events",
            None,
            json!({"events": [event(2, "order_paid", "s1", "v1", json!({}))]}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("EVENT_UNKNOWN")), "{v}");
    let mut bad = event(3, "search", "s1", "v1", json!({"keyword": "k".repeat(51)}));
    let (s, v) = app
        .post("/api/events", None, json!({"events": [bad.clone()]}))
        .await;
    assert_eq!(
        (s, &v["details"]["field"]),
        (400, &json!("props.keyword")),
        "{v}"
    );
    bad["uuid"] = json!("nope");
    let (s, v) = app
        .post("/api/events", None, json!({"events": [bad]}))
        .await;
    assert_eq!((s, &v["details"]["field"]), (400, &json!("uuid")), "{v}");
    let (s, v) = app.post("/api/events", None, json!({"events": []})).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("EVENT_BATCH_SIZE")));
    // Nothing of the refused batches was stored.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM events").await, 1);
}

#[tokio::test]
async fn the_funnel_is_closed_per_session_and_payment_comes_from_the_server() {
    let app = spawn_app().await;
    let t = app.login("funnel-buyer").await;
    let product: i64 = count(
        &app,
        &format!("SELECT product_id FROM skus WHERE id = {NUTS_750G}"),
    )
    .await;
    let p = json!({"productId": product, "skuId": NUTS_750G});
    let batch = vec![
        event(
            1,
            "app_show",
            "s1",
            "v1",
            json!({"scene": 1047, "ch": "qr1"}),
        ),
        event(2, "product_view", "s1", "v1", p.clone()),
        event(
            3,
            "add_to_cart",
            "s1",
            "v1",
            json!({"productId": product, "skuId": NUTS_750G, "qty": 1}),
        ),
        event(4, "checkout_start", "s1", "v1", json!({})),
    ];
    let (s, v) = app
        .post("/api/events", Some(&t), json!({"events": batch}))
        .await;
    assert_eq!(s, 202, "{v}");
    let others = vec![
        event(5, "app_show", "s2", "v2", json!({"scene": 1007})),
        event(6, "product_view", "s2", "v2", p.clone()),
        event(7, "app_show", "s3", "v3", json!({})),
        // Buy now: checkout without the cart still passes the earlier steps.
        event(8, "checkout_start", "s4", "v4", json!({})),
    ];
    let (s, v) = app
        .post("/api/events", None, json!({"events": others}))
        .await;
    assert_eq!(s, 202, "{v}");
    // The client cannot claim a payment.
    let (s, _) = app
        .post(
            "/api/events",
            None,
            json!({"events": [event(9, "order_paid", "s2", "v2", json!({}))]}),
        )
        .await;
    assert_eq!(s, 400);
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 2}], "delivery": pickup()});
    let (id, no, payable) = place(&app, &t, body, "f1").await;
    pay_now(&app, &t, id, &no).await;

    let now = mall_server::db::now();
    let today = &mall_server::clock::beijing_rfc3339(now)[..10];
    let (s, v) = app
        .merchant(
            Method::GET,
            &format!("/admin/api/stats/funnel?from={today}&to={today}"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let steps: Vec<(String, i64)> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["key"].as_str().unwrap().to_string(),
                s["sessions"].as_i64().unwrap(),
            )
        })
        .collect();
    let want = [
        ("visit", 4),
        ("productView", 3),
        ("addToCart", 2),
        ("checkout", 2),
        ("paid", 1),
    ];
    assert_eq!(
        steps,
        want.iter()
            .map(|(k, n)| (k.to_string(), *n))
            .collect::<Vec<_>>()
    );
    let (s, v) = app
        .merchant(
            Method::GET,
            &format!("/admin/api/stats/channels?from={today}&to={today}"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let qr1 = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == "qr1")
        .cloned();
    assert_eq!(
        qr1,
        Some(json!({"channel": "qr1", "visitors": 1, "buyers": 1, "gmv": payable})),
        "{v}"
    );
    assert!(
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["channel"] == "scene:1007"),
        "{v}"
    );
    let (s, v) = app
        .merchant(
            Method::GET,
            &format!("/admin/api/stats/top-products?from={today}&to={today}"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let top = &v["items"][0];
    assert_eq!(
        (
            &top["productId"],
            &top["views"],
            &top["addToCarts"],
            &top["units"],
            &top["conversion"]
        ),
        (
            &json!(product),
            &json!(2),
            &json!(1),
            &json!(2),
            &json!("0.5000")
        ),
        "{v}"
    );
    let o = SqlStats {
        db: &app.server.state.db,
    }
    .overview(now)
    .await
    .unwrap();
    assert_eq!((o.kpis.visitors.today, o.kpis.buyers.today), (4, 1));
    assert_eq!(o.kpis.conversion.today, "0.2500");
}

#[tokio::test]
async fn rollups_recomputed_equal_the_live_figures_and_a_rerun_changes_nothing() {
    let app = spawn_app().await;
    seed_sales(&app).await;
    let product = json!({"productId": 1});
    let evs: Vec<Value> = (1..6)
        .map(|n| {
            event(
                n,
                if n % 2 == 0 {
                    "add_to_cart"
                } else {
                    "product_view"
                },
                "s1",
                "v1",
                product.clone(),
            )
        })
        .collect();
    let (s, _) = app.post("/api/events", None, json!({"events": evs})).await;
    assert_eq!(s, 202);
    let db = &app.server.state.db;
    let stats = SqlStats { db };
    let now = mall_server::db::now();
    let all = Range {
        from: JAN1,
        to: mall_server::clock::beijing_day_start(now) + DAY,
    };
    let live = (
        stats.trend(all).await.unwrap(),
        stats.top_products(all).await.unwrap(),
        stats.heatmap(26, JAN1 + 14 * DAY).await.unwrap(),
    );
    // Tomorrow: every bucket so far is complete and read from the rollups.
    let later = now + DAY;
    rollup::run(db, later).await.unwrap();
    assert!(count(&app, "SELECT COUNT(*) FROM agg_sales_hour").await >= 4);
    assert!(count(&app, "SELECT COUNT(*) FROM agg_product_day").await >= 2);
    let rolled = (
        stats.trend(all).await.unwrap(),
        stats.top_products(all).await.unwrap(),
        stats.heatmap(26, JAN1 + 14 * DAY).await.unwrap(),
    );
    assert_eq!(live, rolled);
    let snapshot = |app: &TestApp| {
        let pool = app.server.state.db.pool.clone();
        async move {
            let s: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
                "SELECT hour_start, paid_orders, gmv, refunds, refund_count FROM agg_sales_hour ORDER BY hour_start",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            let p: Vec<(i64, i64, i64, i64, i64, i64, i64)> = sqlx::query_as(
                "SELECT day_start, product_id, views, add_to_carts, orders, units, amount FROM agg_product_day ORDER BY day_start, product_id",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            (s, p)
        }
    };
    let first = snapshot(&app).await;
    // A refund arriving after the run touches its hour; the next run picks it up.
    let a = count(&app, "SELECT id FROM orders WHERE order_no = 'C'").await;
    let at = now + 2 * DAY;
    app.exec(&format!(
        "INSERT INTO refunds (order_id, out_refund_no, amount, reason, status, created_at, updated_at, succeeded_at)
         VALUES ({a}, 'R3', 1000, 'r', 'success', {at}, {at}, {at})"
    ))
    .await;
    rollup::run(db, at + 3_600).await.unwrap();
    rollup::run(db, at + 3_600).await.unwrap(); // again: same rows
    let second = snapshot(&app).await;
    assert_eq!(second.1, first.1);
    assert_eq!(second.0.len(), first.0.len() + 1);
    let refunds: i64 = second.0.iter().map(|r| r.3).sum();
    assert_eq!(refunds, 5_000);
    let wide = Range {
        from: JAN1,
        to: mall_server::clock::beijing_day_start(at) + DAY,
    };
    let t = stats.trend(wide).await.unwrap();
    assert_eq!(t.points.iter().map(|p| p.refunds).sum::<i64>(), 5_000);
}

#[tokio::test]
async fn data_routes_refuse_bad_dates_and_other_roles_in_the_error_shape() {
    let app = spawn_app().await;
    let (s, v) = app
        .merchant(
            Method::GET,
            "/admin/api/stats/trend?from=2025-02-30&to=2025-03-01",
            None,
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    let (s, v) = app
        .merchant(Method::GET, "/admin/api/stats/heatmap?weeks=27", None)
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    let (s, v) = app.get("/admin/api/overview", None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (401, Some("STAFF_UNAUTHORIZED")),
        "{v}"
    );
    // Reversed dates are swapped.
    let (s, v) = app
        .merchant(
            Method::GET,
            "/admin/api/stats/trend?from=2025-01-07&to=2025-01-01",
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["points"].as_array().unwrap().len(), 7);
}

/// 复购率: buyer 1 paid on Jan 1 (23:59:59) and Jan 2 (01:00) — two Beijing
/// days; buyer 2 paid once (Jan 2 00:00:00; its other order is unpaid); a
/// third buyer pays twice on one day — one occasion. So 1 of 3 buyers: 0.3333.
/// Over Jan 2 alone nobody paid on two days.
#[tokio::test]
async fn repurchase_counts_buyers_paying_on_two_beijing_days() {
    let app = spawn_app().await;
    seed_sales(&app).await;
    let u3 = user(&app, "buyer-3").await;
    order(&app, "E", u3, 1_000, Some(JAN1 + 2 * DAY + 3_600), None).await;
    order(&app, "F", u3, 1_000, Some(JAN1 + 2 * DAY + 7_200), None).await;
    let stats = SqlStats {
        db: &app.server.state.db,
    };
    let r = stats.repurchase(range(JAN1, 3)).await.unwrap();
    assert_eq!(
        (r.buyers, r.repeat_buyers, r.rate.as_str()),
        (3, 1, "0.3333")
    );
    let r = stats.repurchase(range(JAN1 + DAY, 1)).await.unwrap();
    assert_eq!(
        (r.buyers, r.repeat_buyers, r.rate.as_str()),
        (2, 0, "0.0000")
    );
    let r = stats.repurchase(range(JAN1 + 10 * DAY, 1)).await.unwrap();
    assert_eq!((r.buyers, r.rate.as_str()), (0, "0.0000"));
    // The route answers the same figures.
    let c = crate::admin::owner(&app).await;
    let (s, v) = c
        .get("/admin/api/stats/repurchase?from=2025-01-01&to=2025-01-03")
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v, json!({"buyers": 3, "repeatBuyers": 1, "rate": "0.3333"}));
}

/// A payment goes to the shopper's session that reached checkout (and has not
/// paid), even when a later session exists; with none left, to the latest.
#[tokio::test]
async fn a_payment_is_credited_to_the_checkout_session_else_to_the_latest() {
    let app = spawn_app().await;
    let t = app.login("attribution-buyer").await;
    let at = |n: u32, name: &str, session: &str, ago_secs: i64| {
        let mut e = event(n, name, session, "v-attr", json!({}));
        e["ts"] = json!((mall_server::db::now() - ago_secs) * 1000);
        e
    };
    let batch = vec![
        at(101, "app_show", "s-checkout", 120),
        at(102, "checkout_start", "s-checkout", 110),
        at(103, "app_show", "s-later", 30),
    ];
    let (s, v) = app
        .post("/api/events", Some(&t), json!({"events": batch}))
        .await;
    assert_eq!(s, 202, "{v}");
    let attributed = |id: i64| {
        format!("SELECT CASE session WHEN 's-checkout' THEN 1 WHEN 's-later' THEN 2 ELSE 0 END FROM order_attribution WHERE order_id = {id}")
    };
    for (key, want) in [("attr-1", 1), ("attr-2", 2)] {
        let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()});
        let (id, no, _) = place(&app, &t, body, key).await;
        pay_now(&app, &t, id, &no).await;
        assert_eq!(count(&app, &attributed(id)).await, want, "{key}");
    }
}
