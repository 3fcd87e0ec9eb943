//! Suggestions as the shopper types, in the core's order
//! (`searchSuggestions`, matching anywhere in the text): the shopper's own
//! searches first, then product titles in the categories they look at and buy
//! most, then the other titles and the shop's search words by popularity.

use mall_core::recommend::{
    search_suggestions, Matching, SearchQuery, SearchTerm, SuggestInput, Suggestion,
};
use sqlx::AnyConnection;

/// Suggestions per answer.
pub const COUNT: u64 = 10;
/// The shopper's views and purchases this recent say which categories they prefer.
const PREFERENCE_SECS: i64 = 90 * 86_400;
/// The shop's search words are terms of no category.
const WORDS: &str = "search-words";

/// The suggestions for `typed` (trimmed, 1 to 50 characters) for `user`
/// (none: not signed in, so no history or preferences).
pub async fn suggestions(
    conn: &mut AnyConnection,
    user: Option<i64>,
    typed: &str,
    now: i64,
) -> anyhow::Result<Vec<Suggestion>> {
    let pattern = crate::db::like_contains(typed);
    let titles: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT title, category_id, sales FROM products
         WHERE on_shelf = 1 AND LOWER(title) LIKE $1 ESCAPE '\\' ORDER BY sales DESC, id LIMIT 200",
    )
    .bind(&pattern)
    .fetch_all(&mut *conn)
    .await?;
    let words: Vec<(String, i64)> = sqlx::query_as(
        "SELECT keyword, hits FROM search_terms WHERE LOWER(keyword) LIKE $1 ESCAPE '\\'
         ORDER BY hits DESC, keyword LIMIT 200",
    )
    .bind(&pattern)
    .fetch_all(&mut *conn)
    .await?;
    let mut terms: Vec<SearchTerm> = titles
        .into_iter()
        .map(|(text, category, sales)| SearchTerm {
            text,
            category_id: category.to_string(),
            popularity: u64::try_from(sales).unwrap_or(0),
        })
        .collect();
    terms.extend(words.into_iter().map(|(text, hits)| SearchTerm {
        text,
        category_id: WORDS.to_string(),
        popularity: u64::try_from(hits).unwrap_or(0),
    }));
    let (history, preferred) = match user {
        Some(u) => {
            let since = now - PREFERENCE_SECS;
            let preferred = crate::members::roster::preferred_categories(conn, u, since).await?;
            (
                history(conn, u).await?,
                preferred.iter().map(|c| c.id.to_string()).collect(),
            )
        }
        None => (Vec::new(), Vec::new()),
    };
    Ok(search_suggestions(&SuggestInput {
        prefix: typed.to_string(),
        history,
        preferred_categories: preferred,
        terms: terms
            .into_iter()
            .filter(|t| (1..=64).contains(&t.text.trim().chars().count()))
            .collect(),
        count: COUNT,
        matching: Matching::Contains,
    })?)
}

async fn history(conn: &mut AnyConnection, user: i64) -> sqlx::Result<Vec<SearchQuery>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT keyword, searched_at FROM search_history WHERE user_id = $1
         ORDER BY searched_at DESC LIMIT 100",
    )
    .bind(user)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|(k, _)| (1..=64).contains(&k.trim().chars().count()))
        .map(|(query, at)| SearchQuery { query, at })
        .collect())
}
