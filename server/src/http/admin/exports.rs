//! 导出: an orders export runs in the background (progress polled by the
//! console), then its CSV (UTF-8 with a BOM, formula cells escaped, yuan with
//! two decimals) is streamed chunk by chunk.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::orders::FilterParams;
use super::{page, Staff};
use crate::exports::{self, csv, ExportJob};
use crate::http::codes::Code;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::{Access, Api};
use crate::staff::{audit, Page};
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    let p = Access::Staff(Page::Orders);
    api.post(
        "/admin/api/exports/orders",
        p,
        "Export the orders under the list's filters to CSV, in the background (202; poll the job)",
        create,
    )
    .get(
        "/admin/api/exports/{id}",
        p,
        "An export's status and progress (0–100)",
        one,
    )
    .get(
        "/admin/api/exports/{id}/file",
        p,
        "A finished export's CSV (UTF-8 with BOM), streamed",
        file,
    )
}

async fn load(state: &AppState, id: i64) -> ApiResult<ExportJob> {
    let mut conn = state.db.pool.acquire().await?;
    exports::job(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound("export"))
}

async fn create(
    State(state): State<AppState>,
    who: Staff<page::Orders>,
    ApiJson(f): ApiJson<FilterParams>,
) -> ApiResult<(StatusCode, Json<ExportJob>)> {
    let filter = f.parse()?;
    let now = crate::db::now();
    let id =
        exports::create_orders(&state.db, &filter, (who.id != 0).then_some(who.id), now).await?;
    {
        let mut conn = state.db.pool.acquire().await?;
        let after = serde_json::to_value(exports::StoredFilter::from(&filter)).unwrap_or_default();
        audit::record(
            &mut conn,
            &who,
            "export.orders",
            &format!("export:{id}"),
            None,
            Some(&after),
            now,
        )
        .await?;
    }
    tokio::spawn(exports::run(state.clone(), id));
    Ok((StatusCode::ACCEPTED, Json(load(&state, id).await?)))
}

async fn one(
    State(state): State<AppState>,
    _s: Staff<page::Orders>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ExportJob>> {
    Ok(Json(load(&state, id).await?))
}

async fn file(
    State(state): State<AppState>,
    _s: Staff<page::Orders>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let job = load(&state, id).await?;
    if job.status != "done" {
        return Err(ApiError::with_details(
            Code::ExportNotReady,
            serde_json::json!({"status": job.status, "progress": job.progress}),
        ));
    }
    let header_line = format!("{}{}", csv::BOM, csv::row(&exports::ORDER_COLUMNS));
    let db = state.db.clone();
    // The header, then each chunk as it is read: one chunk in memory at a time.
    let chunks = futures_util::stream::unfold(Some(0i64), move |seq| {
        let db = db.clone();
        async move {
            let seq = seq?;
            match exports::chunk(&db, id, seq).await {
                Ok(Some(text)) => Some((Ok::<_, sqlx::Error>(Bytes::from(text)), Some(seq + 1))),
                Ok(None) => None,
                Err(e) => Some((Err(e), None)),
            }
        }
    });
    let head = futures_util::stream::once(async move { Ok(Bytes::from(header_line)) });
    let body = Body::from_stream(futures_util::StreamExt::chain(head, chunks));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"orders-{id}.csv\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response())
}
