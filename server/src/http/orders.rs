//! The shopper's orders: list by tab, detail, cancel, confirm receipt.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use crate::db;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiPath, ApiQuery, AuthUser};
use crate::http::input::{self, Page};
use crate::http::{Access, Api};
use crate::orders::{self, OrderDetail, OrderSummary};
use crate::orders::{Action, Tab};
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    api.get(
        "/api/orders",
        Access::User,
        "The shopper's orders by tab (unpaid, toShip, toReceive, completed, afterSale)",
        list,
    )
    .get(
        "/api/orders/{id}",
        Access::User,
        "Order detail with allocations",
        detail,
    )
    .post(
        "/api/orders/{id}/cancel",
        Access::User,
        "Cancel an unpaid order",
        cancel,
    )
    .post(
        "/api/orders/{id}/confirm-receipt",
        Access::User,
        "Confirm receipt of a shipped order",
        confirm_receipt,
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListQuery {
    #[serde(default = "all")]
    tab: Tab,
    page: Option<i64>,
    page_size: Option<i64>,
}

fn all() -> Tab {
    Tab::All
}

async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<OrderSummary>>> {
    let paging = input::paging(q.page, q.page_size)?;
    let mut conn = state.db.pool.acquire().await?;
    let (items, total) = orders::list(&mut conn, user.user_id, q.tab, paging).await?;
    Ok(Json(Page::new(items, paging, total)))
}

pub async fn load(state: &AppState, id: i64, user_id: Option<i64>) -> ApiResult<OrderDetail> {
    let mut conn = state.db.pool.acquire().await?;
    orders::detail(&mut conn, &state.keys, id, user_id)
        .await?
        .ok_or(ApiError::NotFound("order"))
}

async fn detail(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<OrderDetail>> {
    Ok(Json(load(&state, id, Some(user.user_id)).await?))
}

/// Apply an action in its own transaction and return the order afterwards.
pub async fn act(
    state: &AppState,
    id: i64,
    user_id: Option<i64>,
    action: Action,
    actor: &str,
) -> ApiResult<OrderDetail> {
    orders::act(&state.db, id, user_id, action, actor, db::now()).await?;
    if matches!(action, Action::Cancel | Action::Expire) {
        // Committed: its units are sellable again, past any sold-out flag.
        state.flash.released();
    }
    load(state, id, user_id).await
}

async fn cancel(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<OrderDetail>> {
    Ok(Json(
        act(&state, id, Some(user.user_id), Action::Cancel, "shopper").await?,
    ))
}

async fn confirm_receipt(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<OrderDetail>> {
    Ok(Json(
        act(
            &state,
            id,
            Some(user.user_id),
            Action::ConfirmReceipt,
            "shopper",
        )
        .await?,
    ))
}
