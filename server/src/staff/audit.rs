//! The audit log: who changed what through the console, with the value before
//! and after (JSON). Written after the change succeeds, by the handler that
//! made it; read on the 设置 page.

use serde::Serialize;
use serde_json::Value;
use sqlx::AnyConnection;

use super::StaffMember;
use crate::paging::Paging;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: i64,
    pub staff: AuditStaff,
    pub action: String,
    pub target: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub at: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditStaff {
    pub id: Option<i64>,
    pub username: String,
}

/// Record one write. `target` names the thing changed (`product:12`).
pub async fn record(
    conn: &mut AnyConnection,
    who: &StaffMember,
    action: &str,
    target: &str,
    before: Option<&Value>,
    after: Option<&Value>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (staff_id, staff_username, action, target, before_value, after_value, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind((who.id != 0).then_some(who.id))
    .bind(&who.username)
    .bind(action)
    .bind(target)
    .bind(before.map(Value::to_string))
    .bind(after.map(Value::to_string))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn list(
    conn: &mut AnyConnection,
    staff_id: Option<i64>,
    page: &Paging,
) -> sqlx::Result<(Vec<AuditEntry>, i64)> {
    type Row = (
        i64,
        Option<i64>,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, staff_id, staff_username, action, target, before_value, after_value, created_at
         FROM audit_log WHERE ($1 IS NULL OR staff_id = $1)
         ORDER BY id DESC LIMIT $2 OFFSET $3",
    )
    .bind(staff_id)
    .bind(page.page_size)
    .bind(page.offset())
    .fetch_all(&mut *conn)
    .await?;
    let (total,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE ($1 IS NULL OR staff_id = $1)")
            .bind(staff_id)
            .fetch_one(&mut *conn)
            .await?;
    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    let items = rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.0,
            staff: AuditStaff {
                id: r.1,
                username: r.2,
            },
            action: r.3,
            target: r.4,
            before: parse(r.5),
            after: parse(r.6),
            at: r.7,
        })
        .collect();
    Ok((items, total))
}
