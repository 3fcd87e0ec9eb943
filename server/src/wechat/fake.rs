//! A fake of WeChat's HTTP API on a loopback port, for the demo and the tests.
//!
//! - `GET /sns/jscode2session`: any code gives a deterministic openid
//!   ([`openid_for_code`]); `invalid…` codes answer 40029, a wrong appid or
//!   secret 40013 / 40125.
//! - `GET /cgi-bin/token`, `POST /cgi-bin/stable_token`: the access token.
//! - `POST /wxa/sec/order/upload_shipping_info`: checks the access token and
//!   the upload as documented (order key, logistics type, shipping list,
//!   RFC 3339 upload time, payer) and records it
//!   ([`FakeWeChat::shipping_uploads`]).
//! - `POST /wxa/business/getuserphonenumber`: a deterministic phone per code.
//! - `POST /cgi-bin/message/subscribe/send`: records the message; an openid
//!   starting with `refuse` answers 43101 (user did not subscribe).
//!
//!   [`FakeWeChat::refuse`] makes any openid refuse; [`FakeWeChat::fail_next_sends`]
//!   answers -1 (system busy) to the next n sends.
//! - `POST /wxa/getuserriskrank`: checks the token, appid, scene (0 or 1) and
//!   client_ip; the risk rank is 0, 4 for an openid starting with `risky`, or
//!   what [`FakeWeChat::set_risk_rank`] set ([`FakeWeChat::risk_checks`] counts).
//! - WeChat Pay v3 (`/v3/...`), when given keys: see [`super::pay::fake`].

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::task::JoinHandle;

use super::pay::fake::FakePay;
use super::pay::keys::DemoPayKeys;
use super::SubscribeMessage;

pub use super::demo::{hex, openid_for_code, phone_for_code};

struct FakeState {
    appid: String,
    secret: String,
    token: String,
    sent: Mutex<Vec<SubscribeMessage>>,
    refused: Mutex<BTreeSet<String>>,
    risk: Mutex<BTreeMap<String, i64>>,
    risk_checks: AtomicU64,
    fail_next: AtomicU64,
    attempts: AtomicU64,
    /// Accepted shipping-info uploads (发货信息录入), in order.
    shipping: Mutex<Vec<Value>>,
    /// 小程序码 made (`getwxacodeunlimit` calls answered with an image).
    codes: AtomicU64,
}

pub struct FakeWeChat {
    pub addr: SocketAddr,
    /// WeChat Pay's side, when started with pay keys.
    pub pay: Option<Arc<FakePay>>,
    state: Arc<FakeState>,
    task: JoinHandle<()>,
}

impl FakeWeChat {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Subscription messages sent so far.
    /// The shipping-info uploads WeChat accepted.
    pub fn shipping_uploads(&self) -> Vec<Value> {
        self.state
            .shipping
            .lock()
            .map(|v| v.clone())
            .unwrap_or_default()
    }

    pub fn sent_messages(&self) -> Vec<SubscribeMessage> {
        self.state
            .sent
            .lock()
            .map(|v| v.clone())
            .unwrap_or_default()
    }

    /// `getuserriskrank` answers `rank` (0–4) for this openid from now on.
    pub fn set_risk_rank(&self, openid: &str, rank: i64) {
        if let Ok(mut r) = self.state.risk.lock() {
            r.insert(openid.to_string(), rank);
        }
    }

    /// How many `getuserriskrank` calls were answered.
    pub fn risk_checks(&self) -> u64 {
        self.state.risk_checks.load(Ordering::SeqCst)
    }

    /// This openid refuses subscription messages (43101) from now on.
    pub fn refuse(&self, openid: &str) {
        if let Ok(mut r) = self.state.refused.lock() {
            r.insert(openid.to_string());
        }
    }

    /// The next `n` sends fail with -1 (system busy).
    pub fn fail_next_sends(&self, n: u64) {
        self.state.fail_next.store(n, Ordering::SeqCst);
    }

    /// Send attempts received (successful or not).
    pub fn send_attempts(&self) -> u64 {
        self.state.attempts.load(Ordering::SeqCst)
    }

    /// 小程序码 made so far.
    pub fn codes_made(&self) -> u64 {
        self.state.codes.load(Ordering::SeqCst)
    }

    /// The fake WeChat Pay (panics when the fake was started without pay keys).
    pub fn pay(&self) -> &FakePay {
        self.pay.as_deref().expect("fake started with WeChat Pay")
    }
}

impl Drop for FakeWeChat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn router(appid: &str, secret: &str) -> (Router, Arc<FakeState>) {
    let state = Arc::new(FakeState {
        appid: appid.to_string(),
        secret: secret.to_string(),
        token: format!("fake-token-{}", &hex(&Sha256::digest(secret))[..16]),
        sent: Mutex::new(Vec::new()),
        refused: Mutex::new(BTreeSet::new()),
        risk: Mutex::new(BTreeMap::new()),
        risk_checks: AtomicU64::new(0),
        fail_next: AtomicU64::new(0),
        attempts: AtomicU64::new(0),
        shipping: Mutex::new(Vec::new()),
        codes: AtomicU64::new(0),
    });
    let app = Router::new()
        .route("/sns/jscode2session", get(code2session))
        .route("/cgi-bin/token", get(token))
        .route("/cgi-bin/stable_token", post(stable_token))
        .route(
            "/wxa/sec/order/upload_shipping_info",
            post(upload_shipping_info),
        )
        .route("/wxa/business/getuserphonenumber", post(phone))
        .route("/cgi-bin/message/subscribe/send", post(send))
        .route("/wxa/getwxacodeunlimit", post(unlimited_code))
        .route("/wxa/getuserriskrank", post(risk_rank))
        .with_state(state.clone());
    (app, state)
}

/// Start the fake on 127.0.0.1 and a free port (with WeChat Pay when given keys).
pub async fn spawn(
    appid: &str,
    secret: &str,
    pay_keys: Option<DemoPayKeys>,
) -> anyhow::Result<FakeWeChat> {
    spawn_at("127.0.0.1:0", appid, secret, pay_keys).await
}

/// [`spawn`] on a given loopback address (the standalone `mall-fake-wechat`).
pub async fn spawn_at(
    bind: &str,
    appid: &str,
    secret: &str,
    pay_keys: Option<DemoPayKeys>,
) -> anyhow::Result<FakeWeChat> {
    let (mut app, state) = router(appid, secret);
    let pay = match pay_keys {
        Some(k) => {
            let pay = Arc::new(FakePay::new(appid, k)?);
            app = app.merge(super::pay::fake::router(pay.clone()));
            Some(pay)
        }
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    tracing::info!(%addr, "fake WeChat API listening");
    Ok(FakeWeChat {
        addr,
        pay,
        state,
        task,
    })
}

fn err(errcode: i64, errmsg: &str) -> Json<Value> {
    Json(json!({"errcode": errcode, "errmsg": errmsg}))
}

#[derive(Deserialize)]
struct SessionQuery {
    appid: String,
    secret: String,
    js_code: String,
    grant_type: String,
}

async fn code2session(
    State(s): State<Arc<FakeState>>,
    Query(q): Query<SessionQuery>,
) -> Json<Value> {
    if q.appid != s.appid {
        return err(40013, "invalid appid");
    }
    if q.secret != s.secret {
        return err(40125, "invalid appsecret");
    }
    if q.grant_type != "authorization_code"
        || q.js_code.is_empty()
        || q.js_code.starts_with("invalid")
    {
        return err(40029, "invalid code");
    }
    let openid = openid_for_code(&q.js_code);
    let session_key = base64_of(&Sha256::digest(format!("sk:{}", q.js_code))[..16]);
    Json(json!({"openid": openid, "session_key": session_key}))
}

fn base64_of(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[derive(Deserialize)]
struct TokenQuery {
    appid: String,
    secret: String,
}

async fn token(State(s): State<Arc<FakeState>>, Query(q): Query<TokenQuery>) -> Json<Value> {
    if q.appid != s.appid || q.secret != s.secret {
        return err(40125, "invalid appsecret");
    }
    Json(json!({"access_token": s.token, "expires_in": 7200}))
}

async fn stable_token(State(s): State<Arc<FakeState>>, Json(body): Json<Value>) -> Json<Value> {
    if body["grant_type"] != "client_credential" {
        return err(40002, "invalid grant_type");
    }
    if body["appid"] != s.appid.as_str() || body["secret"] != s.secret.as_str() {
        return err(40125, "invalid appsecret");
    }
    Json(json!({"access_token": s.token, "expires_in": 7200}))
}

/// Checks an upload the way WeChat documents it and records it.
async fn upload_shipping_info(
    State(s): State<Arc<FakeState>>,
    Query(t): Query<TokenParam>,
    Json(b): Json<Value>,
) -> Json<Value> {
    if t.access_token != s.token {
        return err(40001, "invalid credential, access_token is invalid");
    }
    let key = &b["order_key"];
    let by_transaction = key["order_number_type"] == 2 && key["transaction_id"].is_string();
    let by_trade_no = key["order_number_type"] == 1
        && key["mchid"].is_string()
        && key["out_trade_no"].is_string();
    if !(by_transaction || by_trade_no) {
        return err(10060001, "order_key invalid");
    }
    let logistics = b["logistics_type"].as_i64().unwrap_or(0);
    if !(1..=4).contains(&logistics) || b["delivery_mode"] != 1 {
        return err(10060002, "logistics_type or delivery_mode invalid");
    }
    let Some(list) = b["shipping_list"]
        .as_array()
        .filter(|l| !l.is_empty() && l.len() <= 10)
    else {
        return err(10060003, "shipping_list invalid");
    };
    for item in list {
        let desc = item["item_desc"].as_str().unwrap_or("");
        if desc.is_empty() || desc.chars().count() > 120 {
            return err(10060004, "item_desc invalid");
        }
        if logistics == 1
            && (item["tracking_no"].as_str().unwrap_or("").is_empty()
                || item["express_company"].as_str().unwrap_or("").is_empty())
        {
            return err(10060005, "express needs tracking_no and express_company");
        }
    }
    let time = b["upload_time"].as_str().unwrap_or("");
    if time.len() != 25 || !time.ends_with("+08:00") {
        return err(10060006, "upload_time is not RFC 3339");
    }
    if b["payer"]["openid"].as_str().unwrap_or("").is_empty() {
        return err(10060007, "payer.openid missing");
    }
    s.shipping.lock().expect("fake state").push(b);
    Json(json!({"errcode": 0, "errmsg": "ok"}))
}

#[derive(Deserialize)]
struct TokenParam {
    access_token: String,
}

async fn phone(
    State(s): State<Arc<FakeState>>,
    Query(t): Query<TokenParam>,
    Json(body): Json<Value>,
) -> Json<Value> {
    if t.access_token != s.token {
        return err(40001, "invalid credential, access_token is invalid");
    }
    let Some(code) = body.get("code").and_then(Value::as_str) else {
        return err(47001, "data format error");
    };
    if code.starts_with("invalid") {
        return err(40029, "invalid code");
    }
    let phone = phone_for_code(code);
    Json(json!({
        "errcode": 0, "errmsg": "ok",
        "phone_info": {
            "phoneNumber": phone, "purePhoneNumber": phone, "countryCode": "86",
            "watermark": {"timestamp": crate::db::now(), "appid": s.appid}
        }
    }))
}

async fn risk_rank(
    State(s): State<Arc<FakeState>>,
    Query(t): Query<TokenParam>,
    Json(body): Json<Value>,
) -> Json<Value> {
    if t.access_token != s.token {
        return err(40001, "invalid credential, access_token is invalid");
    }
    if body["appid"] != s.appid.as_str() {
        return err(40013, "invalid appid");
    }
    let openid = body["openid"].as_str().unwrap_or("");
    let scene_ok = matches!(body["scene"].as_i64(), Some(0 | 1));
    let ip = body["client_ip"].as_str().unwrap_or("");
    if openid.is_empty() || !scene_ok || ip.is_empty() {
        return err(47001, "data format error");
    }
    s.risk_checks.fetch_add(1, Ordering::SeqCst);
    let set = s.risk.lock().ok().and_then(|r| r.get(openid).copied());
    let rank = set.unwrap_or(if openid.starts_with("risky") { 4 } else { 0 });
    Json(json!({"errcode": 0, "errmsg": "getuserriskrank succ", "risk_rank": rank, "unoin_id": 0}))
}

async fn send(
    State(s): State<Arc<FakeState>>,
    Query(t): Query<TokenParam>,
    Json(body): Json<Value>,
) -> Json<Value> {
    if t.access_token != s.token {
        return err(40001, "invalid credential, access_token is invalid");
    }
    let Ok(msg) = serde_json::from_value::<SubscribeMessage>(body) else {
        return err(47001, "data format error");
    };
    s.attempts.fetch_add(1, Ordering::SeqCst);
    if s.fail_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return err(-1, "system error");
    }
    let refused = s
        .refused
        .lock()
        .map(|r| r.contains(&msg.touser))
        .unwrap_or(false);
    if msg.touser.starts_with("refuse") || refused {
        return err(43101, "user refuse to accept the msg");
    }
    if let Ok(mut v) = s.sent.lock() {
        v.push(msg);
    }
    err(0, "ok")
}

/// `wxa/getwxacodeunlimit`: WeChat's checks on `scene` (≤ 32 characters of its
/// alphabet) and `page` (no leading slash), then a PNG whose modules are drawn
/// from the SHA-256 of scene and page (not a readable QR code: a stand-in
/// image that differs per scene). Counted, for tests of the server's cache.
async fn unlimited_code(
    State(s): State<Arc<FakeState>>,
    Query(t): Query<TokenParam>,
    Json(body): Json<Value>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if t.access_token != s.token {
        return err(40001, "invalid credential, access_token is invalid").into_response();
    }
    let scene = body["scene"].as_str().unwrap_or("");
    let page = body["page"].as_str().unwrap_or("");
    if scene.is_empty() || crate::share::check_token(scene).is_err() {
        return err(
            40169,
            "invalid length for scene, or the data is not json string",
        )
        .into_response();
    }
    if page.starts_with('/') {
        return err(41030, "invalid page rule").into_response();
    }
    s.codes.fetch_add(1, Ordering::SeqCst);
    let png = code_png(scene, page);
    ([(axum::http::header::CONTENT_TYPE, "image/png")], png).into_response()
}

fn code_png(scene: &str, page: &str) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(format!("{scene}|{page}").as_bytes());
    const N: u32 = 16;
    const CELL: u32 = 12;
    let img = image::GrayImage::from_fn(N * CELL + 2 * CELL, N * CELL + 2 * CELL, |x, y| {
        let (cx, cy) = (x / CELL, y / CELL);
        if cx == 0 || cy == 0 || cx > N || cy > N {
            return image::Luma([255]);
        }
        let bit = ((cy - 1) * N + (cx - 1)) as usize;
        let on = hash[(bit / 8) % 32] >> (bit % 8) & 1 == 1;
        image::Luma([if on { 0 } else { 255 }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode a PNG in memory");
    out.into_inner()
}
