//! Signing in to the console: `login` sets the HttpOnly, SameSite=Strict
//! session cookie and answers the CSRF token the console sends back on every
//! write; `me` tells the console who is signed in and which pages to show.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{cookie, SignedIn, COOKIE};
use crate::http::error::ApiResult;
use crate::http::extract::ApiJson;
use crate::http::{input, Access, Api};
use crate::staff::{self, Page, StaffMember, SESSION_TTL_SECS};
use crate::state::AppState;

/// Usernames: 1–32 characters; passwords 8–128.
pub const MAX_USERNAME: usize = 32;
pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 128;

pub fn routes(api: Api) -> Api {
    api.post(
        "/admin/api/login",
        Access::Public,
        "Sign in to the console (sets the session cookie; 5 failures in 15 minutes lock the account for 15 minutes)",
        login,
    )
    .post(
        "/admin/api/logout",
        Access::Staff(Page::Overview),
        "Sign out (ends the session)",
        logout,
    )
    .get(
        "/admin/api/me",
        Access::Staff(Page::Overview),
        "Who is signed in, the CSRF token and the pages the role may open",
        me,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    username: String,
    password: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionView {
    staff: StaffMember,
    csrf_token: String,
    pages: Vec<&'static str>,
}

fn view(staff: StaffMember, csrf_token: String) -> SessionView {
    let pages = Page::for_role(staff.role)
        .into_iter()
        .map(Page::key)
        .collect();
    SessionView {
        staff,
        csrf_token,
        pages,
    }
}

async fn login(
    State(state): State<AppState>,
    ApiJson(c): ApiJson<Credentials>,
) -> ApiResult<impl IntoResponse> {
    let username = input::line("username", &c.username, 1, MAX_USERNAME)?;
    if c.password.chars().count() > MAX_PASSWORD {
        return Err(crate::http::error::ApiError::invalid(
            "password",
            format!("at most {MAX_PASSWORD} characters"),
        ));
    }
    let now = crate::db::now();
    let mut conn = state.db.pool.acquire().await?;
    let member = staff::verify_login(&mut conn, &username, &c.password, now).await?;
    let session = staff::open_session(&mut conn, member.id, now).await?;
    let set_cookie = format!(
        "{COOKIE}={}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={SESSION_TTL_SECS}",
        session.token
    );
    Ok((
        AppendHeaders([(header::SET_COOKIE, set_cookie)]),
        Json(view(member, session.csrf_token)),
    ))
}

async fn logout(
    State(state): State<AppState>,
    _who: SignedIn,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    if let Some(token) = cookie(&headers, COOKIE) {
        let mut conn = state.db.pool.acquire().await?;
        staff::close_session(&mut conn, token).await?;
    }
    let clear = format!("{COOKIE}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0");
    Ok((
        StatusCode::NO_CONTENT,
        AppendHeaders([(header::SET_COOKIE, clear)]),
    ))
}

async fn me(who: SignedIn) -> Json<SessionView> {
    Json(view(who.member, who.csrf.unwrap_or_default()))
}
