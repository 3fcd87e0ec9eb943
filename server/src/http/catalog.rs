//! Categories, the product list (pagination, filters, sort) and product detail.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::db;
use crate::db::catalog::{self, Category, ProductCard, ProductDetail, ProductFilter, Sort};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::{Access, Api};
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    api.get(
        "/api/categories",
        Access::Public,
        "Two-level category tree",
        categories,
    )
    .get(
        "/api/products",
        Access::Public,
        "Product list with filters and pagination",
        list,
    )
    .get(
        "/api/products/{id}",
        Access::Public,
        "Product detail: SPU, SKU matrix, stock, activities",
        detail,
    )
}

async fn categories(State(state): State<AppState>) -> ApiResult<Json<Vec<Category>>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(catalog::category_tree(&mut conn).await?))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    pub category_id: Option<i64>,
    pub keyword: Option<String>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    #[serde(default)]
    pub in_stock: bool,
    #[serde(default)]
    pub sort: Sort,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub page_size: i64,
    pub total: i64,
    pub has_more: bool,
}

pub fn page_params(page: Option<i64>, size: Option<i64>) -> ApiResult<(i64, i64)> {
    let page = page.unwrap_or(1);
    let size = size.unwrap_or(20);
    if page < 1 {
        return Err(ApiError::invalid("page", "starts at 1"));
    }
    if !(1..=100).contains(&size) {
        return Err(ApiError::invalid("pageSize", "1 to 100"));
    }
    Ok((page, size))
}

impl ListQuery {
    pub fn filter(&self) -> ApiResult<ProductFilter> {
        let (page, page_size) = page_params(self.page, self.page_size)?;
        if self.min_price.is_some_and(|p| p < 0) || self.max_price.is_some_and(|p| p < 0) {
            return Err(ApiError::invalid("minPrice", "prices are non-negative fen"));
        }
        Ok(ProductFilter {
            category_id: self.category_id,
            keyword: self.keyword.clone(),
            min_price: self.min_price,
            max_price: self.max_price,
            in_stock: self.in_stock,
            sort: self.sort,
            page,
            page_size,
        })
    }
}

pub async fn list_page(state: &AppState, f: &ProductFilter) -> ApiResult<Page<ProductCard>> {
    let mut conn = state.db.pool.acquire().await?;
    let (items, total) = catalog::list_products(&mut conn, f).await?;
    Ok(Page {
        has_more: f.page * f.page_size < total,
        items,
        page: f.page,
        page_size: f.page_size,
        total,
    })
}

async fn list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<ProductCard>>> {
    Ok(Json(list_page(&state, &q.filter()?).await?))
}

async fn detail(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ProductDetail>> {
    let mut conn = state.db.pool.acquire().await?;
    catalog::product_detail(&mut conn, id, db::now())
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("product"))
}
