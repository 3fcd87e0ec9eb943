//! 为你推荐 / 猜你喜欢: one shopper's recommendations for a slot, each with
//! its reason (`recommend::feed`).

use axum::extract::State;
use axum::Json;
use mall_core::recommend::Slot;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::db;
use crate::events::{is_channel, MAX_CH, MAX_ID_NUMBER};
use crate::http::codes::Code;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiQuery, MaybeUser, Merchant};
use crate::http::schema::{q, range, schema_ref};
use crate::http::{Access, Api};
use crate::recommend::feed::{self, Ask, FeedError, Item, MAX_COUNT};
use crate::recommend::model;
use crate::state::AppState;

const PATH: &str = "/api/recommendations";

pub fn routes(api: Api) -> Api {
    api.get(
        PATH,
        Access::OptionalUser,
        "Recommendations for a slot (home 为你推荐, product 猜你喜欢, cart 猜你喜欢): from the shopper's recent views and purchases, else best sellers; never off the shelf, sold out, just bought (consumable categories excepted), the product on screen or what is in the cart; each with its reason",
        recommendations,
    )
    .post(
        REBUILD,
        Access::Merchant,
        "Rebuild the recommendation model now (the job does it hourly): after importing products or history",
        rebuild,
    )
}

const REBUILD: &str = "/api/merchant/recommendations/rebuild";

async fn rebuild(State(state): State<AppState>, _m: Merchant) -> ApiResult<Json<Value>> {
    let built = model::rebuild(&state.db, db::now()).await?;
    state.recs.invalidate().await;
    Ok(Json(json!({
        "version": built.version,
        "views": built.views,
        "purchases": built.purchases,
        "productsWithNeighbours": built.products_with_neighbours,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Query {
    slot: Slot,
    product_id: Option<i64>,
    count: Option<i64>,
    ch: Option<String>,
}

#[derive(Serialize)]
struct Answer {
    slot: Slot,
    items: Vec<Item>,
}

fn default_count(slot: Slot) -> u64 {
    match slot {
        Slot::Home => 10,
        _ => 6,
    }
}

async fn recommendations(
    State(state): State<AppState>,
    user: MaybeUser,
    ApiQuery(q): ApiQuery<Query>,
) -> ApiResult<Json<Answer>> {
    if q.slot == Slot::Search {
        return Err(ApiError::invalid("slot", "home, product or cart"));
    }
    let count = match q.count {
        None => default_count(q.slot),
        Some(c) => u64::try_from(c)
            .ok()
            .filter(|c| (1..=MAX_COUNT).contains(c))
            .ok_or_else(|| ApiError::invalid("count", format!("1 to {MAX_COUNT}")))?,
    };
    if let Some(p) = q.product_id {
        if !(1..=MAX_ID_NUMBER).contains(&p) {
            return Err(ApiError::invalid("productId", "a product id"));
        }
    }
    if q.slot == Slot::Product && q.product_id.is_none() {
        return Err(ApiError::with_details(
            Code::RecommendProductRequired,
            json!({"field": "productId"}),
        ));
    }
    let channel = match q.ch.as_deref().map(str::trim) {
        None | Some("") => String::new(),
        Some(c) if is_channel(c) => c.to_string(),
        Some(_) => {
            return Err(ApiError::invalid(
                "ch",
                format!("at most {MAX_CH} letters, digits, -, _ or ."),
            ))
        }
    };
    let ask = Ask {
        slot: q.slot,
        count,
        product_id: q.product_id.filter(|_| q.slot == Slot::Product),
        channel,
    };
    let items = feed::feed(&state, user.0.map(|u| u.user_id), &ask, db::now())
        .await
        .map_err(|e| match e {
            FeedError::Invalid { field, reason } => ApiError::invalid(field, reason),
            FeedError::Db(e) => e.into(),
            FeedError::Other(e) => ApiError::Internal(e),
        })?;
    Ok(Json(Answer {
        slot: q.slot,
        items,
    }))
}

pub fn query_params(method: &str, path: &str) -> Option<Vec<Value>> {
    ((method, path) == ("get", PATH)).then(|| {
        vec![
            q("slot", json!({"type": "string", "enum": ["home", "product", "cart"]}), true),
            q(
                "productId",
                {
                    let mut p = range(1, MAX_ID_NUMBER);
                    p["description"] = json!("the product on screen: required on slot product (else 422 RECOMMEND_PRODUCT_REQUIRED), ignored elsewhere");
                    p
                },
                false,
            ),
            q(
                "count",
                {
                    let mut c = range(1, i64::try_from(MAX_COUNT).unwrap_or(30));
                    c["description"] = json!("how many (default 10 on home, 6 elsewhere)");
                    c
                },
                false,
            ),
            q(
                "ch",
                json!({"type": "string", "pattern": format!("^[A-Za-z0-9_.-]{{0,{MAX_CH}}}$"),
                       "description": "the shopper's channel: its own best sellers, if it has enough sales"}),
                false,
            ),
        ]
    })
}

pub fn success(method: &str, path: &str) -> Option<Vec<(&'static str, Option<Value>)>> {
    match (method, path) {
        ("get", PATH) => Some(vec![("200", Some(schema_ref("Recommendations")))]),
        ("post", REBUILD) => Some(vec![(
            "200",
            Some(
                json!({"type": "object", "required": ["version", "views", "purchases", "productsWithNeighbours"],
                "properties": {"version": {"type": "integer"}, "views": {"type": "integer"}, "purchases": {"type": "integer"},
                    "productsWithNeighbours": {"type": "integer"}}}),
            ),
        )]),
        _ => None,
    }
}

pub fn components() -> serde_json::Map<String, Value> {
    let v = json!({
        "Recommendations": {"type": "object", "required": ["slot", "items"], "properties": {
            "slot": {"enum": ["home", "product", "cart"]},
            "items": {"type": "array", "items": {"type": "object",
                "required": ["id", "title", "image", "price", "stock", "sales", "reason"],
                "properties": {
                    "id": {"type": "integer"}, "title": {"type": "string"}, "subtitle": {"type": "string"},
                    "image": {"type": "string"}, "price": {"type": "integer", "description": "lowest list price (fen)"},
                    "stock": {"type": "integer"}, "sales": {"type": "integer"},
                    "reason": {"type": "object", "required": ["kind", "text"], "properties": {
                        "kind": {"enum": ["viewed", "bought", "bestSeller"]},
                        "productId": {"type": "integer", "description": "the product viewed or bought"},
                        "text": {"type": "string", "description": "因为你看过「…」, 因为你买过「…」, 看过此商品的人也喜欢, 和购物车里的「…」很配 or 热销好物"}}}
                }}}
        }}
    });
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}
