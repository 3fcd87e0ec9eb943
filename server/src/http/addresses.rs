//! The shopper's address book (sealed at rest, see `db::addresses`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use crate::db;
use crate::http::codes::Code;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, AuthUser};
use crate::http::input;
use crate::http::{Access, Api};
use crate::members::addresses::{self, Address, AddressFields};
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    api.get(
        "/api/addresses",
        Access::User,
        "The shopper's addresses, default first",
        list,
    )
    .post("/api/addresses", Access::User, "Add an address", create)
    .get("/api/addresses/{id}", Access::User, "One address", get_one)
    .put(
        "/api/addresses/{id}",
        Access::User,
        "Replace an address",
        update,
    )
    .delete(
        "/api/addresses/{id}",
        Access::User,
        "Delete an address",
        delete,
    )
    .post(
        "/api/addresses/{id}/default",
        Access::User,
        "Make an address the default",
        make_default,
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddressInput {
    pub name: String,
    pub phone: String,
    pub region_code: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub detail: String,
    #[serde(default)]
    pub is_default: bool,
}

/// Name, province, city and district, in characters.
pub const MAX_ADDRESS_FIELD: usize = 30;
/// The street address, in characters.
pub const MAX_ADDRESS_DETAIL: usize = 200;

fn text(field: &str, v: &str, max: usize) -> ApiResult<String> {
    input::line(field, v, 1, max)
}

impl AddressInput {
    /// Parse at the edge: only valid addresses travel inward.
    fn parse(&self) -> ApiResult<AddressFields> {
        let phone = self.phone.trim();
        if !(5..=20).contains(&phone.len())
            || !phone
                .chars()
                .all(|c| c.is_ascii_digit() || c == '-' || c == '+')
        {
            return Err(ApiError::invalid("phone", "a phone number"));
        }
        let region = self.region_code.trim();
        if !(2..=12).contains(&region.len()) || !region.chars().all(|c| c.is_ascii_digit()) {
            return Err(ApiError::invalid("regionCode", "2 to 12 digits"));
        }
        Ok(AddressFields {
            name: text("name", &self.name, MAX_ADDRESS_FIELD)?,
            phone: phone.to_string(),
            region_code: region.to_string(),
            province: text("province", &self.province, MAX_ADDRESS_FIELD)?,
            city: text("city", &self.city, MAX_ADDRESS_FIELD)?,
            district: text("district", &self.district, MAX_ADDRESS_FIELD)?,
            detail: text("detail", &self.detail, MAX_ADDRESS_DETAIL)?,
        })
    }
}

async fn list(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<Vec<Address>>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(
        addresses::list(&mut conn, &state.keys, user.user_id).await?,
    ))
}

async fn fetch(state: &AppState, user_id: i64, id: i64) -> ApiResult<Address> {
    let mut conn = state.db.pool.acquire().await?;
    addresses::get(&mut conn, &state.keys, user_id, id)
        .await?
        .ok_or(ApiError::NotFound("address"))
}

async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<AddressInput>,
) -> ApiResult<(StatusCode, Json<Address>)> {
    let fields = req.parse()?;
    let mut tx = state.db.begin_write().await?;
    let r: ApiResult<_> = async {
        if addresses::count(&mut tx, user.user_id).await? >= 50 {
            return Err(ApiError::conflict(Code::AddressLimit, "最多保存50个地址"));
        }
        Ok(addresses::create(
            &mut tx,
            &state.keys,
            user.user_id,
            &fields,
            req.is_default,
            db::now(),
        )
        .await?)
    }
    .await;
    let id = db::finish(tx, r).await?;
    Ok((
        StatusCode::CREATED,
        Json(fetch(&state, user.user_id, id).await?),
    ))
}

async fn get_one(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Address>> {
    Ok(Json(fetch(&state, user.user_id, id).await?))
}

async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<AddressInput>,
) -> ApiResult<Json<Address>> {
    let fields = req.parse()?;
    let mut tx = state.db.begin_write().await?;
    let r = match addresses::update(
        &mut tx,
        &state.keys,
        user.user_id,
        id,
        &fields,
        req.is_default,
        db::now(),
    )
    .await
    {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::NotFound("address")),
        Err(e) => Err(e.into()),
    };
    db::finish(tx, r).await?;
    Ok(Json(fetch(&state, user.user_id, id).await?))
}

async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let mut tx = state.db.begin_write().await?;
    let r = match addresses::delete(&mut tx, user.user_id, id).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::NotFound("address")),
        Err(e) => Err(e.into()),
    };
    db::finish(tx, r).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn make_default(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Address>> {
    let mut tx = state.db.begin_write().await?;
    let r = match addresses::set_default(&mut tx, user.user_id, id).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::NotFound("address")),
        Err(e) => Err(e.into()),
    };
    db::finish(tx, r).await?;
    Ok(Json(fetch(&state, user.user_id, id).await?))
}
