//! After-sales over HTTP: the shopper's requests and the merchant's decisions
//! (see `crate::aftersale`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use mall_core::refund::RefundItem;
use serde::Deserialize;

use crate::after_sales::{self, AfterSaleView, Kind};
use crate::db;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, AuthUser, Merchant};
use crate::http::input;
use crate::http::{Access, Api};
use crate::payments;
use crate::refunds::{self, RefundView};
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    api.post(
        "/api/orders/{id}/after-sales",
        Access::User,
        "Ask for a refund (refund only, or return and refund) of lines and quantities",
        create,
    )
    .post(
        "/api/orders/{id}/after-sales/preview",
        Access::User,
        "What a request would refund if approved now (amount, points, coupons); nothing is stored",
        preview,
    )
    .get(
        "/api/after-sales",
        Access::User,
        "The shopper's after-sales requests",
        list,
    )
    .get(
        "/api/after-sales/{id}",
        Access::User,
        "One after-sales request",
        one,
    )
    .post(
        "/api/after-sales/{id}/return",
        Access::User,
        "Send the goods back (carrier and tracking number)",
        send_back,
    )
    .get(
        "/api/merchant/orders/{id}/after-sales",
        Access::Merchant,
        "An order's after-sales requests",
        of_order,
    )
    .post(
        "/api/merchant/after-sales/{id}/approve",
        Access::Merchant,
        "Approve: refund now (refund only) or wait for the goods (return)",
        approve,
    )
    .post(
        "/api/merchant/after-sales/{id}/reject",
        Access::Merchant,
        "Reject with a reason",
        reject,
    )
    .post(
        "/api/merchant/after-sales/{id}/receive",
        Access::Merchant,
        "The returned goods arrived: refund now",
        receive,
    )
    .get(
        "/api/merchant/refunds",
        Access::Merchant,
        "Refunds, newest first (e.g. status=abnormal: the ones to retry or close)",
        refunds,
    )
    .post(
        "/api/merchant/refunds/{id}/retry",
        Access::Merchant,
        "Retry an ABNORMAL refund: the same amount under a new out_refund_no",
        retry_refund,
    )
    .post(
        "/api/merchant/refunds/{id}/close",
        Access::Merchant,
        "Give up on an ABNORMAL refund: closed, and its after-sales approval undone",
        close_refund,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundQuery {
    #[serde(default)]
    status: Option<String>,
}

async fn refunds(
    State(state): State<AppState>,
    _m: Merchant,
    ApiQuery(q): ApiQuery<RefundQuery>,
) -> ApiResult<Json<Vec<RefundView>>> {
    let status = q.status.unwrap_or_default();
    let known = [
        "",
        "pending",
        "processing",
        "success",
        "abnormal",
        "closed",
        "superseded",
    ];
    if !known.contains(&status.as_str()) {
        return Err(ApiError::invalid("status", "unknown refund status"));
    }
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(refunds::list(&mut conn, None, &status).await?))
}

async fn refund_view(state: &AppState, id: i64) -> ApiResult<Json<RefundView>> {
    let mut conn = state.db.pool.acquire().await?;
    refunds::list(&mut conn, Some(id), "")
        .await?
        .pop()
        .map(Json)
        .ok_or(ApiError::NotFound("refund"))
}

async fn retry_refund(
    State(state): State<AppState>,
    _m: Merchant,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RefundView>> {
    let new_id = payments::retry_refund(&state, id, db::now()).await?;
    refund_view(&state, new_id).await
}

async fn close_refund(
    State(state): State<AppState>,
    _m: Merchant,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RefundView>> {
    payments::close_refund(&state, id, db::now()).await?;
    refund_view(&state, id).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewRequest {
    kind: Kind,
    items: Vec<RefundItem>,
    #[serde(default)]
    include_shipping: bool,
    #[serde(default)]
    reason: String,
}

async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(order_id): ApiPath<i64>,
    ApiJson(req): ApiJson<NewRequest>,
) -> ApiResult<(StatusCode, Json<AfterSaleView>)> {
    let reason = input::paragraph("reason", &req.reason, input::MAX_REASON)?;
    let id = after_sales::request(
        &state,
        user.user_id,
        order_id,
        req.kind,
        req.items,
        req.include_shipping,
        &reason,
        db::now(),
    )
    .await?;
    let mut conn = state.db.pool.acquire().await?;
    Ok((
        StatusCode::CREATED,
        Json(after_sales::view(&mut conn, id, Some(user.user_id)).await?),
    ))
}

async fn preview(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(order_id): ApiPath<i64>,
    ApiJson(req): ApiJson<NewRequest>,
) -> ApiResult<Json<after_sales::Preview>> {
    let _ = req.kind; // either kind refunds the same
    Ok(Json(
        after_sales::preview(
            &state,
            user.user_id,
            order_id,
            req.items,
            req.include_shipping,
        )
        .await?,
    ))
}

async fn list(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<Vec<AfterSaleView>>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(
        after_sales::list_for_user(&mut conn, user.user_id).await?,
    ))
}

async fn one(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AfterSaleView>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(
        after_sales::view(&mut conn, id, Some(user.user_id)).await?,
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tracking {
    pub carrier: String,
    pub tracking_no: String,
}

impl Tracking {
    pub fn check(&self) -> ApiResult<()> {
        input::line("carrier", &self.carrier, 1, input::MAX_TRACKING)?;
        input::line("trackingNo", &self.tracking_no, 1, input::MAX_TRACKING)?;
        Ok(())
    }
}

async fn send_back(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(t): ApiJson<Tracking>,
) -> ApiResult<Json<AfterSaleView>> {
    t.check()?;
    after_sales::shopper_return(
        &state,
        user.user_id,
        id,
        t.carrier.trim(),
        t.tracking_no.trim(),
        db::now(),
    )
    .await?;
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(
        after_sales::view(&mut conn, id, Some(user.user_id)).await?,
    ))
}

async fn of_order(
    State(state): State<AppState>,
    _m: Merchant,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<AfterSaleView>>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(after_sales::list_for_order(&mut conn, id).await?))
}

async fn merchant_view(state: &AppState, id: i64) -> ApiResult<Json<AfterSaleView>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(after_sales::view(&mut conn, id, None).await?))
}

async fn approve(
    State(state): State<AppState>,
    _m: Merchant,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AfterSaleView>> {
    payments::approve_after_sale(&state, id, db::now()).await?;
    merchant_view(&state, id).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    reason: String,
}

async fn reject(
    State(state): State<AppState>,
    _m: Merchant,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RejectBody>,
) -> ApiResult<Json<AfterSaleView>> {
    let reason = input::paragraph("reason", &b.reason, input::MAX_REASON)?;
    if reason.is_empty() {
        return Err(ApiError::invalid("reason", "required"));
    }
    after_sales::reject(&state, id, &reason, db::now()).await?;
    merchant_view(&state, id).await
}

async fn receive(
    State(state): State<AppState>,
    _m: Merchant,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AfterSaleView>> {
    payments::receive_returned_goods(&state, id, db::now()).await?;
    merchant_view(&state, id).await
}
