//! The commission ledger (`commissions`): one row per share earned (positive,
//! at payment) or reversed (negative, by a refund; positive again when that
//! refund ends closed). Each row has a state:
//!
//! ```text
//! pending (paid) ──order received──▶ frozen (available_at = received + the
//!   after-sales window + frozenDays) ──release_due (job)──▶ available
//!   (credited to the promoter's balance, `account`; withdrawals draw on
//!   that balance, not on entries, so entries stay available)
//! ```
//!
//! Every transition is one conditional `UPDATE … WHERE status = $from`. A
//! later row of an order (a reversal, or its offset) starts in the state of
//! the order's first entry, with its `available_at`, so it moves with the
//! entries it corrects; once those are available (or withdrawn) it is
//! available at once, and a negative one nets against the promoter's
//! balance (Σ available rows, which may go below zero and is paid off by
//! future commission): a reversal is never lost.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::account;
use super::settings::{self, AFTER_SALE_WINDOW_DAYS};
use super::DistributionError;
use crate::db::Db;
use crate::paging::{Page, Paging};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EntryStatus {
    Pending,
    Frozen,
    Available,
    Withdrawn,
}

impl EntryStatus {
    pub const ALL: [EntryStatus; 4] = [
        EntryStatus::Pending,
        EntryStatus::Frozen,
        EntryStatus::Available,
        EntryStatus::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Pending => "pending",
            EntryStatus::Frozen => "frozen",
            EntryStatus::Available => "available",
            EntryStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<EntryStatus> {
        EntryStatus::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

pub struct NewEntry<'a> {
    pub order_id: i64,
    pub after_sale_id: Option<i64>,
    pub level: i64,
    pub promoter: &'a str,
    pub amount: i64,
}

/// Insert a row in the state of its order's first entry (pending for the
/// first; available for a correction of withdrawn entries).
pub async fn insert(conn: &mut AnyConnection, e: &NewEntry<'_>, now: i64) -> sqlx::Result<()> {
    let first: Option<(String, Option<i64>)> = sqlx::query_as(
        "SELECT status, available_at FROM commissions WHERE order_id = $1 ORDER BY id LIMIT 1",
    )
    .bind(e.order_id)
    .fetch_optional(&mut *conn)
    .await?;
    let (status, available_at) = match first {
        None => (EntryStatus::Pending, None),
        Some((s, at)) => match EntryStatus::parse(&s).unwrap_or(EntryStatus::Pending) {
            EntryStatus::Withdrawn => (EntryStatus::Available, at),
            s => (s, at),
        },
    };
    sqlx::query(
        "INSERT INTO commissions (order_id, after_sale_id, level, promoter_id, amount, created_at, status, available_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $6)",
    )
    .bind(e.order_id)
    .bind(e.after_sale_id)
    .bind(e.level)
    .bind(e.promoter)
    .bind(e.amount)
    .bind(now)
    .bind(status.as_str())
    .bind(available_at)
    .execute(&mut *conn)
    .await?;
    if status == EntryStatus::Available {
        if let Ok(p) = e.promoter.parse::<i64>() {
            account::credit(conn, p, e.amount, now).await?;
        }
    }
    Ok(())
}

/// The order was received: its pending entries freeze until the after-sales
/// window and the configured frozen days have passed. Returns rows moved.
pub async fn freeze(conn: &mut AnyConnection, order_id: i64, now: i64) -> anyhow::Result<u64> {
    let s = settings::load(&mut *conn, "")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let days = AFTER_SALE_WINDOW_DAYS + s.frozen_days;
    let r = sqlx::query(
        "UPDATE commissions SET status = $1, available_at = $2, updated_at = $3
         WHERE order_id = $4 AND status = $5",
    )
    .bind(EntryStatus::Frozen.as_str())
    .bind(now + days * 86_400)
    .bind(now)
    .bind(order_id)
    .bind(EntryStatus::Pending.as_str())
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

/// The job: frozen entries whose time has come become available and are
/// credited to their promoters' balances in the same transaction. One
/// conditional update, safe on several instances and when run twice.
pub async fn release_due(db: &Db, now: i64) -> sqlx::Result<u64> {
    let mut tx = db.begin_write().await?;
    let r = release_in(&mut tx, now).await;
    crate::db::finish(tx, r).await
}

async fn release_in(conn: &mut AnyConnection, now: i64) -> sqlx::Result<u64> {
    let moved: Vec<(String, i64)> = sqlx::query_as(
        "UPDATE commissions SET status = $1, updated_at = $2
         WHERE status = $3 AND available_at <= $2 RETURNING promoter_id, amount",
    )
    .bind(EntryStatus::Available.as_str())
    .bind(now)
    .bind(EntryStatus::Frozen.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let mut per: std::collections::BTreeMap<i64, i64> = std::collections::BTreeMap::new();
    for (p, amount) in &moved {
        if let Ok(p) = p.parse::<i64>() {
            *per.entry(p).or_default() += amount;
        }
    }
    for (p, amount) in per {
        account::credit(&mut *conn, p, amount, now).await?;
    }
    Ok(moved.len() as u64)
}

/// A promoter's sums (fen): commission per state, and what the balance
/// holds, is being paid out and has been paid out.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Balances {
    pub pending: i64,
    pub frozen: i64,
    /// What may be withdrawn: available commission (reversals included, so
    /// it may be negative) and cash rewards, less withdrawals not returned.
    pub available: i64,
    /// Withdrawals under review or being transferred.
    pub withdrawing: i64,
    /// Withdrawals paid out (SUCCESS).
    pub withdrawn: i64,
}

pub async fn balances(conn: &mut AnyConnection, promoter: i64) -> sqlx::Result<Balances> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, CAST(SUM(amount) AS BIGINT) FROM commissions WHERE promoter_id = $1 GROUP BY status",
    )
    .bind(promoter.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut b = Balances::default();
    for (status, sum) in rows {
        match EntryStatus::parse(&status) {
            Some(EntryStatus::Pending) => b.pending = sum,
            Some(EntryStatus::Frozen) => b.frozen = sum,
            _ => {}
        }
    }
    b.available = account::get(&mut *conn, promoter, "").await?.0;
    let w: Vec<(String, i64)> = sqlx::query_as(
        "SELECT CASE WHEN state = 'SUCCESS' THEN 'SUCCESS' ELSE 'OPEN' END, CAST(SUM(amount) AS BIGINT)
         FROM withdrawals WHERE promoter_id = $1 AND state NOT IN ('FAIL', 'CANCELLED', 'REJECTED')
         GROUP BY CASE WHEN state = 'SUCCESS' THEN 'SUCCESS' ELSE 'OPEN' END",
    )
    .bind(promoter)
    .fetch_all(conn)
    .await?;
    for (k, sum) in w {
        if k == "SUCCESS" {
            b.withdrawn = sum;
        } else {
            b.withdrawing = sum;
        }
    }
    Ok(b)
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub id: i64,
    pub order_id: i64,
    pub after_sale_id: Option<i64>,
    pub level: i64,
    /// Fen: positive earned, negative reversed.
    pub amount: i64,
    pub status: EntryStatus,
    pub created_at: i64,
    pub available_at: Option<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ledger {
    pub promoter_id: i64,
    pub balances: Balances,
    pub entries: Page<Entry>,
}

/// A promoter's ledger, newest first, with the sums per state.
pub async fn ledger(
    conn: &mut AnyConnection,
    promoter: i64,
    paging: Paging,
) -> Result<Ledger, DistributionError> {
    let balances = balances(&mut *conn, promoter).await?;
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM commissions WHERE promoter_id = $1")
        .bind(promoter.to_string())
        .fetch_one(&mut *conn)
        .await?;
    let rows = sqlx::query(
        "SELECT id, order_id, after_sale_id, level, amount, status, created_at, available_at
         FROM commissions WHERE promoter_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
    )
    .bind(promoter.to_string())
    .bind(paging.page_size)
    .bind(paging.offset())
    .fetch_all(&mut *conn)
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let status: String = r.try_get("status")?;
        items.push(Entry {
            id: r.try_get("id")?,
            order_id: r.try_get("order_id")?,
            after_sale_id: r.try_get("after_sale_id")?,
            level: r.try_get("level")?,
            amount: r.try_get("amount")?,
            status: EntryStatus::parse(&status)
                .ok_or_else(|| anyhow::anyhow!("commission status {status:?}"))?,
            created_at: r.try_get("created_at")?,
            available_at: r.try_get("available_at")?,
        });
    }
    Ok(Ledger {
        promoter_id: promoter,
        balances,
        entries: Page::new(items, paging, total),
    })
}
