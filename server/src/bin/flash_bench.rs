//! mall-flash-bench: a flash sale under load against the real server binary
//! (its own process, demo mode with the standalone fake WeChat Pay).
//!
//! The merchant puts `--units` of a SKU on sale, 1 per shopper, set aside in
//! `--buckets` stock buckets (8; `--buckets 1` takes the quota row and the
//! SKU's row with every order). `--buyers`
//! distinct shoppers (signed in beforehand) arrive in one burst; each places
//! its order and, when told 排队中 (429), retries after the server's
//! retryAfterMs, at most `--retries` times. Then `--unpaid-percent` of the
//! winners never pay: after the payment timeout (`--hold-secs`) their units
//! must come back, exactly, and sell again to a second wave of shoppers.
//!
//! It prints attempts/s, p50 / p99 of the order call, the answers, orders and
//! units sold, oversold units (must be 0), stranded units (taken from the
//! quota but in no order; must be 0), the units returned after the timeout
//! against the unpaid winners, the second wave's sales, and on PostgreSQL the
//! database transactions per attempt. Read from the database itself.
//!
//!   bash server/flash-bench.sh [--buyers 20000] [--units 1000]
//!   WITH_POSTGRES=1 bash server/flash-bench.sh

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::{json, Value};
use sqlx::AnyPool;
use tokio::sync::Semaphore;

mod common;
use common::process::{
    cpu_ticks, ms, peak_rss_kb, percentile, start_server, Launch, RunDir, ServerProcess,
};
use common::{merchant, pay_at_fake, post, unlimited_stock, wait_healthy};

const SKU: i64 = 19; // seeded, list price only, in no activity

struct Args {
    server: String,
    fake: Option<String>,
    database_url: Option<String>,
    units: i64,
    buyers: usize,
    concurrency: usize,
    retries: u32,
    hold_secs: u64,
    unpaid_percent: usize,
    /// Redis mode: the servers get REDIS_URL.
    redis_url: Option<String>,
    /// Server processes on the one database (shoppers spread over them).
    instances: usize,
    /// The sale's stock buckets (`stockBuckets`, default 8; 1: the quota is
    /// one row, taken with the SKU's).
    buckets: i64,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        server: "target/release/mall-server".into(),
        fake: None,
        database_url: None,
        units: 1000,
        buyers: 20_000,
        concurrency: 256,
        retries: 5,
        hold_secs: 30,
        unpaid_percent: 30,
        redis_url: None,
        instances: 1,
        buckets: 8,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--server" => a.server = val()?,
            "--fake" => a.fake = Some(val()?),
            "--database-url" => a.database_url = Some(val()?),
            "--units" => a.units = val()?.parse()?,
            "--buyers" => a.buyers = val()?.parse()?,
            "--concurrency" => a.concurrency = val()?.parse()?,
            "--retries" => a.retries = val()?.parse()?,
            "--hold-secs" => a.hold_secs = val()?.parse()?,
            "--unpaid-percent" => a.unpaid_percent = val()?.parse()?,
            "--redis-url" => a.redis_url = Some(val()?),
            "--instances" => a.instances = val()?.parse()?,
            "--buckets" => a.buckets = val()?.parse()?,
            "-h" | "--help" => {
                println!("mall-flash-bench [--server PATH] [--fake PATH] [--database-url URL] [--units N] [--buyers N] [--concurrency N] [--retries N] [--hold-secs S] [--unpaid-percent P] [--redis-url URL] [--instances N] [--buckets N]");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}"),
        }
    }
    if !(1..=100_000).contains(&a.units)
        || !(1..=200_000).contains(&a.buyers)
        || !(1..=4096).contains(&a.concurrency)
        || a.retries > 100
        || !(5..=600).contains(&a.hold_secs)
        || a.unpaid_percent > 100
        || !(1..=8).contains(&a.instances)
    {
        bail!("units 1..=100000, buyers 1..=200000, concurrency 1..=4096, retries ≤ 100, hold-secs 5..=600, unpaid-percent ≤ 100, instances 1..=8");
    }
    Ok(a)
}

/// What one shopper's attempts came to.
#[derive(Debug, Default)]
struct Outcome {
    latencies: Vec<Duration>,
    /// Each attempt's status, in order (beside `latencies`).
    statuses: Vec<u16>,
    answers: BTreeMap<String, usize>,
    /// The last answer's status.
    last: u16,
    order: Option<i64>,
}

/// Sign in `n` shoppers named `{prefix}-{i}`, a few at a time.
async fn sign_in(
    http: &reqwest::Client,
    s: &Arc<ServerProcess>,
    prefix: &str,
    n: usize,
) -> anyhow::Result<Vec<String>> {
    let gate = Arc::new(Semaphore::new(32));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let (http, s, gate) = (http.clone(), s.clone(), gate.clone());
        let code = format!("{prefix}-{i}");
        tasks.spawn(async move {
            let _p = gate.acquire().await?;
            let (st, v) = post(
                &http,
                &format!("{}/api/auth/login", s.base),
                None,
                &json!({ "code": code }),
            )
            .await?;
            let token = v["token"]
                .as_str()
                .with_context(|| format!("login {st}: {v}"))?;
            anyhow::Ok((i, token.to_string()))
        });
    }
    let mut tokens = vec![String::new(); n];
    while let Some(r) = tasks.join_next().await {
        let (i, t) = r??;
        tokens[i] = t;
    }
    Ok(tokens)
}

/// One wave: every shopper places an order at once (bounded by
/// `concurrency` connections), retrying 排队中 after the server's delay.
async fn wave(
    http: &reqwest::Client,
    bases: &[String],
    a: &Args,
    tokens: &[String],
    body: &Value,
    wave_name: &str,
) -> anyhow::Result<(Vec<Outcome>, Duration)> {
    let conns = Arc::new(Semaphore::new(a.concurrency));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (i, token) in tokens.iter().enumerate() {
        let (http, conns, token) = (http.clone(), conns.clone(), token.clone());
        let base = bases[i % bases.len()].clone();
        let mut body = body.clone();
        body["idempotencyKey"] = json!(format!("{wave_name}-{i}"));
        let retries = a.retries;
        tasks.spawn(async move {
            let mut out = Outcome::default();
            for attempt in 0..=retries {
                let t0;
                let (st, by, v) = {
                    let _c = conns.acquire().await?;
                    t0 = Instant::now();
                    let res = http
                        .post(format!("{base}/api/orders"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await?;
                    // Which layer answered a refusal (gate, redis, server).
                    let by = res
                        .headers()
                        .get("x-mall-answered-by")
                        .and_then(|h| h.to_str().ok())
                        .map(|h| format!(" by {h}"))
                        .unwrap_or_default();
                    let st = res.status().as_u16();
                    (st, by, res.json::<Value>().await.unwrap_or(Value::Null))
                };
                out.latencies.push(t0.elapsed());
                out.statuses.push(st);
                out.last = st;
                let code = v["code"].as_str().unwrap_or("").to_string();
                *out.answers
                    .entry(format!("{st} {code}{by}").trim().to_string())
                    .or_default() += 1;
                match st {
                    201 | 200 => {
                        out.order = v["id"].as_i64();
                        break;
                    }
                    429 if attempt < retries => {
                        let wait = v["details"]["retryAfterMs"].as_u64().unwrap_or(500);
                        tokio::time::sleep(Duration::from_millis(wait)).await;
                    }
                    _ => break,
                }
            }
            anyhow::Ok((i, out))
        });
    }
    let mut outcomes: Vec<Outcome> = (0..tokens.len()).map(|_| Outcome::default()).collect();
    while let Some(r) = tasks.join_next().await {
        let (i, o) = r??;
        outcomes[i] = o;
    }
    Ok((outcomes, start.elapsed()))
}

/// Pay an order the way the phone does: prepay, then the fake's confirm,
/// which sends WeChat Pay's signed notification to the server.
async fn pay(
    http: &reqwest::Client,
    s: &ServerProcess,
    token: &str,
    id: i64,
) -> anyhow::Result<()> {
    let (st, p) = post(
        http,
        &format!("{}/api/orders/{id}/pay", s.base),
        Some(token),
        &json!({}),
    )
    .await?;
    let prepay = p["params"]["package"]
        .as_str()
        .and_then(|x| x.strip_prefix("prepay_id="))
        .with_context(|| format!("prepay {st}: {p}"))?;
    pay_at_fake(http, s, prepay).await
}

/// The sale as the database holds it.
#[derive(Debug, Clone, Copy)]
struct Ledger {
    /// Units left in the sale's quota.
    quota_left: i64,
    /// Units in the sale's orders that are not cancelled, and those orders.
    ordered: i64,
    orders: i64,
    paid_orders: i64,
}

async fn ledger(db: &AnyPool, activity: &str) -> anyhow::Result<Ledger> {
    let quota_left: i64 =
        sqlx::query_scalar("SELECT stock FROM activity_skus_left WHERE activity_id = $1")
            .bind(activity)
            .fetch_one(db)
            .await?;
    let (ordered, orders, paid): (i64, i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(ol.quantity), 0) AS BIGINT), CAST(COUNT(DISTINCT o.id) AS BIGINT),
                CAST(COUNT(DISTINCT CASE WHEN o.paid_at IS NOT NULL THEN o.id END) AS BIGINT)
         FROM order_lines ol JOIN orders o ON o.id = ol.order_id
         WHERE ol.activity_id = $1 AND o.status <> 'cancelled'",
    )
    .bind(activity)
    .fetch_one(db)
    .await?;
    Ok(Ledger {
        quota_left,
        ordered,
        orders,
        paid_orders: paid,
    })
}

/// Committed plus rolled-back transactions of the database so far (PostgreSQL).
async fn pg_transactions(db: &AnyPool) -> Option<i64> {
    sqlx::query_scalar(
        "SELECT CAST(xact_commit + xact_rollback AS BIGINT) FROM pg_stat_database WHERE datname = current_database()",
    )
    .fetch_one(db)
    .await
    .ok()
}

#[allow(clippy::float_arithmetic)]
fn report(name: &str, outcomes: &[Outcome], took: Duration) {
    let mut lat: Vec<Duration> = outcomes.iter().flat_map(|o| o.latencies.clone()).collect();
    lat.sort_unstable();
    let mut answers: BTreeMap<&str, usize> = BTreeMap::new();
    for o in outcomes {
        for (k, n) in &o.answers {
            *answers.entry(k.as_str()).or_default() += n;
        }
    }
    let gave_up = outcomes
        .iter()
        .filter(|o| o.order.is_none() && o.last == 429)
        .count();
    println!(
        "{name}: shoppers={} attempts={} in {:.2}s attempts/s={:.0} order-call p50={:.1}ms p99={:.1}ms won={} gave-up-queued={gave_up}",
        outcomes.len(),
        lat.len(),
        took.as_secs_f64(),
        lat.len() as f64 / took.as_secs_f64().max(1e-9),
        ms(percentile(&lat, 50)),
        ms(percentile(&lat, 99)),
        outcomes.iter().filter(|o| o.order.is_some()).count(),
    );
    let shown: Vec<String> = answers.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    println!("  answers: {}", shown.join(", "));
    let mut by_status: BTreeMap<u16, Vec<Duration>> = BTreeMap::new();
    for o in outcomes {
        for (s, d) in o.statuses.iter().zip(&o.latencies) {
            by_status.entry(*s).or_default().push(*d);
        }
    }
    let shown: Vec<String> = by_status
        .into_iter()
        .map(|(s, mut v)| {
            v.sort_unstable();
            format!(
                "{s} p50={:.1}ms p99={:.1}ms",
                ms(percentile(&v, 50)),
                ms(percentile(&v, 99))
            )
        })
        .collect();
    println!("  latency by answer: {}", shown.join(", "));
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    let dir = std::env::temp_dir().join(format!("mall-flash-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut env = vec![
        ("MALL_ORDER_TTL_SECS", a.hold_secs.to_string()),
        ("MALL_EXPIRY_SWEEP_SECS", "1".into()),
    ];
    if let Some(r) = &a.redis_url {
        env.push(("REDIS_URL", r.clone()));
        // A fresh namespace per run on a shared Redis.
        env.push(("MALL_REDIS_PREFIX", format!("bench-{}", std::process::id())));
    }
    // Before the servers, so that it drops after them (see checkout_bench).
    let mut run = RunDir::new(&dir);
    let server = Arc::new(start_server(
        &Launch {
            server: &a.server,
            fake: a.fake.as_deref(),
            fake_addr: None,
            database_url: a.database_url.as_deref(),
            env: env.clone(),
        },
        &dir,
    )?);
    let mut others = Vec::new();
    for _ in 1..a.instances {
        others.push(start_server(
            &Launch {
                server: &a.server,
                fake: None,
                fake_addr: Some(server.fake.trim_start_matches("http://").to_string()),
                database_url: a.database_url.as_deref(),
                env: env.clone(),
            },
            &dir,
        )?);
    }
    for s in std::iter::once(&*server).chain(&others) {
        run.watch(s);
    }
    let bases: Vec<String> = std::iter::once(server.base.clone())
        .chain(others.iter().map(|o| o.base.clone()))
        .collect();
    let pids: Vec<u32> = std::iter::once(server.pid)
        .chain(others.iter().map(|o| o.pid))
        .collect();
    let http = common::client(a.concurrency)?;
    for base in &bases {
        wait_healthy(&http, base).await;
    }
    let db_url = a
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/mall.db", dir.display()));
    sqlx::any::install_default_drivers();
    let db = sqlx::pool::PoolOptions::<sqlx::Any>::new()
        .max_connections(2)
        .connect(&db_url)
        .await?;
    let backend = match (&a.database_url, &a.redis_url) {
        (Some(_), Some(_)) => "postgres+redis",
        (Some(_), None) => "postgres",
        (None, Some(_)) => "sqlite+redis",
        (None, None) => "sqlite",
    };

    // The merchant's sale: `units` of the SKU, 1 per shopper, running now.
    unlimited_stock(&http, &server, SKU).await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let sale = merchant(
        &http,
        &server,
        reqwest::Method::POST,
        "/admin/api/marketing/activities",
        json!({"kind": "flashSale", "title": "压测秒杀", "startsAt": now - 60, "endsAt": now + 86_400,
               "perUserLimit": 1, "stockBuckets": a.buckets,
               "skus": [{"skuId": SKU, "price": 100, "stock": a.units}]}),
    )
    .await?;
    let activity = sale["id"].as_str().context("activity id")?.to_string();
    let item = json!({"items": [{"skuId": SKU, "quantity": 1, "activityId": activity}],
                      "delivery": {"kind": "pickup", "storeId": "store-1"}});

    let t0 = Instant::now();
    let tokens = sign_in(&http, &server, "flash", a.buyers).await?;
    println!(
        "backend={backend} instances={} buckets={} units={} buyers={} concurrency={} retries={} (signed in {} shoppers in {:.1}s)",
        a.instances,
        a.buckets,
        a.units,
        a.buyers,
        a.concurrency,
        a.retries,
        tokens.len(),
        t0.elapsed().as_secs_f64()
    );
    // Every new shopper sees the same quote, so one fingerprint serves all.
    let (st, q) = post(
        &http,
        &format!("{}/api/checkout/quote", server.base),
        Some(&tokens[0]),
        &item,
    )
    .await?;
    if st != 200 {
        bail!("quote {st}: {q}");
    }
    let mut body = item.clone();
    body["fingerprint"] = q["fingerprint"].clone();

    let tx0 = pg_transactions(&db).await;
    let cpu_all = || pids.iter().map(|p| cpu_ticks(*p)).sum::<u64>();
    let cpu0 = cpu_all();
    let (outcomes, took) = wave(&http, &bases, &a, &tokens, &body, "w1").await?;
    let cpu = cpu_all().saturating_sub(cpu0);
    let tx1 = pg_transactions(&db).await;
    report("wave 1", &outcomes, took);
    let attempts: usize = outcomes.iter().map(|o| o.latencies.len()).sum();
    #[allow(clippy::float_arithmetic)]
    {
        print!(
            "  server CPU (all instances) {:.0} ms ({:.3} ms per attempt), peak RSS {:.1} MB",
            cpu as f64 * 10.0,
            cpu as f64 * 10.0 / attempts.max(1) as f64,
            pids.iter().map(|p| peak_rss_kb(*p)).max().unwrap_or(0) as f64 / 1024.0
        );
        match (tx0, tx1) {
            (Some(x), Some(y)) => println!(
                ", PostgreSQL transactions {} ({:.3} per attempt)",
                y - x,
                (y - x) as f64 / attempts.max(1) as f64
            ),
            _ => println!(),
        }
    }
    let after = ledger(&db, &activity).await?;
    let won = outcomes.iter().filter(|o| o.order.is_some()).count() as i64;
    let oversold = (after.ordered - a.units).max(0);
    let stranded = a.units - after.ordered - after.quota_left;
    let refused_sold_out: usize = outcomes
        .iter()
        .filter(|o| {
            o.order.is_none() && o.answers.keys().any(|k| k.starts_with("409 OUT_OF_STOCK"))
        })
        .count();
    println!(
        "  orders={} units sold={} (answered 201: {won}) quota left={} oversold={oversold} stranded={stranded} \
         left unsold while shoppers were told sold out={}",
        after.orders,
        after.ordered,
        after.quota_left,
        if refused_sold_out > 0 { after.quota_left } else { 0 },
    );

    // Winners pay, except `unpaid_percent` of them (every k-th by index).
    let winners: Vec<(usize, i64)> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(i, o)| o.order.map(|id| (i, id)))
        .collect();
    let unpaid_every = |k: usize| k * 100 / winners.len().max(1) < a.unpaid_percent;
    let (mut paid, mut unpaid) = (0i64, 0i64);
    let gate = Arc::new(Semaphore::new(16));
    let mut pays = tokio::task::JoinSet::new();
    for (k, &(i, id)) in winners.iter().enumerate() {
        if unpaid_every(k) {
            unpaid += 1;
            continue;
        }
        paid += 1;
        let (http, server, gate, token) = (
            http.clone(),
            server.clone(),
            gate.clone(),
            tokens[i].clone(),
        );
        pays.spawn(async move {
            let _p = gate.acquire().await?;
            pay(&http, &server, &token, id).await
        });
    }
    while let Some(r) = pays.join_next().await {
        r??;
    }
    let t_paid = Instant::now();
    // After the payment timeout the sweep (every second) cancels the unpaid orders.
    let deadline = t_paid + Duration::from_secs(a.hold_secs + 30);
    let mut l = ledger(&db, &activity).await?;
    while l.orders > paid && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        l = ledger(&db, &activity).await?;
    }
    let returned = l.quota_left - after.quota_left;
    println!(
        "  paid={paid} unpaid={unpaid}; after the {}s payment timeout: units returned={returned} (expected {unpaid}), \
         paid orders={} quota left={} {}",
        a.hold_secs,
        l.paid_orders,
        l.quota_left,
        if returned == unpaid && l.paid_orders == paid { "exact" } else { "MISMATCH" }
    );

    // A second wave buys what came back.
    let second = ((returned.max(0) as usize) * 3).max(100);
    let tokens2 = sign_in(&http, &server, "flash2", second).await?;
    let (outcomes2, took2) = wave(&http, &bases, &a, &tokens2, &body, "w2").await?;
    report("wave 2", &outcomes2, took2);
    let end = ledger(&db, &activity).await?;
    let won2 = outcomes2.iter().filter(|o| o.order.is_some()).count() as i64;
    let oversold = (end.ordered - a.units).max(0);
    let stranded = a.units - end.ordered - end.quota_left;
    println!(
        "  sold again={won2} of {returned} returned; in the end: units in orders={} quota left={} oversold={oversold} stranded={stranded}",
        end.ordered, end.quota_left
    );
    drop(others);
    drop(server);
    if oversold != 0 || stranded != 0 || returned != unpaid || won2 != returned {
        bail!("the sale did not reconcile");
    }
    run.done();
    Ok(())
}
