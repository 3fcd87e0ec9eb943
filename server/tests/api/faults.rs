//! Faults below the HTTP layer: a full disk, a read-only database.

use std::path::Path;
use std::process::Command;

use serde_json::json;

use crate::helpers::*;

/// A small tmpfs of our own (needs root; CI runs as root, so there it must work).
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI runs as root: mounting a tmpfs must work"
            );
            eprintln!("skipped: mounting a tmpfs needs root");
            return None;
        }
        Some(Tmpfs(dir))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0.path()).status();
    }
}

/// Fill the filesystem with one file until not one more byte fits (blocks of
/// 64 KiB, then smaller: a 64 KiB block that no longer fits can leave room
/// for a few WAL frames, and a one-statement write then still succeeds).
fn fill(path: &Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(path).unwrap();
    for size in [64 * 1024, 4096, 512, 1] {
        let block = vec![0u8; size];
        while f.write_all(&block).is_ok() {}
    }
    let _ = f.flush();
}

/// When a commit fails (disk full) SQLite has already rolled back; the
/// connection must be discarded, not kept "inside a transaction", so writes
/// work again as soon as space returns, without a restart.
#[tokio::test]
async fn writes_recover_by_themselves_after_the_disk_was_full() {
    if on_postgres() {
        return; // a SQLite file's disk
    }
    let Some(fs) = Tmpfs::mount("8m") else {
        return;
    };
    let url = format!("sqlite://{}/mall.db", fs.path().display());
    let app = spawn_on(url, |c| c.db_max_connections = 2).await;
    let token = app.login("disk").await;
    let add = || async {
        app.post(
            "/api/cart/items",
            Some(&token),
            json!({"skuId": EARBUDS_WHITE, "quantity": 1}),
        )
        .await
        .0
    };
    assert_eq!(add().await, 200);
    // Empty the WAL so the next commits must grow it, then fill the disk.
    app.exec("PRAGMA wal_checkpoint(TRUNCATE)").await;
    let filler = fs.path().join("filler");
    fill(&filler);
    let mut refused = 0;
    for _ in 0..6 {
        let s = add().await;
        assert!(s == 200 || s == 500, "{s}");
        if s == 500 {
            refused += 1;
        }
    }
    assert!(refused > 0, "the full disk refused no write");
    std::fs::remove_file(&filler).unwrap();
    for i in 0..20 {
        assert_eq!(add().await, 200, "write {i} after space returned");
    }
    let (_, cart) = app.get("/api/cart", Some(&token)).await;
    assert!(
        cart["items"][0]["quantity"].as_i64().unwrap() >= 21,
        "{cart}"
    );
}

/// Ten instances starting together on one empty database: all start, the
/// schema is migrated once and the shop seeded once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_instances_start_together_on_one_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = fresh_database_url(&dir).await;
    let mut starts = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let url = url.clone();
        starts.spawn(async move {
            let mut config = mall_server::config::Config::for_tests(url);
            config.db_max_connections = 2;
            mall_server::start(config).await
        });
    }
    let mut servers = Vec::new();
    while let Some(r) = starts.join_next().await {
        servers.push(r.unwrap().expect("every instance starts"));
    }
    assert_eq!(servers.len(), 10);
    let pool = &servers[0].state.db.pool;
    let settings: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM settings")
        .fetch_one(pool)
        .await
        .unwrap();
    let root_categories: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM categories WHERE parent_id IS NULL")
            .fetch_one(pool)
            .await
            .unwrap();
    let fresh = spawn_app().await;
    let want: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM categories WHERE parent_id IS NULL")
        .fetch_one(&fresh.server.state.db.pool)
        .await
        .unwrap();
    assert_eq!(root_categories, want, "seeded exactly once");
    assert!(settings >= 1);
    for s in &servers {
        let res = reqwest::get(format!("{}/health", s.url())).await.unwrap();
        assert_eq!(res.status(), 200);
    }
}

/// A database the server can only read is refused at startup, at once and
/// with the reason, not after a 30 s pool timeout or with 500s later.
#[tokio::test]
async fn a_read_only_database_is_refused_at_startup_with_the_reason() {
    let started = std::time::Instant::now();
    if on_postgres() {
        let dir = tempfile::tempdir().unwrap();
        let (url, _) = fresh_database_url(&dir).await;
        {
            use sqlx::Connection;
            let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
            let name = url.rsplit('/').next().unwrap().split('?').next().unwrap();
            sqlx::query(&format!(
                "ALTER DATABASE {name} SET default_transaction_read_only = on"
            ))
            .execute(&mut conn)
            .await
            .unwrap();
        }
        let err = mall_server::start(mall_server::config::Config::for_tests(url))
            .await
            .err()
            .expect("a read-only database is refused");
        assert!(format!("{err:#}").contains("read-only"), "{err:#}");
    } else {
        let Some(fs) = Tmpfs::mount("16m") else {
            return;
        };
        let url = format!("sqlite://{}/mall.db", fs.path().display());
        {
            let app = spawn_on(url.clone(), |_| {}).await;
            app.server.stop();
            app.server.state.db.pool.close().await;
        }
        // The same files through a read-only bind mount.
        let ro = tempfile::tempdir().unwrap();
        let mount = |args: &[&str], target: &Path| {
            Command::new("mount")
                .args(args)
                .arg(target)
                .status()
                .unwrap()
                .success()
        };
        assert!(mount(
            &["--bind", &fs.path().display().to_string()],
            ro.path()
        ));
        assert!(
            mount(&["-o", "remount,ro,bind"], ro.path()),
            "read-only bind"
        );
        let _unmount = Tmpfs(ro);
        let url = format!("sqlite://{}/mall.db", _unmount.path().display());
        let err = mall_server::start(mall_server::config::Config::for_tests(url))
            .await
            .err()
            .expect("a read-only database is refused");
        assert!(format!("{err:#}").contains("read-only"), "{err:#}");
    }
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

/// The real binary logging every request to a full disk still answers every
/// request: a log line that cannot be written never takes a request down.
#[tokio::test]
async fn logging_to_a_full_disk_drops_log_lines_not_requests() {
    if on_postgres() {
        return;
    }
    let Some(fs) = Tmpfs::mount("1m") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let log_path = fs.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    // Port 0: the server takes a free port itself and logs it (a port picked
    // here could be taken by another test's server before the child binds it).
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mall-server"))
        .env("MALL_BIND", "127.0.0.1:0")
        .env("NO_COLOR", "1")
        .env("MALL_DATA_DIR", data.path())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/mall.db", data.path().display()),
        )
        .env("MALL_JOBS_EVERY_SECS", "0")
        .env("RUST_LOG", "debug")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut port = None;
    for _ in 0..300 {
        port = listening_port(&std::fs::read_to_string(&log_path).unwrap_or_default());
        if port.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let port = port.expect("the server did not start");
    let http = reqwest::Client::new();
    let health = http
        .get(format!("http://127.0.0.1:{port}/health"))
        .send()
        .await
        .expect("health");
    assert_eq!(health.status(), 200);
    fill(&fs.path().join("filler"));
    for i in 0..30 {
        let res = http
            .get(format!(
                "http://127.0.0.1:{port}/api/products?page={}",
                i % 3 + 1
            ))
            .send()
            .await
            .unwrap_or_else(|e| panic!("request {i} got no answer: {e}"));
        assert_eq!(res.status(), 200, "request {i}");
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the server is still running"
    );
    let _ = child.kill().await;
}

/// The port in the server's "storefront API listening addr=127.0.0.1:PORT"
/// log line (colour codes, if any, removed).
pub(crate) fn listening_port(log: &str) -> Option<u16> {
    logged_address(log, "storefront API listening")?
        .rsplit(':')
        .next()?
        .parse()
        .ok()
}

/// The `addr=HOST:PORT` of the first log line containing `marker`.
pub(crate) fn logged_address(log: &str, marker: &str) -> Option<String> {
    let mut plain = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    let line = plain.lines().find(|l| l.contains(marker))?;
    Some(
        line.split("addr=")
            .nth(1)?
            .split_whitespace()
            .next()?
            .to_string(),
    )
}

#[test]
fn the_listening_port_is_read_from_the_log_with_or_without_colour() {
    assert_eq!(
        listening_port(
            "x INFO mall_server: storefront API listening addr=127.0.0.1:41234 backend=Sqlite"
        ),
        Some(41234)
    );
    assert_eq!(
        listening_port("\u{1b}[2mx\u{1b}[0m storefront API listening \u{1b}[3maddr\u{1b}[0m\u{1b}[2m=\u{1b}[0m127.0.0.1:8080"),
        Some(8080)
    );
    assert_eq!(listening_port("starting"), None);
}
