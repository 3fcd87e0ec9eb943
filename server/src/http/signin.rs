//! 签到: sign in for today (idempotent per Beijing day) and the month's
//! calendar for the member page (`signin`).

use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use crate::db;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiQuery, AuthUser};
use crate::http::{Access, Api};
use crate::signin::{self, Calendar, Signed};
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    api.post(
        "/api/signin",
        Access::User,
        "Sign in for today (Beijing time): points and growth with the streak bonus; again the same day answers the same reward",
        sign_in,
    )
    .get(
        "/api/signin",
        Access::User,
        "The sign-in calendar of a month (default: this month), the live streak and the rule",
        calendar,
    )
}

async fn sign_in(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<Signed>> {
    Ok(Json(
        signin::sign_in(&state.db, user.user_id, db::now()).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarQuery {
    month: Option<String>,
}

async fn calendar(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> ApiResult<Json<Calendar>> {
    let now = db::now();
    let month = match q.month {
        Some(m) => m,
        None => signin::date_of(signin::day_of(now))[..7].to_string(),
    };
    let span = (month.len() == 7)
        .then(|| signin::month_days(&month))
        .flatten()
        .ok_or_else(|| ApiError::invalid("month", "YYYY-MM, 2000-01 to 2199-12"))?;
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(
        signin::calendar(&mut conn, user.user_id, &month, span, now).await?,
    ))
}
