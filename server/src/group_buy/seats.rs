//! Seats: taken when a group-buy order is placed, filled when it is paid,
//! given back when it expires or is cancelled unpaid. Each step is one
//! conditional statement, so hundreds of joiners racing for the last seat
//! leave exactly `size` seats taken:
//!
//! - take: `UPDATE buy_groups SET held = held + 1 WHERE … status = 'open'
//!   AND held < size AND expires_at > now`, then the member row, unique per
//!   live (group, user) (`ON CONFLICT … DO NOTHING`: a second seat is refused);
//! - fill: the member row `held → paid`, then `paid = paid + 1 … RETURNING`;
//! - give back: the member row `held → released`, then `held = held - 1`.
//!
//! This file knows no orders or payments: `orders` calls [`release`], the
//! checkout calls [`take`], and [`super::on_paid`] calls [`fill`].

use mall_core::{GroupRole, GroupState, GroupStatus, JoinInput, RuleError};
use sqlx::AnyConnection;

use super::GroupError;

/// A seat to take for an order being placed.
pub struct Take<'a> {
    pub role: GroupRole,
    /// The group to join (members only).
    pub group_id: Option<i64>,
    pub activity_id: &'a str,
    pub sku_id: i64,
    pub user_id: i64,
    pub order_id: i64,
    /// Who shared the group the shopper came through.
    pub shared_by: Option<i64>,
    pub now: i64,
}

/// The group-buy settings of an activity.
pub struct Settings {
    pub size: i64,
    pub window_secs: i64,
    pub auto_percent: Option<i64>,
}

/// A day, when the merchant set no window.
pub const DEFAULT_WINDOW_SECS: i64 = 24 * 3600;

pub async fn settings(
    conn: &mut AnyConnection,
    activity_id: &str,
) -> sqlx::Result<Option<Settings>> {
    let row: Option<(Option<i64>, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT group_size, group_window_secs, group_auto_percent FROM activities
         WHERE id = $1 AND kind = 'groupBuy'",
    )
    .bind(activity_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|(size, window, auto)| {
        Some(Settings {
            size: size?,
            window_secs: window.unwrap_or(DEFAULT_WINDOW_SECS),
            auto_percent: auto,
        })
    }))
}

/// A group's counters, as the core reads them.
pub async fn state(conn: &mut AnyConnection, group_id: i64) -> sqlx::Result<Option<GroupState>> {
    let row: Option<(String, i64, i64, i64, Option<i64>)> =
        sqlx::query_as("SELECT status, size, held, paid, expires_at FROM buy_groups WHERE id = $1")
            .bind(group_id)
            .fetch_optional(conn)
            .await?;
    Ok(
        row.map(|(status, size, held, paid, expires_at)| GroupState {
            status: GroupStatus::parse(&status).unwrap_or(GroupStatus::Cancelled),
            size: size.max(0) as u64,
            held: held.max(0) as u64,
            paid: paid.max(0) as u64,
            expires_at,
        }),
    )
}

/// Whether the shopper holds a live seat in the group.
pub async fn is_member(
    conn: &mut AnyConnection,
    group_id: i64,
    user_id: i64,
) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM group_members WHERE group_id = $1 AND user_id = $2 AND status <> 'released'",
    )
    .bind(group_id)
    .bind(user_id)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// Whether the shopper has paid for anything before.
async fn is_new_user(conn: &mut AnyConnection, user_id: i64) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM orders WHERE user_id = $1 AND paid_at IS NOT NULL",
    )
    .bind(user_id)
    .fetch_one(conn)
    .await?;
    Ok(n == 0)
}

/// Take a seat for an order being placed (in its transaction): open a new
/// group (leader) or join an open one (member). Returns the group id.
pub async fn take(conn: &mut AnyConnection, t: &Take<'_>) -> Result<i64, GroupError> {
    let group_id = match t.role {
        GroupRole::Leader => {
            let s = settings(&mut *conn, t.activity_id)
                .await?
                .ok_or(GroupError::NotFound("activity"))?;
            sqlx::query_scalar(
                "INSERT INTO buy_groups (activity_id, sku_id, leader_id, size, held, paid, status,
                     window_secs, auto_percent, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, 1, 0, 'pending', $5, $6, $7, $7) RETURNING id",
            )
            .bind(t.activity_id)
            .bind(t.sku_id)
            .bind(t.user_id)
            .bind(s.size)
            .bind(s.window_secs)
            .bind(s.auto_percent)
            .bind(t.now)
            .fetch_one(&mut *conn)
            .await?
        }
        GroupRole::Member => {
            let id = t.group_id.ok_or(GroupError::NotFound("group"))?;
            let r = sqlx::query(
                "UPDATE buy_groups SET held = held + 1, updated_at = $1
                 WHERE id = $2 AND activity_id = $3 AND sku_id = $4 AND status = 'open'
                   AND held < size AND expires_at > $1",
            )
            .bind(t.now)
            .bind(id)
            .bind(t.activity_id)
            .bind(t.sku_id)
            .execute(&mut *conn)
            .await?;
            if r.rows_affected() != 1 {
                return Err(why_not(conn, id, t.user_id, t.now).await);
            }
            id
        }
    };
    let new_user = is_new_user(&mut *conn, t.user_id).await?;
    let role = match t.role {
        GroupRole::Leader => "leader",
        GroupRole::Member => "member",
    };
    let r = sqlx::query(
        "INSERT INTO group_members (group_id, user_id, order_id, role, status, shared_by, new_user, joined_at)
         VALUES ($1, $2, $3, $4, 'held', $5, $6, $7)
         ON CONFLICT (group_id, user_id) WHERE status <> 'released' DO NOTHING",
    )
    .bind(group_id)
    .bind(t.user_id)
    .bind(t.order_id)
    .bind(role)
    .bind(t.shared_by.filter(|s| *s != t.user_id))
    .bind(crate::db::flag(new_user))
    .bind(t.now)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() != 1 {
        // The caller rolls back, which gives the counted seat back too.
        return Err(RuleError::GroupAlreadyJoined.into());
    }
    Ok(group_id)
}

/// Why a seat could not be taken, in the core's words.
async fn why_not(conn: &mut AnyConnection, group_id: i64, user_id: i64, now: i64) -> GroupError {
    let state = match state(&mut *conn, group_id).await {
        Ok(Some(s)) => s,
        Ok(None) => return GroupError::NotFound("group"),
        Err(e) => return e.into(),
    };
    let already_member = match is_member(&mut *conn, group_id, user_id).await {
        Ok(m) => m,
        Err(e) => return e.into(),
    };
    match mall_core::check_join(&JoinInput {
        group: state,
        now,
        already_member,
    }) {
        Err(rule) => rule.into(),
        // Joinable, so it is another activity's or SKU's group.
        Ok(_) => GroupError::NotFound("group"),
    }
}

/// A filled seat: the group and its counters after this payment.
pub struct Filled {
    pub group_id: i64,
    pub role: GroupRole,
    pub paid: i64,
    pub size: i64,
}

/// Fill the seat of a paid order: the member row `held → paid`, the group's
/// `paid + 1` (a pending group opens with its leader's payment). None when
/// the order holds no seat.
pub async fn fill(
    conn: &mut AnyConnection,
    order_id: i64,
    now: i64,
) -> Result<Option<Filled>, GroupError> {
    let seat: Option<(i64, String)> = sqlx::query_as(
        "UPDATE group_members SET status = 'paid', paid_at = $1
         WHERE order_id = $2 AND status = 'held' RETURNING group_id, role",
    )
    .bind(now)
    .bind(order_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((group_id, role)) = seat else {
        return Ok(None);
    };
    let role = if role == "leader" {
        GroupRole::Leader
    } else {
        GroupRole::Member
    };
    let row: Option<(i64, i64)> = match role {
        // The leader's payment opens the group: its window starts now, and
        // ends with the activity at the latest.
        GroupRole::Leader => sqlx::query_as(
            "UPDATE buy_groups SET status = 'open', paid = paid + 1, opened_at = $1, updated_at = $1,
                 expires_at = (SELECT CASE WHEN a.ends_at < $1 + buy_groups.window_secs
                                   THEN a.ends_at ELSE $1 + buy_groups.window_secs END
                               FROM activities a WHERE a.id = buy_groups.activity_id)
             WHERE id = $2 AND status = 'pending' RETURNING paid, size",
        ),
        GroupRole::Member => sqlx::query_as(
            "UPDATE buy_groups SET paid = paid + 1, updated_at = $1
             WHERE id = $2 AND status = 'open' RETURNING paid, size",
        ),
    }
    .bind(now)
    .bind(group_id)
    .fetch_optional(&mut *conn)
    .await?;
    // A held seat keeps its group open until it is paid or released (the
    // expiry waits for it), so this cannot be missing.
    let (paid, size) = row.ok_or_else(|| {
        GroupError::Other(anyhow::anyhow!(
            "group {group_id} is no longer open for the paid seat of order {order_id}"
        ))
    })?;
    Ok(Some(Filled {
        group_id,
        role,
        paid,
        size,
    }))
}

/// Give back the seat of an order cancelled or expired unpaid (in its
/// transaction). A leader's group that never opened is cancelled with it.
pub async fn release(conn: &mut AnyConnection, order_id: i64, now: i64) -> sqlx::Result<()> {
    let seat: Option<(i64, String)> = sqlx::query_as(
        "UPDATE group_members SET status = 'released'
         WHERE order_id = $1 AND status = 'held' RETURNING group_id, role",
    )
    .bind(order_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((group_id, role)) = seat else {
        return Ok(());
    };
    let sql = if role == "leader" {
        "UPDATE buy_groups SET held = held - 1, status = 'cancelled', closed_at = $1, updated_at = $1
         WHERE id = $2 AND status = 'pending'"
    } else {
        "UPDATE buy_groups SET held = held - 1, updated_at = $1 WHERE id = $2"
    };
    sqlx::query(sql)
        .bind(now)
        .bind(group_id)
        .execute(conn)
        .await?;
    Ok(())
}
