//! Merchant endpoints (credential: `X-Merchant-Token`): stock, payment by
//! other means, shipping (`orders::ship`), pickup write-off, reading any
//! order, banners, and running the jobs. Handlers only parse, call the
//! capability's service and serialize.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::catalog;
use crate::catalog::Banner;
use crate::db;
use crate::http::after_sales::Tracking;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, Merchant};
use crate::http::input;
use crate::http::orders::load;
use crate::http::{Access, Api};
use crate::orders;
use crate::orders::OrderDetail;
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
    .get(
        "/api/merchant/orders/{id}/shipping-info",
        Access::Merchant,
        "The order's shipping report to WeChat (发货信息录入): status, attempts, last error",
        shipping_info,
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
        "Ship a paid order (carrier, tracking number)",
        ship,
    )
    .post(
        "/api/merchant/orders/ship-batch",
        Access::Merchant,
        "Ship several orders; one result per order",
        ship_batch,
    )
    .post(
        "/api/merchant/pickup/write-off",
        Access::Merchant,
        "Hand over a store-pickup order by its write-off code",
        write_off,
    )
    .put(
        "/api/merchant/banners",
        Access::Merchant,
        "Replace the home-page banners (image, mini-program page), in order",
        set_banners,
    )
    .post(
        "/api/merchant/jobs/run",
        Access::Merchant,
        "Run the background jobs now (settle by query, auto-confirm, refunds, messages)",
        run_jobs,
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
    input::quantity("stock", req.stock, input::MAX_STOCK)?;
    let set = crate::stock::ledger::set(
        &state.db,
        id,
        req.stock,
        "接口设置（X-Merchant-Token）",
        "merchant-token",
        db::now(),
    )
    .await?;
    if set.is_none() {
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
    crate::payments::mark_paid_by_merchant(&state, id, db::now()).await?;
    Ok(Json(load(&state, id, None).await?))
}

/// Ship one order in its own transaction: the transition, the tracking
/// number and the "shipped" message together.
pub async fn ship_one(state: &AppState, id: i64, t: &Tracking) -> ApiResult<()> {
    t.check()?;
    orders::ship(state, id, t.carrier.trim(), t.tracking_no.trim(), db::now()).await?;
    Ok(())
}

async fn ship(
    State(state): State<AppState>,
    _m: Merchant,
    ApiPath(id): ApiPath<i64>,
    ApiJson(t): ApiJson<Tracking>,
) -> ApiResult<Json<OrderDetail>> {
    ship_one(&state, id, &t).await?;
    Ok(Json(load(&state, id, None).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BatchItem {
    pub order_id: i64,
    pub carrier: String,
    pub tracking_no: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    pub items: Vec<BatchItem>,
}

async fn ship_batch(
    State(state): State<AppState>,
    _m: Merchant,
    ApiJson(b): ApiJson<Batch>,
) -> ApiResult<Json<Value>> {
    Ok(Json(ship_many(&state, b).await?))
}

/// Ship up to 200 orders, each on its own: one result per order.
pub async fn ship_many(state: &AppState, b: Batch) -> ApiResult<Value> {
    if b.items.is_empty() || b.items.len() > 200 {
        return Err(ApiError::invalid("items", "1 to 200 orders"));
    }
    for (i, it) in b.items.iter().enumerate() {
        input::line(
            &format!("items[{i}].carrier"),
            &it.carrier,
            1,
            input::MAX_TRACKING,
        )?;
        input::line(
            &format!("items[{i}].trackingNo"),
            &it.tracking_no,
            1,
            input::MAX_TRACKING,
        )?;
    }
    let mut results = Vec::new();
    for it in b.items {
        let t = Tracking {
            carrier: it.carrier,
            tracking_no: it.tracking_no,
        };
        let r = ship_one(state, it.order_id, &t).await;
        results.push(match r {
            Ok(()) => json!({"orderId": it.order_id, "ok": true}),
            Err(e) => json!({"orderId": it.order_id, "ok": false, "error": e.body()}),
        });
    }
    Ok(json!({"results": results}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteOff {
    pub code: String,
}

async fn write_off(
    State(state): State<AppState>,
    _m: Merchant,
    ApiJson(w): ApiJson<WriteOff>,
) -> ApiResult<Json<OrderDetail>> {
    Ok(Json(write_off_code(&state, &w.code).await?))
}

/// Hand over a pickup order by its code.
pub async fn write_off_code(state: &AppState, code: &str) -> ApiResult<OrderDetail> {
    let code = input::line("code", code, 1, input::MAX_CODE)?;
    let id = orders::write_off(state, &code, db::now())
        .await
        .map_err(|e| match e {
            orders::OrderError::NotFound => ApiError::NotFound("pickup code"),
            e => e.into(),
        })?;
    load(state, id, None).await
}

async fn shipping_info(
    State(state): State<AppState>,
    _m: Merchant,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<crate::shipping_info::UploadView>> {
    let mut conn = state.db.pool.acquire().await?;
    crate::shipping_info::view(&mut conn, id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("shipping report"))
}

async fn run_jobs(State(state): State<AppState>, _m: Merchant) -> ApiResult<Json<Value>> {
    crate::jobs::run_once(&state, db::now()).await?;
    Ok(Json(json!({"ok": true})))
}

async fn expire_now(State(state): State<AppState>, _m: Merchant) -> ApiResult<Json<Value>> {
    let closed = crate::jobs::expiry::sweep(&state).await?;
    Ok(Json(json!({"closed": closed})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Banners {
    pub banners: Vec<Banner>,
}

async fn set_banners(
    State(state): State<AppState>,
    _m: Merchant,
    ApiJson(b): ApiJson<Banners>,
) -> ApiResult<Json<Value>> {
    replace_banners(&state, &b).await?;
    Ok(Json(json!({"banners": b.banners})))
}

/// A banner's bounds: an image URL, and a page of the mini-program
/// (wx.navigateTo) or nothing.
pub fn check_banner(field: &str, x: &catalog::Banner) -> ApiResult<()> {
    input::line(&format!("{field}.image"), &x.image, 1, input::MAX_URL)?;
    input::line(&format!("{field}.url"), &x.url, 0, input::MAX_URL)?;
    if !(x.url.is_empty() || x.url.starts_with("/pages/") || x.url.starts_with("/pkg-")) {
        return Err(ApiError::invalid(
            format!("{field}.url"),
            "a mini-program page such as /pages/product/index?id=1, or empty",
        ));
    }
    Ok(())
}

/// Check and store the home page's banners, in order (at most 10).
pub async fn replace_banners(state: &AppState, b: &Banners) -> ApiResult<()> {
    if b.banners.len() > 10 {
        return Err(ApiError::invalid("banners", "at most 10"));
    }
    for (i, x) in b.banners.iter().enumerate() {
        check_banner(&format!("banners[{i}]"), x)?;
    }
    let mut tx = state.db.begin_write().await?;
    let r = catalog::set_banners(&mut tx, &b.banners)
        .await
        .map_err(ApiError::from);
    db::finish(tx, r).await
}
