//! The merchant's tags on members (高价值, 团长, 内部员工 …): set per member
//! (the whole set replaced), listed with their member counts, read with a
//! page of members, and matched by campaign audiences.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::AnyConnection;

use crate::db::placeholders;

/// Tags per member.
pub const MAX_TAGS: usize = 20;
/// A tag's length in characters (the core takes at most 32 bytes: 10 CJK characters fit).
pub const MAX_TAG_CHARS: usize = 10;
pub const MAX_TAG_BYTES: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TagError {
    #[error("at most {MAX_TAGS} tags")]
    TooMany,
    #[error("tag {index}: 1 to {MAX_TAG_CHARS} characters (at most {MAX_TAG_BYTES} bytes), no control characters or commas")]
    Bad { index: usize },
}

/// The tags as stored: trimmed, each once, in the order given.
pub fn check(tags: &[String]) -> Result<Vec<String>, TagError> {
    if tags.len() > MAX_TAGS {
        return Err(TagError::TooMany);
    }
    let mut out: Vec<String> = Vec::new();
    for (index, t) in tags.iter().enumerate() {
        let t = t.trim();
        let n = t.chars().count();
        let bad = n == 0
            || n > MAX_TAG_CHARS
            || t.len() > MAX_TAG_BYTES
            || t.chars().any(|c| c.is_control() || c == ',' || c == '，');
        if bad {
            return Err(TagError::Bad { index });
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    Ok(out)
}

/// Replace a member's tags (checked by [`check`]).
pub async fn set(
    conn: &mut AnyConnection,
    user: i64,
    tags: &[String],
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM member_tags WHERE user_id = $1")
        .bind(user)
        .execute(&mut *conn)
        .await?;
    for t in tags {
        sqlx::query("INSERT INTO member_tags (user_id, tag, created_at) VALUES ($1, $2, $3)")
            .bind(user)
            .bind(t)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The tags of these members, each member's by when they were added, then alphabetically.
pub async fn of(conn: &mut AnyConnection, ids: &[i64]) -> sqlx::Result<BTreeMap<i64, Vec<String>>> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let sql = format!(
        "SELECT user_id, tag FROM member_tags WHERE user_id IN ({}) ORDER BY user_id, created_at, tag",
        placeholders(1, ids.len())
    );
    let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
    for id in ids {
        q = q.bind(id);
    }
    let mut out: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for (user, tag) in q.fetch_all(conn).await? {
        out.entry(user).or_default().push(tag);
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagCount {
    pub tag: String,
    pub members: i64,
}

/// Every tag in use with its member count, most used first.
pub async fn all(conn: &mut AnyConnection) -> sqlx::Result<Vec<TagCount>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT tag, CAST(COUNT(*) AS BIGINT) FROM member_tags GROUP BY tag
         ORDER BY COUNT(*) DESC, tag LIMIT 500",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(tag, members)| TagCount { tag, members })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn tags_are_trimmed_deduplicated_and_bounded() {
        assert_eq!(
            check(&v(&[" 高价值 ", "团长", "高价值"])),
            Ok(v(&["高价值", "团长"]))
        );
        assert_eq!(
            check(&v(&["一二三四五六七八九十"])),
            Ok(v(&["一二三四五六七八九十"]))
        );
        assert_eq!(
            check(&v(&["一二三四五六七八九十一"])),
            Err(TagError::Bad { index: 0 })
        );
        assert_eq!(check(&v(&["ok", " "])), Err(TagError::Bad { index: 1 }));
        assert_eq!(check(&v(&["a,b"])), Err(TagError::Bad { index: 0 }));
        assert_eq!(check(&vec!["x".to_string(); 21]), Err(TagError::TooMany));
    }
}
