//! A flash sale survives `kill -9` of its server in the middle of the burst:
//! the real binary (and the standalone fake WeChat) as processes, the server
//! killed while 200 shoppers are placing orders for 60 units, restarted on
//! the same database; shoppers without an answer retry with the same
//! idempotency key. Then: no unit sold twice, none lost (quota left + units
//! in orders = 60, all of them sold), one order per shopper, the orders paid
//! before the kill still paid.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use sqlx::AnyPool;
use tokio::process::{Child, Command};

use crate::faults::{listening_port, logged_address};
use crate::helpers::*;

const SALE: &str = "flash-earbuds";
const UNITS: i64 = 60;
const BUYERS: usize = 200;
const EARLY: usize = 10;

async fn wait_for<T>(log: &Path, read: impl Fn(&str) -> Option<T>) -> T {
    for _ in 0..600 {
        if let Some(v) = read(&std::fs::read_to_string(log).unwrap_or_default()) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{} never showed what we wait for", log.display());
}

fn logfile(dir: &Path, name: &str) -> (std::fs::File, std::path::PathBuf) {
    let p = dir.join(name);
    (std::fs::File::create(&p).unwrap(), p)
}

async fn start_fake(dir: &Path) -> (Child, String) {
    let (f, path) = logfile(dir, "fake.log");
    let child = Command::new(env!("CARGO_BIN_EXE_mall-fake-wechat"))
        .env("MALL_DATA_DIR", dir)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "warn")
        .stdout(f.try_clone().unwrap())
        .stderr(f)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let addr = wait_for(&path, |l| logged_address(l, "fake WeChat API listening")).await;
    (child, format!("http://{addr}"))
}

async fn start_server(dir: &Path, db: &str, fake: &str, n: usize) -> (Child, String) {
    let (f, path) = logfile(dir, &format!("server-{n}.log"));
    let child = Command::new(env!("CARGO_BIN_EXE_mall-server"))
        .env("MALL_BIND", "127.0.0.1:0")
        .env("NO_COLOR", "1")
        .env("MALL_DATA_DIR", dir)
        .env("DATABASE_URL", db)
        .env("WECHAT_API_BASE", fake)
        .env("WECHATPAY_API_BASE", fake)
        .env("MALL_JOBS_EVERY_SECS", "0")
        .env("RUST_LOG", "info")
        .stdout(f.try_clone().unwrap())
        .stderr(f)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let port = wait_for(&path, listening_port).await;
    (child, format!("http://127.0.0.1:{port}"))
}

async fn call(
    http: &reqwest::Client,
    url: String,
    token: &str,
    body: &Value,
) -> reqwest::Result<(u16, Value)> {
    call_with(http, url, token, body, false).await
}

async fn call_with(
    http: &reqwest::Client,
    url: String,
    token: &str,
    body: &Value,
    retry: bool,
) -> reqwest::Result<(u16, Value)> {
    let mut rb = http.post(url).bearer_auth(token).json(body);
    if retry {
        // The answer was lost: the order may exist (X-Mall-Retry, see checkout.rs).
        rb = rb.header("x-mall-retry", "1");
    }
    let res = rb.send().await?;
    let s = res.status().as_u16();
    Ok((s, res.json().await.unwrap_or(Value::Null)))
}

/// Place until a final answer: retry 排队中 (and, with `None`, report a
/// connection that died without an answer).
async fn place(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    body: &Value,
    retry: bool,
) -> Option<(u16, Value)> {
    loop {
        match call_with(http, format!("{base}/api/orders"), token, body, retry).await {
            Ok((429, v)) => {
                let ms = v["details"]["retryAfterMs"].as_u64().unwrap_or(500);
                tokio::time::sleep(Duration::from_millis(ms / 20)).await;
            }
            Ok(answer) => return Some(answer),
            Err(_) => return None,
        }
    }
}

async fn pay(http: &reqwest::Client, base: &str, fake: &str, token: &str, id: i64) {
    let (s, p) = call(
        http,
        format!("{base}/api/orders/{id}/pay"),
        token,
        &json!({}),
    )
    .await
    .unwrap();
    assert_eq!(s, 200, "{p}");
    let prepay = p["params"]["package"]
        .as_str()
        .unwrap()
        .trim_start_matches("prepay_id=");
    let (s, c) = call(
        http,
        format!("{fake}/fake/pay/confirm"),
        "",
        &json!({"prepayId": prepay}),
    )
    .await
    .unwrap();
    assert_eq!((s, c["notifyStatus"].as_i64()), (200, Some(204)), "{c}");
}

async fn scalar(db: &AnyPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_in_the_middle_of_the_sale_oversells_nothing_and_loses_nothing() {
    kill_9_mid_sale(1).await;
}

/// The same with the sale's units set aside in 4 stock buckets.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_in_the_middle_of_a_sale_in_stock_buckets_oversells_nothing_and_loses_nothing() {
    kill_9_mid_sale(4).await;
}

async fn kill_9_mid_sale(buckets: i64) {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _) = fresh_database_url(&dir).await;
    let (_fake_child, fake) = start_fake(dir.path()).await;
    let (mut first, base) = start_server(dir.path(), &db_url, &fake, 1).await;
    sqlx::any::install_default_drivers();
    let db = sqlx::pool::PoolOptions::<sqlx::Any>::new()
        .max_connections(2)
        .connect(&db_url)
        .await
        .unwrap();
    sqlx::query(&format!(
        "UPDATE activity_skus SET stock = {UNITS} WHERE activity_id = '{SALE}'"
    ))
    .execute(&db)
    .await
    .unwrap();
    sqlx::query(&format!(
        "UPDATE skus SET stock = 1000 WHERE id = {EARBUDS_WHITE}"
    ))
    .execute(&db)
    .await
    .unwrap();
    if buckets > 1 {
        crate::flash_buckets::set_aside(&db, SALE, EARBUDS_WHITE, UNITS, buckets).await;
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let item = json!({"items": [{"skuId": EARBUDS_WHITE, "quantity": 1, "activityId": SALE}],
                      "delivery": {"kind": "pickup", "storeId": "store-1"}});
    let mut buyers = Vec::new();
    for i in 0..BUYERS {
        let (_, v) = call(
            &http,
            format!("{base}/api/auth/login"),
            "",
            &json!({"code": format!("crash-{i}")}),
        )
        .await
        .unwrap();
        let token = v["token"].as_str().unwrap().to_string();
        let (s, q) = call(&http, format!("{base}/api/checkout/quote"), &token, &item)
            .await
            .unwrap();
        assert_eq!(s, 200, "{q}");
        let mut body = item.clone();
        body["fingerprint"] = q["fingerprint"].clone();
        body["idempotencyKey"] = json!(format!("crash-{i}"));
        buyers.push((token, body));
    }
    // A few buy and pay before the burst.
    for (token, body) in &buyers[..EARLY] {
        let (s, o) = place(&http, &base, token, body, false).await.unwrap();
        assert_eq!(s, 201, "{o}");
        pay(&http, &base, &fake, token, o["id"].as_i64().unwrap()).await;
    }
    // The burst; the server is killed once 40 answers are in.
    let answered = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, (token, body)) in buyers.iter().enumerate().skip(EARLY) {
        let (http, base, token, body, answered) = (
            http.clone(),
            base.clone(),
            token.clone(),
            body.clone(),
            answered.clone(),
        );
        tasks.spawn(async move {
            let r = place(&http, &base, &token, &body, false).await;
            if r.is_some() {
                answered.fetch_add(1, Ordering::SeqCst);
            }
            (i, r)
        });
    }
    while answered.load(Ordering::SeqCst) < 40 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    first.start_kill().unwrap(); // SIGKILL
    first.wait().await.unwrap();
    let mut outcomes: Vec<Option<(u16, Value)>> = vec![None; BUYERS];
    while let Some(r) = tasks.join_next().await {
        let (i, r) = r.unwrap();
        outcomes[i] = r;
    }
    let cut_off = outcomes.iter().skip(EARLY).filter(|o| o.is_none()).count();
    assert!(cut_off > 0, "the kill interrupted no request");
    // Restarted on the same database; the cut-off shoppers retry with their key.
    let (_second, base) = start_server(dir.path(), &db_url, &fake, 2).await;
    for i in EARLY..BUYERS {
        if outcomes[i].is_none() {
            let (token, body) = &buyers[i];
            outcomes[i] = Some(
                place(&http, &base, token, body, true)
                    .await
                    .expect("the restarted server answers"),
            );
        }
    }
    let mut won = std::collections::BTreeSet::new();
    for o in outcomes.iter().skip(EARLY).flatten() {
        match o {
            (201 | 200, v) => assert!(
                won.insert(v["id"].as_i64().unwrap()),
                "one order answered twice: {v}"
            ),
            (409, v) if v["code"] == "OUT_OF_STOCK" => {}
            other => panic!("unexpected answer {other:?}"),
        }
    }
    let in_orders = scalar(&db, &format!(
        "SELECT CAST(COALESCE(SUM(ol.quantity), 0) AS BIGINT) FROM order_lines ol JOIN orders o ON o.id = ol.order_id
         WHERE ol.activity_id = '{SALE}' AND o.status <> 'cancelled'")).await;
    let quota_left = scalar(
        &db,
        &format!("SELECT stock FROM activity_skus_left WHERE activity_id = '{SALE}'"),
    )
    .await;
    let orders = scalar(&db, &format!(
        "SELECT CAST(COUNT(DISTINCT ol.order_id) AS BIGINT) FROM order_lines ol WHERE ol.activity_id = '{SALE}'")).await;
    let doubled = scalar(&db, &format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT o.user_id FROM orders o JOIN order_lines ol ON ol.order_id = o.id
         WHERE ol.activity_id = '{SALE}' GROUP BY o.user_id HAVING COUNT(*) > 1) d")).await;
    let paid = scalar(&db, &format!(
        "SELECT CAST(COUNT(DISTINCT o.id) AS BIGINT) FROM orders o JOIN order_lines ol ON ol.order_id = o.id
         WHERE ol.activity_id = '{SALE}' AND o.paid_at IS NOT NULL")).await;
    let sku_stock = scalar(
        &db,
        &format!("SELECT stock FROM skus WHERE id = {EARBUDS_WHITE}"),
    )
    .await;
    assert_eq!(in_orders + quota_left, UNITS, "units lost or made up");
    assert_eq!(
        (in_orders, quota_left),
        (UNITS, 0),
        "every unit sold, none oversold"
    );
    assert_eq!(
        orders as usize,
        won.len() + EARLY,
        "every order was answered to its shopper"
    );
    assert_eq!(doubled, 0, "a shopper got two orders");
    assert_eq!(paid as usize, EARLY, "the orders paid before the kill");
    // Taken with the orders, or set aside for the sale before it.
    assert_eq!(
        1000 - sku_stock,
        UNITS,
        "the SKU's stock moved with the sale"
    );
    if buckets > 1 {
        let rows = scalar(&db, &format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM activity_stock_buckets WHERE activity_id = '{SALE}' AND stock = 0 AND sold = {}",
            UNITS / buckets
        )).await;
        assert_eq!(rows, buckets, "every bucket sold exactly its units");
    }
    eprintln!(
        "killed with {cut_off} requests cut off; {} orders after the restart",
        won.len()
    );
}
