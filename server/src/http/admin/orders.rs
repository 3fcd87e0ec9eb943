//! 订单: the filtered list with counts per status, an order with its
//! timeline, shipping one, a selection, or a CSV file (dry run first), and
//! the pickup write-off. Every write is in the audit log.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{page, Staff};
use crate::http::after_sales::Tracking;
use crate::http::codes::Code;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::merchant::{self, Batch, WriteOff};
use crate::http::orders::load;
use crate::http::{input, Access, Api};
use crate::orders::search::{self, OrderFilter, OrderRow, TimelineEntry};
use crate::orders::ship_csv::{self, FileError};
use crate::orders::{OrderDetail, OrderStatus};
use crate::paging::Page as ListPage;
use crate::staff::{audit, Page};
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    let p = Access::Staff(Page::Orders);
    api.get(
        "/admin/api/orders",
        p,
        "Orders, newest first: filters status, from/to (Beijing dates), orderNo, phoneTail, delivery; counts per status",
        list,
    )
    .get(
        "/admin/api/orders/{id}",
        p,
        "An order with its timeline (placed, paid, shipped, received, after-sales, refunds)",
        one,
    )
    .post("/admin/api/orders/{id}/ship", p, "Ship a paid order", ship)
    .post(
        "/admin/api/orders/ship-batch",
        p,
        "Ship a selection of orders; one result per order",
        ship_batch,
    )
    .post(
        "/admin/api/orders/ship-csv",
        p,
        "Ship from a CSV file (orderNo,carrier,trackingNo or 订单号,快递公司,运单号): dryRun=true (the default) reports each row's problem, dryRun=false ships the rows that are ok",
        ship_csv,
    )
    .post(
        "/admin/api/pickup/write-off",
        p,
        "Hand over a store-pickup order by its code",
        write_off,
    )
    .get("/admin/api/carriers", p, "The carriers orders ship with", carriers)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListQuery {
    page: Option<i64>,
    page_size: Option<i64>,
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    order_no: Option<String>,
    phone_tail: Option<String>,
    delivery: Option<String>,
}

/// `from`..=`to` Beijing dates as unix seconds [start, end).
fn date_range(from: Option<&str>, to: Option<&str>) -> ApiResult<(Option<i64>, Option<i64>)> {
    // Shaped like a date but not one (2025-02-30), or a range ending before it
    // starts: well-formed, but nothing to filter by.
    let bad = |field: &str, reason: &str| {
        ApiError::with_details(
            Code::DateRangeInvalid,
            json!({"field": field, "reason": reason}),
        )
    };
    let parse = |field: &str, v: &str| {
        crate::clock::beijing_date_start(v)
            .ok_or_else(|| bad(field, "a real date YYYY-MM-DD (2000–2199)"))
    };
    let from = from.filter(|v| !v.is_empty());
    let to = to.filter(|v| !v.is_empty());
    let start = from.map(|v| parse("from", v)).transpose()?;
    let end = to.map(|v| parse("to", v).map(|t| t + 86_400)).transpose()?;
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            return Err(bad("to", "on or after from"));
        }
    }
    Ok((start, end))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderList {
    #[serde(flatten)]
    page: ListPage<OrderRow>,
    counts: serde_json::Map<String, Value>,
}

/// The order filters of the list and of an export.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FilterParams {
    pub status: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub order_no: Option<String>,
    pub phone_tail: Option<String>,
    pub delivery: Option<String>,
}

impl FilterParams {
    pub fn parse(self) -> ApiResult<OrderFilter> {
        let status = self.status.filter(|s| !s.is_empty());
        if let Some(s) = &status {
            OrderStatus::parse(s).ok_or_else(|| {
                ApiError::invalid(
                    "status",
                    "pending_payment, paid, grouping, shipped, completed, cancelled or refunded",
                )
            })?;
        }
        let (from, until) = date_range(self.from.as_deref(), self.to.as_deref())?;
        let order_no = self
            .order_no
            .map(|n| input::line("orderNo", &n, 0, input::MAX_KEY))
            .transpose()?
            .filter(|n| !n.is_empty());
        let phone_tail = self.phone_tail.filter(|p| !p.is_empty());
        if let Some(p) = &phone_tail {
            if p.len() != 4 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ApiError::invalid("phoneTail", "the last 4 digits"));
            }
        }
        let delivery = self.delivery.filter(|d| !d.is_empty());
        if let Some(d) = &delivery {
            if !["express", "pickup", "sameCity"].contains(&d.as_str()) {
                return Err(ApiError::invalid("delivery", "express, pickup or sameCity"));
            }
        }
        Ok(OrderFilter {
            status,
            from,
            until,
            order_no,
            phone_tail,
            delivery,
        })
    }
}

async fn list(
    State(state): State<AppState>,
    _s: Staff<page::Orders>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<OrderList>> {
    let paging = input::paging(q.page, q.page_size)?;
    let filter = FilterParams {
        status: q.status,
        from: q.from,
        to: q.to,
        order_no: q.order_no,
        phone_tail: q.phone_tail,
        delivery: q.delivery,
    }
    .parse()?;
    let mut conn = state.db.pool.acquire().await?;
    let (items, total) = search::list(&mut conn, &filter, &paging).await?;
    let counts = search::counts(&mut conn, &filter)
        .await?
        .into_iter()
        .map(|(s, n)| (s, json!(n)))
        .collect();
    Ok(Json(OrderList {
        page: ListPage::new(items, paging, total),
        counts,
    }))
}

#[derive(Serialize)]
struct WithTimeline {
    #[serde(flatten)]
    order: OrderDetail,
    timeline: Vec<TimelineEntry>,
}

async fn detail(state: &AppState, id: i64) -> ApiResult<WithTimeline> {
    let order = load(state, id, None).await?;
    let mut conn = state.db.pool.acquire().await?;
    let timeline = search::timeline(&mut conn, id).await?;
    Ok(WithTimeline { order, timeline })
}

async fn one(
    State(state): State<AppState>,
    _s: Staff<page::Orders>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<WithTimeline>> {
    Ok(Json(detail(&state, id).await?))
}

async fn record(
    state: &AppState,
    who: &Staff<page::Orders>,
    action: &str,
    target: &str,
    after: Value,
) -> ApiResult<()> {
    let mut conn = state.db.pool.acquire().await?;
    audit::record(
        &mut conn,
        who,
        action,
        target,
        None,
        Some(&after),
        crate::db::now(),
    )
    .await?;
    Ok(())
}

async fn ship(
    State(state): State<AppState>,
    who: Staff<page::Orders>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(t): ApiJson<Tracking>,
) -> ApiResult<Json<WithTimeline>> {
    merchant::ship_one(&state, id, &t).await?;
    let after = json!({"status": "shipped", "carrier": t.carrier.trim(), "trackingNo": t.tracking_no.trim()});
    record(&state, &who, "order.ship", &format!("order:{id}"), after).await?;
    Ok(Json(detail(&state, id).await?))
}

async fn ship_batch(
    State(state): State<AppState>,
    who: Staff<page::Orders>,
    ApiJson(b): ApiJson<Batch>,
) -> ApiResult<Json<Value>> {
    let ids: Vec<String> = b.items.iter().map(|i| i.order_id.to_string()).collect();
    let results = merchant::ship_many(&state, b).await?;
    record(
        &state,
        &who,
        "order.shipBatch",
        &format!("orders:{}", ids.join(",")),
        results.clone(),
    )
    .await?;
    Ok(Json(results))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CsvQuery {
    /// Default: a dry run (nothing ships unless asked).
    dry_run: Option<bool>,
}

async fn ship_csv(
    State(state): State<AppState>,
    who: Staff<page::Orders>,
    ApiQuery(q): ApiQuery<CsvQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<ship_csv::Report>> {
    let ct = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("text/csv") && !ct.starts_with("text/plain") {
        return Err(ApiError::invalid("content-type", "text/csv"));
    }
    let dry_run = q.dry_run.unwrap_or(true);
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::invalid("body", "UTF-8 text"))?;
    let report = ship_csv::run(&state, text, dry_run, crate::db::now())
        .await?
        .map_err(|e| {
            let why = match e {
                FileError::Header => "the first line names the columns orderNo,carrier,trackingNo (or 订单号,快递公司,运单号)",
                FileError::Empty => "no rows",
                FileError::TooManyRows => "at most 2000 rows",
            };
            ApiError::with_details(Code::CsvInvalid, json!({"reason": why}))
        })?;
    if !dry_run {
        let after = json!({"shipped": report.shipped, "errors": report.error_count});
        record(&state, &who, "order.shipCsv", "orders:csv", after).await?;
    }
    Ok(Json(report))
}

async fn write_off(
    State(state): State<AppState>,
    who: Staff<page::Orders>,
    ApiJson(w): ApiJson<WriteOff>,
) -> ApiResult<Json<OrderDetail>> {
    let order = merchant::write_off_code(&state, &w.code).await?;
    let id = order.summary.id;
    record(
        &state,
        &who,
        "order.writeOff",
        &format!("order:{id}"),
        json!({"status": "completed"}),
    )
    .await?;
    Ok(Json(order))
}

async fn carriers(_s: Staff<page::Orders>) -> Json<Value> {
    // One entry per WeChat code (邮政 and EMS are both EMS).
    let mut seen = std::collections::BTreeSet::new();
    let items: Vec<Value> = crate::shipping_info::CARRIERS
        .iter()
        .filter(|(_, code)| seen.insert(*code))
        .map(|(name, code)| json!({"code": code, "name": name}))
        .collect();
    Json(json!({"items": items}))
}

/// Every row problem is a registered code.
#[cfg(test)]
mod tests {
    #[test]
    fn row_problems_are_registered_codes() {
        use crate::orders::ship_csv::RowProblem::*;
        for p in [
            OrderUnknown,
            OrderNotShippable,
            CarrierUnknown,
            TrackingDuplicate,
            RowInvalid,
        ] {
            let code = serde_json::to_value(p).unwrap();
            let c = super::Code::parse(code.as_str().unwrap()).expect("registered");
            assert_eq!(c.message(), p.message());
        }
    }
}
