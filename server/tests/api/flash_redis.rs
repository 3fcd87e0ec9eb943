//! Redis mode (`REDIS_URL`): the sale's units are taken in Redis first, the
//! database stays the truth, and a reconciler keeps the two in step. Needs
//! TEST_REDIS_URL (scripts/test-server.sh starts Redis with
//! scripts/start-redis.sh and sets it; CI fails without it). Each test has
//! its own key prefix on the shared Redis.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::flash::{quota, ready, set_quota, SALE};
use crate::helpers::*;

fn redis_url() -> Option<String> {
    match std::env::var("TEST_REDIS_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ if std::env::var("CI").is_ok_and(|c| c == "true") => {
            panic!("CI runs the Redis-mode tests: set TEST_REDIS_URL (scripts/start-redis.sh)")
        }
        _ => {
            eprintln!("Redis-mode test skipped: TEST_REDIS_URL is not set");
            None
        }
    }
}

async fn redis_app(url: &str, prefix: &str) -> TestApp {
    let (url, prefix) = (url.to_string(), prefix.to_string());
    spawn_with(move |c| {
        c.db_max_connections = 16;
        c.flash.redis_url = Some(url);
        c.flash.redis_prefix = prefix;
    })
    .await
}

/// Another server instance on the same database and the same Redis keys.
async fn second_instance(app: &TestApp, url: &str, prefix: &str) -> mall_server::Server {
    let mut config =
        mall_server::config::Config::for_tests(app.server.state.config.database_url.clone());
    config.db_max_connections = 16;
    config.flash.redis_url = Some(url.to_string());
    config.flash.redis_prefix = prefix.to_string();
    mall_server::start(config).await.unwrap()
}

fn prefix() -> String {
    format!("test-{}", mall_server::config::random_token(6))
}

async fn redis(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

async fn redis_stock(url: &str, prefix: &str) -> Option<i64> {
    redis::cmd("GET")
        .arg(format!("{prefix}:flash:{{{SALE}}}:stock:{EARBUDS_WHITE}"))
        .query_async(&mut redis(url).await)
        .await
        .unwrap()
}

/// Place until an answer other than 排队中.
async fn buy(base: &str, http: &reqwest::Client, token: &str, body: &Value) -> (u16, Value) {
    for _ in 0..400 {
        let res = http
            .post(format!("{base}/api/orders"))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let s = res.status().as_u16();
        let v: Value = res.json().await.unwrap_or(Value::Null);
        if s != 429 {
            return (s, v);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("still queued");
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..250 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen within 25 s");
}

/// `n` shoppers named `{tag}-{i}` at once, half on each instance, each until
/// an answer other than 排队中: (orders, told sold out).
async fn wave(app: &Arc<TestApp>, other: &str, tag: &str, n: usize) -> (i64, i64) {
    let mut buyers = Vec::new();
    for i in 0..n {
        let t = app.login(&format!("{tag}-{i}")).await;
        buyers.push((t.clone(), ready(app, &t, &format!("{tag}-{i}")).await));
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, (t, body)) in buyers.into_iter().enumerate() {
        let base = if i % 2 == 0 {
            app.url.clone()
        } else {
            other.to_string()
        };
        let (http, barrier) = (app.http.clone(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            buy(&base, &http, &t, &body).await
        });
    }
    let (mut ok, mut sold_out) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        match r.unwrap() {
            (201, _) => ok += 1,
            (409, v) if v["code"] == "OUT_OF_STOCK" => sold_out += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    (ok, sold_out)
}

async fn pending_claims(url: &str, p: &str) -> i64 {
    redis::cmd("HLEN")
        .arg(format!("{p}:flash:{{{SALE}}}:pending"))
        .query_async(&mut redis(url).await)
        .await
        .unwrap()
}

/// 200 buyers on two instances for 20 units: exactly 20 orders in one wave.
/// A claim whose order fails gives its unit back, and while any claim is in
/// flight the others are told 排队中 (429) rather than 已抢光, so they are still
/// asking when it comes back (CI's loaded PostgreSQL run once sold 18 of 20
/// when they were told 已抢光 and left). Once every claim is resolved, Redis
/// and the database agree that nothing is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_redis_sell_exactly_the_quota_to_two_hundred_buyers() {
    let Some(url) = redis_url() else { return };
    let p = prefix();
    let app = Arc::new(redis_app(&url, &p).await);
    let other = Arc::new(second_instance(&app, &url, &p).await);
    const N: usize = 200;
    const K: i64 = 20;
    app.set_stock(EARBUDS_WHITE, 1000).await;
    set_quota(&app, K).await;
    let (ok, sold_out) = wave(&app, &other.url(), "r", N).await;
    assert_eq!(ok, K, "orders of {K} units; {sold_out} told sold out");
    assert_eq!(sold_out, N as i64 - K);
    eventually("the claims resolved and Redis in step", async || {
        pending_claims(&url, &p).await == 0 && redis_stock(&url, &p).await == Some(0)
    })
    .await;
    assert_eq!(quota(&app).await, 0);
    let applied = count(
        &app,
        "SELECT COUNT(*) FROM flash_claims WHERE status = 'applied'",
    )
    .await;
    assert_eq!(applied, K);
}

/// The same with the sale's units set aside in 4 stock buckets: Redis is
/// seeded from the buckets' sum, the orders take the units from the rows and
/// the SKU's own stock is never touched.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_redis_sell_exactly_a_quota_set_aside_in_buckets() {
    let Some(url) = redis_url() else { return };
    let p = prefix();
    let app = Arc::new(redis_app(&url, &p).await);
    let other = Arc::new(second_instance(&app, &url, &p).await);
    const N: usize = 120;
    const K: i64 = 18;
    app.set_stock(EARBUDS_WHITE, 1000).await;
    set_quota(&app, K).await;
    crate::flash_buckets::set_aside(&app.server.state.db.pool, SALE, EARBUDS_WHITE, K, 4).await;
    assert_eq!(quota(&app).await, K);
    let (ok, sold_out) = wave(&app, &other.url(), "rb", N).await;
    assert_eq!(ok, K, "orders of {K} units; {sold_out} told sold out");
    eventually("the claims resolved and Redis in step", async || {
        pending_claims(&url, &p).await == 0 && redis_stock(&url, &p).await == Some(0)
    })
    .await;
    assert_eq!(quota(&app).await, 0);
    let left = count(
        &app,
        &format!("SELECT CAST(COALESCE(SUM(stock), 0) AS BIGINT) FROM activity_stock_buckets WHERE activity_id = '{SALE}'"),
    )
    .await;
    assert_eq!(left, 0);
    assert_eq!(app.stock(EARBUDS_WHITE).await, 1000 - K);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_order_gives_its_units_back_and_released_units_reach_redis() {
    let Some(url) = redis_url() else { return };
    let p = prefix();
    let app = redis_app(&url, &p).await;
    set_quota(&app, 2).await;
    let (a, b) = (app.login("ra").await, app.login("rb").await);
    let mut stale = ready(&app, &a, "a-0").await;
    stale["fingerprint"] = json!("not-the-quote");
    // Redis grants the unit, the database refuses the order: the claim is
    // void and the unit back in Redis.
    let (s, v) = buy(&app.url, &app.http, &a, &stale).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("PRICE_CHANGED")), "{v}");
    assert_eq!(redis_stock(&url, &p).await, Some(2));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM flash_claims WHERE status = 'void'"
        )
        .await,
        1
    );
    let (s, won) = buy(&app.url, &app.http, &a, &ready(&app, &a, "a-1").await).await;
    assert_eq!(s, 201, "{won}");
    assert_eq!(redis_stock(&url, &p).await, Some(1));
    // a cancels its unpaid order: the database gets the unit back first, and
    // the reconciler brings Redis in step.
    let id = won["id"].as_i64().unwrap();
    let (s, _) = app
        .post(&format!("/api/orders/{id}/cancel"), Some(&a), json!({}))
        .await;
    assert_eq!(s, 200);
    eventually("the released unit reaching Redis", async || {
        redis_stock(&url, &p).await == Some(2)
    })
    .await;
    let (s, v) = buy(&app.url, &app.http, &b, &ready(&app, &b, "b-1").await).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(quota(&app).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_losing_the_sale_mid_way_is_reseeded_from_the_database() {
    let Some(url) = redis_url() else { return };
    let p = prefix();
    let app = Arc::new(redis_app(&url, &p).await);
    const N: usize = 60;
    const K: i64 = 30;
    set_quota(&app, K).await;
    let mut buyers = Vec::new();
    for i in 0..N {
        let t = app.login(&format!("lost-{i}")).await;
        buyers.push((t.clone(), ready(&app, &t, &format!("l-{i}")).await));
    }
    // The first ten buy; then Redis restarts without persistence (its keys
    // are gone) — and, worse, as an AOF that lost its last second would, the
    // stock comes back higher than the truth.
    let mut ok = 0;
    for (t, body) in &buyers[..10] {
        let (s, v) = buy(&app.url, &app.http, t, body).await;
        assert_eq!(s, 201, "{v}");
        ok += 1;
    }
    let mut r = redis(&url).await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{p}:flash:*"))
        .query_async(&mut r)
        .await
        .unwrap();
    let _: () = redis::cmd("DEL")
        .arg(&keys)
        .query_async(&mut r)
        .await
        .unwrap();
    let _: () = redis::cmd("MSET")
        .arg(format!("{p}:flash:{{{SALE}}}:stock:{EARBUDS_WHITE}"))
        .arg(K)
        .arg(format!("{p}:flash:{{{SALE}}}:seeded"))
        .arg(1)
        .query_async(&mut r)
        .await
        .unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(N - 10));
    let mut tasks = tokio::task::JoinSet::new();
    for (t, body) in buyers.into_iter().skip(10) {
        let (app, barrier) = (app.clone(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            buy(&app.url, &app.http, &t, &body).await
        });
    }
    while let Some(r) = tasks.join_next().await {
        match r.unwrap() {
            (201, _) => ok += 1,
            (409, v) if v["code"] == "OUT_OF_STOCK" => {}
            other => panic!("unexpected answer {other:?}"),
        }
    }
    // No oversell, nothing stranded: every unit sold, Redis agrees.
    assert_eq!(ok, K);
    assert_eq!(quota(&app).await, 0);
    eventually("Redis agreeing with the database", async || {
        redis_stock(&url, &p).await == Some(0)
    })
    .await;
}

/// A Redis of the test's own, so it can be killed: no persistence, or an
/// append-only file (`everysec`) kept across the restart.
struct OwnRedis {
    child: Option<tokio::process::Child>,
    port: u16,
    dir: tempfile::TempDir,
    aof: bool,
}

impl OwnRedis {
    async fn start(aof: bool) -> OwnRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut r = OwnRedis {
            child: None,
            port,
            dir: tempfile::tempdir().unwrap(),
            aof,
        };
        r.run().await;
        r
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn run(&mut self) {
        let child = tokio::process::Command::new("redis-server")
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &self.port.to_string(),
                "--save",
                "",
            ])
            .args([
                "--appendonly",
                if self.aof { "yes" } else { "no" },
                "--appendfsync",
                "everysec",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server (installed by scripts/start-redis.sh)");
        self.child = Some(child);
        for _ in 0..100 {
            if let Ok(c) = redis::Client::open(self.url()) {
                if c.get_multiplexed_async_connection().await.is_ok() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not start");
    }

    async fn kill_and_restart(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.start_kill().unwrap(); // SIGKILL
            c.wait().await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.run().await;
    }
}

async fn killed_mid_sale(aof: bool) {
    if redis_url().is_none() {
        return;
    }
    let mut own = OwnRedis::start(aof).await;
    let url = own.url();
    let p = prefix();
    let app = Arc::new(redis_app(&url, &p).await);
    let other = Arc::new(second_instance(&app, &url, &p).await);
    const N: usize = 120;
    const K: i64 = 40;
    app.set_stock(EARBUDS_WHITE, 1000).await;
    set_quota(&app, K).await;
    let mut buyers = Vec::new();
    for i in 0..N {
        let t = app.login(&format!("k-{i}")).await;
        buyers.push((t.clone(), ready(&app, &t, &format!("k-{i}")).await));
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (i, (t, body)) in buyers.into_iter().enumerate() {
        let base = if i % 2 == 0 {
            app.url.clone()
        } else {
            other.url()
        };
        let http = app.http.clone();
        tasks.spawn(async move {
            // Shoppers arrive over about a second.
            tokio::time::sleep(Duration::from_millis(8 * i as u64)).await;
            buy(&base, &http, &t, &body).await
        });
    }
    // Redis dies once a quarter of the units are sold, and comes back.
    eventually("a quarter sold", async || quota(&app).await <= K * 3 / 4).await;
    own.kill_and_restart().await;
    let mut ok = 0;
    while let Some(r) = tasks.join_next().await {
        match r.unwrap() {
            (201, _) => ok += 1,
            (409, v) if v["code"] == "OUT_OF_STOCK" => {}
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!(ok, K, "every unit sold once (aof {aof})");
    assert_eq!(quota(&app).await, 0);
    let sold = count(
        &app,
        &format!("SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM order_lines WHERE activity_id = '{SALE}'"),
    )
    .await;
    assert_eq!(sold, K, "nothing oversold (aof {aof})");
    eventually("Redis agreeing with the database", async || {
        redis_stock(&url, &p).await == Some(0)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_killed_mid_sale_without_persistence_loses_no_unit() {
    killed_mid_sale(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_killed_mid_sale_with_its_append_only_file_loses_no_unit() {
    killed_mid_sale(true).await;
}
