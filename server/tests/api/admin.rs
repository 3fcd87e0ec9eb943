//! The console's API: sign-in, lockout, CSRF, the role of every route, the
//! product editor with its spec matrix, shelf, stock ledger, alerts and audit.

use mall_server::config::TEST_OWNER_PASSWORD;
use mall_server::http::Access;
use mall_server::staff::{Page, Role};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// A console session: the cookie (kept by hand) and the CSRF token.
pub struct Console<'a> {
    pub app: &'a TestApp,
    pub cookie: String,
    pub csrf: String,
}

pub async fn sign_in<'a>(app: &'a TestApp, username: &str, password: &str) -> Console<'a> {
    let res = app
        .http
        .post(format!("{}/admin/api/login", app.url))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "{username}");
    let set = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/admin"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_string();
    let body: Value = res.json().await.unwrap();
    Console {
        app,
        cookie,
        csrf: body["csrfToken"].as_str().unwrap().to_string(),
    }
}

pub async fn owner(app: &TestApp) -> Console<'_> {
    sign_in(app, "owner", TEST_OWNER_PASSWORD).await
}

impl Console<'_> {
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut rb = self
            .app
            .http
            .request(method, format!("{}{path}", self.app.url))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let res = rb.send().await.unwrap();
        let status = res.status().as_u16();
        if res
            .headers()
            .get("content-type")
            .is_some_and(|c| c == "text/event-stream")
        {
            return (status, Value::Null); // an endless stream: the status says enough
        }
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }
}

#[tokio::test]
async fn the_owner_signs_in_and_sees_every_page() {
    let app = spawn_app().await;
    let c = owner(&app).await;
    let (s, me) = c.get("/admin/api/me").await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["staff"]["role"], "owner");
    assert_eq!(me["csrfToken"], json!(c.csrf));
    assert_eq!(me["pages"].as_array().unwrap().len(), Page::ALL.len());
    // Signed out: the cookie no longer works.
    let (s, _) = c.post("/admin/api/logout", json!({})).await;
    assert_eq!(s, 204);
    let (s, v) = c.get("/admin/api/me").await;
    assert_eq!((s, v["code"].as_str()), (401, Some("STAFF_UNAUTHORIZED")));
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_even_for_the_right_one() {
    let app = spawn_app().await;
    let wrong = json!({"username": "owner", "password": "wrong-password"});
    for i in 0..4 {
        let (s, v) = app.post("/admin/api/login", None, wrong.clone()).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (401, Some("STAFF_BAD_CREDENTIALS")),
            "try {i}"
        );
    }
    let (s, v) = app.post("/admin/api/login", None, wrong.clone()).await;
    assert_eq!((s, v["code"].as_str()), (429, Some("STAFF_LOCKED")), "{v}");
    assert_eq!(v["details"]["retryAfterSecs"], json!(15 * 60));
    let right = json!({"username": "owner", "password": TEST_OWNER_PASSWORD});
    let (s, v) = app.post("/admin/api/login", None, right).await;
    assert_eq!((s, v["code"].as_str()), (429, Some("STAFF_LOCKED")), "{v}");
    // Unknown users answer exactly like wrong passwords.
    let (s, v) = app
        .post(
            "/admin/api/login",
            None,
            json!({"username": "nobody", "password": "x"}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (401, Some("STAFF_BAD_CREDENTIALS"))
    );
}

/// 100 guesses at once: each failure is counted by one conditional UPDATE,
/// so no more than the limit are ever checked before the lock.
#[tokio::test]
async fn parallel_guesses_cannot_exceed_the_lockout() {
    let app = spawn_app().await;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let (http, url) = (app.http.clone(), format!("{}/admin/api/login", app.url));
        set.spawn(async move {
            let res = http
                .post(url)
                .json(&json!({"username": "owner", "password": "wrong-password"}))
                .send()
                .await
                .unwrap();
            res.status().as_u16()
        });
    }
    let mut statuses = Vec::new();
    while let Some(s) = set.join_next().await {
        statuses.push(s.unwrap());
    }
    let bad = statuses.iter().filter(|s| **s == 401).count();
    let locked = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(bad + locked, 100, "{statuses:?}");
    assert!(bad < 5, "{bad} guesses answered as plain failures");
    // Exactly five passwords were checked: the other 95 were refused unchecked.
    let failed = count(
        &app,
        "SELECT failed_logins FROM staff WHERE username = 'owner'",
    )
    .await;
    assert_eq!(failed, 5);
    let right = json!({"username": "owner", "password": TEST_OWNER_PASSWORD});
    let (s, _) = app.post("/admin/api/login", None, right).await;
    assert_eq!(s, 429);
}

#[tokio::test]
async fn writes_need_the_csrf_token() {
    let app = spawn_app().await;
    let c = owner(&app).await;
    let body = json!({"name": "家居", "sort": 1});
    let res = app
        .http
        .post(format!("{}/admin/api/categories", app.url))
        .header("cookie", &c.cookie)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["code"], "STAFF_CSRF");
    let (s, v) = c.post("/admin/api/categories", body).await;
    assert_eq!(s, 201, "{v}");
}

async fn staff_of(c: &Console<'_>, role: Role) -> String {
    let username = format!("u-{}", role.as_str());
    let (s, v) = c
        .post(
            "/admin/api/staff",
            json!({"username": username, "name": role.label(), "role": role.as_str(), "password": "password-123"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    username
}

/// Every console route, as every role: allowed roles pass the role check,
/// the others get STAFF_FORBIDDEN, exactly as the route's page says.
#[tokio::test]
async fn every_route_admits_exactly_its_roles() {
    let app = spawn_app().await;
    let owner = owner(&app).await;
    let mut sessions = Vec::new();
    for role in Role::ALL {
        let name = if role == Role::Owner {
            "owner".to_string()
        } else {
            staff_of(&owner, role).await
        };
        let password = if role == Role::Owner {
            TEST_OWNER_PASSWORD
        } else {
            "password-123"
        };
        sessions.push((role, sign_in(&app, &name, password).await));
    }
    let routes = mall_server::http::api().routes;
    let mut checked = 0;
    for r in routes.iter().filter(|r| r.path.starts_with("/admin/api/")) {
        let Access::Staff(page) = r.access else {
            continue;
        };
        if r.path == "/admin/api/logout" {
            continue;
        }
        let path = r.path.replace("{id}", "999999");
        let method = Method::from_bytes(r.method.to_uppercase().as_bytes()).unwrap();
        for (role, c) in &sessions {
            let body = (method != Method::GET).then(|| json!({}));
            let (s, v) = c.call(method.clone(), &path, body).await;
            let forbidden = s == 403 && v["code"] == "STAFF_FORBIDDEN";
            assert_eq!(
                forbidden,
                !page.allows(*role),
                "{} {} as {role:?}: {s} {v}",
                r.method,
                r.path
            );
            assert_ne!(s, 401, "{} {}", r.method, r.path);
            checked += 1;
        }
    }
    assert!(checked >= 4 * 15, "{checked}");
}

#[tokio::test]
async fn the_merchant_token_acts_as_the_owner() {
    let app = spawn_app().await;
    let (s, v) = app.merchant(Method::GET, "/admin/api/staff", None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["items"][0]["username"], "owner");
    let res = app
        .http
        .get(format!("{}/admin/api/staff", app.url))
        .header("x-merchant-token", "wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
}

#[tokio::test]
async fn the_last_owner_stays() {
    let app = spawn_app().await;
    let c = owner(&app).await;
    let (s, v) = c
        .put("/admin/api/staff/1", json!({"role": "operator"}))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("STAFF_LAST_OWNER")),
        "{v}"
    );
    let (s, v) = c.put("/admin/api/staff/1", json!({"disabled": true})).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("STAFF_LAST_OWNER")),
        "{v}"
    );
}

fn matrix_product(category_id: i64) -> Value {
    let mut skus = Vec::new();
    for (i, color) in ["红", "蓝"].iter().enumerate() {
        for (j, size) in ["S", "M", "L"].iter().enumerate() {
            skus.push(
                json!({"specs": [color, size], "listPrice": 9900 + (i * 3 + j) as i64 * 100,
                             "stock": 20, "weightGrams": 300, "code": format!("T-{color}-{size}"),
                             "alertThreshold": 5}),
            );
        }
    }
    json!({"categoryId": category_id, "title": "纯棉T恤", "mainImage": "https://img.example.com/t.png",
           "specNames": [{"name": "颜色", "values": ["红", "蓝"]}, {"name": "尺码", "values": ["S", "M", "L"]}],
           "skus": skus})
}

#[tokio::test]
async fn a_product_with_a_spec_matrix_goes_off_shelf_and_alerts_on_low_stock() {
    let app = spawn_app().await;
    let c = owner(&app).await;
    let (_, cats) = c.get("/admin/api/categories").await;
    let cat = cats["items"][0]["id"].as_i64().unwrap();
    // Five SKUs for a 2 × 3 matrix is refused, nothing stored.
    let mut bad = matrix_product(cat);
    bad["skus"].as_array_mut().unwrap().pop();
    let (s, v) = c.post("/admin/api/products", bad).await;
    assert_eq!((s, v["code"].as_str()), (422, Some("SKU_MATRIX")), "{v}");
    let (s, p) = c.post("/admin/api/products", matrix_product(cat)).await;
    assert_eq!(s, 201, "{p}");
    let id = p["id"].as_i64().unwrap();
    assert_eq!(p["skus"].as_array().unwrap().len(), 6);
    assert_eq!(p["skus"][5]["listPrice"], 10400);
    // Shown to shoppers, then off the shelf.
    let (s, _) = app.get(&format!("/api/products/{id}"), None).await;
    assert_eq!(s, 200);
    let (s, v) = c
        .post(
            "/admin/api/products/shelf",
            json!({"ids": [id], "onShelf": false}),
        )
        .await;
    assert_eq!((s, v["updated"].as_i64()), (200, Some(1)), "{v}");
    let (s, _) = app.get(&format!("/api/products/{id}"), None).await;
    assert_eq!(s, 404);
    let (_, list) = c.get("/admin/api/products?onShelf=false&q=T恤").await;
    assert_eq!(list["items"][0]["id"], json!(id));
    assert_eq!(list["items"][0]["minPrice"], 9900);
    // A SKU brought to its threshold shows up as an alert, with a ledger row.
    let sku = p["skus"][1]["id"].as_i64().unwrap();
    let (s, v) = c
        .put(
            &format!("/admin/api/skus/{sku}/stock"),
            json!({"stock": 5, "reason": "盘点"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["before"].as_i64(), v["after"].as_i64()),
        (Some(20), Some(5))
    );
    let (_, alerts) = c.get("/admin/api/stock-alerts").await;
    let items = alerts["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|a| a["skuId"] == json!(sku) && a["stock"] == 5),
        "{alerts}"
    );
    let (_, ledger) = c.get(&format!("/admin/api/stock-ledger?skuId={sku}")).await;
    assert_eq!(ledger["total"], 2, "{ledger}"); // created with 20, set to 5
    assert_eq!(ledger["items"][0]["reason"], "盘点");
    assert_eq!(ledger["items"][0]["actor"], "owner");
    // Every write is in the audit log, newest first.
    let (_, audit) = c.get("/admin/api/audit").await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["sku.stock", "product.offShelf", "product.create"]);
    assert_eq!(audit["items"][0]["before"]["stock"], 20);
}

#[tokio::test]
async fn an_edit_keeps_skus_by_id_and_takes_the_missing_ones_off_sale() {
    let app = spawn_app().await;
    let c = owner(&app).await;
    let (_, cats) = c.get("/admin/api/categories").await;
    let cat = cats["items"][0]["id"].as_i64().unwrap();
    let (_, p) = c.post("/admin/api/products", matrix_product(cat)).await;
    let id = p["id"].as_i64().unwrap();
    let first = p["skus"][0]["id"].as_i64().unwrap();
    let body = json!({"categoryId": cat, "title": "纯棉T恤 新款", "mainImage": "/uploads/t.png",
        "specNames": [{"name": "颜色", "values": ["红"]}],
        "skus": [{"id": first, "specs": ["红"], "listPrice": 8800, "stock": 7}]});
    let (s, v) = c.put(&format!("/admin/api/products/{id}"), body).await;
    assert_eq!(s, 200, "{v}");
    let on: Vec<bool> = v["skus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["onShelf"].as_bool().unwrap())
        .collect();
    assert_eq!(on, [true, false, false, false, false, false]);
    assert_eq!(v["skus"][0]["listPrice"], 8800);
    let (_, ledger) = c
        .get(&format!("/admin/api/stock-ledger?skuId={first}"))
        .await;
    assert_eq!(ledger["items"][0]["after"], 7);
}

#[tokio::test]
async fn categories_have_two_levels() {
    let app = spawn_app().await;
    let c = owner(&app).await;
    let (_, top) = c
        .post("/admin/api/categories", json!({"name": "家居"}))
        .await;
    let (s, child) = c
        .post(
            "/admin/api/categories",
            json!({"name": "床品", "parentId": top["id"]}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, v) = c
        .post(
            "/admin/api/categories",
            json!({"name": "枕头", "parentId": child["id"]}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("CATEGORY_TOO_DEEP")),
        "{v}"
    );
}

#[tokio::test]
async fn the_landing_page_links_the_console_and_unknown_admin_api_paths_stay_json() {
    let app = spawn_app().await;
    let res = app.http.get(format!("{}/", app.url)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("/admin/") && html.contains("/api/openapi.json"),
        "{html}"
    );
    let (s, v) = app.get("/admin/api/nothing-here", None).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NO_ROUTE")));
    // The OpenAPI document lists each console route's roles.
    let (_, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(
        doc["paths"]["/admin/api/staff"]["get"]["x-roles"],
        json!(["owner"])
    );
    assert_eq!(
        doc["paths"]["/admin/api/products"]["get"]["x-roles"],
        json!(["owner", "operator"])
    );
}

fn png_bytes(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(w, h, image::Rgba([200, 30, 30, 255]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// An upload is judged by its bytes: a PNG named .txt is stored with its
/// thumbnail and served with a year's cache; a script named .png is refused.
#[tokio::test]
async fn uploads_are_checked_by_content_stored_with_a_thumbnail_and_cached() {
    let app = spawn_app().await;
    let c = owner(&app).await;
    let send = |bytes: Vec<u8>, name: &'static str| {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name)
            .mime_str("text/plain")
            .unwrap();
        app.http
            .post(format!("{}/admin/api/uploads", app.url))
            .header("cookie", &c.cookie)
            .header("x-csrf-token", &c.csrf)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
    };
    let res = send(png_bytes(640, 480), "photo.txt").await.unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let v: Value = res.json().await.unwrap();
    assert_eq!(
        (v["width"].as_i64(), v["height"].as_i64()),
        (Some(640), Some(480))
    );
    let url = v["url"].as_str().unwrap();
    assert!(url.starts_with("/uploads/") && url.ends_with(".png"), "{v}");
    let got = app
        .http
        .get(format!("{}{url}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(got.headers()["content-type"], "image/png");
    assert!(got.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    let thumb = app
        .http
        .get(format!("{}{}", app.url, v["thumbUrl"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let t = image::load_from_memory(&thumb).unwrap();
    assert_eq!((t.width(), t.height()), (320, 240));
    let res = send(b"<script>alert(1)</script>".to_vec(), "x.png")
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["code"], "UPLOAD_NOT_IMAGE");
    let (s, _) = app.get("/uploads/..%2Fsecrets.json", None).await;
    assert_eq!(s, 404);
    // Over 5 MiB: the error shape, before anything is decoded.
    let res = send(vec![0x89; (5 << 20) + 1], "big.png").await.unwrap();
    assert_eq!(res.status().as_u16(), 413);
}

/// 设置 → 轮播图: the owner replaces the banners; the shopper's home page
/// shows them in order; a link outside the mini-program is refused.
#[tokio::test]
async fn banners_set_in_the_console_reach_the_home_page() {
    let app = spawn_app().await;
    let c = owner(&app).await;
    let banners = json!({"banners": [
        {"image": "/uploads/a.png", "url": "/pages/product/index?id=1"},
        {"image": "https://img.example.com/b.png", "url": ""}]});
    let (s, v) = c.put("/admin/api/banners", banners.clone()).await;
    assert_eq!(s, 200, "{v}");
    let (_, home) = app.get("/api/home", None).await;
    assert_eq!(home["banners"], banners["banners"]);
    let (_, got) = c.get("/admin/api/banners").await;
    assert_eq!(got["banners"], banners["banners"]);
    let (s, v) = c
        .put(
            "/admin/api/banners",
            json!({"banners": [{"image": "/x.png", "url": "https://evil.example.com"}]}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    let (_, home) = app.get("/api/home", None).await;
    assert_eq!(home["banners"].as_array().unwrap().len(), 2);
    let (_, audit) = c.get("/admin/api/audit").await;
    assert_eq!(audit["items"][0]["action"], "banners.replace");
}

/// 设置 → 店铺: name, logo, service phone and notice reach the home page;
/// a bad phone is refused and nothing changes.
#[tokio::test]
async fn shop_info_set_in_the_console_is_on_the_home_page() {
    let app = spawn_app().await;
    let c = owner(&app).await;
    let (_, home) = app.get("/api/home", None).await;
    assert_eq!(home["shop"]["name"], "微信商城");
    let info = json!({"name": "鲜果小铺", "logo": "/uploads/logo.png", "servicePhone": "400-800 1234", "notice": "满99包邮"});
    let (s, v) = c.put("/admin/api/shop", info.clone()).await;
    assert_eq!((s, &v), (200, &info));
    let (_, home) = app.get("/api/home", None).await;
    assert_eq!(home["shop"], info);
    let (s, v) = c
        .put(
            "/admin/api/shop",
            json!({"name": "x", "servicePhone": "call me"}),
        )
        .await;
    assert_eq!(
        (s, v["details"]["field"].as_str()),
        (400, Some("servicePhone")),
        "{v}"
    );
    let (_, home) = app.get("/api/home", None).await;
    assert_eq!(home["shop"], info);
    let (_, audit) = c.get("/admin/api/audit").await;
    assert_eq!(audit["items"][0]["action"], "shop.update");
}
