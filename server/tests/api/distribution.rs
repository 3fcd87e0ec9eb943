//! 分销 distribution: settings bounds, promoters, binding (first touch, new
//! users only, no self-binding, no cycles, exactly once under races), the
//! chain an order snapshots (at most two levels), commission on the lines'
//! paid amounts (never shipping), reversals that keep commission equal to
//! the commission of the kept units, and the ledger's states driven by the
//! job on an injected clock. Each runs on SQLite and, with
//! TEST_DATABASE_URL, on PostgreSQL.

use mall_core::commission::{commission, CommissionInput};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

const PRODUCT: i64 = 1;

pub(crate) async fn settings(app: &TestApp, body: Value) -> (u16, Value) {
    app.merchant(
        Method::PUT,
        "/api/merchant/distribution/settings",
        Some(body),
    )
    .await
}

/// Switch distribution on: everyone mode, these rates, permanent bindings.
async fn enable(app: &TestApp, rates: &[&str]) {
    let (s, v) = settings(
        app,
        json!({"enabled": true, "mode": "everyone", "levels": rates.len(), "rates": rates,
               "selfPurchase": false, "bindingDays": null, "frozenDays": 7}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
}

/// A shopper: (session token, user id).
pub(crate) async fn shopper(app: &TestApp, code: &str) -> (String, i64) {
    let (s, v) = app
        .post("/api/auth/login", None, json!({"code": code}))
        .await;
    assert_eq!(s, 200, "{v}");
    (
        v["token"].as_str().unwrap().to_string(),
        v["userId"].as_i64().unwrap(),
    )
}

/// An approved promoter (everyone mode) and their product share token.
pub(crate) async fn promoter(app: &TestApp, code: &str) -> (String, i64, String) {
    let (t, id) = shopper(app, code).await;
    let (s, v) = app
        .post("/api/distribution/promoter", Some(&t), json!({}))
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("approved")), "{v}");
    let (s, v) = app
        .post(
            "/api/share",
            Some(&t),
            json!({"kind": "product", "targetId": PRODUCT}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    (t, id, v["token"].as_str().unwrap().to_string())
}

pub(crate) async fn bind(app: &TestApp, t: &str, share: &str) -> Value {
    let (s, v) = app
        .post("/api/distribution/bind", Some(t), json!({"share": share}))
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

async fn bindings(app: &TestApp) -> i64 {
    count(app, "SELECT COUNT(*) FROM distribution_bindings").await
}

/// Σ commission rows of `promoter` (reversals included), and of an order.
pub(crate) async fn earned(app: &TestApp, promoter: i64) -> i64 {
    count(
        app,
        &format!("SELECT COALESCE(CAST(SUM(amount) AS BIGINT), 0) FROM commissions WHERE promoter_id = '{promoter}'"),
    )
    .await
}

#[tokio::test]
async fn settings_refuse_a_third_level_and_rates_out_of_bounds() {
    let app = spawn_app().await;
    let base = json!({"enabled": true, "mode": "approval", "levels": 3, "rates": ["0.1", "0.05", "0.01"],
                      "selfPurchase": false, "bindingDays": 30, "frozenDays": 7});
    let (s, v) = settings(&app, base.clone()).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("TOO_MANY_COMMISSION_LEVELS")),
        "{v}"
    );
    assert_eq!(v["details"]["levels"], 3);
    for rates in [json!(["0.6", "0.5"]), json!(["0.1"])] {
        let mut b = base.clone();
        b["levels"] = json!(2);
        b["rates"] = rates;
        let (s, v) = settings(&app, b).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (422, Some("COMMISSION_RATES_INVALID")),
            "{v}"
        );
    }
    for (field, value, bad) in [
        ("rates", json!(["0.12345", "0"]), "rates"),
        ("rates", json!([" 0.1", "0"]), "rates"),
        ("bindingDays", json!(0), "bindingDays"),
        ("frozenDays", json!(366), "frozenDays"),
    ] {
        let mut b = base.clone();
        b["levels"] = json!(2);
        if field != "rates" {
            b["rates"] = json!(["0.1", "0.05"]);
        }
        b[field] = value;
        let (s, v) = settings(&app, b).await;
        assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
        assert_eq!(v["details"]["field"], bad, "{v}");
    }
    // PUT replaces every term: an omitted bindingDays is refused, not read as
    // permanent (schemathesis found it accepted although the schema requires it).
    let mut b = base.clone();
    b["levels"] = json!(2);
    b["rates"] = json!(["0.1", "0.05"]);
    b.as_object_mut().unwrap().remove("bindingDays");
    let (s, v) = settings(&app, b).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    let mut ok = base;
    ok["levels"] = json!(2);
    ok["rates"] = json!(["0.10", "0.05"]);
    let (s, v) = settings(&app, ok).await;
    assert_eq!(s, 200, "{v}");
    let (_, v) = app
        .merchant(Method::GET, "/api/merchant/distribution/settings", None)
        .await;
    assert_eq!(v["rates"], json!(["0.1", "0.05"]));
    assert_eq!(v["bindingDays"], 30);
}

#[tokio::test]
async fn in_approval_mode_the_merchant_decides_each_application_once() {
    let app = spawn_app().await;
    let (t, id) = shopper(&app, "applicant").await;
    let (s, v) = app
        .post("/api/distribution/promoter", Some(&t), json!({}))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("DISTRIBUTION_DISABLED"))
    );
    let (s, _) = settings(
        &app,
        json!({"enabled": true, "mode": "approval", "levels": 1, "rates": ["0.1"],
               "selfPurchase": false, "bindingDays": null, "frozenDays": 7}),
    )
    .await;
    assert_eq!(s, 200);
    let (_, v) = app
        .post("/api/distribution/promoter", Some(&t), json!({}))
        .await;
    assert_eq!(v["status"], "applied");
    let (_, page) = app
        .merchant(Method::GET, "/api/merchant/promoters?status=applied", None)
        .await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["userId"], id);
    let path = format!("/api/merchant/promoters/{id}/decide");
    let (s, v) = app
        .merchant(Method::POST, &path, Some(json!({"approve": true})))
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("approved")), "{v}");
    let (s, v) = app
        .merchant(Method::POST, &path, Some(json!({"approve": false})))
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("PROMOTER_STATE")));
    // Asking again changes nothing.
    let (_, v) = app
        .post("/api/distribution/promoter", Some(&t), json!({}))
        .await;
    assert_eq!(v["status"], "approved");
}

#[tokio::test]
async fn a_new_user_opening_two_promoters_links_at_once_is_bound_to_one() {
    let app = spawn_app().await;
    enable(&app, &["0.1"]).await;
    let (_, p1, s1) = promoter(&app, "p1").await;
    let (_, p2, s2) = promoter(&app, "p2").await;
    let (t, _) = shopper(&app, "newcomer").await;
    let (a, b) = tokio::join!(bind(&app, &t, &s1), bind(&app, &t, &s2));
    let won: Vec<&Value> = [&a, &b]
        .into_iter()
        .filter(|v| v["bound"] == true)
        .collect();
    assert_eq!(won.len(), 1, "{a} {b}");
    let lost = if a["bound"] == true { &b } else { &a };
    assert_eq!(lost["outcome"], "ALREADY_BOUND");
    assert_eq!(lost["promoterId"], won[0]["promoterId"]);
    assert!([p1, p2].contains(&won[0]["promoterId"].as_i64().unwrap()));
    assert_eq!(bindings(&app).await, 1);
}

/// 50 new users each open 4 links at once (2 promoters × 2): 200
/// concurrent attempts, exactly 50 bindings, one per user.
#[tokio::test]
async fn two_hundred_concurrent_bind_attempts_bind_each_new_user_exactly_once() {
    let app = std::sync::Arc::new(spawn_app().await);
    enable(&app, &["0.1"]).await;
    let (_, _, s1) = promoter(&app, "p1").await;
    let (_, _, s2) = promoter(&app, "p2").await;
    let mut users = Vec::new();
    for i in 0..50 {
        users.push(shopper(&app, &format!("crowd-{i}")).await.0);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for t in &users {
        for s in [&s1, &s2, &s1, &s2] {
            let (app, t, s) = (app.clone(), t.clone(), s.clone());
            tasks.spawn(async move { bind(&app, &t, &s).await });
        }
    }
    let mut results = Vec::new();
    while let Some(r) = tasks.join_next().await {
        results.push(r.unwrap());
    }
    assert_eq!(results.len(), 200);
    let bound = results.iter().filter(|v| v["bound"] == true).count();
    assert_eq!(bound, 50);
    assert!(results
        .iter()
        .all(|v| v["bound"] == true || v["outcome"] == "ALREADY_BOUND"));
    assert_eq!(bindings(&app).await, 50);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(DISTINCT user_id) FROM distribution_bindings"
        )
        .await,
        50
    );
}

#[tokio::test]
async fn self_binding_cycles_and_old_users_are_refused() {
    let app = spawn_app().await;
    enable(&app, &["0.1", "0.05"]).await;
    let (ta, a, sa) = promoter(&app, "a").await;
    let (tb, _, sb) = promoter(&app, "b").await;
    let (tc, _, sc) = promoter(&app, "c").await;
    assert_eq!(bind(&app, &ta, &sa).await["outcome"], "OWN_LINK");
    // b → a, c → b; then a landing on b's or c's link would close a cycle.
    assert_eq!(bind(&app, &tb, &sa).await["outcome"], "BOUND");
    assert_eq!(bind(&app, &tc, &sb).await["outcome"], "BOUND");
    assert_eq!(bind(&app, &ta, &sb).await["outcome"], "CYCLE");
    assert_eq!(bind(&app, &ta, &sc).await["outcome"], "CYCLE");
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM distribution_bindings WHERE user_id = {a}")
        )
        .await,
        0
    );
    // First touch stays.
    let v = bind(&app, &tb, &sc).await;
    assert_eq!(
        (v["outcome"].as_str(), v["promoterId"].as_i64()),
        (Some("ALREADY_BOUND"), Some(a))
    );
    // A shopper who has ordered is not new.
    let (old, _) = shopper(&app, "old").await;
    place(
        &app,
        &old,
        json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()}),
        "old-1",
    )
    .await;
    assert_eq!(bind(&app, &old, &sa).await["outcome"], "NOT_NEW");
    // A sharer who is not a promoter binds nobody.
    let (tn, _) = shopper(&app, "not-promoter").await;
    let (_, v) = app
        .post(
            "/api/share",
            Some(&tn),
            json!({"kind": "product", "targetId": PRODUCT}),
        )
        .await;
    let (fresh, _) = shopper(&app, "fresh").await;
    assert_eq!(
        bind(&app, &fresh, v["token"].as_str().unwrap()).await["outcome"],
        "NOT_PROMOTER"
    );
    assert_eq!(
        bind(&app, &fresh, "nosuchtoken").await["outcome"],
        "UNKNOWN_TOKEN"
    );
    assert_eq!(bindings(&app).await, 2);
}

/// buyer → p1 → p2 → p3: the order pays p1 and p2 only.
#[tokio::test]
async fn an_order_through_a_three_level_chain_pays_at_most_two_levels() {
    let app = spawn_app().await;
    enable(&app, &["0.1", "0.05"]).await;
    let (_, p3, s3) = promoter(&app, "p3").await;
    let (t2, p2, s2) = promoter(&app, "p2").await;
    let (t1, p1, s1) = promoter(&app, "p1").await;
    assert_eq!(bind(&app, &t2, &s3).await["bound"], true);
    assert_eq!(bind(&app, &t1, &s2).await["bound"], true);
    let (tb, _) = shopper(&app, "buyer").await;
    assert_eq!(bind(&app, &tb, &s1).await["bound"], true);
    let (id, no, _) = place(
        &app,
        &tb,
        json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()}),
        "k1",
    )
    .await;
    pay_now(&app, &tb, id, &no).await;
    let d: Value = serde_json::from_str(
        &sqlx::query_scalar::<_, String>("SELECT distribution FROM orders WHERE id = $1")
            .bind(id)
            .fetch_one(&app.server.state.db.pool)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(d["promoters"], json!([p1.to_string(), p2.to_string()]));
    assert!(earned(&app, p1).await > 0);
    assert!(earned(&app, p2).await > 0);
    assert_eq!(earned(&app, p3).await, 0);
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM commissions WHERE order_id = {id}")
        )
        .await,
        2
    );
    // The promoter center: team counts per level, the order with its buyer masked.
    let (_, c) = app.get("/api/distribution/center", Some(&t2)).await;
    assert_eq!(c["team"], json!({"level1": 1, "level2": 1}));
    assert_eq!(c["earnings"]["pending"], earned(&app, p2).await);
    let (_, o) = app.get("/api/distribution/orders", Some(&t1)).await;
    assert_eq!(o["total"], 1);
    assert_eq!(o["items"][0]["orderNo"], no);
    assert_eq!(o["items"][0]["status"], "PENDING");
    assert!(o["items"][0]["buyer"].as_str().unwrap().ends_with('*'));
}

/// Express shipping is charged whatever the order's amount (the seeded rules
/// ship free over ¥99).
async fn charge_shipping(app: &TestApp) {
    let text: String = sqlx::query_scalar("SELECT value FROM settings WHERE key = 'shop_rules'")
        .fetch_one(&app.server.state.db.pool)
        .await
        .unwrap();
    let mut rules: Value = serde_json::from_str(&text).unwrap();
    rules["shipping"]["express"][0]["freeOver"] = json!(10_000_000);
    sqlx::query("UPDATE settings SET value = $1 WHERE key = 'shop_rules'")
        .bind(rules.to_string())
        .execute(&app.server.state.db.pool)
        .await
        .unwrap();
}

const JERKY_FIVE_SPICE: i64 = 20;

/// p2 ← p1 ← a new buyer with the 无门槛5元券, and their order of T恤 × 1 (59.00),
/// 香辣牛肉干 × 2 (39.90 each), 五香牛肉干 × 1 (39.90), delivered: (app, buyer,
/// order id, order no, p1, p2).
async fn three_line_order(code: &str) -> (TestApp, String, i64, String, i64, i64) {
    let app = spawn_app().await;
    enable(&app, &["0.10", "0.05"]).await;
    charge_shipping(&app).await;
    let (_, p2, s2) = promoter(&app, &format!("{code}-p2")).await;
    let (t1, p1, s1) = promoter(&app, &format!("{code}-p1")).await;
    assert_eq!(bind(&app, &t1, &s2).await["bound"], true);
    let (tb, coupon) = bound_buyer(&app, &format!("{code}-buyer"), &s1).await;
    let addr = app.add_address(&tb).await;
    let (id, no, _) = place(
        &app,
        &tb,
        json!({"items": [{"skuId": TEE_WHITE_M, "quantity": 1}, {"skuId": JERKY_SPICY, "quantity": 2},
                         {"skuId": JERKY_FIVE_SPICE, "quantity": 1}],
               "addressId": addr, "coupons": {"kind": "manual", "couponIds": [coupon]}}),
        "k1",
    )
    .await;
    pay_now(&app, &tb, id, &no).await;
    (app, tb, id, no, p1, p2)
}

/// A new shopper bound to a promoter, holding the 无门槛5元券 (its wallet id).
async fn bound_buyer(app: &TestApp, code: &str, share: &str) -> (String, String) {
    let (t, _) = shopper(app, code).await;
    assert_eq!(bind(app, &t, share).await["bound"], true);
    let (_, batches) = app.get("/api/coupons", Some(&t)).await;
    let tpl = batches
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["title"] == "无门槛5元券")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (s, c) = app
        .post(&format!("/api/coupons/{tpl}/claim"), Some(&t), json!({}))
        .await;
    assert_eq!(s, 201, "{c}");
    (t, c["id"].to_string())
}

/// By hand: goods 5900 + 2 × 3990 + 3990 = 17870 (under the ¥199 满减 tier);
/// the 5.00 coupon is shared by net amount with largest remainders:
/// 500 × 5900 / 17870 = 165.08, × 7980 / 17870 = 223.28, × 3990 / 17870 = 111.64
/// → 165 / 223 / 111 (499) and the last fen to the largest remainder (111.64)
/// → 165 / 223 / 112. Paid per line: 5735, 7757 (3879 + 3878), 3878.
/// Shipping: 4 pieces, 800 first + 3 × 200 = 1400, paid but not commissioned.
/// Base = 5735 + 7757 + 3878 = 17370. Level 1: 17370 × 10% = 1737.0 → 1737;
/// level 2: 17370 × 5% = 868.5 → 869 (half up).
#[tokio::test]
async fn commission_on_a_three_line_order_with_a_coupon_and_shipping_is_the_hand_computed_figure() {
    let (app, _, id, _, p1, p2) = three_line_order("hand").await;
    let o = order(&app, id).await;
    let paid: Vec<i64> = o["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["paid"].as_i64().unwrap())
        .collect();
    assert_eq!(paid, vec![5735, 7757, 3878], "{}", o["lines"]);
    assert_eq!(o["shippingFee"], 1400, "{o}");
    assert_eq!(o["payable"], 17370 + 1400);
    assert_eq!(earned(&app, p1).await, 1737);
    assert_eq!(earned(&app, p2).await, 869);
    let rows: Vec<(i64, String, i64, String)> = sqlx::query_as(
        "SELECT level, promoter_id, amount, status FROM commissions WHERE order_id = $1 ORDER BY level",
    )
    .bind(id)
    .fetch_all(&app.server.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            (1, p1.to_string(), 1737, "pending".to_string()),
            (2, p2.to_string(), 869, "pending".to_string())
        ]
    );
}

/// The core's commission of the order's kept units (refunded so far taken off).
fn kept_commission(o: &Value, refunded: &[(String, u64)]) -> Vec<i64> {
    let input: CommissionInput = serde_json::from_value(json!({
        "rule": {"rates": ["0.10", "0.05"]},
        "promoters": ["1", "2"],
        "order": o["snapshot"],
        "refunded": refunded.iter().map(|(l, q)| json!({"lineId": l, "quantity": q})).collect::<Vec<_>>(),
    }))
    .unwrap();
    commission(&input)
        .unwrap()
        .shares
        .iter()
        .map(|s| s.amount.as_fen())
        .collect()
}

/// Refund one 香辣 unit, then the 五香 line, then the other 香辣 unit, then
/// the T恤: after each, commission + reversals = the commission of the units
/// kept, to the fen, at both levels.
#[tokio::test]
async fn partial_refunds_leave_the_commission_of_the_kept_units_to_the_fen() {
    let (app, tb, id, _, p1, p2) = three_line_order("refunds").await;
    let o = order(&app, id).await;
    let line = |i: usize| o["lines"][i]["lineId"].as_str().unwrap().to_string();
    let mut refunded: Vec<(String, u64)> = Vec::new();
    for (l, q) in [(line(1), 1), (line(2), 1), (line(1), 1), (line(0), 1)] {
        let a = after_sale(
            &app,
            &tb,
            id,
            json!({"kind": "refund_only", "items": [{"lineId": l, "quantity": q}]}),
        )
        .await;
        approve(&app, a["id"].as_i64().unwrap()).await;
        refunded.push((l, q));
        let want = kept_commission(&o, &refunded);
        assert_eq!(
            vec![earned(&app, p1).await, earned(&app, p2).await],
            want,
            "after refunding {refunded:?}"
        );
    }
    assert_eq!(earned(&app, p1).await, 0);
    assert_eq!(earned(&app, p2).await, 0);
}

/// PENDING at payment → FROZEN on receipt (available 7 + 7 days later) →
/// AVAILABLE when the job runs at that time, not a second before; a refund
/// afterwards is a negative AVAILABLE entry netted in the balance.
#[tokio::test]
async fn the_job_makes_frozen_commission_available_after_the_window_and_reversals_net() {
    let (app, tb, id, _, p1, _) = three_line_order("ledger").await;
    let status = |app: &TestApp| {
        let pool = app.server.state.db.pool.clone();
        async move {
            sqlx::query_as::<_, (String, Option<i64>)>(
                "SELECT DISTINCT status, available_at FROM commissions WHERE order_id = $1",
            )
            .bind(id)
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(status(&app).await, vec![("pending".to_string(), None)]);
    let (s, v) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/orders/{id}/ship"),
            Some(json!({"carrier": "顺丰", "trackingNo": "SF-DIST-1"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/orders/{id}/confirm-receipt"),
            Some(&tb),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let completed = order(&app, id).await["completedAt"].as_i64().unwrap();
    let due = completed + 14 * 86_400;
    assert_eq!(status(&app).await, vec![("frozen".to_string(), Some(due))]);
    let state = &app.server.state;
    mall_server::jobs::run_once(state, due - 1).await.unwrap();
    assert_eq!(status(&app).await, vec![("frozen".to_string(), Some(due))]);
    mall_server::jobs::run_once(state, due).await.unwrap();
    assert_eq!(
        status(&app).await,
        vec![("available".to_string(), Some(due))]
    );
    // Run twice: nothing more moves.
    assert_eq!(
        mall_server::distribution::ledger::release_due(&state.db, due + 1)
            .await
            .unwrap(),
        0
    );
    let path = format!("/api/merchant/promoters/{p1}/ledger");
    let (_, l) = app.merchant(Method::GET, &path, None).await;
    assert_eq!(l["balances"]["available"], 1737, "{l}");
    assert_eq!(l["balances"]["frozen"], 0);
    // A refund after the window: a negative entry, available at once.
    let o = order(&app, id).await;
    let t_line = o["lines"][0]["lineId"].as_str().unwrap().to_string();
    let a = after_sale(
        &app,
        &tb,
        id,
        json!({"kind": "refund_only", "items": [{"lineId": t_line, "quantity": 1}]}),
    )
    .await;
    approve(&app, a["id"].as_i64().unwrap()).await;
    let want = kept_commission(&o, &[(t_line, 1)]);
    let (_, l) = app.merchant(Method::GET, &path, None).await;
    assert_eq!(l["balances"]["available"], want[0], "{l}");
    assert_eq!(l["entries"]["total"], 2);
    assert_eq!(l["entries"]["items"][0]["status"], "AVAILABLE");
    assert_eq!(
        l["entries"]["items"][0]["amount"].as_i64().unwrap(),
        want[0] - 1737
    );
    assert_eq!(earned(&app, p1).await, want[0]);
}

async fn chain_of(app: &TestApp, order_id: i64) -> Value {
    let d: Option<String> = sqlx::query_scalar("SELECT distribution FROM orders WHERE id = $1")
        .bind(order_id)
        .fetch_one(&app.server.state.db.pool)
        .await
        .unwrap();
    d.map_or(Value::Null, |d| {
        serde_json::from_str::<Value>(&d).unwrap()["promoters"].clone()
    })
}

/// A promoter's own order: their promoter earns level 1 when self-purchase
/// is off; they earn level 1 themselves (and their promoter level 2) when on.
#[tokio::test]
async fn self_purchase_commission_follows_the_setting() {
    let app = spawn_app().await;
    enable(&app, &["0.1", "0.05"]).await;
    let (_, q, sq) = promoter(&app, "q").await;
    let (tp, p, _) = promoter(&app, "p").await;
    assert_eq!(bind(&app, &tp, &sq).await["bound"], true);
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()});
    let (off, _, _) = place(&app, &tp, body.clone(), "off").await;
    assert_eq!(chain_of(&app, off).await, json!([q.to_string()]));
    let (s, _) = settings(
        &app,
        json!({"enabled": true, "mode": "everyone", "levels": 2, "rates": ["0.1", "0.05"],
               "selfPurchase": true, "bindingDays": null, "frozenDays": 7}),
    )
    .await;
    assert_eq!(s, 200);
    let (on, _, _) = place(&app, &tp, body.clone(), "on").await;
    assert_eq!(
        chain_of(&app, on).await,
        json!([p.to_string(), q.to_string()])
    );
    // Switched off: no chain at all.
    let (s, _) = settings(
        &app,
        json!({"enabled": false, "mode": "everyone", "levels": 2, "rates": ["0.1", "0.05"],
               "selfPurchase": true, "bindingDays": null, "frozenDays": 7}),
    )
    .await;
    assert_eq!(s, 200);
    let (none, _, _) = place(&app, &tp, body, "none").await;
    assert_eq!(chain_of(&app, none).await, Value::Null);
}

/// A binding of N days: inside them the order carries the chain; after
/// them it does not, and the still-new shopper may be bound again.
#[tokio::test]
async fn a_binding_expires_after_the_configured_days() {
    let app = spawn_app().await;
    let (s, _) = settings(
        &app,
        json!({"enabled": true, "mode": "everyone", "levels": 1, "rates": ["0.1"],
               "selfPurchase": false, "bindingDays": 30, "frozenDays": 7}),
    )
    .await;
    assert_eq!(s, 200);
    let (_, _, s1) = promoter(&app, "p1").await;
    let (_, p2, s2) = promoter(&app, "p2").await;
    let (t, u) = shopper(&app, "shopper").await;
    assert_eq!(bind(&app, &t, &s1).await["bound"], true);
    let (created, expires): (i64, i64) = sqlx::query_as(
        "SELECT created_at, expires_at FROM distribution_bindings WHERE user_id = $1",
    )
    .bind(u)
    .fetch_one(&app.server.state.db.pool)
    .await
    .unwrap();
    assert_eq!(expires, created + 30 * 86_400);
    // Thirty days pass (the binding is moved back in time).
    app.exec(&format!(
        "UPDATE distribution_bindings SET created_at = created_at - 2592001, expires_at = expires_at - 2592001 WHERE user_id = {u}"
    ))
    .await;
    let v = bind(&app, &t, &s2).await;
    assert_eq!(
        (v["bound"].as_bool(), v["promoterId"].as_i64()),
        (Some(true), Some(p2))
    );
    app.exec(&format!(
        "UPDATE distribution_bindings SET expires_at = 1 WHERE user_id = {u}"
    ))
    .await;
    let (id, _, _) = place(
        &app,
        &t,
        json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()}),
        "late",
    )
    .await;
    assert_eq!(chain_of(&app, id).await, Value::Null);
}

/// Two new promoters open each other's links at the same moment: one
/// binding, never a cycle.
#[tokio::test]
async fn two_promoters_binding_to_each_other_at_once_make_no_cycle() {
    let app = spawn_app().await;
    enable(&app, &["0.1", "0.05"]).await;
    for round in 0..10 {
        let (ta, _, sa) = promoter(&app, &format!("a{round}")).await;
        let (tb, _, sb) = promoter(&app, &format!("b{round}")).await;
        let (x, y) = tokio::join!(bind(&app, &ta, &sb), bind(&app, &tb, &sa));
        let bound = [&x, &y].iter().filter(|v| v["bound"] == true).count();
        assert_eq!(bound, 1, "{x} {y}");
        let other = if x["bound"] == true { &y } else { &x };
        assert_eq!(other["outcome"], "CYCLE");
    }
    assert_eq!(bindings(&app).await, 10);
}

/// A refund while the entries are frozen is frozen with them and becomes
/// available with them: the balance is the commission of the kept units.
#[tokio::test]
async fn a_reversal_while_frozen_moves_with_its_order() {
    let (app, tb, id, _, p1, p2) = three_line_order("frozen").await;
    let (s, _) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/orders/{id}/ship"),
            Some(json!({"carrier": "顺丰", "trackingNo": "SF-DIST-2"})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .post(
            &format!("/api/orders/{id}/confirm-receipt"),
            Some(&tb),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let o = order(&app, id).await;
    let line = o["lines"][1]["lineId"].as_str().unwrap().to_string();
    let a = after_sale(
        &app,
        &tb,
        id,
        json!({"kind": "refund_only", "items": [{"lineId": line, "quantity": 1}]}),
    )
    .await;
    approve(&app, a["id"].as_i64().unwrap()).await;
    let states: Vec<(String, i64)> =
        sqlx::query_as("SELECT DISTINCT status, available_at FROM commissions WHERE order_id = $1")
            .bind(id)
            .fetch_all(&app.server.state.db.pool)
            .await
            .unwrap();
    assert_eq!(states.len(), 1, "{states:?}");
    assert_eq!(states[0].0, "frozen");
    let due = states[0].1;
    mall_server::jobs::run_once(&app.server.state, due)
        .await
        .unwrap();
    let want = kept_commission(&o, &[(line, 1)]);
    for (p, w) in [(p1, want[0]), (p2, want[1])] {
        let (_, l) = app
            .merchant(
                Method::GET,
                &format!("/api/merchant/promoters/{p}/ledger"),
                None,
            )
            .await;
        assert_eq!(l["balances"]["available"], w, "{l}");
        assert_eq!(l["balances"]["frozen"], 0, "{l}");
    }
}

/// A promoter's poster shares the shop itself (kind shop, no target): the
/// token opens the home page, its 小程序码 is made for that page, and a new
/// shopper landing through it is bound to the promoter. A product share
/// still needs its id and the shop takes none (400 INVALID_INPUT, as the
/// OpenAPI document says).
#[tokio::test]
async fn a_promoters_shop_share_opens_the_home_page_and_binds_who_lands() {
    let app = spawn_app().await;
    enable(&app, &["0.1"]).await;
    let (ta, a, _) = promoter(&app, "shop-a").await;
    let (s, v) = app
        .post(
            "/api/share",
            Some(&ta),
            json!({"kind": "shop", "channel": "poster"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    assert_eq!(
        v["path"],
        format!("pages/home/index?share={token}&ch=poster")
    );
    // The same token again, also with an explicit null target.
    let (s, again) = app
        .post(
            "/api/share",
            Some(&ta),
            json!({"kind": "shop", "targetId": null, "channel": "poster"}),
        )
        .await;
    assert_eq!((s, &again["token"]), (201, &v["token"]), "{again}");
    let (s, opened) = app.get(&format!("/api/share/{token}"), None).await;
    assert_eq!(s, 200, "{opened}");
    assert_eq!(
        (opened["kind"].as_str(), opened["target"].as_str()),
        (Some("shop"), Some(""))
    );
    let res = app
        .http
        .get(format!("{}/api/share/{token}/code", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().starts_with(b"\x89PNG"));

    let (tb, _) = shopper(&app, "shop-b").await;
    let v = bind(&app, &tb, &token).await;
    assert_eq!(
        (v["outcome"].as_str(), v["promoterId"].as_i64()),
        (Some("BOUND"), Some(a)),
        "{v}"
    );

    for (body, field) in [
        (json!({"kind": "shop", "targetId": 1}), "targetId"),
        (json!({"kind": "product"}), "targetId"),
        (json!({"kind": "product", "targetId": null}), "targetId"),
        (json!({"kind": "shop", "target": 1}), ""),
    ] {
        let (s, e) = app.post("/api/share", Some(&ta), body.clone()).await;
        assert_eq!(
            (s, e["code"].as_str()),
            (400, Some("INVALID_INPUT")),
            "{body} {e}"
        );
        if !field.is_empty() {
            assert!(e.to_string().contains(field), "{body} {e}");
        }
    }
}
