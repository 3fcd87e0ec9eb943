//! The promoter center (推广中心): the shopper's promoter record, earnings by
//! ledger state, team counts per level (counts only), and the orders that
//! earned them commission with the buyer masked.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::binding;
use super::ledger::{self, Balances};
use super::promoters::{self, Promoter};
use super::DistributionError;
use crate::paging::{Page, Paging};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Team {
    pub level1: i64,
    pub level2: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Center {
    /// None: not a promoter (nor an applicant) yet.
    pub promoter: Option<Promoter>,
    pub earnings: Balances,
    pub team: Team,
}

pub async fn summary(
    conn: &mut AnyConnection,
    user_id: i64,
    now: i64,
) -> Result<Center, DistributionError> {
    let promoter = promoters::get(&mut *conn, user_id).await?;
    let earnings = ledger::balances(&mut *conn, user_id).await?;
    let (level1, level2) = binding::team(&mut *conn, user_id, now).await?;
    Ok(Center {
        promoter,
        earnings,
        team: Team { level1, level2 },
    })
}

/// `张三` → `张*`, `a` → `*`: the first character and a star.
pub fn mask(nickname: &str) -> String {
    let mut c = nickname.chars();
    match (c.next(), c.next()) {
        (Some(first), Some(_)) => format!("{first}**"),
        _ => "*".to_string(),
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PromotedOrder {
    pub order_id: i64,
    pub order_no: String,
    /// The buyer's nickname, masked.
    pub buyer: String,
    pub level: i64,
    /// Fen: the order's commission to this promoter, reversals included.
    pub commission: i64,
    /// The state of the order's entries (they move together).
    pub status: ledger::EntryStatus,
    pub created_at: i64,
}

/// The orders that earned the promoter commission, newest first.
pub async fn orders(
    conn: &mut AnyConnection,
    user_id: i64,
    paging: Paging,
) -> Result<Page<PromotedOrder>, DistributionError> {
    let me = user_id.to_string();
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT order_id) FROM commissions WHERE promoter_id = $1",
    )
    .bind(&me)
    .fetch_one(&mut *conn)
    .await?;
    let rows = sqlx::query(
        "SELECT c.order_id, o.order_no, u.nickname, MIN(c.level) AS level,
                CAST(SUM(c.amount) AS BIGINT) AS commission, MIN(c.id) AS first_id, o.created_at
         FROM commissions c JOIN orders o ON o.id = c.order_id JOIN users u ON u.id = o.user_id
         WHERE c.promoter_id = $1
         GROUP BY c.order_id, o.order_no, u.nickname, o.created_at
         ORDER BY c.order_id DESC LIMIT $2 OFFSET $3",
    )
    .bind(&me)
    .bind(paging.page_size)
    .bind(paging.offset())
    .fetch_all(&mut *conn)
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let first: i64 = r.try_get("first_id")?;
        let status: String = sqlx::query_scalar("SELECT status FROM commissions WHERE id = $1")
            .bind(first)
            .fetch_one(&mut *conn)
            .await?;
        let nickname: String = r.try_get("nickname")?;
        items.push(PromotedOrder {
            order_id: r.try_get("order_id")?,
            order_no: r.try_get("order_no")?,
            buyer: mask(&nickname),
            level: r.try_get("level")?,
            commission: r.try_get("commission")?,
            status: ledger::EntryStatus::parse(&status)
                .ok_or_else(|| anyhow::anyhow!("commission status {status:?}"))?,
            created_at: r.try_get("created_at")?,
        });
    }
    Ok(Page::new(items, paging, total))
}

#[cfg(test)]
mod tests {
    #[test]
    fn buyers_are_masked() {
        assert_eq!(super::mask("张三丰"), "张**");
        assert_eq!(super::mask("张"), "*");
        assert_eq!(super::mask(""), "*");
    }
}
