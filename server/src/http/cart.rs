//! The server-side cart, validated and priced by the core on every read.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use mall_core::cart::MAX_LINE_QUANTITY;
use mall_core::{Money, Quote, QuoteOptions, RuleError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::cart;
use crate::cart::core_line;
use crate::catalog;
use crate::catalog::pricing;
use crate::db;
use crate::http::codes::Code;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, AuthUser, PreferMinimal, PREFERENCE_APPLIED};
use crate::http::input;
use crate::http::{Access, Api};
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    api.get(
        "/api/cart",
        Access::User,
        "The cart, validated and priced by the core",
        get_cart,
    )
    .post(
        "/api/cart/items",
        Access::User,
        "Add a SKU to the cart",
        add_item,
    )
    .patch(
        "/api/cart/items/{id}",
        Access::User,
        "Change a line's quantity or selection",
        update_item,
    )
    .delete(
        "/api/cart/items/{id}",
        Access::User,
        "Remove a line",
        remove_item,
    )
    .post(
        "/api/cart/selection",
        Access::User,
        "Select or deselect every line",
        select_all,
    )
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CartItemView {
    pub id: i64,
    pub sku_id: i64,
    pub product_id: Option<i64>,
    pub title: String,
    pub specs: Vec<String>,
    pub image: String,
    pub list_price: Option<Money>,
    pub stock: i64,
    pub quantity: i64,
    pub selected: bool,
    pub activity_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CartView {
    pub items: Vec<CartItemView>,
    /// The core's quote of the selected lines (best coupons, no delivery yet);
    /// `quote.invalidLines` says which lines cannot be bought and why.
    pub quote: Quote,
}

pub async fn view(state: &AppState, user_id: i64) -> ApiResult<CartView> {
    let mut conn = state.db.pool.acquire().await?;
    let now = db::now();
    let cart::ForPricing {
        items,
        snapshot,
        holdings,
    } = cart::read_for_pricing(&mut conn, user_id, now).await?;
    let lines = items.iter().map(core_line).collect();
    let priced = pricing::price(
        &mut conn,
        pricing::Shopper::holding(user_id, holdings),
        lines,
        Some(snapshot),
        QuoteOptions::default(),
        now,
        pricing::RulesFrom::Cache(&state.rules),
    )
    .await?;
    let items = items
        .into_iter()
        .map(|i| {
            let v = priced.views.get(&i.sku_id);
            CartItemView {
                id: i.id,
                sku_id: i.sku_id,
                product_id: v.map(|v| v.product_id),
                title: v.map(|v| v.title.clone()).unwrap_or_default(),
                specs: v.map(|v| v.specs.clone()).unwrap_or_default(),
                image: v.map(|v| v.image.clone()).unwrap_or_default(),
                list_price: v.map(|v| v.list_price),
                stock: v.map_or(0, |v| v.stock),
                quantity: i.quantity,
                selected: i.selected,
                activity_id: i.activity_id,
            }
        })
        .collect();
    Ok(CartView {
        items,
        quote: priced.quote,
    })
}

async fn get_cart(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<CartView>> {
    Ok(Json(view(&state, user.user_id).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddItem {
    pub sku_id: i64,
    pub quantity: i64,
    #[serde(default)]
    pub activity_id: Option<String>,
}

fn check_quantity(q: i64) -> ApiResult<()> {
    if q <= 0 || q > MAX_LINE_QUANTITY {
        return Err(RuleError::InvalidQuantity { quantity: q }.into());
    }
    Ok(())
}

/// The cart after the add, or (`Prefer: return=minimal`, the product page's
/// add) 204 without it: the line is written either way, the cart's reading
/// and pricing are left out.
async fn add_item(
    State(state): State<AppState>,
    user: AuthUser,
    PreferMinimal(minimal): PreferMinimal,
    ApiJson(req): ApiJson<AddItem>,
) -> ApiResult<Response> {
    check_quantity(req.quantity)?;
    if let Some(a) = &req.activity_id {
        input::line("activityId", a, 0, input::MAX_KEY)?;
    }
    let activity = req.activity_id.as_deref().filter(|a| !a.is_empty());
    // A flash sale's units are bought now, through its admission; a cart
    // line would bypass it.
    if let Some(a) = activity {
        if state.flash.window(&state.db, a).await?.is_some() {
            return Err(ApiError::with_details(
                Code::FlashBuyNowOnly,
                json!({"activityId": a}),
            ));
        }
    }
    // One upsert, on SQLite in the writer's next batch (`db::writer`; a full
    // disk fails it), on PostgreSQL on its own. When nothing changed, say
    // why: no such SKU, or too many on the line.
    let now = db::now();
    let (user_id, sku_id, quantity) = (user.user_id, req.sku_id, req.quantity);
    let line_activity = activity.map(str::to_string);
    let added = state
        .db
        .write_one(move |conn| {
            Box::pin(async move {
                let activity = line_activity.as_deref();
                cart::add(
                    conn,
                    user_id,
                    sku_id,
                    activity,
                    quantity,
                    MAX_LINE_QUANTITY,
                    now,
                )
                .await
                .map_err(ApiError::from)
            })
        })
        .await?;
    if added.is_none() {
        let mut conn = state.db.pool.acquire().await?;
        if !catalog::sku_exists(&mut conn, req.sku_id).await? {
            return Err(RuleError::UnknownSku {
                sku_id: req.sku_id.to_string(),
            }
            .into());
        }
        let held = cart::line_quantity(&mut conn, user.user_id, req.sku_id, activity).await?;
        check_quantity(held.unwrap_or(0).saturating_add(req.quantity))?;
        // Within the limit and the SKU exists: the row changed in between.
        return Err(ApiError::Internal(anyhow::anyhow!(
            "cart line changed while adding"
        )));
    }
    if minimal {
        return Ok((StatusCode::NO_CONTENT, [PREFERENCE_APPLIED]).into_response());
    }
    Ok(Json(view(&state, user.user_id).await?).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateItem {
    #[serde(default)]
    pub quantity: Option<i64>,
    #[serde(default)]
    pub selected: Option<bool>,
}

async fn update_item(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<UpdateItem>,
) -> ApiResult<Json<CartView>> {
    if let Some(q) = req.quantity {
        check_quantity(q)?;
    }
    let mut conn = state.db.write_conn().await?;
    if !cart::update(
        &mut conn,
        user.user_id,
        id,
        req.quantity,
        req.selected,
        db::now(),
    )
    .await?
    {
        return Err(ApiError::NotFound("cart item"));
    }
    drop(conn);
    Ok(Json(view(&state, user.user_id).await?))
}

async fn remove_item(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CartView>> {
    let mut conn = state.db.write_conn().await?;
    if !cart::remove(&mut conn, user.user_id, id).await? {
        return Err(ApiError::NotFound("cart item"));
    }
    drop(conn);
    Ok(Json(view(&state, user.user_id).await?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Selection {
    pub selected: bool,
}

async fn select_all(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<Selection>,
) -> ApiResult<Json<CartView>> {
    let mut conn = state.db.write_conn().await?;
    cart::select_all(&mut conn, user.user_id, req.selected).await?;
    drop(conn);
    Ok(Json(view(&state, user.user_id).await?))
}
