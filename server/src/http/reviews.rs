//! Product reviews: the paged list, and a review of a completed order line by
//! its buyer (once per line).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use crate::db;
use crate::http::codes::Code;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, AuthUser};
use crate::http::input::{self, Page};
use crate::http::{Access, Api};
use crate::orders::OrderStatus;
use crate::reviews;
use crate::reviews::ReviewView;
use crate::state::AppState;

pub const MAX_TEXT_CHARS: usize = 500;

pub fn routes(api: Api) -> Api {
    api.get(
        "/api/products/{id}/reviews",
        Access::Public,
        "A product's reviews, newest first, paged (nicknames masked)",
        list,
    )
    .post(
        "/api/orders/{id}/lines/{lineId}/review",
        Access::User,
        "Review a line of one's completed order (rating 1-5 and text), once",
        create,
    )
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PageQuery {
    page: Option<i64>,
    page_size: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<ReviewView>>> {
    let paging = input::paging(q.page, q.page_size)?;
    let mut conn = state.db.pool.acquire().await?;
    let on_shelf: Option<i64> =
        sqlx::query_scalar("SELECT id FROM products WHERE id = $1 AND on_shelf = 1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    if on_shelf.is_none() {
        return Err(ApiError::NotFound("product"));
    }
    let (items, total) = reviews::page(&mut conn, id, paging).await?;
    Ok(Json(Page::new(items, paging, total)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewReview {
    rating: i64,
    #[serde(default)]
    text: String,
}

async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((order_id, line_id)): ApiPath<(i64, String)>,
    ApiJson(b): ApiJson<NewReview>,
) -> ApiResult<(StatusCode, Json<ReviewView>)> {
    if !(1..=5).contains(&b.rating) {
        return Err(ApiError::invalid("rating", "1 to 5"));
    }
    let text = input::paragraph("text", &b.text, MAX_TEXT_CHARS)?;
    let text = text.as_str();
    let now = db::now();
    let mut tx = state.db.begin_write().await?;
    let r = async {
        let status: String =
            sqlx::query_scalar("SELECT status FROM orders WHERE id = $1 AND user_id = $2")
                .bind(order_id)
                .bind(user.user_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(ApiError::NotFound("order"))?;
        let (product_id, quantity, refunded): (i64, i64, i64) = sqlx::query_as(
            "SELECT product_id, quantity, refunded_quantity FROM order_lines WHERE order_id = $1 AND line_id = $2",
        )
        .bind(order_id)
        .bind(&line_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(ApiError::NotFound("order line"))?;
        let status = OrderStatus::parse(&status).ok_or_else(|| anyhow::anyhow!("status"))?;
        if status != OrderStatus::Completed {
            return Err(ApiError::conflict(
                Code::ReviewNotAllowed,
                format!("订单{}，确认收货后才能评价", status.label()),
            ));
        }
        if refunded >= quantity {
            return Err(ApiError::conflict(
                Code::ReviewNotAllowed,
                "商品已全部退款，不能评价",
            ));
        }
        reviews::insert(
            &mut tx,
            product_id,
            user.user_id,
            Some((order_id, &line_id)),
            b.rating,
            text,
            now,
        )
        .await?
        .ok_or_else(|| ApiError::conflict(Code::AlreadyReviewed, "该商品已评价过了"))
    }
    .await;
    let id = db::finish(tx, r).await?;
    let mut conn = state.db.pool.acquire().await?;
    let view = reviews::one(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound("review"))?;
    Ok((StatusCode::CREATED, Json(view)))
}
