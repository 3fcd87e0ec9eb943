//! 设置: staff accounts and the audit log (owner only).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::session::{MAX_PASSWORD, MAX_USERNAME, MIN_PASSWORD};
use super::{page, Staff};
use crate::catalog::shop::ShopInfo;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::merchant::{replace_banners, Banners};
use crate::http::{input, Access, Api};
use crate::paging::Page as ListPage;
use crate::staff::audit::{self, AuditEntry};
use crate::staff::{self, AccountChange, NewStaff, Page, Role, StaffRecord};
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    api.get(
        "/admin/api/staff",
        Access::Staff(Page::Settings),
        "Staff accounts",
        list,
    )
    .post(
        "/admin/api/staff",
        Access::Staff(Page::Settings),
        "Create a staff account (username, name, role, password)",
        create,
    )
    .put(
        "/admin/api/staff/{id}",
        Access::Staff(Page::Settings),
        "Change a staff account's name, role or password, or disable it (the last owner stays)",
        update,
    )
    .get(
        "/admin/api/shop",
        Access::Staff(Page::Settings),
        "The shop's name, logo, service phone and notice (on the mini-program's home page)",
        shop,
    )
    .put(
        "/admin/api/shop",
        Access::Staff(Page::Settings),
        "Change the shop's name, logo, service phone and notice",
        set_shop,
    )
    .get(
        "/admin/api/banners",
        Access::Staff(Page::Settings),
        "The home page's banners (image, mini-program page), in order",
        banners,
    )
    .put(
        "/admin/api/banners",
        Access::Staff(Page::Settings),
        "Replace the home page's banners (at most 10; a page is /pages/… or /pkg-…, or empty)",
        set_banners,
    )
    .get(
        "/admin/api/audit",
        Access::Staff(Page::Settings),
        "The audit log: every write through the console, newest first",
        audit_log,
    )
}

fn role(s: &str) -> ApiResult<Role> {
    Role::parse(s).ok_or_else(|| ApiError::invalid("role", "owner, operator, service or finance"))
}

fn password(p: &str) -> ApiResult<()> {
    let n = p.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&n) {
        return Err(ApiError::invalid(
            "password",
            format!("{MIN_PASSWORD} to {MAX_PASSWORD} characters"),
        ));
    }
    Ok(())
}

fn snapshot(r: &StaffRecord) -> Value {
    json!({"username": r.username, "name": r.name, "role": r.role, "disabled": r.disabled})
}

async fn list(State(state): State<AppState>, _s: Staff<page::Settings>) -> ApiResult<Json<Value>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(json!({"items": staff::list(&mut conn).await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewBody {
    username: String,
    #[serde(default)]
    name: String,
    role: String,
    password: String,
}

async fn create(
    State(state): State<AppState>,
    who: Staff<page::Settings>,
    ApiJson(b): ApiJson<NewBody>,
) -> ApiResult<(StatusCode, Json<StaffRecord>)> {
    let username = input::line("username", &b.username, 1, MAX_USERNAME)?;
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(ApiError::invalid("username", "letters, digits, _ - ."));
    }
    let name = input::line("name", &b.name, 0, MAX_USERNAME)?;
    let role = role(&b.role)?;
    password(&b.password)?;
    let now = crate::db::now();
    let mut conn = state.db.pool.acquire().await?;
    let rec = staff::create(
        &mut conn,
        &NewStaff {
            username: &username,
            name: &name,
            role,
            password: &b.password,
        },
        now,
    )
    .await?;
    let target = format!("staff:{}", rec.id);
    audit::record(
        &mut conn,
        &who,
        "staff.create",
        &target,
        None,
        Some(&snapshot(&rec)),
        now,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(rec)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeBody {
    name: Option<String>,
    role: Option<String>,
    password: Option<String>,
    disabled: Option<bool>,
}

async fn update(
    State(state): State<AppState>,
    who: Staff<page::Settings>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ChangeBody>,
) -> ApiResult<Json<StaffRecord>> {
    let name = b
        .name
        .as_deref()
        .map(|n| input::line("name", n, 0, MAX_USERNAME))
        .transpose()?;
    let role = b.role.as_deref().map(role).transpose()?;
    if let Some(p) = &b.password {
        password(p)?;
    }
    let now = crate::db::now();
    let mut conn = state.db.pool.acquire().await?;
    let before = staff::accounts::get(&mut conn, id).await?;
    let after = staff::update(
        &mut conn,
        id,
        &AccountChange {
            name: name.as_deref(),
            role,
            password: b.password.as_deref(),
            disabled: b.disabled,
        },
        now,
    )
    .await?;
    let mut after_value = snapshot(&after);
    if b.password.is_some() {
        after_value["password"] = json!("(changed)");
    }
    let target = format!("staff:{id}");
    audit::record(
        &mut conn,
        &who,
        "staff.update",
        &target,
        Some(&snapshot(&before)),
        Some(&after_value),
        now,
    )
    .await?;
    Ok(Json(after))
}

pub const MAX_SHOP_NAME: usize = 30;
pub const MAX_NOTICE: usize = 200;
pub const MAX_PHONE: usize = 20;

async fn shop(
    State(state): State<AppState>,
    _s: Staff<page::Settings>,
) -> ApiResult<Json<ShopInfo>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(crate::catalog::shop::get(&mut conn).await?))
}

async fn set_shop(
    State(state): State<AppState>,
    who: Staff<page::Settings>,
    ApiJson(b): ApiJson<ShopInfo>,
) -> ApiResult<Json<ShopInfo>> {
    let logo = input::line("logo", &b.logo, 0, input::MAX_URL)?;
    if !(logo.is_empty()
        || logo.starts_with("https://")
        || logo.starts_with("http://")
        || logo.starts_with('/'))
    {
        return Err(ApiError::invalid(
            "logo",
            "an http(s) URL or a path on this server",
        ));
    }
    let phone = input::line("servicePhone", &b.service_phone, 0, MAX_PHONE)?;
    if !phone
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '))
    {
        return Err(ApiError::invalid("servicePhone", "digits, +, - and spaces"));
    }
    let info = ShopInfo {
        name: input::line("name", &b.name, 1, MAX_SHOP_NAME)?,
        logo,
        service_phone: phone,
        notice: input::line("notice", &b.notice, 0, MAX_NOTICE)?,
    };
    let mut conn = state.db.pool.acquire().await?;
    let before = json!(crate::catalog::shop::get(&mut conn).await?);
    crate::catalog::shop::set(&mut conn, &info).await?;
    audit::record(
        &mut conn,
        &who,
        "shop.update",
        "shop",
        Some(&before),
        Some(&json!(info)),
        crate::db::now(),
    )
    .await?;
    Ok(Json(info))
}

async fn banners(
    State(state): State<AppState>,
    _s: Staff<page::Settings>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(
        json!({"banners": crate::catalog::banners(&mut conn).await?}),
    ))
}

async fn set_banners(
    State(state): State<AppState>,
    who: Staff<page::Settings>,
    ApiJson(b): ApiJson<Banners>,
) -> ApiResult<Json<Value>> {
    let before = {
        let mut conn = state.db.pool.acquire().await?;
        json!(crate::catalog::banners(&mut conn).await?)
    };
    replace_banners(&state, &b).await?;
    let after = json!(b.banners);
    let mut conn = state.db.pool.acquire().await?;
    audit::record(
        &mut conn,
        &who,
        "banners.replace",
        "banners",
        Some(&before),
        Some(&after),
        crate::db::now(),
    )
    .await?;
    Ok(Json(json!({"banners": b.banners})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AuditQuery {
    page: Option<i64>,
    page_size: Option<i64>,
    staff_id: Option<i64>,
}

async fn audit_log(
    State(state): State<AppState>,
    _s: Staff<page::Settings>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<ListPage<AuditEntry>>> {
    let paging = input::paging(q.page, q.page_size)?;
    let mut conn = state.db.pool.acquire().await?;
    let (items, total) = audit::list(&mut conn, q.staff_id, &paging).await?;
    Ok(Json(ListPage::new(items, paging, total)))
}
