//! 分销 distribution over HTTP: the shopper's promoter center, becoming a
//! promoter and binding on landing; the merchant's settings, promoters and a
//! promoter's ledger. Handlers parse, call `crate::distribution` and
//! serialize. Each route's documentation (bodies, bounds, answers) is here.

use axum::extract::State;
use axum::Json;
use mall_core::Ratio;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::db;
use crate::distribution::binding::{self, Bind};
use crate::distribution::center::{self, Center, PromotedOrder};
use crate::distribution::ledger::{self, Ledger};
use crate::distribution::promoters::{self, Promoter, PromoterStatus};
use crate::distribution::settings::{
    self, Mode, Settings, MAX_BINDING_DAYS, MAX_FROZEN_DAYS, RATE_PATTERN,
};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, AuthUser, Merchant};
use crate::http::input;
use crate::http::schema::{obj, or_null, q, range, schema_ref};
use crate::http::{Access, Api};
use crate::paging::Page;
use crate::share;
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    api.post(
        "/api/distribution/bind",
        Access::User,
        "Landed through a share token: a new shopper is bound to its sharer if an approved promoter (first touch, no self-binding, no cycles); the outcome says why not",
        bind,
    )
    .post(
        "/api/distribution/promoter",
        Access::User,
        "Become a promoter (everyone mode) or apply (approval mode); asking again changes nothing",
        join,
    )
    .get(
        "/api/distribution/center",
        Access::User,
        "The promoter center: the shopper's promoter record, earnings by ledger state, team counts per level",
        center_summary,
    )
    .get(
        "/api/distribution/orders",
        Access::User,
        "Orders that earned the shopper commission (buyers masked), newest first",
        promoted_orders,
    )
    .get(
        "/api/merchant/distribution/settings",
        Access::Merchant,
        "Distribution settings (defaults, switched off, until saved)",
        get_settings,
    )
    .put(
        "/api/merchant/distribution/settings",
        Access::Merchant,
        "Save the distribution settings: mode, 1 or 2 levels (3+ is TOO_MANY_COMMISSION_LEVELS), rates, self-purchase, binding and frozen days",
        put_settings,
    )
    .get(
        "/api/merchant/promoters",
        Access::Merchant,
        "Promoters and applications, newest first, optionally of one status",
        list_promoters,
    )
    .post(
        "/api/merchant/promoters/{id}/decide",
        Access::Merchant,
        "Approve or reject an application (PROMOTER_STATE when it is not applied)",
        decide,
    )
    .get(
        "/api/merchant/promoters/{id}/ledger",
        Access::Merchant,
        "A promoter's commission ledger, newest first, with the sums per state",
        promoter_ledger,
    )
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BindBody {
    share: String,
}

async fn bind(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(b): ApiJson<BindBody>,
) -> ApiResult<Json<Bind>> {
    share::check_token(&b.share).map_err(|r| ApiError::invalid("share", r))?;
    Ok(Json(
        binding::bind(&state.db, user.user_id, &b.share, db::now()).await?,
    ))
}

async fn join(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<Promoter>> {
    let mut conn = state.db.begin_write().await?;
    let r = promoters::join(&mut conn, user.user_id, db::now()).await;
    Ok(Json(db::finish(conn, r).await?))
}

async fn center_summary(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<Center>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(
        center::summary(&mut conn, user.user_id, db::now()).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PageQuery {
    page: Option<i64>,
    page_size: Option<i64>,
}

async fn promoted_orders(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<PromotedOrder>>> {
    let paging = input::paging(q.page, q.page_size)?;
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(center::orders(&mut conn, user.user_id, paging).await?))
}

async fn get_settings(State(state): State<AppState>, _m: Merchant) -> ApiResult<Json<Settings>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(settings::load(&mut conn, "").await?))
}

/// The settings as the merchant sends them: the rates as text, checked
/// against the documented pattern before they are parsed.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SettingsBody {
    enabled: bool,
    mode: Mode,
    levels: i64,
    rates: Vec<String>,
    self_purchase: bool,
    /// Required, although `null` (permanent) is a value: PUT replaces every
    /// term, so an omitted one is refused rather than read as permanent.
    #[serde(deserialize_with = "present")]
    binding_days: Option<i64>,
    frozen_days: i64,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Option::<i64>::deserialize(d)
}

impl SettingsBody {
    fn parse(self) -> ApiResult<Settings> {
        let mut rates = Vec::with_capacity(self.rates.len());
        for r in &self.rates {
            if !settings::rate_text_ok(r) {
                return Err(ApiError::invalid(
                    "rates",
                    "each a decimal in [0, 1] with at most 4 places, such as \"0.10\"",
                ));
            }
            rates.push(r.parse::<Ratio>().map_err(ApiError::Rule)?);
        }
        Ok(Settings {
            enabled: self.enabled,
            mode: self.mode,
            levels: self.levels,
            rates,
            self_purchase: self.self_purchase,
            binding_days: self.binding_days,
            frozen_days: self.frozen_days,
        })
    }
}

async fn put_settings(
    State(state): State<AppState>,
    _m: Merchant,
    ApiJson(b): ApiJson<SettingsBody>,
) -> ApiResult<Json<Settings>> {
    let s = b.parse()?;
    s.check()?;
    let mut conn = state.db.begin_write().await?;
    let r = settings::save(&mut conn, &s).await;
    db::finish(conn, r).await?;
    Ok(Json(s))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PromotersQuery {
    status: Option<String>,
    page: Option<i64>,
    page_size: Option<i64>,
}

async fn list_promoters(
    State(state): State<AppState>,
    _m: Merchant,
    ApiQuery(q): ApiQuery<PromotersQuery>,
) -> ApiResult<Json<Page<Promoter>>> {
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            PromoterStatus::parse(s)
                .ok_or_else(|| ApiError::invalid("status", "applied, approved or rejected"))?,
        ),
    };
    let paging = input::paging(q.page, q.page_size)?;
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(promoters::list(&mut conn, status, paging).await?))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Decision {
    approve: bool,
}

async fn decide(
    State(state): State<AppState>,
    _m: Merchant,
    ApiPath(id): ApiPath<i64>,
    ApiJson(d): ApiJson<Decision>,
) -> ApiResult<Json<Promoter>> {
    let mut conn = state.db.begin_write().await?;
    let r = promoters::decide(&mut conn, id, d.approve, db::now()).await;
    Ok(Json(db::finish(conn, r).await?))
}

async fn promoter_ledger(
    State(state): State<AppState>,
    _m: Merchant,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Ledger>> {
    let paging = input::paging(q.page, q.page_size)?;
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(ledger::ledger(&mut conn, id, paging).await?))
}

// --- documentation

fn doc_settings() -> Value {
    let rate = json!({"type": "string", "pattern": RATE_PATTERN,
                      "description": "a decimal in [0, 1] with at most 4 places (\"0.10\" = 10%)"});
    obj(
        &[
            "enabled",
            "mode",
            "levels",
            "rates",
            "selfPurchase",
            "bindingDays",
            "frozenDays",
        ],
        json!({
            "enabled": {"type": "boolean"},
            "mode": {"enum": ["everyone", "approval"],
                     "description": "everyone: a shopper who asks is a promoter at once; approval: the merchant decides"},
            "levels": {"type": "integer", "minimum": 1, "maximum": 2,
                       "description": "1 (default) or 2; 3 or more is TOO_MANY_COMMISSION_LEVELS"},
            "rates": {"type": "array", "minItems": 1, "maxItems": 2, "items": rate,
                      "description": "one rate per level, level 1 first; their sum at most 1 (else COMMISSION_RATES_INVALID)"},
            "selfPurchase": {"type": "boolean", "description": "a promoter's own purchase earns them level-1 commission"},
            "bindingDays": or_null(range(1, MAX_BINDING_DAYS)),
            "frozenDays": range(0, MAX_FROZEN_DAYS)
        }),
    )
}

pub fn request_body(method: &str, path: &str) -> Option<Value> {
    Some(match (method, path) {
        ("post", "/api/distribution/bind") => obj(
            &["share"],
            json!({"share": crate::http::share::doc_token()}),
        ),
        ("put", "/api/merchant/distribution/settings") => doc_settings(),
        ("post", "/api/merchant/promoters/{id}/decide") => {
            obj(&["approve"], json!({"approve": {"type": "boolean"}}))
        }
        _ => return None,
    })
}

pub fn query_params(method: &str, path: &str) -> Option<Vec<Value>> {
    let page = || {
        vec![
            q("page", range(1, input::MAX_PAGE), false),
            q("pageSize", range(1, input::MAX_PAGE_SIZE), false),
        ]
    };
    Some(match (method, path) {
        ("get", "/api/distribution/orders") | ("get", "/api/merchant/promoters/{id}/ledger") => {
            page()
        }
        ("get", "/api/merchant/promoters") => {
            let mut p = vec![q(
                "status",
                json!({"type": "string", "enum": ["applied", "approved", "rejected", ""],
                       "description": "empty: every status"}),
                false,
            )];
            p.extend(page());
            p
        }
        _ => return None,
    })
}

pub fn success(method: &str, path: &str) -> Option<Vec<(&'static str, Option<Value>)>> {
    let one = |c: &str| vec![("200", Some(schema_ref(c)))];
    Some(match (method, path) {
        ("post", "/api/distribution/bind") => one("Binding"),
        ("post", "/api/distribution/promoter")
        | ("post", "/api/merchant/promoters/{id}/decide") => one("Promoter"),
        ("get", "/api/distribution/center") => one("PromoterCenter"),
        ("get", "/api/distribution/orders") => one("PromotedOrderPage"),
        (_, "/api/merchant/distribution/settings") => one("DistributionSettings"),
        ("get", "/api/merchant/promoters") => one("PromoterPage"),
        ("get", "/api/merchant/promoters/{id}/ledger") => one("CommissionLedger"),
        _ => return None,
    })
}

pub fn components() -> serde_json::Map<String, Value> {
    let int = || json!({"type": "integer", "format": "int64"});
    let fen = |d: &str| json!({"type": "integer", "format": "int64", "description": format!("{d} (fen)")});
    let page = |item: &str| {
        json!({"type": "object", "required": ["items", "page", "pageSize", "total", "hasMore"], "properties": {
            "items": {"type": "array", "items": schema_ref(item)}, "page": int(), "pageSize": int(),
            "total": int(), "hasMore": {"type": "boolean"}}})
    };
    let state = json!({"enum": ["PENDING", "FROZEN", "AVAILABLE", "WITHDRAWN"]});
    let balances = json!({"type": "object", "required": ["pending", "frozen", "available", "withdrawn"], "properties": {
        "pending": fen("paid, not received"), "frozen": fen("received, within the after-sales window and the frozen days"),
        "available": fen("Σ available entries, reversals included (may be negative)"), "withdrawn": fen("paid out")}});
    let v = json!({
        "DistributionSettings": doc_settings(),
        "Binding": {"type": "object", "required": ["bound", "outcome"], "properties": {
            "bound": {"type": "boolean"},
            "outcome": {"enum": ["BOUND", "DISABLED", "UNKNOWN_TOKEN", "OWN_LINK", "NOT_PROMOTER", "ALREADY_BOUND", "NOT_NEW", "CYCLE"]},
            "promoterId": or_null(int())}},
        "Promoter": {"type": "object", "required": ["userId", "nickname", "status", "createdAt"], "properties": {
            "userId": int(), "nickname": {"type": "string"}, "status": {"enum": ["applied", "approved", "rejected"]},
            "createdAt": int(), "decidedAt": or_null(int())}},
        "PromoterPage": page("Promoter"),
        "PromoterCenter": {"type": "object", "required": ["earnings", "team"], "properties": {
            "promoter": or_null(schema_ref("Promoter")), "earnings": balances.clone(),
            "team": {"type": "object", "properties": {"level1": int(), "level2": int()},
                     "description": "counts only"}}},
        "PromotedOrder": {"type": "object", "properties": {
            "orderId": int(), "orderNo": {"type": "string"}, "buyer": {"type": "string", "description": "masked nickname"},
            "level": int(), "commission": fen("this promoter's, reversals included"), "status": state.clone(), "createdAt": int()}},
        "PromotedOrderPage": page("PromotedOrder"),
        "CommissionEntry": {"type": "object", "properties": {
            "id": int(), "orderId": int(), "afterSaleId": or_null(int()), "level": int(),
            "amount": fen("earned (positive) or reversed (negative)"), "status": state,
            "createdAt": int(), "availableAt": or_null(int())}},
        "CommissionLedger": {"type": "object", "required": ["promoterId", "balances", "entries"], "properties": {
            "promoterId": int(), "balances": balances, "entries": page("CommissionEntry")}}
    });
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}
