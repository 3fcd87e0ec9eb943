//! 营销 → 拼团: the groups of the shop's group-buy activities, by status and
//! activity, with their counters (seats held and paid).

use axum::extract::State;
use axum::Json;
use mall_core::GroupStatus;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{page, Staff};
use crate::group_buy::views::{self, AdminGroup};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::ApiQuery;
use crate::http::input::{self, Page};
use crate::http::schema::{line, q, range};
use crate::http::{Access, Api};
use crate::staff::Page as ConsolePage;
use crate::state::AppState;

pub const MAX_ACTIVITY_ID: usize = 64;
const STATUSES: [&str; 6] = [
    "pending",
    "open",
    "success",
    "autoSuccess",
    "failed",
    "cancelled",
];

pub fn routes(api: Api) -> Api {
    api.get(
        "/admin/api/groups",
        Access::Staff(ConsolePage::Marketing),
        "Groups of the group-buy activities, newest first: filters status and activityId; seats held and paid",
        list,
    )
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListQuery {
    status: Option<String>,
    activity_id: Option<String>,
    page: Option<i64>,
    page_size: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    _s: Staff<page::Marketing>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<AdminGroup>>> {
    let paging = input::paging(q.page, q.page_size)?;
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            GroupStatus::parse(s)
                .ok_or_else(|| ApiError::invalid("status", STATUSES.join(", ")))?,
        ),
        None => None,
    };
    // Blank (or only white space) is no filter.
    let activity = match q
        .activity_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(a) => Some(input::line("activityId", a, 1, MAX_ACTIVITY_ID)?),
        None => None,
    };
    let mut conn = state.db.pool.acquire().await?;
    let (items, total) = views::admin_list(
        &mut conn,
        status,
        activity.as_deref(),
        paging.offset(),
        paging.page_size,
    )
    .await?;
    Ok(Json(Page::new(items, paging, total)))
}

pub fn query_params(method: &str, path: &str) -> Option<Vec<Value>> {
    match (method, path) {
        ("get", "/admin/api/groups") => {
            let mut statuses: Vec<&str> = STATUSES.to_vec();
            statuses.push("");
            Some(vec![
                q("status", json!({"type": "string", "enum": statuses}), false),
                q("activityId", line(0, MAX_ACTIVITY_ID), false),
                q("page", range(1, input::MAX_PAGE), false),
                q("pageSize", range(1, input::MAX_PAGE_SIZE), false),
            ])
        }
        _ => None,
    }
}
