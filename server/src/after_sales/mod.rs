//! After-sales (售后): refund-only and return-and-refund requests by line and
//! quantity. Every amount comes from the core's refund rule over the order's
//! stored `OrderSnapshot` (`mall_core::refund`), with the refunds already
//! approved (read from the database) as `previous`, so a sequence of partial
//! refunds can never pay back more than the order's payable. Approval applies
//! the business effects in one transaction — units marked refunded, points
//! returned, coupons returned when the whole order is, commission reversed
//! (`mall_core::commission_reversal`), stock back when the goods are — and
//! queues the cash refund, which is sent to WeChat Pay after commit.
//!
//! A refund that ends CLOSED (WeChat closed it, or the merchant gave up on an
//! ABNORMAL one) is undone by [`revert_in`], once, in the transaction that
//! closes it: units refundable again, returned points taken back (a debt when
//! the buyer already spent them), returned coupons consumed again, the
//! commission reversal reversed, stock taken back where the goods were not
//! returned, the order out of `refunded`. A closed request is no longer
//! `previous` for the core. An ABNORMAL refund can be retried (same amount,
//! new out_refund_no: `payments::retry_refund`).
//!
//! The state machine is [`status`]: one enum, one transition table. Approval
//! returns the refund to send; the caller sends it after commit
//! (`payments::send_refund`), and a refund's outcome comes back through
//! [`on_refund`], so this module never calls payments.

use mall_core::commission::{commission_reversal, CommissionInput};
use mall_core::refund::{refund, RefundInput, RefundItem, RefundRecord, RefundRequest};
use mall_core::{OrderSnapshot, RefundQuote};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use sqlx::{AnyConnection, Row};

use crate::coupons;
use crate::db;
use crate::distribution::{self, Distribution};
use crate::members::users;
use crate::orders;
use crate::orders::{Action, OrderStatus};
use crate::refunds::{self, RefundStatus};
use crate::state::AppState;

pub mod status;
pub use status::{AfterSaleStatus, Step};

/// Why an after-sales operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum AfterSaleError {
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The order cannot be taken to after-sales (the shopper's message).
    #[error("after-sales not allowed: {0}")]
    NotAllowed(String),
    /// The request is in a state the step does not start from (the message
    /// names it).
    #[error("after-sales state: {0}")]
    State(String),
    /// The core's refund rule refused the request.
    #[error("rule: {0}")]
    Rule(#[from] mall_core::RuleError),
    #[error(transparent)]
    Order(#[from] crate::orders::OrderError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    RefundOnly,
    ReturnRefund,
}

/// Requests whose units are taken (open or approved). A closed refund was
/// undone: its units are free again.
fn taken() -> String {
    status::quoted(
        AfterSaleStatus::ALL
            .into_iter()
            .filter(|s| s.is_open())
            .map(AfterSaleStatus::as_str),
    )
}

/// Requests whose refund is decided (approved) and stands: pending, successful
/// or abnormal (retried or closed by the merchant), never closed.
fn approved() -> String {
    status::quoted(
        AfterSaleStatus::ALL
            .into_iter()
            .filter(|s| s.is_approved())
            .map(AfterSaleStatus::as_str),
    )
}

/// Refund rows whose cash is out or may still go out.
fn live_refunds() -> String {
    status::quoted(
        RefundStatus::ALL
            .into_iter()
            .filter(|s| s.is_live())
            .map(RefundStatus::as_str),
    )
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AfterSaleView {
    pub id: i64,
    pub order_id: i64,
    pub kind: Kind,
    pub status: String,
    pub items: Vec<RefundItem>,
    pub include_shipping: bool,
    pub reason: String,
    /// Cash refunded (fen): the core's figure.
    pub amount: i64,
    pub points_returned: i64,
    pub coupons_returned: Vec<String>,
    pub whole_order: bool,
    pub reject_reason: Option<String>,
    pub return_carrier: Option<String>,
    pub return_tracking_no: Option<String>,
    pub refund_status: Option<String>,
    /// The latest refund row (the merchant retries or closes an ABNORMAL one by it).
    pub refund_id: Option<i64>,
    /// What closing the refund undid (`refund_closed` only).
    pub reversal: Option<Reversal>,
    pub created_at: i64,
}

/// What closing a refund undid, and what it could not.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reversal {
    /// Units refundable again.
    pub units: Vec<RefundItem>,
    /// Cash no longer counted as refunded (fen).
    pub amount: i64,
    pub points_taken_back: i64,
    /// Returned points the buyer had already spent: the balance stays at zero
    /// and this is added to `users.points_debt`.
    pub points_short: i64,
    pub coupons_reconsumed: Vec<String>,
    /// Returned coupons used on another order meanwhile: left there.
    pub coupons_not_recovered: Vec<String>,
    /// Commission earned again (the reversal's negative rows offset), fen.
    pub commission_restored: i64,
    /// Stock taken back (refund only of unshipped goods, which were restocked).
    pub stock_taken_back: i64,
    /// Units sold to someone else meanwhile: stock stays at zero.
    pub stock_short: i64,
    /// The order left `refunded` for this status.
    pub order_reopened: Option<OrderStatus>,
    pub at: i64,
}

/// Refund records of an order's requests in `statuses`, except request `except`.
/// An approved request carries what it actually refunded, from the quote stored
/// when it was approved: the cash per line and the points given back, so that
/// after a refund in the middle was closed the core still reconciles each line
/// to what it paid. A request not yet approved (its quote is the request's
/// estimate), or an older one whose cash was reconciled away from its quote,
/// carries neither: the core counts it by units.
async fn records(
    conn: &mut AnyConnection,
    order_id: i64,
    statuses: &str,
    except: i64,
) -> anyhow::Result<Vec<RefundRecord>> {
    type Row = (String, i64, String, i64, i64, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT items, include_shipping, status, amount, points_returned, refund_quote
         FROM after_sales WHERE order_id = $1 AND id <> $2 AND status IN ({statuses}) ORDER BY id"
    ))
    .bind(order_id)
    .bind(except)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(items, ship, status, amount, points, quote)| {
            let approved = AfterSaleStatus::parse(&status).is_some_and(|s| s.is_approved());
            let quote: Option<RefundQuote> = match quote {
                Some(q) if approved => Some(serde_json::from_str(&q)?),
                _ => None,
            };
            let lines = quote
                .as_ref()
                .filter(|q| q.amount.as_fen() == amount)
                .map(|q| {
                    q.lines
                        .iter()
                        .map(|l| mall_core::refund::RefundedLine {
                            line_id: l.line_id.clone(),
                            quantity: l.quantity,
                            amount: l.amount,
                        })
                        .collect()
                });
            Ok(RefundRecord {
                items: serde_json::from_str(&items)?,
                shipping_refunded: ship != 0,
                lines,
                points_returned: quote.and(u64::try_from(points).ok()),
            })
        })
        .collect()
}

async fn snapshot(conn: &mut AnyConnection, order_id: i64) -> anyhow::Result<OrderSnapshot> {
    let s: String = sqlx::query_scalar("SELECT snapshot FROM orders WHERE id = $1")
        .bind(order_id)
        .fetch_one(conn)
        .await?;
    Ok(serde_json::from_str(&s)?)
}

/// The shopper's order, in a status that takes after-sales requests; returns its payable.
async fn requestable(
    conn: &mut AnyConnection,
    user_id: i64,
    order_id: i64,
) -> Result<i64, AfterSaleError> {
    let (status, payable): (String, i64) =
        sqlx::query_as("SELECT status, payable FROM orders WHERE id = $1 AND user_id = $2")
            .bind(order_id)
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(AfterSaleError::NotFound("order"))?;
    let status = OrderStatus::parse(&status).ok_or_else(|| anyhow::anyhow!("status"))?;
    if !matches!(
        status,
        OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Completed
    ) {
        return Err(AfterSaleError::NotAllowed(format!(
            "订单{}，不能申请售后",
            status.label()
        )));
    }
    Ok(payable)
}

/// What approving a request for these units would decide: the core's refund
/// over the snapshot with the approved requests (`previous`, with what each
/// actually refunded) as earlier refunds, and its cash. The core reconciles
/// each line to what it paid, a closed refund in the middle included; the cash
/// out is only checked against the payable, never adjusted.
async fn decide(
    conn: &mut AnyConnection,
    order_id: i64,
    payable: i64,
    order: OrderSnapshot,
    previous: Vec<RefundRecord>,
    request: RefundRequest,
) -> Result<(RefundQuote, i64), AfterSaleError> {
    let quote: RefundQuote = refund(&RefundInput {
        order,
        previous,
        request,
    })?;
    let amount = quote.amount.as_fen();
    // The refunds' own books must agree: never past the payable.
    let live: i64 = sqlx::query_scalar(&format!(
        "SELECT COALESCE(CAST(SUM(amount) AS BIGINT), 0) FROM refunds WHERE order_id = $1 AND status IN ({})",
        live_refunds()
    ))
    .bind(order_id)
    .fetch_one(&mut *conn)
    .await?;
    if live + amount > payable {
        return Err(anyhow::anyhow!(
            "order {order_id}: refunding {amount} after {live} would pass the payable {payable}"
        )
        .into());
    }
    Ok((quote, amount))
}

/// What a request would refund if it were made and approved now (nothing is
/// stored): the same checks as [`request`], the same decision as approval.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// Cash (fen).
    pub amount: i64,
    pub points_returned: i64,
    /// Whether coupons come back (only with the whole order), and which.
    pub coupons_back: bool,
    pub coupons_returned: Vec<String>,
    pub whole_order: bool,
}

pub async fn preview(
    state: &AppState,
    user_id: i64,
    order_id: i64,
    items: Vec<RefundItem>,
    include_shipping: bool,
) -> Result<Preview, AfterSaleError> {
    let mut conn = state.db.pool.acquire().await?;
    let payable = requestable(&mut conn, user_id, order_id).await?;
    let order = snapshot(&mut conn, order_id).await?;
    let items: Vec<RefundItem> = items.into_iter().filter(|i| i.quantity > 0).collect();
    let request = RefundRequest {
        items,
        include_shipping,
    };
    // Units other requests hold are refused, as a request would be.
    refund(&RefundInput {
        order: order.clone(),
        previous: records(&mut conn, order_id, &taken(), 0).await?,
        request: request.clone(),
    })?;
    let previous = records(&mut conn, order_id, &approved(), 0).await?;
    let (quote, amount) = decide(&mut conn, order_id, payable, order, previous, request).await?;
    Ok(Preview {
        amount,
        points_returned: quote.points_returned as i64,
        coupons_back: !quote.coupons_returned.is_empty(),
        coupons_returned: quote.coupons_returned,
        whole_order: quote.whole_order,
    })
}

/// A shopper asks for a refund of some units (and maybe the delivery fee).
#[allow(clippy::too_many_arguments)]
pub async fn request(
    state: &AppState,
    user_id: i64,
    order_id: i64,
    kind: Kind,
    items: Vec<RefundItem>,
    include_shipping: bool,
    reason: &str,
    now: i64,
) -> Result<i64, AfterSaleError> {
    let mut tx = state.db.begin_write().await?;
    let r: Result<_, AfterSaleError> = async {
        requestable(&mut tx, user_id, order_id).await?;
        users::lock(&mut tx, user_id).await?;
        let order = snapshot(&mut tx, order_id).await?;
        let previous = records(&mut tx, order_id, &taken(), 0).await?;
        let items: Vec<RefundItem> = items.into_iter().filter(|i| i.quantity > 0).collect();
        let quote = refund(&RefundInput {
            order,
            previous,
            request: RefundRequest {
                items: items.clone(),
                include_shipping,
            },
        })?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO after_sales (order_id, user_id, kind, status, items, include_shipping, reason, amount,
                 points_returned, coupons_returned, whole_order, refund_quote, created_at, updated_at)
             VALUES ($1, $2, $3, 'requested', $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
        )
        .bind(order_id)
        .bind(user_id)
        .bind(serde_json::to_value(kind).map_err(anyhow::Error::from)?.as_str().unwrap_or(""))
        .bind(serde_json::to_string(&items).map_err(anyhow::Error::from)?)
        .bind(db::flag(include_shipping))
        .bind(reason.chars().take(200).collect::<String>())
        .bind(quote.amount.as_fen())
        .bind(quote.points_returned as i64)
        .bind(serde_json::to_string(&quote.coupons_returned).map_err(anyhow::Error::from)?)
        .bind(db::flag(quote.whole_order))
        .bind(serde_json::to_string(&quote).map_err(anyhow::Error::from)?)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        Ok(id)
    }
    .await;
    db::finish(tx, r).await
}

/// Take `step` on request `id`: one conditional UPDATE from the step's
/// source states (the table in [`status`]); a request in any other state is
/// refused with its current state.
async fn step(
    conn: &mut AnyConnection,
    id: i64,
    step: Step,
    now: i64,
) -> Result<(), AfterSaleError> {
    let from = step.from_statuses();
    let placeholders = (0..from.len())
        .map(|i| format!("${}", i + 4))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "UPDATE after_sales SET status = $1, updated_at = $2 WHERE id = $3 AND status IN ({placeholders})"
    );
    let mut q = sqlx::query(&sql)
        .bind(step.to().as_str())
        .bind(now)
        .bind(id);
    for f in from {
        q = q.bind(f.as_str());
    }
    let r = q.execute(&mut *conn).await?;
    if r.rows_affected() != 1 {
        let now_status: Option<String> =
            sqlx::query_scalar("SELECT status FROM after_sales WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
        return match now_status {
            None => Err(AfterSaleError::NotFound("after-sale")),
            Some(s) => Err(AfterSaleError::State(format!(
                "售后单当前状态为{}，不能进行此操作",
                AfterSaleStatus::parse(&s).map_or(s.as_str(), |a| a.label())
            ))),
        };
    }
    Ok(())
}

/// A refund of request `id` moved to `to` (`payments` reports it, in the
/// transaction that moved it): the request follows; a closed refund undoes
/// its approval ([`revert_in`]).
pub async fn on_refund(
    conn: &mut AnyConnection,
    id: i64,
    to: RefundStatus,
    now: i64,
) -> Result<(), AfterSaleError> {
    let step = match to {
        RefundStatus::Success => Step::RefundSucceeded,
        RefundStatus::Abnormal => Step::RefundAbnormal,
        RefundStatus::Closed => {
            revert_in(conn, id, "refund closed", now).await?;
            return Ok(());
        }
        RefundStatus::Pending | RefundStatus::Processing | RefundStatus::Superseded => {
            return Ok(())
        }
    };
    match self::step(conn, id, step, now).await {
        // Already there (a duplicate notice) or moved on: nothing to do.
        Err(AfterSaleError::State(_)) => Ok(()),
        r => r,
    }
}

/// The merchant re-sent an abnormal refund: the request is refunding again.
pub async fn on_refund_retried(
    conn: &mut AnyConnection,
    id: i64,
    now: i64,
) -> Result<(), AfterSaleError> {
    step(conn, id, Step::RefundRetried, now).await
}

/// Merchant approves: refund-only → refund now (the refund to send after
/// commit is returned); return → wait for the goods.
pub async fn approve(state: &AppState, id: i64, now: i64) -> Result<Option<i64>, AfterSaleError> {
    let kind: Option<String> = sqlx::query_scalar("SELECT kind FROM after_sales WHERE id = $1")
        .bind(id)
        .fetch_optional(&state.db.pool)
        .await?;
    match kind.as_deref() {
        None => Err(AfterSaleError::NotFound("after-sale")),
        Some("return_refund") => {
            let mut tx = state.db.begin_write().await?;
            let r = step(&mut tx, id, Step::ApproveReturn, now).await;
            db::finish(tx, r).await.map(|()| None)
        }
        Some(_) => execute(state, id, Step::ApproveRefund, now).await,
    }
}

/// Merchant received the returned goods: refund now (the refund to send is returned).
pub async fn receive_return(
    state: &AppState,
    id: i64,
    now: i64,
) -> Result<Option<i64>, AfterSaleError> {
    execute(state, id, Step::ReceiveReturn, now).await
}

pub async fn reject(
    state: &AppState,
    id: i64,
    reason: &str,
    now: i64,
) -> Result<(), AfterSaleError> {
    let mut tx = state.db.begin_write().await?;
    let r: Result<_, AfterSaleError> = async {
        step(&mut tx, id, Step::Reject, now).await?;
        sqlx::query("UPDATE after_sales SET reject_reason = $1 WHERE id = $2")
            .bind(reason)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
    .await;
    db::finish(tx, r).await
}

pub async fn shopper_return(
    state: &AppState,
    user_id: i64,
    id: i64,
    carrier: &str,
    tracking: &str,
    now: i64,
) -> Result<(), AfterSaleError> {
    let mut tx = state.db.begin_write().await?;
    let r: Result<_, AfterSaleError> = async {
        let owner: Option<i64> =
            sqlx::query_scalar("SELECT user_id FROM after_sales WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        if owner != Some(user_id) {
            return Err(AfterSaleError::NotFound("after-sale"));
        }
        step(&mut tx, id, Step::ShopperReturns, now).await?;
        sqlx::query(
            "UPDATE after_sales SET return_carrier = $1, return_tracking_no = $2 WHERE id = $3",
        )
        .bind(carrier)
        .bind(tracking)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
    .await;
    db::finish(tx, r).await
}

/// Decide the refund with the core and apply its effects; the refund row to
/// send (after commit) is returned.
async fn execute(
    state: &AppState,
    id: i64,
    step: Step,
    now: i64,
) -> Result<Option<i64>, AfterSaleError> {
    let mut tx = state.db.begin_write().await?;
    let r = execute_in(&mut tx, id, step, now).await;
    db::finish(tx, r).await
}

async fn execute_in(
    conn: &mut AnyConnection,
    id: i64,
    step: Step,
    now: i64,
) -> Result<Option<i64>, AfterSaleError> {
    let row = sqlx::query(
        "SELECT order_id, kind, items, include_shipping FROM after_sales WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AfterSaleError::NotFound("after-sale"))?;
    let order_id: i64 = row.try_get("order_id")?;
    let kind: String = row.try_get("kind")?;
    let items: Vec<RefundItem> =
        serde_json::from_str(&row.try_get::<String, _>("items")?).map_err(anyhow::Error::from)?;
    let include_shipping = row.try_get::<i64, _>("include_shipping")? != 0;
    let o = sqlx::query(
        "SELECT user_id, order_no, status, payable, distribution FROM orders WHERE id = $1",
    )
    .bind(order_id)
    .fetch_one(&mut *conn)
    .await?;
    let user_id: i64 = o.try_get("user_id")?;
    let order_no: String = o.try_get("order_no")?;
    let status = OrderStatus::parse(&o.try_get::<String, _>("status")?)
        .ok_or_else(|| anyhow::anyhow!("status"))?;
    users::lock(&mut *conn, user_id).await?;
    // Claim the request first: a second approval finds it moved on.
    self::step(&mut *conn, id, step, now).await?;
    let order = snapshot(&mut *conn, order_id).await?;
    let previous = records(&mut *conn, order_id, &approved(), id).await?;
    let (quote, amount) = decide(
        &mut *conn,
        order_id,
        o.try_get("payable")?,
        order.clone(),
        previous.clone(),
        RefundRequest {
            items: items.clone(),
            include_shipping,
        },
    )
    .await?;
    let restock = kind == "return_refund" || status == OrderStatus::Paid;
    sqlx::query(
        "UPDATE after_sales SET amount = $1, points_returned = $2, coupons_returned = $3, whole_order = $4, refund_quote = $5,
             restocked = $6 WHERE id = $7",
    )
    .bind(amount)
    .bind(quote.points_returned as i64)
    .bind(serde_json::to_string(&quote.coupons_returned).map_err(anyhow::Error::from)?)
    .bind(db::flag(quote.whole_order))
    .bind(serde_json::to_string(&quote).map_err(anyhow::Error::from)?)
    .bind(db::flag(restock))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    for l in &quote.lines {
        sqlx::query("UPDATE order_lines SET refunded_quantity = refunded_quantity + $1 WHERE order_id = $2 AND line_id = $3 AND refunded_quantity + $1 <= quantity")
            .bind(l.quantity as i64)
            .bind(order_id)
            .bind(&l.line_id)
            .execute(&mut *conn)
            .await?;
        if restock {
            let (sku, after): (i64, i64) = sqlx::query_as("UPDATE skus SET stock = stock + $1, sales = sales - $1 WHERE id = (SELECT sku_id FROM order_lines WHERE order_id = $2 AND line_id = $3) RETURNING id, stock")
                .bind(l.quantity as i64)
                .bind(order_id)
                .bind(&l.line_id)
                .fetch_one(&mut *conn)
                .await?;
            let q = l.quantity as i64;
            let why = crate::stock::ledger::REFUND_RESTOCKED;
            crate::stock::ledger::record(
                conn,
                sku,
                after - q,
                after,
                why,
                "system",
                Some(order_id),
                now,
            )
            .await?;
        }
    }
    crate::orders::count_refund(&mut *conn, order_id, amount, now).await?;
    if quote.points_returned > 0 {
        users::add_points(
            &mut *conn,
            user_id,
            quote.points_returned as i64,
            "refund",
            Some(order_id),
            now,
        )
        .await?;
    }
    if !quote.coupons_returned.is_empty() {
        coupons::release_for_order(&mut *conn, order_id).await?;
    }
    if let Some(dist) = o.try_get::<Option<String>, _>("distribution")? {
        let d: Distribution = serde_json::from_str(&dist).map_err(anyhow::Error::from)?;
        let refunded: Vec<RefundItem> = previous.iter().flat_map(|r| r.items.clone()).collect();
        let rev = commission_reversal(
            &CommissionInput {
                rule: d.rule,
                promoters: d.promoters,
                order: order.clone(),
                refunded,
            },
            &quote
                .lines
                .iter()
                .map(|l| RefundItem {
                    line_id: l.line_id.clone(),
                    quantity: l.quantity,
                })
                .collect::<Vec<_>>(),
        )?;
        for s in rev.shares {
            if !s.amount.is_zero() {
                distribution::insert_commission(
                    &mut *conn,
                    order_id,
                    Some(id),
                    s.level as i64,
                    &s.promoter_id,
                    -s.amount.as_fen(),
                    now,
                )
                .await?;
            }
        }
    }
    if quote.whole_order {
        orders::transition(
            &mut *conn,
            order_id,
            None,
            Action::RefundAll,
            "merchant",
            now,
        )
        .await?;
    }
    if amount == 0 {
        self::step(&mut *conn, id, Step::RefundSucceeded, now).await?;
        return Ok(None);
    }
    let rid = refunds::insert(
        &mut *conn,
        order_id,
        Some(id),
        &format!("{order_no}R{id}"),
        amount,
        "售后退款",
        now,
    )
    .await?;
    Ok(Some(rid))
}

/// Undo what approving request `id` applied, because its refund ended
/// CLOSED: once (the request moves `refunding | refund_abnormal →
/// refund_closed` conditionally; None when it already moved), in the caller's
/// transaction.
pub async fn revert_in(
    conn: &mut AnyConnection,
    id: i64,
    actor: &str,
    now: i64,
) -> Result<Option<Reversal>, AfterSaleError> {
    let Some(row) = sqlx::query(
        "SELECT order_id, user_id, kind, amount, points_returned, coupons_returned, restocked, refund_quote
         FROM after_sales WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let order_id: i64 = row.try_get("order_id")?;
    let user_id: i64 = row.try_get("user_id")?;
    users::lock(&mut *conn, user_id).await?;
    let moved = sqlx::query(&format!(
        "UPDATE after_sales SET status = '{}', updated_at = $1 WHERE id = $2 AND status IN ({})",
        Step::RefundClosed.to().as_str(),
        status::sql_list(Step::RefundClosed.from_statuses())
    ))
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if moved.rows_affected() != 1 {
        return Ok(None);
    }
    let kind: String = row.try_get("kind")?;
    let amount: i64 = row.try_get("amount")?;
    let points: i64 = row.try_get("points_returned")?;
    let coupons: Vec<String> = serde_json::from_str(&row.try_get::<String, _>("coupons_returned")?)
        .map_err(anyhow::Error::from)?;
    let restocked = row.try_get::<i64, _>("restocked")? != 0;
    let quote: RefundQuote = serde_json::from_str(
        &row.try_get::<Option<String>, _>("refund_quote")?
            .ok_or_else(|| anyhow::anyhow!("after-sale {id} has no refund quote"))?,
    )
    .map_err(anyhow::Error::from)?;
    let mut rev = Reversal {
        amount,
        at: now,
        ..Reversal::default()
    };

    // Units refundable again; stock back out where the goods never left.
    for l in &quote.lines {
        let q = l.quantity as i64;
        let r = sqlx::query(
            "UPDATE order_lines SET refunded_quantity = refunded_quantity - $1
             WHERE order_id = $2 AND line_id = $3 AND refunded_quantity >= $1",
        )
        .bind(q)
        .bind(order_id)
        .bind(&l.line_id)
        .execute(&mut *conn)
        .await?;
        if r.rows_affected() != 1 {
            return Err(
                anyhow::anyhow!("after-sale {id}: line {} was not refunded", l.line_id).into(),
            );
        }
        rev.units.push(RefundItem {
            line_id: l.line_id.clone(),
            quantity: l.quantity,
        });
        if restocked && kind == "refund_only" {
            let (sku, stock): (i64, i64) = sqlx::query_as(
                "SELECT s.id, s.stock FROM skus s JOIN order_lines l ON l.sku_id = s.id
                 WHERE l.order_id = $1 AND l.line_id = $2",
            )
            .bind(order_id)
            .bind(&l.line_id)
            .fetch_one(&mut *conn)
            .await?;
            let take = q.min(stock.max(0));
            let after: i64 = sqlx::query_scalar(
                "UPDATE skus SET stock = stock - $1, sales = sales + $2 WHERE id = $3 RETURNING stock",
            )
            .bind(take)
            .bind(q)
            .bind(sku)
            .fetch_one(&mut *conn)
            .await?;
            if take > 0 {
                let why = crate::stock::ledger::REFUND_CLOSED;
                crate::stock::ledger::record(
                    conn,
                    sku,
                    after + take,
                    after,
                    why,
                    actor,
                    Some(order_id),
                    now,
                )
                .await?;
            }
            rev.stock_taken_back += take;
            rev.stock_short += q - take;
        }
    }
    sqlx::query(
        "UPDATE orders SET refunded_amount = refunded_amount - $1, updated_at = $2 WHERE id = $3",
    )
    .bind(amount)
    .bind(now)
    .bind(order_id)
    .execute(&mut *conn)
    .await?;

    // Points back from the buyer, never below zero: the rest is a debt.
    if points > 0 {
        let balance: i64 = sqlx::query_scalar("SELECT points FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&mut *conn)
            .await?;
        let take = points.min(balance.max(0));
        if take > 0
            && !users::add_points(
                &mut *conn,
                user_id,
                -take,
                "refund closed",
                Some(order_id),
                now,
            )
            .await?
        {
            return Err(anyhow::anyhow!("points of user {user_id} moved under the lock").into());
        }
        rev.points_taken_back = take;
        rev.points_short = points - take;
        if rev.points_short > 0 {
            sqlx::query("UPDATE users SET points_debt = points_debt + $1 WHERE id = $2")
                .bind(rev.points_short)
                .bind(user_id)
                .execute(&mut *conn)
                .await?;
            tracing::warn!(
                after_sale = id,
                user_id,
                short = rev.points_short,
                "refund closed: returned points already spent, recorded as a points debt"
            );
        }
    }

    // Coupons returned with the whole order are consumed by it again.
    for c in coupons {
        let back = match c.parse::<i64>() {
            Ok(cid) => coupons::consume(&mut *conn, user_id, cid, order_id, now).await?,
            Err(_) => false,
        };
        if back {
            rev.coupons_reconsumed.push(c);
        } else {
            tracing::warn!(
                after_sale = id,
                coupon = %c,
                "refund closed: returned coupon already used elsewhere"
            );
            rev.coupons_not_recovered.push(c);
        }
    }

    // The commission reversal is offset (the ledger only grows).
    let reversed: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT level, promoter_id, amount FROM commissions WHERE after_sale_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    for (level, promoter, amt) in reversed {
        distribution::insert_commission(
            &mut *conn,
            order_id,
            Some(id),
            level,
            &promoter,
            -amt,
            now,
        )
        .await?;
        rev.commission_restored -= amt;
    }

    if quote.whole_order {
        rev.order_reopened = orders::reopen_refunded(&mut *conn, order_id, actor, now).await?;
    }
    sqlx::query("UPDATE after_sales SET reversal = $1 WHERE id = $2")
        .bind(serde_json::to_string(&rev).map_err(anyhow::Error::from)?)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(Some(rev))
}

pub async fn view(
    conn: &mut AnyConnection,
    id: i64,
    user_id: Option<i64>,
) -> Result<AfterSaleView, AfterSaleError> {
    list_where(
        conn,
        "a.id = $1 AND ($2 = 0 OR a.user_id = $2)",
        id,
        user_id.unwrap_or(0),
    )
    .await?
    .pop()
    .ok_or(AfterSaleError::NotFound("after-sale"))
}

pub async fn list_for_user(
    conn: &mut AnyConnection,
    user_id: i64,
) -> Result<Vec<AfterSaleView>, AfterSaleError> {
    list_where(conn, "a.user_id = $1 AND $2 = 0", user_id, 0).await
}

/// The console's queue: requests in a status (all when empty), newest first.
pub async fn queue(
    conn: &mut AnyConnection,
    status: &str,
    paging: &crate::paging::Paging,
) -> Result<(Vec<AfterSaleView>, i64), AfterSaleError> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM after_sales WHERE ($1 = '' OR status = $1) ORDER BY id DESC LIMIT $2 OFFSET $3",
    )
    .bind(status)
    .bind(paging.page_size)
    .bind(paging.offset())
    .fetch_all(&mut *conn)
    .await?;
    let total: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM after_sales WHERE ($1 = '' OR status = $1)")
            .bind(status)
            .fetch_one(&mut *conn)
            .await?;
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        items.push(view(conn, id, None).await?);
    }
    Ok((items, total))
}

pub async fn list_for_order(
    conn: &mut AnyConnection,
    order_id: i64,
) -> Result<Vec<AfterSaleView>, AfterSaleError> {
    list_where(conn, "a.order_id = $1 AND $2 = 0", order_id, 0).await
}

async fn list_where(
    conn: &mut AnyConnection,
    cond: &str,
    a: i64,
    b: i64,
) -> Result<Vec<AfterSaleView>, AfterSaleError> {
    let rows = sqlx::query(&format!(
        "SELECT a.id, a.order_id, a.kind, a.status, a.items, a.include_shipping, a.reason, a.amount, a.points_returned,
                a.coupons_returned, a.whole_order, a.reject_reason, a.return_carrier, a.return_tracking_no, a.created_at,
                a.reversal,
                (SELECT r.status FROM refunds r WHERE r.after_sale_id = a.id ORDER BY r.id DESC LIMIT 1) AS refund_status,
                (SELECT r.id FROM refunds r WHERE r.after_sale_id = a.id ORDER BY r.id DESC LIMIT 1) AS refund_id
         FROM after_sales a WHERE {cond} ORDER BY a.id DESC LIMIT 200"
    ))
    .bind(a)
    .bind(b)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| -> anyhow::Result<AfterSaleView> {
            let kind: String = r.try_get("kind")?;
            Ok(AfterSaleView {
                id: r.try_get("id")?,
                order_id: r.try_get("order_id")?,
                kind: serde_json::from_value(Value::String(kind))?,
                status: r.try_get("status")?,
                items: serde_json::from_str(&r.try_get::<String, _>("items")?)?,
                include_shipping: r.try_get::<i64, _>("include_shipping")? != 0,
                reason: r.try_get("reason")?,
                amount: r.try_get("amount")?,
                points_returned: r.try_get("points_returned")?,
                coupons_returned: serde_json::from_str(
                    &r.try_get::<String, _>("coupons_returned")?,
                )?,
                whole_order: r.try_get::<i64, _>("whole_order")? != 0,
                reject_reason: r.try_get("reject_reason")?,
                return_carrier: r.try_get("return_carrier")?,
                return_tracking_no: r.try_get("return_tracking_no")?,
                refund_status: r.try_get("refund_status")?,
                refund_id: r.try_get("refund_id")?,
                reversal: r
                    .try_get::<Option<String>, _>("reversal")?
                    .map(|s| serde_json::from_str(&s))
                    .transpose()?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()
        .map_err(AfterSaleError::from)
}
