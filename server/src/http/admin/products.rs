//! 商品: categories, the product list, the product editor (spec matrix),
//! batch on/off shelf, stock with its ledger and alerts.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{page, Staff};
use crate::catalog::manage::{self, AdminProduct, ProductFilter, ProductInput, SkuInput};
use crate::catalog::SpecName;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{input, Access, Api};
use crate::paging::Page as ListPage;
use crate::staff::audit;
use crate::staff::Page;
use crate::state::AppState;
use crate::stock::ledger;

pub const MAX_TITLE: usize = 60;
pub const MAX_SUBTITLE: usize = 100;
pub const MAX_DESCRIPTION: usize = 5000;
pub const MAX_CATEGORY_NAME: usize = 20;
pub const MAX_SPECS: usize = 3;
pub const MAX_SPEC_VALUES: usize = 20;
pub const MAX_SPEC_TEXT: usize = 20;
pub const MAX_SKUS: usize = 200;
pub const MAX_IMAGES: usize = 9;
pub const MAX_SKU_CODE: usize = 64;
pub const MAX_WEIGHT: i64 = 1_000_000;
pub const MAX_SHELF_BATCH: usize = 200;

pub fn routes(api: Api) -> Api {
    let p = Access::Staff(Page::Products);
    api.get(
        "/admin/api/categories",
        p,
        "Categories (two levels)",
        categories,
    )
    .post(
        "/admin/api/categories",
        p,
        "Add a category (top level, or under a top-level one)",
        create_category,
    )
    .get(
        "/admin/api/products",
        p,
        "Products with stock, price range and alert count; filters keyword, category, shelf",
        list,
    )
    .post(
        "/admin/api/products",
        p,
        "Create a product with its SKUs (exactly the spec matrix)",
        create,
    )
    .get(
        "/admin/api/products/{id}",
        p,
        "A product with its SKUs",
        one,
    )
    .put(
        "/admin/api/products/{id}",
        p,
        "Replace a product and its SKUs (SKUs by id; one left out goes off sale)",
        replace,
    )
    .post(
        "/admin/api/products/shelf",
        p,
        "Batch on or off the shelf",
        shelf,
    )
    .put(
        "/admin/api/skus/{id}/stock",
        p,
        "Set a SKU's stock, with a reason (a ledger row)",
        set_stock,
    )
    .get(
        "/admin/api/stock-alerts",
        p,
        "SKUs at or below their alert threshold",
        alerts,
    )
    .get(
        "/admin/api/stock-ledger",
        p,
        "Stock changes, newest first",
        stock_ledger,
    )
}

async fn categories(
    State(state): State<AppState>,
    _s: Staff<page::Products>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(json!({"items": manage::categories(&mut conn).await?})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewCategory {
    parent_id: Option<i64>,
    name: String,
    #[serde(default)]
    sort: i64,
}

async fn create_category(
    State(state): State<AppState>,
    who: Staff<page::Products>,
    ApiJson(b): ApiJson<NewCategory>,
) -> ApiResult<(StatusCode, Json<manage::Category>)> {
    let name = input::line("name", &b.name, 1, MAX_CATEGORY_NAME)?;
    input::range("sort", b.sort, 0, 9999)?;
    let mut conn = state.db.pool.acquire().await?;
    let c = manage::create_category(&mut conn, b.parent_id, &name, b.sort).await?;
    let after = serde_json::to_value(&c).unwrap_or_default();
    let target = format!("category:{}", c.id);
    audit::record(
        &mut conn,
        &who,
        "category.create",
        &target,
        None,
        Some(&after),
        crate::db::now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListQuery {
    page: Option<i64>,
    page_size: Option<i64>,
    q: Option<String>,
    category_id: Option<i64>,
    on_shelf: Option<bool>,
}

async fn list(
    State(state): State<AppState>,
    _s: Staff<page::Products>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<ListPage<manage::ProductRow>>> {
    let paging = input::paging(q.page, q.page_size)?;
    let keyword =
        q.q.as_deref()
            .map(|k| input::line("q", k, 0, input::MAX_KEYWORD))
            .transpose()?
            .filter(|k| !k.is_empty());
    let mut conn = state.db.pool.acquire().await?;
    let filter = ProductFilter {
        keyword,
        category_id: q.category_id,
        on_shelf: q.on_shelf,
    };
    let (items, total) = manage::list(&mut conn, &filter, &paging).await?;
    Ok(Json(ListPage::new(items, paging, total)))
}

async fn load(state: &AppState, id: i64) -> ApiResult<AdminProduct> {
    let mut conn = state.db.pool.acquire().await?;
    manage::product(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound("product"))
}

async fn one(
    State(state): State<AppState>,
    _s: Staff<page::Products>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AdminProduct>> {
    Ok(Json(load(&state, id).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProductBody {
    category_id: i64,
    title: String,
    #[serde(default)]
    subtitle: String,
    #[serde(default)]
    description: String,
    main_image: String,
    #[serde(default)]
    images: Vec<String>,
    #[serde(default)]
    video_url: String,
    #[serde(default)]
    spec_names: Vec<SpecName>,
    #[serde(default = "yes")]
    on_shelf: bool,
    skus: Vec<SkuInput>,
}

fn yes() -> bool {
    true
}

fn url(field: &str, v: &str, min: usize) -> ApiResult<String> {
    let v = input::line(field, v, min, input::MAX_URL)?;
    let allowed =
        v.is_empty() || v.starts_with("https://") || v.starts_with("http://") || v.starts_with('/');
    if !allowed {
        return Err(ApiError::invalid(
            field,
            "an http(s) URL or a path on this server",
        ));
    }
    Ok(v)
}

fn parse(b: ProductBody) -> ApiResult<ProductInput> {
    if b.images.len() > MAX_IMAGES {
        return Err(ApiError::invalid("images", format!("at most {MAX_IMAGES}")));
    }
    if b.spec_names.len() > MAX_SPECS {
        return Err(ApiError::invalid(
            "specNames",
            format!("at most {MAX_SPECS} specs"),
        ));
    }
    let mut spec_names = Vec::new();
    for s in &b.spec_names {
        if s.values.len() > MAX_SPEC_VALUES {
            return Err(ApiError::invalid(
                "specNames",
                format!("at most {MAX_SPEC_VALUES} values per spec"),
            ));
        }
        spec_names.push(SpecName {
            name: input::line("specNames.name", &s.name, 1, MAX_SPEC_TEXT)?,
            values: s
                .values
                .iter()
                .map(|v| input::line("specNames.values", v, 1, MAX_SPEC_TEXT))
                .collect::<ApiResult<_>>()?,
        });
    }
    if b.skus.is_empty() || b.skus.len() > MAX_SKUS {
        return Err(ApiError::invalid("skus", format!("1 to {MAX_SKUS} SKUs")));
    }
    let mut skus = Vec::new();
    for s in b.skus {
        input::range("skus.listPrice", s.list_price, 0, input::MAX_PRICE)?;
        input::range("skus.stock", s.stock, 0, input::MAX_STOCK)?;
        input::range("skus.weightGrams", s.weight_grams, 0, MAX_WEIGHT)?;
        input::range(
            "skus.alertThreshold",
            s.alert_threshold,
            0,
            input::MAX_STOCK,
        )?;
        if let Some(l) = s.per_user_limit {
            input::range("skus.perUserLimit", l, 1, input::MAX_STOCK)?;
        }
        skus.push(SkuInput {
            code: input::line("skus.code", &s.code, 0, MAX_SKU_CODE)?,
            specs: s
                .specs
                .iter()
                .map(|v| input::line("skus.specs", v, 1, MAX_SPEC_TEXT))
                .collect::<ApiResult<_>>()?,
            ..s
        });
    }
    Ok(ProductInput {
        category_id: b.category_id,
        title: input::line("title", &b.title, 1, MAX_TITLE)?,
        subtitle: input::line("subtitle", &b.subtitle, 0, MAX_SUBTITLE)?,
        description: input::paragraph("description", &b.description, MAX_DESCRIPTION)?,
        main_image: url("mainImage", &b.main_image, 1)?,
        images: b
            .images
            .iter()
            .map(|i| url("images", i, 1))
            .collect::<ApiResult<_>>()?,
        video_url: url("videoUrl", &b.video_url, 0)?,
        spec_names,
        on_shelf: b.on_shelf,
        skus,
    })
}

async fn save(
    state: &AppState,
    who: &Staff<page::Products>,
    id: Option<i64>,
    b: ProductBody,
) -> ApiResult<AdminProduct> {
    let p = parse(b)?;
    let before = match id {
        Some(id) => Some(serde_json::to_value(load(state, id).await?).unwrap_or_default()),
        None => None,
    };
    let now = crate::db::now();
    let pid = manage::save(&state.db, id, &p, &who.username, now).await?;
    let after = load(state, pid).await?;
    let mut conn = state.db.pool.acquire().await?;
    let action = if id.is_some() {
        "product.update"
    } else {
        "product.create"
    };
    let after_value = serde_json::to_value(&after).unwrap_or_default();
    audit::record(
        &mut conn,
        who,
        action,
        &format!("product:{pid}"),
        before.as_ref(),
        Some(&after_value),
        now,
    )
    .await?;
    Ok(after)
}

async fn create(
    State(state): State<AppState>,
    who: Staff<page::Products>,
    ApiJson(b): ApiJson<ProductBody>,
) -> ApiResult<(StatusCode, Json<AdminProduct>)> {
    Ok((
        StatusCode::CREATED,
        Json(save(&state, &who, None, b).await?),
    ))
}

async fn replace(
    State(state): State<AppState>,
    who: Staff<page::Products>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ProductBody>,
) -> ApiResult<Json<AdminProduct>> {
    Ok(Json(save(&state, &who, Some(id), b).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ShelfBody {
    ids: Vec<i64>,
    on_shelf: bool,
}

async fn shelf(
    State(state): State<AppState>,
    who: Staff<page::Products>,
    ApiJson(b): ApiJson<ShelfBody>,
) -> ApiResult<Json<Value>> {
    if b.ids.is_empty() || b.ids.len() > MAX_SHELF_BATCH {
        return Err(ApiError::invalid(
            "ids",
            format!("1 to {MAX_SHELF_BATCH} products"),
        ));
    }
    let mut conn = state.db.pool.acquire().await?;
    let updated = manage::set_shelf(&mut conn, &b.ids, b.on_shelf).await?;
    let action = if b.on_shelf {
        "product.onShelf"
    } else {
        "product.offShelf"
    };
    let target = format!(
        "products:{}",
        b.ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    audit::record(
        &mut conn,
        &who,
        action,
        &target,
        Some(&json!({"onShelf": !b.on_shelf})),
        Some(&json!({"onShelf": b.on_shelf, "updated": updated})),
        crate::db::now(),
    )
    .await?;
    Ok(Json(json!({"updated": updated})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StockBody {
    stock: i64,
    reason: String,
}

async fn set_stock(
    State(state): State<AppState>,
    who: Staff<page::Products>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<StockBody>,
) -> ApiResult<Json<Value>> {
    input::range("stock", b.stock, 0, input::MAX_STOCK)?;
    let reason = input::line("reason", &b.reason, 1, input::MAX_REASON)?;
    let now = crate::db::now();
    let (before, after) = ledger::set(&state.db, id, b.stock, &reason, &who.username, now)
        .await?
        .ok_or(ApiError::NotFound("sku"))?;
    let mut conn = state.db.pool.acquire().await?;
    audit::record(
        &mut conn,
        &who,
        "sku.stock",
        &format!("sku:{id}"),
        Some(&json!({"stock": before})),
        Some(&json!({"stock": after, "reason": reason})),
        now,
    )
    .await?;
    Ok(Json(json!({"skuId": id, "before": before, "after": after})))
}

async fn alerts(
    State(state): State<AppState>,
    _s: Staff<page::Products>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(json!({"items": ledger::alerts(&mut conn).await?})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LedgerQuery {
    page: Option<i64>,
    page_size: Option<i64>,
    sku_id: Option<i64>,
}

async fn stock_ledger(
    State(state): State<AppState>,
    _s: Staff<page::Products>,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> ApiResult<Json<ListPage<ledger::LedgerEntry>>> {
    let paging = input::paging(q.page, q.page_size)?;
    let mut conn = state.db.pool.acquire().await?;
    let (items, total) = ledger::list(&mut conn, q.sku_id, &paging).await?;
    Ok(Json(ListPage::new(items, paging, total)))
}
