//! Opening the database when the server starts: safe when several instances
//! start together on one empty database, and clear when the database cannot
//! be written.
//!
//! Connecting, the WAL switch, migrations and the demo seed run under one
//! startup lock: on SQLite an exclusive lock on `<file>.startup-lock` (other
//! processes wait their turn), on PostgreSQL a session advisory lock. The
//! second instance then finds the schema migrated and the shop seeded.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use sqlx::{Connection, Executor};

use super::{sqlite_path, Backend, Db};

/// PostgreSQL advisory lock key for startup ("mall" in ASCII).
const STARTUP_LOCK_KEY: i64 = 0x6d61_6c6c;

/// Connect, check the database is writable, migrate and (optionally) seed.
/// With `seed_demo`, an empty database gets the demo shop (and with
/// `demo_campaigns`, its member campaigns switched on).
pub async fn open(
    url: &str,
    max_connections: u32,
    seed_demo: bool,
    demo_campaigns: bool,
) -> anyhow::Result<Db> {
    let _file_lock = match sqlite_path(url) {
        Some(path) => Some(lock_sqlite(&path).await?),
        None => None,
    };
    let db = Db::connect(url, max_connections).await?;
    let mut pg_lock = None;
    if db.backend == Backend::Postgres {
        let mut conn = db.pool.acquire().await?.detach();
        conn.execute(format!("SELECT pg_advisory_lock({STARTUP_LOCK_KEY})").as_str())
            .await
            .context("taking the startup lock")?;
        pg_lock = Some(conn);
    }
    check_writable(&db).await?;
    db.migrate().await?;
    if seed_demo {
        super::seed::seed_demo_if_empty(&db, demo_campaigns).await?;
    }
    if let Some(conn) = pg_lock {
        // Closing the session releases its advisory lock.
        let _ = conn.close().await;
    }
    Ok(db)
}

/// Refuse a database this server could only read, with the reason, instead
/// of timing out or answering 500 to every write later.
async fn check_writable(db: &Db) -> anyhow::Result<()> {
    match db.backend {
        Backend::Sqlite => {
            // Rewriting the header's user_version is a real write.
            let v: i64 = sqlx::query_scalar("PRAGMA user_version")
                .fetch_one(&db.pool)
                .await?;
            if let Err(e) = db
                .pool
                .execute(format!("PRAGMA user_version = {v}").as_str())
                .await
            {
                bail!("the SQLite database is read-only ({e}): make the file and its directory writable");
            }
        }
        Backend::Postgres => {
            let ro: String = sqlx::query_scalar("SELECT current_setting('transaction_read_only')")
                .fetch_one(&db.pool)
                .await?;
            if ro == "on" {
                bail!(
                    "the PostgreSQL database is read-only (a standby, or default_transaction_read_only = on): \
                     point DATABASE_URL at a writable primary"
                );
            }
        }
    }
    Ok(())
}

/// Wait for the startup lock of a SQLite file (created next to it).
async fn lock_sqlite(db_file: &Path) -> anyhow::Result<std::fs::File> {
    let dir = match db_file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    if db_file.exists() {
        if let Err(e) = std::fs::OpenOptions::new().write(true).open(db_file) {
            bail!(
                "the SQLite database {} is read-only ({e}): make the file and its directory writable",
                db_file.display()
            );
        }
    }
    let mut name = db_file.as_os_str().to_owned();
    name.push(".startup-lock");
    let lock_path = PathBuf::from(name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| {
            anyhow::anyhow!(
                "the SQLite database directory {} is not writable ({e}): the server needs to write its database there",
                dir.display()
            )
        })?;
    tokio::task::spawn_blocking(move || file.lock().map(|()| file))
        .await?
        .with_context(|| format!("locking {}", lock_path.display()))
}
