//! 砍价 for shoppers: the live bargain activities, starting a bargain, one
//! bargain with its progress and helpers (N and 还差k人 always shown), helping
//! one, and the shopper's own bargains. Buying goes through checkout with
//! `items: [{skuId, quantity: 1, bargainId}]`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::bargains::{self, BargainView, Helped};
use crate::db;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiPath, ApiQuery, AuthUser, MaybeUser};
use crate::http::input::{self, Page};
use crate::http::{Access, Api};
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    api.get(
        "/api/bargain-activities",
        Access::Public,
        "Bargain activities open now: SKU, start price, floor and the helpers N each bargain needs",
        live,
    )
    .post(
        "/api/bargain-activities/{id}/start",
        Access::User,
        "Start a bargain (within the activity's per-shopper limit)",
        start,
    )
    .get(
        "/api/bargains",
        Access::User,
        "The shopper's bargains, newest first",
        mine,
    )
    .get(
        "/api/bargains/{id}",
        Access::OptionalUser,
        "One bargain: 已砍, current price, N helpers needed and 还差k人, who helped",
        one,
    )
    .post(
        "/api/bargains/{id}/help",
        Access::User,
        "Help a bargain: cut the next scheduled amount (once per bargain, daily limit, risk check)",
        help,
    )
}

async fn live(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let mut conn = state.db.pool.acquire().await?;
    let items = bargains::activities::live(&mut conn, db::now()).await?;
    Ok(Json(json!({"items": items})))
}

async fn start(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(activity_id): ApiPath<i64>,
) -> ApiResult<(StatusCode, Json<BargainView>)> {
    let id = bargains::initiate(&state, user.user_id, activity_id).await?;
    let mut conn = state.db.pool.acquire().await?;
    let v = bargains::view(&mut conn, id, Some(user.user_id), db::now()).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListQuery {
    page: Option<i64>,
    page_size: Option<i64>,
}

async fn mine(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<BargainView>>> {
    let paging = input::paging(q.page, q.page_size)?;
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(
        bargains::mine(&mut conn, user.user_id, paging, db::now()).await?,
    ))
}

async fn one(
    State(state): State<AppState>,
    user: MaybeUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<BargainView>> {
    let mut conn = state.db.pool.acquire().await?;
    let viewer = user.0.map(|u| u.user_id);
    Ok(Json(
        bargains::view(&mut conn, id, viewer, db::now()).await?,
    ))
}

/// The shopper's address for WeChat's risk check: the first `X-Forwarded-For`
/// hop or `X-Real-IP` set by the reverse proxy in front of the server, when it
/// is an IP address; else loopback.
fn client_ip(headers: &HeaderMap) -> String {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .and_then(|v| v.parse::<std::net::IpAddr>().ok())
    };
    header("x-forwarded-for")
        .or_else(|| header("x-real-ip"))
        .map_or_else(|| "127.0.0.1".to_string(), |ip| ip.to_string())
}

async fn help(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Helped>> {
    let ip = client_ip(&headers);
    Ok(Json(bargains::help(&state, id, user.user_id, &ip).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_ip_is_the_proxys_first_hop_when_it_is_an_address() {
        let mut h = HeaderMap::new();
        assert_eq!(client_ip(&h), "127.0.0.1");
        h.insert("x-real-ip", "10.0.0.9".parse().unwrap());
        assert_eq!(client_ip(&h), "10.0.0.9");
        h.insert("x-forwarded-for", "203.0.113.7, 10.0.0.1".parse().unwrap());
        assert_eq!(client_ip(&h), "203.0.113.7");
        h.insert("x-forwarded-for", "not-an-ip".parse().unwrap());
        assert_eq!(client_ip(&h), "10.0.0.9");
    }
}
