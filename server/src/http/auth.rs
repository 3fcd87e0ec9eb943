//! Login: `wx.login` code → code2Session → our own session token. The openid
//! and WeChat's session_key stay on the server (the key sealed at rest).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::config::random_token;
use crate::crypto::sha256_hex;
use crate::db;
use crate::http::codes::Code;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, AuthUser};
use crate::http::input;
use crate::http::{Access, Api};
use crate::members::users;
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    api.post(
        "/api/auth/login",
        Access::Public,
        "Exchange a wx.login code for a session token",
        login,
    )
    .post("/api/auth/logout", Access::User, "End this session", logout)
    .post(
        "/api/auth/phone",
        Access::User,
        "Bind the phone number behind a getPhoneNumber code",
        bind_phone,
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginRequest {
    pub code: String,
    #[serde(default)]
    pub nickname: Option<String>,
    #[serde(default)]
    pub avatar: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: i64,
    pub user_id: i64,
    /// The shop's subscription-message templates to ask for at each moment
    /// (`crate::notify::consent::moments`), so the phone can ask inside a tap.
    pub subscribe: std::collections::BTreeMap<&'static str, Vec<String>>,
}

async fn login(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let code = input::line("code", &req.code, 1, input::MAX_CODE)?;
    let code = code.as_str();
    let nickname = req
        .nickname
        .as_deref()
        .map(|n| input::line("nickname", n, 0, input::MAX_NICKNAME))
        .transpose()?;
    let avatar = req
        .avatar
        .as_deref()
        .map(|a| input::line("avatar", a, 0, input::MAX_URL))
        .transpose()?;
    let wx = state.wechat.code2session(code).await.map_err(|e| {
        if e.is_bad_code() {
            ApiError::Conflict {
                code: Code::LoginCodeInvalid,
                message: "登录已失效，请重试".into(),
                details: [("errcode".to_string(), e.errcode().into())]
                    .into_iter()
                    .collect(),
            }
        } else {
            ApiError::WeChat(e)
        }
    })?;
    let now = db::now();
    let token = random_token(32);
    let expires_at = now + state.config.session_ttl_secs;
    let sealed_key = state.keys.seal(
        &format!("session_key:{}", wx.openid),
        wx.session_key.as_bytes(),
    )?;
    let mut tx = state.db.begin_write().await?;
    let r: ApiResult<_> = async {
        let user_id =
            users::upsert_by_openid(&mut tx, &wx.openid, wx.unionid.as_deref(), now).await?;
        users::set_profile(&mut tx, user_id, nickname.as_deref(), avatar.as_deref()).await?;
        users::create_session(
            &mut tx,
            &sha256_hex(&token),
            user_id,
            &sealed_key,
            now,
            expires_at,
        )
        .await?;
        Ok(user_id)
    }
    .await;
    let user_id = db::finish(tx, r).await?;
    Ok(Json(LoginResponse {
        token,
        expires_at,
        user_id,
        subscribe: crate::notify::consent::moments(&state.config.templates),
    }))
}

async fn logout(
    State(state): State<AppState>,
    _user: AuthUser,
    headers: HeaderMap,
) -> ApiResult<Json<serde_json::Value>> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let hash = sha256_hex(token.trim());
    state.sessions.forget(&hash);
    let mut conn = state.db.write_conn().await?;
    users::delete_session(&mut conn, &hash).await?;
    Ok(Json(serde_json::json!({"ok": true})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PhoneRequest {
    pub code: String,
}

/// The masked form shown in the app: 138****5678.
pub fn mask_phone(p: &str) -> String {
    let chars: Vec<char> = p.chars().collect();
    if chars.len() < 7 {
        return "****".into();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

async fn bind_phone(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<PhoneRequest>,
) -> ApiResult<Json<serde_json::Value>> {
    let code = input::line("code", &req.code, 1, input::MAX_CODE)?;
    let phone = state.wechat.phone_number(&code).await.map_err(|e| {
        if e.is_bad_code() {
            ApiError::conflict(Code::PhoneCodeInvalid, "获取手机号失败，请重试")
        } else {
            ApiError::WeChat(e)
        }
    })?;
    let sealed = state
        .keys
        .seal(&format!("phone:{}", user.user_id), phone.as_bytes())?;
    let mut conn = state.db.write_conn().await?;
    users::set_phone(&mut conn, user.user_id, &sealed).await?;
    Ok(Json(serde_json::json!({"phone": mask_phone(&phone)})))
}
