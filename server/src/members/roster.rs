//! The console's member list (会员列表): each shopper with the level the core
//! computes from their growth, growth, points, total spend (Σ paid_amount of
//! the orders that were paid), paid order count and last order time; one
//! member's detail with recent orders and points ledger.

use mall_core::member::level_for;
use mall_core::MemberProgram;
use serde::Serialize;
use sqlx::AnyConnection;

use crate::db;
use crate::paging::Paging;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Newest member first.
    #[default]
    Newest,
    /// Highest total spend first.
    Spend,
    /// Most recent order first.
    LastOrder,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub keyword: Option<String>,
    /// A level id; `Some("none")` = below every level.
    pub level: Option<String>,
    /// A segment name (`member_segments::NAMES`).
    pub segment: Option<String>,
    /// A tag the member carries.
    pub tag: Option<String>,
    pub sort: Sort,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LevelView {
    pub level_id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberRow {
    pub id: i64,
    pub nickname: String,
    pub avatar: String,
    pub level: Option<LevelView>,
    pub growth: i64,
    pub points: i64,
    pub points_debt: i64,
    /// Σ paid_amount of the member's paid orders, fen.
    pub spend: i64,
    /// Orders that were paid.
    pub order_count: i64,
    /// When the member last placed an order (any status).
    pub last_order_at: Option<i64>,
    pub created_at: i64,
    /// The segment the job last computed (none: not yet).
    pub segment: Option<String>,
    /// The merchant's tags.
    pub tags: Vec<String>,
}

/// Growth values `[lo, hi)` whose level (by the core's rule) is `level`;
/// `None` when no growth reaches it.
fn growth_span(program: &MemberProgram, level: &str) -> Option<(i64, i64)> {
    let big = i64::MAX;
    if level == "none" {
        let lowest = program.levels.iter().map(|l| l.min_growth).min();
        return Some((i64::MIN, lowest.map_or(big, |g| g.min(big as u64) as i64)));
    }
    let l = program.levels.iter().find(|l| l.level_id == level)?;
    // Another level starting at the same growth with a smaller id wins it.
    if level_for(program, l.min_growth).map(|w| w.level_id.as_str()) != Some(level) {
        return None;
    }
    let hi = program
        .levels
        .iter()
        .map(|o| o.min_growth)
        .filter(|g| *g > l.min_growth)
        .min()
        .map_or(big, |g| g.min(big as u64) as i64);
    Some((l.min_growth.min(big as u64) as i64, hi))
}

type Row = (
    i64,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
    i64,
);

const SELECT: &str = "SELECT u.id, u.nickname, u.avatar, u.growth, u.points, u.points_debt,
        CAST(COALESCE(s.spend, 0) AS BIGINT), CAST(COALESCE(s.paid_count, 0) AS BIGINT),
        s.last_at, u.created_at
     FROM users u
     LEFT JOIN (SELECT user_id,
                       SUM(CASE WHEN paid_at IS NOT NULL THEN COALESCE(paid_amount, 0) ELSE 0 END) AS spend,
                       SUM(CASE WHEN paid_at IS NOT NULL THEN 1 ELSE 0 END) AS paid_count,
                       MAX(created_at) AS last_at
                FROM orders GROUP BY user_id) s ON s.user_id = u.id";

fn view(program: &MemberProgram, r: Row) -> MemberRow {
    MemberRow {
        id: r.0,
        nickname: r.1,
        avatar: r.2,
        level: level_for(program, r.3.max(0) as u64).map(|l| LevelView {
            level_id: l.level_id.clone(),
            name: l.name.clone(),
        }),
        growth: r.3,
        points: r.4,
        points_debt: r.5,
        spend: r.6,
        order_count: r.7,
        last_order_at: r.8,
        created_at: r.9,
        segment: None,
        tags: Vec::new(),
    }
}

/// Fill the rows' segments and tags.
async fn with_segments(conn: &mut AnyConnection, rows: &mut [MemberRow]) -> sqlx::Result<()> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut segments = crate::member_segments::of(conn, &ids).await?;
    let mut tags = crate::member_segments::tags::of(conn, &ids).await?;
    for r in rows {
        r.segment = segments.remove(&r.id);
        r.tags = tags.remove(&r.id).unwrap_or_default();
    }
    Ok(())
}

pub async fn list(
    conn: &mut AnyConnection,
    program: &MemberProgram,
    f: &Filter,
    paging: &Paging,
) -> sqlx::Result<(Vec<MemberRow>, i64)> {
    let kw = f
        .keyword
        .as_deref()
        .map(db::like_contains)
        .unwrap_or_default();
    let (lo, hi) = match f.level.as_deref() {
        None => (i64::MIN, i64::MAX),
        Some(level) => match growth_span(program, level) {
            Some(span) => span,
            None => return Ok((Vec::new(), 0)),
        },
    };
    let filter = "WHERE ($1 = '' OR LOWER(u.nickname) LIKE $1 ESCAPE '\\')
           AND u.growth >= $2 AND u.growth < $3
           AND ($4 = '' OR EXISTS (SELECT 1 FROM member_segments ms WHERE ms.user_id = u.id AND ms.segment = $4))
           AND ($5 = '' OR EXISTS (SELECT 1 FROM member_tags mt WHERE mt.user_id = u.id AND mt.tag = $5))";
    let segment = f.segment.as_deref().unwrap_or("");
    let tag = f.tag.as_deref().unwrap_or("");
    let order = match f.sort {
        Sort::Newest => "u.id DESC",
        Sort::Spend => "COALESCE(s.spend, 0) DESC, u.id DESC",
        Sort::LastOrder => "COALESCE(s.last_at, 0) DESC, u.id DESC",
    };
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM users u {filter}"
    ))
    .bind(&kw)
    .bind(lo)
    .bind(hi)
    .bind(segment)
    .bind(tag)
    .fetch_one(&mut *conn)
    .await?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} {filter} ORDER BY {order} LIMIT $6 OFFSET $7"
    ))
    .bind(&kw)
    .bind(lo)
    .bind(hi)
    .bind(segment)
    .bind(tag)
    .bind(paging.page_size)
    .bind(paging.offset())
    .fetch_all(&mut *conn)
    .await?;
    let mut rows: Vec<MemberRow> = rows.into_iter().map(|r| view(program, r)).collect();
    with_segments(conn, &mut rows).await?;
    Ok((rows, total))
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecentOrder {
    pub id: i64,
    pub order_no: String,
    pub status: String,
    pub payable: i64,
    pub paid_amount: Option<i64>,
    pub created_at: i64,
    pub paid_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerRow {
    pub id: i64,
    pub delta: i64,
    pub reason: String,
    pub order_id: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberDetail {
    #[serde(flatten)]
    pub member: MemberRow,
    /// The next level and what it takes (the core's upgrade preview).
    pub status: Option<mall_core::MemberStatus>,
    pub recent_orders: Vec<RecentOrder>,
    pub points_ledger: Vec<LedgerRow>,
    /// The member's segment changes, latest first.
    pub segment_history: Vec<crate::member_segments::HistoryEntry>,
    pub profile: Profile,
}

/// What the member's behaviour says (the last [`PROFILE_DAYS`] days).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// Categories of the products viewed (1 each) and bought (5 each), most first (at most 5).
    pub preferred_categories: Vec<PreferredCategory>,
    /// The middle half of the unit prices paid (fen): the 25th and 75th
    /// percentile of paid lines' unit prices, by units; none without purchases.
    pub price_band: Option<(i64, i64)>,
    /// Paid orders within the window.
    pub paid_orders: i64,
    /// Province and city of the default address (none: no address).
    pub region: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreferredCategory {
    pub id: i64,
    pub name: String,
    pub weight: i64,
}

pub const PROFILE_DAYS: i64 = 180;
/// Categories preferred, at most; a purchase counts as this many views.
pub const PREFERRED: i64 = 5;
pub const PURCHASE_WEIGHT: i64 = 5;

/// The categories of the member's views (1 each) and paid purchases
/// ([`PURCHASE_WEIGHT`] each) since `since`, most first (ties by id), at most
/// [`PREFERRED`]: the profile's, and the search suggestions' preference.
pub async fn preferred_categories(
    conn: &mut AnyConnection,
    user: i64,
    since: i64,
) -> sqlx::Result<Vec<PreferredCategory>> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT t.category_id, c.name, CAST(SUM(t.w) AS BIGINT) FROM (
            SELECT p.category_id, 1 AS w FROM events e JOIN products p ON p.id = e.product_id
            WHERE e.user_id = $1 AND e.ts >= $2 AND e.name = 'product_view'
            UNION ALL
            SELECT p.category_id, $3 AS w FROM orders o JOIN order_lines l ON l.order_id = o.id
            JOIN products p ON p.id = l.product_id
            WHERE o.user_id = $1 AND o.paid_at >= $2
         ) t JOIN categories c ON c.id = t.category_id
         GROUP BY t.category_id, c.name ORDER BY 3 DESC, t.category_id LIMIT $4",
    )
    .bind(user)
    .bind(since)
    .bind(PURCHASE_WEIGHT)
    .bind(PREFERRED)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, weight)| PreferredCategory { id, name, weight })
        .collect())
}

async fn profile(conn: &mut AnyConnection, id: i64, now: i64) -> sqlx::Result<Profile> {
    let since = now - PROFILE_DAYS * 86_400;
    let preferred_categories = preferred_categories(conn, id, since).await?;
    let mut prices: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT l.unit_price, l.quantity FROM orders o JOIN order_lines l ON l.order_id = o.id
         WHERE o.user_id = $1 AND o.paid_at >= $2",
    )
    .bind(id)
    .bind(since)
    .fetch_all(&mut *conn)
    .await?;
    let paid_orders: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM orders WHERE user_id = $1 AND paid_at >= $2",
    )
    .bind(id)
    .bind(since)
    .fetch_one(&mut *conn)
    .await?;
    prices.sort_unstable();
    Ok(Profile {
        preferred_categories,
        price_band: price_band(&prices),
        paid_orders,
        region: None,
    })
}

/// The unit prices at the 25th and 75th percentile of units (nearest rank),
/// `prices` sorted by price.
pub fn price_band(prices: &[(i64, i64)]) -> Option<(i64, i64)> {
    let units: i64 = prices.iter().map(|p| p.1.max(0)).sum();
    if units == 0 {
        return None;
    }
    let at = |rank: i64| {
        let mut seen = 0;
        prices
            .iter()
            .find(|p| {
                seen += p.1.max(0);
                seen >= rank
            })
            .map_or(0, |p| p.0)
    };
    // nearest rank: ⌈q × n⌉, at least 1
    let rank = |q_num: i64| ((q_num * units + 3) / 4).max(1);
    Some((at(rank(1)), at(rank(3))))
}

pub const RECENT: i64 = 10;
pub const LEDGER: i64 = 20;

pub async fn detail(
    conn: &mut AnyConnection,
    program: &MemberProgram,
    id: i64,
) -> sqlx::Result<Option<MemberDetail>> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE u.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut member = view(program, row);
    with_segments(conn, std::slice::from_mut(&mut member)).await?;
    let segment_history = crate::member_segments::history(conn, id).await?;
    let profile = profile(conn, id, db::now()).await?;
    type OrderRow = (i64, String, String, i64, Option<i64>, i64, Option<i64>);
    let orders: Vec<OrderRow> = sqlx::query_as(
        "SELECT id, order_no, status, payable, paid_amount, created_at, paid_at
         FROM orders WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(id)
    .bind(RECENT)
    .fetch_all(&mut *conn)
    .await?;
    let ledger: Vec<(i64, i64, String, Option<i64>, i64)> = sqlx::query_as(
        "SELECT id, delta, reason, order_id, created_at
         FROM points_ledger WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(id)
    .bind(LEDGER)
    .fetch_all(&mut *conn)
    .await?;
    let status = mall_core::member_status(program, member.growth.max(0) as u64).ok();
    Ok(Some(MemberDetail {
        member,
        status,
        segment_history,
        profile,
        recent_orders: orders
            .into_iter()
            .map(|o| RecentOrder {
                id: o.0,
                order_no: o.1,
                status: o.2,
                payable: o.3,
                paid_amount: o.4,
                created_at: o.5,
                paid_at: o.6,
            })
            .collect(),
        points_ledger: ledger
            .into_iter()
            .map(|l| LedgerRow {
                id: l.0,
                delta: l.1,
                reason: l.2,
                order_id: l.3,
                created_at: l.4,
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::price_band;

    #[test]
    fn the_price_band_is_the_middle_half_of_units() {
        assert_eq!(price_band(&[]), None);
        assert_eq!(price_band(&[(5_900, 1)]), Some((5_900, 5_900)));
        // units 1..=8 at 1000, 2000 (×2), 3000 (×4), 9000: ranks 2 and 6
        let p = [(1_000, 1), (2_000, 2), (3_000, 4), (9_000, 1)];
        assert_eq!(price_band(&p), Some((2_000, 3_000)));
        assert_eq!(
            price_band(&[(100, 1), (200, 1), (300, 1), (400, 1)]),
            Some((100, 300))
        );
    }
}
