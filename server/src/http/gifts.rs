//! 券转赠: open a gift card for a wallet coupon, cancel it, view a card by
//! its share token (any signed-in shopper) and accept it (`coupons::gift`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::coupons::gift::{self, Card, Opened};
use crate::coupons::{self, WalletCoupon};
use crate::db;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiPath, AuthUser};
use crate::http::{Access, Api};
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    api.post(
        "/api/member/coupons/{id}/gift",
        Access::User,
        "Gift a coupon: it becomes 赠送中 with a share token valid 24 hours",
        open,
    )
    .post(
        "/api/member/coupons/{id}/gift/cancel",
        Access::User,
        "Take back a coupon being gifted",
        cancel,
    )
    .get(
        "/api/gifts/{token}",
        Access::User,
        "A gift card by its share token: what, from whom, until when, state",
        card,
    )
    .post(
        "/api/gifts/{token}/accept",
        Access::User,
        "Accept a gift card: the new coupon (exactly one friend wins)",
        accept,
    )
}

fn token(t: &str) -> ApiResult<&str> {
    if gift::is_token(t) {
        Ok(t)
    } else {
        Err(ApiError::NotFound("gift"))
    }
}

async fn one(state: &AppState, user_id: i64, id: i64) -> ApiResult<WalletCoupon> {
    let mut conn = state.db.pool.acquire().await?;
    coupons::list(&mut conn, user_id, db::now())
        .await?
        .into_iter()
        .map(|(c, _)| c)
        .find(|c| c.id == id)
        .ok_or(ApiError::NotFound("coupon"))
}

async fn open(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Opened>> {
    Ok(Json(
        gift::open(&state.db, user.user_id, id, db::now()).await?,
    ))
}

async fn cancel(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<WalletCoupon>> {
    gift::cancel(&state.db, user.user_id, id, db::now()).await?;
    Ok(Json(one(&state, user.user_id, id).await?))
}

async fn card(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(t): ApiPath<String>,
) -> ApiResult<Json<Card>> {
    let t = token(&t)?;
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(
        gift::card(&mut conn, user.user_id, t, db::now()).await?,
    ))
}

async fn accept(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(t): ApiPath<String>,
) -> ApiResult<(StatusCode, Json<WalletCoupon>)> {
    let t = token(&t)?;
    let id = gift::accept(&state.db, user.user_id, t, db::now()).await?;
    Ok((
        StatusCode::CREATED,
        Json(one(&state, user.user_id, id).await?),
    ))
}
