//! Database access. One portable SQL dialect (`$n` placeholders, integer flags,
//! unix-second times) runs on SQLite and PostgreSQL through sqlx's `Any` driver;
//! only the schema differs by type names (`migrations/{sqlite,postgres}`).
//! Queries live with their capability (`orders`, `catalog`, `members`, …); this
//! module keeps the pool, transactions, migrations, the startup lock and the seed.

pub mod batch;
pub mod demo_campaigns;
pub mod seed;
pub mod startup;
pub mod writer;

pub use batch::Batch;

use std::borrow::Cow;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor};
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMutexGuard};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// SQLite has one writer at a time: writers queue here (in order, without
    /// the busy handler's sleeps) instead of on the database file's lock, for
    /// the one connection every write of this process runs on. It is taken
    /// out of the pool once and kept: a write never waits for a connection
    /// the readers hold, and its page cache survives its own commits (a
    /// pooled connection re-reads every page another one changed).
    writer: Option<Arc<Mutex<Option<AnyConnection>>>>,
    /// SQLite: the batches of hot writes in front of the writer ([`writer`]).
    queue: Arc<writer::Queue>,
}

/// The connection of a write: pooled (PostgreSQL), or SQLite's one writer
/// connection, held with its slot.
enum Conn {
    Pooled(PoolConnection<Any>),
    Writer(OwnedMutexGuard<Option<AnyConnection>>),
}

impl Conn {
    /// Closed for good (its state after a failed commit or rollback is
    /// unknown); the writer's slot opens a new one next time.
    async fn close(self) {
        match self {
            Conn::Pooled(c) => {
                let _ = c.close().await;
            }
            Conn::Writer(mut slot) => {
                if let Some(c) = slot.take() {
                    let _ = c.close().await;
                }
            }
        }
    }

    fn close_on_drop(&mut self) {
        match self {
            Conn::Pooled(c) => c.close_on_drop(),
            Conn::Writer(slot) => drop(slot.take()),
        }
    }
}

impl std::ops::Deref for Conn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match self {
            Conn::Pooled(c) => c,
            Conn::Writer(slot) => slot.as_ref().expect("the writer's connection"),
        }
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            Conn::Pooled(c) => c,
            Conn::Writer(slot) => slot.as_mut().expect("the writer's connection"),
        }
    }
}

/// A write transaction (and, on SQLite, this process's writer slot).
/// Dereferences to the connection, so queries take `&mut tx`.
///
/// The transaction is driven by plain `BEGIN` / `COMMIT` / `ROLLBACK`
/// statements rather than sqlx's transaction manager: when a commit fails
/// (disk full, I/O error) SQLite has already rolled back, and sqlx's own
/// bookkeeping would then keep the pooled connection "inside a transaction"
/// for good. Here a connection whose commit or rollback failed is closed,
/// never returned to the pool, so writes recover by themselves once the
/// cause is gone. A `Tx` dropped without either (an early `?`) is rolled
/// back on a task that keeps the writer slot until it is done.
pub struct Tx {
    conn: Option<Conn>,
}

impl Tx {
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        let mut conn = self.conn.take().expect("an open transaction");
        match conn.execute("COMMIT").await {
            Ok(_) => Ok(()),
            Err(e) => {
                // Whatever state the failed commit left behind dies with the connection.
                let _ = conn.execute("ROLLBACK").await;
                conn.close().await;
                Err(e)
            }
        }
    }

    pub async fn rollback(mut self) -> Result<(), sqlx::Error> {
        let mut conn = self.conn.take().expect("an open transaction");
        match conn.execute("ROLLBACK").await {
            Ok(_) => Ok(()),
            Err(e) => {
                conn.close().await;
                Err(e)
            }
        }
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            // The writer's slot goes with the connection, after the rollback.
            Ok(rt) => {
                rt.spawn(async move {
                    if conn.execute("ROLLBACK").await.is_err() {
                        conn.close().await;
                    }
                });
            }
            Err(_) => conn.close_on_drop(),
        }
    }
}

impl std::ops::Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        self.conn.as_deref().expect("an open transaction")
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.conn.as_deref_mut().expect("an open transaction")
    }
}

/// A connection for one autocommit write statement, holding (on SQLite)
/// this process's writer slot while it lives, so the statement queues with
/// the other writers instead of sleeping in SQLite's busy handler.
pub struct WriteConn {
    conn: Conn,
}

impl std::ops::Deref for WriteConn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for WriteConn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "schema",
        include_str!("../../migrations/sqlite/0001_schema.sql"),
    ),
    (
        2,
        "pay",
        include_str!("../../migrations/sqlite/0002_pay.sql"),
    ),
    (
        3,
        "refund_close_home",
        include_str!("../../migrations/sqlite/0003_refund_close_home.sql"),
    ),
    (
        4,
        "reviews",
        include_str!("../../migrations/sqlite/0004_reviews.sql"),
    ),
    (
        5,
        "pay_reconcile",
        include_str!("../../migrations/sqlite/0005_pay_reconcile.sql"),
    ),
    (
        6,
        "outbox_claim",
        include_str!("../../migrations/sqlite/0006_outbox_claim.sql"),
    ),
    (
        7,
        "shipping_info",
        include_str!("../../migrations/sqlite/0007_shipping_info.sql"),
    ),
    (
        8,
        "staff",
        include_str!("../../migrations/sqlite/0008_staff.sql"),
    ),
    (
        9,
        "events",
        include_str!("../../migrations/sqlite/0009_events.sql"),
    ),
    (
        10,
        "stats_indexes",
        include_str!("../../migrations/sqlite/0010_stats_indexes.sql"),
    ),
    (
        11,
        "group_buy",
        include_str!("../../migrations/sqlite/0011_group_buy.sql"),
    ),
    (
        12,
        "bargains",
        include_str!("../../migrations/sqlite/0012_bargains.sql"),
    ),
    (
        13,
        "social_coupons_signin",
        include_str!("../../migrations/sqlite/0013_social_coupons_signin.sql"),
    ),
    (
        14,
        "distribution",
        include_str!("../../migrations/sqlite/0014_distribution.sql"),
    ),
    (
        15,
        "flash_claims",
        include_str!("../../migrations/sqlite/0015_flash_claims.sql"),
    ),
    (
        16,
        "withdrawals_leaderboard",
        include_str!("../../migrations/sqlite/0016_withdrawals_leaderboard.sql"),
    ),
    (
        17,
        "subscribe_consent",
        include_str!("../../migrations/sqlite/0017_subscribe_consent.sql"),
    ),
    (
        18,
        "member_campaigns",
        include_str!("../../migrations/sqlite/0018_member_campaigns.sql"),
    ),
    (
        19,
        "recommend",
        include_str!("../../migrations/sqlite/0019_recommend.sql"),
    ),
    (
        20,
        "member_segments",
        include_str!("../../migrations/sqlite/0020_member_segments.sql"),
    ),
    (
        21,
        "flash_buckets",
        include_str!("../../migrations/sqlite/0021_flash_buckets.sql"),
    ),
    (
        22,
        "activity_skus_by_sku",
        include_str!("../../migrations/sqlite/0022_activity_skus_by_sku.sql"),
    ),
    (
        23,
        "orders_paid_at_once",
        include_str!("../../migrations/sqlite/0023_orders_paid_at_once.sql"),
    ),
    (
        24,
        "orders_partial_indexes",
        include_str!("../../migrations/sqlite/0024_orders_partial_indexes.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "schema",
        include_str!("../../migrations/postgres/0001_schema.sql"),
    ),
    (
        2,
        "pay",
        include_str!("../../migrations/postgres/0002_pay.sql"),
    ),
    (
        3,
        "refund_close_home",
        include_str!("../../migrations/postgres/0003_refund_close_home.sql"),
    ),
    (
        4,
        "reviews",
        include_str!("../../migrations/postgres/0004_reviews.sql"),
    ),
    (
        5,
        "pay_reconcile",
        include_str!("../../migrations/postgres/0005_pay_reconcile.sql"),
    ),
    (
        6,
        "outbox_claim",
        include_str!("../../migrations/postgres/0006_outbox_claim.sql"),
    ),
    (
        7,
        "shipping_info",
        include_str!("../../migrations/postgres/0007_shipping_info.sql"),
    ),
    (
        8,
        "staff",
        include_str!("../../migrations/postgres/0008_staff.sql"),
    ),
    (
        9,
        "events",
        include_str!("../../migrations/postgres/0009_events.sql"),
    ),
    (
        10,
        "stats_indexes",
        include_str!("../../migrations/postgres/0010_stats_indexes.sql"),
    ),
    (
        11,
        "group_buy",
        include_str!("../../migrations/postgres/0011_group_buy.sql"),
    ),
    (
        12,
        "bargains",
        include_str!("../../migrations/postgres/0012_bargains.sql"),
    ),
    (
        13,
        "social_coupons_signin",
        include_str!("../../migrations/postgres/0013_social_coupons_signin.sql"),
    ),
    (
        14,
        "distribution",
        include_str!("../../migrations/postgres/0014_distribution.sql"),
    ),
    (
        15,
        "flash_claims",
        include_str!("../../migrations/postgres/0015_flash_claims.sql"),
    ),
    (
        16,
        "withdrawals_leaderboard",
        include_str!("../../migrations/postgres/0016_withdrawals_leaderboard.sql"),
    ),
    (
        17,
        "subscribe_consent",
        include_str!("../../migrations/postgres/0017_subscribe_consent.sql"),
    ),
    (
        18,
        "member_campaigns",
        include_str!("../../migrations/postgres/0018_member_campaigns.sql"),
    ),
    (
        19,
        "recommend",
        include_str!("../../migrations/postgres/0019_recommend.sql"),
    ),
    (
        20,
        "member_segments",
        include_str!("../../migrations/postgres/0020_member_segments.sql"),
    ),
    (
        21,
        "flash_buckets",
        include_str!("../../migrations/postgres/0021_flash_buckets.sql"),
    ),
    (
        22,
        "activity_skus_by_sku",
        include_str!("../../migrations/postgres/0022_activity_skus_by_sku.sql"),
    ),
    (
        23,
        "orders_paid_at_once",
        include_str!("../../migrations/postgres/0023_orders_paid_at_once.sql"),
    ),
    (
        24,
        "orders_partial_indexes",
        include_str!("../../migrations/postgres/0024_orders_partial_indexes.sql"),
    ),
];

/// The shop's clock (unix seconds): the wall clock, or a demo/test clock
/// started at a fixed instant (`crate::clock::start_at`).
pub fn now() -> i64 {
    crate::clock::now()
}

/// A PostgreSQL connection idle this long is pinged before it is used again.
const PING_IDLE: Duration = Duration::from_secs(2);

impl Db {
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if url.starts_with("sqlite:") {
            (Backend::Sqlite, sqlite_url(url)?)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            (Backend::Postgres, url.to_string())
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite: or postgres:");
        };
        let options: AnyConnectOptions = url.parse().context("parsing DATABASE_URL")?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            // No ping on every acquire: it is a round trip (on SQLite a
            // hand-off to the connection's thread) before each request's
            // first statement. An SQLite connection is a file handle that
            // cannot go stale; a PostgreSQL connection that sat idle for
            // [`PING_IDLE`] is pinged before it is handed out (a server
            // restart or a dropped socket is found there, not by a request).
            .test_before_acquire(false)
            .before_acquire(move |conn, meta| {
                Box::pin(async move {
                    if backend == Backend::Postgres && meta.idle_for >= PING_IDLE {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA busy_timeout = 15000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .context("connecting to the database")?;
        if backend == Backend::Sqlite {
            // Persistent: readers never block the writer.
            pool.execute("PRAGMA journal_mode = WAL").await?;
        }
        let writer = match backend {
            Backend::Sqlite => Some(Arc::new(Mutex::new(Some(pool.acquire().await?.detach())))),
            Backend::Postgres => None,
        };
        Ok(Db {
            pool,
            backend,
            writer,
            queue: Arc::default(),
        })
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        let list = match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        let migrations: Vec<Migration> = list
            .iter()
            .map(|(v, d, sql)| {
                Migration::new(
                    *v,
                    Cow::Borrowed(*d),
                    MigrationType::Simple,
                    Cow::Borrowed(*sql),
                    false,
                )
            })
            .collect();
        let migrator = Migrator {
            migrations: Cow::Owned(migrations),
            ignore_missing: false,
            locking: true,
            no_tx: false,
        };
        migrator.run(&self.pool).await.context("migrating")?;
        Ok(())
    }

    /// A connection for single-statement writes outside a transaction (on
    /// SQLite with this process's writer slot; see [`WriteConn`]).
    pub async fn write_conn(&self) -> Result<WriteConn, sqlx::Error> {
        Ok(WriteConn {
            conn: self.writer_conn().await?,
        })
    }

    /// SQLite: the writer's slot with its connection (opened when it has
    /// none); PostgreSQL: a pooled connection.
    async fn writer_conn(&self) -> Result<Conn, sqlx::Error> {
        let Some(writer) = &self.writer else {
            return Ok(Conn::Pooled(self.pool.acquire().await?));
        };
        let mut slot = writer.clone().lock_owned().await;
        if slot.is_none() {
            *slot = Some(self.pool.acquire().await?.detach());
        }
        Ok(Conn::Writer(slot))
    }

    /// A transaction that will write. On SQLite it takes this process's writer
    /// slot, then the database's write lock up front (`BEGIN IMMEDIATE`), so a
    /// writer never fails on a read-to-write upgrade; other processes writing
    /// the same file queue on the busy timeout.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        self.begin_write_then(None).await
    }

    /// [`Db::begin_write`]; on PostgreSQL `then` (a statement without
    /// parameters, a row lock) is sent in one command with the `BEGIN`: one
    /// round trip for both (`Db::write_locked`).
    async fn begin_write_then(&self, then: Option<&str>) -> Result<Tx, sqlx::Error> {
        let mut conn = self.writer_conn().await?;
        let begin: std::borrow::Cow<str> = match (self.backend, then) {
            (Backend::Sqlite, _) => "BEGIN IMMEDIATE".into(),
            (Backend::Postgres, None) => "BEGIN".into(),
            (Backend::Postgres, Some(then)) => format!("BEGIN; {then}").into(),
        };
        if let Err(e) = conn.execute(&*begin).await {
            // A BEGIN that failed half-way must not leave a transaction behind.
            if conn.execute("ROLLBACK").await.is_err() {
                conn.close_on_drop();
            }
            return Err(e);
        }
        Ok(Tx { conn: Some(conn) })
    }
}

/// The file of a `sqlite:` URL (None for PostgreSQL and in-memory databases).
fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    if !url.starts_with("sqlite:") {
        return None;
    }
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = rest.split_once('?').map_or(rest, |(p, _)| p);
    (path != ":memory:" && !path.is_empty()).then(|| std::path::PathBuf::from(path))
}

/// `sqlite://data/mall.db` → created if missing, directory included.
fn sqlite_url(url: &str) -> anyhow::Result<String> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:" && !path.is_empty() {
        if let Some(dir) = Path::new(path).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
        }
    }
    let query = if query.contains("mode=") {
        query.to_string()
    } else if query.is_empty() {
        "mode=rwc".to_string()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

impl Db {
    /// ` FOR UPDATE` on PostgreSQL; nothing on SQLite, whose write
    /// transactions already hold the database's one write lock.
    pub fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// Claim up to `batch` due rows of a queue table (columns `status`
    /// `pending`/`sending`, `next_attempt_at`, `claim`) for this sender: one
    /// conditional UPDATE marks them `sending` under `token` until
    /// `lease_until` (a sender that died is taken over when its lease ends).
    /// Two senders claiming at once take disjoint rows. Returns the open
    /// transaction, for the caller to read its claimed rows and commit.
    pub async fn claim_due(
        &self,
        table: &'static str,
        token: &str,
        lease_until: i64,
        now: i64,
        batch: i64,
    ) -> Result<Tx, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        sqlx::query(&format!(
            "UPDATE {table} SET status = 'sending', claim = $1, next_attempt_at = $2
             WHERE id IN (SELECT id FROM {table} WHERE status IN ('pending', 'sending') AND next_attempt_at <= $3
                          ORDER BY id LIMIT {batch}{})",
            self.skip_locked()
        ))
        .bind(token)
        .bind(lease_until)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        Ok(tx)
    }

    /// ` FOR UPDATE SKIP LOCKED` on PostgreSQL (rows another instance is
    /// claiming are passed over); nothing on SQLite (one writer at a time).
    pub fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}

/// Record what became of a row this sender claimed ([`Db::claim_due`]):
/// its new status, when it is due again and the last error; `done_column`
/// (e.g. `sent_at`) is stamped when `outcome.done`. Conditional on the claim
/// still being this sender's. On a write connection ([`Db::write_conn`]), or
/// inside a write transaction with the other writes that go with the outcome.
pub async fn settle_claim(
    conn: &mut AnyConnection,
    table: &'static str,
    done_column: &'static str,
    id: i64,
    token: &str,
    outcome: ClaimOutcome<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "UPDATE {table} SET status = $1, attempts = attempts + 1, next_attempt_at = $2, last_error = $3,
             {done_column} = CASE WHEN $4 = 1 THEN $5 ELSE {done_column} END, claim = NULL
         WHERE id = $6 AND status = 'sending' AND claim = $7"
    ))
    .bind(outcome.status)
    .bind(outcome.next_attempt_at)
    .bind(outcome.error)
    .bind(flag(outcome.done))
    .bind(now)
    .bind(id)
    .bind(token)
    .execute(conn)
    .await?;
    Ok(())
}

/// What became of one claimed queue row (see [`settle_claim`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimOutcome<'a> {
    pub status: &'a str,
    pub next_attempt_at: i64,
    pub error: Option<String>,
    /// Delivered: stamp the table's done column.
    pub done: bool,
}

/// A `settings` value (JSON text) by key; `lock` is "" or
/// [`Db::for_update`] inside a read-modify-write.
pub async fn setting(
    conn: &mut AnyConnection,
    key: &str,
    lock: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(&format!("SELECT value FROM settings WHERE key = $1{lock}"))
        .bind(key)
        .fetch_optional(conn)
        .await
}

/// Store a `settings` value (one upsert).
pub async fn put_setting(conn: &mut AnyConnection, key: &str, text: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(text)
    .execute(conn)
    .await?;
    Ok(())
}

/// `$from, $from+1, …` (n of them): the bind list of an `IN (…)`.
pub fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How many columns a select list (`a.x, b.y, CAST(f(z, w) AS BIGINT)`)
/// has: its commas outside parentheses, plus one.
pub fn column_count(list: &str) -> usize {
    let mut depth = 0i32;
    let mut count = 1;
    for c in list.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => count += 1,
            _ => {}
        }
    }
    count
}

/// `%text%` for `LIKE $n ESCAPE '\'`: lower-cased, with `%`, `_` and `\`
/// matched literally.
pub fn like_contains(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// 0/1 integer flags.
pub fn flag(b: bool) -> i64 {
    i64::from(b)
}

/// Commit on success, roll back (now, not when the connection is next used)
/// on failure: the one way a write transaction ends. Generic over the
/// capability's error type.
pub async fn finish<T, E: From<sqlx::Error>>(tx: Tx, result: Result<T, E>) -> Result<T, E> {
    match result {
        Ok(v) => {
            tx.commit().await?;
            Ok(v)
        }
        Err(e) => {
            if let Err(rb) = tx.rollback().await {
                tracing::warn!(error = %rb, "rollback failed");
            }
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_select_list_counts_its_columns_outside_parentheses() {
        assert_eq!(column_count("a"), 1);
        assert_eq!(column_count("a.x, b.y,\n c.z"), 3);
        assert_eq!(
            column_count("x, CAST(CASE WHEN EXISTS (SELECT 1, 2) THEN f(a, b) END AS BIGINT), y"),
            3
        );
        assert_eq!(
            column_count(crate::catalog::SNAPSHOT_COLUMNS),
            17,
            "the snapshot's columns (catalog::Snapshot::add_row reads 17)"
        );
        assert_eq!(
            column_count(crate::coupons::HOLDINGS_COLUMNS),
            crate::coupons::store::ROW_WIDTH + 2,
            "a wallet row's columns, then growth and points"
        );
    }

    /// The PostgreSQL schema is the SQLite schema with PostgreSQL type names.
    #[test]
    fn both_backends_migrate_to_the_same_schema() {
        assert_eq!(SQLITE_MIGRATIONS.len(), POSTGRES_MIGRATIONS.len());
        for (s, p) in SQLITE_MIGRATIONS.iter().zip(POSTGRES_MIGRATIONS) {
            assert_eq!((s.0, s.1), (p.0, p.1));
            let code = |sql: &str| -> Vec<String> {
                sql.lines()
                    .filter(|l| !l.trim_start().starts_with("--"))
                    .map(str::to_string)
                    .collect()
            };
            let translated: Vec<String> = code(s.2)
                .iter()
                .map(|l| {
                    l.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY")
                        .replace("INTEGER", "BIGINT")
                        .replace("BLOB", "BYTEA")
                })
                .collect();
            assert_eq!(translated, code(p.2), "migration {} differs", s.0);
        }
    }

    #[test]
    fn like_patterns_match_wildcards_literally() {
        assert_eq!(like_contains("100%_A\\"), "%100\\%\\_a\\\\%");
    }

    #[test]
    fn sqlite_urls_create_the_directory_and_keep_their_options() {
        let dir = std::env::temp_dir().join(format!("mall-url-{}", std::process::id()));
        let url = sqlite_url(&format!("sqlite://{}/x/mall.db", dir.display())).unwrap();
        assert!(url.ends_with("mall.db?mode=rwc"));
        assert!(dir.join("x").is_dir());
        assert!(sqlite_url("sqlite://:memory:?cache=shared")
            .unwrap()
            .ends_with("?cache=shared&mode=rwc"));
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A SQLite database of 4 pooled connections in a fresh directory, with
    /// a table `t (n)`.
    async fn scratch_sqlite(name: &str) -> (Db, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        let db = Db::connect(&format!("sqlite://{}/w.db", dir.display()), 4)
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (n INTEGER)")
            .execute(&db.pool)
            .await
            .unwrap();
        (db, dir)
    }

    /// Regression (checkout benchmark: prepay p99 of 239–534 ms at 16
    /// workers): a single-statement write must queue with the writers in this
    /// process, not on SQLite's file lock, whose busy handler sleeps up to
    /// 100 ms at a time. While another writer holds the slot (here one that
    /// holds no SQLite lock at all, so only the slot can make it wait), a
    /// `write_conn` is not handed out; it is the moment the slot is free.
    #[tokio::test]
    async fn single_statement_writes_queue_for_the_writer_slot() {
        let (db, dir) = scratch_sqlite("mall-writer").await;
        let holder = db.write_conn().await.unwrap();
        let waiting = {
            let db = db.clone();
            tokio::spawn(async move {
                let mut conn = db.write_conn().await.unwrap();
                sqlx::query("INSERT INTO t (n) VALUES (2)")
                    .execute(&mut *conn)
                    .await
                    .unwrap();
            })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!waiting.is_finished(), "the write waited for the slot");
        drop(holder);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("written once the slot was free")
            .unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(n, 1);
        let _ = std::fs::remove_dir_all(dir);
    }

    /// SQLite's writes run on the writer's own connection: with every pooled
    /// connection held by readers, a write still goes through at once (it
    /// used to wait for a pooled one while holding the writer's slot), and
    /// the readers see it once committed.
    #[tokio::test]
    async fn writes_do_not_wait_for_the_readers_connections() {
        let (db, dir) = scratch_sqlite("mall-writer-conn").await;
        let mut readers = Vec::new();
        for _ in 0..4 {
            readers.push(db.pool.acquire().await.unwrap());
        }
        let write = async {
            let mut tx = db.begin_write().await.unwrap();
            sqlx::query("INSERT INTO t (n) VALUES (1)")
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            let mut conn = db.write_conn().await.unwrap();
            sqlx::query("INSERT INTO t (n) VALUES (2)")
                .execute(&mut *conn)
                .await
                .unwrap();
        };
        tokio::time::timeout(Duration::from_secs(5), write)
            .await
            .expect("written while the readers hold every pooled connection");
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&mut *readers[0])
            .await
            .unwrap();
        assert_eq!(n, 2);
        drop(readers);
        let _ = std::fs::remove_dir_all(dir);
    }
}
