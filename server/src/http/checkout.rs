//! Checkout: the quote (the same core call the mini-program makes) and placing
//! the order. Placing recomputes the quote inside the order's transaction; if
//! its fingerprint differs from the one the shopper confirmed, the answer is
//! `PRICE_CHANGED` with the new quote and nothing is charged. Otherwise stock
//! is taken with a conditional decrement, coupons and points are consumed, and
//! the order is written with its per-line and per-unit allocations, all in one
//! transaction. The idempotency key makes a retried submit return the same order.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use mall_core::Quote;

use crate::db;
use crate::flash;
use crate::http::error::{Answered, ApiError, ApiResult};
use crate::http::extract::{ApiJson, AuthUser, Bearer};
use crate::http::input;
use crate::http::{Access, Api};
use crate::orders::place::{self, CheckoutRequest, PlaceOrderRequest, Placed};
use crate::orders::{self, OrderDetail};
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    api.post(
        "/api/checkout/quote",
        Access::User,
        "Price the selected cart lines (or buy-now items) with the core",
        quote,
    )
    .post(
        "/api/checkout/input",
        Access::User,
        "The exact core input the server prices (for pricing on the phone), with its quote",
        input,
    )
    .post(
        "/api/orders",
        Access::User,
        "Place an order for exactly the quoted amount",
        place_order,
    )
}

async fn quote(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<CheckoutRequest>,
) -> ApiResult<Json<Quote>> {
    Ok(Json(
        place::quote(&state, user.user_id, &req, db::now())
            .await?
            .quote,
    ))
}

/// What the mini-program prices with the wasm core: the very `QuoteInput` the
/// server builds for this checkout (catalog snapshot, shop rules, buyer, options,
/// `now`), and the server's own quote of it.
#[derive(Debug, serde::Serialize)]
pub struct PricingInput {
    pub input: mall_core::QuoteInput,
    pub quote: Quote,
}

async fn input(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<CheckoutRequest>,
) -> ApiResult<Json<PricingInput>> {
    let priced = place::quote(&state, user.user_id, &req, db::now()).await?;
    Ok(Json(PricingInput {
        input: priced.input,
        quote: priced.quote,
    }))
}

/// Flash-sale items meet the gate first (`flash::gate`): a shopper who cannot
/// win is answered from memory, before the session is even read.
/// Sent (`1`) by a client repeating a place-order call whose answer it never
/// got: the order may exist, so the flash-sale gate lets the database answer
/// from the idempotency key instead of refusing from memory.
pub const RETRY_HEADER: &str = "x-mall-retry";

async fn place_order(
    State(state): State<AppState>,
    token: Bearer,
    headers: HeaderMap,
    ApiJson(req): ApiJson<PlaceOrderRequest>,
) -> Result<(StatusCode, Json<OrderDetail>), Answered> {
    input::line("idempotencyKey", &req.idempotency_key, 1, input::MAX_KEY)?;
    input::line("fingerprint", &req.fingerprint, 1, input::MAX_KEY)?;
    input::paragraph("remark", &req.remark, input::MAX_REASON)?;
    let items: Vec<(&str, i64, u64)> = req
        .items
        .iter()
        .flatten()
        .filter(|it| it.bargain_id.is_none())
        .filter_map(|it| {
            Some((
                it.activity_id.as_deref()?,
                it.sku_id,
                it.quantity.max(0) as u64,
            ))
        })
        .collect();
    let admission = if headers.get(RETRY_HEADER).is_some_and(|v| v == "1") {
        state.flash.admit_retry(&state.db, &token.0, &items).await?
    } else {
        state
            .flash
            .admit(&state.db, &token.0, &items, db::now())
            .await?
    }
    .map_err(|r| Answered::by("gate")(r.into()))?;
    let user = AuthUser::resolve(&state, &token.0).await?;
    // Redis mode: the sale's units are taken there first.
    let held = match state.flash.redis() {
        Some(r) => flash::buy::claim(r, &state.db, &admission, user.user_id, db::now())
            .await?
            .map_err(|r| Answered::by("redis")(r.into()))?,
        None => Vec::new(),
    };
    let mut req = req;
    req.flash_claims = held
        .iter()
        .map(|h| (h.activity_id.clone(), h.claim.clone()))
        .collect();
    let result = place::place(&state, user.user_id, &req).await;
    if let (Err(e), false) = (&result, held.is_empty()) {
        tracing::warn!(error = %e, claims = held.len(), "flash sale: an order with granted claims failed; its units go back");
    }
    if let Some(r) = state.flash.redis() {
        flash::buy::settle(r, &state.db, &held, user.user_id, result.is_ok(), db::now()).await;
    }
    let placed = match result {
        Err(e) => {
            if let Some(sku_id) = e.sold_out_sku() {
                admission.sold_out(sku_id);
            }
            return Err(e.into());
        }
        Ok(p) => p,
    };
    if let Placed::New(_) = placed {
        admission.placed();
    }
    drop(admission);
    match placed {
        Placed::New(detail) => Ok((StatusCode::CREATED, Json(*detail))),
        Placed::Replayed(id) => {
            let mut conn = state.db.pool.acquire().await?;
            let detail = orders::detail(&mut conn, &state.keys, id, Some(user.user_id))
                .await?
                .ok_or(ApiError::NotFound("order"))?;
            Ok((StatusCode::OK, Json(detail)))
        }
    }
}
