use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_cart_is_priced_by_the_core_with_member_price_and_best_coupons() {
    let app = spawn_app().await;
    let t = app.login("demo").await;
    let (s, v) = app
        .post(
            "/api/cart/items",
            Some(&t),
            json!({"skuId": TEE_WHITE_M, "quantity": 2}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let q = &v["quote"];
    assert_eq!(q["lines"][0]["priceSource"], "member", "白银 0.98");
    assert_eq!(q["lines"][0]["unitPrice"], 5782);
    assert_eq!(q["goodsTotal"], 11564);
    // 满100减10 (shop) + 无门槛5元 (platform), chosen by the core.
    assert_eq!(q["orderDiscount"], 1500);
    assert_eq!(q["payable"], 10064);
    // The same selection priced at checkout is the same quote.
    let (_, cq) = app.post("/api/checkout/quote", Some(&t), json!({})).await;
    assert_eq!(cq["fingerprint"], q["fingerprint"]);
}

#[tokio::test]
async fn adding_the_same_sku_again_merges_into_one_line() {
    let app = spawn_app().await;
    let t = app.login("u1").await;
    app.post(
        "/api/cart/items",
        Some(&t),
        json!({"skuId": NUTS_750G, "quantity": 1}),
    )
    .await;
    let (_, v) = app
        .post(
            "/api/cart/items",
            Some(&t),
            json!({"skuId": NUTS_750G, "quantity": 2}),
        )
        .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert_eq!(v["items"][0]["quantity"], 3);
    assert_eq!(v["items"][0]["title"], "每日坚果礼盒");
}

#[tokio::test]
async fn quantity_selection_and_removal_change_the_quote() {
    let app = spawn_app().await;
    let t = app.login("u2").await;
    app.post(
        "/api/cart/items",
        Some(&t),
        json!({"skuId": NUTS_750G, "quantity": 1}),
    )
    .await;
    let (_, v) = app
        .post(
            "/api/cart/items",
            Some(&t),
            json!({"skuId": JERKY_SPICY, "quantity": 1}),
        )
        .await;
    let nuts = v["items"][0]["id"].as_i64().unwrap();
    let jerky = v["items"][1]["id"].as_i64().unwrap();
    assert_eq!(v["quote"]["goodsTotal"], 12900 + 3990);
    let (s, v) = app
        .patch(
            &format!("/api/cart/items/{nuts}"),
            Some(&t),
            json!({"quantity": 2}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["quote"]["goodsTotal"], 2 * 12900 + 3990);
    // 满199减20 now applies.
    assert_eq!(v["quote"]["discounts"][0]["sourceId"], "full-reduction");
    let (_, v) = app
        .patch(
            &format!("/api/cart/items/{jerky}"),
            Some(&t),
            json!({"selected": false}),
        )
        .await;
    assert_eq!(v["quote"]["goodsTotal"], 2 * 12900);
    assert_eq!(v["items"][1]["selected"], false);
    let (_, v) = app
        .post("/api/cart/selection", Some(&t), json!({"selected": false}))
        .await;
    assert_eq!(v["quote"]["lines"], json!([]));
    assert_eq!(v["quote"]["payable"], 0);
    let (_, v) = app
        .post("/api/cart/selection", Some(&t), json!({"selected": true}))
        .await;
    assert_eq!(v["quote"]["lines"].as_array().unwrap().len(), 2);
    let (s, v) = app
        .delete(&format!("/api/cart/items/{jerky}"), Some(&t))
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_sold_out_line_is_reported_invalid_with_the_core_code() {
    let app = spawn_app().await;
    let t = app.login("u3").await;
    let (_, v) = app
        .post(
            "/api/cart/items",
            Some(&t),
            json!({"skuId": TEE_BLACK_L_SOLD_OUT, "quantity": 1}),
        )
        .await;
    let bad = &v["quote"]["invalidLines"][0];
    assert_eq!(bad["error"]["code"], "OUT_OF_STOCK");
    assert_eq!(bad["error"]["message"], "商品已售罄");
    assert_eq!(v["quote"]["lines"], json!([]));
}

#[tokio::test]
async fn bad_cart_input_is_rejected_with_the_core_codes() {
    let app = spawn_app().await;
    let t = app.login("u4").await;
    let (s, v) = app
        .post(
            "/api/cart/items",
            Some(&t),
            json!({"skuId": 9999, "quantity": 1}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (404, Some("UNKNOWN_SKU")));
    let (s, v) = app
        .post(
            "/api/cart/items",
            Some(&t),
            json!({"skuId": 1, "quantity": 0}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (422, Some("INVALID_QUANTITY")));
    let (s, v) = app
        .patch("/api/cart/items/12345", Some(&t), json!({"quantity": 1}))
        .await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")));
    // A line filled to the most one line takes: one more is refused, the line
    // keeps what it had, and nothing was added for an unknown SKU.
    let max = mall_core::cart::MAX_LINE_QUANTITY;
    let add = |q: i64| json!({"skuId": 1, "quantity": q});
    let (s, v) = app.post("/api/cart/items", Some(&t), add(max - 1)).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app.post("/api/cart/items", Some(&t), add(1)).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app.post("/api/cart/items", Some(&t), add(1)).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("INVALID_QUANTITY")),
        "{v}"
    );
    assert_eq!(
        count(&app, "SELECT quantity FROM cart_items WHERE sku_id = 1").await,
        max
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cart_items").await, 1);
}

/// `Prefer: return=minimal` (the product page's add): 204, the line written,
/// no cart read or priced; any other preference is the cart as before; a
/// refusal is the error shape either way and writes nothing.
#[tokio::test]
async fn an_add_preferring_a_minimal_answer_writes_the_line_without_the_cart() {
    let app = spawn_app().await;
    let t = app.login("minimal").await;
    let add = |prefer: &'static str, sku: i64, qty: i64| {
        app.http
            .post(format!("{}/api/cart/items", app.url))
            .bearer_auth(&t)
            .header("prefer", prefer)
            .json(&json!({"skuId": sku, "quantity": qty}))
            .send()
    };
    let res = add("return=minimal", NUTS_750G, 1).await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(res.headers()["preference-applied"], "return=minimal");
    assert!(res.bytes().await.unwrap().is_empty());
    let (_, v) = app.get("/api/cart", Some(&t)).await;
    assert_eq!(v["items"][0]["quantity"], 1, "{v}");
    assert_eq!(v["quote"]["goodsTotal"], 12900);

    let res = add("return=representation", NUTS_750G, 2).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("preference-applied").is_none());
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["items"][0]["quantity"], 3, "{v}");
    assert_eq!(v["quote"]["goodsTotal"], 3 * 12900);

    let res = add("respond-async, return=minimal", 9999, 1).await.unwrap();
    assert_eq!(res.status(), 404);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["code"], "UNKNOWN_SKU", "{v}");
    let max = mall_core::cart::MAX_LINE_QUANTITY;
    let res = add("return=minimal", NUTS_750G, max).await.unwrap();
    assert_eq!(res.status(), 422);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["code"], "INVALID_QUANTITY", "{v}");
    assert_eq!(
        count(&app, "SELECT quantity FROM cart_items").await,
        3,
        "the line keeps what it had"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cart_items").await, 1);
}

/// The cart reads its SKUs with its lines (one statement); the quote of a
/// cart holding a SKU that an activity also prices (bought outside it) and a
/// SKU in none is the quote of buying the same items now, which reads them
/// by id.
#[tokio::test]
async fn a_cart_is_priced_like_buying_its_items_now() {
    let app = spawn_app().await;
    let t = app.login("cart-vs-buy-now").await;
    for (sku, quantity) in [(EARBUDS_WHITE, 1), (NUTS_750G, 2)] {
        let (s, v) = app
            .post(
                "/api/cart/items",
                Some(&t),
                json!({"skuId": sku, "quantity": quantity}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let (s, cart) = app.post("/api/checkout/quote", Some(&t), json!({})).await;
    assert_eq!(s, 200, "{cart}");
    let items =
        json!([{"skuId": EARBUDS_WHITE, "quantity": 1}, {"skuId": NUTS_750G, "quantity": 2}]);
    let (s, now) = app
        .post("/api/checkout/quote", Some(&t), json!({"items": items}))
        .await;
    assert_eq!(s, 200, "{now}");
    let lines = |q: &serde_json::Value| -> Vec<(String, i64, String, i64)> {
        q["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["skuId"].as_str().unwrap().to_string(),
                    l["unitPrice"].as_i64().unwrap(),
                    l["priceSource"].as_str().unwrap().to_string(),
                    l["quantity"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(lines(&cart).len(), 2, "{cart}");
    assert_eq!(lines(&cart), lines(&now));
    assert_eq!(cart["payable"], now["payable"]);
    assert_eq!(cart["invalidLines"], json!([]), "{cart}");
}
