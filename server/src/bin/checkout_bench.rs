//! mall-checkout-bench: the whole shopper flow under load, against the real
//! server binary started as its own process (demo mode: the fake WeChat Pay
//! confirms payments and sends WeChat's signed notification).
//!
//! Each worker signs in once, then repeats until the time is up: add to cart
//! → checkout quote → place the order → prepay → pay (the fake's confirm,
//! which sends the signed notification the server applies). After a warm-up
//! it prints checkouts/s, requests/s, p50 / p99 per call, the server's CPU
//! time per checkout (from /proc) and its peak RSS; the fake's CPU; on
//! PostgreSQL its backends' (those serving the bench's database); this load
//! client's own; and the whole machine's (every process: server, fake, load
//! client, database), whose reciprocal times the cores is the most
//! checkouts/s this machine can carry.
//!
//! On PostgreSQL the database is analysed when the warm-up ends: it is made
//! empty for the run, and plans cached on empty tables (without statistics)
//! pick indexes by ties, where a running shop's tables have the statistics
//! autovacuum gathers (it looks every `autovacuum_naptime`, a minute by
//! default: longer than a run's warm-up).
//!
//!   server/checkout-bench.sh [--workers 4] [--duration 30] [--warmup 15]
//!   WITH_POSTGRES=1 server/checkout-bench.sh --workers 16

use std::collections::BTreeMap;
use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

mod common;
use common::process::{
    cpu_ticks, ms, peak_rss_kb, percentile, start_server, Launch, RunDir, ServerProcess,
};
use common::{pay_at_fake, post, post_for, post_minimal, unlimited_stock, wait_healthy};
use serde::Deserialize;
use serde_json::json;

const SKU: i64 = 19; // seeded, list price only

struct Args {
    server: String,
    /// The standalone fake (`mall-fake-wechat`): WeChat's side runs in its own
    /// process, so the server's CPU figure is the server's alone.
    fake: Option<String>,
    workers: usize,
    duration: u64,
    warmup: u64,
    database_url: Option<String>,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        server: "target/release/mall-server".into(),
        fake: None,
        workers: 4,
        duration: 30,
        warmup: 15,
        database_url: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--server" => a.server = val()?,
            "--fake" => a.fake = Some(val()?),
            "--workers" => a.workers = val()?.parse()?,
            "--duration" => a.duration = val()?.parse()?,
            "--warmup" => a.warmup = val()?.parse()?,
            "--database-url" => a.database_url = Some(val()?),
            "-h" | "--help" => {
                println!("mall-checkout-bench [--server PATH] [--fake PATH] [--workers N] [--duration S] [--warmup S] [--database-url URL]");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}"),
        }
    }
    if !(1..=256).contains(&a.workers) || !(1..=600).contains(&a.duration) || a.warmup > 600 {
        bail!("workers 1..=256, duration 1..=600 s, warmup 0..=600 s");
    }
    Ok(a)
}

type Timings = BTreeMap<&'static str, Vec<Duration>>;

/// One whole checkout; the time of each call.
async fn checkout(
    http: &reqwest::Client,
    s: &ServerProcess,
    token: &str,
    key: &str,
    t: &mut Timings,
) -> anyhow::Result<()> {
    let pickup = json!({"kind": "pickup", "storeId": "store-1"});
    let mut step = |name: &'static str, started: Instant| {
        t.entry(name).or_default().push(started.elapsed());
    };
    // Only what the flow reads is parsed from each answer (`post_for`).
    #[derive(Deserialize)]
    struct Quoted {
        fingerprint: String,
    }
    #[derive(Deserialize)]
    struct Placed {
        id: i64,
    }
    #[derive(Deserialize)]
    struct Prepaid {
        params: Params,
    }
    #[derive(Deserialize)]
    struct Params {
        package: String,
    }
    let t0 = Instant::now();
    // As the product page adds: without the priced cart in the answer.
    post_minimal(
        http,
        &format!("{}/api/cart/items", s.base),
        Some(token),
        &json!({"skuId": SKU, "quantity": 1}),
    )
    .await
    .context("add to cart")?;
    step("cart", t0);
    let t0 = Instant::now();
    let q: Quoted = post_for(
        http,
        &format!("{}/api/checkout/quote", s.base),
        Some(token),
        &json!({"delivery": pickup}),
        200,
    )
    .await
    .context("quote")?;
    step("quote", t0);
    let t0 = Instant::now();
    let body = json!({"delivery": pickup, "fingerprint": q.fingerprint, "idempotencyKey": key});
    let o: Placed = post_for(
        http,
        &format!("{}/api/orders", s.base),
        Some(token),
        &body,
        201,
    )
    .await
    .context("place")?;
    step("place", t0);
    let t0 = Instant::now();
    let p: Prepaid = post_for(
        http,
        &format!("{}/api/orders/{}/pay", s.base, o.id),
        Some(token),
        &json!({}),
        200,
    )
    .await
    .context("prepay")?;
    step("prepay", t0);
    let prepay = p
        .params
        .package
        .strip_prefix("prepay_id=")
        .context("prepay id")?
        .to_string();
    let t0 = Instant::now();
    pay_at_fake(http, s, &prepay).await?;
    step("pay+notify", t0);
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    let dir = std::env::temp_dir().join(format!("mall-checkout-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    // Before the server, so that it drops after it: the directory goes (or
    // the log is named) once the server is dead.
    let mut run = RunDir::new(&dir);
    let server = Arc::new(start_server(
        &Launch {
            server: &a.server,
            fake: a.fake.as_deref(),
            fake_addr: None,
            database_url: a.database_url.as_deref(),
            env: Vec::new(),
        },
        &dir,
    )?);
    run.watch(&server);
    let http = common::client(a.workers * 2)?;
    wait_healthy(&http, &server.base).await;
    unlimited_stock(&http, &server, SKU).await?;
    let pid = server.pid;
    let fake_pid = server.fake_child.as_ref().map(Child::id);
    let measure_from = Instant::now() + Duration::from_secs(a.warmup);
    let until = measure_from + Duration::from_secs(a.duration);
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..a.workers {
        let (http, server) = (http.clone(), server.clone());
        workers.spawn(async move {
            let (_, login) = post(
                &http,
                &format!("{}/api/auth/login", server.base),
                None,
                &json!({"code": format!("bench-{w}")}),
            )
            .await?;
            let token = login["token"].as_str().context("login")?.to_string();
            let (mut timings, mut done, mut failed) = (Timings::new(), 0usize, 0usize);
            let mut i = 0usize;
            while Instant::now() < until {
                i += 1;
                let measuring = Instant::now() >= measure_from;
                let mut t = Timings::new();
                match checkout(&http, &server, &token, &format!("b{w}-{i}"), &mut t).await {
                    Ok(()) if measuring => {
                        done += 1;
                        for (k, v) in t {
                            timings.entry(k).or_default().extend(v);
                        }
                    }
                    Ok(()) => {}
                    Err(e) => {
                        failed += 1;
                        if failed <= 3 {
                            eprintln!("worker {w}: {e:#}");
                        }
                    }
                }
            }
            anyhow::Ok((timings, done, failed))
        });
    }
    tokio::time::sleep_until(measure_from.into()).await;
    let mut pg = match &a.database_url {
        Some(url) => Some(Postgres::analyse(url).await?),
        None => None,
    };
    let pg_cpu0 = match &mut pg {
        Some(pg) => pg.backends_ticks().await?,
        None => BTreeMap::new(),
    };
    let machine0 = machine_busy_ticks();
    let client0 = cpu_ticks(std::process::id());
    let cpu0 = cpu_ticks(pid);
    let fake_cpu0 = fake_pid.map(cpu_ticks).unwrap_or(0);
    let mut all = Timings::new();
    let (mut done, mut failed) = (0usize, 0usize);
    while let Some(r) = workers.join_next().await {
        let (t, d, f) = r??;
        done += d;
        failed += f;
        for (k, v) in t {
            all.entry(k).or_default().extend(v);
        }
    }
    let cpu = cpu_ticks(pid).saturating_sub(cpu0);
    let fake_cpu = fake_pid.map_or(0, |p| cpu_ticks(p).saturating_sub(fake_cpu0));
    let machine = machine_busy_ticks().saturating_sub(machine0);
    let client = cpu_ticks(std::process::id()).saturating_sub(client0);
    // A backend that started during the run counts from zero.
    let pg_cpu: Option<u64> = match &mut pg {
        Some(pg) => Some(
            pg.backends_ticks()
                .await?
                .iter()
                .map(|(pid, t)| t.saturating_sub(pg_cpu0.get(pid).copied().unwrap_or(0)))
                .sum(),
        ),
        None => None,
    };
    let rss = peak_rss_kb(pid);
    let backend = if a.database_url.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    let calls: usize = all.values().map(Vec::len).sum();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    #[allow(clippy::float_arithmetic)]
    {
        let secs = a.duration as f64;
        // Clock ticks are 1/100 s on Linux: milliseconds per checkout.
        let per_checkout = |ticks: u64| ticks as f64 * 10.0 / done.max(1) as f64;
        println!(
            "backend={backend} workers={} duration={}s checkouts={done} failed={failed} \
             checkouts/s={:.1} requests/s={:.1} server_cpu_per_checkout={:.2}ms peak_rss={:.1}MB \
             fake={} fake_cpu_per_checkout={:.2}ms{} client_cpu_per_checkout={:.2}ms \
             machine_cpu_per_checkout={:.2}ms cores={cores}",
            a.workers,
            a.duration,
            done as f64 / secs,
            calls as f64 / secs,
            per_checkout(cpu),
            rss as f64 / 1024.0,
            if fake_pid.is_some() {
                "separate"
            } else {
                "in-process"
            },
            per_checkout(fake_cpu),
            pg_cpu.map_or(String::new(), |t| format!(
                " db_cpu_per_checkout={:.2}ms",
                per_checkout(t)
            )),
            per_checkout(client),
            per_checkout(machine),
        );
    }
    for (name, mut v) in all {
        v.sort_unstable();
        println!(
            "  {name:<11} n={:<6} p50={:.1}ms p99={:.1}ms",
            v.len(),
            ms(percentile(&v, 50)),
            ms(percentile(&v, 99))
        );
    }
    drop(server);
    if failed == 0 {
        run.done();
    }
    if done == 0 {
        bail!("no checkout completed");
    }
    Ok(())
}

/// CPU ticks (1/100 s) every core spent busy since boot: /proc/stat's first
/// line less idle and iowait.
fn machine_busy_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let f: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let idle = f.get(3).copied().unwrap_or(0) + f.get(4).copied().unwrap_or(0);
    f.iter().take(8).sum::<u64>().saturating_sub(idle)
}

/// The bench's PostgreSQL database, seen from a connection of the bench's own.
struct Postgres(sqlx::PgConnection);

impl Postgres {
    /// Connect and `ANALYZE` (see the module's note on statistics).
    async fn analyse(url: &str) -> anyhow::Result<Postgres> {
        use sqlx::{Connection, Executor};
        let mut conn = sqlx::PgConnection::connect(url)
            .await
            .context("connecting to the bench's database")?;
        conn.execute("ANALYZE").await.context("ANALYZE")?;
        Ok(Postgres(conn))
    }

    /// CPU ticks of each backend serving the database but this connection.
    async fn backends_ticks(&mut self) -> anyhow::Result<BTreeMap<u32, u64>> {
        let pids: Vec<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_all(&mut self.0)
        .await?;
        Ok(pids
            .into_iter()
            .map(|p| (p as u32, cpu_ticks(p as u32)))
            .collect())
    }
}
