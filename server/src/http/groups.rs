//! 拼团 for shoppers — the open groups of a product, one group's page, the
//! shopper's groups — and share tokens (a token per shared thing, and what a
//! token opens). Opening or joining a group is placing an order with
//! `group` (`POST /api/orders`). Each route's documentation is here too.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::db;
use crate::group_buy::views::{self, GroupCard, GroupView, MyGroup};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, AuthUser};
use crate::http::input::{self, Page};
use crate::http::schema::{array_of, int, line, obj, or_null, q, range, schema_ref};
use crate::http::{Access, Api};
use crate::share::{self, Kind, Shared};
use crate::state::AppState;

/// Open groups listed on a product page.
pub const MAX_OPEN_GROUPS: i64 = 10;
pub const MAX_CHANNEL: usize = 20;

pub fn routes(api: Api) -> Api {
    api.get(
        "/api/products/{id}/groups",
        Access::Public,
        "Open groups of the product one can join (还差N人成团, seconds left), soonest to expire first, at most 10",
        product_groups,
    )
    .get(
        "/api/groups/{id}",
        Access::User,
        "One group: its real members, progress, whether the viewer can join and why not",
        group,
    )
    .get(
        "/api/member/groups",
        Access::User,
        "The shopper's groups, newest first, paged",
        my_groups,
    )
    .post(
        "/api/share",
        Access::User,
        "The shopper's share token for a product or a group (the same token each time), with the page it opens",
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

async fn product_groups(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<GroupCard>>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(
        views::open_for_product(&mut conn, id, db::now(), MAX_OPEN_GROUPS).await?,
    ))
}

async fn group(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<GroupView>> {
    let mut conn = state.db.pool.acquire().await?;
    views::detail(&mut conn, id, user.user_id, db::now())
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("group"))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PageQuery {
    page: Option<i64>,
    page_size: Option<i64>,
}

async fn my_groups(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<MyGroup>>> {
    let paging = input::paging(q.page, q.page_size)?;
    let mut conn = state.db.pool.acquire().await?;
    let (items, total) = views::mine(
        &mut conn,
        user.user_id,
        db::now(),
        paging.offset(),
        paging.page_size,
    )
    .await?;
    Ok(Json(Page::new(items, paging, total)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewShare {
    kind: Kind,
    target_id: i64,
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
    input::range("targetId", b.target_id, 1, i64::MAX)?;
    let channel = match &b.channel {
        Some(c) => input::line("channel", c, 1, MAX_CHANNEL)?,
        None => "share".to_string(),
    };
    let mut conn = state.db.pool.acquire().await?;
    let exists: i64 = match b.kind {
        Kind::Product => sqlx::query_scalar("SELECT COUNT(*) FROM products WHERE id = $1 AND on_shelf = 1"),
        Kind::Group => sqlx::query_scalar(
            "SELECT COUNT(*) FROM buy_groups WHERE id = $1 AND status <> 'pending' AND status <> 'cancelled'",
        ),
    }
    .bind(b.target_id)
    .fetch_one(&mut *conn)
    .await?;
    if exists == 0 {
        return Err(ApiError::NotFound(b.kind.as_str()));
    }
    let target = b.target_id.to_string();
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
            path: format!("{}?id={target}&share={token}", b.kind.page()),
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

// --- documentation

const TOKEN_PATTERN: &str = "^[0-9A-Za-z!#$&'()*+,/:;=?@._~-]{1,32}$";

/// A share token (a path parameter or a body member).
pub fn doc_token() -> Value {
    json!({"type": "string", "pattern": TOKEN_PATTERN, "minLength": 1, "maxLength": share::MAX_LEN})
}

/// The `group` member of a checkout or order body.
pub fn doc_group_choice() -> Value {
    or_null(obj(
        &[],
        json!({
            "groupId": or_null(json!({"type": "integer", "format": "int64", "description": "join this group; without it, open a new group as its leader"})),
            "shareToken": or_null(doc_token())
        }),
    ))
}

pub fn request_body(method: &str, path: &str) -> Option<Value> {
    match (method, path) {
        ("post", "/api/share") => Some(obj(
            &["kind", "targetId"],
            json!({"kind": {"enum": ["product", "group"]}, "targetId": range(1, i64::MAX),
                   "channel": or_null(line(1, MAX_CHANNEL))}),
        )),
        _ => None,
    }
}

pub fn query_params(method: &str, path: &str) -> Option<Vec<Value>> {
    match (method, path) {
        ("get", "/api/member/groups") => Some(vec![
            q("page", range(1, input::MAX_PAGE), false),
            q("pageSize", range(1, input::MAX_PAGE_SIZE), false),
        ]),
        _ => None,
    }
}

pub fn success(method: &str, path: &str) -> Option<Vec<(&'static str, Option<Value>)>> {
    let one = |c: &str| vec![("200", Some(schema_ref(c)))];
    Some(match (method, path) {
        ("get", "/api/products/{id}/groups") => vec![("200", Some(array_of("GroupCard")))],
        ("get", "/api/groups/{id}") => one("Group"),
        ("get", "/api/member/groups") => one("MyGroupPage"),
        ("post", "/api/share") => vec![("201", Some(schema_ref("ShareToken")))],
        ("get", "/api/share/{token}") => one("Shared"),
        ("get", "/api/share/{token}/code") => {
            vec![("200", Some(json!({"type": "string", "format": "binary"})))]
        }
        _ => return None,
    })
}

pub fn components() -> serde_json::Map<String, Value> {
    let status =
        json!({"enum": ["pending", "open", "success", "autoSuccess", "failed", "cancelled"]});
    let progress = json!({"type": "object", "description": "mall-core GroupProgress",
        "required": ["status", "size", "paid", "needed", "seatsLeft", "secondsLeft", "joinable"],
        "properties": {"status": status, "size": int(), "paid": int(),
            "needed": {"type": "integer", "description": "还差N人成团"}, "seatsLeft": int(),
            "secondsLeft": int(), "joinable": {"type": "boolean"}}});
    let person = json!({"type": "object", "required": ["nickname", "avatar"],
        "properties": {"nickname": {"type": "string"}, "avatar": {"type": "string"}}});
    let v = json!({
        "GroupCard": {"type": "object", "required": ["groupId", "activityId", "skuId", "leader", "progress"],
            "properties": {"groupId": int(), "activityId": {"type": "string"}, "skuId": int(), "leader": person,
                "expiresAt": {"type": ["integer", "null"]}, "progress": progress}},
        "Group": {"type": "object", "required": ["groupId", "activityId", "skuId", "productId", "price", "progress", "members", "canJoin", "autoFormed"],
            "properties": {"groupId": int(), "activityId": {"type": "string"}, "title": {"type": "string"},
                "skuId": int(), "productId": int(), "productTitle": {"type": "string"}, "image": {"type": "string"},
                "listPrice": int(), "price": {"type": "integer", "description": "the group price (fen)"},
                "leaderPrice": {"type": ["integer", "null"], "description": "the leader's price (fen)"},
                "expiresAt": {"type": ["integer", "null"]},
                "autoFormed": {"type": "boolean", "description": "系统成团: formed at expiry with the seats paid then"},
                "progress": progress,
                "members": {"type": "array", "description": "real members only, leader first", "items": {"type": "object",
                    "properties": {"nickname": {"type": "string"}, "avatar": {"type": "string"},
                        "role": {"enum": ["leader", "member"]}, "paid": {"type": "boolean"}, "joinedAt": int()}}},
                "myOrderId": {"type": ["integer", "null"]}, "canJoin": {"type": "boolean"},
                "joinRefusal": {"type": ["string", "null"], "description": "the error code joining would answer"}}},
        "MyGroupPage": {"type": "object", "required": ["items", "page", "pageSize", "total", "hasMore"],
            "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {
                "groupId": int(), "orderId": int(), "role": {"enum": ["leader", "member"]},
                "productTitle": {"type": "string"}, "image": {"type": "string"},
                "expiresAt": {"type": ["integer", "null"]}, "progress": progress, "joinedAt": int()}}},
                "page": int(), "pageSize": int(), "total": int(), "hasMore": {"type": "boolean"}}},
        "ShareToken": {"type": "object", "required": ["token", "path"], "properties": {
            "token": {"type": "string", "pattern": TOKEN_PATTERN}, "path": {"type": "string"}}},
        "Shared": {"type": "object", "required": ["token", "kind", "target", "channel", "sharerNickname", "path"], "properties": {
            "token": {"type": "string"}, "kind": {"enum": ["product", "group"]}, "target": {"type": "string"},
            "channel": {"type": "string"}, "sharerNickname": {"type": "string"}, "path": {"type": "string"}}}
    });
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}
