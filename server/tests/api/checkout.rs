use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn the_order_charges_exactly_the_quoted_payable_with_allocations() {
    let app = spawn_app().await;
    let t = app.login("demo").await;
    let addr = app.add_address(&t).await;
    app.post(
        "/api/cart/items",
        Some(&t),
        json!({"skuId": NUTS_750G, "quantity": 2}),
    )
    .await;
    app.post(
        "/api/cart/items",
        Some(&t),
        json!({"skuId": JERKY_SPICY, "quantity": 1}),
    )
    .await;
    let body = json!({"addressId": addr, "points": {"kind": "max"}});
    let (_, q) = app
        .post("/api/checkout/quote", Some(&t), body.clone())
        .await;
    assert!(q["shipping"]["fee"].is_i64(), "{q}");
    let before = app.stock(NUTS_750G).await;
    let (s, o) = app.checkout(&t, body, "k-exact").await;
    assert_eq!(s, 201, "{o}");
    assert_eq!(o["payable"], q["payable"]);
    assert_eq!(o["quote"]["fingerprint"], q["fingerprint"]);
    assert_eq!(o["status"], "pending_payment");
    assert_eq!(o["statusLabel"], "待付款");
    // Per-line and per-unit allocations add up to the payable.
    let snap = &o["snapshot"];
    let units: i64 = snap["lines"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["units"].as_array().unwrap().clone())
        .map(|g| g["count"].as_i64().unwrap() * g["paid"].as_i64().unwrap())
        .sum();
    assert_eq!(
        units + snap["shippingPaid"].as_i64().unwrap(),
        o["payable"].as_i64().unwrap()
    );
    assert_eq!(o["lines"].as_array().unwrap().len(), 2);
    assert_eq!(app.stock(NUTS_750G).await, before - 2);
    // Points and coupons were consumed, the cart lines are gone.
    let (_, me) = app.get("/api/member", Some(&t)).await;
    assert_eq!(
        me["points"].as_i64().unwrap(),
        5000 - o["pointsUsed"].as_i64().unwrap()
    );
    assert!(o["pointsUsed"].as_i64().unwrap() > 0);
    let (_, used) = app.get("/api/member/coupons?status=used", Some(&t)).await;
    let applied = q["coupons"]["applied"].as_array().unwrap().len();
    assert!(applied > 0);
    assert_eq!(used.as_array().unwrap().len(), applied);
    assert!(used
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["orderId"] == o["id"]));
    let (_, cart) = app.get("/api/cart", Some(&t)).await;
    assert_eq!(cart["items"], json!([]));
}

/// The quote reads the shop's rules from this instance's cache
/// (`shop_rules::cache`); another instance's save does not reach it. The
/// order re-reads them in its transaction: the quote priced with the old
/// rules is refused with the new one, and the new one is charged.
#[tokio::test]
async fn a_quote_priced_with_cached_rules_another_instance_changed_is_refused_with_the_new_quote() {
    let app = spawn_with(|c| c.rules_cache_ms = 3_600_000).await;
    let t = app.login("cached-rules").await;
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup(), "coupons": {"kind": "none"}});
    let (s, q) = app
        .post("/api/checkout/quote", Some(&t), body.clone())
        .await;
    assert_eq!(s, 200, "{q}");
    assert_eq!(q["orderDiscount"], 0, "{q}");
    // Another instance saves 满100减10: the database changes, not this cache.
    let text: String = sqlx::query_scalar("SELECT value FROM settings WHERE key = 'shop_rules'")
        .fetch_one(&app.server.state.db.pool)
        .await
        .unwrap();
    let mut rules: Value = serde_json::from_str(&text).unwrap();
    rules["campaigns"] = json!([{"campaignId": "m100-10", "rule": {"kind": "amountOff", "repeat": false,
        "tiers": [{"threshold": 10000, "amount": 1000}]}}]);
    sqlx::query("UPDATE settings SET value = $1 WHERE key = 'shop_rules'")
        .bind(rules.to_string())
        .execute(&app.server.state.db.pool)
        .await
        .unwrap();
    let (_, cached) = app
        .post("/api/checkout/quote", Some(&t), body.clone())
        .await;
    assert_eq!(
        cached["fingerprint"], q["fingerprint"],
        "still the cached rules"
    );
    let mut place = body.clone();
    place["fingerprint"] = q["fingerprint"].clone();
    place["idempotencyKey"] = json!("k-cached");
    let (s, v) = app.post("/api/orders", Some(&t), place.clone()).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("PRICE_CHANGED")), "{v}");
    let new_quote = &v["details"]["quote"];
    assert_eq!(new_quote["orderDiscount"], 1000, "{v}");
    place["fingerprint"] = new_quote["fingerprint"].clone();
    place["idempotencyKey"] = json!("k-cached-2");
    let (s, o) = app.post("/api/orders", Some(&t), place).await;
    assert_eq!(s, 201, "{o}");
    assert_eq!(o["payable"], 12900 - 1000);
}

#[tokio::test]
async fn a_stale_fingerprint_answers_price_changed_with_the_new_quote_and_charges_nothing() {
    let app = spawn_app().await;
    let t = app.login("stale").await;
    let (_, cart) = app
        .post(
            "/api/cart/items",
            Some(&t),
            json!({"skuId": NUTS_750G, "quantity": 1}),
        )
        .await;
    let line = cart["items"][0]["id"].as_i64().unwrap();
    let body = json!({"delivery": pickup()});
    let (_, q) = app
        .post("/api/checkout/quote", Some(&t), body.clone())
        .await;
    // The cart changes after the shopper saw the total.
    app.patch(
        &format!("/api/cart/items/{line}"),
        Some(&t),
        json!({"quantity": 2}),
    )
    .await;
    let mut place = body.clone();
    place["fingerprint"] = q["fingerprint"].clone();
    place["idempotencyKey"] = json!("k-stale");
    let stock = app.stock(NUTS_750G).await;
    let (s, v) = app.post("/api/orders", Some(&t), place).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("PRICE_CHANGED")), "{v}");
    let new_quote: &Value = &v["details"]["quote"];
    assert_eq!(new_quote["goodsTotal"], 2 * 12900);
    assert_ne!(new_quote["fingerprint"], q["fingerprint"]);
    assert_eq!(app.stock(NUTS_750G).await, stock);
    let (_, orders) = app.get("/api/orders", Some(&t)).await;
    assert_eq!(orders["total"], 0);
    // Confirming the new quote goes through.
    let mut again = body;
    again["fingerprint"] = new_quote["fingerprint"].clone();
    again["idempotencyKey"] = json!("k-stale-2");
    let (s, o) = app.post("/api/orders", Some(&t), again).await;
    assert_eq!(s, 201, "{o}");
    assert_eq!(o["payable"], new_quote["payable"]);
}

#[tokio::test]
async fn a_retried_submit_returns_the_same_order_once() {
    let app = spawn_app().await;
    let t = app.login("retry").await;
    let body = json!({"items": [{"skuId": JERKY_SPICY, "quantity": 3}], "delivery": pickup()});
    let stock = app.stock(JERKY_SPICY).await;
    let (s1, o1) = app.checkout(&t, body.clone(), "k-retry").await;
    let (s2, o2) = app.checkout(&t, body, "k-retry").await;
    assert_eq!((s1, s2), (201, 200));
    assert_eq!(o1["id"], o2["id"]);
    assert_eq!(app.stock(JERKY_SPICY).await, stock - 3);
    let (_, orders) = app.get("/api/orders", Some(&t)).await;
    assert_eq!(orders["total"], 1);
}

#[tokio::test]
async fn buy_now_at_the_flash_sale_price_respects_the_activity_limit() {
    let app = spawn_app().await;
    let t = app.login("flash").await;
    let item = |q: i64| json!({"items": [{"skuId": EARBUDS_WHITE, "quantity": q, "activityId": "flash-earbuds"}], "delivery": pickup()});
    let (s, o) = app.checkout(&t, item(2), "k-flash").await;
    assert_eq!(s, 201, "{o}");
    assert_eq!(o["lines"][0]["unitPrice"], 29900);
    assert_eq!(o["lines"][0]["priceSource"], "flashSale");
    let quota: Option<i64> =
        sqlx::query_scalar("SELECT stock FROM activity_skus WHERE sku_id = $1")
            .bind(EARBUDS_WHITE)
            .fetch_one(&app.server.state.db.pool)
            .await
            .unwrap();
    assert_eq!(quota, Some(48));
    // Limit 2 per shopper: a third unit is refused with the core's code.
    let (s, q) = app.post("/api/checkout/quote", Some(&t), item(1)).await;
    assert_eq!(s, 200);
    assert_eq!(q["invalidLines"][0]["error"]["code"], "OVER_PURCHASE_LIMIT");
    let mut place = item(1);
    place["fingerprint"] = q["fingerprint"].clone();
    place["idempotencyKey"] = json!("k-flash-2");
    let (s, v) = app.post("/api/orders", Some(&t), place).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("OVER_PURCHASE_LIMIT")),
        "{v}"
    );
}

#[tokio::test]
async fn placing_needs_a_delivery_and_something_to_buy() {
    let app = spawn_app().await;
    let t = app.login("empty").await;
    let (_, q) = app.post("/api/checkout/quote", Some(&t), json!({})).await;
    let place = |extra: Value| {
        let mut b = json!({"fingerprint": q["fingerprint"], "idempotencyKey": "k-empty"});
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    let (s, v) = app.post("/api/orders", Some(&t), place(json!({}))).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")));
    let (s, v) = app
        .post(
            "/api/orders",
            Some(&t),
            place(json!({"delivery": pickup()})),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("EMPTY_ORDER")));
    let (s, v) = app
        .post("/api/orders", Some(&t), json!({"idempotencyKey": "x"}))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (400, Some("INVALID_INPUT")),
        "fingerprint is required"
    );
}

#[tokio::test]
async fn a_sold_out_sku_cannot_be_ordered() {
    let app = spawn_app().await;
    let t = app.login("late").await;
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 2}], "delivery": pickup()});
    let (_, q) = app
        .post("/api/checkout/quote", Some(&t), body.clone())
        .await;
    app.set_stock(NUTS_750G, 1).await;
    let mut place = body;
    place["fingerprint"] = q["fingerprint"].clone();
    place["idempotencyKey"] = json!("k-late");
    let (s, v) = app.post("/api/orders", Some(&t), place).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("OUT_OF_STOCK")), "{v}");
    assert_eq!(v["details"]["available"], 1);
    assert_eq!(v["message"], "库存不足，仅剩1件");
}

#[tokio::test]
async fn a_manual_coupon_that_does_not_apply_is_refused() {
    let app = spawn_app().await;
    let t = app.login("demo").await;
    let (_, wallet) = app.get("/api/member/coupons", Some(&t)).await;
    let pct = wallet
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"]["kind"] == "percent")
        .unwrap()["id"]
        .to_string();
    let body = json!({"items": [{"skuId": JERKY_SPICY, "quantity": 1}], "delivery": pickup(),
                      "coupons": {"kind": "manual", "couponIds": [pct]}});
    let (s, v) = app.post("/api/checkout/quote", Some(&t), body).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("COUPON_BELOW_THRESHOLD")),
        "{v}"
    );
}

#[tokio::test]
async fn the_pricing_input_prices_to_the_servers_own_quote() {
    let app = spawn_app().await;
    let t = app.login("demo").await;
    let addr = app.add_address(&t).await;
    app.post(
        "/api/cart/items",
        Some(&t),
        json!({"skuId": NUTS_750G, "quantity": 2}),
    )
    .await;
    let body = json!({"addressId": addr, "points": {"kind": "max"}});
    let (s, p) = app
        .post("/api/checkout/input", Some(&t), body.clone())
        .await;
    assert_eq!(s, 200, "{p}");
    // What the phone computes from this input is what the server charges.
    let input: mall_core::QuoteInput = serde_json::from_value(p["input"].clone()).unwrap();
    let phone = serde_json::to_value(mall_core::quote(&input).unwrap()).unwrap();
    assert_eq!(phone, p["quote"]);
    let (_, q) = app.post("/api/checkout/quote", Some(&t), body).await;
    assert_eq!(phone["fingerprint"], q["fingerprint"]);
    assert_eq!(phone["payable"], q["payable"]);
    // The input carries the shopper's wallet: anonymous callers are refused.
    let (s, _) = app.post("/api/checkout/input", None, json!({})).await;
    assert_eq!(s, 401);
}

/// The buyer's order history is read only for what a limit counts: the
/// checkout's input carries the earlier purchases of the SKU with a per-shopper
/// limit, none of the unlimited one, and the limit still counts them.
#[tokio::test]
async fn only_purchases_a_limit_counts_are_read_and_the_limit_holds() {
    const TEA_250G_LIMIT_5: i64 = 18;
    let app = spawn_app().await;
    let t = app.login("history").await;
    let both = |tea: i64| json!({"items": [{"skuId": JERKY_SPICY, "quantity": 1}, {"skuId": TEA_250G_LIMIT_5, "quantity": tea}], "delivery": pickup()});
    let (s, o) = app.checkout(&t, both(2), "k-history-1").await;
    assert_eq!(s, 201, "{o}");
    let (s, v) = app.post("/api/checkout/input", Some(&t), both(3)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["input"]["buyer"]["purchased"],
        json!([{"skuId": TEA_250G_LIMIT_5.to_string(), "activityId": null, "quantity": 2}])
    );
    assert!(
        v["quote"]["invalidLines"].as_array().unwrap().is_empty(),
        "{v}"
    );
    // 2 bought + 4 > 5: refused with the core's code; 3 more fit exactly.
    let (_, q) = app.post("/api/checkout/quote", Some(&t), both(4)).await;
    assert_eq!(q["invalidLines"][0]["error"]["code"], "OVER_PURCHASE_LIMIT");
    let (s, o) = app.checkout(&t, both(3), "k-history-2").await;
    assert_eq!(s, 201, "{o}");
    // Nothing limited in the checkout: no history at all.
    let only_jerky =
        json!({"items": [{"skuId": JERKY_SPICY, "quantity": 1}], "delivery": pickup()});
    let (_, v) = app.post("/api/checkout/input", Some(&t), only_jerky).await;
    assert_eq!(v["input"]["buyer"]["purchased"], json!([]));
}
