//! WeChat's server API: login (code2Session), the phone number, subscription
//! messages. `fake` is a loopback stand-in used by the demo and the tests; a
//! later issue adds WeChat Pay v3 (prepay, notify verification) next to these.

pub mod demo;
#[cfg(feature = "demo")]
pub mod fake;
pub mod pay;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::Mutex;

#[derive(Debug, thiserror::Error)]
pub enum WeChatError {
    #[error("wechat errcode {errcode}: {errmsg}")]
    Api { errcode: i64, errmsg: String },
    #[error("wechat unreachable: {0}")]
    Transport(String),
}

impl WeChatError {
    pub fn errcode(&self) -> i64 {
        match self {
            WeChatError::Api { errcode, .. } => *errcode,
            WeChatError::Transport(_) => -1,
        }
    }

    /// The code the shopper sent was bad or used (they should log in again).
    pub fn is_bad_code(&self) -> bool {
        matches!(self.errcode(), 40029 | 40163)
    }
}

impl From<reqwest::Error> for WeChatError {
    fn from(e: reqwest::Error) -> Self {
        WeChatError::Transport(e.to_string())
    }
}

/// What code2Session returns. `session_key` stays on the server.
#[derive(Debug, Clone, Deserialize)]
pub struct WxSession {
    pub openid: String,
    pub session_key: String,
    #[serde(default)]
    pub unionid: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SubscribeMessage {
    pub touser: String,
    pub template_id: String,
    #[serde(default)]
    pub page: Option<String>,
    pub data: Value,
}

/// `getuserriskrank`'s scene for marketing abuse (营销作弊); 0 is sign-up.
pub const RISK_SCENE_MARKETING: i64 = 1;

pub struct WeChatClient {
    http: reqwest::Client,
    base: String,
    appid: String,
    secret: String,
    token: Mutex<Option<(String, std::time::Instant)>>,
}

fn check(v: &Value) -> Result<(), WeChatError> {
    match v.get("errcode").and_then(Value::as_i64) {
        None | Some(0) => Ok(()),
        Some(errcode) => Err(WeChatError::Api {
            errcode,
            errmsg: v
                .get("errmsg")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        }),
    }
}

impl WeChatClient {
    pub fn new(base: String, appid: &str, secret: &str) -> WeChatClient {
        WeChatClient {
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .expect("http client"),
            base,
            appid: appid.to_string(),
            secret: secret.to_string(),
            token: Mutex::new(None),
        }
    }

    pub async fn code2session(&self, code: &str) -> Result<WxSession, WeChatError> {
        let v: Value = self
            .http
            .get(format!("{}/sns/jscode2session", self.base))
            .query(&[
                ("appid", self.appid.as_str()),
                ("secret", self.secret.as_str()),
                ("js_code", code),
                ("grant_type", "authorization_code"),
            ])
            .send()
            .await?
            .json()
            .await?;
        check(&v)?;
        serde_json::from_value(v).map_err(|e| WeChatError::Transport(e.to_string()))
    }

    /// The app's access token from `/cgi-bin/stable_token` (cached until
    /// shortly before it expires).
    pub async fn access_token(&self) -> Result<String, WeChatError> {
        let mut cached = self.token.lock().await;
        if let Some((t, until)) = cached.as_ref() {
            if std::time::Instant::now() < *until {
                return Ok(t.clone());
            }
        }
        // The stable token: several server instances each asking for a token
        // get the same one, instead of invalidating each other's.
        let v: Value = self
            .http
            .post(format!("{}/cgi-bin/stable_token", self.base))
            .json(&json!({
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self.secret,
                "force_refresh": false,
            }))
            .send()
            .await?
            .json()
            .await?;
        check(&v)?;
        let token = v["access_token"]
            .as_str()
            .ok_or_else(|| WeChatError::Transport("no access_token".into()))?
            .to_string();
        let ttl = v["expires_in"].as_u64().unwrap_or(7200).saturating_sub(300);
        *cached = Some((
            token.clone(),
            std::time::Instant::now() + std::time::Duration::from_secs(ttl),
        ));
        Ok(token)
    }

    /// 发货信息录入: report a paid order's shipping to WeChat
    /// (`/wxa/sec/order/upload_shipping_info`), which a trading mini-program
    /// must do or its payments may be restricted.
    pub async fn upload_shipping_info(&self, body: &Value) -> Result<(), WeChatError> {
        let token = self.access_token().await?;
        let v: Value = self
            .http
            .post(format!("{}/wxa/sec/order/upload_shipping_info", self.base))
            .query(&[("access_token", token.as_str())])
            .json(body)
            .send()
            .await?
            .json()
            .await?;
        check(&v)
    }

    /// The phone number behind a `getPhoneNumber` button code.
    pub async fn phone_number(&self, code: &str) -> Result<String, WeChatError> {
        let token = self.access_token().await?;
        let v: Value = self
            .http
            .post(format!("{}/wxa/business/getuserphonenumber", self.base))
            .query(&[("access_token", token.as_str())])
            .json(&json!({ "code": code }))
            .send()
            .await?
            .json()
            .await?;
        check(&v)?;
        v["phone_info"]["phoneNumber"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| WeChatError::Transport("no phone_info".into()))
    }

    /// 小程序码 (`/wxa/getwxacodeunlimit`): a code that opens `page` with
    /// `scene` (the mini-program reads `decodeURIComponent(query.scene)`).
    /// The image's bytes, or WeChat's error (its errors come as JSON).
    pub async fn unlimited_code(
        &self,
        scene: &str,
        page: &str,
        env_version: &str,
    ) -> Result<Vec<u8>, WeChatError> {
        let token = self.access_token().await?;
        let res = self
            .http
            .post(format!("{}/wxa/getwxacodeunlimit", self.base))
            .query(&[("access_token", token.as_str())])
            .json(&json!({"scene": scene, "page": page, "check_path": false,
                          "env_version": env_version, "width": 430}))
            .send()
            .await?;
        let json = res
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/json") || t.starts_with("text/"));
        let bytes = res.bytes().await?;
        if json || bytes.first() == Some(&b'{') {
            let v: Value = serde_json::from_slice(&bytes)
                .map_err(|e| WeChatError::Transport(format!("wxacode answer: {e}")))?;
            check(&v)?;
            return Err(WeChatError::Transport(
                "wxacode answered JSON without an image".into(),
            ));
        }
        Ok(bytes.to_vec())
    }

    /// 安全风控 `getuserriskrank`: WeChat's risk rank of this user, 0 (lowest)
    /// to 4 (highest), in `scene` ([`RISK_SCENE_MARKETING`] for 营销作弊) from
    /// the address the request came from.
    pub async fn user_risk_rank(
        &self,
        openid: &str,
        scene: i64,
        client_ip: &str,
    ) -> Result<i64, WeChatError> {
        let token = self.access_token().await?;
        let v: Value = self
            .http
            .post(format!("{}/wxa/getuserriskrank", self.base))
            .query(&[("access_token", token.as_str())])
            .json(&json!({
                "appid": self.appid,
                "openid": openid,
                "scene": scene,
                "client_ip": client_ip,
            }))
            .send()
            .await?
            .json()
            .await?;
        check(&v)?;
        v["risk_rank"]
            .as_i64()
            .ok_or_else(|| WeChatError::Transport("no risk_rank".into()))
    }

    pub async fn send_subscribe_message(&self, msg: &SubscribeMessage) -> Result<(), WeChatError> {
        let token = self.access_token().await?;
        let v: Value = self
            .http
            .post(format!("{}/cgi-bin/message/subscribe/send", self.base))
            .query(&[("access_token", token.as_str())])
            .json(msg)
            .send()
            .await?
            .json()
            .await?;
        check(&v)
    }
}
