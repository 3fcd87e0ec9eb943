//! A promoter's withdrawable balance (`distribution_accounts`, one row per
//! promoter). Commission is credited when it becomes AVAILABLE (the job, or a
//! later entry of an order already available, a negative reversal included)
//! and cash leaderboard rewards likewise; a withdrawal takes its amount with
//! one conditional UPDATE (the balance covers it and the Beijing day's total
//! stays within the cap), so concurrent withdrawals can never overdraw; a
//! withdrawal that fails, is cancelled, expires or is rejected gives it back
//! once. Hence, per promoter, to the fen:
//! Σ available commission + Σ cash rewards = available + withdrawing + withdrawn.

use sqlx::AnyConnection;

/// Add `amount` fen (negative: a reversal) to the promoter's balance.
pub async fn credit(
    conn: &mut AnyConnection,
    promoter: i64,
    amount: i64,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO distribution_accounts (promoter_id, available, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (promoter_id) DO UPDATE SET available = distribution_accounts.available + excluded.available,
             updated_at = excluded.updated_at",
    )
    .bind(promoter)
    .bind(amount)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Take `amount` fen for a withdrawal on Beijing day `day`: one conditional
/// UPDATE, true when taken (the balance covered it and the day's total stays
/// within `cap`).
pub async fn debit(
    conn: &mut AnyConnection,
    promoter: i64,
    amount: i64,
    day: &str,
    cap: i64,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE distribution_accounts SET available = available - $2,
             day_total = CASE WHEN day = $3 THEN day_total + $2 ELSE $2 END, day = $3, updated_at = $5
         WHERE promoter_id = $1 AND available >= $2
           AND (CASE WHEN day = $3 THEN day_total ELSE 0 END) + $2 <= $4",
    )
    .bind(promoter)
    .bind(amount)
    .bind(day)
    .bind(cap)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Give a withdrawal's amount back (its day's total too, when still that day).
pub async fn give_back(
    conn: &mut AnyConnection,
    promoter: i64,
    amount: i64,
    day: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE distribution_accounts SET available = available + $2,
             day_total = CASE WHEN day = $3 AND day_total >= $2 THEN day_total - $2
                              WHEN day = $3 THEN 0 ELSE day_total END,
             updated_at = $4
         WHERE promoter_id = $1",
    )
    .bind(promoter)
    .bind(amount)
    .bind(day)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// (available, what the Beijing day `day` has taken so far).
pub async fn get(conn: &mut AnyConnection, promoter: i64, day: &str) -> sqlx::Result<(i64, i64)> {
    let row: Option<(i64, String, i64)> = sqlx::query_as(
        "SELECT available, day, day_total FROM distribution_accounts WHERE promoter_id = $1",
    )
    .bind(promoter)
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        Some((a, d, t)) => (a, if d == day { t } else { 0 }),
        None => (0, 0),
    })
}
