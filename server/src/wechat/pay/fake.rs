//! WeChat Pay's side of the fake WeChat API (loopback only): it verifies the
//! merchant's signed requests, answers signed, keeps transactions and refunds,
//! and sends notifications signed and encrypted exactly as WeChat does — or,
//! on request, the attacks a callback endpoint must survive ([`Tamper`]):
//! forged signatures, stale timestamps, `SIGNTEST` probes, unknown serials,
//! wrong amounts / mchid / appid, a body changed after signing, a resource
//! sealed with the wrong key. Duplicates and out-of-order events are just
//! notifications sent again or late.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use x509_cert::der::Decode;
use x509_cert::spki::SubjectPublicKeyInfoOwned;

use super::client::{Payer, RefundAmount, RefundInfo, Transaction, TransferBill, TxAmount};
use super::decrypt;
use super::keys::DemoPayKeys;
use super::sign::{parse_authorization, request_message, RsaSigner};
use super::verify::MAX_SKEW_SECS;
use super::{nonce, pem_der, unb64};

/// Which of WeChat's keys signs a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    PlatformCertificate,
    PublicKey,
}

/// What to do wrong when sending a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tamper {
    None,
    /// A signature by a key WeChat does not have (presented under a real serial).
    ForgedSignature,
    /// Signed correctly, then the body changed.
    BodyChangedAfterSigning,
    /// Timestamp this many seconds off.
    Timestamp(i64),
    /// `Wechatpay-Signature: WECHATPAY/SIGNTEST/…`.
    SignTest,
    UnknownSerial,
    /// The resource sealed with another APIv3 key.
    WrongApiV3Key,
    /// The transaction's (or refund's) amount.total.
    Amount(i64),
    Mchid(String),
    Appid(String),
    OutTradeNo(String),
    /// `trade_state` (e.g. NOTPAY).
    TradeState(String),
}

#[derive(Debug, Clone)]
pub struct FakeOrder {
    pub appid: String,
    pub mchid: String,
    pub out_trade_no: String,
    pub description: String,
    pub total: i64,
    pub openid: String,
    pub notify_url: String,
    pub prepay_id: String,
    pub state: String,
    pub transaction_id: Option<String>,
    pub refunded: i64,
}

#[derive(Debug, Clone)]
pub struct FakeRefund {
    pub info: RefundInfo,
    pub notify_url: String,
}

/// A 商家转账 bill the fake holds.
#[derive(Debug, Clone)]
pub struct FakeBill {
    pub bill: TransferBill,
    pub appid: String,
    pub notify_url: String,
}

pub struct FakePay {
    keys: DemoPayKeys,
    appid: String,
    merchant_public: Vec<u8>,
    platform: RsaSigner,
    public_key: RsaSigner,
    stranger: std::sync::OnceLock<RsaSigner>,
    http: reqwest::Client,
    seq: AtomicU64,
    pub orders: Mutex<BTreeMap<String, FakeOrder>>,
    /// out_trade_no by prepay_id, for the payment sheet's confirm (a lookup,
    /// not a scan of every order: the checkout benchmark makes thousands).
    prepays: Mutex<HashMap<String, String>>,
    pub refunds: Mutex<BTreeMap<String, FakeRefund>>,
    /// 商家转账 bills by out_bill_no.
    pub bills: Mutex<BTreeMap<String, FakeBill>>,
    /// When set, creating a transfer bill answers 403 with this code (such
    /// as NOT_ENOUGH, the merchant's balance short).
    pub transfer_error: Mutex<Option<String>>,
    /// Send REFUND.SUCCESS by itself shortly after a refund is accepted.
    pub auto_refund_notify: AtomicBool,
    /// Requests whose merchant signature did not verify.
    pub rejected_requests: AtomicU64,
    /// Answer errors without a signature (WeChat's gateway does).
    pub unsigned_errors: AtomicBool,
    /// Requests that did not carry `Wechatpay-Serial`.
    pub requests_without_serial: AtomicU64,
}

fn to_json_response(status: StatusCode, body: String, _pay: &FakePay) -> Response {
    let mut res = (status, body).into_response();
    res.headers_mut().insert(
        "content-type",
        "application/json".parse().expect("header value"),
    );
    res
}

/// Signs every answer as WeChat Pay does: with the WeChat Pay public key when
/// the request named its id in `Wechatpay-Serial` (a merchant switching to
/// the public key), else with the platform certificate. Error answers come
/// unsigned when [`FakePay::unsigned_errors`] is set, as WeChat's gateway
/// answers when it refuses a request before its API does.
async fn sign_answers(
    State(pay): State<Arc<FakePay>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let wants_public_key = req
        .headers()
        .get("wechatpay-serial")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == pay.keys.public_key_id);
    let res = next.run(req).await;
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    if !parts.status.is_success() && pay.unsigned_errors.load(Ordering::Relaxed) {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    let ts = crate::db::now().to_string();
    let n = nonce();
    let msg = super::verify::message(&ts, &n, &bytes);
    let (sig, serial) = if wants_public_key {
        (pay.public_key.sign(&msg), pay.keys.public_key_id.clone())
    } else {
        (pay.platform.sign(&msg), pay.keys.platform_serial.clone())
    };
    let h = &mut parts.headers;
    let set = |h: &mut HeaderMap, k: &'static str, v: &str| {
        h.insert(k, v.parse().expect("header value"));
    };
    set(h, "wechatpay-timestamp", &ts);
    set(h, "wechatpay-nonce", &n);
    set(h, "wechatpay-signature", &sig);
    set(h, "wechatpay-serial", &serial);
    set(h, "wechatpay-signature-type", "WECHATPAY2-SHA256-RSA2048");
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

fn fail(pay: &FakePay, status: StatusCode, code: &str, message: &str) -> Response {
    to_json_response(
        status,
        json!({"code": code, "message": message}).to_string(),
        pay,
    )
}

impl FakePay {
    pub fn new(appid: &str, keys: DemoPayKeys) -> anyhow::Result<FakePay> {
        let der = pem_der(&keys.merchant_public_key_pem, "PUBLIC KEY")?;
        let spki = SubjectPublicKeyInfoOwned::from_der(&der)
            .map_err(|e| anyhow::anyhow!("merchant public key: {e}"))?;
        Ok(FakePay {
            appid: appid.to_string(),
            merchant_public: spki.subject_public_key.raw_bytes().to_vec(),
            platform: RsaSigner::from_pkcs8_pem(&keys.platform_key_pem)?,
            public_key: RsaSigner::from_pkcs8_pem(&keys.public_key_private_pem)?,
            stranger: std::sync::OnceLock::new(),
            keys,
            http: reqwest::Client::new(),
            seq: AtomicU64::new(1),
            orders: Mutex::new(BTreeMap::new()),
            prepays: Mutex::new(HashMap::new()),
            refunds: Mutex::new(BTreeMap::new()),
            bills: Mutex::new(BTreeMap::new()),
            transfer_error: Mutex::new(None),
            auto_refund_notify: AtomicBool::new(true),
            rejected_requests: AtomicU64::new(0),
            unsigned_errors: AtomicBool::new(false),
            requests_without_serial: AtomicU64::new(0),
        })
    }

    fn next(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    pub fn order(&self, out_trade_no: &str) -> Option<FakeOrder> {
        self.orders.lock().ok()?.get(out_trade_no).cloned()
    }

    pub fn refund(&self, out_refund_no: &str) -> Option<FakeRefund> {
        self.refunds.lock().ok()?.get(out_refund_no).cloned()
    }

    pub fn refunds_of(&self, out_trade_no: &str) -> Vec<RefundInfo> {
        self.refunds
            .lock()
            .map(|m| {
                m.values()
                    .filter(|r| r.info.out_trade_no == out_trade_no)
                    .map(|r| r.info.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The shopper pays (what `wx.requestPayment` does): the transaction
    /// succeeds; no notification is sent (see [`FakePay::notify_payment`]).
    pub fn pay(&self, out_trade_no: &str) -> Option<FakeOrder> {
        let mut orders = self.orders.lock().ok()?;
        let o = orders.get_mut(out_trade_no)?;
        if o.state == "NOTPAY" {
            o.state = "SUCCESS".into();
            o.transaction_id = Some(format!("4200{:018}", self.next()));
        }
        Some(o.clone())
    }

    pub fn transaction(&self, o: &FakeOrder) -> Transaction {
        let paid = o.transaction_id.is_some();
        Transaction {
            appid: o.appid.clone(),
            mchid: o.mchid.clone(),
            out_trade_no: o.out_trade_no.clone(),
            transaction_id: o.transaction_id.clone(),
            trade_type: Some("JSAPI".into()),
            trade_state: o.state.clone(),
            trade_state_desc: if paid { "支付成功" } else { "未支付" }.into(),
            success_time: paid.then(|| "2025-01-01T12:00:00+08:00".into()),
            payer: Some(Payer {
                openid: o.openid.clone(),
            }),
            amount: Some(TxAmount {
                total: o.total,
                payer_total: paid.then_some(o.total),
                currency: "CNY".into(),
                payer_currency: Some("CNY".into()),
            }),
            attach: None,
        }
    }

    /// Build a notification: (headers, raw body), signed and sealed as WeChat
    /// does, then tampered with as asked.
    pub fn build_notification(
        &self,
        event_type: &str,
        original_type: &str,
        mut plain: Value,
        key: KeyMode,
        tamper: &Tamper,
    ) -> (Vec<(&'static str, String)>, String) {
        match tamper {
            Tamper::Amount(a) => plain["amount"]["total"] = json!(a),
            Tamper::Mchid(m) => plain["mchid"] = json!(m),
            Tamper::Appid(a) => plain["appid"] = json!(a),
            Tamper::OutTradeNo(n) => plain["out_trade_no"] = json!(n),
            Tamper::TradeState(s) => plain["trade_state"] = json!(s),
            _ => {}
        }
        let api_key = if *tamper == Tamper::WrongApiV3Key {
            self.keys.api_v3_key.chars().rev().collect()
        } else {
            self.keys.api_v3_key.clone()
        };
        let resource_nonce: String = nonce()[..12].to_string();
        let resource = decrypt::encrypt(
            &api_key,
            &resource_nonce,
            original_type,
            original_type,
            plain.to_string().as_bytes(),
        )
        .expect("sealing a notification");
        let id = format!("EV-{:012}", self.next());
        let body = json!({
            "id": id,
            "create_time": "2025-01-01T12:00:00+08:00",
            "event_type": event_type,
            "resource_type": "encrypt-resource",
            "resource": resource,
            "summary": if event_type.starts_with("REFUND") { "退款成功" } else { "支付成功" },
        })
        .to_string();
        let offset = match tamper {
            Tamper::Timestamp(s) => *s,
            _ => 0,
        };
        let ts = (crate::db::now() + offset).to_string();
        let n = nonce();
        let msg = super::verify::message(&ts, &n, body.as_bytes());
        let (signer, serial) = match key {
            KeyMode::PlatformCertificate => (&self.platform, self.keys.platform_serial.clone()),
            KeyMode::PublicKey => (&self.public_key, self.keys.public_key_id.clone()),
        };
        let mut signature = match tamper {
            Tamper::ForgedSignature => self.stranger().sign(&msg),
            _ => signer.sign(&msg),
        };
        if *tamper == Tamper::SignTest {
            signature = format!("WECHATPAY/SIGNTEST/{signature}");
        }
        let serial = if *tamper == Tamper::UnknownSerial {
            "PUB_KEY_ID_0000000000000000UNKNOWN".to_string()
        } else {
            serial
        };
        let body = if *tamper == Tamper::BodyChangedAfterSigning {
            body.replacen("支付成功", "支付成功 ", 1)
                .replacen("退款成功", "退款成功 ", 1)
        } else {
            body
        };
        (
            vec![
                ("wechatpay-timestamp", ts),
                ("wechatpay-nonce", n),
                ("wechatpay-signature", signature),
                ("wechatpay-serial", serial),
                (
                    "wechatpay-signature-type",
                    "WECHATPAY2-SHA256-RSA2048".into(),
                ),
            ],
            body,
        )
    }

    fn stranger(&self) -> &RsaSigner {
        // A key WeChat does not hold, generated on first use.
        self.stranger.get_or_init(|| {
            use rsa::pkcs8::EncodePrivateKey;
            let k = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).expect("stranger key");
            let pem = k
                .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
                .expect("stranger pem");
            RsaSigner::from_pkcs8_pem(&pem).expect("stranger key")
        })
    }

    /// POST a notification; returns the merchant's answer (status, body).
    pub async fn post(
        &self,
        url: &str,
        headers: Vec<(&'static str, String)>,
        body: String,
    ) -> (u16, String) {
        let mut rb = self
            .http
            .post(url)
            .header("content-type", "application/json");
        for (k, v) in headers {
            rb = rb.header(k, v);
        }
        match rb.body(body).send().await {
            Ok(res) => {
                let s = res.status().as_u16();
                (s, res.text().await.unwrap_or_default())
            }
            Err(e) => (0, e.to_string()),
        }
    }

    /// Send TRANSACTION.SUCCESS (or what `tamper` makes of it) for an order to
    /// the notify_url its prepay gave.
    pub async fn notify_payment(
        &self,
        out_trade_no: &str,
        key: KeyMode,
        tamper: Tamper,
    ) -> (u16, String) {
        let Some(o) = self.order(out_trade_no) else {
            return (0, "no such fake order".into());
        };
        let plain = serde_json::to_value(self.transaction(&o)).expect("transaction json");
        let (h, b) =
            self.build_notification("TRANSACTION.SUCCESS", "transaction", plain, key, &tamper);
        self.post(&o.notify_url, h, b).await
    }

    /// Move a refund to `status` (SUCCESS / ABNORMAL / CLOSED) and notify.
    pub async fn notify_refund(
        &self,
        out_refund_no: &str,
        status: &str,
        key: KeyMode,
        tamper: Tamper,
    ) -> (u16, String) {
        let Some(r) = self.set_refund_status(out_refund_no, status) else {
            return (0, "no such fake refund".into());
        };
        let mut plain = serde_json::to_value(&r.info).expect("refund json");
        if let Some(obj) = plain.as_object_mut() {
            if let Some(s) = obj.remove("status") {
                obj.insert("refund_status".into(), s);
            }
        }
        if let Tamper::Amount(a) = tamper {
            plain["amount"]["refund"] = json!(a);
        }
        let tamper = match tamper {
            Tamper::Amount(_) => Tamper::None,
            t => t,
        };
        let (h, b) =
            self.build_notification(&format!("REFUND.{status}"), "refund", plain, key, &tamper);
        self.post(&r.notify_url, h, b).await
    }

    fn set_refund_status(&self, out_refund_no: &str, status: &str) -> Option<FakeRefund> {
        let mut refunds = self.refunds.lock().ok()?;
        let r = refunds.get_mut(out_refund_no)?;
        // A closed or abnormal refund's cash is not out: it no longer counts
        // against the order's total (a retry or a new refund may take it).
        let counts = |s: &str| !matches!(s, "CLOSED" | "ABNORMAL");
        let delta = match (counts(&r.info.status), counts(status)) {
            (true, false) => -r.info.amount.refund,
            (false, true) => r.info.amount.refund,
            _ => 0,
        };
        if delta != 0 {
            if let Some(o) = self.orders.lock().ok()?.get_mut(&r.info.out_trade_no) {
                o.refunded += delta;
            }
        }
        r.info.status = status.to_string();
        if status == "SUCCESS" {
            r.info.success_time = Some("2025-01-02T12:00:00+08:00".into());
            r.info.user_received_account = Some("支付用户零钱".into());
        }
        Some(r.clone())
    }

    pub fn bill(&self, out_bill_no: &str) -> Option<FakeBill> {
        self.bills.lock().ok()?.get(out_bill_no).cloned()
    }

    /// Move a bill to `state` (SUCCESS / FAIL / CANCELLED / …) unless it has
    /// ended already; answers the bill as it is now.
    pub fn set_bill_state(
        &self,
        out_bill_no: &str,
        state: &str,
        fail_reason: Option<&str>,
    ) -> Option<FakeBill> {
        let mut bills = self.bills.lock().ok()?;
        let b = bills.get_mut(out_bill_no)?;
        if !matches!(b.bill.state.as_str(), "SUCCESS" | "FAIL" | "CANCELLED") {
            b.bill.state = state.to_string();
            b.bill.fail_reason = fail_reason.map(str::to_string);
            b.bill.update_time = Some("2025-01-02T12:00:00+08:00".into());
        }
        Some(b.clone())
    }

    /// Send `MCHTRANSFER.BILL.FINISHED` with the bill as it is now (or
    /// what `tamper` makes of it; `Tamper::Amount` changes transfer_amount).
    pub async fn notify_transfer(
        &self,
        out_bill_no: &str,
        key: KeyMode,
        tamper: Tamper,
    ) -> (u16, String) {
        let Some(b) = self.bill(out_bill_no) else {
            return (0, "no such fake bill".into());
        };
        let mut bill = b.bill.clone();
        bill.package_info = None;
        let mut plain = serde_json::to_value(&bill).expect("bill json");
        let tamper = match tamper {
            Tamper::Amount(a) => {
                plain["transfer_amount"] = json!(a);
                Tamper::None
            }
            Tamper::Mchid(m) => {
                plain["mch_id"] = json!(m);
                Tamper::None
            }
            t => t,
        };
        let (h, body) = self.build_notification(
            "MCHTRANSFER.BILL.FINISHED",
            "mch_payment",
            plain,
            key,
            &tamper,
        );
        self.post(&b.notify_url, h, body).await
    }

    /// The promoter confirms receipt (what `wx.requestMerchantTransfer`
    /// leads to): SUCCESS, then the notification.
    pub async fn confirm_transfer(&self, out_bill_no: &str) -> (u16, String) {
        if self.set_bill_state(out_bill_no, "SUCCESS", None).is_none() {
            return (0, "no such fake bill".into());
        }
        self.notify_transfer(out_bill_no, KeyMode::PublicKey, Tamper::None)
            .await
    }

    /// The transfer fails at WeChat Pay (e.g. the user's 零钱 is restricted):
    /// FAIL with a reason, then the notification.
    pub async fn fail_transfer(&self, out_bill_no: &str, reason: &str) -> (u16, String) {
        if self
            .set_bill_state(out_bill_no, "FAIL", Some(reason))
            .is_none()
        {
            return (0, "no such fake bill".into());
        }
        self.notify_transfer(out_bill_no, KeyMode::PublicKey, Tamper::None)
            .await
    }

    /// Check the merchant's `Authorization` over this exact request.
    fn authorised(&self, method: &str, path_query: &str, headers: &HeaderMap, body: &[u8]) -> bool {
        if !headers.contains_key("wechatpay-serial") {
            self.requests_without_serial.fetch_add(1, Ordering::Relaxed);
        }
        let ok = (|| {
            let auth = parse_authorization(headers.get("authorization")?.to_str().ok()?)?;
            if auth.get("mchid")? != &self.keys.mchid
                || auth.get("serial_no")? != &self.keys.merchant_serial
            {
                return None;
            }
            let ts: i64 = auth.get("timestamp")?.parse().ok()?;
            if (crate::db::now() - ts).abs() > MAX_SKEW_SECS {
                return None;
            }
            let body = std::str::from_utf8(body).ok()?;
            let msg = request_message(method, path_query, ts, auth.get("nonce_str")?, body);
            let sig = unb64(auth.get("signature")?)?;
            UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.merchant_public)
                .verify(msg.as_bytes(), &sig)
                .ok()
        })()
        .is_some();
        if !ok {
            self.rejected_requests.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }
}

pub fn router(pay: Arc<FakePay>) -> Router {
    Router::new()
        .route("/v3/pay/transactions/jsapi", post(jsapi))
        .route("/v3/pay/transactions/out-trade-no/{no}", get(query))
        .route("/v3/pay/transactions/out-trade-no/{no}/close", post(close))
        .route("/v3/refund/domestic/refunds", post(refund))
        .route("/v3/refund/domestic/refunds/{no}", get(query_refund))
        .route(
            "/v3/fund-app/mch-transfer/transfer-bills",
            post(create_bill),
        )
        .route(
            "/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{no}",
            get(query_bill),
        )
        .route(
            "/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{no}/cancel",
            post(cancel_bill),
        )
        .layer(axum::middleware::from_fn_with_state(
            pay.clone(),
            sign_answers,
        ))
        .route("/fake/pay/confirm", post(confirm))
        .route("/fake/pay/transfer/confirm", post(confirm_bill))
        .with_state(pay)
}

fn path_query(uri: &axum::http::Uri) -> String {
    uri.path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default()
}

async fn jsapi(
    State(pay): State<Arc<FakePay>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !pay.authorised("POST", &path_query(&uri), &headers, &body) {
        return fail(&pay, StatusCode::UNAUTHORIZED, "SIGN_ERROR", "签名错误");
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return fail(&pay, StatusCode::BAD_REQUEST, "PARAM_ERROR", "参数错误");
    };
    let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
    let total = v["amount"]["total"].as_i64().unwrap_or(0);
    if s("appid") != pay.appid || s("mchid") != pay.keys.mchid {
        return fail(
            &pay,
            StatusCode::BAD_REQUEST,
            "APPID_MCHID_NOT_MATCH",
            "appid和mch_id不匹配",
        );
    }
    if total < 1 || v["amount"]["currency"] != "CNY" {
        return fail(&pay, StatusCode::BAD_REQUEST, "PARAM_ERROR", "订单金额错误");
    }
    let no = s("out_trade_no");
    let openid = v["payer"]["openid"].as_str().unwrap_or("").to_string();
    if no.is_empty() || openid.is_empty() || s("notify_url").is_empty() {
        return fail(&pay, StatusCode::BAD_REQUEST, "PARAM_ERROR", "缺少参数");
    }
    let mut orders = pay.orders.lock().expect("fake orders");
    if let Some(o) = orders.get(&no) {
        if o.state != "NOTPAY" {
            return fail(
                &pay,
                StatusCode::FORBIDDEN,
                "ORDER_PAID",
                "订单已支付或已关闭",
            );
        }
        if o.total != total || o.openid != openid {
            return fail(
                &pay,
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                "订单号重复",
            );
        }
        let id = o.prepay_id.clone();
        return to_json_response(StatusCode::OK, json!({"prepay_id": id}).to_string(), &pay);
    }
    let prepay_id = format!("wx{:016}{}", pay.next(), &nonce()[..10]);
    pay.prepays
        .lock()
        .expect("fake prepays")
        .insert(prepay_id.clone(), no.clone());
    orders.insert(
        no.clone(),
        FakeOrder {
            appid: s("appid"),
            mchid: s("mchid"),
            out_trade_no: no,
            description: s("description"),
            total,
            openid,
            notify_url: s("notify_url"),
            prepay_id: prepay_id.clone(),
            state: "NOTPAY".into(),
            transaction_id: None,
            refunded: 0,
        },
    );
    to_json_response(
        StatusCode::OK,
        json!({"prepay_id": prepay_id}).to_string(),
        &pay,
    )
}

async fn query(
    State(pay): State<Arc<FakePay>>,
    Path(no): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    if !pay.authorised("GET", &path_query(&uri), &headers, b"") {
        return fail(&pay, StatusCode::UNAUTHORIZED, "SIGN_ERROR", "签名错误");
    }
    match pay.order(&no) {
        Some(o) => to_json_response(
            StatusCode::OK,
            serde_json::to_string(&pay.transaction(&o)).expect("json"),
            &pay,
        ),
        None => fail(&pay, StatusCode::NOT_FOUND, "ORDER_NOT_EXIST", "订单不存在"),
    }
}

async fn close(
    State(pay): State<Arc<FakePay>>,
    Path(no): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !pay.authorised("POST", &path_query(&uri), &headers, &body) {
        return fail(&pay, StatusCode::UNAUTHORIZED, "SIGN_ERROR", "签名错误");
    }
    let mut orders = pay.orders.lock().expect("fake orders");
    match orders.get_mut(&no) {
        Some(o) if o.state == "NOTPAY" || o.state == "CLOSED" => {
            o.state = "CLOSED".into();
            drop(orders);
            to_json_response(StatusCode::NO_CONTENT, String::new(), &pay)
        }
        Some(_) => fail(&pay, StatusCode::BAD_REQUEST, "ORDER_PAID", "订单已支付"),
        None => fail(&pay, StatusCode::NOT_FOUND, "ORDER_NOT_EXIST", "订单不存在"),
    }
}

async fn refund(
    State(pay): State<Arc<FakePay>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !pay.authorised("POST", &path_query(&uri), &headers, &body) {
        return fail(&pay, StatusCode::UNAUTHORIZED, "SIGN_ERROR", "签名错误");
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return fail(&pay, StatusCode::BAD_REQUEST, "PARAM_ERROR", "参数错误");
    };
    let no = v["out_trade_no"].as_str().unwrap_or("").to_string();
    let out_refund_no = v["out_refund_no"].as_str().unwrap_or("").to_string();
    let amount = v["amount"]["refund"].as_i64().unwrap_or(0);
    let total = v["amount"]["total"].as_i64().unwrap_or(0);
    if let Some(r) = pay.refund(&out_refund_no) {
        // Idempotent by out_refund_no.
        return to_json_response(
            StatusCode::OK,
            serde_json::to_string(&r.info).expect("json"),
            &pay,
        );
    }
    let info = {
        let mut orders = pay.orders.lock().expect("fake orders");
        let Some(o) = orders.get_mut(&no) else {
            return fail(
                &pay,
                StatusCode::NOT_FOUND,
                "RESOURCE_NOT_EXISTS",
                "订单不存在",
            );
        };
        if o.transaction_id.is_none() {
            return fail(&pay, StatusCode::FORBIDDEN, "NOT_ENOUGH", "订单未支付");
        }
        if total != o.total || amount < 1 || o.refunded + amount > o.total {
            return fail(&pay, StatusCode::BAD_REQUEST, "PARAM_ERROR", "退款金额错误");
        }
        o.refunded += amount;
        if o.refunded == o.total {
            o.state = "REFUND".into();
        }
        RefundInfo {
            mchid: Some(o.mchid.clone()),
            out_trade_no: no.clone(),
            transaction_id: o.transaction_id.clone(),
            out_refund_no: out_refund_no.clone(),
            refund_id: format!("5030{:018}", pay.next()),
            status: "PROCESSING".into(),
            success_time: None,
            user_received_account: None,
            amount: RefundAmount {
                total,
                refund: amount,
                payer_total: Some(total),
                payer_refund: Some(amount),
                currency: "CNY".into(),
            },
        }
    };
    let notify_url = v["notify_url"].as_str().unwrap_or("").to_string();
    pay.refunds.lock().expect("fake refunds").insert(
        out_refund_no.clone(),
        FakeRefund {
            info: info.clone(),
            notify_url,
        },
    );
    if pay.auto_refund_notify.load(Ordering::Relaxed) {
        let pay2 = pay.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            pay2.notify_refund(&out_refund_no, "SUCCESS", KeyMode::PublicKey, Tamper::None)
                .await;
        });
    }
    to_json_response(
        StatusCode::OK,
        serde_json::to_string(&info).expect("json"),
        &pay,
    )
}

async fn query_refund(
    State(pay): State<Arc<FakePay>>,
    Path(no): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    if !pay.authorised("GET", &path_query(&uri), &headers, b"") {
        return fail(&pay, StatusCode::UNAUTHORIZED, "SIGN_ERROR", "签名错误");
    }
    match pay.refund(&no) {
        Some(r) => to_json_response(
            StatusCode::OK,
            serde_json::to_string(&r.info).expect("json"),
            &pay,
        ),
        None => fail(
            &pay,
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_EXISTS",
            "退款单不存在",
        ),
    }
}

/// The demo's stand-in for the payment sheet: `{"prepayId"}` pays that order
/// and sends its notification, as WeChat would after `wx.requestPayment`.
async fn confirm(State(pay): State<Arc<FakePay>>, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let prepay = v["prepayId"].as_str().unwrap_or("").to_string();
    let no = pay
        .prepays
        .lock()
        .ok()
        .and_then(|m| m.get(&prepay).cloned());
    let Some(no) = no else {
        return (StatusCode::NOT_FOUND, "no such prepay").into_response();
    };
    pay.pay(&no);
    let (status, answer) = pay
        .notify_payment(&no, KeyMode::PublicKey, Tamper::None)
        .await;
    (
        StatusCode::OK,
        axum::Json(json!({"outTradeNo": no, "notifyStatus": status, "notifyAnswer": answer})),
    )
        .into_response()
}

fn bill_json(b: &TransferBill, with_package: bool) -> String {
    let mut b = b.clone();
    if !with_package {
        b.package_info = None;
    }
    serde_json::to_string(&b).expect("json")
}

/// 商家转账: create a bill (user-confirm mode: WAIT_USER_CONFIRM with a
/// `package_info`), idempotent by out_bill_no.
async fn create_bill(
    State(pay): State<Arc<FakePay>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !pay.authorised("POST", &path_query(&uri), &headers, &body) {
        return fail(&pay, StatusCode::UNAUTHORIZED, "SIGN_ERROR", "签名错误");
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return fail(&pay, StatusCode::BAD_REQUEST, "PARAM_ERROR", "参数错误");
    };
    let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
    if s("appid") != pay.appid {
        return fail(
            &pay,
            StatusCode::BAD_REQUEST,
            "APPID_MCHID_NOT_MATCH",
            "appid和mch_id不匹配",
        );
    }
    let amount = v["transfer_amount"].as_i64().unwrap_or(0);
    let (no, openid) = (s("out_bill_no"), s("openid"));
    if amount < 10
        || no.is_empty()
        || openid.is_empty()
        || s("notify_url").is_empty()
        || s("transfer_scene_id").is_empty()
    {
        return fail(&pay, StatusCode::BAD_REQUEST, "PARAM_ERROR", "参数错误");
    }
    let mut bills = pay.bills.lock().expect("fake bills");
    if let Some(b) = bills.get(&no) {
        if b.bill.transfer_amount != Some(amount) || b.bill.openid.as_deref() != Some(&openid) {
            return fail(
                &pay,
                StatusCode::BAD_REQUEST,
                "PARAM_ERROR",
                "商户单号重复，参数不一致",
            );
        }
        let answer = bill_json(&b.bill, true);
        return to_json_response(StatusCode::OK, answer, &pay);
    }
    if let Some(code) = pay.transfer_error.lock().expect("fake").clone() {
        return fail(&pay, StatusCode::FORBIDDEN, &code, "商户运营账户资金不足");
    }
    let bill = TransferBill {
        mch_id: Some(pay.keys.mchid.clone()),
        out_bill_no: no.clone(),
        transfer_bill_no: Some(format!("1330{:018}", pay.next())),
        state: "WAIT_USER_CONFIRM".into(),
        transfer_amount: Some(amount),
        openid: Some(openid),
        fail_reason: None,
        package_info: Some(format!("ABBQO+oYAAABAAAAAAAk{}", nonce())),
        create_time: Some("2025-01-01T12:00:00+08:00".into()),
        update_time: Some("2025-01-01T12:00:00+08:00".into()),
    };
    let answer = bill_json(&bill, true);
    bills.insert(
        no,
        FakeBill {
            bill,
            appid: s("appid"),
            notify_url: s("notify_url"),
        },
    );
    to_json_response(StatusCode::OK, answer, &pay)
}

async fn query_bill(
    State(pay): State<Arc<FakePay>>,
    Path(no): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    if !pay.authorised("GET", &path_query(&uri), &headers, b"") {
        return fail(&pay, StatusCode::UNAUTHORIZED, "SIGN_ERROR", "签名错误");
    }
    match pay.bill(&no) {
        Some(b) => to_json_response(StatusCode::OK, bill_json(&b.bill, false), &pay),
        None => fail(&pay, StatusCode::NOT_FOUND, "NOT_FOUND", "记录不存在"),
    }
}

/// Cancel a bill the user has not confirmed: CANCELLED at once (WeChat
/// passes through CANCELING).
async fn cancel_bill(
    State(pay): State<Arc<FakePay>>,
    Path(no): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !pay.authorised("POST", &path_query(&uri), &headers, &body) {
        return fail(&pay, StatusCode::UNAUTHORIZED, "SIGN_ERROR", "签名错误");
    }
    let Some(b) = pay.bill(&no) else {
        return fail(&pay, StatusCode::NOT_FOUND, "NOT_FOUND", "记录不存在");
    };
    if !matches!(
        b.bill.state.as_str(),
        "ACCEPTED" | "PROCESSING" | "WAIT_USER_CONFIRM" | "CANCELLED"
    ) {
        return fail(
            &pay,
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "当前状态不支持撤销",
        );
    }
    let b = pay
        .set_bill_state(&no, "CANCELLED", Some("商户撤销"))
        .unwrap_or(b);
    to_json_response(StatusCode::OK, bill_json(&b.bill, false), &pay)
}

/// The demo's stand-in for `wx.requestMerchantTransfer`: `{"packageInfo"}`
/// (or `{"outBillNo"}`) confirms that bill and sends its notification.
async fn confirm_bill(State(pay): State<Arc<FakePay>>, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let package = v["packageInfo"].as_str().unwrap_or("").to_string();
    let no = v["outBillNo"].as_str().map(str::to_string).or_else(|| {
        pay.bills.lock().ok().and_then(|m| {
            m.values()
                .find(|b| b.bill.package_info.as_deref() == Some(package.as_str()))
                .map(|b| b.bill.out_bill_no.clone())
        })
    });
    let Some(no) = no else {
        return (StatusCode::NOT_FOUND, "no such bill").into_response();
    };
    let (status, answer) = pay.confirm_transfer(&no).await;
    (
        StatusCode::OK,
        axum::Json(json!({"outBillNo": no, "notifyStatus": status, "notifyAnswer": answer})),
    )
        .into_response()
}
