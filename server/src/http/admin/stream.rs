//! 新订单提醒: a server-sent event stream of newly paid orders and new
//! after-sales requests, for the console's overview (with its optional
//! sound). Each connection polls the database from where it started, so it
//! works the same behind several instances; a role sees only the events of
//! the pages it may open.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::Stream;
use serde_json::json;

use super::{page, Staff};
use crate::db::Db;
use crate::http::error::ApiResult;
use crate::http::{Access, Api};
use crate::staff::Page;
use crate::state::AppState;

/// How often a connection looks for news.
pub const POLL: Duration = Duration::from_secs(2);

pub fn routes(api: Api) -> Api {
    api.get(
        "/admin/api/stream",
        Access::Staff(Page::Overview),
        "Server-sent events: orderPaid and afterSaleRequested as they happen (text/event-stream)",
        stream,
    )
}

struct Cursor {
    db: Db,
    orders: bool,
    after_sales: bool,
    paid_since: i64,
    last_order: i64,
    last_after_sale: i64,
    pending: Vec<Event>,
}

async fn news(c: &mut Cursor) -> sqlx::Result<()> {
    let mut conn = c.db.pool.acquire().await?;
    if c.orders {
        // Paid since the cursor (a payment can land on an older order).
        let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT id, order_no, COALESCE(paid_amount, payable), paid_at FROM orders
             WHERE paid_at IS NOT NULL AND (paid_at > $1 OR (paid_at = $1 AND id > $2))
             ORDER BY paid_at, id LIMIT 50",
        )
        .bind(c.paid_since)
        .bind(c.last_order)
        .fetch_all(&mut *conn)
        .await?;
        for (id, no, amount, at) in rows {
            c.paid_since = at;
            c.last_order = id;
            c.pending.push(
                Event::default()
                    .event("orderPaid")
                    .id(format!("o{id}"))
                    .data(
                        json!({"orderId": id, "orderNo": no, "amount": amount, "at": at})
                            .to_string(),
                    ),
            );
        }
    }
    if c.after_sales {
        let rows: Vec<(i64, i64, String, i64)> = sqlx::query_as(
            "SELECT id, order_id, kind, amount FROM after_sales WHERE id > $1 ORDER BY id LIMIT 50",
        )
        .bind(c.last_after_sale)
        .fetch_all(&mut *conn)
        .await?;
        for (id, order_id, kind, amount) in rows {
            c.last_after_sale = id;
            c.pending.push(
                Event::default()
                    .event("afterSaleRequested")
                    .id(format!("a{id}"))
                    .data(json!({"afterSaleId": id, "orderId": order_id, "kind": kind, "amount": amount}).to_string()),
            );
        }
    }
    Ok(())
}

async fn stream(
    State(state): State<AppState>,
    who: Staff<page::Overview>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let now = crate::db::now();
    let last_after_sale: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM after_sales")
        .fetch_one(&state.db.pool)
        .await?;
    let cursor = Cursor {
        db: state.db.clone(),
        orders: Page::Orders.allows(who.role),
        after_sales: Page::AfterSales.allows(who.role),
        paid_since: now,
        last_order: 0,
        last_after_sale,
        pending: vec![Event::default().event("ready").data("{}")],
    };
    let s = futures_util::stream::unfold(cursor, |mut c| async move {
        loop {
            if !c.pending.is_empty() {
                let e = c.pending.remove(0);
                return Some((Ok(e), c));
            }
            tokio::time::sleep(POLL).await;
            if let Err(e) = news(&mut c).await {
                tracing::warn!(error = %e, "console stream poll failed");
            }
        }
    });
    Ok(Sse::new(s).keep_alive(KeepAlive::default()))
}
