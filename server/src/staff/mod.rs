//! The merchant's staff: accounts with one role each, the console pages each
//! role may open ([`Page::allows`], the one table the routes and the console
//! menu both read), sign-in with throttling and lockout, and sessions (only
//! the token's SHA-256 is stored, next to the session's CSRF token).
//! [`audit`] records every write made through the console.

pub mod audit;
mod password;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::config::random_token;
use crate::crypto::sha256_hex;
use crate::db::Db;

/// Failed sign-ins within [`FAILURE_WINDOW_SECS`] that lock the account.
pub const MAX_FAILURES: i64 = 5;
pub const FAILURE_WINDOW_SECS: i64 = 15 * 60;
pub const LOCK_SECS: i64 = 15 * 60;
/// A console session lasts a working day.
pub const SESSION_TTL_SECS: i64 = 12 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    /// 店主: everything.
    Owner,
    /// 运营: products, marketing, distribution, members, delivery, data.
    Operator,
    /// 客服: orders and after-sales.
    Service,
    /// 财务: data, orders (to export), after-sales refunds.
    Finance,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Operator, Role::Service, Role::Finance];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Operator => "operator",
            Role::Service => "service",
            Role::Finance => "finance",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "店主",
            Role::Operator => "运营",
            Role::Service => "客服",
            Role::Finance => "财务",
        }
    }
}

/// A console page; every admin route belongs to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Page {
    Overview,
    Products,
    Orders,
    AfterSales,
    Marketing,
    /// 分销: settings, promoters, withdrawals' review, the leaderboard.
    Distribution,
    Members,
    Delivery,
    Data,
    Settings,
}

impl Page {
    pub const ALL: [Page; 10] = [
        Page::Overview,
        Page::Products,
        Page::Orders,
        Page::AfterSales,
        Page::Marketing,
        Page::Distribution,
        Page::Members,
        Page::Delivery,
        Page::Data,
        Page::Settings,
    ];

    /// The roles that may open this page (and call its routes).
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Page::Overview => &[Owner, Operator, Service, Finance],
            Page::Products
            | Page::Marketing
            | Page::Distribution
            | Page::Members
            | Page::Delivery => &[Owner, Operator],
            Page::Orders | Page::AfterSales => &[Owner, Service, Finance],
            Page::Data => &[Owner, Operator, Finance],
            Page::Settings => &[Owner],
        }
    }

    pub fn allows(self, role: Role) -> bool {
        self.roles().contains(&role)
    }

    pub fn key(self) -> &'static str {
        match self {
            Page::Overview => "overview",
            Page::Products => "products",
            Page::Orders => "orders",
            Page::AfterSales => "afterSales",
            Page::Marketing => "marketing",
            Page::Distribution => "distribution",
            Page::Members => "members",
            Page::Delivery => "delivery",
            Page::Data => "data",
            Page::Settings => "settings",
        }
    }

    /// The pages a role may open, in menu order.
    pub fn for_role(role: Role) -> Vec<Page> {
        Page::ALL.into_iter().filter(|p| p.allows(role)).collect()
    }
}

/// A signed-in staff member.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StaffMember {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("wrong username or password")]
    BadCredentials,
    #[error("locked for {retry_after_secs} s")]
    Locked { retry_after_secs: i64 },
    #[error("username taken")]
    UsernameTaken,
    #[error("staff not found")]
    NotFound,
    #[error("the last owner cannot be removed or demoted")]
    LastOwner,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

type StaffRow = (i64, String, String, String);

fn member(r: StaffRow) -> anyhow::Result<StaffMember> {
    Ok(StaffMember {
        id: r.0,
        username: r.1,
        name: r.2,
        role: Role::parse(&r.3).ok_or_else(|| anyhow::anyhow!("unknown role {}", r.3))?,
    })
}

/// Create the account `owner` when the shop has no staff yet (several
/// instances starting together create it once: the username is unique).
/// Returns whether it was created.
pub async fn ensure_owner(db: &Db, password: &str, now: i64) -> anyhow::Result<bool> {
    let mut conn = db.pool.acquire().await?;
    let any: Option<(i64,)> = sqlx::query_as("SELECT id FROM staff LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    if any.is_some() {
        return Ok(false);
    }
    let hash = password::hash(password)?;
    let r = sqlx::query(
        "INSERT INTO staff (username, name, role, password_hash, created_at, updated_at)
         VALUES ('owner', '店主', 'owner', $1, $2, $2) ON CONFLICT (username) DO NOTHING",
    )
    .bind(hash)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Check a password. Each check first claims an attempt with one
/// conditional UPDATE (counted as a failure until it succeeds): at most
/// [`MAX_FAILURES`] checks run within [`FAILURE_WINDOW_SECS`], however many
/// arrive at once, and the claim that reaches the limit locks the account for
/// [`LOCK_SECS`] unless its password is right.
pub async fn verify_login(
    conn: &mut AnyConnection,
    username: &str,
    password_given: &str,
    now: i64,
) -> Result<StaffMember, StaffError> {
    type Row = (i64, String, String, String, String, i64);
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, username, name, role, password_hash, disabled FROM staff WHERE username = $1",
    )
    .bind(username)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id, username, name, role, hash, disabled)) = row else {
        // Spend the same time as a real check, so timing does not tell
        // which usernames exist.
        password::verify_dummy(password_given);
        return Err(StaffError::BadCredentials);
    };
    let attempt = claim_attempt(conn, id, now).await?;
    if disabled != 0 || !password::verify(password_given, &hash) {
        if attempt >= MAX_FAILURES {
            return Err(StaffError::Locked {
                retry_after_secs: LOCK_SECS,
            });
        }
        return Err(StaffError::BadCredentials);
    }
    sqlx::query(
        "UPDATE staff SET failed_logins = 0, first_failed_at = NULL, locked_until = NULL,
             last_login_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(member((id, username, name, role))?)
}

/// Count one attempt, or refuse it when the account is locked: a new window
/// starts when the last one is over; the attempt that reaches the limit sets
/// the lock in the same statement. Answers the attempt's number in its window.
async fn claim_attempt(conn: &mut AnyConnection, id: i64, now: i64) -> Result<i64, StaffError> {
    let window_start = now - FAILURE_WINDOW_SECS;
    let claimed: Option<(i64,)> = sqlx::query_as(
        "UPDATE staff SET
             failed_logins = CASE WHEN first_failed_at IS NULL OR first_failed_at <= $1
                                  THEN 1 ELSE failed_logins + 1 END,
             first_failed_at = CASE WHEN first_failed_at IS NULL OR first_failed_at <= $1
                                    THEN $2 ELSE first_failed_at END,
             locked_until = CASE WHEN first_failed_at IS NOT NULL AND first_failed_at > $1
                                      AND failed_logins + 1 >= $3
                                 THEN $4 ELSE locked_until END
         WHERE id = $5
           AND (locked_until IS NULL OR locked_until <= $2)
           AND NOT (first_failed_at IS NOT NULL AND first_failed_at > $1 AND failed_logins >= $3)
         RETURNING failed_logins",
    )
    .bind(window_start)
    .bind(now)
    .bind(MAX_FAILURES)
    .bind(now + LOCK_SECS)
    .bind(id)
    // To the statement's end, so SQLite's commit (no transaction here) is
    // inside the call and its error reported (see `cart::add`).
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .next();
    match claimed {
        Some((n,)) => Ok(n),
        None => {
            let until: Option<i64> =
                sqlx::query_scalar("SELECT locked_until FROM staff WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *conn)
                    .await?;
            Err(StaffError::Locked {
                retry_after_secs: until.map_or(LOCK_SECS, |u| (u - now).max(1)),
            })
        }
    }
}

/// A new session: the cookie's token and the CSRF token (both random).
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
}

pub async fn open_session(
    conn: &mut AnyConnection,
    staff_id: i64,
    now: i64,
) -> sqlx::Result<NewSession> {
    let s = NewSession {
        token: random_token(32),
        csrf_token: random_token(24),
    };
    sqlx::query(
        "INSERT INTO staff_sessions (token_hash, staff_id, csrf_token, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(sha256_hex(&s.token))
    .bind(staff_id)
    .bind(&s.csrf_token)
    .bind(now)
    .bind(now + SESSION_TTL_SECS)
    .execute(&mut *conn)
    .await?;
    Ok(s)
}

/// The live session behind a cookie token: its staff member (enabled) and
/// CSRF token.
pub async fn session(
    conn: &mut AnyConnection,
    token: &str,
    now: i64,
) -> anyhow::Result<Option<(StaffMember, String)>> {
    let row: Option<(i64, String, String, String, String)> = sqlx::query_as(
        "SELECT s.id, s.username, s.name, s.role, ss.csrf_token
         FROM staff_sessions ss JOIN staff s ON s.id = ss.staff_id
         WHERE ss.token_hash = $1 AND ss.expires_at > $2 AND s.disabled = 0",
    )
    .bind(sha256_hex(token))
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|(id, u, n, r, csrf)| Ok((member((id, u, n, r))?, csrf)))
        .transpose()
}

pub async fn close_session(conn: &mut AnyConnection, token: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1")
        .bind(sha256_hex(token))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The owner acting through `X-Merchant-Token` (automation, no session).
pub async fn automation_owner(conn: &mut AnyConnection) -> anyhow::Result<StaffMember> {
    let row: Option<StaffRow> = sqlx::query_as(
        "SELECT id, username, name, role FROM staff WHERE role = 'owner' AND disabled = 0
         ORDER BY id LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(r) => member(r),
        None => Ok(StaffMember {
            id: 0,
            username: "merchant-token".into(),
            name: "自动化".into(),
            role: Role::Owner,
        }),
    }
}

pub mod accounts;
pub use accounts::{create, list, update, AccountChange, NewStaff, StaffRecord};
