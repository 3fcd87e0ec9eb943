//! What shoppers and the merchant see of groups: the open groups of a
//! product (还差N人成团, time left), one group with its members and
//! progress, a shopper's own groups, and the merchant's list. Progress is
//! the core's (`group_progress`, `check_join`), from the stored counters.

use mall_core::{GroupProgress, GroupState, GroupStatus, JoinInput, ProgressInput};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::GroupError;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub nickname: String,
    pub avatar: String,
}

/// An open group a shopper can join, as the product page lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupCard {
    pub group_id: i64,
    pub activity_id: String,
    pub sku_id: i64,
    pub leader: Person,
    pub expires_at: Option<i64>,
    pub progress: GroupProgress,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub nickname: String,
    pub avatar: String,
    /// `leader` or `member`.
    pub role: String,
    /// Paid (a seat held by an unpaid order shows as not paid).
    pub paid: bool,
    pub joined_at: i64,
}

/// One group, for its page.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupView {
    pub group_id: i64,
    pub activity_id: String,
    pub title: String,
    pub sku_id: i64,
    pub product_id: i64,
    pub product_title: String,
    pub image: String,
    pub list_price: i64,
    /// The group price a joiner pays.
    pub price: i64,
    pub leader_price: Option<i64>,
    pub expires_at: Option<i64>,
    /// 系统成团: formed at expiry with the seats paid then (no one invented).
    pub auto_formed: bool,
    pub progress: GroupProgress,
    /// Real members only, leader first.
    pub members: Vec<Member>,
    /// The viewer's own order in this group.
    pub my_order_id: Option<i64>,
    /// Whether the viewer can join now; else the code saying why not.
    pub can_join: bool,
    pub join_refusal: Option<String>,
}

fn progress(state: &GroupState, now: i64) -> Result<GroupProgress, GroupError> {
    Ok(mall_core::group_progress(&ProgressInput {
        group: state.clone(),
        now,
    })?)
}

fn state_of(row: &sqlx::any::AnyRow) -> Result<GroupState, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(GroupState {
        status: GroupStatus::parse(&status).unwrap_or(GroupStatus::Cancelled),
        size: row.try_get::<i64, _>("size")?.max(0) as u64,
        held: row.try_get::<i64, _>("held")?.max(0) as u64,
        paid: row.try_get::<i64, _>("paid")?.max(0) as u64,
        expires_at: row.try_get("expires_at")?,
    })
}

/// Open groups of a product that still have a free seat, soonest to expire
/// first (at most `limit`).
pub async fn open_for_product(
    conn: &mut AnyConnection,
    product_id: i64,
    now: i64,
    limit: i64,
) -> Result<Vec<GroupCard>, GroupError> {
    let rows = sqlx::query(
        "SELECT g.id, g.activity_id, g.sku_id, g.status, g.size, g.held, g.paid, g.expires_at,
                u.nickname, u.avatar
         FROM buy_groups g JOIN skus s ON s.id = g.sku_id JOIN users u ON u.id = g.leader_id
         WHERE s.product_id = $1 AND g.status = 'open' AND g.expires_at > $2 AND g.held < g.size
         ORDER BY g.expires_at, g.id LIMIT $3",
    )
    .bind(product_id)
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let state = state_of(&r)?;
        out.push(GroupCard {
            group_id: r.try_get("id")?,
            activity_id: r.try_get("activity_id")?,
            sku_id: r.try_get("sku_id")?,
            leader: Person {
                nickname: r.try_get("nickname")?,
                avatar: r.try_get("avatar")?,
            },
            expires_at: state.expires_at,
            progress: progress(&state, now)?,
        });
    }
    Ok(out)
}

/// One group as `viewer` sees it (None: no such group, or one whose leader
/// never paid and that the viewer is not in).
pub async fn detail(
    conn: &mut AnyConnection,
    group_id: i64,
    viewer: i64,
    now: i64,
) -> Result<Option<GroupView>, GroupError> {
    let row = sqlx::query(
        "SELECT g.id, g.activity_id, g.sku_id, g.status, g.size, g.held, g.paid, g.expires_at,
                COALESCE(a.title, '') AS title, s.product_id, p.title AS product_title,
                p.main_image, s.list_price, COALESCE(x.price, s.list_price) AS price, x.leader_price
         FROM buy_groups g JOIN skus s ON s.id = g.sku_id JOIN products p ON p.id = s.product_id
         LEFT JOIN activities a ON a.id = g.activity_id
         LEFT JOIN activity_skus x ON x.activity_id = g.activity_id AND x.sku_id = g.sku_id
         WHERE g.id = $1",
    )
    .bind(group_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let state = state_of(&r)?;
    let members: Vec<(String, String, String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT u.nickname, u.avatar, m.role, m.status, m.joined_at, m.user_id, m.order_id
         FROM group_members m JOIN users u ON u.id = m.user_id
         WHERE m.group_id = $1 AND m.status <> 'released'
         ORDER BY CASE WHEN m.role = 'leader' THEN 0 ELSE 1 END, m.id",
    )
    .bind(group_id)
    .fetch_all(&mut *conn)
    .await?;
    let mine = members.iter().find(|m| m.5 == viewer).map(|m| m.6);
    if state.status == GroupStatus::Pending && mine.is_none() {
        return Ok(None);
    }
    let join = mall_core::check_join(&JoinInput {
        group: state.clone(),
        now,
        already_member: mine.is_some(),
    });
    Ok(Some(GroupView {
        group_id,
        activity_id: r.try_get("activity_id")?,
        title: r.try_get("title")?,
        sku_id: r.try_get("sku_id")?,
        product_id: r.try_get("product_id")?,
        product_title: r.try_get("product_title")?,
        image: r.try_get("main_image")?,
        list_price: r.try_get("list_price")?,
        price: r.try_get("price")?,
        leader_price: r.try_get("leader_price")?,
        expires_at: state.expires_at,
        auto_formed: state.status == GroupStatus::AutoSuccess,
        progress: progress(&state, now)?,
        members: members
            .into_iter()
            .map(|m| Member {
                nickname: m.0,
                avatar: m.1,
                role: m.2,
                paid: m.3 == "paid" || m.3 == "refunded",
                joined_at: m.4,
            })
            .collect(),
        my_order_id: mine,
        can_join: join.is_ok(),
        join_refusal: join.err().map(|e| e.code().to_string()),
    }))
}

/// A group the shopper is in, for "my groups".
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MyGroup {
    pub group_id: i64,
    pub order_id: i64,
    pub role: String,
    pub product_title: String,
    pub image: String,
    pub expires_at: Option<i64>,
    pub progress: GroupProgress,
    pub joined_at: i64,
}

/// The shopper's groups, newest first (seats given back are left out).
pub async fn mine(
    conn: &mut AnyConnection,
    user_id: i64,
    now: i64,
    offset: i64,
    limit: i64,
) -> Result<(Vec<MyGroup>, i64), GroupError> {
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM group_members WHERE user_id = $1 AND status <> 'released'",
    )
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?;
    let rows = sqlx::query(
        "SELECT g.id, g.status, g.size, g.held, g.paid, g.expires_at, m.order_id, m.role, m.joined_at,
                p.title AS product_title, p.main_image
         FROM group_members m JOIN buy_groups g ON g.id = m.group_id
         JOIN skus s ON s.id = g.sku_id JOIN products p ON p.id = s.product_id
         WHERE m.user_id = $1 AND m.status <> 'released'
         ORDER BY m.joined_at DESC, m.id DESC LIMIT $2 OFFSET $3",
    )
    .bind(user_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let state = state_of(&r)?;
        out.push(MyGroup {
            group_id: r.try_get("id")?,
            order_id: r.try_get("order_id")?,
            role: r.try_get("role")?,
            product_title: r.try_get("product_title")?,
            image: r.try_get("main_image")?,
            expires_at: state.expires_at,
            progress: progress(&state, now)?,
            joined_at: r.try_get("joined_at")?,
        });
    }
    Ok((out, total))
}

/// A group in the merchant's list.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminGroup {
    pub group_id: i64,
    pub activity_id: String,
    pub sku_id: i64,
    pub leader: Person,
    pub status: GroupStatus,
    pub size: i64,
    pub held: i64,
    pub paid: i64,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub closed_at: Option<i64>,
}

/// Groups for the console, newest first, by status and activity.
pub async fn admin_list(
    conn: &mut AnyConnection,
    status: Option<GroupStatus>,
    activity_id: Option<&str>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<AdminGroup>, i64), GroupError> {
    let filter = "($1 = '' OR g.status = $1) AND ($2 = '' OR g.activity_id = $2)";
    let status = status.map(|s| s.as_str()).unwrap_or("");
    let activity = activity_id.unwrap_or("");
    let total: i64 =
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM buy_groups g WHERE {filter}"))
            .bind(status)
            .bind(activity)
            .fetch_one(&mut *conn)
            .await?;
    let rows = sqlx::query(&format!(
        "SELECT g.id, g.activity_id, g.sku_id, g.status, g.size, g.held, g.paid, g.created_at,
                g.expires_at, g.closed_at, u.nickname, u.avatar
         FROM buy_groups g JOIN users u ON u.id = g.leader_id WHERE {filter}
         ORDER BY g.id DESC LIMIT $3 OFFSET $4"
    ))
    .bind(status)
    .bind(activity)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let st: String = r.try_get("status")?;
        out.push(AdminGroup {
            group_id: r.try_get("id")?,
            activity_id: r.try_get("activity_id")?,
            sku_id: r.try_get("sku_id")?,
            leader: Person {
                nickname: r.try_get("nickname")?,
                avatar: r.try_get("avatar")?,
            },
            status: GroupStatus::parse(&st).unwrap_or(GroupStatus::Cancelled),
            size: r.try_get("size")?,
            held: r.try_get("held")?,
            paid: r.try_get("paid")?,
            created_at: r.try_get("created_at")?,
            expires_at: r.try_get("expires_at")?,
            closed_at: r.try_get("closed_at")?,
        });
    }
    Ok((out, total))
}
