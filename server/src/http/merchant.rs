//! Merchant endpoints (credential: `X-Merchant-Token`). This issue needs only
//! stock, payment by other means, shipping, reading any order, and running the
//! expiry sweep; the merchant console grows here.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::db::{catalog, orders::OrderDetail};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, Merchant};
use crate::http::orders::{act, load};
use crate::http::{Access, Api};
use crate::order::Action;
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    api.put(
        "/api/merchant/skus/{id}/stock",
        Access::Merchant,
        "Set a SKU's stock",
        set_stock,
    )
    .get(
        "/api/merchant/orders/{id}",
        Access::Merchant,
        "Any order",
        order,
    )
    .post(
        "/api/merchant/orders/{id}/mark-paid",
        Access::Merchant,
        "Record payment received outside WeChat Pay",
        mark_paid,
    )
    .post(
        "/api/merchant/orders/{id}/ship",
        Access::Merchant,
        "Ship a paid order",
        ship,
    )
    .post(
        "/api/merchant/orders/expire",
        Access::Merchant,
        "Close unpaid orders past their expiry now",
        expire_now,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Stock {
    stock: i64,
}

async fn set_stock(
    State(state): State<AppState>,
    _m: Merchant,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<Stock>,
) -> ApiResult<Json<Value>> {
    if req.stock < 0 {
        return Err(ApiError::invalid("stock", "must not be negative"));
    }
    let mut conn = state.db.pool.acquire().await?;
    if !catalog::set_stock(&mut conn, id, req.stock).await? {
        return Err(ApiError::NotFound("sku"));
    }
    Ok(Json(json!({"skuId": id, "stock": req.stock})))
}

async fn order(
    State(state): State<AppState>,
    _m: Merchant,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<OrderDetail>> {
    Ok(Json(load(&state, id, None).await?))
}

async fn mark_paid(
    State(state): State<AppState>,
    _m: Merchant,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<OrderDetail>> {
    Ok(Json(act(&state, id, None, Action::Pay, "merchant").await?))
}

async fn ship(
    State(state): State<AppState>,
    _m: Merchant,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<OrderDetail>> {
    Ok(Json(act(&state, id, None, Action::Ship, "merchant").await?))
}

async fn expire_now(State(state): State<AppState>, _m: Merchant) -> ApiResult<Json<Value>> {
    let closed = crate::expiry::sweep(&state).await?;
    Ok(Json(json!({"closed": closed})))
}
