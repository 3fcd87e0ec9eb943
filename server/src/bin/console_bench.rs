//! mall-console-bench: the console's scale benchmark (issue 12, "Scale and
//! speed"). Printed figures, not a timed test.
//!
//! 1. Seeds a fresh database (a SQLite file, or a fresh database on the
//!    PostgreSQL server given) through the server's own startup (migrations,
//!    demo catalog), then bulk-inserts `--orders` orders over the last 60
//!    Beijing days (paid / unpaid / refunded, 1–4 lines, repeat buyers, an
//!    evening peak), their refunds, and `--events` shopper events in closed
//!    per-session funnels with their session and visitor-day facts and order
//!    attribution: multi-row INSERTs in a few big transactions, deterministic
//!    from `--seed` and `--now` (no wall clock in the data). Then runs the
//!    rollup job once, as the server's jobs runner would.
//! 2. Starts the real server binary as a child process on that database
//!    (its clock started at `--now`), signs in as the owner and times
//!    `--requests` sequential requests (after `--warmup`) of each dashboard
//!    query: p50 / p95 / max.
//! 3. Event ingest: `--clients` concurrent clients POST batches of 50 to
//!    /api/events for `--ingest-secs` seconds: events/s accepted.
//! 4. Export: the orders created in the 6 Beijing days before today (about
//!    10,000 at the default scale), polled to 100 %, downloaded and counted;
//!    the time and the server's RSS before, during (peak) and after.
//!
//!   server/console-bench.sh [--orders 100000] [--events 1000000] [--requests 50]
//!   WITH_POSTGRES=1 server/console-bench.sh

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use mall_server::clock::beijing_day_start;
use mall_server::db::{Backend, Db};
use serde_json::{json, Value};
use sqlx::Connection;

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;
/// Orders are spread over this many Beijing days before now.
const DAYS: i64 = 60;
const OWNER_PASSWORD: &str = "console-bench-owner";
/// Paid orders by Beijing hour (relative weights): a morning rise, lunch,
/// and the evening peak at 20:00–22:00.
const HOUR_WEIGHTS: [u64; 24] = [
    4, 2, 1, 1, 1, 1, 2, 4, 7, 9, 10, 11, 13, 11, 9, 9, 10, 11, 13, 17, 24, 26, 19, 9,
];

struct Args {
    server: String,
    database_url: Option<String>,
    orders: u64,
    events: u64,
    seed: u64,
    now: i64,
    requests: usize,
    warmup: usize,
    clients: usize,
    ingest_secs: u64,
    keep: bool,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        server: "target/release/mall-server".into(),
        database_url: None,
        orders: 100_000,
        events: 1_000_000,
        seed: 42,
        // 2026-12-04 12:00 Beijing time.
        now: 1_796_356_800,
        requests: 50,
        warmup: 5,
        clients: 4,
        ingest_secs: 10,
        keep: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--server" => a.server = val()?,
            "--database-url" => a.database_url = Some(val()?),
            "--orders" => a.orders = val()?.parse()?,
            "--events" => a.events = val()?.parse()?,
            "--seed" => a.seed = val()?.parse()?,
            "--now" => a.now = val()?.parse()?,
            "--requests" => a.requests = val()?.parse()?,
            "--warmup" => a.warmup = val()?.parse()?,
            "--clients" => a.clients = val()?.parse()?,
            "--ingest-secs" => a.ingest_secs = val()?.parse()?,
            "--keep" => a.keep = true,
            "-h" | "--help" => {
                println!(
                    "mall-console-bench [--server PATH] [--database-url postgres://...] [--orders N] \
                     [--events N] [--seed N] [--now UNIX] [--requests N] [--warmup N] [--clients N] \
                     [--ingest-secs S] [--keep]"
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}"),
        }
    }
    if !(1_000..=1_000_000).contains(&a.orders)
        || a.events > 10_000_000
        || !(1..=10_000).contains(&a.requests)
        || !(1..=64).contains(&a.clients)
        || !(1..=120).contains(&a.ingest_secs)
    {
        bail!("orders 1000..=1000000, events ..=10000000, requests 1..=10000, clients 1..=64, ingest-secs 1..=120");
    }
    Ok(a)
}

/// splitmix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// 0..n
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo).max(1) as u64) as i64
    }
}

/// A time in one of the last `DAYS` Beijing days, at an hour drawn from
/// `HOUR_WEIGHTS`, at least `margin` seconds before now.
fn moment(rng: &mut Rng, now: i64, margin: i64) -> i64 {
    let today = beijing_day_start(now);
    let total: u64 = HOUR_WEIGHTS.iter().sum();
    let mut pick = rng.below(total);
    let mut hour = 0;
    for (h, w) in HOUR_WEIGHTS.iter().enumerate() {
        if pick < *w {
            hour = h as i64;
            break;
        }
        pick -= w;
    }
    let day = rng.below(DAYS as u64) as i64;
    let mut t = today - day * DAY + hour * HOUR + rng.range(0, HOUR);
    while t > now - margin {
        t -= DAY;
    }
    t
}

/// A SQL string literal.
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn opt(v: Option<i64>) -> String {
    v.map_or_else(|| "NULL".into(), |v| v.to_string())
}

/// Multi-row INSERTs: rows are appended and flushed `ROWS` at a time.
struct Bulk {
    head: String,
    rows: Vec<String>,
    written: u64,
}

const ROWS: usize = 1000;

impl Bulk {
    fn new(head: &str) -> Bulk {
        Bulk {
            head: head.to_string(),
            rows: Vec::with_capacity(ROWS),
            written: 0,
        }
    }
    async fn push(&mut self, conn: &mut sqlx::AnyConnection, row: String) -> anyhow::Result<()> {
        self.rows.push(row);
        if self.rows.len() >= ROWS {
            self.flush(conn).await?;
        }
        Ok(())
    }
    /// Buffer a row without flushing (rows that reference a parent still buffered).
    fn hold(&mut self, row: String) {
        self.rows.push(row);
    }
    async fn flush(&mut self, conn: &mut sqlx::AnyConnection) -> anyhow::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let sql = format!("{} VALUES {}", self.head, self.rows.join(","));
        sqlx::raw_sql(&sql)
            .execute(&mut *conn)
            .await
            .with_context(|| format!("{}…", &self.head))?;
        self.written += self.rows.len() as u64;
        self.rows.clear();
        Ok(())
    }
}

struct Sku {
    id: i64,
    product_id: i64,
    price: i64,
    title: String,
    specs: String,
}

/// What a session's events say (the `session_facts` row).
struct SessionFact {
    visitor: String,
    user_id: Option<i64>,
    first_ts: i64,
    last_ts: i64,
    ch: String,
    scene: Option<i64>,
    viewed: bool,
    cart: bool,
    checkout: bool,
    order_id: Option<i64>,
}

/// One `visitor_days` row.
struct VisitorDay {
    user_id: Option<i64>,
    first_ts: i64,
    ch: String,
    scene: Option<i64>,
    viewed: bool,
    cart: bool,
    checkout: bool,
    paid: bool,
}

#[derive(Default)]
struct Seeded {
    users: u64,
    orders: u64,
    paid: u64,
    lines: u64,
    refunds: u64,
    events: u64,
    sessions: u64,
    visitor_days: u64,
}

const CHANNELS: [&str; 5] = ["", "", "", "qr-1", "share"];
const SCENES: [i64; 4] = [1001, 1007, 1047, 1089];

/// The events of one session, appended to the bulk insert, folded into its facts.
struct SessionWriter<'a> {
    events: &'a mut Bulk,
    seed: u64,
    n: &'a mut u64,
}

impl SessionWriter<'_> {
    #[allow(clippy::too_many_arguments)]
    async fn event(
        &mut self,
        conn: &mut sqlx::AnyConnection,
        f: &mut SessionFact,
        session: &str,
        name: &str,
        ts: i64,
        product: Option<(i64, i64)>,
    ) -> anyhow::Result<()> {
        *self.n += 1;
        let uuid = format!(
            "{:08x}-0000-4000-8000-{:012x}",
            self.seed & 0xffff_ffff,
            *self.n
        );
        let (scene, ch) = if name == "app_show" {
            (f.scene, f.ch.as_str())
        } else {
            (None, "")
        };
        f.first_ts = f.first_ts.min(ts);
        f.last_ts = f.last_ts.max(ts);
        f.viewed |= name == "product_view";
        f.cart |= name == "add_to_cart";
        f.checkout |= name == "checkout_start";
        self.events
            .push(
                conn,
                format!(
                    "({},{ts},{ts},{},{},{},{},{},{},{},{},'{{}}')",
                    lit(&uuid),
                    lit(&f.visitor),
                    opt(f.user_id),
                    lit(session),
                    lit(name),
                    opt(product.map(|p| p.0)),
                    opt(product.map(|p| p.1)),
                    lit(ch),
                    opt(scene),
                ),
            )
            .await
    }
}

async fn seed(db: &Db, a: &Args) -> anyhow::Result<Seeded> {
    let now = a.now;
    let mut rng = Rng(a.seed);
    let mut out = Seeded::default();
    let mut conn = db.pool.acquire().await?;
    let skus: Vec<(i64, i64, i64, String, String)> = sqlx::query_as(
        "SELECT s.id, s.product_id, s.list_price, p.title, s.specs FROM skus s
         JOIN products p ON p.id = s.product_id WHERE s.list_price > 0 ORDER BY s.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let skus: Vec<Sku> = skus
        .into_iter()
        .map(|(id, product_id, price, title, specs)| Sku {
            id,
            product_id,
            price,
            title,
            specs,
        })
        .collect();
    if skus.is_empty() {
        bail!("the demo catalog has no SKUs");
    }
    let user_base: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM users")
        .fetch_one(&mut *conn)
        .await?;
    let order_base: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM orders")
        .fetch_one(&mut *conn)
        .await?;
    drop(conn);
    let n_users = (a.orders / 4).max(100);
    let repeaters = (n_users / 10).max(10);

    // Users.
    let mut conn = db.pool.acquire().await?;
    let mut tx = conn.begin().await?;
    let mut users = Bulk::new(
        "INSERT INTO users (id, openid, nickname, avatar, growth, points, created_at, updated_at)",
    );
    for i in 1..=n_users as i64 {
        let t = now - DAYS * DAY - rng.range(0, 365 * DAY);
        users
            .push(
                &mut tx,
                format!(
                    "({},{},{},'',0,0,{t},{t})",
                    user_base + i,
                    lit(&format!("bench-openid-{i}")),
                    lit(&format!("买家{i}"))
                ),
            )
            .await?;
    }
    users.flush(&mut tx).await?;
    out.users = users.written;
    tx.commit().await?;

    // Orders, lines, refunds, and the session each order came from.
    let mut sessions: HashMap<String, SessionFact> = HashMap::new();
    let mut tx = conn.begin().await?;
    let mut orders = Bulk::new(
        "INSERT INTO orders (id, order_no, user_id, status, idempotency_key, fingerprint, goods_total,
            discount_total, shipping_fee, points_used, points_deduction, payable, reward_growth,
            reward_points, delivery, remark, quote, snapshot, created_at, expires_at, paid_at,
            shipped_at, completed_at, cancelled_at, cancel_reason, updated_at, transaction_id,
            paid_amount, refunded_amount, carrier, tracking_no, phone_tail)",
    );
    let mut lines = Bulk::new(
        "INSERT INTO order_lines (order_id, line_id, sku_id, product_id, title, specs, image, quantity,
            list_price, unit_price, price_source, activity_id, subtotal, item_discount,
            order_discount, net, points_deduction, paid, units, refunded_quantity)",
    );
    let mut refunds = Bulk::new(
        "INSERT INTO refunds (order_id, after_sale_id, out_refund_no, refund_id, amount, reason,
            status, attempts, created_at, updated_at, succeeded_at)",
    );
    let mut attribution =
        Bulk::new("INSERT INTO order_attribution (order_id, session, visitor, ch, scene)");
    let mut events = Bulk::new(
        "INSERT INTO events (event_uuid, ts, received_at, visitor, user_id, session, name,
            product_id, sku_id, ch, scene, props)",
    );
    let mut n_events = 0u64;
    for i in 1..=a.orders as i64 {
        let id = order_base + i;
        let user = user_base
            + 1
            + if rng.chance(55) {
                rng.below(repeaters)
            } else {
                rng.below(n_users)
            } as i64;
        let created = moment(&mut rng, now, 1800);
        // Popular SKUs sell more: the square skews towards the first.
        let n_lines = 1 + rng.below(3) + u64::from(rng.chance(15));
        let mut picked: Vec<(&Sku, i64)> = Vec::new();
        for _ in 0..n_lines {
            let r = rng.below(skus.len() as u64);
            let idx = (r * rng.below(skus.len() as u64) / skus.len() as u64) as usize;
            let sku = &skus[idx];
            if picked.iter().any(|(s, _)| s.id == sku.id) {
                continue;
            }
            let qty = 1 + rng.below(3) as i64 * i64::from(rng.chance(30));
            picked.push((sku, qty));
        }
        let goods: i64 = picked.iter().map(|(s, q)| s.price * q).sum();
        let shipping = if goods >= 9900 { 0 } else { 800 };
        let payable = goods + shipping;
        let r = rng.below(1000);
        let paid_at = (r >= 130).then(|| created + rng.range(20, 600));
        let mut refund: Option<(i64, i64)> = None; // (amount, succeeded_at)
        let (mut shipped, mut completed, mut cancelled) = (None, None, None);
        let status = match paid_at {
            None if now - created < 1800 => "pending_payment",
            None => {
                cancelled = Some(created + 1800);
                "cancelled"
            }
            Some(p) => {
                let s = p + rng.range(6 * HOUR, 30 * HOUR);
                if s < now {
                    shipped = Some(s);
                    if s + 7 * DAY < now {
                        completed = Some(s + 7 * DAY);
                    }
                }
                if r < 170 {
                    let at = (p + rng.range(HOUR, 3 * DAY)).min(now - 60);
                    refund = Some((payable, at));
                    "refunded"
                } else {
                    if r < 200 {
                        let first = picked[0].0.price * picked[0].1;
                        let amount = if first < payable { first } else { payable / 2 };
                        let at = (p + rng.range(2 * DAY, 10 * DAY)).min(now - 60);
                        refund = Some((amount.max(1), at));
                    }
                    match (shipped, completed) {
                        (_, Some(_)) => "completed",
                        (Some(_), None) => "shipped",
                        _ => "paid",
                    }
                }
            }
        };
        let refunded = refund.map_or(0, |r| r.0);
        let updated = [
            Some(created),
            paid_at,
            shipped,
            completed,
            cancelled,
            refund.map(|r| r.1),
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(created)
        .min(now);
        let (carrier, tracking) = match shipped {
            Some(_) => (lit("顺丰速运"), lit(&format!("SF{id:012}"))),
            None => ("NULL".into(), "NULL".into()),
        };
        orders.hold(format!(
                    "({id},{},{user},{},{},'bench',{goods},0,{shipping},0,0,{payable},0,0,\
                     '{{\"kind\":\"express\"}}','','{{}}','{{}}',{created},{},{},{},{},{},{},{updated},{},{},{refunded},{carrier},{tracking},{})",
                    lit(&format!("B{id:012}")),
                    lit(status),
                    lit(&format!("bench-{id}")),
                    created + 1800,
                    opt(paid_at),
                    opt(shipped),
                    opt(completed),
                    opt(cancelled),
                    if cancelled.is_some() {
                        lit("timeout")
                    } else {
                        "NULL".into()
                    },
                    match paid_at {
                        Some(_) => lit(&format!("4200{id:016}")),
                        None => "NULL".into(),
                    },
                    opt(paid_at.map(|_| payable)),
                    lit(&format!("{:04}", rng.below(10_000))),
                ));
        for (n, (sku, qty)) in picked.iter().enumerate() {
            let sub = sku.price * qty;
            lines.hold(format!(
                        "({id},{},{},{},{},{},'',{qty},{p},{p},'list',NULL,{sub},0,0,{sub},0,{sub},'[]',{})",
                        lit(&format!("l{}", n + 1)),
                        sku.id,
                        sku.product_id,
                        lit(&sku.title),
                        lit(&sku.specs),
                        if status == "refunded" { *qty } else { 0 },
                        p = sku.price,
                    ));
        }
        if let Some((amount, at)) = refund {
            refunds.hold(format!(
                "({id},NULL,{},{},{amount},'买家申请','success',1,{},{at},{at})",
                lit(&format!("R{id:012}")),
                lit(&format!("5030{id:016}")),
                at - 60,
            ));
        }
        // The session that reached checkout (buy-now skips the cart).
        let session = format!("so{id}");
        let ch = CHANNELS[rng.below(CHANNELS.len() as u64) as usize];
        let mut f = SessionFact {
            visitor: format!("v{user}"),
            user_id: Some(user),
            first_ts: i64::MAX,
            last_ts: 0,
            ch: ch.to_string(),
            scene: Some(SCENES[rng.below(SCENES.len() as u64) as usize]),
            viewed: false,
            cart: false,
            checkout: false,
            order_id: paid_at.map(|_| id),
        };
        let mut t = created - rng.range(120, 900);
        let with_cart = rng.chance(70);
        let mut w = SessionWriter {
            events: &mut events,
            seed: a.seed,
            n: &mut n_events,
        };
        w.event(&mut tx, &mut f, &session, "app_show", t, None)
            .await?;
        t += rng.range(2, 20);
        w.event(&mut tx, &mut f, &session, "page_view", t, None)
            .await?;
        for (sku, _) in &picked {
            t += rng.range(5, 60);
            let p = Some((sku.product_id, sku.id));
            w.event(&mut tx, &mut f, &session, "product_view", t, p)
                .await?;
            if with_cart {
                t += rng.range(5, 40);
                w.event(&mut tx, &mut f, &session, "add_to_cart", t, p)
                    .await?;
            }
        }
        w.event(
            &mut tx,
            &mut f,
            &session,
            "checkout_start",
            created - 3,
            None,
        )
        .await?;
        if paid_at.is_some() {
            attribution.hold(format!(
                "({id},{},{},{},{})",
                lit(&session),
                lit(&f.visitor),
                lit(&f.ch),
                opt(f.scene)
            ));
        }
        sessions.insert(session, f);
        // Parents first: the lines, refunds and attribution reference the orders.
        if orders.rows.len() >= ROWS {
            orders.flush(&mut tx).await?;
            lines.flush(&mut tx).await?;
            refunds.flush(&mut tx).await?;
            attribution.flush(&mut tx).await?;
        }
    }
    orders.flush(&mut tx).await?;
    lines.flush(&mut tx).await?;
    refunds.flush(&mut tx).await?;
    attribution.flush(&mut tx).await?;
    out.orders = orders.written;
    out.lines = lines.written;
    out.refunds = refunds.written;
    out.paid = attribution.written;
    tx.commit().await?;

    // Browsing sessions (signed in or not) until the events reach the target.
    let mut tx = conn.begin().await?;
    let mut s = 0u64;
    while n_events < a.events {
        s += 1;
        let session = format!("sb{s}");
        let signed_in = rng.chance(50);
        let (visitor, user_id) = if signed_in {
            let u = user_base + 1 + rng.below(n_users) as i64;
            (format!("v{u}"), Some(u))
        } else {
            (format!("a{}", rng.below(n_users * 2)), None)
        };
        let mut f = SessionFact {
            visitor,
            user_id,
            first_ts: i64::MAX,
            last_ts: 0,
            ch: CHANNELS[rng.below(CHANNELS.len() as u64) as usize].to_string(),
            scene: Some(SCENES[rng.below(SCENES.len() as u64) as usize]),
            viewed: false,
            cart: false,
            checkout: false,
            order_id: None,
        };
        let mut t = moment(&mut rng, now, 2 * HOUR);
        let mut w = SessionWriter {
            events: &mut events,
            seed: a.seed,
            n: &mut n_events,
        };
        w.event(&mut tx, &mut f, &session, "app_show", t, None)
            .await?;
        for _ in 0..1 + rng.below(3) {
            t += rng.range(3, 60);
            w.event(&mut tx, &mut f, &session, "page_view", t, None)
                .await?;
        }
        if rng.chance(60) {
            for _ in 0..1 + rng.below(3) {
                let sku = &skus[rng.below(skus.len() as u64) as usize];
                let p = Some((sku.product_id, sku.id));
                t += rng.range(5, 90);
                w.event(&mut tx, &mut f, &session, "product_view", t, p)
                    .await?;
                if rng.chance(20) {
                    t += rng.range(5, 30);
                    w.event(&mut tx, &mut f, &session, "add_to_cart", t, p)
                        .await?;
                }
            }
        }
        sessions.insert(session, f);
    }
    events.flush(&mut tx).await?;
    out.events = events.written;
    tx.commit().await?;

    // The facts: one row per session, one per Beijing day and visitor.
    let mut tx = conn.begin().await?;
    let mut facts = Bulk::new(
        "INSERT INTO session_facts (session, visitor, user_id, first_ts, last_ts, ch, scene,
            viewed_product, added_to_cart, reached_checkout, paid, order_id)",
    );
    let mut days: HashMap<(i64, &str), VisitorDay> = HashMap::new();
    let mut names: Vec<&String> = sessions.keys().collect();
    names.sort();
    for name in names {
        let f = &sessions[name];
        let b = |v: bool| i64::from(v);
        facts
            .push(
                &mut tx,
                format!(
                    "({},{},{},{},{},{},{},{},{},{},{},{})",
                    lit(name),
                    lit(&f.visitor),
                    opt(f.user_id),
                    f.first_ts,
                    f.last_ts,
                    lit(&f.ch),
                    opt(f.scene),
                    b(f.viewed),
                    b(f.cart),
                    b(f.checkout),
                    b(f.order_id.is_some()),
                    opt(f.order_id)
                ),
            )
            .await?;
        let d = days
            .entry((beijing_day_start(f.first_ts), f.visitor.as_str()))
            .or_insert(VisitorDay {
                user_id: f.user_id,
                first_ts: f.first_ts,
                ch: f.ch.clone(),
                scene: f.scene,
                viewed: false,
                cart: false,
                checkout: false,
                paid: false,
            });
        if f.first_ts < d.first_ts {
            d.first_ts = f.first_ts;
            d.ch = f.ch.clone();
            d.scene = f.scene;
        }
        d.user_id = d.user_id.or(f.user_id);
        d.viewed |= f.viewed;
        d.cart |= f.cart;
        d.checkout |= f.checkout;
        d.paid |= f.order_id.is_some();
    }
    facts.flush(&mut tx).await?;
    out.sessions = facts.written;
    let mut vd = Bulk::new(
        "INSERT INTO visitor_days (day_start, visitor, user_id, first_ts, ch, scene,
            viewed_product, added_to_cart, reached_checkout, paid)",
    );
    let mut keys: Vec<&(i64, &str)> = days.keys().collect();
    keys.sort();
    for k in keys {
        let d = &days[k];
        let b = |v: bool| i64::from(v);
        vd.push(
            &mut tx,
            format!(
                "({},{},{},{},{},{},{},{},{},{})",
                k.0,
                lit(k.1),
                opt(d.user_id),
                d.first_ts,
                lit(&d.ch),
                opt(d.scene),
                b(d.viewed),
                b(d.cart),
                b(d.checkout),
                b(d.paid)
            ),
        )
        .await?;
    }
    vd.flush(&mut tx).await?;
    out.visitor_days = vd.written;
    tx.commit().await?;
    if db.backend == Backend::Postgres {
        for table in ["users", "orders"] {
            sqlx::raw_sql(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .execute(&mut *conn)
            .await?;
        }
        // What autovacuum does after a bulk load.
        sqlx::raw_sql("ANALYZE").execute(&mut *conn).await?;
    }
    Ok(out)
}

/// The server process, killed when dropped.
struct ServerProcess {
    child: Child,
    base: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(a: &Args, url: &str, dir: &std::path::Path) -> anyhow::Result<ServerProcess> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(&a.server)
        .env("MALL_BIND", format!("127.0.0.1:{port}"))
        .env("MALL_DATA_DIR", dir)
        .env("DATABASE_URL", url)
        .env("MALL_JOBS_EVERY_SECS", "0")
        .env("MALL_EXPIRY_SWEEP_SECS", "3600")
        .env("MALL_CLOCK_START", a.now.to_string())
        .env("MALL_OWNER_PASSWORD", OWNER_PASSWORD)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", a.server))?;
    Ok(ServerProcess {
        child,
        base: format!("http://127.0.0.1:{port}"),
    })
}

/// (VmRSS, VmHWM) of a process, kB.
fn rss_kb(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn ms(us: u128) -> String {
    format!("{}.{}ms", us / 1000, (us % 1000) / 100)
}

/// p50 / p95 / max of sorted microseconds.
fn summary(sorted: &[u128]) -> (u128, u128, u128) {
    let at = |p: usize| sorted[((sorted.len() - 1) * p).div_ceil(100).min(sorted.len() - 1)];
    (at(50), at(95), *sorted.last().unwrap_or(&0))
}

fn date(t: i64) -> String {
    mall_server::clock::beijing_time(t)
        .chars()
        .take(10)
        .collect()
}

async fn get_ok(http: &reqwest::Client, url: &str, cookie: &str) -> anyhow::Result<Value> {
    let res = http.get(url).header("Cookie", cookie).send().await?;
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("GET {url}: {status} {body}");
    }
    Ok(body)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    sqlx::any::install_default_drivers();
    let dir = std::env::temp_dir().join(format!("mall-console-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (url, cleanup) = match &a.database_url {
        Some(admin) if admin.starts_with("postgres") => {
            let name = format!("mall_console_bench_{}", std::process::id());
            let mut conn = sqlx::AnyConnection::connect(admin).await?;
            sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name}"))
                .execute(&mut conn)
                .await?;
            sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await?;
            let base = &admin[..admin.rfind('/').context("url has no database")?];
            (format!("{base}/{name}"), Some((admin.clone(), name)))
        }
        Some(other) => (other.clone(), None),
        None => (format!("sqlite://{}/mall.db", dir.display()), None),
    };
    let r = run(&a, &url, &dir).await;
    if !a.keep {
        if let Some((admin, name)) = cleanup {
            let mut conn = sqlx::AnyConnection::connect(&admin).await?;
            sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await?;
        }
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        println!("kept: {url}");
    }
    r
}

async fn run(a: &Args, url: &str, dir: &std::path::Path) -> anyhow::Result<()> {
    // 1. Seed: the server's own startup (migrations, demo catalog), then bulk.
    let t0 = Instant::now();
    let db = mall_server::db::startup::open(url, 4, true, false).await?;
    let backend = format!("{:?}", db.backend).to_lowercase();
    let seeded = seed(&db, a).await?;
    let seed_time = t0.elapsed();
    let t1 = Instant::now();
    let rolled = mall_server::stats::rollup::run(&db, a.now).await?;
    println!(
        "backend={backend} seeded users={} orders={} paid={} lines={} refunds={} events={} sessions={} visitor_days={} in {}s; rollup: {rolled} buckets in {}",
        seeded.users,
        seeded.orders,
        seeded.paid,
        seeded.lines,
        seeded.refunds,
        seeded.events,
        seeded.sessions,
        seeded.visitor_days,
        seed_time.as_secs(),
        ms(t1.elapsed().as_micros()),
    );
    db.pool.close().await;
    drop(db);

    // 2. The server on that database; the owner signs in.
    let server = start_server(a, url, dir)?;
    let pid = server.child.id();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(r) = http.get(format!("{}/health", server.base)).send().await {
            if r.status().is_success() {
                break;
            }
        }
        if Instant::now() > deadline {
            bail!("the server did not answer /health");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let res = http
        .post(format!("{}/admin/api/login", server.base))
        .json(&json!({"username": "owner", "password": OWNER_PASSWORD}))
        .send()
        .await?;
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("mall_staff="))
        .and_then(|v| v.split(';').next())
        .context("no mall_staff cookie")?
        .to_string();
    let login: Value = res.json().await?;
    let csrf = login["csrfToken"]
        .as_str()
        .context("no csrfToken")?
        .to_string();

    // 3. The dashboard's queries.
    let today = beijing_day_start(a.now);
    let (from, to) = (date(today - 29 * DAY), date(today));
    let range = format!("from={from}&to={to}");
    let queries = [
        ("overview", "/admin/api/overview".to_string()),
        ("trend-30d", format!("/admin/api/stats/trend?{range}")),
        ("funnel-30d", format!("/admin/api/stats/funnel?{range}")),
        (
            "top-products-30d",
            format!("/admin/api/stats/top-products?{range}"),
        ),
        ("heatmap-4w", "/admin/api/stats/heatmap?weeks=4".to_string()),
    ];
    let mut worst_p95 = 0;
    for (name, path) in &queries {
        let url = format!("{}{path}", server.base);
        for _ in 0..a.warmup {
            get_ok(&http, &url, &cookie).await?;
        }
        let mut lat = Vec::with_capacity(a.requests);
        for _ in 0..a.requests {
            let t = Instant::now();
            get_ok(&http, &url, &cookie).await?;
            lat.push(t.elapsed().as_micros());
        }
        lat.sort_unstable();
        let (p50, p95, max) = summary(&lat);
        worst_p95 = worst_p95.max(p95);
        println!(
            "backend={backend} query={name} n={} p50={} p95={} max={}",
            a.requests,
            ms(p50),
            ms(p95),
            ms(max)
        );
    }
    println!(
        "backend={backend} dashboard worst p95={} (target ≤ 200ms: {})",
        ms(worst_p95),
        if worst_p95 <= 200_000 {
            "met"
        } else {
            "MISSED"
        }
    );

    // 4. Event ingest: batches of 50 from concurrent clients.
    let accepted = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut batch_lat: Vec<u128> = Vec::new();
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..a.clients {
        let (http, base, accepted, failed, stop) = (
            http.clone(),
            server.base.clone(),
            accepted.clone(),
            failed.clone(),
            stop.clone(),
        );
        let now_ms = a.now * 1000;
        let seed = a.seed;
        clients.spawn(async move {
            let mut lat = Vec::new();
            let mut n: u64 = 0;
            while !stop.load(Ordering::Relaxed) {
                let events: Vec<Value> = (0..50)
                    .map(|k| {
                        n += 1;
                        let session = format!("ingest-{c}-{}", n / 20);
                        let name = ["app_show", "page_view", "product_view", "add_to_cart"]
                            [(k % 4) as usize];
                        json!({
                            "uuid": format!("{:08x}-1111-4000-8000-{:04x}{:08x}", seed & 0xffff_ffff, c, n),
                            "name": name,
                            "ts": now_ms + (n as i64) * 10,
                            "sessionId": session,
                            "visitorId": format!("iv-{c}-{}", n / 100),
                            "props": if k % 4 >= 2 { json!({"productId": 1 + k % 10, "skuId": 1 + k % 10}) } else { json!({"scene": 1047}) },
                        })
                    })
                    .collect();
                let t = Instant::now();
                match http
                    .post(format!("{base}/api/events"))
                    .json(&json!({"events": events}))
                    .send()
                    .await
                {
                    Ok(r) if r.status().as_u16() == 202 => {
                        let v: Value = r.json().await.unwrap_or(Value::Null);
                        accepted.fetch_add(v["accepted"].as_u64().unwrap_or(0), Ordering::Relaxed);
                        lat.push(t.elapsed().as_micros());
                    }
                    Ok(r) => {
                        let s = r.status();
                        if failed.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("ingest: {s} {}", r.text().await.unwrap_or_default());
                        }
                    }
                    Err(e) => {
                        if failed.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("ingest: {e}");
                        }
                    }
                }
            }
            lat
        });
    }
    tokio::time::sleep(Duration::from_secs(a.ingest_secs)).await;
    stop.store(true, Ordering::Relaxed);
    while let Some(l) = clients.join_next().await {
        batch_lat.extend(l?);
    }
    let elapsed_us = started.elapsed().as_micros().max(1);
    batch_lat.sort_unstable();
    let (b50, b95, _) = summary(&batch_lat);
    let n = accepted.load(Ordering::Relaxed);
    let rate = u128::from(n) * 1_000_000 / elapsed_us;
    println!(
        "backend={backend} ingest clients={} batch=50 secs={} accepted={n} failed_batches={} events/s={rate} batch p50={} p95={} (target ≥ 5000/s: {})",
        a.clients,
        a.ingest_secs,
        failed.load(Ordering::Relaxed),
        ms(b50),
        ms(b95),
        if rate >= 5000 { "met" } else { "MISSED" }
    );

    // 5. Export: the orders of the 6 Beijing days before today.
    let (ef, et) = (date(today - 6 * DAY), date(today - DAY));
    let before = rss_kb(pid);
    let t = Instant::now();
    let res = http
        .post(format!("{}/admin/api/exports/orders", server.base))
        .header("Cookie", &cookie)
        .header("X-CSRF-Token", &csrf)
        .json(&json!({"from": ef, "to": et}))
        .send()
        .await?;
    if res.status().as_u16() != 202 {
        bail!("export: {} {}", res.status(), res.text().await?);
    }
    let job: Value = res.json().await?;
    let id = job["id"].as_i64().context("export id")?;
    let mut peak_during = before.0;
    let mut polls = 0;
    let job = loop {
        let j = get_ok(
            &http,
            &format!("{}/admin/api/exports/{id}", server.base),
            &cookie,
        )
        .await?;
        polls += 1;
        peak_during = peak_during.max(rss_kb(pid).0);
        match j["status"].as_str() {
            Some("done") => break j,
            Some("failed") => bail!("export failed: {j}"),
            _ => {}
        }
        if t.elapsed() > Duration::from_secs(300) {
            bail!("export not done after 300 s: {j}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let job_time = t.elapsed();
    let mut res = http
        .get(format!("{}/admin/api/exports/{id}/file", server.base))
        .header("Cookie", &cookie)
        .send()
        .await?;
    if !res.status().is_success() {
        bail!("export file: {}", res.status());
    }
    let (mut bytes, mut newlines) = (0usize, 0usize);
    while let Some(chunk) = res.chunk().await? {
        bytes += chunk.len();
        newlines += chunk.iter().filter(|b| **b == b'\n').count();
        peak_during = peak_during.max(rss_kb(pid).0);
    }
    let total_time = t.elapsed();
    let after = rss_kb(pid);
    let rows = newlines.saturating_sub(1) as i64; // the header line
    let total = job["total"].as_i64().unwrap_or(-1);
    println!(
        "backend={backend} export {ef}..{et}: total={total} rows={rows} progress={} polls={polls} job={} with download={} bytes={bytes}",
        job["progress"],
        ms(job_time.as_micros()),
        ms(total_time.as_micros()),
    );
    println!(
        "backend={backend} server RSS before export={}kB peak during={}kB after={}kB (VmHWM before={}kB after={}kB)",
        before.0, peak_during, after.0, before.1, after.1
    );
    if rows != total || job["progress"] != json!(100) {
        bail!(
            "export: {rows} rows for a total of {total}, progress {}",
            job["progress"]
        );
    }
    drop(server);
    Ok(())
}
