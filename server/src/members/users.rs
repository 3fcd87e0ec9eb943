//! Shoppers and their sessions.

use sqlx::AnyConnection;

use crate::crypto::Sealed;

pub async fn upsert_by_openid(
    conn: &mut AnyConnection,
    openid: &str,
    unionid: Option<&str>,
    now: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO users (openid, unionid, created_at, updated_at) VALUES ($1, $2, $3, $3)
         ON CONFLICT (openid) DO UPDATE SET updated_at = excluded.updated_at,
             unionid = COALESCE(excluded.unionid, users.unionid)
         RETURNING id",
    )
    .bind(openid)
    .bind(unionid)
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn create_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: i64,
    session_key: &Sealed,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, key_id, session_key_enc, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(&session_key.key_id)
    .bind(&session_key.blob)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_session(conn: &mut AnyConnection, token_hash: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_profile(
    conn: &mut AnyConnection,
    user_id: i64,
    nickname: Option<&str>,
    avatar: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET nickname = COALESCE($1, nickname), avatar = COALESCE($2, avatar) WHERE id = $3",
    )
    .bind(nickname)
    .bind(avatar)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_phone(conn: &mut AnyConnection, user_id: i64, phone: &Sealed) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET phone_key_id = $1, phone_enc = $2 WHERE id = $3")
        .bind(&phone.key_id)
        .bind(&phone.blob)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub struct UserRow {
    pub id: i64,
    pub nickname: String,
    pub avatar: String,
    pub phone: Option<(String, Vec<u8>)>,
    pub growth: i64,
    pub points: i64,
    /// Returned points spent before their refund was closed; paid off first
    /// by points earned or given back later.
    pub points_debt: i64,
}

pub async fn get(conn: &mut AnyConnection, user_id: i64) -> sqlx::Result<Option<UserRow>> {
    type Row = (
        i64,
        String,
        String,
        Option<String>,
        Option<Vec<u8>>,
        i64,
        i64,
        i64,
    );
    let row: Option<Row> =
        sqlx::query_as(
            "SELECT id, nickname, avatar, phone_key_id, phone_enc, growth, points, points_debt FROM users WHERE id = $1",
        )
        .bind(user_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| UserRow {
        id: r.0,
        nickname: r.1,
        avatar: r.2,
        phone: r.3.zip(r.4),
        growth: r.5,
        points: r.6,
        points_debt: r.7,
    }))
}

/// Lock the shopper's row for the rest of the transaction: a shopper's
/// checkouts and claims run one at a time (purchase limits, points, wallet).
/// On PostgreSQL a `SELECT … FOR NO KEY UPDATE`: the row lock an UPDATE
/// takes (foreign keys to the shopper, which take `FOR KEY SHARE`, do not
/// wait for it), without writing a new version of the row. On SQLite the
/// transaction already holds the write lock: every SQLite write transaction
/// begins IMMEDIATE (`Db::begin_write`), so a row "lock" would be one more
/// statement for nothing.
pub async fn lock(conn: &mut AnyConnection, user_id: i64) -> sqlx::Result<bool> {
    if conn.backend_name() == "SQLite" {
        return Ok(true);
    }
    Ok(sqlx::query(&lock_sql("$1"))
        .bind(user_id)
        .fetch_optional(conn)
        .await?
        .is_some())
}

/// [`lock`]'s statement for PostgreSQL with the shopper's id written in (an
/// integer: nothing to quote), for `Db::write_locked`, which sends it with
/// the transaction's `BEGIN`.
pub fn lock_statement(user_id: i64) -> String {
    lock_sql(&user_id.to_string())
}

fn lock_sql(id: &str) -> String {
    format!("SELECT 1 FROM users WHERE id = {id} FOR NO KEY UPDATE")
}

pub async fn add_points(
    conn: &mut AnyConnection,
    user_id: i64,
    delta: i64,
    reason: &str,
    order_id: Option<i64>,
    now: i64,
) -> sqlx::Result<bool> {
    // Points earned or given back first pay off a points debt (returned
    // points the buyer had spent before their refund was closed).
    let mut paid = 0;
    if delta > 0 {
        // Touching the row takes its lock (PostgreSQL) before the debt is read.
        let debt: Option<i64> = sqlx::query_scalar(
            "UPDATE users SET points_debt = points_debt WHERE id = $1 RETURNING points_debt",
        )
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?;
        paid = debt.unwrap_or(0).clamp(0, delta);
    }
    let r = sqlx::query(
        "UPDATE users SET points = points + $1, points_debt = points_debt - $2
         WHERE id = $3 AND points + $1 >= 0 AND points_debt >= $2",
    )
    .bind(delta - paid)
    .bind(paid)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    let mut entries = vec![(delta, reason)];
    if paid > 0 {
        entries.push((-paid, "points debt"));
    }
    for (delta, reason) in entries {
        sqlx::query(
            "INSERT INTO points_ledger (user_id, delta, reason, order_id, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(user_id)
        .bind(delta)
        .bind(reason)
        .bind(order_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(true)
}

pub async fn add_growth(conn: &mut AnyConnection, user_id: i64, delta: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET growth = growth + $1 WHERE id = $2")
        .bind(delta)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}
