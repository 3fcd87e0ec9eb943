use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn categories_form_a_two_level_tree() {
    let app = spawn_app().await;
    let (s, v) = app.get("/api/categories", None).await;
    assert_eq!(s, 200);
    let roots = v.as_array().unwrap();
    assert_eq!(roots.len(), 3);
    for r in roots {
        assert!(r["parentId"].is_null());
        let children = r["children"].as_array().unwrap();
        assert!(!children.is_empty());
        assert!(children
            .iter()
            .all(|c| c["parentId"] == r["id"] && c["children"].as_array().unwrap().is_empty()));
    }
}

#[tokio::test]
async fn product_list_paginates() {
    let app = spawn_app().await;
    let (s, p1) = app.get("/api/products?page=1&pageSize=3", None).await;
    assert_eq!(s, 200);
    assert_eq!(p1["total"], 8);
    assert_eq!(p1["items"].as_array().unwrap().len(), 3);
    assert_eq!(p1["hasMore"], true);
    let (_, p3) = app.get("/api/products?page=3&pageSize=3", None).await;
    assert_eq!(p3["items"].as_array().unwrap().len(), 2);
    assert_eq!(p3["hasMore"], false);
    let (s, v) = app.get("/api/products?pageSize=1000", None).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")));
}

#[tokio::test]
async fn product_list_filters_by_parent_category_price_and_keyword_and_sorts() {
    let app = spawn_app().await;
    let (_, cats) = app.get("/api/categories", None).await;
    let food = cats
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "食品")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (_, v) = app
        .get(
            &format!("/api/products?categoryId={food}&sort=priceAsc"),
            None,
        )
        .await;
    let prices: Vec<i64> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["price"].as_i64().unwrap())
        .collect();
    assert_eq!(v["total"], 3, "坚果, 龙井, 牛肉干: {v}");
    assert!(prices.windows(2).all(|w| w[0] <= w[1]));
    let (_, v) = app.get("/api/products?minPrice=100000", None).await;
    assert_eq!(v["total"], 1);
    assert_eq!(v["items"][0]["title"], "星耀 5G 智能手机");
    let (_, v) = app
        .get("/api/products?keyword=%E8%80%B3%E6%9C%BA", None)
        .await; // 耳机
    assert_eq!(v["total"], 1);
    let (_, v) = app
        .get("/api/products?sort=priceDesc&pageSize=1", None)
        .await;
    assert_eq!(v["items"][0]["price"], 199900);
}

#[tokio::test]
async fn product_detail_has_the_sku_matrix_stock_and_activity_price() {
    let app = spawn_app().await;
    let (s, tee) = app.get("/api/products/1", None).await;
    assert_eq!(s, 200);
    assert_eq!(tee["specNames"][0]["name"], "颜色");
    assert_eq!(tee["skus"].as_array().unwrap().len(), 4);
    assert_eq!(tee["skus"][3]["stock"], 0);
    assert_eq!(tee["images"].as_array().unwrap().len(), 3);
    let (_, earbuds) = app.get("/api/products/4", None).await;
    let flash = &earbuds["activities"][0];
    assert_eq!(flash["kind"], "flashSale");
    assert_eq!(flash["prices"][0]["skuId"], EARBUDS_WHITE);
    assert_eq!(flash["prices"][0]["price"], 29900);
    let (s, v) = app.get("/api/products/999", None).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")));
}

#[tokio::test]
async fn search_records_history_and_hot_words_and_history_can_be_cleared() {
    let app = spawn_app().await;
    let t = app.login("searcher").await;
    let (s, v) = app
        .get("/api/search?keyword=%E5%9D%9A%E6%9E%9C", Some(&t))
        .await; // 坚果
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["items"][0]["title"], "每日坚果礼盒");
    app.get("/api/search?keyword=tea-none", Some(&t)).await;
    let (_, h) = app.get("/api/search/history", Some(&t)).await;
    let words = h["keywords"].as_array().unwrap();
    assert!(
        words.contains(&json!("坚果")) && words.contains(&json!("tea-none")),
        "{h}"
    );
    assert_eq!(h["keywords"].as_array().unwrap().len(), 2);
    let (_, hot) = app.get("/api/search/hot", None).await;
    assert!(hot["words"].as_array().unwrap().iter().any(|w| w == "坚果"));
    let (s, _) = app.delete("/api/search/history", Some(&t)).await;
    assert_eq!(s, 200);
    let (_, h) = app.get("/api/search/history", Some(&t)).await;
    assert_eq!(h["keywords"], json!([]));
    let (s, v) = app.get("/api/search?keyword=", None).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")));
}

#[tokio::test]
async fn suggestions_match_as_the_shopper_types() {
    let app = spawn_app().await;
    let (s, v) = app
        .get("/api/search/suggest?q=%E8%BF%9E%E8%A1%A3", None)
        .await; // 连衣
    assert_eq!(s, 200);
    let list = v["suggestions"].as_array().unwrap();
    assert!(list.iter().any(|x| x == "连衣裙"), "{v}");
    assert!(list.iter().any(|x| x == "法式碎花连衣裙"), "{v}");
}
