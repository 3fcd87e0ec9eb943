//! 分销 distribution over HTTP: the shopper's promoter center, becoming a
//! promoter and binding on landing; the merchant's settings, promoters and a
//! promoter's ledger. Handlers parse, call `crate::distribution` and
//! serialize. Each route's documentation (bodies, bounds, answers) is here.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use mall_core::Ratio;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::db;
use crate::distribution::binding::{self, Bind};
use crate::distribution::center::{self, Center, PromotedOrder};
use crate::distribution::leaderboard::{self, Board, MerchantBoard, MONTH_PATTERN};
use crate::distribution::ledger::Ledger;
use crate::distribution::merchant;
use crate::distribution::promoters::{self, Promoter, PromoterStatus};
use crate::distribution::settings::{
    self, Mode, Settings, MAX_BINDING_DAYS, MAX_DAILY_CAP_FEN, MAX_FROZEN_DAYS,
    MAX_LEADERBOARD_CASH_FEN, MAX_LEADERBOARD_TOP, MAX_WITHDRAW_FEN, MIN_WITHDRAW_FEN,
    RATE_PATTERN,
};
use crate::distribution::withdrawals::{self, Created, Withdrawal};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, AuthUser, Merchant};
use crate::http::input;
use crate::http::schema::{obj, or_null, q, range, schema_ref};
use crate::http::{Access, Api};
use crate::paging::{Page, Paging};
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
    .post(
        "/api/distribution/withdrawals",
        Access::User,
        "Withdraw from the available balance through WeChat Pay 商家转账: the parameters for wx.requestMerchantTransfer, or none while under the merchant's review",
        create_withdrawal,
    )
    .get(
        "/api/distribution/withdrawals",
        Access::User,
        "The shopper's withdrawals, newest first",
        my_withdrawals,
    )
    .get(
        "/api/distribution/leaderboard",
        Access::User,
        "The month's promoter ranking by commissionable sales (Beijing time), names masked",
        my_leaderboard,
    )
    .get(
        "/api/merchant/withdrawals",
        Access::Merchant,
        "Withdrawals, newest first, optionally in one state (REVIEWING: waiting for review)",
        list_withdrawals,
    )
    .post(
        "/api/merchant/withdrawals/{id}/approve",
        Access::Merchant,
        "Approve a withdrawal under review: its transfer bill is created (WITHDRAWAL_STATE when not under review)",
        approve_withdrawal,
    )
    .post(
        "/api/merchant/withdrawals/{id}/reject",
        Access::Merchant,
        "Reject a withdrawal under review: the amount returns to the balance (WITHDRAWAL_STATE when not under review)",
        reject_withdrawal,
    )
    .get(
        "/api/merchant/distribution/leaderboard",
        Access::Merchant,
        "A month's ranking (Beijing time) and the rewards granted for it",
        merchant_leaderboard,
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

/// A page of a list, nothing else.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PageQuery {
    page: Option<i64>,
    page_size: Option<i64>,
}

impl PageQuery {
    pub(crate) fn paging(&self) -> ApiResult<Paging> {
        input::paging(self.page, self.page_size)
    }
}

async fn promoted_orders(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<PromotedOrder>>> {
    let paging = q.paging()?;
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(center::orders(&mut conn, user.user_id, paging).await?))
}

async fn get_settings(State(state): State<AppState>, _m: Merchant) -> ApiResult<Json<Settings>> {
    Ok(Json(merchant::settings(&state.db).await?))
}

/// The settings as the merchant sends them: the rates as text, checked
/// against the documented pattern before they are parsed.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SettingsBody {
    enabled: bool,
    mode: Mode,
    levels: i64,
    rates: Vec<String>,
    self_purchase: bool,
    /// Required, and may be null (permanent): PUT replaces every term, so an
    /// omitted one is refused rather than read as permanent.
    #[serde(deserialize_with = "present_or_null")]
    binding_days: Option<i64>,
    frozen_days: i64,
    #[serde(default, deserialize_with = "not_null")]
    withdraw_min: Option<i64>,
    #[serde(default, deserialize_with = "not_null")]
    withdraw_daily_cap: Option<i64>,
    #[serde(default, deserialize_with = "not_null")]
    review_above: Option<i64>,
    #[serde(default, deserialize_with = "not_null")]
    leaderboard_top: Option<i64>,
    #[serde(default, deserialize_with = "not_null")]
    leaderboard_cash: Option<i64>,
    leaderboard_coupon_template_id: Option<i64>,
}

/// A field that must be present but may be null: without `default`, a
/// missing field is an error even for an `Option`.
fn present_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Option::<i64>::deserialize(d)
}

/// A field that may be omitted (the default) but is never null.
fn not_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    i64::deserialize(d).map(Some)
}

impl SettingsBody {
    /// Omitted payout and leaderboard fields take their defaults; every
    /// bound checked (`Settings::check`).
    pub(crate) fn parse(self) -> ApiResult<Settings> {
        let d = Settings::default();
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
        let s = Settings {
            enabled: self.enabled,
            mode: self.mode,
            levels: self.levels,
            rates,
            self_purchase: self.self_purchase,
            binding_days: self.binding_days,
            frozen_days: self.frozen_days,
            withdraw_min: self.withdraw_min.unwrap_or(d.withdraw_min),
            withdraw_daily_cap: self.withdraw_daily_cap.unwrap_or(d.withdraw_daily_cap),
            review_above: self.review_above.unwrap_or(d.review_above),
            leaderboard_top: self.leaderboard_top.unwrap_or(d.leaderboard_top),
            leaderboard_cash: self.leaderboard_cash.unwrap_or(d.leaderboard_cash),
            leaderboard_coupon_template_id: self.leaderboard_coupon_template_id,
        };
        s.check()?;
        Ok(s)
    }
}

async fn put_settings(
    State(state): State<AppState>,
    _m: Merchant,
    ApiJson(b): ApiJson<SettingsBody>,
) -> ApiResult<Json<Settings>> {
    let s = b.parse()?;
    let mut conn = state.db.begin_write().await?;
    let r = settings::save(&mut conn, &s).await;
    db::finish(conn, r).await?;
    Ok(Json(s))
}

/// The promoters' list query (the merchant API's and the console's).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PromotersQuery {
    status: Option<String>,
    page: Option<i64>,
    page_size: Option<i64>,
}

impl PromotersQuery {
    /// The status filter (empty or none: every status) and the page.
    pub(crate) fn parse(self) -> ApiResult<(Option<PromoterStatus>, Paging)> {
        let status = match self.status.as_deref() {
            None | Some("") => None,
            Some(s) => Some(
                PromoterStatus::parse(s)
                    .ok_or_else(|| ApiError::invalid("status", "applied, approved or rejected"))?,
            ),
        };
        Ok((status, input::paging(self.page, self.page_size)?))
    }
}

async fn list_promoters(
    State(state): State<AppState>,
    _m: Merchant,
    ApiQuery(q): ApiQuery<PromotersQuery>,
) -> ApiResult<Json<Page<Promoter>>> {
    let (status, paging) = q.parse()?;
    Ok(Json(merchant::promoters(&state.db, status, paging).await?))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Decision {
    pub(crate) approve: bool,
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
    Ok(Json(merchant::ledger(&state.db, id, q.paging()?).await?))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WithdrawBody {
    amount: i64,
}

async fn create_withdrawal(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(b): ApiJson<WithdrawBody>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    if !(MIN_WITHDRAW_FEN..=MAX_WITHDRAW_FEN).contains(&b.amount) {
        return Err(ApiError::invalid("amount", "10 to 200000 fen"));
    }
    let c = withdrawals::create(&state, user.user_id, b.amount, db::now()).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

async fn my_withdrawals(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Withdrawal>>> {
    let paging = q.paging()?;
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(
        withdrawals::list(&mut conn, Some(user.user_id), None, paging).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct MonthQuery {
    month: Option<String>,
}

/// The month asked for (the current Beijing month when omitted).
pub(crate) fn month(q: MonthQuery) -> ApiResult<String> {
    match q.month {
        None => Ok(leaderboard::month_of(db::now())),
        Some(m) if leaderboard::bounds(&m).is_some() && m.starts_with("20") => Ok(m),
        Some(_) => Err(ApiError::invalid("month", "YYYY-MM (Beijing time)")),
    }
}

async fn my_leaderboard(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> ApiResult<Json<Board>> {
    let m = month(q)?;
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(leaderboard::board(&mut conn, user.user_id, &m).await?))
}

/// The withdrawals' list query (the merchant API's and the console's).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct WithdrawalsQuery {
    state: Option<String>,
    page: Option<i64>,
    page_size: Option<i64>,
}

impl WithdrawalsQuery {
    /// The state filter (empty or none: every state) and the page.
    pub(crate) fn parse(self) -> ApiResult<(String, Paging)> {
        let st = self.state.unwrap_or_default();
        if !WITHDRAWAL_STATES.contains(&st.as_str()) {
            return Err(ApiError::invalid("state", "a withdrawal state"));
        }
        Ok((st, input::paging(self.page, self.page_size)?))
    }
}

pub(crate) const WITHDRAWAL_STATES: [&str; 12] = [
    "REVIEWING",
    "CREATING",
    "ACCEPTED",
    "PROCESSING",
    "WAIT_USER_CONFIRM",
    "TRANSFERING",
    "CANCELING",
    "SUCCESS",
    "FAIL",
    "CANCELLED",
    "REJECTED",
    "",
];

async fn list_withdrawals(
    State(state): State<AppState>,
    _m: Merchant,
    ApiQuery(q): ApiQuery<WithdrawalsQuery>,
) -> ApiResult<Json<Page<Withdrawal>>> {
    let (st, paging) = q.parse()?;
    Ok(Json(merchant::withdrawals(&state.db, &st, paging).await?))
}

async fn approve_withdrawal(
    State(state): State<AppState>,
    _m: Merchant,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Withdrawal>> {
    Ok(Json(withdrawals::approve(&state, id, db::now()).await?))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RejectBody {
    reason: String,
}

impl RejectBody {
    /// The reason, 1 to [`MAX_REASON`] characters.
    pub(crate) fn reason(&self) -> ApiResult<&str> {
        let n = self.reason.chars().count();
        if !(1..=MAX_REASON).contains(&n) {
            return Err(ApiError::invalid("reason", "1 to 100 characters"));
        }
        Ok(&self.reason)
    }
}

async fn reject_withdrawal(
    State(state): State<AppState>,
    _m: Merchant,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RejectBody>,
) -> ApiResult<Json<Withdrawal>> {
    Ok(Json(
        withdrawals::reject(&state, id, b.reason()?, db::now()).await?,
    ))
}

pub(crate) const MAX_REASON: usize = 100;

async fn merchant_leaderboard(
    State(state): State<AppState>,
    _m: Merchant,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> ApiResult<Json<MerchantBoard>> {
    Ok(Json(merchant::board(&state.db, month(q)?).await?))
}

// --- documentation

fn with_desc(mut v: Value, d: &str) -> Value {
    v["description"] = json!(d);
    v
}

pub(crate) fn doc_settings() -> Value {
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
            "frozenDays": range(0, MAX_FROZEN_DAYS),
            "withdrawMin": with_desc(range(MIN_WITHDRAW_FEN, MAX_WITHDRAW_FEN),
                "the smallest withdrawal (fen; default 100); omitted: the default"),
            "withdrawDailyCap": with_desc(range(MIN_WITHDRAW_FEN, MAX_DAILY_CAP_FEN),
                "the most one promoter may withdraw per Beijing day (fen; default 100000); below withdrawMin is WITHDRAW_LIMITS_INVALID"),
            "reviewAbove": with_desc(range(0, MAX_WITHDRAW_FEN),
                "withdrawals above this wait for the merchant's review (fen; default 50000)"),
            "leaderboardTop": with_desc(range(0, MAX_LEADERBOARD_TOP),
                "how many promoters the month end rewards (default 10; 0: none)"),
            "leaderboardCash": with_desc(range(0, MAX_LEADERBOARD_CASH_FEN),
                "cash credited to each rewarded promoter's balance (fen; default 0)"),
            "leaderboardCouponTemplateId": or_null(with_desc(range(1, i64::MAX),
                "a coupon template given to each rewarded promoter"))
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
        ("post", "/api/merchant/promoters/{id}/decide") => doc_decision(),
        ("post", "/api/distribution/withdrawals") => obj(
            &["amount"],
            json!({"amount": with_desc(range(MIN_WITHDRAW_FEN, MAX_WITHDRAW_FEN),
                "fen; at least the merchant's withdrawMin (WITHDRAW_BELOW_MIN), within the balance (WITHDRAW_INSUFFICIENT) and the day's cap (WITHDRAW_DAILY_CAP)")}),
        ),
        ("post", "/api/merchant/withdrawals/{id}/reject") => doc_reject(),
        _ => return None,
    })
}

/// The body of a promoter application's decision.
pub(crate) fn doc_decision() -> Value {
    obj(&["approve"], json!({"approve": {"type": "boolean"}}))
}

/// The body of a withdrawal's rejection.
pub(crate) fn doc_reject() -> Value {
    obj(
        &["reason"],
        json!({"reason": {"type": "string", "minLength": 1, "maxLength": MAX_REASON}}),
    )
}

/// `page` and `pageSize` ([`PageQuery`]).
pub(crate) fn doc_page() -> Vec<Value> {
    vec![
        q("page", range(1, input::MAX_PAGE), false),
        q("pageSize", range(1, input::MAX_PAGE_SIZE), false),
    ]
}

/// A filter (`name`, one of `values`; empty: every one), then the page.
pub(crate) fn doc_filtered_page(name: &str, values: &[&str], description: &str) -> Vec<Value> {
    let mut p = vec![q(
        name,
        json!({"type": "string", "enum": values, "description": description}),
        false,
    )];
    p.extend(doc_page());
    p
}

/// The promoter status filter ([`PromotersQuery`]).
pub(crate) const PROMOTER_STATUSES: [&str; 4] = ["applied", "approved", "rejected", ""];

/// `month` ([`MonthQuery`]).
pub(crate) fn doc_month() -> Vec<Value> {
    vec![q(
        "month",
        json!({"type": "string", "pattern": MONTH_PATTERN, "example": "2025-01",
               "description": "YYYY-MM, a Beijing-time month; omitted: the current one"}),
        false,
    )]
}

pub fn query_params(method: &str, path: &str) -> Option<Vec<Value>> {
    Some(match (method, path) {
        ("get", "/api/distribution/orders")
        | ("get", "/api/merchant/promoters/{id}/ledger")
        | ("get", "/api/distribution/withdrawals") => doc_page(),
        ("get", "/api/distribution/leaderboard")
        | ("get", "/api/merchant/distribution/leaderboard") => doc_month(),
        ("get", "/api/merchant/withdrawals") => {
            doc_filtered_page("state", &WITHDRAWAL_STATES, "empty: every state")
        }
        ("get", "/api/merchant/promoters") => {
            doc_filtered_page("status", &PROMOTER_STATUSES, "empty: every status")
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
        ("post", "/api/distribution/withdrawals") => {
            vec![("201", Some(schema_ref("WithdrawalCreated")))]
        }
        ("get", "/api/distribution/withdrawals") | ("get", "/api/merchant/withdrawals") => {
            one("WithdrawalPage")
        }
        ("post", "/api/merchant/withdrawals/{id}/approve")
        | ("post", "/api/merchant/withdrawals/{id}/reject") => one("Withdrawal"),
        ("get", "/api/distribution/leaderboard") => one("Leaderboard"),
        ("get", "/api/merchant/distribution/leaderboard") => one("MerchantLeaderboard"),
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
    let balances = json!({"type": "object", "required": ["pending", "frozen", "available", "withdrawing", "withdrawn"], "properties": {
        "pending": fen("paid, not received"), "frozen": fen("received, within the after-sales window and the frozen days"),
        "available": fen("the withdrawable balance: available entries (reversals included, so it may be negative) and cash rewards, less withdrawals not returned"),
        "withdrawing": fen("withdrawals under review or being transferred"),
        "withdrawn": fen("withdrawals paid out")}});
    let wstate = json!({"enum": WITHDRAWAL_STATES[..11]});
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
            "promoterId": int(), "balances": balances, "entries": page("CommissionEntry")}},
        "Withdrawal": {"type": "object", "required": ["id", "promoterId", "amount", "outBillNo", "state", "createdAt"], "properties": {
            "id": int(), "promoterId": int(), "nickname": {"type": "string"}, "amount": fen("withdrawn"),
            "outBillNo": {"type": "string", "description": "the 商家转账 bill's merchant number (idempotency key)"},
            "state": wstate,
            "packageInfo": or_null(json!({"type": "string", "description": "for wx.requestMerchantTransfer while WAIT_USER_CONFIRM"})),
            "failReason": or_null(json!({"type": "string"})),
            "createdAt": int(), "updatedAt": int(), "finishedAt": or_null(int())}},
        "WithdrawalPage": page("Withdrawal"),
        "WithdrawalCreated": {"type": "object", "required": ["withdrawal"], "properties": {
            "withdrawal": schema_ref("Withdrawal"),
            "transfer": or_null(json!({"type": "object", "required": ["mchId", "appId", "package"],
                "description": "wx.requestMerchantTransfer({mchId, appId, package}); null while under review or waiting for WeChat Pay",
                "properties": {"mchId": {"type": "string"}, "appId": {"type": "string"}, "package": {"type": "string"}}}))}},
        "Leaderboard": {"type": "object", "required": ["month", "rewarded", "items"], "properties": {
            "month": {"type": "string", "pattern": MONTH_PATTERN}, "rewarded": int(),
            "items": {"type": "array", "items": {"type": "object", "properties": {
                "rank": int(), "nickname": {"type": "string", "description": "masked"},
                "sales": fen("commissionable sales in the month"), "me": {"type": "boolean"}}}}}},
        "MerchantLeaderboard": {"type": "object", "required": ["month", "ranking", "rewards"], "properties": {
            "month": {"type": "string", "pattern": MONTH_PATTERN},
            "ranking": {"type": "array", "items": {"type": "object", "properties": {
                "rank": int(), "promoterId": int(), "nickname": {"type": "string"}, "sales": fen("commissionable sales")}}},
            "rewards": {"type": "array", "items": {"type": "object", "properties": {
                "month": {"type": "string"}, "rank": int(), "promoterId": int(), "nickname": {"type": "string"},
                "sales": fen("commissionable sales"), "cash": fen("credited to the balance"),
                "couponId": or_null(int()), "createdAt": int()}}}}}
    });
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}
