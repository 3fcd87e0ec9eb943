use std::path::PathBuf;

use mall_server::config::Config;
use mall_server::wechat::pay::fake::{KeyMode, Tamper};
use mall_server::Server;
use reqwest::Method;
use serde_json::{json, Value};

pub struct TestApp {
    pub server: Server,
    pub url: String,
    pub http: reqwest::Client,
    /// The SQLite file (None on PostgreSQL).
    pub sqlite_path: Option<PathBuf>,
    _dir: tempfile::TempDir,
}

pub async fn fresh_database_url(dir: &tempfile::TempDir) -> (String, Option<PathBuf>) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin) if admin.starts_with("postgres") => {
            use sqlx::Connection;
            sqlx::any::install_default_drivers();
            let name = format!(
                "mall_test_{}",
                mall_server::config::random_token(9)
                    .to_lowercase()
                    .replace(['-', '_'], "x")
            );
            let mut conn = sqlx::AnyConnection::connect(&admin)
                .await
                .expect("connect to TEST_DATABASE_URL");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let (base, query) = admin.split_once('?').unwrap_or((&admin, ""));
            let base = &base[..base.rfind('/').expect("url has a path")];
            let url = if query.is_empty() {
                format!("{base}/{name}")
            } else {
                format!("{base}/{name}?{query}")
            };
            (url, None)
        }
        _ => {
            let path = dir.path().join("mall.db");
            (format!("sqlite://{}", path.display()), Some(path))
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        mall_server::init_tracing();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, sqlite_path) = fresh_database_url(&dir).await;
    let mut config = Config::for_tests(url);
    configure(&mut config);
    let server = mall_server::start(config).await.expect("server starts");
    TestApp {
        url: server.url(),
        server,
        http: reqwest::Client::new(),
        sqlite_path,
        _dir: dir,
    }
}

/// A server on the given database (a SQLite file somewhere special).
pub async fn spawn_on(database_url: String, configure: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config::for_tests(database_url);
    configure(&mut config);
    let server = mall_server::start(config).await.expect("server starts");
    TestApp {
        url: server.url(),
        server,
        http: reqwest::Client::new(),
        sqlite_path: None,
        _dir: dir,
    }
}

/// Whether this run is on PostgreSQL (`TEST_DATABASE_URL`).
pub fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"))
}

impl TestApp {
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut rb = self.http.request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let res = rb.send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        (
            status,
            if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            },
        )
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.raw(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.raw(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.raw(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.raw(Method::PUT, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.raw(Method::DELETE, path, token, None).await
    }

    pub async fn login(&self, code: &str) -> String {
        let (s, v) = self
            .post("/api/auth/login", None, json!({"code": code}))
            .await;
        assert_eq!(s, 200, "{v}");
        v["token"].as_str().expect("token").to_string()
    }

    /// A request with the merchant credential.
    pub async fn merchant(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut rb = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("x-merchant-token", &self.server.state.config.merchant_token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let res = rb.send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn set_stock(&self, sku_id: i64, stock: i64) {
        let (s, v) = self
            .merchant(
                Method::PUT,
                &format!("/api/merchant/skus/{sku_id}/stock"),
                Some(json!({"stock": stock})),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }

    pub async fn stock(&self, sku_id: i64) -> i64 {
        sqlx::query_scalar("SELECT stock FROM skus WHERE id = $1")
            .bind(sku_id)
            .fetch_one(&self.server.state.db.pool)
            .await
            .expect("stock")
    }

    /// Run SQL directly (test setup only).
    pub async fn exec(&self, sql: &str) {
        sqlx::query(sql)
            .execute(&self.server.state.db.pool)
            .await
            .expect("sql");
    }

    pub async fn add_address(&self, token: &str) -> i64 {
        let (s, v) = self
            .post(
                "/api/addresses",
                Some(token),
                address_body("张三", "13812345678", "幸福路88号"),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        v["id"].as_i64().unwrap()
    }

    /// Quote then place, the way the mini-program does; returns (status, body).
    pub async fn checkout(&self, token: &str, mut body: Value, key: &str) -> (u16, Value) {
        let (s, q) = self
            .post("/api/checkout/quote", Some(token), body.clone())
            .await;
        assert_eq!(s, 200, "{q}");
        body["fingerprint"] = q["fingerprint"].clone();
        body["idempotencyKey"] = json!(key);
        let (s, o) = self.post("/api/orders", Some(token), body).await;
        if s == 201 {
            // The new order's answer is built from what was written, not
            // read back: it must be what reading the order gives.
            let (s2, read) = self
                .get(&format!("/api/orders/{}", o["id"]), Some(token))
                .await;
            assert_eq!(s2, 200, "{read}");
            assert_eq!(
                o, read,
                "the placed order's answer differs from the order read back"
            );
        }
        (s, o)
    }
}

pub fn address_body(name: &str, phone: &str, detail: &str) -> Value {
    json!({
        "name": name, "phone": phone, "regionCode": "310115",
        "province": "上海市", "city": "上海市", "district": "浦东新区", "detail": detail
    })
}

/// Seeded SKUs (see db/seed.rs).
pub const TEE_WHITE_M: i64 = 1;
pub const TEE_BLACK_L_SOLD_OUT: i64 = 4;
pub const EARBUDS_WHITE: i64 = 13;
pub const NUTS_750G: i64 = 15;
pub const JERKY_SPICY: i64 = 19;

pub fn pickup() -> Value {
    json!({"kind": "pickup", "storeId": "store-1"})
}

// --- orders, payment and after-sales, shared by the test files

pub async fn place(app: &TestApp, t: &str, body: Value, key: &str) -> (i64, String, i64) {
    let (s, o) = app.checkout(t, body, key).await;
    assert_eq!(s, 201, "{o}");
    (
        o["id"].as_i64().unwrap(),
        o["orderNo"].as_str().unwrap().to_string(),
        o["payable"].as_i64().unwrap(),
    )
}

pub async fn order(app: &TestApp, id: i64) -> Value {
    let (s, v) = app
        .merchant(Method::GET, &format!("/api/merchant/orders/{id}"), None)
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

pub async fn prepay(app: &TestApp, t: &str, id: i64) -> Value {
    let (s, v) = app
        .post(&format!("/api/orders/{id}/pay"), Some(t), json!({}))
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

pub async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.server.state.db.pool)
        .await
        .unwrap()
}

pub fn fake(app: &TestApp) -> &mall_server::wechat::pay::fake::FakePay {
    app.server.fake_wechat.as_ref().unwrap().pay()
}

pub async fn pay_now(app: &TestApp, t: &str, id: i64, no: &str) {
    prepay(app, t, id).await;
    fake(app).pay(no).unwrap();
    let (s, b) = fake(app)
        .notify_payment(no, KeyMode::PublicKey, Tamper::None)
        .await;
    assert_eq!(s, 204, "{b}");
}

/// Ask for an after-sales request; the answer as it comes.
pub async fn ask_after_sale(app: &TestApp, t: &str, id: i64, body: Value) -> (u16, Value) {
    app.post(&format!("/api/orders/{id}/after-sales"), Some(t), body)
        .await
}

pub async fn after_sale(app: &TestApp, t: &str, id: i64, body: Value) -> Value {
    let (s, v) = ask_after_sale(app, t, id, body).await;
    assert_eq!(s, 201, "{v}");
    v
}

pub async fn approve(app: &TestApp, as_id: i64) -> Value {
    let (s, v) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/after-sales/{as_id}/approve"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v
}
