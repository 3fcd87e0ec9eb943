//! The monthly leaderboard (每月Top分销员): promoters ranked by the
//! commissionable sales of the orders they earned level-1 commission on,
//! paid within a Beijing-time month (UTC+8 boundaries): the lines' paid
//! amounts (the order's payable less shipping) less what was refunded. Ties
//! go to the lower promoter id. At month end the job grants the top N
//! (`leaderboardTop`) the configured reward — cash credited to the balance
//! and/or a coupon — exactly once: each grant is a row of
//! `leaderboard_rewards`, unique per (month, rank) and (month, promoter),
//! inserted `ON CONFLICT DO NOTHING` in the transaction that grants it, so a
//! second run, or a second instance, inserts nothing and grants nothing.
//! No team performance: only a promoter's own (level-1) sales count.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::{account, center, settings, DistributionError};
use crate::clock::{beijing_date_start, beijing_rfc3339};
use crate::db::Db;

/// A month as the API writes it.
pub const MONTH_PATTERN: &str = r"^20[0-9]{2}-(0[1-9]|1[0-2])$";
/// The ranking shown when the merchant rewards no one (`leaderboardTop` 0).
pub const DEFAULT_SHOWN: i64 = 10;

/// The Beijing month holding `t`, `2025-01`.
pub fn month_of(t: i64) -> String {
    beijing_rfc3339(t)[..7].to_string()
}

/// `[start, end)` of a Beijing month (None for a malformed one).
pub fn bounds(month: &str) -> Option<(i64, i64)> {
    if month.len() != 7 {
        return None;
    }
    let start = beijing_date_start(&format!("{month}-01"))?;
    let end = beijing_date_start(&format!("{}-01", next(month)?))?;
    Some((start, end))
}

fn parts(month: &str) -> Option<(i64, i64)> {
    let (y, m) = month.split_once('-')?;
    Some((y.parse().ok()?, m.parse().ok()?))
}

fn next(month: &str) -> Option<String> {
    let (y, m) = parts(month)?;
    Some(if m == 12 {
        format!("{:04}-01", y + 1)
    } else {
        format!("{y:04}-{:02}", m + 1)
    })
}

/// The month before `month`.
pub fn previous(month: &str) -> Option<String> {
    let (y, m) = parts(month)?;
    Some(if m == 1 {
        format!("{:04}-12", y - 1)
    } else {
        format!("{y:04}-{:02}", m - 1)
    })
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rank {
    pub rank: i64,
    pub promoter_id: i64,
    pub nickname: String,
    /// Fen.
    pub sales: i64,
}

/// The month's top `limit` approved promoters with sales.
pub async fn ranking(
    conn: &mut AnyConnection,
    month: &str,
    limit: i64,
) -> Result<Vec<Rank>, DistributionError> {
    let (start, end) =
        bounds(month).ok_or(DistributionError::Invalid("month", "YYYY-MM".into()))?;
    let rows = sqlx::query(
        "SELECT s.promoter_id, u.nickname, s.sales FROM (
             SELECT CAST(c.promoter_id AS BIGINT) AS promoter_id,
                    CAST(SUM(CASE WHEN o.payable - o.shipping_fee - o.refunded_amount > 0
                                  THEN o.payable - o.shipping_fee - o.refunded_amount ELSE 0 END) AS BIGINT) AS sales
             FROM (SELECT DISTINCT order_id, promoter_id FROM commissions WHERE level = 1) c
             JOIN orders o ON o.id = c.order_id
             WHERE o.paid_at >= $1 AND o.paid_at < $2
             GROUP BY c.promoter_id
         ) s
         JOIN promoters p ON p.user_id = s.promoter_id AND p.status = 'approved'
         JOIN users u ON u.id = s.promoter_id
         WHERE s.sales > 0
         ORDER BY s.sales DESC, s.promoter_id ASC LIMIT $3",
    )
    .bind(start)
    .bind(end)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        out.push(Rank {
            rank: i as i64 + 1,
            promoter_id: r.try_get("promoter_id")?,
            nickname: r.try_get("nickname")?,
            sales: r.try_get("sales")?,
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShownRank {
    pub rank: i64,
    /// Masked nickname.
    pub nickname: String,
    pub sales: i64,
    /// This is the viewer.
    pub me: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Board {
    pub month: String,
    /// How many the month end rewards.
    pub rewarded: i64,
    pub items: Vec<ShownRank>,
}

/// The shopper's view of the month's ranking: masked names.
pub async fn board(
    conn: &mut AnyConnection,
    viewer: i64,
    month: &str,
) -> Result<Board, DistributionError> {
    let s = settings::load(&mut *conn, "").await?;
    let shown = if s.leaderboard_top > 0 {
        s.leaderboard_top
    } else {
        DEFAULT_SHOWN
    };
    let items = ranking(conn, month, shown)
        .await?
        .into_iter()
        .map(|r| ShownRank {
            rank: r.rank,
            nickname: center::mask(&r.nickname),
            sales: r.sales,
            me: r.promoter_id == viewer,
        })
        .collect();
    Ok(Board {
        month: month.to_string(),
        rewarded: s.leaderboard_top,
        items,
    })
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reward {
    pub month: String,
    pub rank: i64,
    pub promoter_id: i64,
    pub nickname: String,
    pub sales: i64,
    /// Fen credited to the balance.
    pub cash: i64,
    pub coupon_id: Option<i64>,
    pub created_at: i64,
}

pub async fn rewards(
    conn: &mut AnyConnection,
    month: &str,
) -> Result<Vec<Reward>, DistributionError> {
    let rows = sqlx::query(
        "SELECT r.month, r.rank, r.promoter_id, u.nickname, r.sales, r.cash, r.coupon_id, r.created_at
         FROM leaderboard_rewards r JOIN users u ON u.id = r.promoter_id
         WHERE r.month = $1 ORDER BY r.rank",
    )
    .bind(month)
    .fetch_all(conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(Reward {
            month: r.try_get("month")?,
            rank: r.try_get("rank")?,
            promoter_id: r.try_get("promoter_id")?,
            nickname: r.try_get("nickname")?,
            sales: r.try_get("sales")?,
            cash: r.try_get("cash")?,
            coupon_id: r.try_get("coupon_id")?,
            created_at: r.try_get("created_at")?,
        });
    }
    Ok(out)
}

/// The merchant's view of a month: the ranking (as many as are rewarded,
/// or [`DEFAULT_SHOWN`] when none are) and the rewards granted for it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MerchantBoard {
    pub month: String,
    pub ranking: Vec<Rank>,
    pub rewards: Vec<Reward>,
}

pub async fn merchant_board(
    conn: &mut AnyConnection,
    month: String,
) -> Result<MerchantBoard, DistributionError> {
    let s = super::settings::load(&mut *conn, "").await?;
    let top = if s.leaderboard_top > 0 {
        s.leaderboard_top
    } else {
        DEFAULT_SHOWN
    };
    let ranking = ranking(&mut *conn, &month, top).await?;
    let rewards = rewards(&mut *conn, &month).await?;
    Ok(MerchantBoard {
        month,
        ranking,
        rewards,
    })
}

/// Grant `month`'s rewards (exactly once; see the module). Returns how many
/// this call granted.
pub async fn grant(db: &Db, month: &str, now: i64) -> Result<usize, DistributionError> {
    let mut tx = db.begin_write().await?;
    let r = grant_in(&mut tx, month, now).await;
    crate::db::finish(tx, r).await
}

async fn grant_in(
    conn: &mut AnyConnection,
    month: &str,
    now: i64,
) -> Result<usize, DistributionError> {
    let s = settings::load(&mut *conn, "").await?;
    if !s.enabled
        || s.leaderboard_top == 0
        || (s.leaderboard_cash == 0 && s.leaderboard_coupon_template_id.is_none())
    {
        return Ok(0);
    }
    let mut granted = 0;
    for r in ranking(&mut *conn, month, s.leaderboard_top).await? {
        let ins = sqlx::query(
            "INSERT INTO leaderboard_rewards (month, rank, promoter_id, sales, cash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(month)
        .bind(r.rank)
        .bind(r.promoter_id)
        .bind(r.sales)
        .bind(s.leaderboard_cash)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        if ins.rows_affected() != 1 {
            continue;
        }
        granted += 1;
        if s.leaderboard_cash > 0 {
            account::credit(&mut *conn, r.promoter_id, s.leaderboard_cash, now).await?;
        }
        if let Some(t) = s.leaderboard_coupon_template_id {
            let coupon = crate::coupons::grant::grant(&mut *conn, r.promoter_id, t, now).await?;
            sqlx::query(
                "UPDATE leaderboard_rewards SET coupon_id = $1 WHERE month = $2 AND rank = $3",
            )
            .bind(coupon)
            .bind(month)
            .bind(r.rank)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(granted)
}

/// The job: once the Beijing month holding `now` has begun, the month
/// before it is rewarded (a no-op once it has been).
pub async fn month_end(db: &Db, now: i64) -> Result<usize, DistributionError> {
    let Some(month) = previous(&month_of(now)) else {
        return Ok(0);
    };
    let done: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM leaderboard_rewards WHERE month = $1")
        .bind(&month)
        .fetch_one(&db.pool)
        .await?;
    if done > 0 {
        return Ok(0);
    }
    grant(db, &month, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_beijing_months() {
        // 2026-11-30T16:00:00Z is 2026-12-01T00:00:00+08:00.
        let dec = 1_795_996_800 + 16 * 3600;
        let t = beijing_date_start("2026-12-01").unwrap();
        assert_eq!(t, dec);
        assert_eq!(month_of(t), "2026-12");
        assert_eq!(month_of(t - 1), "2026-11");
        assert_eq!(
            bounds("2026-12"),
            Some((t, beijing_date_start("2027-01-01").unwrap()))
        );
        assert_eq!(previous("2026-01").as_deref(), Some("2025-12"));
        assert_eq!(bounds("2026-13"), None);
    }
}
