//! 拼团 for shoppers — the open groups of a product, one group's page, the
//! shopper's groups. Opening or joining a group is placing an order with
//! `group` (`POST /api/orders`). Each route's documentation is here too.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::db;
use crate::group_buy::views::{self, GroupCard, GroupView, MyGroup};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiPath, ApiQuery, AuthUser};
use crate::http::input::{self, Page};
use crate::http::schema::{array_of, int, obj, or_null, q, range, schema_ref};
use crate::http::{Access, Api};
use crate::state::AppState;

/// Open groups listed on a product page.
pub const MAX_OPEN_GROUPS: i64 = 10;

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

// --- documentation

/// The `group` member of a checkout or order body.
pub fn doc_group_choice() -> Value {
    or_null(obj(
        &[],
        json!({
            "groupId": or_null(json!({"type": "integer", "format": "int64", "description": "join this group; without it, open a new group as its leader"})),
            "shareToken": or_null(super::share::doc_token())
        }),
    ))
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
                "page": int(), "pageSize": int(), "total": int(), "hasMore": {"type": "boolean"}}}
    });
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}
