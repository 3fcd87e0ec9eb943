//! Refunds through WeChat Pay: sending a queued refund, applying WeChat's
//! answer or notification through the refund state machine (and reporting
//! it to the after-sales request), the merchant's retry or close of an
//! ABNORMAL refund, and the job that sends what is unsent.

use sqlx::AnyConnection;

use super::Reject;
use crate::after_sales;
use crate::db;
use crate::notify::{self, Message};
use crate::refunds::{self, RefundError, RefundStatus};
use crate::state::AppState;
use crate::wechat::pay::client::RefundInfo;

/// Why a refund operation (the merchant's, or applying WeChat's answer)
/// did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RefundFlowError {
    #[error(transparent)]
    AfterSale(#[from] after_sales::AfterSaleError),
    #[error(transparent)]
    Refund(#[from] RefundError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
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
            let status = RefundStatus::from_wechat(&info.status);
            let mut tx = state.db.begin_write().await?;
            apply_refund_status(
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
            let mut conn = state.db.pool.acquire().await?;
            refunds::record_send_failure(&mut conn, refund_id, &e.to_string(), now).await?;
            Err(anyhow::anyhow!("refund {out_refund_no}: {e}"))
        }
    }
}

/// Move a refund to `to` when the table allows it (false, nothing changed,
/// for a duplicate or a late, out-of-order notice), in the caller's
/// transaction; its after-sales request follows (`after_sales::on_refund`: a
/// closed refund undoes the approval) and the shopper is told the outcome.
pub async fn apply_refund_status(
    state: &AppState,
    conn: &mut AnyConnection,
    refund_id: i64,
    to: RefundStatus,
    wechat_refund_id: Option<&str>,
    now: i64,
) -> Result<bool, RefundFlowError> {
    let Some(moved) = refunds::mark(&mut *conn, refund_id, to, wechat_refund_id, now).await? else {
        return Ok(false);
    };
    if let Some(a) = moved.after_sale_id {
        after_sales::on_refund(&mut *conn, a, to, now).await?;
    }
    if let Some(outcome) = to.outcome() {
        notify::enqueue(
            &mut *conn,
            &state.config.templates,
            moved.user_id,
            &Message::RefundResult {
                order_id: moved.order_id,
                refund_id,
                outcome,
                amount: moved.amount,
                at: now,
            },
            now,
        )
        .await?;
    }
    Ok(true)
}

/// The merchant re-sends an ABNORMAL refund: the same amount (the core's, as
/// approved) under a new out_refund_no (`<first>-<n>`); the abnormal one is
/// `superseded`, so a late notice for it changes nothing. Sent after commit.
pub async fn retry_refund(
    state: &AppState,
    refund_id: i64,
    now: i64,
) -> Result<i64, RefundFlowError> {
    let mut tx = state.db.begin_write().await?;
    let r: Result<_, RefundFlowError> = async {
        let (order_id, after_sale, amount, reason) = refunds::abnormal(&mut tx, refund_id).await?;
        if refunds::mark(&mut tx, refund_id, RefundStatus::Superseded, None, now)
            .await?
            .is_none()
        {
            return Err(RefundError::Changed.into());
        }
        let out_refund_no = refunds::next_out_refund_no(&mut tx, order_id, after_sale).await?;
        let id = refunds::insert(
            &mut tx,
            order_id,
            after_sale,
            &out_refund_no,
            amount,
            &reason,
            now,
        )
        .await?;
        if let Some(a) = after_sale {
            after_sales::on_refund_retried(&mut tx, a, now).await?;
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
pub async fn close_refund(
    state: &AppState,
    refund_id: i64,
    now: i64,
) -> Result<(), RefundFlowError> {
    let mut tx = state.db.begin_write().await?;
    let r: Result<_, RefundFlowError> = async {
        refunds::abnormal(&mut tx, refund_id).await?;
        if !apply_refund_status(state, &mut tx, refund_id, RefundStatus::Closed, None, now).await? {
            return Err(RefundError::Changed.into());
        }
        Ok(())
    }
    .await;
    db::finish(tx, r).await
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
    let to = match RefundStatus::from_wechat(&info.status) {
        RefundStatus::Processing => return Ok(false),
        to => to,
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
    let changed = apply_refund_status(state, &mut tx, id, to, Some(&info.refund_id), now).await?;
    tx.commit().await?;
    Ok(changed)
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

/// Send a refund just committed; a failure is left to the refund job.
async fn send_after_commit(state: &AppState, refund_id: Option<i64>, now: i64) {
    if let Some(id) = refund_id {
        if let Err(e) = send_refund(state, id, now).await {
            tracing::warn!(error = %e, "refund not sent yet; the refund job retries it");
        }
    }
}

/// The merchant approves an after-sales request; a refund-only request's
/// refund is sent at once.
pub async fn approve_after_sale(
    state: &AppState,
    id: i64,
    now: i64,
) -> Result<(), RefundFlowError> {
    let refund = after_sales::approve(state, id, now).await?;
    send_after_commit(state, refund, now).await;
    Ok(())
}

/// The merchant received the returned goods: the refund is decided and sent.
pub async fn receive_returned_goods(
    state: &AppState,
    id: i64,
    now: i64,
) -> Result<(), RefundFlowError> {
    let refund = after_sales::receive_return(state, id, now).await?;
    send_after_commit(state, refund, now).await;
    Ok(())
}
