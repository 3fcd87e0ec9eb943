//! 分销: the distribution settings, promoters and their applications, a
//! promoter's ledger, withdrawals under review and the month's leaderboard.
//! The parsing and bounds are the merchant API's (`crate::http::distribution`,
//! the same helpers and schema); the work is `crate::distribution`'s. Every
//! write is audited.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::{page, Staff};
use crate::db;
use crate::distribution::leaderboard::MerchantBoard;
use crate::distribution::ledger::Ledger;
use crate::distribution::merchant;
use crate::distribution::promoters::{self, Promoter};
use crate::distribution::settings::{self, Settings};
use crate::distribution::withdrawals::{self, Withdrawal};
use crate::distribution::DistributionError;
use crate::http::distribution::{
    doc_decision, doc_filtered_page, doc_month, doc_page, doc_reject, doc_settings, month,
    Decision, MonthQuery, PageQuery, PromotersQuery, RejectBody, SettingsBody, WithdrawalsQuery,
    PROMOTER_STATUSES, WITHDRAWAL_STATES,
};
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::schema::schema_ref;
use crate::http::{Access, Api};
use crate::paging::Page;
use crate::staff::audit;
use crate::staff::Page as ConsolePage;
use crate::state::AppState;

type Who = Staff<page::Distribution>;

pub fn routes(api: Api) -> Api {
    let p = Access::Staff(ConsolePage::Distribution);
    api.get(
        "/admin/api/distribution/settings",
        p,
        "Distribution settings (defaults, switched off, until saved)",
        get_settings,
    )
    .put(
        "/admin/api/distribution/settings",
        p,
        "Save the distribution settings: mode, 1 or 2 levels (3+ is TOO_MANY_COMMISSION_LEVELS), rates, self-purchase, binding and frozen days, payouts, leaderboard (audited)",
        put_settings,
    )
    .get(
        "/admin/api/distribution/promoters",
        p,
        "Promoters and applications, newest first, optionally of one status",
        list_promoters,
    )
    .post(
        "/admin/api/distribution/promoters/{id}/decide",
        p,
        "Approve or reject an application (PROMOTER_STATE when it is not applied; audited)",
        decide,
    )
    .get(
        "/admin/api/distribution/promoters/{id}/ledger",
        p,
        "A promoter's commission ledger, newest first, with the sums per state",
        promoter_ledger,
    )
    .get(
        "/admin/api/distribution/withdrawals",
        p,
        "Withdrawals, newest first, optionally in one state (REVIEWING: waiting for review)",
        list_withdrawals,
    )
    .post(
        "/admin/api/distribution/withdrawals/{id}/approve",
        p,
        "Approve a withdrawal under review: its transfer bill is created (WITHDRAWAL_STATE when not under review; audited)",
        approve_withdrawal,
    )
    .post(
        "/admin/api/distribution/withdrawals/{id}/reject",
        p,
        "Reject a withdrawal under review: the amount returns to the balance (WITHDRAWAL_STATE when not under review; audited)",
        reject_withdrawal,
    )
    .get(
        "/admin/api/distribution/leaderboard",
        p,
        "A month's ranking (Beijing time) and the rewards granted for it",
        board,
    )
}

fn value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or_default()
}

async fn get_settings(State(state): State<AppState>, _s: Who) -> ApiResult<Json<Settings>> {
    Ok(Json(merchant::settings(&state.db).await?))
}

async fn put_settings(
    State(state): State<AppState>,
    who: Who,
    ApiJson(b): ApiJson<SettingsBody>,
) -> ApiResult<Json<Settings>> {
    let s = b.parse()?;
    let mut tx = state.db.begin_write().await?;
    let r = async {
        let lock = state.db.for_update();
        let before = settings::load(&mut tx, lock).await?;
        settings::save(&mut tx, &s).await?;
        audit::record(
            &mut tx,
            &who,
            "distribution.settings",
            "distribution-settings",
            Some(&value(&before)),
            Some(&value(&s)),
            db::now(),
        )
        .await?;
        ApiResult::Ok(())
    }
    .await;
    db::finish(tx, r).await?;
    Ok(Json(s))
}

async fn list_promoters(
    State(state): State<AppState>,
    _s: Who,
    ApiQuery(q): ApiQuery<PromotersQuery>,
) -> ApiResult<Json<Page<Promoter>>> {
    let (status, paging) = q.parse()?;
    Ok(Json(merchant::promoters(&state.db, status, paging).await?))
}

async fn decide(
    State(state): State<AppState>,
    who: Who,
    ApiPath(id): ApiPath<i64>,
    ApiJson(d): ApiJson<Decision>,
) -> ApiResult<Json<Promoter>> {
    let mut tx = state.db.begin_write().await?;
    let r = async {
        let now = db::now();
        let p = promoters::decide(&mut tx, id, d.approve, now).await?;
        let action = if d.approve {
            "promoter.approve"
        } else {
            "promoter.reject"
        };
        let before = json!({"userId": id, "status": "applied"});
        audit::record(
            &mut tx,
            &who,
            action,
            &format!("promoter:{id}"),
            Some(&before),
            Some(&value(&p)),
            now,
        )
        .await?;
        ApiResult::Ok(p)
    }
    .await;
    Ok(Json(db::finish(tx, r).await?))
}

async fn promoter_ledger(
    State(state): State<AppState>,
    _s: Who,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Ledger>> {
    Ok(Json(merchant::ledger(&state.db, id, q.paging()?).await?))
}

async fn list_withdrawals(
    State(state): State<AppState>,
    _s: Who,
    ApiQuery(q): ApiQuery<WithdrawalsQuery>,
) -> ApiResult<Json<Page<Withdrawal>>> {
    let (st, paging) = q.parse()?;
    Ok(Json(merchant::withdrawals(&state.db, &st, paging).await?))
}

/// The withdrawal now (404 when there is none).
async fn current(state: &AppState, id: i64) -> ApiResult<Withdrawal> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(withdrawals::get(&mut conn, id).await?)
}

/// Audit this caller's decision, even when what followed it failed (an
/// approval whose bill WeChat Pay did not take yet stays approved, and the
/// job sends the bill again); a decision refused (not under review) is not
/// one. Then answer `result`.
async fn decided(
    state: &AppState,
    who: &Who,
    action: &str,
    before: Withdrawal,
    result: Result<Withdrawal, DistributionError>,
) -> ApiResult<Json<Withdrawal>> {
    let after = current(state, before.id).await?;
    let made = match &result {
        Ok(_) => true,
        Err(DistributionError::WithdrawalState | DistributionError::NotFound(_)) => false,
        Err(_) => after.state != before.state,
    };
    if made {
        let mut conn = state.db.pool.acquire().await?;
        audit::record(
            &mut conn,
            who,
            action,
            &format!("withdrawal:{}", before.id),
            Some(&value(&before)),
            Some(&value(&after)),
            db::now(),
        )
        .await?;
    }
    Ok(Json(result?))
}

async fn approve_withdrawal(
    State(state): State<AppState>,
    who: Who,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Withdrawal>> {
    let before = current(&state, id).await?;
    let r = withdrawals::approve(&state, id, db::now()).await;
    decided(&state, &who, "withdrawal.approve", before, r).await
}

async fn reject_withdrawal(
    State(state): State<AppState>,
    who: Who,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RejectBody>,
) -> ApiResult<Json<Withdrawal>> {
    let reason = b.reason()?;
    let before = current(&state, id).await?;
    let r = withdrawals::reject(&state, id, reason, db::now()).await;
    decided(&state, &who, "withdrawal.reject", before, r).await
}

async fn board(
    State(state): State<AppState>,
    _s: Who,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> ApiResult<Json<MerchantBoard>> {
    Ok(Json(merchant::board(&state.db, month(q)?).await?))
}

// --- documentation (the merchant API's schemas and bounds)

pub fn request_body(method: &str, path: &str) -> Option<Value> {
    Some(match (method, path) {
        ("put", "/admin/api/distribution/settings") => doc_settings(),
        ("post", "/admin/api/distribution/promoters/{id}/decide") => doc_decision(),
        ("post", "/admin/api/distribution/withdrawals/{id}/reject") => doc_reject(),
        _ => return None,
    })
}

pub fn query_params(method: &str, path: &str) -> Option<Vec<Value>> {
    Some(match (method, path) {
        ("get", "/admin/api/distribution/promoters") => {
            doc_filtered_page("status", &PROMOTER_STATUSES, "empty: every one")
        }
        ("get", "/admin/api/distribution/promoters/{id}/ledger") => doc_page(),
        ("get", "/admin/api/distribution/withdrawals") => {
            doc_filtered_page("state", &WITHDRAWAL_STATES, "empty: every one")
        }
        ("get", "/admin/api/distribution/leaderboard") => doc_month(),
        _ => return None,
    })
}

pub fn success(method: &str, path: &str) -> Option<Vec<(&'static str, Option<Value>)>> {
    let one = |c: &str| Some(vec![("200", Some(schema_ref(c)))]);
    match (method, path) {
        (_, "/admin/api/distribution/settings") => one("DistributionSettings"),
        ("get", "/admin/api/distribution/promoters") => one("PromoterPage"),
        ("post", "/admin/api/distribution/promoters/{id}/decide") => one("Promoter"),
        ("get", "/admin/api/distribution/promoters/{id}/ledger") => one("CommissionLedger"),
        ("get", "/admin/api/distribution/withdrawals") => one("WithdrawalPage"),
        ("post", "/admin/api/distribution/withdrawals/{id}/approve")
        | ("post", "/admin/api/distribution/withdrawals/{id}/reject") => one("Withdrawal"),
        ("get", "/admin/api/distribution/leaderboard") => one("MerchantLeaderboard"),
        _ => None,
    }
}
