//! Search: keyword search (recorded in the shopper's history and the hot
//! words), hot words, history, and suggestions as the shopper types.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::catalog::{self, ProductCard, Sort};
use crate::db;
use crate::http::catalog::{list_page, ListQuery};
use crate::http::error::ApiResult;
use crate::http::extract::{ApiQuery, AuthUser, MaybeUser};
use crate::http::input::{self, Page};
use crate::http::{Access, Api};
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    api.get(
        "/api/search",
        Access::OptionalUser,
        "Search products by keyword",
        search,
    )
    .get("/api/search/hot", Access::Public, "Hot search words", hot)
    .get(
        "/api/search/suggest",
        Access::OptionalUser,
        "Suggestions as the shopper types: texts holding what was typed, the shopper's own searches first, then titles in the categories they view and buy most, then by popularity",
        suggest,
    )
    .get(
        "/api/search/history",
        Access::User,
        "The shopper's recent searches",
        history,
    )
    .delete(
        "/api/search/history",
        Access::User,
        "Clear the shopper's search history",
        clear_history,
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SearchQuery {
    keyword: String,
    category_id: Option<i64>,
    min_price: Option<i64>,
    max_price: Option<i64>,
    #[serde(default)]
    sort: Sort,
    page: Option<i64>,
    page_size: Option<i64>,
}

async fn search(
    State(state): State<AppState>,
    user: MaybeUser,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<Page<ProductCard>>> {
    let keyword = input::keyword("keyword", &q.keyword)?;
    let filter = ListQuery {
        category_id: q.category_id,
        keyword: Some(keyword.clone()),
        min_price: q.min_price,
        max_price: q.max_price,
        in_stock: false,
        sort: q.sort,
        page: q.page,
        page_size: q.page_size,
    }
    .filter()?;
    let page = list_page(&state, &filter).await?;
    if filter.paging.page == 1 {
        let mut conn = state.db.write_conn().await?;
        catalog::record_search(&mut conn, user.0.map(|u| u.user_id), &keyword, db::now()).await?;
    }
    Ok(Json(page))
}

async fn hot(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(
        json!({"words": catalog::hot_words(&mut conn, 10).await?}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuggestQuery {
    q: String,
}

async fn suggest(
    State(state): State<AppState>,
    user: MaybeUser,
    ApiQuery(q): ApiQuery<SuggestQuery>,
) -> ApiResult<Json<Value>> {
    if q.q.trim().is_empty() {
        return Ok(Json(json!({"suggestions": [], "items": []})));
    }
    let q = input::keyword("q", &q.q)?;
    let mut conn = state.db.pool.acquire().await?;
    let items =
        catalog::suggest::suggestions(&mut conn, user.0.map(|u| u.user_id), &q, db::now()).await?;
    let texts: Vec<&str> = items.iter().map(|s| s.text.as_str()).collect();
    Ok(Json(json!({"suggestions": texts, "items": items})))
}

async fn history(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<Value>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(
        json!({"keywords": catalog::history(&mut conn, user.user_id).await?}),
    ))
}

async fn clear_history(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<Value>> {
    let mut conn = state.db.pool.acquire().await?;
    catalog::clear_history(&mut conn, user.user_id).await?;
    Ok(Json(json!({"keywords": []})))
}
