//! Refund rows: one per cash refund sent to WeChat Pay (`out_refund_no`),
//! moved through the typed state machine in [`status`] by conditional
//! updates. This module knows nothing of after-sales or WeChat: `payments`
//! sends refunds and applies WeChat's answers, and reports each move to the
//! after-sales request it belongs to.

pub mod status;

pub use status::RefundStatus;

use serde::Serialize;
use sqlx::AnyConnection;

/// Why the merchant's retry or close of a refund was refused.
#[derive(Debug, thiserror::Error)]
pub enum RefundError {
    #[error("refund not found")]
    NotFound,
    /// Only an ABNORMAL refund can be retried or closed; this is its status.
    #[error("refund is {0}, not abnormal")]
    NotAbnormal(String),
    /// It moved meanwhile (a notification won the race).
    #[error("refund state changed")]
    Changed,
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// Queue a refund (status `pending`); returns its id.
pub async fn insert(
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
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(order_id)
    .bind(after_sale_id)
    .bind(out_refund_no)
    .bind(amount)
    .bind(reason)
    .bind(RefundStatus::Pending.as_str())
    .bind(now)
    .fetch_one(conn)
    .await
}

/// What a moved refund belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    pub order_id: i64,
    pub after_sale_id: Option<i64>,
    pub amount: i64,
    pub user_id: i64,
}

/// Move a refund to `to` when the table allows it from its current state: one
/// conditional UPDATE. None (nothing changed) for a duplicate or a late,
/// out-of-order notice.
pub async fn mark(
    conn: &mut AnyConnection,
    refund_id: i64,
    to: RefundStatus,
    wechat_refund_id: Option<&str>,
    now: i64,
) -> sqlx::Result<Option<Moved>> {
    let from = to.sources();
    if from.is_empty() {
        return Ok(None);
    }
    let placeholders = (0..from.len())
        .map(|i| format!("${}", i + 5))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "UPDATE refunds SET status = $1, refund_id = COALESCE($2, refund_id), updated_at = $3,
             succeeded_at = CASE WHEN $1 = 'success' THEN $3 ELSE succeeded_at END
         WHERE id = $4 AND status IN ({placeholders})"
    );
    let mut q = sqlx::query(&sql)
        .bind(to.as_str())
        .bind(wechat_refund_id)
        .bind(now)
        .bind(refund_id);
    for f in from {
        q = q.bind(f.as_str());
    }
    if q.execute(&mut *conn).await?.rows_affected() != 1 {
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM refunds WHERE id = $1")
            .bind(refund_id)
            .fetch_optional(&mut *conn)
            .await?;
        if to == RefundStatus::Success && status.as_deref() == Some("superseded") {
            tracing::error!(
                refund_id,
                "a refund retried under a new number succeeded too: the cash went back twice; review it"
            );
        }
        return Ok(None);
    }
    let (order_id, after_sale_id, amount, user_id): (i64, Option<i64>, i64, i64) = sqlx::query_as(
        "SELECT r.order_id, r.after_sale_id, r.amount, o.user_id FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.id = $1",
    )
    .bind(refund_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Some(Moved {
        order_id,
        after_sale_id,
        amount,
        user_id,
    }))
}

/// An ABNORMAL refund (the merchant retries or closes only those):
/// (order, after-sale, amount, reason).
pub async fn abnormal(
    conn: &mut AnyConnection,
    refund_id: i64,
) -> Result<(i64, Option<i64>, i64, String), RefundError> {
    let row: Option<(i64, Option<i64>, i64, String, String)> = sqlx::query_as(
        "SELECT order_id, after_sale_id, amount, reason, status FROM refunds WHERE id = $1",
    )
    .bind(refund_id)
    .fetch_optional(&mut *conn)
    .await?;
    let (order_id, after_sale, amount, reason, status) = row.ok_or(RefundError::NotFound)?;
    if RefundStatus::parse(&status) != Some(RefundStatus::Abnormal) {
        return Err(RefundError::NotAbnormal(status));
    }
    Ok((order_id, after_sale, amount, reason))
}

/// The out_refund_no of the next attempt of an order's (or request's) refund:
/// `<first>-<n>`.
pub async fn next_out_refund_no(
    conn: &mut AnyConnection,
    order_id: i64,
    after_sale: Option<i64>,
) -> sqlx::Result<String> {
    let same = "FROM refunds WHERE order_id = $1 AND COALESCE(after_sale_id, 0) = $2";
    let first: String =
        sqlx::query_scalar(&format!("SELECT out_refund_no {same} ORDER BY id LIMIT 1"))
            .bind(order_id)
            .bind(after_sale.unwrap_or(0))
            .fetch_one(&mut *conn)
            .await?;
    let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {same}"))
        .bind(order_id)
        .bind(after_sale.unwrap_or(0))
        .fetch_one(&mut *conn)
        .await?;
    Ok(format!("{first}-{}", n + 1))
}

/// A send that failed: counted, its error kept, still pending (the job retries).
pub async fn record_send_failure(
    conn: &mut AnyConnection,
    refund_id: i64,
    error: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE refunds SET attempts = attempts + 1, last_error = $1, updated_at = $2 WHERE id = $3 AND status = 'pending'",
    )
    .bind(error)
    .bind(now)
    .bind(refund_id)
    .execute(conn)
    .await?;
    Ok(())
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
pub async fn list(
    conn: &mut AnyConnection,
    id: Option<i64>,
    status: &str,
) -> sqlx::Result<Vec<RefundView>> {
    list_of(conn, id, status, 0).await
}

/// An after-sales request's refunds, newest first.
pub async fn of_after_sale(
    conn: &mut AnyConnection,
    after_sale_id: i64,
) -> sqlx::Result<Vec<RefundView>> {
    list_of(conn, None, "", after_sale_id).await
}

async fn list_of(
    conn: &mut AnyConnection,
    id: Option<i64>,
    status: &str,
    after_sale_id: i64,
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
         FROM refunds WHERE ($1 = 0 OR id = $1) AND ($2 = '' OR status = $2)
             AND ($3 = 0 OR after_sale_id = $3) ORDER BY id DESC LIMIT 200",
    )
    .bind(id.unwrap_or(0))
    .bind(status)
    .bind(after_sale_id)
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
