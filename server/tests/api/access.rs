use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn shoppers_cannot_see_or_change_each_others_cart_addresses_or_orders() {
    let app = spawn_app().await;
    let alice = app.login("alice").await;
    let mallory = app.login("mallory").await;
    let (_, cart) = app
        .post(
            "/api/cart/items",
            Some(&alice),
            json!({"skuId": NUTS_750G, "quantity": 1}),
        )
        .await;
    let item = cart["items"][0]["id"].as_i64().unwrap();
    let addr = app.add_address(&alice).await;
    let (s, order) = app
        .checkout(
            &alice,
            json!({"items": [{"skuId": JERKY_SPICY, "quantity": 1}], "addressId": addr}),
            "k-alice",
        )
        .await;
    assert_eq!(s, 201, "{order}");
    let order = order["id"].as_i64().unwrap();

    let m = Some(mallory.as_str());
    let attempts = [
        app.patch(
            &format!("/api/cart/items/{item}"),
            m,
            json!({"quantity": 5}),
        )
        .await,
        app.delete(&format!("/api/cart/items/{item}"), m).await,
        app.get(&format!("/api/addresses/{addr}"), m).await,
        app.put(
            &format!("/api/addresses/{addr}"),
            m,
            address_body("X", "13000000000", "y"),
        )
        .await,
        app.delete(&format!("/api/addresses/{addr}"), m).await,
        app.post(&format!("/api/addresses/{addr}/default"), m, json!({}))
            .await,
        app.get(&format!("/api/orders/{order}"), m).await,
        app.post(&format!("/api/orders/{order}/cancel"), m, json!({}))
            .await,
        app.post(
            &format!("/api/orders/{order}/confirm-receipt"),
            m,
            json!({}),
        )
        .await,
    ];
    for (s, v) in &attempts {
        assert_eq!((*s, v["code"].as_str()), (404, Some("NOT_FOUND")), "{v}");
    }
    // Mallory's own lists do not show Alice's things...
    let (_, v) = app.get("/api/cart", m).await;
    assert_eq!(v["items"], json!([]));
    let (_, v) = app.get("/api/addresses", m).await;
    assert_eq!(v, json!([]));
    let (_, v) = app.get("/api/orders", m).await;
    assert_eq!(v["total"], 0);
    // ...nor can Mallory check out with Alice's address.
    let (s, v) = app
        .post(
            "/api/checkout/quote",
            m,
            json!({"items": [{"skuId": JERKY_SPICY, "quantity": 1}], "addressId": addr}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")));
    // Alice's things are untouched.
    let (_, v) = app.get("/api/cart", Some(&alice)).await;
    assert_eq!(v["items"][0]["quantity"], 1);
    let (_, v) = app
        .get(&format!("/api/addresses/{addr}"), Some(&alice))
        .await;
    assert_eq!(v["name"], "张三");
    let (_, v) = app.get(&format!("/api/orders/{order}"), Some(&alice)).await;
    assert_eq!(v["status"], "pending_payment");
}

#[tokio::test]
async fn merchant_endpoints_need_the_merchant_credential() {
    let app = spawn_app().await;
    let shopper = app.login("shopper").await;
    let path = format!("/api/merchant/skus/{NUTS_750G}/stock");
    let (s, v) = app.put(&path, None, json!({"stock": 1})).await;
    assert_eq!((s, v["code"].as_str()), (403, Some("FORBIDDEN")));
    let (s, _) = app.put(&path, Some(&shopper), json!({"stock": 1})).await;
    assert_eq!(s, 403);
    let res = app
        .http
        .put(format!("{}{path}", app.url))
        .header("x-merchant-token", "guess")
        .json(&json!({"stock": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let (s, _) = app
        .merchant(Method::PUT, &path, Some(json!({"stock": 7})))
        .await;
    assert_eq!(s, 200);
    assert_eq!(app.stock(NUTS_750G).await, 7);
}

#[tokio::test]
async fn the_merchant_reads_any_order_and_a_bad_token_on_a_public_page_is_anonymous() {
    let app = spawn_app().await;
    let t = app.login("someone").await;
    let (_, o) = app
        .checkout(
            &t,
            json!({"items": [{"skuId": JERKY_SPICY, "quantity": 1}], "delivery": pickup()}),
            "k-m",
        )
        .await;
    let id = o["id"].as_i64().unwrap();
    let (s, v) = app
        .merchant(Method::GET, &format!("/api/merchant/orders/{id}"), None)
        .await;
    assert_eq!((s, &v["orderNo"]), (200, &o["orderNo"]));
    let (s, _) = app
        .get(&format!("/api/merchant/orders/{id}"), Some(&t))
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .get("/api/search?keyword=x", Some("expired-token"))
        .await;
    assert_eq!(s, 200);
}
