//! 营销 → 砍价: the merchant's bargain activities (list, create, change, end).
//! Every number is bounded here; price, floor and N are checked by the core
//! (`bargain_split`: BARGAIN_INVALID); every write is audited.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::{page, Staff};
use crate::bargains::{activities, ActivityInput, BargainActivity};
use crate::http::admin::marketing::{MAX_TIME, MAX_TITLE};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::{input, Access, Api};
use crate::staff::audit;
use crate::staff::Page;
use crate::state::AppState;

/// The most helpers a bargain may need (the core's limit).
pub const MAX_HELPERS: i64 = mall_core::bargain::MAX_HELPERS as i64;
/// A bargain lasts at most 30 days.
pub const MAX_WINDOW_HOURS: i64 = 720;
pub const MAX_INITIATIONS: i64 = 100;
pub const MAX_HELPS_PER_DAY: i64 = 100;

pub fn routes(api: Api) -> Api {
    let p = Access::Staff(Page::Marketing);
    api.get(
        "/admin/api/bargains",
        p,
        "Bargain activities, newest first",
        list,
    )
    .post(
        "/admin/api/bargains",
        p,
        "Create a bargain activity (one SKU, start price, floor, helpers N, window, caps)",
        create,
    )
    .put(
        "/admin/api/bargains/{id}",
        p,
        "Change a bargain activity (bargains already started keep their numbers)",
        update,
    )
    .post(
        "/admin/api/bargains/{id}/end",
        p,
        "End a bargain activity now; its live bargains expire",
        end,
    )
}

async fn list(State(state): State<AppState>, _s: Staff<page::Marketing>) -> ApiResult<Json<Value>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(json!({"items": activities::list(&mut conn).await?})))
}

/// The body of create and update, with the bounds [`bound`] enforces.
pub(crate) fn body() -> Value {
    use crate::http::schema::{fen, line, obj, range};
    let mut price = range(1, input::MAX_PRICE);
    price["description"] = json!("start price (fen); the floor must be below it and leave ≥ 1 fen per helper (BARGAIN_INVALID)");
    let mut floor = range(0, input::MAX_PRICE);
    floor["description"] = fen("floor price")["description"].clone();
    obj(
        &[
            "title",
            "skuId",
            "startPrice",
            "floorPrice",
            "helpers",
            "windowHours",
            "initiationsPerUser",
            "helpsPerDay",
            "startsAt",
            "endsAt",
        ],
        json!({
            "title": line(1, MAX_TITLE),
            "skuId": range(1, i64::MAX),
            "startPrice": price,
            "floorPrice": floor,
            "helpers": range(1, MAX_HELPERS),
            "windowHours": range(1, MAX_WINDOW_HOURS),
            "buyBeforeFloor": {"type": "boolean", "description": "whether a bargain may be bought before it reaches the floor"},
            "initiationsPerUser": range(1, MAX_INITIATIONS),
            "helpsPerDay": range(1, MAX_HELPS_PER_DAY),
            "startsAt": range(0, MAX_TIME),
            "endsAt": range(0, MAX_TIME),
        }),
    )
}

fn bound(mut a: ActivityInput) -> ApiResult<ActivityInput> {
    a.title = input::line("title", &a.title, 1, MAX_TITLE)?;
    input::range("skuId", a.sku_id, 1, i64::MAX)?;
    input::range("startPrice", a.start_price, 1, input::MAX_PRICE)?;
    input::range("floorPrice", a.floor_price, 0, input::MAX_PRICE)?;
    input::range("helpers", a.helpers, 1, MAX_HELPERS)?;
    input::range("windowHours", a.window_hours, 1, MAX_WINDOW_HOURS)?;
    input::range(
        "initiationsPerUser",
        a.initiations_per_user,
        1,
        MAX_INITIATIONS,
    )?;
    input::range("helpsPerDay", a.helps_per_day, 1, MAX_HELPS_PER_DAY)?;
    input::range("startsAt", a.starts_at, 0, MAX_TIME)?;
    input::range("endsAt", a.ends_at, 0, MAX_TIME)?;
    Ok(a)
}

async fn audited(
    state: &AppState,
    who: &Staff<page::Marketing>,
    action: &str,
    id: i64,
    before: Option<&BargainActivity>,
) -> ApiResult<BargainActivity> {
    let mut conn = state.db.pool.acquire().await?;
    let after = activities::get(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound("bargain activity"))?;
    let before = before.map(|b| serde_json::to_value(b).unwrap_or_default());
    let after_value = serde_json::to_value(&after).unwrap_or_default();
    audit::record(
        &mut conn,
        who,
        action,
        &format!("bargain-activity:{id}"),
        before.as_ref(),
        Some(&after_value),
        crate::db::now(),
    )
    .await?;
    Ok(after)
}

async fn create(
    State(state): State<AppState>,
    who: Staff<page::Marketing>,
    ApiJson(b): ApiJson<ActivityInput>,
) -> ApiResult<(StatusCode, Json<BargainActivity>)> {
    let a = bound(b)?;
    let mut tx = state.db.begin_write().await?;
    let r = activities::create(&mut tx, &a, crate::db::now()).await;
    let id = crate::db::finish(tx, r).await?;
    let after = audited(&state, &who, "bargain.create", id, None).await?;
    Ok((StatusCode::CREATED, Json(after)))
}

async fn update(
    State(state): State<AppState>,
    who: Staff<page::Marketing>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ActivityInput>,
) -> ApiResult<Json<BargainActivity>> {
    let a = bound(b)?;
    let mut conn = state.db.pool.acquire().await?;
    let before = activities::get(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound("bargain activity"))?;
    drop(conn);
    let mut tx = state.db.begin_write().await?;
    let r = activities::update(&mut tx, id, &a, crate::db::now()).await;
    crate::db::finish(tx, r).await?;
    Ok(Json(
        audited(&state, &who, "bargain.update", id, Some(&before)).await?,
    ))
}

async fn end(
    State(state): State<AppState>,
    who: Staff<page::Marketing>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<BargainActivity>> {
    let mut conn = state.db.pool.acquire().await?;
    let before = activities::get(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound("bargain activity"))?;
    drop(conn);
    let mut tx = state.db.begin_write().await?;
    let r = activities::end(&mut tx, id, crate::db::now()).await;
    crate::db::finish(tx, r).await?;
    Ok(Json(
        audited(&state, &who, "bargain.end", id, Some(&before)).await?,
    ))
}
