//! 拼团 group buys: a group opens when its leader pays, joiners take seats
//! when they place their order ([`seats`]), payment fills a seat, and the
//! group forms when its paid seats reach its size — only then do its orders
//! leave `grouping` and become shippable. At expiry a group that has not
//! formed is either formed as it is (系统成团, when the activity allows it
//! and enough seats are paid; never with invented members) or fails, and
//! every paid member is refunded in full through WeChat Pay, exactly once.
//! The decisions are the core's (`mall_core::group`); the counters and the
//! races are here. A shopper's seat and its order share one transaction.

pub mod seats;
pub mod views;

use mall_core::{ExpiryInput, ExpiryOutcome, GroupStatus, RuleError};
use sqlx::AnyConnection;

use crate::db::Db;
use crate::notify::{self, Message};
use crate::orders::{self, Action, OrderStatus};

/// Why a group-buy step did not happen.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    /// The core's reason: GROUP_FULL, GROUP_EXPIRED, GROUP_NOT_OPEN, …
    #[error("rule: {0}")]
    Rule(#[from] RuleError),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

impl From<orders::OrderError> for GroupError {
    fn from(e: orders::OrderError) -> Self {
        match e {
            orders::OrderError::Db(d) => GroupError::Db(d),
            other => GroupError::Other(anyhow::anyhow!("{other}")),
        }
    }
}

/// After an order's payment (in the payment's transaction): fill its seat;
/// the seat that completes the group forms it, any other leaves the order
/// waiting (`paid → grouping`). Nothing for an order without a seat.
pub async fn on_paid(
    conn: &mut AnyConnection,
    templates: &std::collections::BTreeMap<String, String>,
    order_id: i64,
    now: i64,
) -> Result<(), GroupError> {
    let Some(f) = seats::fill(&mut *conn, order_id, now).await? else {
        return Ok(());
    };
    if f.paid < f.size {
        orders::transition(
            &mut *conn,
            order_id,
            None,
            Action::AwaitGroup,
            "system",
            now,
        )
        .await?;
        return Ok(());
    }
    form(
        conn,
        templates,
        f.group_id,
        GroupStatus::Success,
        f.paid,
        now,
    )
    .await
}

/// The group formed (every seat paid, or 系统成团 at expiry): its waiting
/// orders become shippable, every paid member is told, and sharers who
/// brought a new user get their reward. Conditional on the group still being
/// open with `paid` seats paid, so it happens once.
async fn form(
    conn: &mut AnyConnection,
    templates: &std::collections::BTreeMap<String, String>,
    group_id: i64,
    status: GroupStatus,
    paid: i64,
    now: i64,
) -> Result<(), GroupError> {
    let r = sqlx::query(
        "UPDATE buy_groups SET status = $1, closed_at = $2, updated_at = $2
         WHERE id = $3 AND status = 'open' AND paid = $4 AND held = $4",
    )
    .bind(status.as_str())
    .bind(now)
    .bind(group_id)
    .bind(paid)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(());
    }
    for m in paid_members(&mut *conn, group_id).await? {
        if OrderStatus::parse(&m.status) == Some(OrderStatus::Grouping) {
            orders::transition(
                &mut *conn,
                m.order_id,
                None,
                Action::GroupFormed,
                "system",
                now,
            )
            .await?;
        }
        tell(&mut *conn, templates, &m, group_id, true, now).await?;
    }
    reward_sharers(conn, group_id, now).await?;
    Ok(())
}

/// A paid member of a group, with their order.
struct PaidMember {
    order_id: i64,
    user_id: i64,
    order_no: String,
    /// The order's status.
    status: String,
    /// What the order was paid.
    amount: i64,
    /// The activity's title.
    title: String,
}

async fn paid_members(conn: &mut AnyConnection, group_id: i64) -> sqlx::Result<Vec<PaidMember>> {
    let rows: Vec<(i64, i64, String, String, Option<i64>, String)> = sqlx::query_as(
        "SELECT m.order_id, m.user_id, o.order_no, o.status, o.paid_amount, COALESCE(a.title, '')
         FROM group_members m JOIN orders o ON o.id = m.order_id
         JOIN buy_groups g ON g.id = m.group_id LEFT JOIN activities a ON a.id = g.activity_id
         WHERE m.group_id = $1 AND m.status = 'paid' ORDER BY m.id",
    )
    .bind(group_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PaidMember {
            order_id: r.0,
            user_id: r.1,
            order_no: r.2,
            status: r.3,
            amount: r.4.unwrap_or(0),
            title: r.5,
        })
        .collect())
}

/// The member's subscription message: formed (will ship) or failed (refunded).
async fn tell(
    conn: &mut AnyConnection,
    templates: &std::collections::BTreeMap<String, String>,
    m: &PaidMember,
    group_id: i64,
    formed: bool,
    now: i64,
) -> sqlx::Result<()> {
    let message = Message::GroupResult {
        order_id: m.order_id,
        group_id,
        title: m.title.clone(),
        formed,
        at: now,
    };
    notify::enqueue(conn, templates, m.user_id, &message, now).await
}

/// The share reward: each sharer whose token brought a new user into this
/// formed group gets the activity's reward coupon, once per (group, sharer)
/// (the primary key of `share_rewards`).
async fn reward_sharers(
    conn: &mut AnyConnection,
    group_id: i64,
    now: i64,
) -> Result<(), GroupError> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT DISTINCT m.shared_by, a.share_reward_template
         FROM group_members m JOIN buy_groups g ON g.id = m.group_id
         JOIN activities a ON a.id = g.activity_id
         WHERE m.group_id = $1 AND m.status = 'paid' AND m.new_user = 1
           AND m.shared_by IS NOT NULL AND a.share_reward_template IS NOT NULL
         ORDER BY m.shared_by",
    )
    .bind(group_id)
    .fetch_all(&mut *conn)
    .await?;
    for (sharer, template) in rows {
        let r = sqlx::query(
            "INSERT INTO share_rewards (group_id, sharer_id, granted_at) VALUES ($1, $2, $3)
             ON CONFLICT (group_id, sharer_id) DO NOTHING",
        )
        .bind(group_id)
        .bind(sharer)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        if r.rows_affected() != 1 {
            continue;
        }
        let coupon = crate::coupons::grant::grant(&mut *conn, sharer, template, now).await?;
        sqlx::query(
            "UPDATE share_rewards SET coupon_id = $1 WHERE group_id = $2 AND sharer_id = $3",
        )
        .bind(coupon)
        .bind(group_id)
        .bind(sharer)
        .execute(&mut *conn)
        .await?;
        if coupon.is_none() {
            tracing::warn!(
                group_id,
                sharer,
                template,
                "share reward not granted: its coupons are all issued"
            );
        }
    }
    Ok(())
}

/// A failed group: every paid member's order is refunded in full (refund
/// rows queued here; the caller sends them after the commit) and what it
/// took is given back (stock, coupons, points). Conditional on the group
/// still being open with `paid` seats paid and none held unpaid. Returns the
/// refund ids.
async fn fail(
    conn: &mut AnyConnection,
    templates: &std::collections::BTreeMap<String, String>,
    group_id: i64,
    paid: i64,
    now: i64,
) -> Result<Vec<i64>, GroupError> {
    let r = sqlx::query(
        "UPDATE buy_groups SET status = 'failed', closed_at = $1, updated_at = $1
         WHERE id = $2 AND status = 'open' AND paid = $3 AND held = $3",
    )
    .bind(now)
    .bind(group_id)
    .bind(paid)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(Vec::new());
    }
    let mut refunds = Vec::new();
    for m in paid_members(&mut *conn, group_id).await? {
        sqlx::query(
            "UPDATE group_members SET status = 'refunded' WHERE order_id = $1 AND status = 'paid'",
        )
        .bind(m.order_id)
        .execute(&mut *conn)
        .await?;
        orders::transition(
            &mut *conn,
            m.order_id,
            None,
            Action::RefundAll,
            "system",
            now,
        )
        .await?;
        orders::give_back(&mut *conn, m.order_id, m.user_id, "group failed", now).await?;
        if m.amount > 0 {
            orders::count_refund(&mut *conn, m.order_id, m.amount, now).await?;
            let id = crate::refunds::insert(
                &mut *conn,
                m.order_id,
                None,
                &format!("{}G", m.order_no),
                m.amount,
                "拼团未成功，自动退款",
                now,
            )
            .await?;
            refunds.push(id);
        }
        tell(&mut *conn, templates, &m, group_id, false, now).await?;
    }
    Ok(refunds)
}

/// Decide the open groups past their expiry, each in its own transaction:
/// the core says wait, form (系统成团) or fail. Returns the refunds queued
/// for failed groups (the caller sends them after the commits). Safe on
/// several instances: every decision is conditional on the counters read.
pub async fn decide_expired(
    db: &Db,
    templates: &std::collections::BTreeMap<String, String>,
    now: i64,
) -> Result<Vec<i64>, GroupError> {
    let due: Vec<(i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, auto_percent FROM buy_groups WHERE status = 'open' AND expires_at <= $1
         ORDER BY expires_at, id LIMIT 200",
    )
    .bind(now)
    .fetch_all(&db.pool)
    .await?;
    let mut refunds = Vec::new();
    for (group_id, auto) in due {
        let mut tx = db.begin_write().await?;
        let Some(state) = seats::state(&mut tx, group_id).await? else {
            continue;
        };
        let paid = state.paid as i64;
        let decision = mall_core::group_at_expiry(&ExpiryInput {
            group: state,
            now,
            auto_success_percent: auto.map(|p| p.clamp(1, 100) as u64),
        })?;
        let r = match decision.outcome {
            ExpiryOutcome::Wait => Ok(Vec::new()),
            ExpiryOutcome::Success => form(
                &mut tx,
                templates,
                group_id,
                GroupStatus::Success,
                paid,
                now,
            )
            .await
            .map(|()| Vec::new()),
            ExpiryOutcome::AutoSuccess => form(
                &mut tx,
                templates,
                group_id,
                GroupStatus::AutoSuccess,
                paid,
                now,
            )
            .await
            .map(|()| Vec::new()),
            ExpiryOutcome::Failed => fail(&mut tx, templates, group_id, paid, now).await,
        };
        refunds.extend(crate::db::finish(tx, r).await?);
    }
    Ok(refunds)
}
