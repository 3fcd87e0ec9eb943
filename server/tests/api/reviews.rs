//! Product reviews: the seeded summary on the product detail, the paged list,
//! and reviews of completed order lines by their buyer only, once.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

async fn product_of(app: &TestApp, sku: i64) -> i64 {
    count(
        app,
        &format!("SELECT product_id FROM skus WHERE id = {sku}"),
    )
    .await
}

#[tokio::test]
async fn the_product_detail_carries_the_summary_and_the_list_is_paged() {
    let app = spawn_app().await;
    let earbuds = product_of(&app, EARBUDS_WHITE).await;
    let (s, p) = app.get(&format!("/api/products/{earbuds}"), None).await;
    assert_eq!(s, 200, "{p}");
    let sum = &p["reviewSummary"];
    // seeded: 5, 3, 5 (newest last): 2 of 3 are good, rounded down
    assert_eq!(sum["count"], 3);
    assert_eq!(sum["goodRate"], "66%");
    let latest = sum["latest"].as_array().unwrap();
    assert_eq!(latest.len(), 2);
    assert_eq!(latest[0]["nickname"], "阿***");
    assert_eq!(latest[0]["rating"], 5);
    assert_eq!(latest[0]["text"], "连接很稳定，颜值高，推荐！");
    assert_eq!(latest[1]["nickname"], "T***m");
    assert_eq!(latest[1]["rating"], 3);
    assert!(latest[0]["createdAt"].as_i64() > latest[1]["createdAt"].as_i64());

    let url = format!("/api/products/{earbuds}/reviews");
    let (s, page1) = app.get(&format!("{url}?page=1&pageSize=2"), None).await;
    assert_eq!(s, 200, "{page1}");
    assert_eq!(
        (page1["total"].as_i64(), page1["hasMore"].as_bool()),
        (Some(3), Some(true))
    );
    assert_eq!(page1["items"].as_array().unwrap()[..], latest[..]);
    let (_, page2) = app.get(&format!("{url}?page=2&pageSize=2"), None).await;
    let items = page2["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["nickname"], "小***儿");
    assert_eq!(page2["hasMore"], false);
    // no openid, user id or order in a review
    assert_eq!(
        items[0].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["createdAt", "id", "nickname", "rating", "text"]
    );

    // A product without reviews: count 0, no rate.
    let phone = count(&app, "SELECT id FROM products WHERE title LIKE '%手机%'").await;
    let (_, p) = app.get(&format!("/api/products/{phone}"), None).await;
    assert_eq!(
        p["reviewSummary"],
        json!({"count": 0, "goodRate": null, "latest": []})
    );
    let (s, v) = app.get("/api/products/9999/reviews", None).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")));
    let (s, v) = app.get(&format!("{url}?pageSize=0"), None).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")));
}

#[tokio::test]
async fn only_the_buyer_of_a_completed_line_reviews_it_once() {
    let app = spawn_app().await;
    let (s, v) = app
        .post(
            "/api/auth/login",
            None,
            json!({"code": "reviewer", "nickname": "李小龙"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let t = v["token"].as_str().unwrap().to_string();
    let other = app.login("someone-else").await;
    let addr = app.add_address(&t).await;
    let (id, no, _) = place(
        &app,
        &t,
        json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "addressId": addr}),
        "rv1",
    )
    .await;
    let (_, o) = app.get(&format!("/api/orders/{id}"), Some(&t)).await;
    let line = o["lines"][0]["lineId"].as_str().unwrap().to_string();
    let review = |token: String, line: String, body: serde_json::Value| {
        let app = &app;
        async move {
            app.post(
                &format!("/api/orders/{id}/lines/{line}/review"),
                Some(&token),
                body,
            )
            .await
        }
    };
    let good = json!({"rating": 4, "text": "  好吃不贵  "});

    // Unpaid, then paid, then shipped: not finished, refused.
    let (s, v) = review(t.clone(), line.clone(), good.clone()).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("REVIEW_NOT_ALLOWED")),
        "{v}"
    );
    pay_now(&app, &t, id, &no).await;
    let (s, v) = review(t.clone(), line.clone(), good.clone()).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("REVIEW_NOT_ALLOWED")),
        "{v}"
    );
    let (s, _) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/orders/{id}/ship"),
            Some(json!({"carrier": "顺丰", "trackingNo": "SF1"})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = review(t.clone(), line.clone(), good.clone()).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("REVIEW_NOT_ALLOWED")),
        "{v}"
    );
    let (s, _) = app
        .post(
            &format!("/api/orders/{id}/confirm-receipt"),
            Some(&t),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);

    // Someone else's order does not exist for them; nor does an unknown line.
    let (s, v) = review(other.clone(), line.clone(), good.clone()).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")), "{v}");
    let (s, v) = review(t.clone(), "nope".into(), good.clone()).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")), "{v}");
    let (s, _) = app
        .post(
            &format!("/api/orders/{id}/lines/{line}/review"),
            None,
            good.clone(),
        )
        .await;
    assert_eq!(s, 401);
    for bad in [
        json!({"rating": 0}),
        json!({"rating": 6}),
        json!({"rating": 5, "text": "好".repeat(501)}),
        json!({"rating": 5, "userId": 1}),
    ] {
        let (s, v) = review(t.clone(), line.clone(), bad.clone()).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (400, Some("INVALID_INPUT")),
            "{bad}"
        );
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM reviews WHERE order_id IS NOT NULL"
        )
        .await,
        0
    );

    let reviewed = || async {
        let (s, o) = app.get(&format!("/api/orders/{id}"), Some(&t)).await;
        assert_eq!(s, 200, "{o}");
        o["lines"][0]["reviewed"].as_bool()
    };
    assert_eq!(reviewed().await, Some(false));
    let (s, v) = review(t.clone(), line.clone(), good.clone()).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        reviewed().await,
        Some(true),
        "the order detail marks the line"
    );
    assert_eq!(
        (
            v["nickname"].as_str(),
            v["rating"].as_i64(),
            v["text"].as_str()
        ),
        (Some("李***龙"), Some(4), Some("好吃不贵"))
    );
    // Twice: refused, nothing added.
    let (s, v) = review(t.clone(), line.clone(), json!({"rating": 1})).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("ALREADY_REVIEWED")),
        "{v}"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM reviews WHERE order_id IS NOT NULL"
        )
        .await,
        1
    );

    // The product's summary counts it (seeded 5 and 4, now 4): newest first.
    let nuts = product_of(&app, NUTS_750G).await;
    let (_, p) = app.get(&format!("/api/products/{nuts}"), None).await;
    let sum = &p["reviewSummary"];
    assert_eq!(
        (sum["count"].as_i64(), sum["goodRate"].as_str()),
        (Some(3), Some("100%"))
    );
    assert_eq!(sum["latest"][0], v_of(&app, nuts).await);
    assert_eq!(sum["latest"][0]["nickname"], "李***龙");
}

async fn v_of(app: &TestApp, product: i64) -> serde_json::Value {
    let (_, page) = app
        .get(&format!("/api/products/{product}/reviews?pageSize=1"), None)
        .await;
    page["items"][0].clone()
}
