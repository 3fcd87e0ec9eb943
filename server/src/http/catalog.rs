//! Categories, the product list (pagination, filters, sort) and product detail.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::catalog::{
    self, Banner, Category, FlashSale, ProductCard, ProductDetail, ProductFilter, Sort,
};
use crate::db;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiPath, ApiQuery, MaybeUser};
use crate::http::input::{self, Page, Paging};
use crate::http::{Access, Api};
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    api.get(
        "/api/home",
        Access::OptionalUser,
        "Home page: server time, banners (a signed-in member's campaign banners first), three core categories, the running flash sale, recommended products",
        home,
    )
    .get(
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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HomeCategory {
    pub id: i64,
    pub name: String,
    pub icon: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Home {
    /// Server time (unix seconds): the flash-sale countdown runs on it.
    pub now: i64,
    /// The shop's name, logo, service phone and notice (设置 → 店铺).
    pub shop: crate::catalog::shop::ShopInfo,
    pub banners: Vec<Banner>,
    /// The first three top-level categories.
    pub categories: Vec<HomeCategory>,
    pub flash_sale: Option<FlashSale>,
    /// The first page of products by sales (`/api/products?sort=sales&pageSize=10`).
    pub recommended: Page<ProductCard>,
}

pub const HOME_PAGE_SIZE: i64 = 10;

async fn home(State(state): State<AppState>, user: MaybeUser) -> ApiResult<Json<Home>> {
    let now = db::now();
    let mut conn = state.db.pool.acquire().await?;
    let mut banners = match &user.0 {
        Some(u) => crate::member_campaigns::banners_for(&mut conn, u.user_id, now).await?,
        None => Vec::new(),
    };
    banners.extend(catalog::banners(&mut conn).await?);
    let shop = catalog::shop::get(&mut conn).await?;
    let categories = catalog::category_tree(&mut conn)
        .await?
        .into_iter()
        .take(3)
        .map(|c| HomeCategory {
            id: c.id,
            name: c.name,
            icon: c.icon,
        })
        .collect();
    let flash_sale = catalog::running_flash_sale(&mut conn, now).await?;
    drop(conn);
    let recommended = list_page(
        &state,
        &ProductFilter {
            category_id: None,
            keyword: None,
            min_price: None,
            max_price: None,
            in_stock: false,
            sort: Sort::Sales,
            paging: Paging::first(HOME_PAGE_SIZE),
        },
    )
    .await?;
    Ok(Json(Home {
        now,
        shop,
        banners,
        categories,
        flash_sale,
        recommended,
    }))
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

impl ListQuery {
    pub fn filter(&self) -> ApiResult<ProductFilter> {
        let paging = input::paging(self.page, self.page_size)?;
        price_bound("minPrice", self.min_price)?;
        price_bound("maxPrice", self.max_price)?;
        let keyword = match self.keyword.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(k) => Some(input::keyword("keyword", k)?),
        };
        Ok(ProductFilter {
            category_id: self.category_id,
            keyword,
            min_price: self.min_price,
            max_price: self.max_price,
            in_stock: self.in_stock,
            sort: self.sort,
            paging,
        })
    }
}

/// A price filter: 0..=[`MAX_PRICE`] fen.
fn price_bound(field: &str, v: Option<i64>) -> ApiResult<()> {
    match v {
        Some(p) => input::quantity(field, p, input::MAX_PRICE).map(|_| ()),
        None => Ok(()),
    }
}

pub async fn list_page(state: &AppState, f: &ProductFilter) -> ApiResult<Page<ProductCard>> {
    let mut conn = state.db.pool.acquire().await?;
    let (items, total) = catalog::list_products(&mut conn, f).await?;
    Ok(Page::new(items, f.paging, total))
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
