//! Member snapshots for the campaign decision, read from the orders in pages
//! of members: registration, the last paid order, paid orders within the
//! frequency window, the level's index in the shop's member program, and the
//! merchant's tags.

use mall_core::segments::{MemberSnapshot, SegmentRules};
use mall_core::MemberProgram;
use sqlx::AnyConnection;

/// Members read per page.
pub const PAGE: i64 = 500;

/// The level index of a growth value: 0 for the lowest level (or none), 1
/// for the next, … in the order of the program's `minGrowth`.
pub fn level_index(program: &MemberProgram, growth: i64) -> u64 {
    let Some(level) = mall_core::member::level_for(program, u64::try_from(growth).unwrap_or(0))
    else {
        return 0;
    };
    let mut mins: Vec<u64> = program.levels.iter().map(|l| l.min_growth).collect();
    mins.sort_unstable();
    mins.dedup();
    mins.iter()
        .position(|m| *m == level.min_growth)
        .unwrap_or(0) as u64
}

/// One page of members with `id > after`, as snapshots at `now`; with the
/// user id and the slot a dormancy trigger would use (the last paid order).
pub async fn page(
    conn: &mut AnyConnection,
    program: &MemberProgram,
    rules: &SegmentRules,
    after: i64,
    now: i64,
) -> sqlx::Result<Vec<(i64, MemberSnapshot)>> {
    snapshots(conn, program, rules, Which::After(after), now).await
}

/// These members' snapshots at `now` (unknown ids are left out), by id.
pub async fn of_users(
    conn: &mut AnyConnection,
    program: &MemberProgram,
    rules: &SegmentRules,
    ids: &[i64],
    now: i64,
) -> sqlx::Result<Vec<(i64, MemberSnapshot)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    snapshots(conn, program, rules, Which::Ids(ids), now).await
}

enum Which<'a> {
    After(i64),
    Ids(&'a [i64]),
}

async fn snapshots(
    conn: &mut AnyConnection,
    program: &MemberProgram,
    rules: &SegmentRules,
    which: Which<'_>,
    now: i64,
) -> sqlx::Result<Vec<(i64, MemberSnapshot)>> {
    let window_start = now - i64::try_from(rules.frequency_window_days).unwrap_or(0) * 86_400;
    let filter = match &which {
        Which::After(_) => "u.id > $3 ORDER BY u.id LIMIT $4".to_string(),
        Which::Ids(ids) => format!(
            "u.id IN ({}) ORDER BY u.id",
            crate::db::placeholders(3, ids.len())
        ),
    };
    let sql = format!(
        "SELECT u.id, u.created_at, u.growth,
                (SELECT MAX(o.paid_at) FROM orders o WHERE o.user_id = u.id AND o.paid_at IS NOT NULL AND o.paid_at <= $1),
                (SELECT COUNT(*) FROM orders o WHERE o.user_id = u.id AND o.paid_at IS NOT NULL
                    AND o.paid_at > $2 AND o.paid_at <= $1)
         FROM users u WHERE {filter}"
    );
    let mut q = sqlx::query_as::<_, (i64, i64, i64, Option<i64>, i64)>(&sql)
        .bind(now)
        .bind(window_start);
    match which {
        Which::After(after) => q = q.bind(after).bind(PAGE),
        Which::Ids(ids) => {
            for id in ids {
                q = q.bind(*id);
            }
        }
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let mut tags = crate::member_segments::tags::of(conn, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|(id, created_at, growth, last, recent)| {
            (
                id,
                MemberSnapshot {
                    user_id: id.to_string(),
                    registered_at: created_at,
                    last_order_at: last,
                    recent_orders: u64::try_from(recent).unwrap_or(0),
                    level: level_index(program, growth),
                    tags: tags.remove(&id).unwrap_or_default(),
                },
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_index_follows_min_growth() {
        let program: MemberProgram = serde_json::from_value(serde_json::json!({
            "levels": [
                {"levelId": "gold", "name": "黄金", "minGrowth": 2000, "discountRate": "0.95", "pointsMultiplier": "1"},
                {"levelId": "normal", "name": "普通", "minGrowth": 0, "discountRate": "1", "pointsMultiplier": "1"},
                {"levelId": "silver", "name": "白银", "minGrowth": 500, "discountRate": "0.98", "pointsMultiplier": "1"}
            ],
            "growthPerYuan": "1", "pointsPerYuan": "1"
        }))
        .unwrap();
        assert_eq!(level_index(&program, 0), 0);
        assert_eq!(level_index(&program, 499), 0);
        assert_eq!(level_index(&program, 500), 1);
        assert_eq!(level_index(&program, 2500), 2);
        assert_eq!(level_index(&MemberProgram::default(), 9999), 0);
    }
}
