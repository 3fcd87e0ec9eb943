//! 秒杀 for shoppers: the flash-sale page's state. Buying is placing an order
//! with the activity's item (`POST /api/orders`), which meets the admission
//! gate first (`flash::gate`). Each route's documentation is here too.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::db;
use crate::flash::state::{self, FlashSale};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiPath, MaybeUser};
use crate::http::input;
use crate::http::schema::{fen, int, schema_ref};
use crate::http::{Access, Api};
use crate::state::AppState;

/// Longest activity id accepted in a path.
pub const MAX_ACTIVITY_ID: usize = 64;

pub fn routes(api: Api) -> Api {
    api.get(
        "/api/flash-sales/{activityId}",
        Access::OptionalUser,
        "A flash sale: each SKU's units left and the shopper's state (未开始 / 抢购中 / 排队中 / 已抢光 / 已达限购 / 已结束) on the server's clock",
        sale,
    )
}

async fn sale(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ApiPath(activity_id): ApiPath<String>,
) -> ApiResult<Json<FlashSale>> {
    input::line("activityId", &activity_id, 1, MAX_ACTIVITY_ID)?;
    let mut conn = state.db.pool.acquire().await?;
    state::load(
        &mut conn,
        &state.flash,
        &activity_id,
        user.map(|u| u.user_id),
        db::now(),
    )
    .await?
    .map(Json)
    .ok_or(ApiError::NotFound("flash sale"))
}

// --- documentation

pub fn success(method: &str, path: &str) -> Option<Vec<(&'static str, Option<Value>)>> {
    match (method, path) {
        ("get", "/api/flash-sales/{activityId}") => {
            Some(vec![("200", Some(schema_ref("FlashSale")))])
        }
        _ => None,
    }
}

pub fn components() -> serde_json::Map<String, Value> {
    let state = json!({"type": "object", "description": "mall-core FlashState (docs/rules.md §20)",
        "required": ["phase", "secondsToStart", "secondsLeft", "mayAttempt", "maxQuantity"],
        "properties": {
            "phase": {"enum": ["ended", "notStarted", "limitReached", "soldOut", "queued", "selling"]},
            "secondsToStart": int(), "secondsLeft": int(), "mayAttempt": {"type": "boolean"},
            "maxQuantity": {"type": "integer", "description": "most units one order may take now"},
            "retryAfterMs": {"type": ["integer", "null"], "description": "排队中: ask again after this many ms"}}});
    let v = json!({
        "FlashSale": {"type": "object",
            "required": ["activityId", "title", "startsAt", "endsAt", "now", "userBought", "skus"],
            "properties": {
                "activityId": {"type": "string"}, "title": {"type": "string"},
                "startsAt": int(), "endsAt": int(),
                "perUserLimit": {"type": ["integer", "null"]},
                "now": {"type": "integer", "description": "the server's clock (unix seconds): count down from it"},
                "userBought": {"type": "integer", "description": "units the shopper bought or holds in this sale"},
                "skus": {"type": "array", "items": {"type": "object",
                    "required": ["skuId", "productId", "title", "image", "price", "listPrice", "unitsLeft", "state"],
                    "properties": {"skuId": int(), "productId": int(), "title": {"type": "string"},
                        "image": {"type": "string"}, "price": fen("the flash price"), "listPrice": fen("the list price"),
                        "unitsLeft": int(), "state": state}}}}}
    });
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}
