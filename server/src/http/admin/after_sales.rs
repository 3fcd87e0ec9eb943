//! 售后: the queue, a request with its order, approve / reject / receive the
//! returned goods, and retry or close an ABNORMAL refund. The amount shown
//! is the core's refund, computed when the shopper asked.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{page, Staff};
use crate::after_sales::{self, AfterSaleStatus, AfterSaleView};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{input, Access, Api};
use crate::paging::Page as ListPage;
use crate::payments;
use crate::refunds::{self, RefundView};
use crate::staff::{audit, Page};
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    let p = Access::Staff(Page::AfterSales);
    api.get(
        "/admin/api/after-sales",
        p,
        "After-sales requests, newest first (status filter)",
        list,
    )
    .get(
        "/admin/api/after-sales/{id}",
        p,
        "A request with its order number and refunds",
        one,
    )
    .post(
        "/admin/api/after-sales/{id}/approve",
        p,
        "Approve: refund now (refund only) or wait for the goods (return)",
        approve,
    )
    .post(
        "/admin/api/after-sales/{id}/reject",
        p,
        "Reject with a reason",
        reject,
    )
    .post(
        "/admin/api/after-sales/{id}/receive",
        p,
        "The returned goods arrived: refund now",
        receive,
    )
    .post(
        "/admin/api/refunds/{id}/retry",
        p,
        "Retry an ABNORMAL refund",
        retry,
    )
    .post(
        "/admin/api/refunds/{id}/close",
        p,
        "Close an ABNORMAL refund (its approval undone)",
        close,
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListQuery {
    page: Option<i64>,
    page_size: Option<i64>,
    status: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    #[serde(flatten)]
    view: AfterSaleView,
    order_no: String,
    status_label: &'static str,
    refunds: Vec<RefundView>,
}

async fn request(state: &AppState, id: i64) -> ApiResult<Request> {
    let mut conn = state.db.pool.acquire().await?;
    let view = after_sales::view(&mut conn, id, None).await?;
    with_order(&mut conn, view).await
}

/// A loaded request with its order number and refunds.
async fn with_order(conn: &mut sqlx::AnyConnection, view: AfterSaleView) -> ApiResult<Request> {
    let id = view.id;
    let order_no: String = sqlx::query_scalar("SELECT order_no FROM orders WHERE id = $1")
        .bind(view.order_id)
        .fetch_one(&mut *conn)
        .await?;
    let refunds = refunds::of_after_sale(conn, id).await?;
    Ok(Request {
        status_label: AfterSaleStatus::parse(&view.status).map_or("", |s| s.label()),
        view,
        order_no,
        refunds,
    })
}

async fn list(
    State(state): State<AppState>,
    _s: Staff<page::AfterSales>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<ListPage<Request>>> {
    let paging = input::paging(q.page, q.page_size)?;
    let status = q.status.unwrap_or_default();
    if !status.is_empty() && AfterSaleStatus::parse(&status).is_none() {
        return Err(ApiError::invalid("status", "an after-sales status"));
    }
    let mut conn = state.db.pool.acquire().await?;
    let (views, total) = after_sales::queue(&mut conn, &status, &paging).await?;
    let mut items = Vec::with_capacity(views.len());
    for v in views {
        items.push(with_order(&mut conn, v).await?);
    }
    Ok(Json(ListPage::new(items, paging, total)))
}

async fn one(
    State(state): State<AppState>,
    _s: Staff<page::AfterSales>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Request>> {
    Ok(Json(request(&state, id).await?))
}

/// The request after a decision, with the decision in the audit log.
async fn decided(
    state: &AppState,
    who: &Staff<page::AfterSales>,
    action: &str,
    id: i64,
    before: &str,
) -> ApiResult<Json<Request>> {
    let after = request(state, id).await?;
    let mut conn = state.db.pool.acquire().await?;
    audit::record(
        &mut conn,
        who,
        action,
        &format!("afterSale:{id}"),
        Some(&json!({"status": before})),
        Some(&json!({"status": after.view.status, "amount": after.view.amount})),
        crate::db::now(),
    )
    .await?;
    Ok(Json(after))
}

async fn status_of(state: &AppState, id: i64) -> ApiResult<String> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(after_sales::view(&mut conn, id, None).await?.status)
}

async fn approve(
    State(state): State<AppState>,
    who: Staff<page::AfterSales>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Request>> {
    let before = status_of(&state, id).await?;
    payments::approve_after_sale(&state, id, crate::db::now()).await?;
    decided(&state, &who, "afterSale.approve", id, &before).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    reason: String,
}

async fn reject(
    State(state): State<AppState>,
    who: Staff<page::AfterSales>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RejectBody>,
) -> ApiResult<Json<Request>> {
    let reason = input::paragraph("reason", &b.reason, input::MAX_REASON)?;
    if reason.is_empty() {
        return Err(ApiError::invalid("reason", "required"));
    }
    let before = status_of(&state, id).await?;
    after_sales::reject(&state, id, &reason, crate::db::now()).await?;
    decided(&state, &who, "afterSale.reject", id, &before).await
}

async fn receive(
    State(state): State<AppState>,
    who: Staff<page::AfterSales>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Request>> {
    let before = status_of(&state, id).await?;
    payments::receive_returned_goods(&state, id, crate::db::now()).await?;
    decided(&state, &who, "afterSale.receive", id, &before).await
}

async fn refund(state: &AppState, id: i64) -> ApiResult<RefundView> {
    let mut conn = state.db.pool.acquire().await?;
    refunds::list(&mut conn, Some(id), "")
        .await?
        .pop()
        .ok_or(ApiError::NotFound("refund"))
}

async fn retry(
    State(state): State<AppState>,
    who: Staff<page::AfterSales>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RefundView>> {
    let new_id = payments::retry_refund(&state, id, crate::db::now()).await?;
    let r = refund(&state, new_id).await?;
    let mut conn = state.db.pool.acquire().await?;
    let after: Value = json!({"refundId": new_id, "status": r.status});
    audit::record(
        &mut conn,
        &who,
        "refund.retry",
        &format!("refund:{id}"),
        None,
        Some(&after),
        crate::db::now(),
    )
    .await?;
    Ok(Json(r))
}

async fn close(
    State(state): State<AppState>,
    who: Staff<page::AfterSales>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<RefundView>> {
    payments::close_refund(&state, id, crate::db::now()).await?;
    let r = refund(&state, id).await?;
    let mut conn = state.db.pool.acquire().await?;
    let after: Value = json!({"status": r.status});
    audit::record(
        &mut conn,
        &who,
        "refund.close",
        &format!("refund:{id}"),
        None,
        Some(&after),
        crate::db::now(),
    )
    .await?;
    Ok(Json(r))
}
