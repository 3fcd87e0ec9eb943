//! mall-checkout-bench: the whole shopper flow under load, against the real
//! server binary started as its own process (demo mode: the fake WeChat Pay
//! confirms payments and sends WeChat's signed notification).
//!
//! Each worker signs in once, then repeats until the time is up: add to cart
//! → checkout quote → place the order → prepay → pay (the fake's confirm,
//! which sends the signed notification the server applies). After a warm-up
//! it prints checkouts/s, requests/s, p50 / p99 per call, the server's CPU
//! time per checkout (from /proc) and its peak RSS.
//!
//!   server/checkout-bench.sh [--workers 4] [--duration 30] [--warmup 15]
//!   WITH_POSTGRES=1 server/checkout-bench.sh --workers 16

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

mod common;
use common::post;
use serde_json::{json, Value};

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

/// The server process, killed when dropped.
struct ServerProcess {
    child: Child,
    fake_child: Option<Child>,
    base: String,
    fake: String,
    merchant_token: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(f) = &mut self.fake_child {
            let _ = f.kill();
            let _ = f.wait();
        }
    }
}

/// Wait for "fake WeChat API listening addr=HOST:PORT" on a child's stdout.
fn fake_address(out: std::process::ChildStdout) -> anyhow::Result<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let line = strip_ansi(&line);
            if let Some(rest) = line.split("fake WeChat API listening").nth(1) {
                if let Some(addr) = rest.split("addr=").nth(1) {
                    let _ = tx.send(addr.split_whitespace().next().unwrap_or("").to_string());
                }
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(120))
        .context("the fake WeChat API's address was not printed")
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut esc = false;
    for c in s.chars() {
        match (esc, c) {
            (false, '\x1b') => esc = true,
            (true, 'm') => esc = false,
            (true, _) => {}
            (false, c) => out.push(c),
        }
    }
    out
}

fn start_server(a: &Args, dir: &std::path::Path) -> anyhow::Result<ServerProcess> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let db = a
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/mall.db", dir.display()));
    let mut fake_child = None;
    let mut cmd = Command::new(&a.server);
    cmd.env("MALL_BIND", format!("127.0.0.1:{port}"))
        .env("MALL_DATA_DIR", dir)
        .env("DATABASE_URL", db)
        .env("MALL_JOBS_EVERY_SECS", "0")
        .env("MALL_EXPIRY_SWEEP_SECS", "3600")
        .env("RUST_LOG", "warn,mall_server::wechat::fake=info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let fake = match &a.fake {
        Some(path) => {
            let mut f = Command::new(path)
                .env("MALL_DATA_DIR", dir)
                .env("RUST_LOG", "warn")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .with_context(|| format!("starting {path}"))?;
            let addr = fake_address(f.stdout.take().context("fake stdout")?)?;
            fake_child = Some(f);
            cmd.env("WECHAT_API_BASE", format!("http://{addr}"))
                .env("WECHATPAY_API_BASE", format!("http://{addr}"));
            Some(addr)
        }
        None => None,
    };
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {}", a.server))?;
    let fake = match fake {
        Some(addr) => addr,
        None => fake_address(child.stdout.take().context("server stdout")?)?,
    };
    let secrets: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("secrets.json"))?)?;
    Ok(ServerProcess {
        child,
        fake_child,
        base: format!("http://127.0.0.1:{port}"),
        fake: format!("http://{fake}"),
        merchant_token: secrets["merchantToken"]
            .as_str()
            .context("merchant token")?
            .to_string(),
    })
}

/// utime + stime of a process, in clock ticks (/proc/<pid>/stat).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let n = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    n(11) + n(12)
}

/// Peak resident set (VmHWM), kB.
fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
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
    let t0 = Instant::now();
    let (st, v) = post(
        http,
        &format!("{}/api/cart/items", s.base),
        Some(token),
        &json!({"skuId": SKU, "quantity": 1}),
    )
    .await?;
    if st != 200 {
        bail!("add to cart {st}: {v}");
    }
    step("cart", t0);
    let t0 = Instant::now();
    let (st, q) = post(
        http,
        &format!("{}/api/checkout/quote", s.base),
        Some(token),
        &json!({"delivery": pickup}),
    )
    .await?;
    if st != 200 {
        bail!("quote {st}: {q}");
    }
    step("quote", t0);
    let t0 = Instant::now();
    let body = json!({"delivery": pickup, "fingerprint": q["fingerprint"], "idempotencyKey": key});
    let (st, o) = post(http, &format!("{}/api/orders", s.base), Some(token), &body).await?;
    if st != 201 {
        bail!("place {st}: {o}");
    }
    step("place", t0);
    let id = o["id"].as_i64().context("order id")?;
    let t0 = Instant::now();
    let (st, p) = post(
        http,
        &format!("{}/api/orders/{id}/pay", s.base),
        Some(token),
        &json!({}),
    )
    .await?;
    if st != 200 {
        bail!("prepay {st}: {p}");
    }
    step("prepay", t0);
    let prepay = p["params"]["package"]
        .as_str()
        .and_then(|x| x.strip_prefix("prepay_id="))
        .context("prepay id")?
        .to_string();
    let t0 = Instant::now();
    let (st, c) = post(
        http,
        &format!("{}/fake/pay/confirm", s.fake),
        None,
        &json!({"prepayId": prepay}),
    )
    .await?;
    if st != 200 || c["notifyStatus"] != 204 {
        bail!("pay {st}: {c}");
    }
    step("pay+notify", t0);
    Ok(())
}

fn percentile(sorted: &[Duration], p: u32) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = (sorted.len() - 1) * p as usize / 100;
    sorted[idx]
}

#[allow(clippy::float_arithmetic)]
fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    let dir = std::env::temp_dir().join(format!("mall-checkout-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let server = Arc::new(start_server(&a, &dir)?);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(a.workers * 2)
        .build()?;
    for _ in 0..600 {
        if http
            .get(format!("{}/health", server.base))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let res = http
        .put(format!("{}/api/merchant/skus/{SKU}/stock", server.base))
        .header("x-merchant-token", &server.merchant_token)
        .json(&json!({"stock": 1_000_000_000}))
        .send()
        .await?;
    if !res.status().is_success() {
        bail!("setting stock: {}", res.text().await?);
    }
    let pid = server.child.id();
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
    let rss = peak_rss_kb(pid);
    let backend = if a.database_url.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    let calls: usize = all.values().map(Vec::len).sum();
    #[allow(clippy::float_arithmetic)]
    {
        let secs = a.duration as f64;
        // Clock ticks are 1/100 s on Linux.
        let cpu_ms = cpu as f64 * 10.0 / done.max(1) as f64;
        let fake_ms = fake_cpu as f64 * 10.0 / done.max(1) as f64;
        println!(
            "backend={backend} workers={} duration={}s checkouts={done} failed={failed} \
             checkouts/s={:.1} requests/s={:.1} server_cpu_per_checkout={cpu_ms:.2}ms peak_rss={:.1}MB \
             fake={} fake_cpu_per_checkout={fake_ms:.2}ms",
            a.workers,
            a.duration,
            done as f64 / secs,
            calls as f64 / secs,
            rss as f64 / 1024.0,
            if fake_pid.is_some() { "separate" } else { "in-process" },
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
    let _ = std::fs::remove_dir_all(&dir);
    if done == 0 {
        bail!("no checkout completed");
    }
    Ok(())
}
