//! Member segments (RFM: new, high-frequency, active, at risk, dormant) and
//! the merchant's tags, for the member list and campaign audiences.
//!
//! The job recomputes every member's segment with the core's
//! `member_segment` from the same snapshot the campaigns read
//! (`member_campaigns::members::page`), once per [`EVERY_SECS`] on however
//! many instances (one conditional UPDATE of `job_runs` claims a run). A
//! member whose segment changed is updated with a compare-and-set on the
//! segment read, and only the instance whose update took records the change
//! in the history: each change once.

pub mod tags;

use std::collections::BTreeMap;

use mall_core::segments::{member_segment, Segment, SegmentInput, SegmentRules};
use serde::Serialize;
use sqlx::AnyConnection;

use crate::db::{placeholders, Db};
use crate::member_campaigns::members;

/// The job's window.
pub const EVERY_SECS: i64 = 3_600;
/// History entries shown with a member.
pub const HISTORY: i64 = 20;

/// The segment's name in the API and the tables (the core's serde name).
pub fn name(s: Segment) -> &'static str {
    match s {
        Segment::New => "new",
        Segment::HighFrequency => "highFrequency",
        Segment::Active => "active",
        Segment::AtRisk => "atRisk",
        Segment::Dormant => "dormant",
    }
}

pub const NAMES: [&str; 5] = ["new", "highFrequency", "active", "atRisk", "dormant"];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub members: usize,
    /// Members whose segment this run set or changed (history entries written).
    pub changed: usize,
}

/// The job: recompute if no instance did within the window.
pub async fn recompute_due(db: &Db, now: i64) -> anyhow::Result<Option<Report>> {
    let claimed = sqlx::query(
        "UPDATE job_runs SET claimed_at = $1 WHERE name = 'member_segments' AND claimed_at <= $2",
    )
    .bind(now)
    .bind(now - EVERY_SECS)
    .execute(&mut *db.write_conn().await?)
    .await?;
    if claimed.rows_affected() == 0 {
        return Ok(None);
    }
    recompute(db, now).await.map(Some)
}

/// Every member's segment at `now`; changes written page by page.
pub async fn recompute(db: &Db, now: i64) -> anyhow::Result<Report> {
    let program = {
        let mut conn = db.pool.acquire().await?;
        crate::shop_rules::load(&mut conn)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .member
    };
    let rules = SegmentRules::default();
    let mut report = Report::default();
    let mut after = 0;
    loop {
        // Read with a connection given back before the write (a pool of
        // one writer and few readers must not wait on itself).
        let (page, stored) = {
            let mut conn = db.pool.acquire().await?;
            let page = members::page(&mut conn, &program, &rules, after, now).await?;
            let (Some(first), Some(last)) = (page.first(), page.last()) else {
                break;
            };
            let (lo, hi) = (first.0, last.0);
            let stored = stored(&mut conn, lo, hi).await?;
            (page, stored)
        };
        after = page.last().map_or(after, |l| l.0);
        let mut changes = Vec::new();
        for (user, member) in page {
            report.members += 1;
            let seg = member_segment(&SegmentInput {
                now,
                member,
                rules: rules.clone(),
            })?;
            let new = name(seg.segment);
            let old = stored.get(&user).map(String::as_str);
            if old != Some(new) {
                changes.push((user, old.map(str::to_string), new));
            }
        }
        if changes.is_empty() {
            continue;
        }
        let mut tx = db.begin_write().await?;
        for (user, old, new) in changes {
            let took = match &old {
                None => {
                    sqlx::query(
                        "INSERT INTO member_segments (user_id, segment, since, computed_at)
                     VALUES ($1, $2, $3, $3) ON CONFLICT (user_id) DO NOTHING",
                    )
                    .bind(user)
                    .bind(new)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                }
                Some(prev) => {
                    sqlx::query(
                        "UPDATE member_segments SET segment = $2, since = $3, computed_at = $3
                     WHERE user_id = $1 AND segment = $4",
                    )
                    .bind(user)
                    .bind(new)
                    .bind(now)
                    .bind(prev)
                    .execute(&mut *tx)
                    .await?
                }
            };
            if took.rows_affected() == 1 {
                sqlx::query(
                    "INSERT INTO member_segment_history (user_id, segment, previous, at)
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(user)
                .bind(new)
                .bind(old)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                report.changed += 1;
            }
        }
        tx.commit().await?;
    }
    Ok(report)
}

/// The stored segments of members `lo..=hi`.
async fn stored(conn: &mut AnyConnection, lo: i64, hi: i64) -> sqlx::Result<BTreeMap<i64, String>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT user_id, segment FROM member_segments WHERE user_id >= $1 AND user_id <= $2",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// The segments of these members (absent: not computed yet).
pub async fn of(conn: &mut AnyConnection, ids: &[i64]) -> sqlx::Result<BTreeMap<i64, String>> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let sql = format!(
        "SELECT user_id, segment FROM member_segments WHERE user_id IN ({})",
        placeholders(1, ids.len())
    );
    let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
    for id in ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn).await?.into_iter().collect())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub segment: String,
    pub previous: Option<String>,
    pub at: i64,
}

/// A member's segment changes, latest first.
pub async fn history(conn: &mut AnyConnection, user: i64) -> sqlx::Result<Vec<HistoryEntry>> {
    let rows: Vec<(String, Option<String>, i64)> = sqlx::query_as(
        "SELECT segment, previous, at FROM member_segment_history WHERE user_id = $1
         ORDER BY id DESC LIMIT $2",
    )
    .bind(user)
    .bind(HISTORY)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(segment, previous, at)| HistoryEntry {
            segment,
            previous,
            at,
        })
        .collect())
}

/// How many members are in each segment now (every segment listed).
pub async fn counts(conn: &mut AnyConnection) -> sqlx::Result<Vec<(String, i64)>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT segment, CAST(COUNT(*) AS BIGINT) FROM member_segments GROUP BY segment",
    )
    .fetch_all(conn)
    .await?;
    Ok(NAMES
        .iter()
        .map(|n| {
            let c = rows.iter().find(|r| r.0 == *n).map_or(0, |r| r.1);
            (n.to_string(), c)
        })
        .collect())
}
