//! Managing staff accounts (the owner's 设置 page): list, create, change a
//! role, name or password, disable. The last enabled owner can be neither
//! demoted nor disabled, checked inside the same UPDATE.

use serde::Serialize;
use sqlx::AnyConnection;

use super::{password, Role, StaffError};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StaffRecord {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub last_login_at: Option<i64>,
    pub created_at: i64,
}

type Row = (i64, String, String, String, i64, Option<i64>, i64);

fn record(r: Row) -> anyhow::Result<StaffRecord> {
    Ok(StaffRecord {
        id: r.0,
        username: r.1,
        name: r.2,
        role: Role::parse(&r.3).ok_or_else(|| anyhow::anyhow!("unknown role {}", r.3))?,
        disabled: r.4 != 0,
        last_login_at: r.5,
        created_at: r.6,
    })
}

const COLUMNS: &str = "id, username, name, role, disabled, last_login_at, created_at";

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<StaffRecord>, StaffError> {
    let rows: Vec<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM staff ORDER BY id"))
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(record)
        .collect::<anyhow::Result<_>>()?)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<StaffRecord, StaffError> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM staff WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(record(row.ok_or(StaffError::NotFound)?)?)
}

pub struct NewStaff<'a> {
    pub username: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub password: &'a str,
}

pub async fn create(
    conn: &mut AnyConnection,
    s: &NewStaff<'_>,
    now: i64,
) -> Result<StaffRecord, StaffError> {
    let hash = password::hash(s.password)?;
    let id: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO staff (username, name, role, password_hash, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (username) DO NOTHING RETURNING id",
    )
    .bind(s.username)
    .bind(s.name)
    .bind(s.role.as_str())
    .bind(hash)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    let (id,) = id.ok_or(StaffError::UsernameTaken)?;
    get(conn, id).await
}

#[derive(Default)]
pub struct AccountChange<'a> {
    pub name: Option<&'a str>,
    pub role: Option<Role>,
    pub password: Option<&'a str>,
    pub disabled: Option<bool>,
}

/// Apply a change; a new password or disabling also ends the account's sessions.
pub async fn update(
    conn: &mut AnyConnection,
    id: i64,
    c: &AccountChange<'_>,
    now: i64,
) -> Result<StaffRecord, StaffError> {
    let before = get(conn, id).await?;
    let hash = c.password.map(password::hash).transpose()?;
    let role = c.role.unwrap_or(before.role);
    let disabled = c.disabled.unwrap_or(before.disabled);
    // Losing an enabled owner needs another enabled owner left.
    let r = sqlx::query(
        "UPDATE staff SET name = COALESCE($1, name), role = $2,
             password_hash = COALESCE($3, password_hash), disabled = $4, updated_at = $5,
             failed_logins = CASE WHEN $3 IS NULL THEN failed_logins ELSE 0 END,
             locked_until = CASE WHEN $3 IS NULL THEN locked_until ELSE NULL END
         WHERE id = $6
           AND ($2 = 'owner' AND $4 = 0
                OR role <> 'owner' OR disabled <> 0
                OR EXISTS (SELECT 1 FROM staff o WHERE o.role = 'owner' AND o.disabled = 0
                           AND o.id <> $6))",
    )
    .bind(c.name)
    .bind(role.as_str())
    .bind(hash.as_deref())
    .bind(i64::from(disabled))
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() != 1 {
        return Err(StaffError::LastOwner);
    }
    if c.password.is_some() || disabled {
        sqlx::query("DELETE FROM staff_sessions WHERE staff_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    get(conn, id).await
}
