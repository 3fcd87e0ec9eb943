//! Payment: prepay, settling a transaction (from the notification or from a
//! query, the same code), refunds through WeChat Pay and their notifications.
//!
//! A transaction changes an order exactly once: `pending_payment → paid` is a
//! conditional update through the state machine, so a duplicate notification,
//! a query racing a notification, or a notification after shipping all find
//! the order no longer unpaid and change nothing. A payment for a cancelled
//! order is refunded in full (a `refunds` row, sent after commit), never
//! turned into `paid`.

use mall_core::commission::{commission, CommissionInput, CommissionRule};
use mall_core::OrderSnapshot;
use serde::{Deserialize, Serialize};

use sqlx::{AnyConnection, Row};

use crate::clock::beijing_rfc3339;
use crate::db;
use crate::http::codes::Code;
use crate::http::error::{ApiError, ApiResult};
use crate::notify::{self, Message};
use crate::orders;
use crate::orders::{Action, OrderStatus};
use crate::state::AppState;
use crate::wechat::pay::client::{PayError, RefundInfo, Transaction};
use crate::wechat::pay::sign::RequestPayment;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PayResponse {
    pub order_id: i64,
    /// Already paid (a zero-payable order needs no WeChat payment).
    pub paid: bool,
    /// Amount charged, fen: always the order's stored payable.
    pub amount: i64,
    /// The `wx.requestPayment` parameters.
    pub params: Option<RequestPayment>,
}

fn pay_error(e: PayError) -> ApiError {
    ApiError::Internal(anyhow::anyhow!("wechat pay: {e}"))
}

/// Create (or reuse) the JSAPI prepay for an unpaid order of this shopper.
pub async fn prepay(
    state: &AppState,
    order_id: i64,
    user_id: i64,
    now: i64,
) -> ApiResult<PayResponse> {
    let mut conn = state.db.pool.acquire().await?;
    let row = sqlx::query(
        "SELECT o.order_no, o.status, o.payable, o.expires_at, o.prepay_id, o.prepay_at, u.openid,
                (SELECT title FROM order_lines l WHERE l.order_id = o.id ORDER BY l.id LIMIT 1) AS title
         FROM orders o JOIN users u ON u.id = o.user_id WHERE o.id = $1 AND o.user_id = $2",
    )
    .bind(order_id)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(ApiError::NotFound("order"))?;
    let status = OrderStatus::parse(&row.try_get::<String, _>("status")?)
        .ok_or_else(|| anyhow::anyhow!("unknown status"))?;
    if status != OrderStatus::PendingPayment {
        return Err(ApiError::IllegalTransition {
            from: status,
            action: Action::Pay,
        });
    }
    let expires_at: i64 = row.try_get("expires_at")?;
    if expires_at <= now {
        return Err(ApiError::conflict(
            Code::OrderExpired,
            "订单已超时，请重新下单",
        ));
    }
    // The amount is the order's stored payable, never a client figure.
    let payable: i64 = row.try_get("payable")?;
    drop(conn);
    if payable == 0 {
        let mut tx = state.db.begin_write().await?;
        let r = mark_paid(state, &mut tx, order_id, None, 0, "system", now).await;
        db::finish(tx, r).await?;
        return Ok(PayResponse {
            order_id,
            paid: true,
            amount: 0,
            params: None,
        });
    }
    let order_no: String = row.try_get("order_no")?;
    let prepay_id: Option<String> = row.try_get("prepay_id")?;
    let prepay_at: Option<i64> = row.try_get("prepay_at")?;
    // A prepay id is good for two hours.
    let prepay_id = match (prepay_id, prepay_at) {
        (Some(id), Some(at)) if now - at < 7000 => id,
        _ => {
            let title: Option<String> = row.try_get("title")?;
            let description: String = title
                .unwrap_or_else(|| "商城订单".into())
                .chars()
                .take(40)
                .collect();
            let openid: String = row.try_get("openid")?;
            let id = state
                .pay
                .prepay_jsapi(
                    &order_no,
                    &description,
                    payable,
                    &openid,
                    Some(beijing_rfc3339(expires_at)),
                )
                .await
                .map_err(pay_error)?;
            sqlx::query(
                "UPDATE orders SET prepay_id = $1, prepay_at = $2 WHERE id = $3 AND status = $4",
            )
            .bind(&id)
            .bind(now)
            .bind(order_id)
            .bind(OrderStatus::PendingPayment.as_str())
            .execute(&state.db.pool)
            .await?;
            id
        }
    };
    Ok(PayResponse {
        order_id,
        paid: false,
        amount: payable,
        params: Some(state.pay.request_payment(&prepay_id, now)),
    })
}

/// `pending_payment → paid` with its effects: the transaction recorded, the
/// pickup code, commission earned, the "paid" message queued.
pub async fn mark_paid(
    state: &AppState,
    conn: &mut AnyConnection,
    order_id: i64,
    transaction_id: Option<&str>,
    amount: i64,
    actor: &str,
    now: i64,
) -> ApiResult<()> {
    orders::transition(&mut *conn, order_id, None, Action::Pay, actor, now).await?;
    let row = sqlx::query(
        "SELECT user_id, order_no, payable, delivery, snapshot, distribution FROM orders WHERE id = $1",
    )
    .bind(order_id)
    .fetch_one(&mut *conn)
    .await?;
    let delivery: String = row.try_get("delivery")?;
    let pickup = serde_json::from_str::<serde_json::Value>(&delivery)
        .map(|d| d["kind"] == "pickup")
        .unwrap_or(false);
    let code = pickup.then(|| {
        use rand::Rng;
        format!(
            "{:012}",
            rand::rngs::OsRng.gen_range(0..1_000_000_000_000u64)
        )
    });
    sqlx::query(
        "UPDATE orders SET transaction_id = $1, paid_amount = $2, pickup_code = $3 WHERE id = $4",
    )
    .bind(transaction_id)
    .bind(amount)
    .bind(code)
    .bind(order_id)
    .execute(&mut *conn)
    .await?;
    if let Some(dist) = row.try_get::<Option<String>, _>("distribution")? {
        let d: Distribution = serde_json::from_str(&dist).map_err(anyhow::Error::from)?;
        let snapshot: OrderSnapshot = serde_json::from_str(&row.try_get::<String, _>("snapshot")?)
            .map_err(anyhow::Error::from)?;
        let c = commission(&CommissionInput {
            rule: d.rule,
            promoters: d.promoters,
            order: snapshot,
            refunded: vec![],
        })?;
        for s in c.shares {
            insert_commission(
                &mut *conn,
                order_id,
                None,
                s.level as i64,
                &s.promoter_id,
                s.amount.as_fen(),
                now,
            )
            .await?;
        }
    }
    let user_id: i64 = row.try_get("user_id")?;
    let order_no: String = row.try_get("order_no")?;
    notify::enqueue(
        &mut *conn,
        &state.config.templates,
        user_id,
        &Message::OrderPaid {
            order_id,
            order_no,
            amount,
            at: now,
        },
        now,
    )
    .await?;
    Ok(())
}

/// The promoter chain and commission rule stored with an order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Distribution {
    pub rule: CommissionRule,
    pub promoters: Vec<String>,
}

pub async fn insert_commission(
    conn: &mut AnyConnection,
    order_id: i64,
    after_sale_id: Option<i64>,
    level: i64,
    promoter: &str,
    amount: i64,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO commissions (order_id, after_sale_id, level, promoter_id, amount, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(order_id)
    .bind(after_sale_id)
    .bind(level)
    .bind(promoter)
    .bind(amount)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Why a transaction or refund notice was not applied.
#[derive(Debug, thiserror::Error)]
pub enum Reject {
    #[error("{0} does not match")]
    Mismatch(&'static str),
    #[error("unknown order")]
    UnknownOrder,
    #[error("unknown refund")]
    UnknownRefund,
    #[error("internal: {0}")]
    Internal(String),
}

impl From<sqlx::Error> for Reject {
    fn from(e: sqlx::Error) -> Self {
        Reject::Internal(e.to_string())
    }
}

impl From<ApiError> for Reject {
    fn from(e: ApiError) -> Self {
        Reject::Internal(e.to_string())
    }
}

impl Reject {
    pub fn status(&self) -> u16 {
        match self {
            Reject::Mismatch(_) => 400,
            Reject::UnknownOrder | Reject::UnknownRefund => 404,
            Reject::Internal(_) => 500,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    Paid,
    /// Already applied (a duplicate, or an order that has moved on).
    NoEffect,
    /// Not a success (NOTPAY, CLOSED, …): nothing to do.
    NotPaid,
    /// Paid after it was cancelled: refund queued.
    LateRefund(i64),
}

/// Apply a transaction (verified notification or query answer).
pub async fn apply_transaction(
    state: &AppState,
    t: &Transaction,
    source: &str,
    now: i64,
) -> Result<Settled, Reject> {
    if t.mchid != state.pay.mchid() {
        return Err(Reject::Mismatch("mchid"));
    }
    if t.appid != state.pay.appid {
        return Err(Reject::Mismatch("appid"));
    }
    if t.trade_state != "SUCCESS" {
        return Ok(Settled::NotPaid);
    }
    let amount = t.amount.as_ref().ok_or(Reject::Mismatch("amount"))?;
    let transaction_id = t
        .transaction_id
        .as_deref()
        .ok_or(Reject::Mismatch("transaction_id"))?;
    let mut tx = state.db.begin_write().await?;
    let r = apply_in(
        state,
        &mut tx,
        t,
        amount.total,
        &amount.currency,
        transaction_id,
        source,
        now,
    )
    .await;
    match r {
        Ok(s) => {
            tx.commit().await?;
            if let Settled::LateRefund(id) = s {
                if let Err(e) = send_refund(state, id, now).await {
                    tracing::warn!(error = %e, "late-payment refund not sent yet; will retry");
                }
            }
            Ok(s)
        }
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn apply_in(
    state: &AppState,
    conn: &mut AnyConnection,
    t: &Transaction,
    total: i64,
    currency: &str,
    transaction_id: &str,
    source: &str,
    now: i64,
) -> Result<Settled, Reject> {
    // Locked: a cancel racing this payment waits, then finds it paid (or the
    // payment finds it cancelled and takes the refund path), never between.
    let row: Option<(i64, String, i64, Option<String>)> = sqlx::query_as(&format!(
        "SELECT id, status, payable, transaction_id FROM orders WHERE order_no = $1{}",
        state.db.for_update()
    ))
    .bind(&t.out_trade_no)
    .fetch_optional(&mut *conn)
    .await?;
    let (order_id, status, payable, known) = row.ok_or(Reject::UnknownOrder)?;
    // Integers, compared as integers, against what the order must be paid.
    if total != payable || currency != "CNY" {
        tracing::error!(
            order_id,
            total,
            payable,
            "payment amount differs from the order's payable"
        );
        return Err(Reject::Mismatch("amount"));
    }
    let status = OrderStatus::parse(&status).ok_or(Reject::Internal("status".into()))?;
    match status {
        OrderStatus::PendingPayment => {
            mark_paid(
                state,
                conn,
                order_id,
                Some(transaction_id),
                total,
                source,
                now,
            )
            .await?;
            Ok(Settled::Paid)
        }
        OrderStatus::Cancelled if known.is_none() => {
            let r = sqlx::query(
                "UPDATE orders SET transaction_id = $1, paid_amount = $2, updated_at = $3
                 WHERE id = $4 AND status = $5 AND transaction_id IS NULL",
            )
            .bind(transaction_id)
            .bind(total)
            .bind(now)
            .bind(order_id)
            .bind(OrderStatus::Cancelled.as_str())
            .execute(&mut *conn)
            .await?;
            if r.rows_affected() != 1 {
                return Ok(Settled::NoEffect);
            }
            tracing::warn!(order_id, "payment for a cancelled order: refunding it");
            let id = insert_refund(
                conn,
                order_id,
                None,
                &format!("{}L", t.out_trade_no),
                total,
                "订单已取消，自动退款",
                now,
            )
            .await?;
            Ok(Settled::LateRefund(id))
        }
        _ => {
            if known.as_deref() != Some(transaction_id) {
                tracing::warn!(
                    order_id,
                    "a second transaction for one order: left for review"
                );
            }
            Ok(Settled::NoEffect)
        }
    }
}

pub async fn insert_refund(
    conn: &mut AnyConnection,
    order_id: i64,
    after_sale_id: Option<i64>,
    out_refund_no: &str,
    amount: i64,
    reason: &str,
    now: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO refunds (order_id, after_sale_id, out_refund_no, amount, reason, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6) RETURNING id",
    )
    .bind(order_id)
    .bind(after_sale_id)
    .bind(out_refund_no)
    .bind(amount)
    .bind(reason)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// Call the refund API for a pending refund (idempotent by out_refund_no).
pub async fn send_refund(state: &AppState, refund_id: i64, now: i64) -> anyhow::Result<()> {
    let row: Option<(String, i64, String, String, i64)> = sqlx::query_as(
        "SELECT r.out_refund_no, r.amount, r.reason, o.order_no, o.paid_amount FROM refunds r
         JOIN orders o ON o.id = r.order_id WHERE r.id = $1 AND r.status = 'pending'",
    )
    .bind(refund_id)
    .fetch_optional(&state.db.pool)
    .await?;
    let Some((out_refund_no, amount, reason, order_no, total)) = row else {
        return Ok(());
    };
    match state
        .pay
        .refund(&order_no, &out_refund_no, amount, total, &reason)
        .await
    {
        Ok(info) => {
            let status = match info.status.as_str() {
                "SUCCESS" => "success",
                "CLOSED" => "closed",
                "ABNORMAL" => "abnormal",
                _ => "processing",
            };
            let mut tx = state.db.begin_write().await?;
            set_refund_status(
                state,
                &mut tx,
                refund_id,
                status,
                Some(&info.refund_id),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(())
        }
        Err(e) => {
            sqlx::query(
                "UPDATE refunds SET attempts = attempts + 1, last_error = $1, updated_at = $2 WHERE id = $3 AND status = 'pending'",
            )
            .bind(e.to_string())
            .bind(now)
            .bind(refund_id)
            .execute(&state.db.pool)
            .await?;
            Err(anyhow::anyhow!("refund {out_refund_no}: {e}"))
        }
    }
}

/// Move a refund to `to` when that is a legal step; false when it is not (a
/// duplicate or a late, out-of-order notice), with nothing changed. A refund
/// of an after-sales request that ends `closed` undoes the request's approval
/// (`aftersale::revert_in`) in the same transaction. `superseded` (retried
/// under a new out_refund_no) is final.
pub async fn set_refund_status(
    state: &AppState,
    conn: &mut AnyConnection,
    refund_id: i64,
    to: &str,
    wechat_refund_id: Option<&str>,
    now: i64,
) -> ApiResult<bool> {
    let from: &[&str] = match to {
        "processing" => &["pending"],
        "success" => &["pending", "processing", "abnormal"],
        "abnormal" => &["pending", "processing"],
        "closed" => &["pending", "processing", "abnormal"],
        _ => &[],
    };
    let list = from
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    if list.is_empty() {
        return Ok(false);
    }
    let r = sqlx::query(&format!(
        "UPDATE refunds SET status = $1, refund_id = COALESCE($2, refund_id), updated_at = $3,
             succeeded_at = CASE WHEN $1 = 'success' THEN $3 ELSE succeeded_at END
         WHERE id = $4 AND status IN ({list})"
    ))
    .bind(to)
    .bind(wechat_refund_id)
    .bind(now)
    .bind(refund_id)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() != 1 {
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM refunds WHERE id = $1")
            .bind(refund_id)
            .fetch_optional(&mut *conn)
            .await?;
        if to == "success" && status.as_deref() == Some("superseded") {
            tracing::error!(
                refund_id,
                "a refund retried under a new number succeeded too: the cash went back twice; review it"
            );
        }
        return Ok(false);
    }
    let row: (i64, Option<i64>, i64, i64) = sqlx::query_as(
        "SELECT r.order_id, r.after_sale_id, r.amount, o.user_id FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.id = $1",
    )
    .bind(refund_id)
    .fetch_one(&mut *conn)
    .await?;
    let (order_id, after_sale, amount, user_id) = row;
    match after_sale {
        Some(a) if to == "closed" => {
            crate::after_sales::revert_in(&mut *conn, a, "refund closed", now).await?;
        }
        Some(a) => {
            let status = match to {
                "success" => "refunded",
                "abnormal" => "refund_abnormal",
                _ => "refunding",
            };
            sqlx::query("UPDATE after_sales SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(status)
                .bind(now)
                .bind(a)
                .execute(&mut *conn)
                .await?;
        }
        None => {}
    }
    let outcome = match to {
        "success" => Some("success"),
        "abnormal" => Some("abnormal"),
        "closed" => Some("closed"),
        _ => None,
    };
    if let Some(outcome) = outcome {
        notify::enqueue(
            &mut *conn,
            &state.config.templates,
            user_id,
            &Message::RefundResult {
                order_id,
                refund_id,
                outcome,
                amount,
                at: now,
            },
            now,
        )
        .await?;
    }
    Ok(true)
}

async fn abnormal_refund(
    conn: &mut AnyConnection,
    refund_id: i64,
) -> ApiResult<(i64, Option<i64>, i64, String)> {
    let row: Option<(i64, Option<i64>, i64, String, String)> = sqlx::query_as(
        "SELECT order_id, after_sale_id, amount, reason, status FROM refunds WHERE id = $1",
    )
    .bind(refund_id)
    .fetch_optional(&mut *conn)
    .await?;
    let (order_id, after_sale, amount, reason, status) = row.ok_or(ApiError::NotFound("refund"))?;
    if status != "abnormal" {
        return Err(ApiError::conflict(
            Code::RefundState,
            format!("退款当前状态为{status}，只有异常退款可以重试或关闭"),
        ));
    }
    Ok((order_id, after_sale, amount, reason))
}

/// The merchant re-sends an ABNORMAL refund: the same amount (the core's, as
/// approved) under a new out_refund_no (`<first>-<n>`); the abnormal one is
/// `superseded`, so a late notice for it changes nothing. Sent after commit.
pub async fn retry_refund(state: &AppState, refund_id: i64, now: i64) -> ApiResult<i64> {
    let mut tx = state.db.begin_write().await?;
    let r = async {
        let (order_id, after_sale, amount, reason) = abnormal_refund(&mut tx, refund_id).await?;
        let moved = sqlx::query(
            "UPDATE refunds SET status = 'superseded', updated_at = $1 WHERE id = $2 AND status = 'abnormal'",
        )
        .bind(now)
        .bind(refund_id)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            return Err(ApiError::conflict(Code::RefundState, "退款状态已变化，请刷新"));
        }
        let same = "FROM refunds WHERE order_id = $1 AND COALESCE(after_sale_id, 0) = $2";
        let first: String =
            sqlx::query_scalar(&format!("SELECT out_refund_no {same} ORDER BY id LIMIT 1"))
                .bind(order_id)
                .bind(after_sale.unwrap_or(0))
                .fetch_one(&mut *tx)
                .await?;
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {same}"))
            .bind(order_id)
            .bind(after_sale.unwrap_or(0))
            .fetch_one(&mut *tx)
            .await?;
        let id = insert_refund(
            &mut tx,
            order_id,
            after_sale,
            &format!("{first}-{}", n + 1),
            amount,
            &reason,
            now,
        )
        .await?;
        if let Some(a) = after_sale {
            sqlx::query(
                "UPDATE after_sales SET status = 'refunding', updated_at = $1 WHERE id = $2 AND status = 'refund_abnormal'",
            )
            .bind(now)
            .bind(a)
            .execute(&mut *tx)
            .await?;
        }
        Ok(id)
    }
    .await;
    let id = db::finish(tx, r).await?;
    if let Err(e) = send_refund(state, id, now).await {
        tracing::warn!(error = %e, "retried refund not sent yet; the refund job retries it");
    }
    Ok(id)
}

/// The merchant gives up on an ABNORMAL refund: it is closed, and its
/// after-sales request's approval undone, as for a CLOSED notification.
pub async fn close_refund(state: &AppState, refund_id: i64, now: i64) -> ApiResult<()> {
    let mut tx = state.db.begin_write().await?;
    let r = async {
        abnormal_refund(&mut tx, refund_id).await?;
        if !set_refund_status(state, &mut tx, refund_id, "closed", None, now).await? {
            return Err(ApiError::conflict(
                Code::RefundState,
                "退款状态已变化，请刷新",
            ));
        }
        Ok(())
    }
    .await;
    db::finish(tx, r).await
}

/// A refund row as the merchant sees it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundView {
    pub id: i64,
    pub order_id: i64,
    pub after_sale_id: Option<i64>,
    pub out_refund_no: String,
    pub amount: i64,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Refunds, newest first: one (`id`), or those in `status` (any when empty).
pub async fn refunds(
    conn: &mut AnyConnection,
    id: Option<i64>,
    status: &str,
) -> sqlx::Result<Vec<RefundView>> {
    type Row = (
        i64,
        i64,
        Option<i64>,
        String,
        i64,
        String,
        i64,
        Option<String>,
        i64,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, order_id, after_sale_id, out_refund_no, amount, status, attempts, last_error, created_at, updated_at
         FROM refunds WHERE ($1 = 0 OR id = $1) AND ($2 = '' OR status = $2) ORDER BY id DESC LIMIT 200",
    )
    .bind(id.unwrap_or(0))
    .bind(status)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| RefundView {
            id: r.0,
            order_id: r.1,
            after_sale_id: r.2,
            out_refund_no: r.3,
            amount: r.4,
            status: r.5,
            attempts: r.6,
            last_error: r.7,
            created_at: r.8,
            updated_at: r.9,
        })
        .collect())
}

/// Apply a verified refund notification.
pub async fn apply_refund_notice(
    state: &AppState,
    info: &RefundInfo,
    now: i64,
) -> Result<bool, Reject> {
    if info
        .mchid
        .as_deref()
        .is_some_and(|m| m != state.pay.mchid())
    {
        return Err(Reject::Mismatch("mchid"));
    }
    let to = match info.status.as_str() {
        "SUCCESS" => "success",
        "ABNORMAL" => "abnormal",
        "CLOSED" => "closed",
        _ => return Ok(false),
    };
    let mut tx = state.db.begin_write().await?;
    let row: Option<(i64, i64, String, Option<i64>)> = sqlx::query_as(
        "SELECT r.id, r.amount, o.order_no, o.paid_amount FROM refunds r JOIN orders o ON o.id = r.order_id
         WHERE r.out_refund_no = $1",
    )
    .bind(&info.out_refund_no)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, amount, order_no, paid)) = row else {
        let _ = tx.rollback().await;
        return Err(Reject::UnknownRefund);
    };
    if order_no != info.out_trade_no {
        let _ = tx.rollback().await;
        return Err(Reject::Mismatch("out_trade_no"));
    }
    if info.amount.refund != amount || Some(info.amount.total) != paid {
        let _ = tx.rollback().await;
        return Err(Reject::Mismatch("amount"));
    }
    let changed = set_refund_status(state, &mut tx, id, to, Some(&info.refund_id), now).await?;
    tx.commit().await?;
    Ok(changed)
}

/// Settle unpaid orders whose notification never came, by querying WeChat Pay.
pub async fn settle_unpaid(state: &AppState, now: i64, min_age_secs: i64) -> anyhow::Result<usize> {
    let due: Vec<String> = sqlx::query_scalar(
        "SELECT order_no FROM orders WHERE status = $1 AND prepay_id IS NOT NULL AND prepay_at <= $2
         ORDER BY id LIMIT 200",
    )
    .bind(OrderStatus::PendingPayment.as_str())
    .bind(now - min_age_secs)
    .fetch_all(&state.db.pool)
    .await?;
    let mut paid = 0;
    for no in due {
        match state.pay.query_order(&no).await {
            Ok(t) => match apply_transaction(state, &t, "query", now).await {
                Ok(Settled::Paid) => paid += 1,
                Ok(_) => {}
                Err(e) => tracing::error!(order_no = %no, error = %e, "query answer refused"),
            },
            Err(e) if e.code() == "ORDER_NOT_EXIST" => {}
            Err(e) => tracing::warn!(order_no = %no, error = %e, "order query failed"),
        }
    }
    Ok(paid)
}

/// Cancelled or expired orders that had a prepay, asked at WeChat Pay once
/// more: a payment that raced the cancel (and whose notification was refused
/// or lost) is found here and refunded through the late-payment path; an
/// order still open there is closed so it can no longer be paid.
pub async fn reconcile_cancelled(
    state: &AppState,
    now: i64,
    min_age_secs: i64,
) -> anyhow::Result<usize> {
    let due: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, order_no FROM orders WHERE status = $1 AND prepay_id IS NOT NULL
           AND transaction_id IS NULL AND pay_checked_at IS NULL AND updated_at <= $2
         ORDER BY id LIMIT 200",
    )
    .bind(OrderStatus::Cancelled.as_str())
    .bind(now - min_age_secs)
    .fetch_all(&state.db.pool)
    .await?;
    let mut refunded = 0;
    for (id, no) in due {
        let checked = match state.pay.query_order(&no).await {
            Ok(t) if t.trade_state == "SUCCESS" => {
                match apply_transaction(state, &t, "reconcile", now).await {
                    Ok(Settled::LateRefund(_)) => {
                        refunded += 1;
                        true
                    }
                    Ok(_) => true,
                    Err(e) => {
                        tracing::error!(order_no = %no, error = %e, "reconciliation answer refused");
                        false
                    }
                }
            }
            Ok(t) if t.trade_state == "NOTPAY" || t.trade_state == "USERPAYING" => {
                match state.pay.close_order(&no).await {
                    Ok(()) => true,
                    Err(e) => {
                        tracing::warn!(order_no = %no, error = %e, "closing a cancelled order failed");
                        false
                    }
                }
            }
            Ok(_) => true,
            // Asked once: only a signed "no such order" settles it.
            Err(e) if e.verified_code() == "ORDER_NOT_EXIST" => true,
            Err(e) => {
                tracing::warn!(order_no = %no, error = %e, "reconciliation query failed");
                false
            }
        };
        if checked {
            sqlx::query(
                "UPDATE orders SET pay_checked_at = $1 WHERE id = $2 AND pay_checked_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .execute(&state.db.pool)
            .await?;
        }
    }
    Ok(refunded)
}

/// Before an unpaid order with a prepay is expired: ask WeChat Pay. Paid →
/// settle it (true: do not expire); unpaid → close it there so it cannot be
/// paid any more. An unreachable WeChat Pay leaves the order for the next sweep.
pub async fn settle_or_close_before_expiry(
    state: &AppState,
    order_no: &str,
    now: i64,
) -> anyhow::Result<bool> {
    match state.pay.query_order(order_no).await {
        Ok(t) if t.trade_state == "SUCCESS" => {
            apply_transaction(state, &t, "query", now)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(true)
        }
        Ok(_) => {
            state.pay.close_order(order_no).await?;
            Ok(false)
        }
        Err(e) if e.code() == "ORDER_NOT_EXIST" => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Send refunds not sent yet; query refunds processing for over an hour.
pub async fn retry_refunds(state: &AppState, now: i64) -> anyhow::Result<usize> {
    let pending: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM refunds WHERE status = 'pending' ORDER BY id LIMIT 100")
            .fetch_all(&state.db.pool)
            .await?;
    let mut n = 0;
    for id in pending {
        if send_refund(state, id, now).await.is_ok() {
            n += 1;
        }
    }
    let stuck: Vec<String> = sqlx::query_scalar(
        "SELECT out_refund_no FROM refunds WHERE status = 'processing' AND updated_at <= $1 LIMIT 100",
    )
    .bind(now - 3600)
    .fetch_all(&state.db.pool)
    .await?;
    for no in stuck {
        if let Ok(info) = state.pay.query_refund(&no).await {
            let _ = apply_refund_notice(state, &info, now).await;
        }
    }
    Ok(n)
}
