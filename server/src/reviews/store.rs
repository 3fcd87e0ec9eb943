//! Product reviews: one per completed order line, written by its buyer; the
//! product page's summary (count, good rate, latest) and the paged list.

use crate::paging::Paging;
use serde::Serialize;
use sqlx::AnyConnection;

/// How many of the latest reviews the product detail carries.
pub const SUMMARY_LATEST: i64 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewView {
    pub id: i64,
    /// The reviewer's nickname, masked (`张***丰`).
    pub nickname: String,
    pub rating: i64,
    pub text: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewSummary {
    pub count: i64,
    /// Share of ratings ≥ 4 as a percentage string (`"96%"`), rounded down so
    /// that `"100%"` means every one; null without reviews.
    pub good_rate: Option<String>,
    pub latest: Vec<ReviewView>,
}

/// A nickname as other shoppers see it: first character, `***`, and the last
/// one when there are at least three.
pub fn mask(nickname: &str) -> String {
    let chars: Vec<char> = nickname.trim().chars().collect();
    match chars.len() {
        0 => "匿名用户".to_string(),
        1 | 2 => format!("{}***", chars[0]),
        n => format!("{}***{}", chars[0], chars[n - 1]),
    }
}

/// `good` of `count` as a whole percentage, rounded down (integers only).
pub fn good_rate(good: i64, count: i64) -> Option<String> {
    (count > 0).then(|| format!("{}%", good.max(0) * 100 / count))
}

type Row = (i64, String, i64, String, i64);

fn view(r: Row) -> ReviewView {
    ReviewView {
        id: r.0,
        nickname: mask(&r.1),
        rating: r.2,
        text: r.3,
        created_at: r.4,
    }
}

const SELECT: &str = "SELECT r.id, u.nickname, r.rating, r.content, r.created_at
     FROM reviews r JOIN users u ON u.id = r.user_id WHERE r.product_id = $1
     ORDER BY r.created_at DESC, r.id DESC LIMIT $2 OFFSET $3";

/// One page of a product's reviews (newest first) and how many it has.
pub async fn page(
    conn: &mut AnyConnection,
    product_id: i64,
    paging: Paging,
) -> sqlx::Result<(Vec<ReviewView>, i64)> {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reviews WHERE product_id = $1")
        .bind(product_id)
        .fetch_one(&mut *conn)
        .await?;
    let rows: Vec<Row> = sqlx::query_as(SELECT)
        .bind(product_id)
        .bind(paging.page_size)
        .bind(paging.offset())
        .fetch_all(conn)
        .await?;
    Ok((rows.into_iter().map(view).collect(), total))
}

pub async fn summary(conn: &mut AnyConnection, product_id: i64) -> sqlx::Result<ReviewSummary> {
    let (count, good): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN rating >= 4 THEN 1 ELSE 0 END), 0) AS BIGINT)
         FROM reviews WHERE product_id = $1",
    )
    .bind(product_id)
    .fetch_one(&mut *conn)
    .await?;
    let latest: Vec<Row> = sqlx::query_as(SELECT)
        .bind(product_id)
        .bind(SUMMARY_LATEST)
        .bind(0i64)
        .fetch_all(conn)
        .await?;
    Ok(ReviewSummary {
        count,
        good_rate: good_rate(good, count),
        latest: latest.into_iter().map(view).collect(),
    })
}

pub async fn one(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<ReviewView>> {
    let r: Option<Row> = sqlx::query_as(
        "SELECT r.id, u.nickname, r.rating, r.content, r.created_at
         FROM reviews r JOIN users u ON u.id = r.user_id WHERE r.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(r.map(view))
}

/// Insert a review; None when this order line already has one (in the
/// caller's transaction; the unique key decides a race).
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    conn: &mut AnyConnection,
    product_id: i64,
    user_id: i64,
    order: Option<(i64, &str)>,
    rating: i64,
    text: &str,
    now: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO reviews (product_id, user_id, order_id, line_id, rating, content, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (order_id, line_id) DO NOTHING RETURNING id",
    )
    .bind(product_id)
    .bind(user_id)
    .bind(order.map(|o| o.0))
    .bind(order.map(|o| o.1.to_string()))
    .bind(rating)
    .bind(text)
    .bind(now)
    .fetch_optional(conn)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nicknames_are_masked() {
        assert_eq!(mask("演示用户"), "演***户");
        assert_eq!(mask("Tom"), "T***m");
        assert_eq!(mask("阿花"), "阿***");
        assert_eq!(mask("x"), "x***");
        assert_eq!(mask("  "), "匿名用户");
    }

    #[test]
    fn the_good_rate_is_a_whole_percentage_rounded_down() {
        assert_eq!(good_rate(0, 0), None);
        assert_eq!(good_rate(24, 25).as_deref(), Some("96%"));
        assert_eq!(good_rate(199, 200).as_deref(), Some("99%"));
        assert_eq!(good_rate(3, 3).as_deref(), Some("100%"));
        assert_eq!(good_rate(2, 3).as_deref(), Some("66%"));
        assert_eq!(good_rate(0, 7).as_deref(), Some("0%"));
    }
}
