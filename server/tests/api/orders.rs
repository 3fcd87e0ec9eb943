use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

async fn place(app: &TestApp, t: &str, sku: i64, qty: i64, key: &str) -> i64 {
    let body = json!({"items": [{"skuId": sku, "quantity": qty}], "delivery": pickup(), "points": {"kind": "max"}});
    let (s, o) = app.checkout(t, body, key).await;
    assert_eq!(s, 201, "{o}");
    o["id"].as_i64().unwrap()
}

#[tokio::test]
async fn an_order_walks_the_state_machine_and_illegal_steps_are_refused() {
    let app = spawn_app().await;
    let t = app.login("demo").await;
    let id = place(&app, &t, NUTS_750G, 1, "k1").await;
    let (s, v) = app
        .post(
            &format!("/api/orders/{id}/confirm-receipt"),
            Some(&t),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("ILLEGAL_STATE_TRANSITION"))
    );
    assert_eq!(v["message"], "订单待付款，不能确认收货");
    let (s, v) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/orders/{id}/mark-paid"),
            None,
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("paid")));
    assert!(v["paidAt"].is_i64());
    let (s, v) = app
        .post(&format!("/api/orders/{id}/cancel"), Some(&t), json!({}))
        .await;
    assert_eq!(
        (s, v["details"]["status"].as_str()),
        (409, Some("paid")),
        "paid orders are not cancelled here"
    );
    let (_, v) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/orders/{id}/ship"),
            Some(json!({"carrier": "顺丰", "trackingNo": "SF100"})),
        )
        .await;
    assert_eq!(v["status"], "shipped");
    assert_eq!(v["actions"], json!(["confirmReceipt"]));
    let (_, before) = app.get("/api/member", Some(&t)).await;
    let (s, v) = app
        .post(
            &format!("/api/orders/{id}/confirm-receipt"),
            Some(&t),
            json!({}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("completed")), "{v}");
    // Growth and points are earned on completion, as the quote promised.
    let (_, after) = app.get("/api/member", Some(&t)).await;
    let rewards = &v["quote"]["rewards"];
    assert_eq!(
        after["member"]["growth"].as_i64().unwrap() - before["member"]["growth"].as_i64().unwrap(),
        rewards["growth"].as_i64().unwrap()
    );
    assert_eq!(
        after["points"].as_i64().unwrap() - before["points"].as_i64().unwrap(),
        rewards["points"].as_i64().unwrap()
    );
    let (s, _) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/orders/{id}/ship"),
            Some(json!({"carrier": "顺丰", "trackingNo": "SF100"})),
        )
        .await;
    assert_eq!(s, 409);
}

#[tokio::test]
async fn cancelling_an_unpaid_order_gives_back_stock_coupons_and_points() {
    let app = spawn_app().await;
    let t = app.login("demo").await;
    let stock = app.stock(NUTS_750G).await;
    let id = place(&app, &t, NUTS_750G, 2, "k-cancel").await;
    let (_, o) = app.get(&format!("/api/orders/{id}"), Some(&t)).await;
    assert!(o["pointsUsed"].as_i64().unwrap() > 0);
    let (_, avail_before) = app
        .get("/api/member/coupons?status=available", Some(&t))
        .await;
    let (s, v) = app
        .post(&format!("/api/orders/{id}/cancel"), Some(&t), json!({}))
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("cancelled")), "{v}");
    assert_eq!(v["cancelReason"], "cancelled by shopper");
    assert_eq!(app.stock(NUTS_750G).await, stock);
    let (_, me) = app.get("/api/member", Some(&t)).await;
    assert_eq!(me["points"], 5000);
    let (_, avail) = app
        .get("/api/member/coupons?status=available", Some(&t))
        .await;
    assert_eq!(
        avail.as_array().unwrap().len(),
        avail_before.as_array().unwrap().len()
            + o["quote"]["coupons"]["applied"].as_array().unwrap().len()
    );
    let (s, v) = app
        .post(&format!("/api/orders/{id}/cancel"), Some(&t), json!({}))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("ILLEGAL_STATE_TRANSITION"))
    );
}

#[tokio::test]
async fn orders_are_listed_by_status_tab() {
    let app = spawn_app().await;
    let t = app.login("tabs").await;
    let a = place(&app, &t, JERKY_SPICY, 1, "ka").await;
    let b = place(&app, &t, JERKY_SPICY, 1, "kb").await;
    let c = place(&app, &t, JERKY_SPICY, 1, "kc").await;
    app.merchant(
        Method::POST,
        &format!("/api/merchant/orders/{b}/mark-paid"),
        None,
    )
    .await;
    app.merchant(
        Method::POST,
        &format!("/api/merchant/orders/{c}/mark-paid"),
        None,
    )
    .await;
    app.merchant(
        Method::POST,
        &format!("/api/merchant/orders/{c}/ship"),
        Some(json!({"carrier": "顺丰", "trackingNo": "SF100"})),
    )
    .await;
    let ids = |v: &serde_json::Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    let (_, all) = app.get("/api/orders", Some(&t)).await;
    assert_eq!(ids(&all), vec![c, b, a]);
    let (_, v) = app.get("/api/orders?tab=unpaid", Some(&t)).await;
    assert_eq!(ids(&v), vec![a]);
    assert!(v["items"][0]["expiresAt"].is_i64());
    let (_, v) = app.get("/api/orders?tab=toShip", Some(&t)).await;
    assert_eq!(ids(&v), vec![b]);
    let (_, v) = app.get("/api/orders?tab=toReceive", Some(&t)).await;
    assert_eq!(ids(&v), vec![c]);
    let (_, v) = app.get("/api/orders?tab=completed", Some(&t)).await;
    assert_eq!(v["total"], 0);
    let (_, v) = app.get("/api/orders?tab=afterSale", Some(&t)).await;
    assert_eq!(v["total"], 0);
    let (_, v) = app.get("/api/orders?page=2&pageSize=2", Some(&t)).await;
    assert_eq!(ids(&v), vec![a]);
    let (s, v) = app.get("/api/orders?tab=bogus", Some(&t)).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")));
}

#[tokio::test]
async fn unpaid_orders_expire_and_release_what_they_held() {
    let app = spawn_with(|c| {
        c.order_ttl_secs = 0;
        c.expiry_sweep_secs = 3600;
    })
    .await;
    let t = app.login("demo").await;
    let stock = app.stock(NUTS_750G).await;
    let id = place(&app, &t, NUTS_750G, 1, "k-exp").await;
    assert_eq!(app.stock(NUTS_750G).await, stock - 1);
    let (s, v) = app
        .merchant(Method::POST, "/api/merchant/orders/expire", None)
        .await;
    assert_eq!((s, v["closed"].as_i64()), (200, Some(1)), "{v}");
    let (_, o) = app.get(&format!("/api/orders/{id}"), Some(&t)).await;
    assert_eq!(o["status"], "cancelled");
    assert_eq!(o["cancelReason"], "expired");
    assert_eq!(app.stock(NUTS_750G).await, stock);
    let (_, me) = app.get("/api/member", Some(&t)).await;
    assert_eq!(me["points"], 5000);
    assert_eq!(me["coupons"]["used"], 0);
}

#[tokio::test]
async fn the_background_sweep_expires_orders_on_its_own() {
    let app = spawn_with(|c| {
        c.order_ttl_secs = 1;
        c.expiry_sweep_secs = 1;
    })
    .await;
    let t = app.login("slow-payer").await;
    let id = place(&app, &t, JERKY_SPICY, 1, "k-bg").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, o) = app.get(&format!("/api/orders/{id}"), Some(&t)).await;
        if o["status"] == "cancelled" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not expired: {o}");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}
