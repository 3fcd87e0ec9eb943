//! 秒杀: the admission gate in front of the database and the flash-sale
//! page's state. The demo shop's sale `flash-earbuds` sells EARBUDS_WHITE at
//! ¥299, 2 per shopper.

use std::sync::Arc;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

pub(crate) const SALE: &str = "flash-earbuds";

pub(crate) fn item(q: i64) -> Value {
    json!({"items": [{"skuId": EARBUDS_WHITE, "quantity": q, "activityId": SALE}], "delivery": pickup()})
}

pub(crate) async fn set_quota(app: &TestApp, n: i64) {
    app.exec(&format!(
        "UPDATE activity_skus SET stock = {n} WHERE activity_id = '{SALE}'"
    ))
    .await;
}

pub(crate) async fn quota(app: &TestApp) -> i64 {
    count(
        app,
        &format!("SELECT stock FROM activity_skus_left WHERE activity_id = '{SALE}'"),
    )
    .await
}

/// A quoted, ready-to-place order body for `token`.
pub(crate) async fn ready(app: &TestApp, token: &str, key: &str) -> Value {
    let (s, q) = app.post("/api/checkout/quote", Some(token), item(1)).await;
    assert_eq!(s, 200, "{q}");
    let mut b = item(1);
    b["fingerprint"] = q["fingerprint"].clone();
    b["idempotencyKey"] = json!(key);
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_buyers_retrying_through_the_gate_get_exactly_the_quota() {
    const N: usize = 200;
    const K: i64 = 20;
    let app = Arc::new(spawn_with(|c| c.db_max_connections = 16).await);
    app.set_stock(EARBUDS_WHITE, 1000).await;
    set_quota(&app, K).await;
    let mut buyers = Vec::with_capacity(N);
    for i in 0..N {
        let t = app.login(&format!("flash-{i}")).await;
        let b = ready(&app, &t, &format!("k-{i}")).await;
        buyers.push((t, b));
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(N));
    let mut tasks = tokio::task::JoinSet::new();
    for (t, body) in buyers {
        let (app, barrier) = (app.clone(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            // A shopper's page retries 排队中 after retryAfterMs (shortened here).
            for _ in 0..200 {
                let (s, v) = app.post("/api/orders", Some(&t), body.clone()).await;
                if s == 429 {
                    assert_eq!(v["code"], "FLASH_QUEUED", "{v}");
                    let ms = v["details"]["retryAfterMs"].as_u64().unwrap();
                    assert!((500..1000).contains(&ms), "{v}");
                    tokio::time::sleep(std::time::Duration::from_millis(ms / 50)).await;
                    continue;
                }
                return (s, v);
            }
            panic!("still queued after 200 tries");
        });
    }
    let (mut ok, mut sold_out) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        match r.unwrap() {
            (201, _) => ok += 1,
            (409, v) if v["code"] == "OUT_OF_STOCK" => sold_out += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!((ok, sold_out), (K as usize, N - K as usize));
    assert_eq!(quota(&app).await, 0);
    let sold = count(
        &app,
        &format!("SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM order_lines WHERE activity_id = '{SALE}'"),
    )
    .await;
    assert_eq!(sold, K);
    assert_eq!(app.stock(EARBUDS_WHITE).await, 1000 - K);
}

#[tokio::test]
async fn a_sold_out_sale_is_answered_before_the_session_is_read_until_units_come_back() {
    let app = spawn_app().await;
    set_quota(&app, 1).await;
    let (a, b) = (app.login("fa").await, app.login("fb").await);
    let (body_a, body_b) = (ready(&app, &a, "a-1").await, ready(&app, &b, "b-1").await);
    let (s, won) = app.post("/api/orders", Some(&a), body_a).await;
    assert_eq!(s, 201, "{won}");
    // The database refuses b, and the gate remembers.
    let (s, v) = app.post("/api/orders", Some(&b), body_b.clone()).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("OUT_OF_STOCK")), "{v}");
    // A token no session has: still OUT_OF_STOCK, not UNAUTHORIZED, so the
    // answer came from memory, without reading the sessions table.
    let (s, v) = app
        .post("/api/orders", Some("no-such-session"), body_b.clone())
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("OUT_OF_STOCK")), "{v}");
    // The answer names the layer that gave it.
    let res = app
        .http
        .post(format!("{}/api/orders", app.url))
        .bearer_auth(&b)
        .json(&body_b)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-mall-answered-by"], "gate");
    // Without any token it is 401 as always.
    let (s, _) = app.post("/api/orders", None, body_b.clone()).await;
    assert_eq!(s, 401);
    // a cancels: the unit is sellable again at once.
    let id = won["id"].as_i64().unwrap();
    let (s, v) = app
        .post(&format!("/api/orders/{id}/cancel"), Some(&a), json!({}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(quota(&app).await, 1);
    let mut again = body_b;
    again["idempotencyKey"] = json!("b-2");
    let (s, v) = app.post("/api/orders", Some(&b), again).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(quota(&app).await, 0);
}

#[tokio::test]
async fn outside_its_window_a_sale_refuses_from_memory_with_the_core_codes() {
    let app = spawn_app().await;
    let t = app.login("early").await;
    let body = ready(&app, &t, "w-1").await;
    let now = mall_server::db::now();
    for (starts, ends, code) in [
        (now + 600, now + 7200, "ACTIVITY_NOT_STARTED"),
        (now - 7200, now - 600, "ACTIVITY_ENDED"),
    ] {
        let (s, v) = app
            .merchant(
                Method::PUT,
                &format!("/admin/api/marketing/activities/{SALE}"),
                Some(json!({"kind": "flashSale", "title": "耳机限时秒杀", "startsAt": starts, "endsAt": ends,
                    "perUserLimit": 2, "skus": [{"skuId": EARBUDS_WHITE, "price": 29900, "stock": 50}]})),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        // Again a token without a session: refused by the gate, not the session check.
        let (s, v) = app
            .post("/api/orders", Some("no-such-session"), body.clone())
            .await;
        assert_eq!((s, v["code"].as_str()), (422, Some(code)), "{v}");
    }
}

#[tokio::test]
async fn a_shopper_retrying_too_fast_is_queued_with_retry_after() {
    let app = spawn_with(|c| {
        c.flash.user_burst = 1;
        c.flash.user_per_sec = 0;
    })
    .await;
    let t = app.login("fast").await;
    let body = ready(&app, &t, "f-1").await;
    let (s, v) = app.post("/api/orders", Some(&t), body.clone()).await;
    assert_eq!(s, 201, "{v}");
    let mut again = body;
    again["idempotencyKey"] = json!("f-2");
    let res = app
        .http
        .post(format!("{}/api/orders", app.url))
        .bearer_auth(&t)
        .json(&again)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 429);
    assert_eq!(res.headers()["retry-after"], "1");
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["code"], "FLASH_QUEUED");
    let ms = v["details"]["retryAfterMs"].as_u64().unwrap();
    assert!((500..1000).contains(&ms), "{v}");
    // Items outside a flash sale are not held back.
    let (s, v) = app
        .checkout(
            &t,
            json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()}),
            "f-3",
        )
        .await;
    assert_eq!(s, 201, "{v}");
}

#[tokio::test]
async fn the_sale_page_shows_units_left_and_the_shoppers_state_on_the_server_clock() {
    let app = spawn_app().await;
    let (s, v) = app.get(&format!("/api/flash-sales/{SALE}"), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["perUserLimit"], 2);
    assert!(v["now"].as_i64().unwrap() >= v["startsAt"].as_i64().unwrap());
    let sku = &v["skus"][0];
    assert_eq!(
        (
            sku["skuId"].as_i64(),
            sku["price"].as_i64(),
            sku["unitsLeft"].as_i64()
        ),
        (Some(EARBUDS_WHITE), Some(29900), Some(50))
    );
    assert_eq!(sku["state"]["phase"], "selling");
    assert_eq!(sku["state"]["maxQuantity"], 2);
    let t = app.login("page").await;
    let (s, o) = app.checkout(&t, item(2), "p-1").await;
    assert_eq!(s, 201, "{o}");
    let (_, v) = app.get(&format!("/api/flash-sales/{SALE}"), Some(&t)).await;
    assert_eq!(v["userBought"], 2);
    assert_eq!(v["skus"][0]["unitsLeft"], 48);
    assert_eq!(v["skus"][0]["state"]["phase"], "limitReached");
    // Someone else still sees it selling; an unknown sale is 404, an id over
    // 64 characters is refused at the edge.
    let (_, v) = app.get(&format!("/api/flash-sales/{SALE}"), None).await;
    assert_eq!(v["skus"][0]["state"]["phase"], "selling");
    let (s, _) = app.get("/api/flash-sales/nope", None).await;
    assert_eq!(s, 404);
    let (s, v) = app
        .get(&format!("/api/flash-sales/{}", "x".repeat(65)), None)
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
}

#[tokio::test]
async fn a_retry_of_a_lost_answer_gets_its_order_even_after_the_sale_sold_out() {
    let app = spawn_app().await;
    set_quota(&app, 1).await;
    let (a, b) = (app.login("lost-a").await, app.login("lost-b").await);
    let (body_a, body_b) = (ready(&app, &a, "a-1").await, ready(&app, &b, "b-1").await);
    let (s, won) = app.post("/api/orders", Some(&a), body_a.clone()).await;
    assert_eq!(s, 201, "{won}");
    let (s, _) = app.post("/api/orders", Some(&b), body_b).await;
    assert_eq!(s, 409);
    // a never saw its 201 and repeats the call with the same key: marked as a
    // retry, it reaches the database and gets its order back (the kill -9
    // test found the gate answering OUT_OF_STOCK to a shopper whose order
    // existed, after the server was killed mid-sale).
    let (s, v) = place_again(&app, &a, &body_a).await;
    assert_eq!(s, 200);
    assert_eq!(v["id"], won["id"]);
}

/// Place an order marked as the repeat of a call whose answer was lost.
async fn place_again(app: &TestApp, token: &str, body: &Value) -> (u16, Value) {
    let res = app
        .http
        .post(format!("{}/api/orders", app.url))
        .bearer_auth(token)
        .header("x-mall-retry", "1")
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

/// A retry mark on an order outside any flash sale is not rate-limited:
/// schemathesis found an ordinary order answered 429 FLASH_QUEUED after a few
/// quick repeats marked `X-Mall-Retry`.
#[tokio::test]
async fn a_retry_mark_on_an_ordinary_order_is_never_queued() {
    let app = spawn_app().await;
    let t = app.login("plain-retry").await;
    let body = json!({"items": [{"skuId": JERKY_SPICY, "quantity": 1}], "delivery": pickup()});
    let (_, q) = app
        .post("/api/checkout/quote", Some(&t), body.clone())
        .await;
    let mut place = body;
    place["fingerprint"] = q["fingerprint"].clone();
    place["idempotencyKey"] = json!("plain-retry-1");
    let mut ids = Vec::new();
    for _ in 0..20 {
        let (status, v) = place_again(&app, &t, &place).await;
        assert!(status == 201 || status == 200, "{status}: {v}");
        ids.push(v["id"].as_i64().unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1);
}

/// The cart would bypass the sale's admission: a flash-sale item is bought
/// now. Adding one is refused; a cart that holds one from before is not
/// checked out (the line is named), and without it the cart checks out.
#[tokio::test]
async fn a_flash_sale_item_is_bought_now_never_from_the_cart() {
    let app = spawn_app().await;
    let t = app.login("cart-flash").await;
    let (s, v) = app
        .post(
            "/api/cart/items",
            Some(&t),
            json!({"skuId": EARBUDS_WHITE, "quantity": 1, "activityId": SALE}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("FLASH_BUY_NOW_ONLY")),
        "{v}"
    );
    assert_eq!(v["details"]["activityId"], SALE);
    let (_, cart) = app.get("/api/cart", Some(&t)).await;
    assert_eq!(cart["items"].as_array().map(Vec::len), Some(0), "{cart}");
    // The same SKU at its ordinary price goes in the cart.
    let (s, v) = app
        .post(
            "/api/cart/items",
            Some(&t),
            json!({"skuId": EARBUDS_WHITE, "quantity": 1}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // A line put in the cart before the rule: the checkout names it.
    app.exec(&format!(
        "UPDATE cart_items SET activity_id = '{SALE}' WHERE sku_id = {EARBUDS_WHITE}"
    ))
    .await;
    let (s, v) = app
        .post(
            "/api/checkout/quote",
            Some(&t),
            json!({"delivery": pickup()}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("FLASH_BUY_NOW_ONLY")),
        "{v}"
    );
    assert_eq!(v["details"]["activityId"], SALE);
    assert!(v["details"]["lineId"].is_string(), "{v}");
    let before = quota(&app).await;
    let (s, v) = app
        .post(
            "/api/orders",
            Some(&t),
            json!({"delivery": pickup(), "fingerprint": "x", "idempotencyKey": "cart-flash-1"}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("FLASH_BUY_NOW_ONLY")),
        "{v}"
    );
    assert_eq!(quota(&app).await, before);
    app.exec("UPDATE cart_items SET activity_id = ''").await;
    let (s, v) = app
        .post(
            "/api/checkout/quote",
            Some(&t),
            json!({"delivery": pickup()}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
}

/// A limit of one per shopper is a key (`flash::buyers`): 50 tries of one
/// shopper at once, each with its own idempotency key, make one order and
/// one key; its cancellation frees the key and the shopper buys again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_limit_of_one_is_a_key_one_shopper_trying_fifty_times_at_once_gets_one_unit() {
    let app = Arc::new(
        spawn_with(|c| {
            c.db_max_connections = 16;
            // The shopper's rate limit would queue most of the fifty.
            c.flash.user_burst = 100;
            c.flash.user_per_sec = 100;
        })
        .await,
    );
    app.set_stock(EARBUDS_WHITE, 1000).await;
    set_quota(&app, 100).await;
    app.exec(&format!(
        "UPDATE activities SET per_user_limit = 1 WHERE id = '{SALE}'"
    ))
    .await;
    let t = app.login("one-each").await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let (app, t) = (app.clone(), t.clone());
        tasks.spawn(async move {
            let body = ready(&app, &t, &format!("one-{i}")).await;
            loop {
                let (s, v) = app.post("/api/orders", Some(&t), body.clone()).await;
                if s != 429 {
                    return (s, v);
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        });
    }
    let mut won = Vec::new();
    while let Some(r) = tasks.join_next().await {
        match r.unwrap() {
            (201, v) => won.push(v["id"].as_i64().unwrap()),
            (409 | 422, v) if v["code"] == "OVER_PURCHASE_LIMIT" => {}
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!(won.len(), 1, "{won:?}");
    let keys = format!("SELECT COUNT(*) FROM flash_buyers WHERE activity_id = '{SALE}'");
    assert_eq!(count(&app, &keys).await, 1);
    assert_eq!(quota(&app).await, 99);
    let (s, v) = app
        .post(
            &format!("/api/orders/{}/cancel", won[0]),
            Some(&t),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(count(&app, &keys).await, 0);
    let body = ready(&app, &t, "one-again").await;
    // 排队中 while the shopper's rate limit refills.
    let (s, v) = loop {
        let (s, v) = app.post("/api/orders", Some(&t), body.clone()).await;
        if s != 429 {
            break (s, v);
        }
        let ms = v["details"]["retryAfterMs"].as_u64().unwrap_or(500);
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    };
    assert_eq!(s, 201, "{v}");
    assert_eq!(count(&app, &keys).await, 1);
}
