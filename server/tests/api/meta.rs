use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_reports_ok_and_the_backend() {
    let app = spawn_app().await;
    let (s, v) = app.get("/health", None).await;
    assert_eq!(s, 200);
    assert_eq!(v["status"], "ok");
    assert!(v["database"] == "sqlite" || v["database"] == "postgres");
}

#[tokio::test]
async fn openapi_documents_every_route_and_every_documented_route_is_served() {
    let app = spawn_app().await;
    let (s, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(s, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    // The document is generated from the router's own registry...
    let registered = mall_server::http::api().routes;
    let mut documented = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            documented += 1;
            assert!(
                registered
                    .iter()
                    .any(|r| r.path == path && r.method == method),
                "{method} {path} documented but not registered"
            );
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()));
            // ...and every documented operation is answered by a real route.
            let concrete = path.replace("{id}", "1").replace("{lineId}", "1");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = matches!(method.as_str(), "post" | "put" | "patch").then(|| json!({}));
            let (status, v) = app.raw(m, &concrete, None, body).await;
            assert_ne!(v["code"], "NO_ROUTE", "{method} {path}");
            assert_ne!(status, 405, "{method} {path}");
        }
    }
    assert_eq!(documented, registered.len());
    for must in [
        "/api/orders",
        "/api/cart",
        "/api/checkout/quote",
        "/api/auth/login",
        "/api/products/{id}",
    ] {
        assert!(doc["paths"].get(must).is_some(), "{must} missing");
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_shape() {
    let app = spawn_app().await;
    let (s, v) = app.get("/api/nope", None).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NO_ROUTE")));
    assert!(v["message"].is_string() && v["details"].is_object());
    let (s, v) = app.delete("/api/categories", None).await;
    assert_eq!((s, v["code"].as_str()), (405, Some("METHOD_NOT_ALLOWED")));
}

#[tokio::test]
async fn malformed_json_and_unknown_fields_are_invalid_input() {
    let app = spawn_app().await;
    let res = app
        .http
        .post(format!("{}/api/auth/login", app.url))
        .header("content-type", "application/json")
        .body("{\"code\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["code"], "INVALID_INPUT");
    let (s, v) = app
        .post("/api/auth/login", None, json!({"code": "a", "openid": "x"}))
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")));
    assert!(v["details"]["reason"]
        .as_str()
        .unwrap()
        .contains("unknown field"));
    let (s, v) = app.get("/api/products?page=abc", None).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")));
    let (s, v) = app.get("/api/products/abc", None).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")));
}

/// Every route that takes a JSON body documents it, and every documented
/// query parameter is one the route accepts (the query types reject unknown
/// fields, so a misspelt parameter in the document would fail here).
#[tokio::test]
async fn openapi_request_bodies_and_query_parameters_match_the_handlers() {
    let app = spawn_app().await;
    let token = app.login("doc-reader").await;
    let merchant = app.server.state.config.merchant_token.clone();
    let (_, doc) = app.get("/api/openapi.json", None).await;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            if path.ends_with("/logout") {
                continue; // would end the session the probe uses
            }
            let concrete = path.replace("{id}", "1").replace("{lineId}", "1");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let send = |url: String| {
                let mut rb = app.http.request(m.clone(), url).bearer_auth(&token);
                if op["security"].to_string().contains("merchant") {
                    rb = rb.header("x-merchant-token", &merchant);
                }
                rb
            };
            if matches!(method.as_str(), "post" | "put" | "patch") {
                let res = send(format!("{}{concrete}", app.url)).send().await.unwrap();
                let v: serde_json::Value = res.json().await.unwrap_or_default();
                let wants_json =
                    v["code"] == "INVALID_INPUT" && v["details"]["field"] == "content-type";
                assert_eq!(
                    wants_json,
                    op.get("requestBody").is_some(),
                    "{method} {path}: {v}"
                );
            }
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let query: Vec<String> = params
                .iter()
                .filter(|p| p["in"] == "query")
                .map(|p| {
                    let s = &p["schema"];
                    let v = match (s["type"].as_str(), s.get("enum")) {
                        _ if s["example"].is_string() => s["example"].as_str().unwrap().into(),
                        (_, Some(e)) => e[0].as_str().unwrap().to_string(),
                        (Some("integer"), _) => "1".into(),
                        (Some("boolean"), _) => "true".into(),
                        _ => "x".into(),
                    };
                    format!("{}={v}", p["name"].as_str().unwrap())
                })
                .collect();
            if !query.is_empty() && method == "get" {
                let res = send(format!("{}{concrete}?{}", app.url, query.join("&")))
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                let v: serde_json::Value = res.json().await.unwrap_or_default();
                assert_eq!(status, 200, "{method} {path}?{}: {v}", query.join("&"));
            }
        }
    }
}
