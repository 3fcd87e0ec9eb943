//! The member centre: profile with level, growth and points; the coupon
//! wallet by status (claimable coupons and claiming one: `coupon_center`).

use axum::extract::State;
use axum::Json;
use mall_core::{member_status, MemberStatus};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::catalog::pricing;
use crate::coupons::{self, WalletCoupon, WalletStatus};
use crate::db;
use crate::http::auth::mask_phone;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiQuery, AuthUser};
use crate::http::{Access, Api};
use crate::members::users;
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    api.get(
        "/api/member",
        Access::User,
        "Profile with level, growth, points and coupon counts",
        profile,
    )
    .get(
        "/api/member/coupons",
        Access::User,
        "The coupon wallet by status (available, used, expired)",
        wallet,
    )
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    user_id: i64,
    nickname: String,
    avatar: String,
    /// Masked (138****5678); the number itself is sealed at rest.
    phone: Option<String>,
    points: i64,
    /// Returned points spent before a refund was closed; paid off first by
    /// points earned or given back later.
    points_debt: i64,
    member: MemberStatus,
    coupons: Value,
}

async fn profile(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<Profile>> {
    let mut conn = state.db.pool.acquire().await?;
    let u = users::get(&mut conn, user.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let rules = pricing::rules(&mut conn, &[]).await?;
    let member = member_status(&rules.member, u.growth.max(0) as u64)?;
    let phone = match &u.phone {
        Some((key_id, blob)) => {
            let raw = state.keys.open(key_id, &format!("phone:{}", u.id), blob)?;
            Some(mask_phone(&String::from_utf8_lossy(&raw)))
        }
        None => None,
    };
    let wallet = coupons::list(&mut conn, user.user_id, db::now()).await?;
    let count = |s: WalletStatus| wallet.iter().filter(|(c, _)| c.status == s).count();
    Ok(Json(Profile {
        user_id: u.id,
        nickname: u.nickname,
        avatar: u.avatar,
        phone,
        points: u.points,
        points_debt: u.points_debt,
        member,
        coupons: json!({
            "available": count(WalletStatus::Available),
            "used": count(WalletStatus::Used),
            "expired": count(WalletStatus::Expired),
        }),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WalletQuery {
    status: Option<WalletStatus>,
}

async fn wallet(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<WalletQuery>,
) -> ApiResult<Json<Vec<WalletCoupon>>> {
    let status = q.status.unwrap_or(WalletStatus::Available);
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(
        coupons::list(&mut conn, user.user_id, db::now())
            .await?
            .into_iter()
            .map(|(c, _)| c)
            .filter(|c| c.status == status)
            .collect(),
    ))
}
