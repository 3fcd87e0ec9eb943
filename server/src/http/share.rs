//! Share tokens for shoppers: the token for sharing a product, a group, a
//! bargain or the shop's home page (the same token each time), what a token
//! opens, and its 小程序码.
//! Coupon gifts carry their own token (`/api/gifts/{token}`). Each route's
//! documentation is here too.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::db;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, AuthUser};
use crate::http::input;
use crate::http::schema::{obj, or_null, range, schema_ref};
use crate::http::{Access, Api};
use crate::share::{self, Kind, Shared};
use crate::state::AppState;

const TOKEN_PATTERN: &str = "^[0-9A-Za-z!#$&'()*+,/:;=?@._~-]{1,32}$";
const CHANNEL_PATTERN: &str = "^[0-9A-Za-z._-]{1,32}$";

pub fn routes(api: Api) -> Api {
    api.post(
        "/api/share",
        Access::User,
        "The shopper's share token for a product, a group, a bargain (targetId required) or the shop's home page (kind shop, no targetId: a promoter's poster) — the same token each time —, with the page it opens",
        create_share,
    )
    .get(
        "/api/share/{token}",
        Access::Public,
        "What a share token opens: kind, target, the sharer's nickname and the page path",
        open_share,
    )
    .get(
        "/api/share/{token}/code",
        Access::Public,
        "The token's 小程序码 (WeChat's getwxacodeunlimit: its page, the token as scene), an image for posters; made once and kept",
        share_code,
    )
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewShare {
    kind: Kind,
    /// Required for a product, group or bargain; none for the shop.
    #[serde(default)]
    target_id: Option<i64>,
    #[serde(default)]
    channel: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ShareToken {
    token: String,
    /// The page to open with the token (a share card's `path`).
    path: String,
}

async fn create_share(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(b): ApiJson<NewShare>,
) -> ApiResult<(StatusCode, Json<ShareToken>)> {
    let target_id = match (b.kind.has_target(), b.target_id) {
        (true, Some(id)) => {
            input::range("targetId", id, 1, i64::MAX)?;
            id
        }
        (true, None) => {
            return Err(ApiError::invalid(
                "targetId",
                format!("required for kind {}", b.kind.as_str()),
            ))
        }
        (false, None) => 0,
        (false, Some(_)) => {
            return Err(ApiError::invalid(
                "targetId",
                format!("none for kind {}", b.kind.as_str()),
            ))
        }
    };
    let channel = match b.channel {
        Some(c) if crate::events::is_channel(&c) => c,
        Some(_) => {
            return Err(ApiError::invalid(
                "channel",
                format!("1 to {} letters, digits, -, _ or .", crate::events::MAX_CH),
            ))
        }
        None => "share".to_string(),
    };
    let mut conn = state.db.pool.acquire().await?;
    if !share::shareable(&mut conn, b.kind, target_id).await? {
        return Err(ApiError::NotFound(b.kind.as_str()));
    }
    let target = if b.kind.has_target() {
        target_id.to_string()
    } else {
        String::new()
    };
    let token = share::token_for(
        &mut conn,
        user.user_id,
        b.kind,
        &target,
        &channel,
        db::now(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ShareToken {
            path: b.kind.path(&target, &token, &channel),
            token,
        }),
    ))
}

async fn open_share(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> ApiResult<Json<Shared>> {
    share::check_token(&token).map_err(|r| ApiError::invalid("token", r))?;
    let mut conn = state.db.pool.acquire().await?;
    share::resolve(&mut conn, &token)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("share token"))
}

async fn share_code(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> ApiResult<axum::response::Response> {
    use axum::http::{header, HeaderValue};
    use axum::response::IntoResponse;
    share::check_token(&token).map_err(|r| ApiError::invalid("token", r))?;
    let mut conn = state.db.pool.acquire().await?;
    let (name, bytes) = share::code(
        &mut conn,
        &state.wechat,
        state.media.as_ref(),
        &state.config.code_env_version,
        &token,
    )
    .await
    .map_err(|e| match e {
        share::CodeError::NotFound => ApiError::NotFound("share token"),
        share::CodeError::WeChat(w) => ApiError::WeChat(w),
        share::CodeError::Db(d) => ApiError::Internal(d.into()),
        share::CodeError::Other(o) => ApiError::Internal(o),
    })?;
    let mut res = bytes.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(crate::media::content_type(&name)),
    );
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    Ok(res)
}

// --- documentation

/// A share token (a path parameter or a body member).
pub fn doc_token() -> Value {
    json!({"type": "string", "pattern": TOKEN_PATTERN, "minLength": 1, "maxLength": share::MAX_LEN})
}

fn doc_kind() -> Value {
    json!({"enum": Kind::ALL.map(Kind::as_str)})
}

pub fn request_body(method: &str, path: &str) -> Option<Value> {
    match (method, path) {
        ("post", "/api/share") => {
            let mut body = obj(
                &["kind"],
                json!({"kind": doc_kind(), "targetId": or_null(range(1, i64::MAX)),
                       "channel": or_null(json!({"type": "string", "pattern": CHANNEL_PATTERN,
                           "description": "our channel parameter `ch` (default share)"}))}),
            );
            // A product, group or bargain names its id; the shop none.
            let targeted: Vec<&str> = Kind::ALL
                .into_iter()
                .filter(|k| k.has_target())
                .map(Kind::as_str)
                .collect();
            body["oneOf"] = json!([
                {"required": ["targetId"], "properties": {"kind": {"enum": targeted},
                    "targetId": range(1, i64::MAX)}},
                {"properties": {"kind": {"const": Kind::Shop.as_str()}, "targetId": {"type": "null"}}}
            ]);
            Some(body)
        }
        _ => None,
    }
}

pub fn success(method: &str, path: &str) -> Option<Vec<(&'static str, Option<Value>)>> {
    Some(match (method, path) {
        ("post", "/api/share") => vec![("201", Some(schema_ref("ShareToken")))],
        ("get", "/api/share/{token}") => vec![("200", Some(schema_ref("Shared")))],
        ("get", "/api/share/{token}/code") => {
            vec![("200", Some(json!({"type": "string", "format": "binary"})))]
        }
        _ => return None,
    })
}

pub fn components() -> serde_json::Map<String, Value> {
    let path = json!({"type": "string",
        "description": "page?id=<target>&share=<token>&ch=<channel> (the shop: page?share=<token>&ch=<channel>)"});
    let v = json!({
        "ShareToken": {"type": "object", "required": ["token", "path"], "properties": {
            "token": {"type": "string", "pattern": TOKEN_PATTERN}, "path": path}},
        "Shared": {"type": "object", "required": ["token", "kind", "target", "channel", "sharerNickname", "path"], "properties": {
            "token": {"type": "string"}, "kind": doc_kind(),
            "target": {"type": "string", "description": "the id shared (\"\" for the shop)"},
            "channel": {"type": "string"}, "sharerNickname": {"type": "string"}, "path": path}}
    });
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}
