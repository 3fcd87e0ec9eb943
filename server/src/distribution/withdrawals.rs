//! Withdrawals (提现) through WeChat Pay's 商家转账 in its user-confirm mode.
//!
//! ```text
//! create ──amount > reviewAbove──▶ REVIEWING ──approve──▶ CREATING
//!    │                                 └──reject──▶ REJECTED (returned)
//!    └──────────────────────────────────────────────▶ CREATING ──bill created──▶
//!   WAIT_USER_CONFIRM (the mini-program calls wx.requestMerchantTransfer with
//!   the bill's package) ─▶ TRANSFERING ─▶ SUCCESS | FAIL (returned)
//!   | CANCELLED (returned: cancelled, or not confirmed in time and cancelled)
//! ```
//!
//! The amount leaves the balance with one conditional UPDATE when the
//! withdrawal is created (`account::debit`), never count-then-insert; it
//! comes back with one conditional UPDATE on the withdrawal's state (from
//! any open state to FAIL / CANCELLED / REJECTED), so it comes back once
//! however often the notification, the query and the job report the end.
//! The bill is created idempotently by `out_bill_no`: a create that got no
//! answer stays CREATING and the job sends it again under the same number.
//! Results come by notification (verified and decrypted like the payment
//! notification) and by query (the job).

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::settings::{self, MAX_WITHDRAW_FEN};
use super::{account, promoters, DistributionError};
use crate::paging::{Page, Paging};
use crate::state::AppState;
use crate::wechat::pay::client::{PayError, TransferBill};

/// States that have ended; FAIL, CANCELLED and REJECTED returned the amount.
pub const ENDED: [&str; 4] = ["SUCCESS", "FAIL", "CANCELLED", "REJECTED"];
/// WeChat's open states of a bill.
const OPEN_BILL: [&str; 5] = [
    "ACCEPTED",
    "PROCESSING",
    "WAIT_USER_CONFIRM",
    "TRANSFERING",
    "CANCELING",
];
/// A bill the promoter has not confirmed this long after its creation is
/// cancelled and the amount returned.
pub const CONFIRM_WINDOW_SECS: i64 = 24 * 3600;
/// The job looks again at an open withdrawal untouched this long.
pub const RECHECK_SECS: i64 = 60;
const NOT_ENDED: &str = "state NOT IN ('SUCCESS', 'FAIL', 'CANCELLED', 'REJECTED')";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Withdrawal {
    pub id: i64,
    pub promoter_id: i64,
    pub nickname: String,
    /// Fen.
    pub amount: i64,
    pub out_bill_no: String,
    pub state: String,
    /// For `wx.requestMerchantTransfer` while the bill waits for the
    /// promoter's confirmation.
    pub package_info: Option<String>,
    pub fail_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

/// What the mini-program passes to `wx.requestMerchantTransfer`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferParams {
    pub mch_id: String,
    pub app_id: String,
    pub package: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Created {
    pub withdrawal: Withdrawal,
    /// None: waiting for the merchant's review, or for WeChat Pay (retried).
    pub transfer: Option<TransferParams>,
}

const SELECT: &str = "SELECT w.id, w.promoter_id, u.nickname, w.amount, w.out_bill_no, w.state,
     w.package_info, w.fail_reason, w.created_at, w.updated_at, w.finished_at
     FROM withdrawals w JOIN users u ON u.id = w.promoter_id";

fn row(r: &sqlx::any::AnyRow) -> sqlx::Result<Withdrawal> {
    let state: String = r.try_get("state")?;
    let package: Option<String> = r.try_get("package_info")?;
    Ok(Withdrawal {
        id: r.try_get("id")?,
        promoter_id: r.try_get("promoter_id")?,
        nickname: r.try_get("nickname")?,
        amount: r.try_get("amount")?,
        out_bill_no: r.try_get("out_bill_no")?,
        package_info: package.filter(|_| state == "WAIT_USER_CONFIRM"),
        state,
        fail_reason: r.try_get("fail_reason")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Withdrawal, DistributionError> {
    let r = sqlx::query(&format!("{SELECT} WHERE w.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(DistributionError::NotFound("withdrawal"))?;
    Ok(row(&r)?)
}

/// The Beijing date of `t`, `2025-01-01`.
pub fn beijing_day(t: i64) -> String {
    crate::clock::beijing_rfc3339(t)[..10].to_string()
}

fn out_bill_no() -> String {
    format!("WD{}", &crate::wechat::pay::nonce()[..24])
}

/// The promoter asks to withdraw `amount` fen from their balance.
pub async fn create(
    state: &AppState,
    user_id: i64,
    amount: i64,
    now: i64,
) -> Result<Created, DistributionError> {
    let id = {
        let mut tx = state.db.begin_write().await?;
        let r = take(&mut tx, user_id, amount, now).await;
        crate::db::finish(tx, r).await?
    };
    send_bill(state, id, now).await?;
    let mut conn = state.db.pool.acquire().await?;
    let w = get(&mut conn, id).await?;
    let transfer = w.package_info.clone().map(|package| TransferParams {
        mch_id: state.pay.mchid().to_string(),
        app_id: state.pay.appid.clone(),
        package,
    });
    Ok(Created {
        withdrawal: w,
        transfer,
    })
}

/// The checks and the one conditional debit; the withdrawal row with it.
async fn take(
    conn: &mut AnyConnection,
    user_id: i64,
    amount: i64,
    now: i64,
) -> Result<i64, DistributionError> {
    let s = settings::load(&mut *conn, "").await?;
    if !s.enabled {
        return Err(DistributionError::Disabled);
    }
    if !promoters::is_approved(&mut *conn, user_id).await? {
        return Err(DistributionError::NotPromoter);
    }
    if amount > MAX_WITHDRAW_FEN {
        return Err(DistributionError::Invalid(
            "amount",
            format!("at most {MAX_WITHDRAW_FEN} fen"),
        ));
    }
    if amount < s.withdraw_min {
        return Err(DistributionError::BelowMinimum {
            min: s.withdraw_min,
        });
    }
    let day = beijing_day(now);
    if !account::debit(&mut *conn, user_id, amount, &day, s.withdraw_daily_cap, now).await? {
        let (available, today) = account::get(&mut *conn, user_id, &day).await?;
        return Err(if available < amount {
            DistributionError::Insufficient { available }
        } else {
            DistributionError::DailyCap {
                cap: s.withdraw_daily_cap,
                left: (s.withdraw_daily_cap - today).max(0),
            }
        });
    }
    let first = if amount > s.review_above {
        "REVIEWING"
    } else {
        "CREATING"
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO withdrawals (promoter_id, amount, out_bill_no, state, day, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(user_id)
    .bind(amount)
    .bind(out_bill_no())
    .bind(first)
    .bind(&day)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// A withdrawal in CREATING: create its bill at WeChat Pay (again, under the
/// same out_bill_no, if an earlier try got no answer). A signed refusal
/// ends it FAIL (amount returned); no answer leaves it for the job.
pub async fn send_bill(state: &AppState, id: i64, now: i64) -> Result<(), DistributionError> {
    let w: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT w.out_bill_no, w.amount, u.openid FROM withdrawals w JOIN users u ON u.id = w.promoter_id
         WHERE w.id = $1 AND w.state = 'CREATING'",
    )
    .bind(id)
    .fetch_optional(&state.db.pool)
    .await?;
    let Some((no, amount, openid)) = w else {
        return Ok(());
    };
    match state
        .pay
        .create_transfer(&no, &openid, amount, "推广佣金提现")
        .await
    {
        Ok(bill) => {
            apply_bill(state, &bill, now)
                .await
                .map_err(|e| anyhow::anyhow!("transfer bill answer: {e}"))?;
        }
        Err(e) if refused(&e) => {
            let mut tx = state.db.begin_write().await?;
            let r = end(&mut tx, id, "FAIL", Some(e.verified_code()), NOT_ENDED, now).await;
            crate::db::finish(tx, r).await?;
        }
        Err(e) => {
            tracing::warn!(withdrawal = id, error = %e, "transfer bill not created yet; will retry");
            sqlx::query("UPDATE withdrawals SET updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *state.db.write_conn().await?)
                .await?;
        }
    }
    Ok(())
}

/// A signed business refusal (not a system error, a rate limit or silence).
fn refused(e: &PayError) -> bool {
    matches!(e, PayError::Api { status, verified: true, code, .. }
        if (400..500).contains(status)
            && !matches!(code.as_str(), "SYSTEM_ERROR" | "FREQUENCY_LIMITED" | "SIGN_ERROR" | ""))
}

/// End an open withdrawal (`cond`: the states it may end from) as FAIL,
/// CANCELLED or REJECTED and give its amount back: the state's conditional
/// UPDATE decides, so it is given back once. True when this call ended it.
async fn end(
    conn: &mut AnyConnection,
    id: i64,
    to: &str,
    reason: Option<&str>,
    cond: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query(&format!(
        "UPDATE withdrawals SET state = $1, fail_reason = COALESCE($2, fail_reason), finished_at = $3,
             returned_at = $3, updated_at = $3
         WHERE id = $4 AND {cond}"
    ))
    .bind(to)
    .bind(reason)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    let (promoter, amount, day): (i64, i64, String) =
        sqlx::query_as("SELECT promoter_id, amount, day FROM withdrawals WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    account::give_back(conn, promoter, amount, &day, now).await?;
    Ok(true)
}

/// Why a bill report was not applied.
#[derive(Debug, thiserror::Error)]
pub enum BillReject {
    #[error("unknown out_bill_no")]
    Unknown,
    #[error("{0} does not match")]
    Mismatch(&'static str),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// A bill's state as WeChat Pay reports it (create answer, query,
/// notification): SUCCESS ends the withdrawal paid, FAIL and CANCELLED end
/// it returned (once), open states are recorded. Reports about an ended
/// withdrawal change nothing.
pub async fn apply_bill(state: &AppState, bill: &TransferBill, now: i64) -> Result<(), BillReject> {
    if bill
        .mch_id
        .as_deref()
        .is_some_and(|m| m != state.pay.mchid())
    {
        return Err(BillReject::Mismatch("mch_id"));
    }
    let mut tx = state.db.begin_write().await?;
    let r = apply_in(&mut tx, bill, now).await;
    crate::db::finish(tx, r).await
}

async fn apply_in(
    conn: &mut AnyConnection,
    bill: &TransferBill,
    now: i64,
) -> Result<(), BillReject> {
    let w: Option<(i64, i64)> =
        sqlx::query_as("SELECT id, amount FROM withdrawals WHERE out_bill_no = $1")
            .bind(&bill.out_bill_no)
            .fetch_optional(&mut *conn)
            .await?;
    let (id, amount) = w.ok_or(BillReject::Unknown)?;
    if bill.transfer_amount.is_some_and(|a| a != amount) {
        return Err(BillReject::Mismatch("transfer_amount"));
    }
    let open = format!("{NOT_ENDED} AND state <> 'REVIEWING'");
    match bill.state.as_str() {
        "SUCCESS" => {
            sqlx::query(&format!(
                "UPDATE withdrawals SET state = 'SUCCESS', finished_at = $1, updated_at = $1,
                     transfer_bill_no = COALESCE($2, transfer_bill_no)
                 WHERE id = $3 AND {open}"
            ))
            .bind(now)
            .bind(&bill.transfer_bill_no)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
        "FAIL" | "CANCELLED" => {
            end(
                conn,
                id,
                &bill.state,
                bill.fail_reason.as_deref(),
                &open,
                now,
            )
            .await?;
        }
        s if OPEN_BILL.contains(&s) => {
            sqlx::query(&format!(
                "UPDATE withdrawals SET state = $1, updated_at = $2,
                     transfer_bill_no = COALESCE($3, transfer_bill_no),
                     package_info = COALESCE($4, package_info),
                     bill_created_at = COALESCE(bill_created_at, $2)
                 WHERE id = $5 AND {open}"
            ))
            .bind(s)
            .bind(now)
            .bind(&bill.transfer_bill_no)
            .bind(&bill.package_info)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
        other => tracing::warn!(state = other, "unknown transfer bill state ignored"),
    }
    Ok(())
}

/// The merchant approves a withdrawal under review: its bill is created.
pub async fn approve(state: &AppState, id: i64, now: i64) -> Result<Withdrawal, DistributionError> {
    let r = sqlx::query(
        "UPDATE withdrawals SET state = 'CREATING', updated_at = $1 WHERE id = $2 AND state = 'REVIEWING'",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *state.db.write_conn().await?)
    .await?;
    if r.rows_affected() != 1 {
        let mut conn = state.db.pool.acquire().await?;
        get(&mut conn, id).await?;
        return Err(DistributionError::WithdrawalState);
    }
    send_bill(state, id, now).await?;
    let mut conn = state.db.pool.acquire().await?;
    get(&mut conn, id).await
}

/// The merchant rejects a withdrawal under review: the amount goes back.
pub async fn reject(
    state: &AppState,
    id: i64,
    reason: &str,
    now: i64,
) -> Result<Withdrawal, DistributionError> {
    let mut tx = state.db.begin_write().await?;
    let r = end(
        &mut tx,
        id,
        "REJECTED",
        Some(reason),
        "state = 'REVIEWING'",
        now,
    )
    .await;
    let ended = crate::db::finish(tx, r).await?;
    let mut conn = state.db.pool.acquire().await?;
    let w = get(&mut conn, id).await?;
    if !ended {
        return Err(DistributionError::WithdrawalState);
    }
    Ok(w)
}

/// Withdrawals, newest first: a promoter's (`promoter`), or every one,
/// optionally in one state.
pub async fn list(
    conn: &mut AnyConnection,
    promoter: Option<i64>,
    state: Option<&str>,
    paging: Paging,
) -> Result<Page<Withdrawal>, DistributionError> {
    let (p, s) = (promoter.unwrap_or(0), state.unwrap_or(""));
    let cond = "($1 = 0 OR w.promoter_id = $1) AND ($2 = '' OR w.state = $2)";
    let total: i64 =
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM withdrawals w WHERE {cond}"))
            .bind(p)
            .bind(s)
            .fetch_one(&mut *conn)
            .await?;
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE {cond} ORDER BY w.id DESC LIMIT $3 OFFSET $4"
    ))
    .bind(p)
    .bind(s)
    .bind(paging.page_size)
    .bind(paging.offset())
    .fetch_all(conn)
    .await?;
    let items = rows.iter().map(row).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::new(items, paging, total))
}

/// The job: bills not created yet are sent again; open bills untouched for
/// a minute are queried (a notification may have been lost); bills still
/// unconfirmed [`CONFIRM_WINDOW_SECS`] after creation are cancelled, and
/// the amount returned. Returns how many withdrawals were looked at.
pub async fn sync(state: &AppState, now: i64) -> anyhow::Result<usize> {
    let due: Vec<(i64, String, String, Option<i64>)> = sqlx::query_as(&format!(
        "SELECT id, out_bill_no, state, bill_created_at FROM withdrawals
         WHERE {NOT_ENDED} AND state <> 'REVIEWING' AND updated_at <= $1 ORDER BY id LIMIT 200"
    ))
    .bind(now - RECHECK_SECS)
    .fetch_all(&state.db.pool)
    .await?;
    for (id, no, st, created) in &due {
        if st == "CREATING" {
            if let Err(e) = send_bill(state, *id, now).await {
                tracing::warn!(withdrawal = id, error = %e, "transfer bill not sent");
            }
            continue;
        }
        let bill = match state.pay.query_transfer(no).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(out_bill_no = %no, error = %e, "transfer bill query failed");
                continue;
            }
        };
        if let Err(e) = apply_bill(state, &bill, now).await {
            // One bad answer must not hold up the others.
            tracing::warn!(out_bill_no = %no, error = %e, "transfer bill query not applied");
            continue;
        }
        let waiting = matches!(
            bill.state.as_str(),
            "ACCEPTED" | "PROCESSING" | "WAIT_USER_CONFIRM"
        );
        if waiting && created.unwrap_or(now) + CONFIRM_WINDOW_SECS <= now {
            let answer = match state.pay.cancel_transfer(no).await {
                Ok(b) => b,
                // Confirmed or ended meanwhile: what is it now?
                Err(_) => match state.pay.query_transfer(no).await {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::warn!(out_bill_no = %no, error = %e, "transfer bill not cancelled yet");
                        continue;
                    }
                },
            };
            if let Err(e) = apply_bill(state, &answer, now).await {
                tracing::warn!(out_bill_no = %no, error = %e, "transfer bill cancel not applied");
            }
        }
    }
    Ok(due.len())
}
