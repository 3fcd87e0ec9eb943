//! Orders: placing (stock, coupons, points and allocations written in the
//! caller's transaction), reading, listing by tab, and status transitions
//! through the one state machine in `crate::order`.

use crate::paging::Paging;
use mall_core::quote::QuotedLine;
use mall_core::shipping::Delivery;
use mall_core::{Money, OrderSnapshot, Quote};
use serde::Serialize;
use serde_json::Value;
use sqlx::{AnyConnection, Row};

use super::OrderError;
use crate::catalog::SkuView;
use crate::coupons;
use crate::crypto::{Keyring, Sealed};
use crate::db::Batch;
use crate::members::addresses::{self, AddressFields};
use crate::members::users;
use crate::orders::{Action, OrderStatus, Tab};

pub struct NewOrder<'a> {
    pub order_no: &'a str,
    pub user_id: i64,
    pub idempotency_key: &'a str,
    pub quote: &'a Quote,
    pub delivery: &'a Delivery,
    pub address: Option<Sealed>,
    /// The receiver phone's last four digits (the console finds orders by them).
    pub phone_tail: Option<String>,
    pub remark: &'a str,
    /// 分销: the promoter chain and rule as they stand at placement
    /// (`distribution::binding::chain`).
    pub distribution: Option<&'a crate::distribution::Distribution>,
    pub now: i64,
    pub expires_at: i64,
}

/// The order's discount total and shipping fee, as stored.
fn totals(q: &Quote) -> anyhow::Result<(Money, Money)> {
    let discount = q
        .item_discount
        .checked_add(q.order_discount)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((
        discount,
        q.shipping.as_ref().map_or(Money::ZERO, |s| s.payable),
    ))
}

pub async fn insert(conn: &mut AnyConnection, o: &NewOrder<'_>) -> anyhow::Result<i64> {
    let q = o.quote;
    let snapshot = OrderSnapshot::from(q);
    let (discount, shipping_fee) = totals(q)?;
    let id = sqlx::query_scalar(
        "INSERT INTO orders (order_no, user_id, status, idempotency_key, fingerprint, goods_total, discount_total,
             shipping_fee, points_used, points_deduction, payable, reward_growth, reward_points, delivery,
             address_key_id, address_sealed, remark, quote, snapshot, created_at, expires_at, updated_at, phone_tail,
             distribution)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $20, $22,
             $23)
         RETURNING id",
    )
    .bind(o.order_no)
    .bind(o.user_id)
    .bind(OrderStatus::PendingPayment.as_str())
    .bind(o.idempotency_key)
    .bind(&q.fingerprint)
    .bind(q.goods_total.as_fen())
    .bind(discount.as_fen())
    .bind(shipping_fee.as_fen())
    .bind(q.points.used as i64)
    .bind(q.points.deduction.as_fen())
    .bind(q.payable.as_fen())
    .bind(q.rewards.growth as i64)
    .bind(q.rewards.points as i64)
    .bind(serde_json::to_string(o.delivery)?)
    .bind(o.address.as_ref().map(|a| a.key_id.clone()))
    .bind(o.address.as_ref().map(|a| a.blob.clone()))
    .bind(o.remark)
    .bind(serde_json::to_string(q)?)
    .bind(serde_json::to_string(&snapshot)?)
    .bind(o.now)
    .bind(o.expires_at)
    .bind(o.phone_tail.as_deref())
    .bind(o.distribution.map(serde_json::to_string).transpose()?)
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

/// A priced line as the order keeps it: the quote's figures and the SKU as
/// the shopper saw it. What [`insert_line`] writes and the placed order's
/// answer shows ([`placed_detail`]).
pub fn line_view(l: &QuotedLine, view: &SkuView) -> anyhow::Result<OrderLineView> {
    Ok(OrderLineView {
        line_id: l.line_id.clone(),
        sku_id: view.sku_id,
        product_id: view.product_id,
        title: view.title.clone(),
        specs: view.specs.clone(),
        image: view.image.clone(),
        quantity: l.quantity as i64,
        list_price: l.list_price,
        unit_price: l.unit_price,
        price_source: serde_json::to_value(l.price_source)?
            .as_str()
            .unwrap_or("list")
            .to_string(),
        activity_id: l.activity_id.clone(),
        subtotal: l.subtotal,
        item_discount: l.item_discount,
        order_discount: l.order_discount,
        net: l.net,
        points_deduction: l.points_deduction,
        paid: l.paid,
        units: serde_json::to_value(&l.units)?,
        reviewed: false,
    })
}

/// The order's line, written with the batch.
pub fn push_line<'q>(b: &mut Batch<'q>, order_id: i64, l: &'q OrderLineView) -> anyhow::Result<()> {
    b.push(
        "INSERT INTO order_lines (order_id, line_id, sku_id, product_id, title, specs, image, quantity, list_price,
             unit_price, price_source, activity_id, subtotal, item_discount, order_discount, net, points_deduction,
             paid, units)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
    )
    .bind(order_id)
    .bind(&l.line_id)
    .bind(l.sku_id)
    .bind(l.product_id)
    .bind(&l.title)
    .bind(serde_json::to_string(&l.specs)?)
    .bind(&l.image)
    .bind(l.quantity)
    .bind(l.list_price.as_fen())
    .bind(l.unit_price.as_fen())
    .bind(&l.price_source)
    .bind(l.activity_id.as_deref())
    .bind(l.subtotal.as_fen())
    .bind(l.item_discount.as_fen())
    .bind(l.order_discount.as_fen())
    .bind(l.net.as_fen())
    .bind(l.points_deduction.as_fen())
    .bind(l.paid.as_fen())
    .bind(serde_json::to_string(&l.units)?);
    Ok(())
}

/// Who carries each discount, per line (the quote's allocations, flattened),
/// written with the batch.
pub fn push_allocations<'q>(b: &mut Batch<'q>, order_id: i64, q: &'q Quote) -> anyhow::Result<()> {
    for d in &q.discounts {
        let kind = serde_json::to_value(d.kind)?;
        for a in &d.allocations {
            b.push(
                "INSERT INTO order_allocations (order_id, kind, source_id, line_id, amount) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(order_id)
            .bind(kind.as_str().unwrap_or("").to_string())
            .bind(&d.source_id)
            .bind(&a.line_id)
            .bind(a.amount.as_fen());
        }
    }
    Ok(())
}

/// A status change in the order's log, written with the batch.
pub fn push_event<'q>(
    b: &mut Batch<'q>,
    order_id: i64,
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor: &'q str,
    now: i64,
) {
    b.push(
        "INSERT INTO order_events (order_id, from_status, to_status, actor, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(order_id)
    .bind(from.map(OrderStatus::as_str))
    .bind(to.as_str())
    .bind(actor)
    .bind(now);
}

pub async fn event(
    conn: &mut AnyConnection,
    order_id: i64,
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor: &str,
    now: i64,
) -> sqlx::Result<()> {
    let mut b = Batch::new();
    push_event(&mut b, order_id, from, to, actor, now);
    b.run(conn).await?;
    Ok(())
}

async fn status_of(
    conn: &mut AnyConnection,
    order_id: i64,
    user_id: Option<i64>,
) -> sqlx::Result<Option<(OrderStatus, i64)>> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT status, user_id FROM orders WHERE id = $1 AND ($2 = 0 OR user_id = $2)",
    )
    .bind(order_id)
    .bind(user_id.unwrap_or(0))
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|(s, u)| OrderStatus::parse(&s).map(|s| (s, u))))
}

/// A conditional status update changed nothing: someone else moved the order
/// first. The refusal names the status it has now.
async fn moved_first(
    conn: &mut AnyConnection,
    order_id: i64,
    from: OrderStatus,
    action: Action,
) -> sqlx::Result<OrderError> {
    let now_status = status_of(conn, order_id, None).await?.map_or(from, |s| s.0);
    Ok(OrderError::IllegalTransition {
        from: now_status,
        action,
    })
}

/// Apply `action` to an order (the shopper's own when `user_id` is given),
/// with its side effects, in the caller's transaction.
pub async fn transition(
    conn: &mut AnyConnection,
    order_id: i64,
    user_id: Option<i64>,
    action: Action,
    actor: &str,
    now: i64,
) -> Result<OrderStatus, OrderError> {
    let (from, owner) = status_of(&mut *conn, order_id, user_id)
        .await?
        .ok_or(OrderError::NotFound)?;
    let to = from
        .apply(action)
        .ok_or(OrderError::IllegalTransition { from, action })?;
    if matches!(
        action,
        Action::Cancel | Action::Expire | Action::ConfirmReceipt | Action::WriteOff
    ) {
        // The shopper's row first, as checkout does, so the two never
        // wait on each other in opposite orders.
        users::lock(&mut *conn, owner).await?;
    }
    let stamp = action
        .stamp_column()
        .map(|c| format!(", {c} = $2"))
        .unwrap_or_default();
    let reason = match action {
        Action::Expire => ", cancel_reason = 'expired'",
        Action::Cancel => ", cancel_reason = 'cancelled by shopper'",
        _ => "",
    };
    let r = sqlx::query(&format!(
        "UPDATE orders SET status = $1, updated_at = $2{stamp}{reason} WHERE id = $3 AND status = $4"
    ))
    .bind(to.as_str())
    .bind(now)
    .bind(order_id)
    .bind(from.as_str())
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() != 1 {
        return Err(moved_first(conn, order_id, from, action).await?);
    }
    match action {
        Action::Cancel | Action::Expire => {
            give_back(&mut *conn, order_id, owner, "order cancelled", now).await?;
            crate::group_buy::seats::release(&mut *conn, order_id, now).await?;
        }
        Action::ConfirmReceipt => {
            let (growth, points): (i64, i64) =
                sqlx::query_as("SELECT reward_growth, reward_points FROM orders WHERE id = $1")
                    .bind(order_id)
                    .fetch_one(&mut *conn)
                    .await?;
            users::add_growth(&mut *conn, owner, growth).await?;
            if points > 0 {
                users::add_points(
                    &mut *conn,
                    owner,
                    points,
                    "order reward",
                    Some(order_id),
                    now,
                )
                .await?;
            }
        }
        _ => {}
    }
    if matches!(action, Action::ConfirmReceipt | Action::WriteOff) {
        // Received: its commission freezes until the after-sales window and
        // the frozen days have passed (the shopper's row is held, so a
        // reversal being written waits or is seen).
        crate::distribution::ledger::freeze(&mut *conn, order_id, now).await?;
    }
    event(conn, order_id, Some(from), to, actor, now).await?;
    Ok(to)
}

/// What a payment writes on the order besides its status.
pub struct Payment<'a> {
    pub transaction_id: Option<&'a str>,
    /// Fen, as WeChat Pay (or the merchant) reported it.
    pub amount: i64,
    pub pickup_code: Option<String>,
}

/// `from → paid` for a payment whose caller has read (and, on PostgreSQL,
/// locked) the order at `from`: one conditional UPDATE carrying the
/// payment's columns, and its event, pushed on the caller's batch (which may
/// carry the payment's other effects). The rule is [`transition`]'s
/// (`Action::Pay`: stamps `paid_at`, locks no shopper row, has no other effect),
/// without reading the status a second time. [`PayStep::check`] after the
/// batch has run.
pub fn push_pay<'q>(
    b: &mut Batch<'q>,
    order_id: i64,
    from: OrderStatus,
    payment: &'q Payment<'q>,
    actor: &'q str,
    now: i64,
) -> Result<PayStep, OrderError> {
    let action = Action::Pay;
    let to = from
        .apply(action)
        .ok_or(OrderError::IllegalTransition { from, action })?;
    let slot = b.len();
    b.push(
        "UPDATE orders SET status = $1, updated_at = $2, paid_at = $2, transaction_id = $3,
             paid_amount = $4, pickup_code = $5
         WHERE id = $6 AND status = $7",
    )
    .bind(to.as_str())
    .bind(now)
    .bind(payment.transaction_id)
    .bind(payment.amount)
    .bind(payment.pickup_code.as_deref())
    .bind(order_id)
    .bind(from.as_str());
    push_event(b, order_id, Some(from), to, actor, now);
    Ok(PayStep {
        order_id,
        from,
        to,
        slot,
    })
}

/// A payment pushed by [`push_pay`], to be checked once its batch has run.
#[must_use = "a payment's UPDATE is conditional: check it"]
pub struct PayStep {
    order_id: i64,
    from: OrderStatus,
    to: OrderStatus,
    slot: usize,
}

impl PayStep {
    /// The status paid into, or why the order was not at `from` any more
    /// (the caller then rolls back the batch's other writes).
    pub async fn check(
        self,
        conn: &mut AnyConnection,
        changed: &[u64],
    ) -> Result<OrderStatus, OrderError> {
        if changed.get(self.slot) != Some(&1) {
            return Err(moved_first(conn, self.order_id, self.from, Action::Pay).await?);
        }
        Ok(self.to)
    }
}

/// A refunded order whose completing refund ended closed goes back to the
/// status it was refunded from (read from the event log); conditional on it
/// still being refunded. None when it is not refunded.
pub async fn reopen_refunded(
    conn: &mut AnyConnection,
    order_id: i64,
    actor: &str,
    now: i64,
) -> Result<Option<OrderStatus>, OrderError> {
    let before: Option<Option<String>> = sqlx::query_scalar(
        "SELECT from_status FROM order_events WHERE order_id = $1 AND to_status = $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(order_id)
    .bind(OrderStatus::Refunded.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(before) = before.flatten().as_deref().and_then(OrderStatus::parse) else {
        return Ok(None);
    };
    let Some(to) = OrderStatus::Refunded.reopen(before) else {
        return Ok(None);
    };
    let r =
        sqlx::query("UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
            .bind(to.as_str())
            .bind(now)
            .bind(order_id)
            .bind(OrderStatus::Refunded.as_str())
            .execute(&mut *conn)
            .await?;
    if r.rows_affected() != 1 {
        return Ok(None);
    }
    event(conn, order_id, Some(OrderStatus::Refunded), to, actor, now).await?;
    Ok(Some(to))
}

/// Count a refund in the order's refunded amount (when it is queued, as
/// the order page and the statistics show it).
pub async fn count_refund(
    conn: &mut AnyConnection,
    order_id: i64,
    amount: i64,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE orders SET refunded_amount = refunded_amount + $1, updated_at = $2 WHERE id = $3",
    )
    .bind(amount)
    .bind(now)
    .bind(order_id)
    .execute(conn)
    .await
    .map(drop)
}

/// Give back what an order took: stock, activity quota, coupons, points (an
/// unpaid order cancelled, or a failed group's order refunded in full).
pub async fn give_back(
    conn: &mut AnyConnection,
    order_id: i64,
    user_id: i64,
    reason: &str,
    now: i64,
) -> anyhow::Result<()> {
    crate::stock::release(&mut *conn, order_id, now).await?;
    coupons::release_for_order(&mut *conn, order_id).await?;
    crate::bargains::release_order(&mut *conn, order_id, now).await?;
    let points: i64 = sqlx::query_scalar("SELECT points_used FROM orders WHERE id = $1")
        .bind(order_id)
        .fetch_one(&mut *conn)
        .await?;
    if points > 0 {
        users::add_points(conn, user_id, points, reason, Some(order_id), now).await?;
    }
    Ok(())
}

/// Unpaid orders past their expiry.
pub async fn expired(conn: &mut AnyConnection, now: i64, limit: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT id FROM orders WHERE status = $1 AND expires_at <= $2 ORDER BY expires_at LIMIT $3",
    )
    .bind(OrderStatus::PendingPayment.as_str())
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLineView {
    pub line_id: String,
    pub sku_id: i64,
    pub product_id: i64,
    pub title: String,
    pub specs: Vec<String>,
    pub image: String,
    pub quantity: i64,
    pub list_price: Money,
    pub unit_price: Money,
    pub price_source: String,
    pub activity_id: Option<String>,
    pub subtotal: Money,
    pub item_discount: Money,
    pub order_discount: Money,
    pub net: Money,
    pub points_deduction: Money,
    pub paid: Money,
    pub units: Value,
    /// The buyer has reviewed this line (one review per line).
    pub reviewed: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderSummary {
    pub id: i64,
    pub order_no: String,
    pub status: OrderStatus,
    pub status_label: &'static str,
    pub actions: Vec<Action>,
    pub payable: Money,
    pub item_count: i64,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub lines: Vec<OrderLineView>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDetail {
    #[serde(flatten)]
    pub summary: OrderSummary,
    pub goods_total: Money,
    pub discount_total: Money,
    pub shipping_fee: Money,
    pub points_used: i64,
    pub points_deduction: Money,
    pub remark: String,
    pub delivery: Value,
    pub address: Option<AddressFields>,
    pub paid_at: Option<i64>,
    pub shipped_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub cancel_reason: Option<String>,
    pub carrier: Option<String>,
    pub tracking_no: Option<String>,
    /// Store pickup: the write-off code shown to the shopper once paid.
    pub pickup_code: Option<String>,
    pub paid_amount: Option<Money>,
    /// Cash refunded so far (fen), the sum of the core's refund amounts.
    pub refunded_amount: Money,
    /// The core's quote as charged.
    pub quote: Value,
    /// Per-line, per-unit allocations: the input of every later refund.
    pub snapshot: Value,
    /// 拼团: the group this order opened or joined.
    pub group_id: Option<i64>,
}

async fn lines(conn: &mut AnyConnection, order_id: i64) -> anyhow::Result<Vec<OrderLineView>> {
    let rows = sqlx::query(
        "SELECT l.line_id, l.sku_id, l.product_id, l.title, l.specs, l.image, l.quantity, l.list_price,
                l.unit_price, l.price_source, l.activity_id, l.subtotal, l.item_discount, l.order_discount, l.net,
                l.points_deduction, l.paid, l.units, r.id AS review_id
         FROM order_lines l LEFT JOIN reviews r ON r.order_id = l.order_id AND r.line_id = l.line_id
         WHERE l.order_id = $1 ORDER BY l.id",
    )
    .bind(order_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let m = |c: &str| -> anyhow::Result<Money> { Ok(Money::fen(r.try_get::<i64, _>(c)?)) };
            Ok(OrderLineView {
                line_id: r.try_get("line_id")?,
                sku_id: r.try_get("sku_id")?,
                product_id: r.try_get("product_id")?,
                title: r.try_get("title")?,
                specs: serde_json::from_str(&r.try_get::<String, _>("specs")?)?,
                image: r.try_get("image")?,
                quantity: r.try_get("quantity")?,
                list_price: m("list_price")?,
                unit_price: m("unit_price")?,
                price_source: r.try_get("price_source")?,
                activity_id: r.try_get("activity_id")?,
                subtotal: m("subtotal")?,
                item_discount: m("item_discount")?,
                order_discount: m("order_discount")?,
                net: m("net")?,
                points_deduction: m("points_deduction")?,
                paid: m("paid")?,
                units: serde_json::from_str(&r.try_get::<String, _>("units")?)?,
                reviewed: r.try_get::<Option<i64>, _>("review_id")?.is_some(),
            })
        })
        .collect()
}

const COLUMNS: &str = "id, order_no, status, payable, created_at, expires_at, goods_total, discount_total,
    shipping_fee, points_used, points_deduction, remark, delivery, address_key_id, address_sealed, paid_at,
    shipped_at, completed_at, cancelled_at, cancel_reason, quote, snapshot, carrier, tracking_no, pickup_code,
    paid_amount, refunded_amount";

async fn summary_of(
    conn: &mut AnyConnection,
    r: &sqlx::any::AnyRow,
) -> anyhow::Result<OrderSummary> {
    let id: i64 = r.try_get("id")?;
    let status = OrderStatus::parse(&r.try_get::<String, _>("status")?)
        .ok_or_else(|| anyhow::anyhow!("unknown order status"))?;
    let lines = lines(conn, id).await?;
    Ok(OrderSummary {
        id,
        order_no: r.try_get("order_no")?,
        status,
        status_label: status.label(),
        actions: status.shopper_actions(),
        payable: Money::fen(r.try_get("payable")?),
        item_count: lines.iter().map(|l| l.quantity).sum(),
        created_at: r.try_get("created_at")?,
        expires_at: (status == OrderStatus::PendingPayment)
            .then(|| r.try_get("expires_at"))
            .transpose()?,
        lines,
    })
}

/// The detail of the order `id` just placed as `o`, built from what was
/// written rather than read back: what [`detail`] reads right after the
/// commit (a pending order, nothing paid, shipped or reviewed yet).
/// `address`: the delivery address sealed into the order; `group_id`: the
/// 拼团 group it opened or joined.
pub fn placed_detail(
    id: i64,
    o: &NewOrder<'_>,
    lines: Vec<OrderLineView>,
    address: Option<AddressFields>,
    group_id: Option<i64>,
) -> anyhow::Result<OrderDetail> {
    let q = o.quote;
    let (discount, shipping_fee) = totals(q)?;
    let status = OrderStatus::PendingPayment;
    Ok(OrderDetail {
        summary: OrderSummary {
            id,
            order_no: o.order_no.to_string(),
            status,
            status_label: status.label(),
            actions: status.shopper_actions(),
            payable: q.payable,
            item_count: lines.iter().map(|l| l.quantity).sum(),
            created_at: o.now,
            expires_at: Some(o.expires_at),
            lines,
        },
        goods_total: q.goods_total,
        discount_total: discount,
        shipping_fee,
        points_used: q.points.used as i64,
        points_deduction: q.points.deduction,
        remark: o.remark.to_string(),
        delivery: serde_json::to_value(o.delivery)?,
        address,
        paid_at: None,
        shipped_at: None,
        completed_at: None,
        cancelled_at: None,
        cancel_reason: None,
        carrier: None,
        tracking_no: None,
        pickup_code: None,
        paid_amount: None,
        refunded_amount: Money::ZERO,
        quote: serde_json::to_value(q)?,
        snapshot: serde_json::to_value(OrderSnapshot::from(q))?,
        group_id,
    })
}

/// One order; only the owner's when `user_id` is given.
pub async fn detail(
    conn: &mut AnyConnection,
    keys: &Keyring,
    order_id: i64,
    user_id: Option<i64>,
) -> anyhow::Result<Option<OrderDetail>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS}, (SELECT g.group_id FROM group_members g WHERE g.order_id = orders.id) AS group_id
         FROM orders WHERE id = $1 AND ($2 = 0 OR user_id = $2)"
    ))
    .bind(order_id)
    .bind(user_id.unwrap_or(0))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let summary = summary_of(conn, &r).await?;
    let key_id: Option<String> = r.try_get("address_key_id")?;
    let sealed: Option<Vec<u8>> = r.try_get("address_sealed")?;
    let address = match (key_id, sealed) {
        (Some(k), Some(b)) => Some(addresses::open_for_order(keys, &summary.order_no, &k, &b)?),
        _ => None,
    };
    let m = |c: &str| -> anyhow::Result<Money> { Ok(Money::fen(r.try_get::<i64, _>(c)?)) };
    Ok(Some(OrderDetail {
        group_id: r.try_get("group_id")?,
        goods_total: m("goods_total")?,
        discount_total: m("discount_total")?,
        shipping_fee: m("shipping_fee")?,
        points_used: r.try_get("points_used")?,
        points_deduction: m("points_deduction")?,
        remark: r.try_get("remark")?,
        delivery: serde_json::from_str(&r.try_get::<String, _>("delivery")?)?,
        address,
        paid_at: r.try_get("paid_at")?,
        shipped_at: r.try_get("shipped_at")?,
        completed_at: r.try_get("completed_at")?,
        cancelled_at: r.try_get("cancelled_at")?,
        cancel_reason: r.try_get("cancel_reason")?,
        carrier: r.try_get("carrier")?,
        tracking_no: r.try_get("tracking_no")?,
        pickup_code: r.try_get("pickup_code")?,
        paid_amount: r.try_get::<Option<i64>, _>("paid_amount")?.map(Money::fen),
        refunded_amount: m("refunded_amount")?,
        quote: serde_json::from_str(&r.try_get::<String, _>("quote")?)?,
        snapshot: serde_json::from_str(&r.try_get::<String, _>("snapshot")?)?,
        summary,
    }))
}

/// A page of the shopper's orders in a tab, newest first, and the tab's total.
pub async fn list(
    conn: &mut AnyConnection,
    user_id: i64,
    tab: Tab,
    paging: Paging,
) -> anyhow::Result<(Vec<OrderSummary>, i64)> {
    let status = tab.status().map(OrderStatus::as_str).unwrap_or("");
    let after_sale = if tab == Tab::AfterSale {
        " AND EXISTS (SELECT 1 FROM after_sales a WHERE a.order_id = orders.id)"
    } else {
        ""
    };
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM orders WHERE user_id = $1 AND ($2 = '' OR status = $2){after_sale}"
    ))
    .bind(user_id)
    .bind(status)
    .fetch_one(&mut *conn)
    .await?;
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM orders WHERE user_id = $1 AND ($2 = '' OR status = $2){after_sale}
         ORDER BY id DESC LIMIT $3 OFFSET $4"
    ))
    .bind(user_id)
    .bind(status)
    .bind(paging.page_size)
    .bind(paging.offset())
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(summary_of(&mut *conn, r).await?);
    }
    Ok((out, total))
}
