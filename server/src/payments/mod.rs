//! Payment: prepay, settling a transaction (from the notification or from a
//! query, the same code), refunds through WeChat Pay and their notifications.
//!
//! A transaction changes an order exactly once: `pending_payment → paid` is a
//! conditional update through the state machine, so a duplicate notification,
//! a query racing a notification, or a notification after shipping all find
//! the order no longer unpaid and change nothing. A payment for a cancelled
//! order is refunded in full (a `refunds` row, sent after commit), never
//! turned into `paid`.

use serde::Serialize;

use sqlx::{AnyConnection, Row};

use crate::clock::beijing_rfc3339;
use crate::db;
use crate::notify::{self, Message};
use crate::orders;
use crate::orders::OrderStatus;
use crate::state::AppState;
use crate::wechat::pay::client::{PayError, Transaction};
use crate::wechat::pay::sign::RequestPayment;

mod refunding;
pub use refunding::{
    apply_refund_notice, apply_refund_status, approve_after_sale, close_refund,
    receive_returned_goods, retry_refund, retry_refunds, send_refund, RefundFlowError,
};

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

/// Why a prepay was refused.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("order not found")]
    NotFound,
    /// Not unpaid any more (paid, cancelled, …).
    #[error("order {0:?} cannot be paid")]
    NotPayable(OrderStatus),
    #[error("order expired")]
    Expired,
    #[error("wechat pay: {0}")]
    WeChat(#[from] PayError),
    #[error(transparent)]
    Order(#[from] orders::OrderError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

/// Create (or reuse) the JSAPI prepay for an unpaid order of this shopper.
pub async fn prepay(
    state: &AppState,
    order_id: i64,
    user_id: i64,
    now: i64,
) -> Result<PayResponse, PaymentError> {
    let mut conn = state.db.pool.acquire().await?;
    // By the primary key alone, the owner compared here: `AND o.user_id = $2`
    // let PostgreSQL's plans cached on tables without statistics (a new shop's)
    // take the (user_id, paid_at) index on ties and scan all the shopper's orders.
    let row = sqlx::query(
        "SELECT o.order_no, o.status, o.payable, o.expires_at, o.prepay_id, o.prepay_at, u.openid,
                o.user_id, (SELECT title FROM order_lines l WHERE l.order_id = o.id ORDER BY l.id LIMIT 1) AS title
         FROM orders o JOIN users u ON u.id = o.user_id WHERE o.id = $1",
    )
    .bind(order_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(PaymentError::NotFound)?;
    if row.try_get::<i64, _>("user_id")? != user_id {
        return Err(PaymentError::NotFound);
    }
    let status = OrderStatus::parse(&row.try_get::<String, _>("status")?)
        .ok_or_else(|| anyhow::anyhow!("unknown status"))?;
    if status != OrderStatus::PendingPayment {
        return Err(PaymentError::NotPayable(status));
    }
    let expires_at: i64 = row.try_get("expires_at")?;
    if expires_at <= now {
        return Err(PaymentError::Expired);
    }
    // The amount is the order's stored payable, never a client figure.
    let payable: i64 = row.try_get("payable")?;
    drop(conn);
    if payable == 0 {
        let mut tx = state.db.begin_write().await?;
        let r = async {
            let order = paying(state, &mut tx, PaidFor::Id(order_id), now)
                .await?
                .ok_or(orders::OrderError::NotFound)?;
            mark_paid(state, &mut tx, &order, None, 0, "system", now).await
        }
        .await;
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
                .await?;
            // On SQLite in the writer's next batch (`db::writer`), on
            // PostgreSQL on its own.
            let prepay = id.clone();
            state
                .db
                .write_one(move |conn| {
                    Box::pin(async move {
                        sqlx::query(
                            "UPDATE orders SET prepay_id = $1, prepay_at = $2 WHERE id = $3 AND status = $4",
                        )
                        .bind(&prepay)
                        .bind(now)
                        .bind(order_id)
                        .bind(OrderStatus::PendingPayment.as_str())
                        .execute(conn)
                        .await?;
                        Ok::<_, PaymentError>(())
                    })
                })
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

/// The order as a payment finds it, read once: locked on PostgreSQL, so a
/// cancel racing this payment waits, then finds it paid (or the payment finds
/// it cancelled and takes the refund path), never between.
pub struct Paying {
    pub id: i64,
    pub status: OrderStatus,
    pub payable: i64,
    pub transaction_id: Option<String>,
    user_id: i64,
    order_no: String,
    delivery: String,
    snapshot: String,
    distribution: Option<String>,
    /// A 拼团 seat taken by this order and not yet paid (taken when it was
    /// placed, never later): only then is there a seat to fill.
    holds_seat: bool,
    /// The shopper's session the payment is attributed to
    /// (`events::attributed_session`), read with the order.
    session: Option<String>,
}

/// Which order a payment is for.
pub enum PaidFor<'a> {
    Id(i64),
    /// WeChat Pay's `out_trade_no`.
    OrderNo(&'a str),
}

/// The order a payment at `now` is for, in the payment's transaction; `None`
/// when there is no such order.
pub async fn paying(
    state: &AppState,
    conn: &mut AnyConnection,
    by: PaidFor<'_>,
    now: i64,
) -> Result<Option<Paying>, orders::OrderError> {
    let column = match by {
        PaidFor::Id(_) => "id",
        PaidFor::OrderNo(_) => "order_no",
    };
    let sql = format!(
        "SELECT id, status, payable, transaction_id, user_id, order_no, delivery, snapshot, distribution,
                CAST(CASE WHEN EXISTS (SELECT 1 FROM group_members g
                                       WHERE g.order_id = orders.id AND g.status = 'held')
                          THEN 1 ELSE 0 END AS BIGINT) AS holds_seat,
                {} AS session
         FROM orders WHERE {column} = $1{}",
        crate::events::attributed_session(2),
        state.db.for_update()
    );
    let q = sqlx::query(&sql);
    let q = match by {
        PaidFor::Id(id) => q.bind(id),
        PaidFor::OrderNo(no) => q.bind(no),
    };
    let q = q.bind(crate::events::attribution_window(now));
    let Some(row) = q.fetch_optional(&mut *conn).await? else {
        return Ok(None);
    };
    let status: String = row.try_get("status")?;
    Ok(Some(Paying {
        id: row.try_get("id")?,
        status: OrderStatus::parse(&status)
            .ok_or_else(|| anyhow::anyhow!("unknown order status {status}"))?,
        payable: row.try_get("payable")?,
        transaction_id: row.try_get("transaction_id")?,
        user_id: row.try_get("user_id")?,
        order_no: row.try_get("order_no")?,
        delivery: row.try_get("delivery")?,
        snapshot: row.try_get("snapshot")?,
        distribution: row.try_get("distribution")?,
        holds_seat: row.try_get::<i64, _>("holds_seat")? == 1,
        session: row.try_get("session")?,
    }))
}

/// `pending_payment → paid` with its effects: the transaction recorded, the
/// pickup code, commission earned, the "paid" message queued. `order` is
/// [`paying`]'s read in this transaction.
pub async fn mark_paid(
    state: &AppState,
    conn: &mut AnyConnection,
    order: &Paying,
    transaction_id: Option<&str>,
    amount: i64,
    actor: &str,
    now: i64,
) -> Result<(), orders::OrderError> {
    let pickup = orders::ship::delivery_kind(&order.delivery) == "pickup";
    let pickup_code = pickup.then(|| {
        use rand::Rng;
        format!(
            "{:012}",
            rand::rngs::OsRng.gen_range(0..1_000_000_000_000u64)
        )
    });
    let payment = orders::Payment {
        transaction_id,
        amount,
        pickup_code,
    };
    // The payment's own writes go together (`db::Batch`): the order's UPDATE
    // and event, the "paid" message, the session's attribution.
    let message = Message::OrderPaid {
        order_id: order.id,
        order_no: order.order_no.clone(),
        amount,
        at: now,
    };
    let mut batch = db::Batch::new();
    let paid = orders::push_pay(&mut batch, order.id, order.status, &payment, actor, now)?;
    notify::push_enqueue(
        &mut batch,
        &state.config.templates,
        order.user_id,
        &message,
        now,
    );
    crate::events::push_order_paid(&mut batch, order.id, order.session.as_deref(), now);
    let changed = batch.run(&mut *conn).await?;
    paid.check(&mut *conn, &changed).await?;
    crate::distribution::earn_on_payment(
        &mut *conn,
        order.id,
        order.distribution.as_deref(),
        &order.snapshot,
        now,
    )
    .await?;
    if order.holds_seat {
        crate::group_buy::on_paid(&mut *conn, &state.config.templates, order.id, now)
            .await
            .map_err(|e| orders::OrderError::Other(anyhow::anyhow!("group buy: {e}")))?;
    }
    Ok(())
}

/// The merchant records a payment received outside WeChat Pay, for the
/// order's payable.
pub async fn mark_paid_by_merchant(
    state: &AppState,
    order_id: i64,
    now: i64,
) -> Result<(), orders::OrderError> {
    let mut tx = state.db.begin_write().await?;
    let r = async {
        let order = paying(state, &mut tx, PaidFor::Id(order_id), now)
            .await?
            .ok_or(orders::OrderError::NotFound)?;
        mark_paid(state, &mut tx, &order, None, order.payable, "merchant", now).await
    }
    .await;
    db::finish(tx, r).await
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

impl From<anyhow::Error> for Reject {
    fn from(e: anyhow::Error) -> Self {
        Reject::Internal(format!("{e:#}"))
    }
}

impl From<RefundFlowError> for Reject {
    fn from(e: RefundFlowError) -> Self {
        Reject::Internal(e.to_string())
    }
}

impl From<orders::OrderError> for Reject {
    fn from(e: orders::OrderError) -> Self {
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
    // On SQLite in the writer's next batch, beside the orders being placed.
    let (st, t, total, currency, transaction_id, source) = (
        state.clone(),
        t.clone(),
        amount.total,
        amount.currency.clone(),
        transaction_id.to_string(),
        source.to_string(),
    );
    let s = state
        .db
        .write(move |tx| {
            Box::pin(async move {
                apply_in(&st, tx, &t, total, &currency, &transaction_id, &source, now).await
            })
        })
        .await?;
    if let Settled::LateRefund(id) = s {
        if let Err(e) = send_refund(state, id, now).await {
            tracing::warn!(error = %e, "late-payment refund not sent yet; will retry");
        }
    }
    Ok(s)
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
    let order = paying(state, &mut *conn, PaidFor::OrderNo(&t.out_trade_no), now)
        .await?
        .ok_or(Reject::UnknownOrder)?;
    let (order_id, payable) = (order.id, order.payable);
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
    let known = order.transaction_id.as_deref();
    match order.status {
        OrderStatus::PendingPayment => {
            mark_paid(
                state,
                conn,
                &order,
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
            let id = crate::refunds::insert(
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
            if known != Some(transaction_id) {
                tracing::warn!(
                    order_id,
                    "a second transaction for one order: left for review"
                );
            }
            Ok(Settled::NoEffect)
        }
    }
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
            .execute(&mut *state.db.write_conn().await?)
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
