//! The console's order list: filters (status, Beijing date range on the
//! placing time, order number, the receiver phone's last four digits,
//! delivery kind), a page of rows newest first, and the count per status for
//! the tabs. Each order's timeline for its detail page.

use mall_core::Money;
use serde::Serialize;
use sqlx::AnyConnection;

use crate::paging::Paging;

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<String>,
    /// Unix seconds, inclusive start and exclusive end (on `created_at`).
    pub from: Option<i64>,
    pub until: Option<i64>,
    pub order_no: Option<String>,
    pub phone_tail: Option<String>,
    /// `express`, `pickup` or `sameCity`.
    pub delivery: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Buyer {
    pub id: i64,
    pub nickname: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRow {
    pub id: i64,
    pub order_no: String,
    pub status: String,
    pub status_label: &'static str,
    pub payable: i64,
    pub paid_amount: Option<i64>,
    pub refunded_amount: i64,
    pub item_count: i64,
    pub delivery: String,
    pub phone_tail: Option<String>,
    pub buyer: Buyer,
    pub created_at: i64,
    pub paid_at: Option<i64>,
    pub shipped_at: Option<i64>,
    pub after_sales: i64,
}

/// The WHERE clause and its binds ($1…$7), shared by the page and the counts.
const FILTER: &str = "($1 = '' OR o.status = $1)
    AND ($2 < 0 OR o.created_at >= $2) AND ($3 < 0 OR o.created_at < $3)
    AND ($4 = '' OR o.order_no = $4)
    AND ($5 = '' OR o.phone_tail = $5)
    AND ($6 = '' OR o.delivery LIKE $6)";

struct Binds {
    status: String,
    from: i64,
    until: i64,
    order_no: String,
    phone_tail: String,
    delivery: String,
}

fn binds(f: &OrderFilter) -> Binds {
    Binds {
        status: f.status.clone().unwrap_or_default(),
        from: f.from.unwrap_or(-1),
        until: f.until.unwrap_or(-1),
        order_no: f.order_no.clone().unwrap_or_default(),
        phone_tail: f.phone_tail.clone().unwrap_or_default(),
        delivery: f
            .delivery
            .as_deref()
            .map(|d| format!("%\"kind\":\"{d}\"%"))
            .unwrap_or_default(),
    }
}

macro_rules! bind_filter {
    ($q:expr, $b:expr) => {
        $q.bind(&$b.status)
            .bind($b.from)
            .bind($b.until)
            .bind(&$b.order_no)
            .bind(&$b.phone_tail)
            .bind(&$b.delivery)
    };
}

pub async fn list(
    conn: &mut AnyConnection,
    f: &OrderFilter,
    paging: &Paging,
) -> sqlx::Result<(Vec<OrderRow>, i64)> {
    let b = binds(f);
    let total: i64 = bind_filter!(
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM orders o WHERE {FILTER}")),
        b
    )
    .fetch_one(&mut *conn)
    .await?;
    type Row = (
        i64,
        String,
        String,
        i64,
        Option<i64>,
        i64,
        i64,
        String,
        Option<String>,
        i64,
        String,
        i64,
        Option<i64>,
        Option<i64>,
        i64,
    );
    let rows: Vec<Row> = bind_filter!(
        sqlx::query_as(&format!(
            "SELECT o.id, o.order_no, o.status, o.payable, o.paid_amount, o.refunded_amount,
                COALESCE((SELECT CAST(SUM(l.quantity) AS BIGINT) FROM order_lines l WHERE l.order_id = o.id), 0),
                o.delivery, o.phone_tail, u.id, u.nickname, o.created_at, o.paid_at, o.shipped_at,
                (SELECT COUNT(*) FROM after_sales a WHERE a.order_id = o.id)
             FROM orders o JOIN users u ON u.id = o.user_id
             WHERE {FILTER} ORDER BY o.id DESC LIMIT $7 OFFSET $8"
        )),
        b
    )
    .bind(paging.page_size)
    .bind(paging.offset())
    .fetch_all(&mut *conn)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| OrderRow {
            status_label: super::OrderStatus::parse(&r.2).map_or("", |s| s.label()),
            id: r.0,
            order_no: r.1,
            status: r.2,
            payable: r.3,
            paid_amount: r.4,
            refunded_amount: r.5,
            item_count: r.6,
            delivery: super::ship::delivery_kind(&r.7),
            phone_tail: r.8,
            buyer: Buyer {
                id: r.9,
                nickname: r.10,
            },
            created_at: r.11,
            paid_at: r.12,
            shipped_at: r.13,
            after_sales: r.14,
        })
        .collect();
    Ok((items, total))
}

/// Orders under the filter with ids up to `max_id` (an export's total).
pub async fn count_upto(
    conn: &mut AnyConnection,
    f: &OrderFilter,
    max_id: i64,
) -> sqlx::Result<i64> {
    let b = binds(f);
    bind_filter!(
        sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM orders o WHERE {FILTER} AND o.id <= $7"
        )),
        b
    )
    .bind(max_id)
    .fetch_one(conn)
    .await
}

/// An order as exported.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub id: i64,
    pub order_no: String,
    pub status: String,
    pub created_at: i64,
    pub paid_at: Option<i64>,
    pub buyer: String,
    pub phone_tail: Option<String>,
    pub item_count: i64,
    pub goods_total: i64,
    pub discount_total: i64,
    pub shipping_fee: i64,
    pub paid_amount: Option<i64>,
    pub refunded_amount: i64,
    pub carrier: Option<String>,
    pub tracking_no: Option<String>,
}

/// The next `limit` orders under the filter after `cursor`, up to `max_id`,
/// by id (keyset: each page is one index range).
pub async fn export_page(
    conn: &mut AnyConnection,
    f: &OrderFilter,
    cursor: i64,
    max_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<ExportRow>> {
    let b = binds(f);
    let rows = bind_filter!(
        sqlx::query(&format!(
            "SELECT o.id, o.order_no, o.status, o.created_at, o.paid_at, u.nickname, o.phone_tail,
                COALESCE((SELECT CAST(SUM(l.quantity) AS BIGINT) FROM order_lines l WHERE l.order_id = o.id), 0) AS items,
                o.goods_total, o.discount_total, o.shipping_fee, o.paid_amount, o.refunded_amount,
                o.carrier, o.tracking_no
             FROM orders o JOIN users u ON u.id = o.user_id
             WHERE {FILTER} AND o.id > $7 AND o.id <= $8 ORDER BY o.id LIMIT $9"
        )),
        b
    )
    .bind(cursor)
    .bind(max_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    use sqlx::Row;
    rows.iter()
        .map(|r| {
            Ok(ExportRow {
                id: r.try_get(0)?,
                order_no: r.try_get(1)?,
                status: r.try_get(2)?,
                created_at: r.try_get(3)?,
                paid_at: r.try_get(4)?,
                buyer: r.try_get(5)?,
                phone_tail: r.try_get(6)?,
                item_count: r.try_get(7)?,
                goods_total: r.try_get(8)?,
                discount_total: r.try_get(9)?,
                shipping_fee: r.try_get(10)?,
                paid_amount: r.try_get(11)?,
                refunded_amount: r.try_get(12)?,
                carrier: r.try_get(13)?,
                tracking_no: r.try_get(14)?,
            })
        })
        .collect()
}

/// Orders per status under the same filter, ignoring its status (the tabs).
pub async fn counts(conn: &mut AnyConnection, f: &OrderFilter) -> sqlx::Result<Vec<(String, i64)>> {
    let b = binds(&OrderFilter {
        status: None,
        ..f.clone()
    });
    bind_filter!(
        sqlx::query_as(&format!(
            "SELECT o.status, COUNT(*) FROM orders o WHERE {FILTER} GROUP BY o.status"
        )),
        b
    )
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    pub at: i64,
    pub kind: String,
    pub text: String,
}

/// Everything that happened to an order, oldest first: its status changes,
/// after-sales requests and their decisions, refunds and their results.
pub async fn timeline(conn: &mut AnyConnection, order_id: i64) -> sqlx::Result<Vec<TimelineEntry>> {
    let mut out = Vec::new();
    let events: Vec<(Option<String>, String, String, i64)> = sqlx::query_as(
        "SELECT from_status, to_status, actor, created_at FROM order_events WHERE order_id = $1 ORDER BY id",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?;
    for (from, to, actor, at) in events {
        let label = super::OrderStatus::parse(&to).map_or(to.clone(), |s| s.label().to_string());
        let text = match from {
            None => format!("下单（{actor}）"),
            Some(_) => format!("{label}（{actor}）"),
        };
        out.push(TimelineEntry {
            at,
            kind: format!("order.{to}"),
            text,
        });
    }
    let requests: Vec<(i64, String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, kind, status, amount, created_at, updated_at FROM after_sales WHERE order_id = $1 ORDER BY id",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?;
    for (id, kind, status, amount, created, updated) in requests {
        let kind_label = if kind == "return_refund" {
            "退货退款"
        } else {
            "仅退款"
        };
        out.push(TimelineEntry {
            at: created,
            kind: "afterSale.requested".into(),
            text: format!("申请售后 #{id}（{kind_label}，{}）", Money::fen(amount)),
        });
        if updated > created {
            out.push(TimelineEntry {
                at: updated,
                kind: format!("afterSale.{status}"),
                text: format!("售后 #{id}：{status}"),
            });
        }
    }
    let refunds: Vec<(i64, i64, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, amount, status, created_at, succeeded_at FROM refunds WHERE order_id = $1 ORDER BY id",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?;
    for (id, amount, status, created, succeeded) in refunds {
        out.push(TimelineEntry {
            at: created,
            kind: "refund.sent".into(),
            text: format!("发起退款 #{id} {}", Money::fen(amount)),
        });
        if let Some(at) = succeeded {
            out.push(TimelineEntry {
                at,
                kind: "refund.success".into(),
                text: format!("退款 #{id} 到账 {}", Money::fen(amount)),
            });
        } else if status != "pending" && status != "processing" {
            out.push(TimelineEntry {
                at: created,
                kind: format!("refund.{status}"),
                text: format!("退款 #{id}：{status}"),
            });
        }
    }
    out.sort_by_key(|e| e.at);
    Ok(out)
}
