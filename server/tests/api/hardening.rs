//! Bad input from a client that did not write this server: never a 5xx, a
//! panic or a dropped connection; always `{code, message, details}`; nothing
//! out of bounds stored.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{address_body, spawn_app, TestApp, EARBUDS_WHITE, TEE_WHITE_M};

fn is_error_shape(v: &Value) -> bool {
    v["code"].is_string() && v["message"].is_string() && v["details"].is_object()
}

async fn expect_invalid(app: &TestApp, path: &str, token: Option<&str>) {
    let (s, v) = app.get(path, token).await;
    assert_eq!(s, 400, "{path}: {v}");
    assert_eq!(v["code"], "INVALID_INPUT", "{path}: {v}");
}

#[tokio::test]
async fn huge_page_numbers_are_invalid_input_on_every_list() {
    let app = spawn_app().await;
    let token = app.login("pager").await;
    for page in ["9223372036854775807", "4611686018427387904", "10001", "0"] {
        expect_invalid(&app, &format!("/api/products?page={page}"), None).await;
        expect_invalid(&app, &format!("/api/search?keyword=t&page={page}"), None).await;
        expect_invalid(&app, &format!("/api/orders?page={page}"), Some(&token)).await;
        expect_invalid(&app, &format!("/api/products/1/reviews?page={page}"), None).await;
    }
    // The last allowed page answers, empty.
    let (s, v) = app.get("/api/products?page=10000&pageSize=100", None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["items"], json!([]));
    assert_eq!(v["hasMore"], false);
}

#[tokio::test]
async fn long_search_text_is_refused_and_wildcards_match_literally() {
    let app = spawn_app().await;
    // 50,000 bytes: past the URL bound, refused in the error shape.
    let (s, v) = app
        .get(
            &format!("/api/products?keyword={}", "a".repeat(50_000)),
            None,
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (414, Some("URI_TOO_LONG")));
    // Long, but a URL the server reads: the keyword bound refuses it.
    let long = "a".repeat(5_000);
    expect_invalid(&app, &format!("/api/products?keyword={long}"), None).await;
    expect_invalid(&app, &format!("/api/search/suggest?q={long}"), None).await;
    expect_invalid(&app, &format!("/api/search?keyword={long}"), None).await;
    expect_invalid(
        &app,
        &format!("/api/products?keyword={}", "榴".repeat(51)),
        None,
    )
    .await;
    // `%` and `_` are characters, not wildcards: nothing is titled "%".
    let (s, v) = app.get("/api/products?keyword=%25", None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["total"], 0, "{v}");
    let (s, v) = app.get("/api/search/suggest?q=_", None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["suggestions"], json!([]), "{v}");
    // An ordinary keyword still finds products.
    let (_, v) = app.get("/api/products?keyword=T", None).await;
    assert!(v["total"].as_i64().unwrap() > 0, "{v}");
}

#[tokio::test]
async fn merchant_stock_is_bounded_and_the_storefront_survives_the_maximum() {
    let app = spawn_app().await;
    for bad in [i64::MAX, 1_000_000_001, -1] {
        let (s, v) = app
            .merchant(
                Method::PUT,
                &format!("/api/merchant/skus/{TEE_WHITE_M}/stock"),
                Some(json!({ "stock": bad })),
            )
            .await;
        assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    }
    assert_ne!(app.stock(TEE_WHITE_M).await, i64::MAX);
    // Every SKU at the maximum: sums stay in range everywhere.
    app.exec("UPDATE skus SET stock = 1000000000").await;
    for path in [
        "/api/products",
        "/api/products?inStock=true",
        "/api/home",
        "/api/search?keyword=T",
        "/api/products/1",
    ] {
        let (s, v) = app.get(path, None).await;
        assert_eq!(s, 200, "{path}: {v}");
    }
}

#[tokio::test]
async fn stored_texts_are_bounded_in_characters_and_free_of_control_characters() {
    let app = spawn_app().await;
    let users = || async {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&app.server.state.db.pool)
            .await
            .unwrap();
        n
    };
    let before = users().await;
    let (s, v) = app
        .post(
            "/api/auth/login",
            None,
            json!({"code": "n0", "nickname": "名".repeat(1_000_000)}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (413, Some("PAYLOAD_TOO_LARGE")));
    for body in [
        json!({"code": "n1", "nickname": "名".repeat(100_000)}),
        json!({"code": "n2", "avatar": "h".repeat(501)}),
        json!({"code": "n3", "nickname": "a".repeat(33)}),
        json!({"code": "n4", "nickname": "evil\u{0}name"}),
        json!({"code": "n5", "nickname": "abc\u{202E}gpj.exe"}),
    ] {
        let (s, v) = app.post("/api/auth/login", None, body.clone()).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (400, Some("INVALID_INPUT")),
            "{body}"
        );
    }
    assert_eq!(users().await, before, "a refused login stored nobody");
    // 32 characters of Chinese are fine (characters, not bytes).
    let (s, v) = app
        .post(
            "/api/auth/login",
            None,
            json!({"code": "n6", "nickname": "名".repeat(32)}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    let mut addr = address_body("张三", "13812345678", &"路".repeat(201));
    let (s, v) = app.post("/api/addresses", Some(&token), addr.clone()).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    addr["detail"] = json!("幸福路\u{202E}88号");
    let (s, _) = app.post("/api/addresses", Some(&token), addr).await;
    assert_eq!(s, 400);
    let (s, v) = app
        .post(
            "/api/orders/1/after-sales",
            Some(&token),
            json!({"kind": "refund_only", "items": [], "reason": "x".repeat(1_000_000)}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    let (s, v) = app
        .post(
            "/api/orders/1/after-sales",
            Some(&token),
            json!({"kind": "refund_only", "items": [], "reason": "x".repeat(201)}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
}

#[tokio::test]
async fn arrays_and_scalars_where_an_object_is_expected_are_invalid_input() {
    let app = spawn_app().await;
    let token = app.login("arrays").await;
    for (path, body) in [
        ("/api/cart/items", "[1,1]"),
        ("/api/checkout/quote", "[]"),
        ("/api/checkout/quote", "1"),
        ("/api/auth/login", "\"demo\""),
    ] {
        let res = app
            .http
            .post(format!("{}{path}", app.url))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{path} {body}");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["code"], "INVALID_INPUT", "{path} {body}: {v}");
    }
    let (_, cart) = app.get("/api/cart", Some(&token)).await;
    assert_eq!(cart["items"], json!([]), "nothing was added");
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_in_the_error_shape() {
    let app = spawn_app().await;
    let token = app.login("big").await;
    let big = format!("{{\"code\": \"{}\"}}", "x".repeat(10 << 20));
    for path in [
        "/api/auth/login",
        "/api/pay/notify",
        "/api/pay/refund-notify",
    ] {
        let res = app
            .http
            .post(format!("{}{path}", app.url))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 413, "{path}");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["code"], "PAYLOAD_TOO_LARGE", "{path}: {v}");
        assert!(is_error_shape(&v), "{v}");
    }
    // The server still answers.
    let (s, _) = app.get("/health", None).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn wechat_notify_refusals_carry_details() {
    let app = spawn_app().await;
    let res = app
        .http
        .post(format!("{}/api/pay/notify", app.url))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["code"], "FAIL");
    assert!(is_error_shape(&v), "{v}");
}

/// Send the headers, wait, send the body, then a second request on the same
/// socket: both are answered, although the first is refused (401) before its
/// body matters.
#[tokio::test]
async fn a_refused_request_keeps_the_connection_usable() {
    let app = spawn_app().await;
    let addr = app.server.addr;
    let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = format!("{{\"skuId\": {EARBUDS_WHITE}, \"quantity\": 1}}");
    let head = format!(
        "POST /api/cart/items HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    sock.write_all(body.as_bytes()).await.unwrap();
    let second = format!("GET /health HTTP/1.1\r\nhost: {addr}\r\n\r\n");
    sock.write_all(second.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            let n = sock.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got);
            if text.matches("HTTP/1.1 ").count() >= 2 && text.contains("\"status\":\"ok\"") {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), read).await;
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
    assert!(
        text.contains("HTTP/1.1 200") && text.contains("\"status\":\"ok\""),
        "the second request on the connection was not answered: {text}"
    );
}

#[tokio::test]
async fn oversized_urls_and_headers_answer_in_the_error_shape() {
    let app = spawn_app().await;
    let long = format!("{}/api/products?keyword={}", app.url, "a".repeat(20 * 1024));
    let res = app.http.get(&long).send().await.unwrap();
    assert_eq!(res.status(), 414);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["code"], "URI_TOO_LONG");
    assert!(is_error_shape(&v), "{v}");
    let res = app
        .http
        .get(format!("{}/api/products", app.url))
        .header("x-big", "h".repeat(500 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 431);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["code"], "HEADERS_TOO_LARGE");
    assert!(is_error_shape(&v), "{v}");
    let (s, _) = app.get("/health", None).await;
    assert_eq!(s, 200);
}
