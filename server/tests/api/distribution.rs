//! 分销 distribution: settings bounds, promoters, binding (first touch, new
//! users only, no self-binding, no cycles, exactly once under races), the
//! chain an order snapshots (at most two levels), commission on the lines'
//! paid amounts (never shipping), reversals that keep commission equal to
//! the commission of the kept units, and the ledger's states driven by the
//! job on an injected clock. Each runs on SQLite and, with
//! TEST_DATABASE_URL, on PostgreSQL.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

const PRODUCT: i64 = 1;

async fn settings(app: &TestApp, body: Value) -> (u16, Value) {
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
async fn shopper(app: &TestApp, code: &str) -> (String, i64) {
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
async fn promoter(app: &TestApp, code: &str) -> (String, i64, String) {
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

async fn bind(app: &TestApp, t: &str, share: &str) -> Value {
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
async fn earned(app: &TestApp, promoter: i64) -> i64 {
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
    for (field, value, bad) in [
        ("rates", json!(["0.6", "0.5"]), "rates"),
        ("rates", json!(["0.1"]), "rates"),
        ("rates", json!(["0.12345", "0"]), "rates"),
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
    let (tb, b, sb) = promoter(&app, "b").await;
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
    let _ = b;
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
