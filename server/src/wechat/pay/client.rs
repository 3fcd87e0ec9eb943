//! The merchant's WeChat Pay v3 client: JSAPI prepay, query, close, refund.
//! Every request is signed ([`MerchantSigner`]); every answer's signature is
//! verified ([`PlatformVerifier`]) before its body is believed.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::decrypt::{self, Resource};
use super::sign::RequestPayment;
use super::verify::{NotifyHeaders, VerifyError};
use super::{MerchantSigner, PlatformVerifier};

#[derive(Debug, thiserror::Error)]
pub enum PayError {
    /// An error answer. `verified` says whether it carried a valid WeChat
    /// Pay signature; an unverified one never changes money state.
    #[error("wechat pay {status} {code}: {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
        verified: bool,
    },
    #[error("wechat pay unreachable: {0}")]
    Transport(String),
    #[error("wechat pay answer not verified: {0}")]
    Verify(#[from] VerifyError),
    #[error("wechat pay answer malformed: {0}")]
    Decode(String),
}

impl From<reqwest::Error> for PayError {
    fn from(e: reqwest::Error) -> Self {
        PayError::Transport(e.to_string())
    }
}

impl PayError {
    pub fn code(&self) -> &str {
        match self {
            PayError::Api { code, .. } => code,
            _ => "",
        }
    }

    /// The error code, only from a signed answer.
    pub fn verified_code(&self) -> &str {
        match self {
            PayError::Api {
                code,
                verified: true,
                ..
            } => code,
            _ => "",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payer {
    pub openid: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxAmount {
    /// Fen; an integer (a string here fails to parse, and so is rejected).
    pub total: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_total: Option<i64>,
    #[serde(default = "cny")]
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_currency: Option<String>,
}

fn cny() -> String {
    "CNY".into()
}

/// A transaction, as the payment notification and the query carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    pub appid: String,
    pub mchid: String,
    pub out_trade_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_type: Option<String>,
    pub trade_state: String,
    #[serde(default)]
    pub trade_state_desc: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<Payer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<TxAmount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundAmount {
    pub total: i64,
    pub refund: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_total: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_refund: Option<i64>,
    #[serde(default = "cny")]
    pub currency: String,
}

/// A refund, as the refund API answers and the refund notification carries it
/// (`status` in the answer, `refund_status` in the notification).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mchid: Option<String>,
    pub out_trade_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    pub out_refund_no: String,
    pub refund_id: String,
    #[serde(default, alias = "refund_status")]
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_received_account: Option<String>,
    pub amount: RefundAmount,
}

/// A 商家转账 transfer bill, as the create answer, the query and the
/// `MCHTRANSFER.BILL.FINISHED` notification carry it. States: ACCEPTED,
/// PROCESSING, WAIT_USER_CONFIRM, TRANSFERING, SUCCESS, FAIL, CANCELING,
/// CANCELLED.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferBill {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mch_id: Option<String>,
    pub out_bill_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_bill_no: Option<String>,
    pub state: String,
    /// Fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_reason: Option<String>,
    /// What `wx.requestMerchantTransfer` takes as `package` (create answer only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_info: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<String>,
}

/// A notification's envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: String,
    #[serde(default)]
    pub create_time: String,
    pub event_type: String,
    #[serde(default)]
    pub resource_type: String,
    pub resource: Resource,
    #[serde(default)]
    pub summary: String,
}

pub struct PayClient {
    http: reqwest::Client,
    base: String,
    pub appid: String,
    pub signer: MerchantSigner,
    pub verifier: PlatformVerifier,
    api_v3_key: String,
    pub notify_url: String,
    pub refund_notify_url: String,
    /// Where 商家转账 results are sent: `WECHATPAY_TRANSFER_NOTIFY_URL`, else
    /// the payment notify URL's sibling `transfer-notify`.
    pub transfer_notify_url: String,
    /// The `PUB_KEY_ID_…` sent as `Wechatpay-Serial` on every request.
    pub public_key_id: Option<String>,
}

/// Why a notification was refused (answered 4xx/5xx with `{"code":"FAIL"}`).
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("{0}")]
    Verify(#[from] VerifyError),
    #[error("malformed notification: {0}")]
    Malformed(String),
    #[error("resource: {0}")]
    Decrypt(#[from] decrypt::DecryptError),
}

impl PayClient {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        base: String,
        appid: &str,
        signer: MerchantSigner,
        verifier: PlatformVerifier,
        api_v3_key: &str,
        notify_url: String,
        refund_notify_url: String,
    ) -> PayClient {
        PayClient {
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .expect("http client"),
            base,
            appid: appid.to_string(),
            signer,
            verifier,
            api_v3_key: api_v3_key.to_string(),
            transfer_notify_url: match notify_url.rsplit_once('/') {
                Some((base, _)) => format!("{base}/transfer-notify"),
                None => notify_url.clone(),
            },
            notify_url,
            refund_notify_url,
            public_key_id: None,
        }
    }

    /// Send 商家转账 results to `url` (`WECHATPAY_TRANSFER_NOTIFY_URL`)
    /// instead of the notify URL's sibling; None keeps that default.
    pub fn with_transfer_notify_url(mut self, url: Option<String>) -> PayClient {
        if let Some(url) = url {
            self.transfer_notify_url = url;
        }
        self
    }

    /// Name the WeChat Pay public key on every request (`Wechatpay-Serial`).
    pub fn with_public_key_id(mut self, id: Option<String>) -> PayClient {
        self.public_key_id = id;
        self
    }

    pub fn mchid(&self) -> &str {
        &self.signer.mchid
    }

    /// Verify (signature, serial, time) and decrypt a notification's raw body.
    pub fn open_notification(
        &self,
        headers: &NotifyHeaders,
        body: &[u8],
        now: i64,
    ) -> Result<(Notification, Vec<u8>), NotifyError> {
        self.verifier.verify(headers, body, now)?;
        let n: Notification =
            serde_json::from_slice(body).map_err(|e| NotifyError::Malformed(e.to_string()))?;
        let plain = decrypt::decrypt(&self.api_v3_key, &n.resource)?;
        Ok((n, plain))
    }

    async fn call(
        &self,
        method: Method,
        path_query: &str,
        body: Option<&Value>,
    ) -> Result<Option<Value>, PayError> {
        let body_text = body.map(|b| b.to_string()).unwrap_or_default();
        let now = crate::db::now();
        let auth = self
            .signer
            .authorization(method.as_str(), path_query, &body_text, now);
        let mut rb = self
            .http
            .request(method, format!("{}{path_query}", self.base))
            .header("authorization", auth)
            .header("accept", "application/json")
            .header("user-agent", "mall-server");
        // With the WeChat Pay public key configured, every request names it,
        // so WeChat answers signed with that key while a merchant switches
        // over from platform certificates (as wechatpayv3 does).
        if let Some(id) = &self.public_key_id {
            rb = rb.header("wechatpay-serial", id);
        }
        if body.is_some() {
            rb = rb
                .header("content-type", "application/json")
                .body(body_text);
        }
        let res = rb.send().await?;
        let status = res.status().as_u16();
        let headers = NotifyHeaders::from_headers(res.headers());
        let bytes = res.bytes().await?;
        let verified = headers
            .as_ref()
            .map_err(|e| e.clone())
            .and_then(|h| self.verifier.verify(h, &bytes, crate::db::now()));
        // WeChat Pay signs its answers, but an error may come unsigned (its
        // gateway refusing a request, a signature it could not check): an
        // error is reported either way, marked verified or not; a success
        // must verify, since only a success moves money.
        if !(200..300).contains(&status) {
            let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            return Err(PayError::Api {
                status,
                code: v["code"].as_str().unwrap_or("").to_string(),
                message: v["message"].as_str().unwrap_or("").to_string(),
                verified: verified.is_ok(),
            });
        }
        verified?;
        if bytes.is_empty() {
            return Ok(None);
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| PayError::Decode(e.to_string()))
    }

    /// JSAPI (mini-program) prepay for `total` fen; returns the prepay id.
    pub async fn prepay_jsapi(
        &self,
        out_trade_no: &str,
        description: &str,
        total: i64,
        openid: &str,
        time_expire: Option<String>,
    ) -> Result<String, PayError> {
        let mut body = json!({
            "appid": self.appid,
            "mchid": self.mchid(),
            "description": description,
            "out_trade_no": out_trade_no,
            "notify_url": self.notify_url,
            "amount": {"total": total, "currency": "CNY"},
            "payer": {"openid": openid},
        });
        if let Some(t) = time_expire {
            body["time_expire"] = json!(t);
        }
        let v = self
            .call(Method::POST, "/v3/pay/transactions/jsapi", Some(&body))
            .await?
            .ok_or_else(|| PayError::Decode("empty prepay answer".into()))?;
        v["prepay_id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| PayError::Decode("no prepay_id".into()))
    }

    pub fn request_payment(&self, prepay_id: &str, now: i64) -> RequestPayment {
        self.signer.request_payment(&self.appid, prepay_id, now)
    }

    pub async fn query_order(&self, out_trade_no: &str) -> Result<Transaction, PayError> {
        let v = self
            .call(
                Method::GET,
                &format!(
                    "/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={}",
                    self.mchid()
                ),
                None,
            )
            .await?
            .ok_or_else(|| PayError::Decode("empty query answer".into()))?;
        serde_json::from_value(v).map_err(|e| PayError::Decode(e.to_string()))
    }

    pub async fn close_order(&self, out_trade_no: &str) -> Result<(), PayError> {
        self.call(
            Method::POST,
            &format!("/v3/pay/transactions/out-trade-no/{out_trade_no}/close"),
            Some(&json!({"mchid": self.mchid()})),
        )
        .await?;
        Ok(())
    }

    pub async fn refund(
        &self,
        out_trade_no: &str,
        out_refund_no: &str,
        refund: i64,
        total: i64,
        reason: &str,
    ) -> Result<RefundInfo, PayError> {
        let body = json!({
            "out_trade_no": out_trade_no,
            "out_refund_no": out_refund_no,
            "reason": reason,
            "notify_url": self.refund_notify_url,
            "amount": {"refund": refund, "total": total, "currency": "CNY"},
        });
        let v = self
            .call(Method::POST, "/v3/refund/domestic/refunds", Some(&body))
            .await?
            .ok_or_else(|| PayError::Decode("empty refund answer".into()))?;
        serde_json::from_value(v).map_err(|e| PayError::Decode(e.to_string()))
    }

    pub async fn query_refund(&self, out_refund_no: &str) -> Result<RefundInfo, PayError> {
        let v = self
            .call(
                Method::GET,
                &format!("/v3/refund/domestic/refunds/{out_refund_no}"),
                None,
            )
            .await?
            .ok_or_else(|| PayError::Decode("empty refund query answer".into()))?;
        serde_json::from_value(v).map_err(|e| PayError::Decode(e.to_string()))
    }

    /// 商家转账 (user-confirm mode): create the transfer bill for `amount`
    /// fen to `openid`; idempotent by `out_bill_no`. The answer's
    /// `package_info` goes to `wx.requestMerchantTransfer`.
    pub async fn create_transfer(
        &self,
        out_bill_no: &str,
        openid: &str,
        amount: i64,
        remark: &str,
    ) -> Result<TransferBill, PayError> {
        let body = json!({
            "appid": self.appid,
            "out_bill_no": out_bill_no,
            "transfer_scene_id": "1000",
            "openid": openid,
            "transfer_amount": amount,
            "transfer_remark": remark,
            "notify_url": self.transfer_notify_url,
            "user_recv_perception": "现金奖励",
            "transfer_scene_report_infos": [
                {"info_type": "活动名称", "info_content": "分销推广"},
                {"info_type": "奖励说明", "info_content": "推广佣金提现"}
            ],
        });
        let v = self
            .call(
                Method::POST,
                "/v3/fund-app/mch-transfer/transfer-bills",
                Some(&body),
            )
            .await?
            .ok_or_else(|| PayError::Decode("empty transfer answer".into()))?;
        serde_json::from_value(v).map_err(|e| PayError::Decode(e.to_string()))
    }

    pub async fn query_transfer(&self, out_bill_no: &str) -> Result<TransferBill, PayError> {
        let v = self
            .call(
                Method::GET,
                &format!("/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{out_bill_no}"),
                None,
            )
            .await?
            .ok_or_else(|| PayError::Decode("empty transfer query answer".into()))?;
        serde_json::from_value(v).map_err(|e| PayError::Decode(e.to_string()))
    }

    /// Cancel a bill the user has not confirmed (CANCELING, then CANCELLED).
    pub async fn cancel_transfer(&self, out_bill_no: &str) -> Result<TransferBill, PayError> {
        let v = self
            .call(
                Method::POST,
                &format!(
                    "/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{out_bill_no}/cancel"
                ),
                None,
            )
            .await?
            .ok_or_else(|| PayError::Decode("empty transfer cancel answer".into()))?;
        serde_json::from_value(v).map_err(|e| PayError::Decode(e.to_string()))
    }
}
