//! 领券中心: the batches open for claiming (remaining in total and today,
//! the shopper's own holding) and claiming one (`coupons::center`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use crate::coupons::center::{self, Batch};
use crate::coupons::{self, WalletCoupon};
use crate::db;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, AuthUser, MaybeUser};
use crate::http::{input, Access, Api};
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    api.get(
        "/api/coupons",
        Access::OptionalUser,
        "领券中心: batches open for claiming, with remaining counts and the shopper's own claim state",
        batches,
    )
    .post(
        "/api/coupons/{id}/claim",
        Access::User,
        "Claim a coupon (total, per-user and per-day caps; a repeated requestId answers the first coupon)",
        claim,
    )
}

async fn batches(State(state): State<AppState>, user: MaybeUser) -> ApiResult<Json<Vec<Batch>>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(
        center::batches(&mut conn, user.0.map(|u| u.user_id), db::now()).await?,
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClaimBody {
    /// The client's id for this claim: a retry with it claims nothing more.
    #[serde(default)]
    request_id: Option<String>,
}

/// The characters a request id may use (those of a UUID or a base64url key).
pub fn request_id(v: &str) -> ApiResult<String> {
    let v = input::line("requestId", v, 1, input::MAX_KEY)?;
    if !v
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::invalid(
            "requestId",
            "letters, digits, - and _ only",
        ));
    }
    Ok(v)
}

async fn claim(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(template_id): ApiPath<i64>,
    ApiJson(body): ApiJson<ClaimBody>,
) -> ApiResult<(StatusCode, Json<WalletCoupon>)> {
    let rid = body.request_id.as_deref().map(request_id).transpose()?;
    let now = db::now();
    let (id, new) =
        center::claim(&state.db, user.user_id, template_id, rid.as_deref(), now).await?;
    let mut conn = state.db.pool.acquire().await?;
    let coupon = coupons::list(&mut conn, user.user_id, now)
        .await?
        .into_iter()
        .map(|(c, _)| c)
        .find(|c| c.id == id)
        .ok_or(ApiError::NotFound("coupon"))?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(coupon)))
}
