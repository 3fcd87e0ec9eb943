//! mall-bench: a bounded load test of checkout. Starts the real server
//! in-process on 127.0.0.1 (fresh SQLite file, or a fresh database on the
//! PostgreSQL server given), signs in one shopper per connection, then sends
//! exactly `--requests` place-order requests (buy-now, one unit of one SKU, so
//! every order contends for the same stock row) with `--concurrency` in
//! flight, and prints orders/s and p50 / p99 latency.
//!
//!   cargo run --release -p mall-server --bin mall-bench -- [--requests 2000]
//!       [--concurrency 32] [--database-url postgres://user:pw@127.0.0.1:5433/db]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

mod common;
use common::post;
use mall_server::config::Config;
use serde_json::json;
use sqlx::Connection;

const SKU: i64 = 19; // 内蒙古风干牛肉干 香辣 (seeded)

struct Args {
    requests: usize,
    concurrency: usize,
    database_url: Option<String>,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        requests: 2000,
        concurrency: 32,
        database_url: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--requests" => a.requests = val()?.parse()?,
            "--concurrency" => a.concurrency = val()?.parse()?,
            "--database-url" => a.database_url = Some(val()?),
            "-h" | "--help" => {
                println!(
                    "mall-bench [--requests N] [--concurrency C] [--database-url postgres://...]"
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}"),
        }
    }
    if a.requests == 0 || a.requests > 100_000 || a.concurrency == 0 || a.concurrency > 512 {
        bail!("requests 1..=100000, concurrency 1..=512");
    }
    Ok(a)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    #[allow(clippy::float_arithmetic)]
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    sqlx::any::install_default_drivers();
    let dir = tempfile_dir()?;
    let (url, cleanup) = match &a.database_url {
        Some(admin) if admin.starts_with("postgres") => {
            let name = format!("mall_bench_{}", std::process::id());
            let mut conn = sqlx::AnyConnection::connect(admin).await?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
                .execute(&mut conn)
                .await?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await?;
            let base = &admin[..admin.rfind('/').context("url has no database")?];
            (format!("{base}/{name}"), Some((admin.clone(), name)))
        }
        Some(other) => (other.clone(), None),
        None => (format!("sqlite://{}/bench.db", dir.display()), None),
    };
    let mut config = Config::for_tests(url);
    config.db_max_connections = (a.concurrency as u32).clamp(4, 32);
    let server = mall_server::start(config).await?;
    let base = server.url();
    let backend = format!("{:?}", server.state.db.backend).to_lowercase();
    sqlx::query("UPDATE skus SET stock = $1 WHERE id = $2")
        .bind(a.requests as i64 + 10)
        .bind(SKU)
        .execute(&server.state.db.pool)
        .await?;

    let http = common::client(a.concurrency)?;
    let body = json!({"items": [{"skuId": SKU, "quantity": 1}], "delivery": {"kind": "pickup", "storeId": "store-1"}});
    let mut shoppers = Vec::new();
    for i in 0..a.concurrency {
        let (_, login) = post(
            &http,
            &format!("{base}/api/auth/login"),
            None,
            &json!({"code": format!("bench-{i}")}),
        )
        .await?;
        let token = login["token"].as_str().context("login failed")?.to_string();
        let (s, q) = post(
            &http,
            &format!("{base}/api/checkout/quote"),
            Some(&token),
            &body,
        )
        .await?;
        if s != 200 {
            bail!("quote failed: {q}");
        }
        shoppers.push((token, q["fingerprint"].clone()));
    }

    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for (w, (token, fp)) in shoppers.into_iter().enumerate() {
        let (http, next, base, body) = (http.clone(), next.clone(), base.clone(), body.clone());
        let total = a.requests;
        workers.spawn(async move {
            let mut lat = Vec::new();
            let mut failed = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let mut place = body.clone();
                place["fingerprint"] = fp.clone();
                place["idempotencyKey"] = json!(format!("bench-{w}-{i}"));
                let t0 = Instant::now();
                match post(&http, &format!("{base}/api/orders"), Some(&token), &place).await {
                    Ok((201, _)) => lat.push(t0.elapsed()),
                    Ok((_, v)) => {
                        failed += 1;
                        if failed == 1 {
                            eprintln!("worker {w}: order failed: {v}");
                        }
                    }
                    Err(e) => {
                        failed += 1;
                        eprintln!("worker {w}: {e}");
                    }
                }
            }
            (lat, failed)
        });
    }
    let mut lat = Vec::with_capacity(a.requests);
    let mut failed = 0;
    while let Some(r) = workers.join_next().await {
        let (l, f) = r?;
        lat.extend(l);
        failed += f;
    }
    let elapsed = started.elapsed();
    lat.sort_unstable();
    let stock: i64 = sqlx::query_scalar("SELECT stock FROM skus WHERE id = $1")
        .bind(SKU)
        .fetch_one(&server.state.db.pool)
        .await?;
    #[allow(clippy::float_arithmetic)]
    let rate = lat.len() as f64 / elapsed.as_secs_f64();
    println!(
        "backend={backend} requests={} concurrency={} orders={} failed={failed} elapsed={:.2}s \
         orders/s={rate:.0} p50={:.1}ms p99={:.1}ms stock_left={stock}",
        a.requests,
        a.concurrency,
        lat.len(),
        elapsed.as_secs_f64(),
        ms(percentile(&lat, 0.50)),
        ms(percentile(&lat, 0.99)),
    );
    drop(server);
    if let Some((admin, name)) = cleanup {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut conn = sqlx::AnyConnection::connect(&admin).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    if failed > 0 || stock != 10 {
        bail!("{failed} orders failed or stock is off ({stock} left, expected 10)");
    }
    Ok(())
}

#[allow(clippy::float_arithmetic)]
fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("mall-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
