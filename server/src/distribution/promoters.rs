//! Promoters (分销员): a shopper asks; in the everyone mode they are approved
//! at once, in the approval mode they apply and the merchant decides. No fee,
//! no purchase requirement, no reward for recruiting. One row per user; each
//! change is one conditional statement.

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

use super::settings::{self, Mode};
use super::DistributionError;
use crate::paging::{Page, Paging};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PromoterStatus {
    Applied,
    Approved,
    Rejected,
}

impl PromoterStatus {
    pub const ALL: [PromoterStatus; 3] = [
        PromoterStatus::Applied,
        PromoterStatus::Approved,
        PromoterStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PromoterStatus::Applied => "applied",
            PromoterStatus::Approved => "approved",
            PromoterStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<PromoterStatus> {
        PromoterStatus::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Promoter {
    pub user_id: i64,
    pub nickname: String,
    pub status: PromoterStatus,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

fn promoter(r: &sqlx::any::AnyRow) -> Result<Promoter, DistributionError> {
    let status: String = r.try_get("status")?;
    Ok(Promoter {
        user_id: r.try_get("user_id")?,
        nickname: r.try_get("nickname")?,
        status: PromoterStatus::parse(&status)
            .ok_or_else(|| anyhow::anyhow!("promoter status {status:?}"))?,
        created_at: r.try_get("created_at")?,
        decided_at: r.try_get("decided_at")?,
    })
}

const SELECT: &str = "SELECT p.user_id, u.nickname, p.status, p.created_at, p.decided_at
     FROM promoters p JOIN users u ON u.id = p.user_id";

pub async fn get(
    conn: &mut AnyConnection,
    user_id: i64,
) -> Result<Option<Promoter>, DistributionError> {
    let row = sqlx::query(&format!("{SELECT} WHERE p.user_id = $1"))
        .bind(user_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(promoter).transpose()
}

/// Whether `user_id` is an approved promoter.
pub async fn is_approved(conn: &mut AnyConnection, user_id: i64) -> sqlx::Result<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM promoters WHERE user_id = $1 AND status = $2")
            .bind(user_id)
            .bind(PromoterStatus::Approved.as_str())
            .fetch_one(conn)
            .await?;
    Ok(n > 0)
}

/// The shopper asks to promote: approved at once (everyone mode) or applied
/// (approval mode; a rejected shopper may apply again). Asking again changes
/// nothing. Answers the shopper's promoter record.
pub async fn join(
    conn: &mut AnyConnection,
    user_id: i64,
    now: i64,
) -> Result<Promoter, DistributionError> {
    let s = settings::load(&mut *conn, "").await?;
    if !s.enabled {
        return Err(DistributionError::Disabled);
    }
    let sql = match s.mode {
        Mode::Everyone => {
            "INSERT INTO promoters (user_id, status, created_at, decided_at) VALUES ($1, 'approved', $2, $2)
             ON CONFLICT (user_id) DO UPDATE SET status = 'approved', decided_at = excluded.decided_at
             WHERE promoters.status <> 'approved'"
        }
        Mode::Approval => {
            "INSERT INTO promoters (user_id, status, created_at, decided_at) VALUES ($1, 'applied', $2, NULL)
             ON CONFLICT (user_id) DO UPDATE SET status = 'applied', created_at = excluded.created_at, decided_at = NULL
             WHERE promoters.status = 'rejected'"
        }
    };
    sqlx::query(sql)
        .bind(user_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    get(conn, user_id)
        .await?
        .ok_or(DistributionError::NotFound("promoter"))
}

/// The merchant approves or rejects an application (one conditional update:
/// only an applied one).
pub async fn decide(
    conn: &mut AnyConnection,
    user_id: i64,
    approve: bool,
    now: i64,
) -> Result<Promoter, DistributionError> {
    let to = if approve {
        PromoterStatus::Approved
    } else {
        PromoterStatus::Rejected
    };
    let r = sqlx::query(
        "UPDATE promoters SET status = $1, decided_at = $2 WHERE user_id = $3 AND status = $4",
    )
    .bind(to.as_str())
    .bind(now)
    .bind(user_id)
    .bind(PromoterStatus::Applied.as_str())
    .execute(&mut *conn)
    .await?;
    let p = get(&mut *conn, user_id)
        .await?
        .ok_or(DistributionError::NotFound("promoter"))?;
    if r.rows_affected() != 1 {
        return Err(DistributionError::PromoterState);
    }
    Ok(p)
}

/// Promoters and applications, newest first, optionally of one status.
pub async fn list(
    conn: &mut AnyConnection,
    status: Option<PromoterStatus>,
    paging: Paging,
) -> Result<Page<Promoter>, DistributionError> {
    // '' matches every status (one statement, the same parameters either way).
    let status = status.map_or("", PromoterStatus::as_str);
    let total: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM promoters p WHERE ($1 = '' OR p.status = $1)")
            .bind(status)
            .fetch_one(&mut *conn)
            .await?;
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE ($1 = '' OR p.status = $1) ORDER BY p.created_at DESC, p.user_id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(status)
    .bind(paging.page_size)
    .bind(paging.offset())
    .fetch_all(&mut *conn)
    .await?;
    let items = rows.iter().map(promoter).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::new(items, paging, total))
}
