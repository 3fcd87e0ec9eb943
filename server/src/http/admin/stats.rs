//! 概览 and 数据: the dashboard's figures (`stats`, docs/metrics.md).

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{page, Staff};
use crate::clock::beijing_date_start;
use crate::db;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::ApiQuery;
use crate::http::{Access, Api};
use crate::staff::Page;
use crate::state::AppState;
use crate::stats::buckets::{DAY, MAX_RANGE_DAYS};
use crate::stats::{Range, SqlStats, StatsStore, MAX_HEATMAP_WEEKS};

pub fn routes(api: Api) -> Api {
    api.get(
        "/admin/api/overview",
        Access::Staff(Page::Overview),
        "Today so far against yesterday at the same time, the 24-hour GMV curves and the counters",
        overview,
    )
    .get(
        "/admin/api/stats/trend",
        Access::Staff(Page::Data),
        "GMV, refunds, net, paid orders and buyers per hour (one day), day (≤ 31), week (≤ 182 days) or month",
        trend,
    )
    .get(
        "/admin/api/stats/funnel",
        Access::Staff(Page::Data),
        "The closed per-session funnel: visit → product view → add to cart → checkout → paid",
        funnel,
    )
    .get(
        "/admin/api/stats/top-products",
        Access::Staff(Page::Data),
        "The 20 products with the most paid amount: views, add-to-carts, units, amount, conversion",
        top_products,
    )
    .get(
        "/admin/api/stats/channels",
        Access::Staff(Page::Data),
        "Visitors, buyers and GMV per channel (our ch parameter, else WeChat's scene)",
        channels,
    )
    .get(
        "/admin/api/stats/order-types",
        Access::Staff(Page::Data),
        "Paid orders and GMV per order type (normal, flash sale, group buy, bargain)",
        order_types,
    )
    .get(
        "/admin/api/stats/repurchase",
        Access::Staff(Page::Data),
        "复购率: buyers who paid on at least two Beijing days in the range, over its buyers",
        repurchase,
    )
    .get(
        "/admin/api/stats/rec-slots",
        Access::Staff(Page::Data),
        "Each recommendation slot (home, product, cart): impressions, clicks, click-through, paid orders from clicks and conversion",
        rec_slots,
    )
    .get(
        "/admin/api/stats/heatmap",
        Access::Staff(Page::Data),
        "Paid orders per Beijing weekday and hour over the last weeks, with the peak's facts sentence",
        heatmap,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeQuery {
    from: String,
    to: String,
}

/// Beijing dates `from..=to` as `[from 00:00, the day after to 00:00)`;
/// dates given the wrong way round are swapped, and a range over
/// [`MAX_RANGE_DAYS`] keeps its last days.
fn range(q: &RangeQuery) -> ApiResult<Range> {
    let date = |field: &str, v: &str| {
        beijing_date_start(v)
            .ok_or_else(|| ApiError::invalid(field, "a date YYYY-MM-DD, 2000–2199"))
    };
    let (a, b) = (date("from", &q.from)?, date("to", &q.to)?);
    let (from, to) = (a.min(b), a.max(b) + DAY);
    Ok(Range {
        from: from.max(to - MAX_RANGE_DAYS * DAY),
        to,
    })
}

async fn overview(
    State(state): State<AppState>,
    _s: Staff<page::Overview>,
) -> ApiResult<Json<Value>> {
    let stats = SqlStats { db: &state.db };
    Ok(Json(json!(stats.overview(db::now()).await?)))
}

async fn trend(
    State(state): State<AppState>,
    _s: Staff<page::Data>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> ApiResult<Json<Value>> {
    let stats = SqlStats { db: &state.db };
    Ok(Json(json!(stats.trend(range(&q)?).await?)))
}

async fn funnel(
    State(state): State<AppState>,
    _s: Staff<page::Data>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> ApiResult<Json<Value>> {
    let stats = SqlStats { db: &state.db };
    Ok(Json(json!({"steps": stats.funnel(range(&q)?).await?})))
}

async fn top_products(
    State(state): State<AppState>,
    _s: Staff<page::Data>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> ApiResult<Json<Value>> {
    let stats = SqlStats { db: &state.db };
    Ok(Json(
        json!({"items": stats.top_products(range(&q)?).await?}),
    ))
}

async fn channels(
    State(state): State<AppState>,
    _s: Staff<page::Data>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> ApiResult<Json<Value>> {
    let stats = SqlStats { db: &state.db };
    Ok(Json(json!({"items": stats.channels(range(&q)?).await?})))
}

async fn repurchase(
    State(state): State<AppState>,
    _s: Staff<page::Data>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> ApiResult<Json<Value>> {
    let stats = SqlStats { db: &state.db };
    Ok(Json(json!(stats.repurchase(range(&q)?).await?)))
}

async fn order_types(
    State(state): State<AppState>,
    _s: Staff<page::Data>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> ApiResult<Json<Value>> {
    let stats = SqlStats { db: &state.db };
    Ok(Json(json!({"items": stats.order_types(range(&q)?).await?})))
}

async fn rec_slots(
    State(state): State<AppState>,
    _s: Staff<page::Data>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> ApiResult<Json<Value>> {
    let items = crate::recommend::slots::figures(&state.db, range(&q)?).await?;
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeatmapQuery {
    weeks: Option<i64>,
}

async fn heatmap(
    State(state): State<AppState>,
    _s: Staff<page::Data>,
    ApiQuery(q): ApiQuery<HeatmapQuery>,
) -> ApiResult<Json<Value>> {
    let weeks = q.weeks.unwrap_or(4);
    if !(1..=MAX_HEATMAP_WEEKS).contains(&weeks) {
        return Err(ApiError::invalid(
            "weeks",
            format!("1 to {MAX_HEATMAP_WEEKS}"),
        ));
    }
    let stats = SqlStats { db: &state.db };
    Ok(Json(json!(stats.heatmap(weeks, db::now()).await?)))
}
