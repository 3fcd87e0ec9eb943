//! 为你推荐 / 猜你喜欢 (issue 16): the job builds the model from co-views and
//! co-purchases once per window however many instances try; a shopper's list
//! comes from what they viewed, with the reason; what is off the shelf, sold
//! out, just bought (consumables excepted), on screen or in the cart never
//! shows, even before the cached states refresh; anonymous shoppers get the
//! best sellers; impressions and clicks per slot reach the dashboard with the
//! orders they led to.

use mall_server::recommend::model;
use serde_json::{json, Value};

use crate::helpers::*;

// The seed's products: 1 T恤, 2 连衣裙, 3 手机, 4 耳机, 5 坚果, 6 龙井, 7 牛肉干, 8 衬衫.
const TEE: i64 = 1;
const DRESS: i64 = 2;
const EARBUDS: i64 = 4;
const JERKY: i64 = 7;
const SHIRT: i64 = 8;

fn uuid(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

fn event(n: u32, name: &str, session: &str, props: Value) -> Value {
    json!({"uuid": uuid(n), "name": name, "ts": mall_server::db::now() * 1000,
           "sessionId": session, "visitorId": format!("v-{session}"), "props": props})
}

async fn send(app: &TestApp, token: Option<&str>, events: Vec<Value>) {
    let (s, v) = app
        .post("/api/events", token, json!({ "events": events }))
        .await;
    assert_eq!(s, 202, "{v}");
}

/// The shopper views these products (one session each).
async fn views(app: &TestApp, token: &str, session: &str, first: u32, products: &[i64]) {
    let events = products
        .iter()
        .enumerate()
        .map(|(i, p)| {
            event(
                first + i as u32,
                "product_view",
                session,
                json!({"productId": p}),
            )
        })
        .collect();
    send(app, Some(token), events).await;
}

async fn recs(app: &TestApp, token: Option<&str>, query: &str) -> Vec<Value> {
    let (s, v) = app
        .get(&format!("/api/recommendations?{query}"), token)
        .await;
    assert_eq!(s, 200, "{v}");
    v["items"].as_array().unwrap().clone()
}

fn ids(items: &[Value]) -> Vec<i64> {
    items.iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

/// What the merchant's rebuild does (the job: hourly).
async fn rebuild(app: &TestApp) -> Value {
    let (s, v) = app
        .merchant(
            reqwest::Method::POST,
            "/api/merchant/recommendations/rebuild",
            Some(json!({})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

#[tokio::test]
async fn a_shopper_sees_what_others_viewed_with_it_and_never_what_may_not_be_shown() {
    let app = spawn_app().await;
    // Six shoppers view the T恤 with the 衬衫, two with the 连衣裙.
    for i in 0..8u32 {
        let t = app.login(&format!("viewer-{i}")).await;
        let other = if i < 6 { SHIRT } else { DRESS };
        views(&app, &t, &format!("s{i}"), 100 * i + 1, &[TEE, other]).await;
    }
    let x = app.login("shopper-x").await;
    views(&app, &x, "sx", 900, &[TEE]).await;

    // Before any build: everyone gets the best sellers (by the sales counter).
    let anon = recs(&app, None, "slot=home&count=8").await;
    assert_eq!(ids(&anon), vec![7, 5, 4, 1, 6, 2, 8, 3]);
    assert!(anon.iter().all(|i| i["reason"]["kind"] == "bestSeller"
        && i["reason"]["text"] == "热销好物"
        && i["reason"].get("productId").is_none()));

    let built = rebuild(&app).await;
    assert_eq!(
        (
            &built["views"],
            &built["purchases"],
            &built["productsWithNeighbours"]
        ),
        (&json!(17), &json!(0), &json!(3))
    );
    let home = recs(&app, Some(&x), "slot=home").await;
    assert_eq!(&ids(&home)[..2], &[SHIRT, DRESS], "{home:?}");
    assert_eq!(
        home[0]["reason"],
        json!({"kind": "viewed", "productId": TEE, "text": "因为你看过「纯棉圆领短袖T恤」"})
    );
    assert!(home[2..]
        .iter()
        .all(|i| i["reason"]["kind"] == "bestSeller"));
    // Ten asked, the seed has eight products: each once.
    let mut all = ids(&home);
    all.sort();
    assert_eq!(all, (1..=8).collect::<Vec<i64>>());
    assert!(home[0]["price"].as_i64().unwrap() > 0 && home[0]["title"].is_string());

    // 猜你喜欢 on the T恤's page, for anyone: never the T恤 itself.
    let page = recs(
        &app,
        None,
        &format!("slot=product&productId={TEE}&count=30"),
    )
    .await;
    assert_eq!(&ids(&page)[..2], &[SHIRT, DRESS]);
    assert!(!ids(&page).contains(&TEE));
    assert_eq!(
        page[0]["reason"],
        json!({"kind": "viewed", "productId": TEE, "text": "看过此商品的人也喜欢"})
    );

    // Off the shelf, then sold out: gone at once (the cached states are 30 s old at most).
    app.exec(&format!(
        "UPDATE products SET on_shelf = 0 WHERE id = {SHIRT}"
    ))
    .await;
    let home = recs(&app, Some(&x), "slot=home&count=30").await;
    assert_eq!(ids(&home)[0], DRESS);
    assert!(!ids(&home).contains(&SHIRT));
    app.exec(&format!(
        "UPDATE products SET on_shelf = 1 WHERE id = {SHIRT}"
    ))
    .await;
    app.exec(&format!(
        "UPDATE skus SET stock = 0 WHERE product_id = {DRESS}"
    ))
    .await;
    let home = recs(&app, Some(&x), "slot=home&count=30").await;
    assert_eq!(ids(&home)[0], SHIRT);
    assert!(!ids(&home).contains(&DRESS));
    // The next model (states read again) agrees.
    rebuild(&app).await;
    assert!(!ids(&recs(&app, Some(&x), "slot=home&count=30").await).contains(&DRESS));

    // Below the cart: seeded by the cart, never what is in it.
    let (s, v) = app
        .post(
            "/api/cart/items",
            Some(&x),
            json!({"skuId": TEE_WHITE_M, "quantity": 1}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let cart = recs(&app, Some(&x), "slot=cart&count=30").await;
    assert_eq!(ids(&cart)[0], SHIRT);
    assert_eq!(
        cart[0]["reason"]["text"],
        "和购物车里的「纯棉圆领短袖T恤」很配"
    );
    assert!(!ids(&cart).contains(&TEE));

    // Just bought: the earbuds go; the jerky (食品, consumable in the seed) stays.
    for (key, sku) in [("buy-earbuds", EARBUDS_WHITE), ("buy-jerky", JERKY_SPICY)] {
        let body = json!({"items": [{"skuId": sku, "quantity": 1}], "delivery": pickup()});
        let (id, no, _) = place(&app, &x, body, key).await;
        pay_now(&app, &x, id, &no).await;
    }
    let home = ids(&recs(&app, Some(&x), "slot=home&count=30").await);
    assert!(!home.contains(&EARBUDS), "{home:?}");
    assert!(home.contains(&JERKY), "{home:?}");
    // Someone else still sees the earbuds.
    assert!(ids(&recs(&app, None, "slot=home&count=30").await).contains(&EARBUDS));
}

#[tokio::test]
async fn bad_asks_get_the_error_shape() {
    let app = spawn_app().await;
    let (s, v) = app.get("/api/recommendations?slot=product", None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("RECOMMEND_PRODUCT_REQUIRED")),
        "{v}"
    );
    assert!(v["message"].is_string());
    for q in [
        "slot=home&count=0",
        "slot=home&count=31",
        "slot=shelf",
        "slot=search",
        "slot=home&ch=a%20b",
        "count=3",
    ] {
        let (s, v) = app.get(&format!("/api/recommendations?{q}"), None).await;
        assert_eq!(s, 400, "{q}: {v}");
        assert!(v["code"].is_string() && v["message"].is_string(), "{v}");
    }
    // A product that does not exist: best sellers, still 200.
    let items = recs(&app, None, "slot=product&productId=999999").await;
    assert_eq!(items.len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_model_is_built_once_per_window_however_many_instances_try() {
    let app = spawn_with(|c| c.db_max_connections = 8).await;
    let state = app.server.state.clone();
    let now = mall_server::db::now();
    let tries = (0..40).map(|_| {
        let state = state.clone();
        tokio::spawn(async move { model::rebuild_due(&state.db, &state.recs, now).await })
    });
    let mut built = 0;
    for t in tries {
        if t.await.unwrap().unwrap().is_some() {
            built += 1;
        }
    }
    assert_eq!(built, 1);
    assert_eq!(count(&app, "SELECT version FROM recommend_model").await, 1);
    // Within the window nothing more; after it, once again.
    assert!(model::rebuild_due(&state.db, &state.recs, now + 60)
        .await
        .unwrap()
        .is_none());
    assert!(
        model::rebuild_due(&state.db, &state.recs, now + model::REBUILD_EVERY_SECS)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(count(&app, "SELECT version FROM recommend_model").await, 2);
}

#[tokio::test]
async fn impressions_clicks_and_orders_per_slot_reach_the_dashboard() {
    let app = spawn_app().await;
    let x = app.login("slot-shopper").await;
    let rec = |n, name: &str, slot: &str, p: i64| {
        event(n, name, "sx", json!({"slot": slot, "productId": p}))
    };
    send(
        &app,
        Some(&x),
        vec![
            rec(1, "rec_impression", "home", SHIRT),
            rec(2, "rec_impression", "home", DRESS),
            rec(3, "rec_impression", "home", EARBUDS),
            rec(4, "rec_click", "home", EARBUDS),
            rec(5, "rec_impression", "product", SHIRT),
            rec(4, "rec_click", "home", EARBUDS), // a retry: stored once
        ],
    )
    .await;
    let body = json!({"items": [{"skuId": EARBUDS_WHITE, "quantity": 1}], "delivery": pickup()});
    let (id, no, _) = place(&app, &x, body, "slot-order").await;
    pay_now(&app, &x, id, &no).await;
    // An order of another product from the same session is not the click's.
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()});
    let (id, no, _) = place(&app, &x, body, "slot-order-2").await;
    pay_now(&app, &x, id, &no).await;

    let today = &mall_server::clock::beijing_rfc3339(mall_server::db::now())[..10];
    let (s, v) = app
        .merchant(
            reqwest::Method::GET,
            &format!("/admin/api/stats/rec-slots?from={today}&to={today}"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["items"],
        json!([
            {"slot": "home", "impressions": 3, "clicks": 1, "clickThrough": "0.3333", "orders": 1, "conversion": "1.0000"},
            {"slot": "product", "impressions": 1, "clicks": 0, "clickThrough": "0.0000", "orders": 0, "conversion": "0.0000"},
            {"slot": "cart", "impressions": 0, "clicks": 0, "clickThrough": "0.0000", "orders": 0, "conversion": "0.0000"}
        ])
    );

    // A recommendation event must name its slot and product, and only it may.
    for (n, e) in [
        (
            20,
            event(20, "rec_click", "sx", json!({"productId": SHIRT})),
        ),
        (
            21,
            event(21, "rec_impression", "sx", json!({"slot": "home"})),
        ),
        (22, event(22, "page_view", "sx", json!({"slot": "home"}))),
    ] {
        let (s, v) = app.post("/api/events", None, json!({"events": [e]})).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (422, Some("EVENT_REC_SLOT")),
            "{n}: {v}"
        );
    }
    let (s, v) = app
        .post(
            "/api/events",
            None,
            json!({"events": [event(23, "rec_click", "sx", json!({"slot": "shelf", "productId": 1}))]}),
        )
        .await;
    assert_eq!(
        (s, &v["details"]["field"]),
        (400, &json!("props.slot")),
        "{v}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM rec_events").await, 5);
}

/// 搜索联想 personalised: the shopper's own searches first, then titles in
/// the categories they look at, then by popularity.
#[tokio::test]
async fn suggestions_put_the_shoppers_searches_and_categories_first() {
    let app = spawn_app().await;
    let pos = |v: &Value, text: &str| {
        v["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .position(|s| s == text)
    };
    const PHONE: &str = "星耀 5G 智能手机";
    const BUDS: &str = "降噪真无线蓝牙耳机";
    let q = "/api/search/suggest?q=%E6%9C%BA"; // 机
    let (s, anon) = app.get(q, None).await;
    assert_eq!(s, 200, "{anon}");
    assert!(pos(&anon, BUDS) < pos(&anon, PHONE), "by sales: {anon}");
    assert!(pos(&anon, PHONE).is_some());

    let t = app.login("suggest-shopper").await;
    views(&app, &t, "sq", 1, &[3, 3]).await; // the phone
    let (_, v) = app.get(q, Some(&t)).await;
    assert_eq!(pos(&v, PHONE), Some(0), "{v}");
    assert_eq!(
        v["items"][0],
        json!({"text": PHONE, "source": "preferredCategory"})
    );
    assert!(pos(&v, BUDS).is_some());

    let (s, _) = app
        .get(
            "/api/search?keyword=%E6%9C%BA%E6%A2%B0%E9%94%AE%E7%9B%98",
            Some(&t),
        ) // 机械键盘
        .await;
    assert_eq!(s, 200);
    let (_, v) = app.get(q, Some(&t)).await;
    assert_eq!(
        v["items"][0],
        json!({"text": "机械键盘", "source": "history"}),
        "{v}"
    );
    assert_eq!(pos(&v, PHONE), Some(1), "{v}");
    // Someone else: the search became one of the shop's words, by popularity only.
    let (_, other) = app.get(q, None).await;
    assert_eq!(other["items"][0], anon["items"][0]);
    assert!(other["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["source"] == "popular"));
}
