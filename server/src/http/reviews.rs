//! Product reviews: the paged list, and a review of a completed order line by
//! its buyer (once per line).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use crate::catalog;
use crate::db;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, AuthUser};
use crate::http::input::{self, Page};
use crate::http::{Access, Api};
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
    if !catalog::product_on_shelf(&mut conn, id).await? {
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
    let id = reviews::write(
        &state.db,
        user.user_id,
        order_id,
        &line_id,
        b.rating,
        text,
        db::now(),
    )
    .await?;
    let mut conn = state.db.pool.acquire().await?;
    let view = reviews::one(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound("review"))?;
    Ok((StatusCode::CREATED, Json(view)))
}
