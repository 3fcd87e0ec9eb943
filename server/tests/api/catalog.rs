use reqwest::Method;
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

/// `GET /api/home`: exactly the shape the mini-program's home page reads
/// (miniprogram/pages/home/index.js, tests/mp/shop.test.js), from the demo shop.
#[tokio::test]
async fn home_has_server_time_banners_three_categories_the_flash_sale_and_recommendations() {
    let app = spawn_app().await;
    let before = mall_server::db::now();
    let (s, home) = app.get("/api/home", None).await;
    assert_eq!(s, 200, "{home}");
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&home),
        [
            "banners",
            "categories",
            "flashSale",
            "now",
            "recommended",
            "shop"
        ]
    );
    let now = home["now"].as_i64().unwrap();
    assert!(now >= before && now <= mall_server::db::now());

    // Banners from the seed: an image and a page of the mini-program.
    let banners = home["banners"].as_array().unwrap();
    assert_eq!(banners.len(), 3);
    for b in banners {
        assert_eq!(keys(b), ["image", "url"]);
        assert!(b["image"].as_str().unwrap().starts_with("https://"));
        assert!(b["url"].as_str().unwrap().starts_with("/pages/"));
    }

    // The three core categories: the category tree's first three roots.
    let (_, tree) = app.get("/api/categories", None).await;
    let expected: Vec<serde_json::Value> = tree.as_array().unwrap()[..3]
        .iter()
        .map(|c| json!({"id": c["id"], "name": c["name"], "icon": c["icon"]}))
        .collect();
    assert_eq!(home["categories"], json!(expected));
    assert_eq!(
        home["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["服饰", "数码", "食品"]
    );

    // The running flash sale: the seeded earbuds price.
    let f = &home["flashSale"];
    assert_eq!(
        keys(f),
        ["activityId", "endsAt", "items", "startsAt", "title"]
    );
    assert_eq!(
        (f["activityId"].as_str(), f["title"].as_str()),
        (Some("flash-earbuds"), Some("耳机限时秒杀"))
    );
    assert!(f["startsAt"].as_i64().unwrap() <= now && now < f["endsAt"].as_i64().unwrap());
    let items = f["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        keys(&items[0]),
        ["image", "listPrice", "price", "productId", "skuId", "title"]
    );
    assert_eq!(items[0]["skuId"], EARBUDS_WHITE);
    assert_eq!(
        (items[0]["price"].as_i64(), items[0]["listPrice"].as_i64()),
        (Some(29900), Some(39900))
    );
    let (s, p) = app
        .get(&format!("/api/products/{}", items[0]["productId"]), None)
        .await;
    assert_eq!((s, &p["title"]), (200, &items[0]["title"]));

    // Recommended: the first page of products by sales, as the list serves it.
    let (_, page) = app
        .get("/api/products?sort=sales&page=1&pageSize=10", None)
        .await;
    assert_eq!(home["recommended"], page);
    assert_eq!(home["recommended"]["items"].as_array().unwrap().len(), 8);

    // The merchant replaces the banners; bad ones are refused.
    let (s, v) = app
        .put("/api/merchant/banners", None, json!({"banners": []}))
        .await;
    assert_eq!(s, 403, "merchant only: {v}");
    for bad in [
        json!({"banners": [{"image": ""}]}),
        json!({"banners": [{"image": "https://x/y.jpg", "url": "https://evil.example"}]}),
    ] {
        let (s, v) = app
            .merchant(Method::PUT, "/api/merchant/banners", Some(bad))
            .await;
        assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    }
    let mine = json!([{"image": "https://img.example.com/b1.jpg", "url": "/pages/list/index?categoryId=2"},
                      {"image": "https://img.example.com/b2.jpg", "url": ""}]);
    let (s, v) = app
        .merchant(
            Method::PUT,
            "/api/merchant/banners",
            Some(json!({"banners": mine})),
        )
        .await;
    assert_eq!((s, &v["banners"]), (200, &mine), "{v}");
    assert_eq!(app.get("/api/home", None).await.1["banners"], mine);

    // No flash sale running: null (the page hides the strip).
    app.exec("UPDATE activities SET ends_at = starts_at + 1")
        .await;
    let (_, home) = app.get("/api/home", None).await;
    assert!(home["flashSale"].is_null(), "{home}");
}
