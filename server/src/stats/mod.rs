//! The console's figures (docs/metrics.md), all in Beijing time, behind one
//! interface ([`StatsStore`]) so a column store can replace the SQL one
//! ([`SqlStats`]): the overview, trends, the closed per-session funnel, top
//! products, channels, order types and the hour-of-week heatmap. Amounts are
//! integer fen, rates decimal strings.

pub mod buckets;
pub mod facts;
pub mod rollup;

use std::future::Future;

use serde::Serialize;

use crate::after_sales::status::{sql_list, AfterSaleStatus};
use crate::clock::beijing_day_start;
use crate::db::Db;
use crate::orders::OrderStatus;
use buckets::{Bucket, DAY, HOUR};

/// A Beijing time range `[from, to)` in unix seconds, day-aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub from: i64,
    pub to: i64,
}

impl Range {
    pub fn days(self) -> i64 {
        (self.to - self.from) / DAY
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Pair<T> {
    pub today: T,
    pub yesterday: T,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Kpis {
    pub gmv: Pair<i64>,
    pub paid_orders: Pair<i64>,
    pub buyers: Pair<i64>,
    pub aov: Pair<i64>,
    pub visitors: Pair<i64>,
    pub conversion: Pair<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counters {
    pub to_ship: i64,
    pub after_sales_waiting: i64,
    pub stock_alerts: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Curve {
    pub today: Vec<i64>,
    pub yesterday: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overview {
    pub now: i64,
    pub kpis: Kpis,
    pub curve: Curve,
    pub counters: Counters,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrendPoint {
    pub start: i64,
    pub gmv: i64,
    pub refunds: i64,
    pub net: i64,
    pub paid_orders: i64,
    pub buyers: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trend {
    pub bucket: Bucket,
    pub points: Vec<TrendPoint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunnelStep {
    pub key: &'static str,
    pub label: &'static str,
    pub sessions: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopProduct {
    pub product_id: i64,
    pub title: String,
    pub views: i64,
    pub add_to_carts: i64,
    pub orders: i64,
    pub units: i64,
    pub amount: i64,
    /// Paid orders with the product ÷ its views.
    pub conversion: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelRow {
    pub channel: String,
    pub visitors: i64,
    pub buyers: i64,
    pub gmv: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderTypeRow {
    pub kind: String,
    pub label: String,
    pub orders: i64,
    pub gmv: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heatmap {
    pub weeks: i64,
    /// `[weekday 0 = Monday][Beijing hour]` paid orders.
    pub cells: [[i64; 24]; 7],
    pub fact: Option<String>,
}

/// 复购率 (docs/metrics.md): buyers in the range who paid on at least two
/// distinct Beijing days, over the range's buyers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Repurchase {
    pub buyers: i64,
    pub repeat_buyers: i64,
    /// repeat buyers ÷ buyers, 4 decimals half up ("0.0000" without buyers).
    pub rate: String,
}

pub const TOP_PRODUCTS: usize = 20;
pub const MAX_HEATMAP_WEEKS: i64 = 26;

/// The console's statistics. Every figure is defined in docs/metrics.md.
pub trait StatsStore {
    fn overview(&self, now: i64) -> impl Future<Output = sqlx::Result<Overview>> + Send;
    fn trend(&self, range: Range) -> impl Future<Output = sqlx::Result<Trend>> + Send;
    fn funnel(&self, range: Range) -> impl Future<Output = sqlx::Result<Vec<FunnelStep>>> + Send;
    fn top_products(
        &self,
        range: Range,
    ) -> impl Future<Output = sqlx::Result<Vec<TopProduct>>> + Send;
    fn channels(&self, range: Range) -> impl Future<Output = sqlx::Result<Vec<ChannelRow>>> + Send;
    fn order_types(
        &self,
        range: Range,
    ) -> impl Future<Output = sqlx::Result<Vec<OrderTypeRow>>> + Send;
    fn heatmap(&self, weeks: i64, now: i64) -> impl Future<Output = sqlx::Result<Heatmap>> + Send;
    fn repurchase(&self, range: Range) -> impl Future<Output = sqlx::Result<Repurchase>> + Send;
}

/// The statistics on the shop's own database (SQLite or PostgreSQL):
/// live queries over orders and refunds, the per-session and per-visitor-day
/// facts, and the rollups (`rollup`).
pub struct SqlStats<'a> {
    pub db: &'a Db,
}

/// Paid orders, GMV and buyers in `[from, to)`.
async fn sales(db: &Db, from: i64, to: i64) -> sqlx::Result<(i64, i64, i64)> {
    sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(COALESCE(paid_amount, 0)), 0) AS BIGINT), COUNT(DISTINCT user_id)
         FROM orders WHERE paid_at >= $1 AND paid_at < $2",
    )
    .bind(from)
    .bind(to)
    .fetch_one(&db.pool)
    .await
}

/// Visitors of the Beijing day starting `day` first seen before `until`.
async fn visitors(db: &Db, day: i64, until: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM visitor_days WHERE day_start = $1 AND first_ts < $2")
        .bind(day)
        .bind(until)
        .fetch_one(&db.pool)
        .await
}

/// A channel: our `ch` parameter, else WeChat's scene (`scene:1047`), else `direct`.
fn channel_sql(ch: &str, scene: &str) -> String {
    format!(
        "CASE WHEN {ch} <> '' THEN {ch} WHEN {scene} IS NOT NULL THEN 'scene:' || CAST({scene} AS TEXT) ELSE 'direct' END"
    )
}

const ORDER_KINDS: [(&str, &str); 4] = [
    ("normal", "普通"),
    ("flashSale", "秒杀"),
    ("groupBuy", "拼团"),
    ("bargain", "砍价"),
];

impl StatsStore for SqlStats<'_> {
    async fn repurchase(&self, range: Range) -> sqlx::Result<Repurchase> {
        // A buyer's Beijing days with a payment: (paid_at + 8 h) div 1 day.
        let (buyers, repeat_buyers): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN days >= 2 THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM (SELECT user_id, COUNT(DISTINCT (paid_at + $3) / $4) AS days
                   FROM orders WHERE paid_at >= $1 AND paid_at < $2 GROUP BY user_id) t",
        )
        .bind(range.from)
        .bind(range.to)
        .bind(crate::clock::BEIJING_OFFSET)
        .bind(DAY)
        .fetch_one(&self.db.pool)
        .await?;
        Ok(Repurchase {
            buyers,
            repeat_buyers,
            rate: buckets::ratio(repeat_buyers, buyers, 4),
        })
    }

    async fn overview(&self, now: i64) -> sqlx::Result<Overview> {
        let today = beijing_day_start(now);
        let (t_orders, t_gmv, t_buyers) = sales(self.db, today, now + 1).await?;
        let (y_orders, y_gmv, y_buyers) = sales(self.db, today - DAY, now + 1 - DAY).await?;
        let t_visitors = visitors(self.db, today, now + 1).await?;
        let y_visitors = visitors(self.db, today - DAY, now + 1 - DAY).await?;
        let mut conn = self.db.pool.acquire().await?;
        let hours = rollup::sales_hours(&mut conn, today - DAY, today + DAY).await?;
        let curve = |start: i64| -> Vec<i64> {
            (0..24)
                .map(|h| hours.get(&(start + h * HOUR)).map_or(0, |s| s.gmv))
                .collect()
        };
        let to_ship: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE status = $1")
            .bind(OrderStatus::Paid.as_str())
            .fetch_one(&mut *conn)
            .await?;
        let after_sales_waiting: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM after_sales WHERE status IN ({})",
            sql_list(&[
                AfterSaleStatus::Requested,
                AfterSaleStatus::Returned,
                AfterSaleStatus::RefundAbnormal
            ])
        ))
        .fetch_one(&mut *conn)
        .await?;
        let stock_alerts = crate::stock::ledger::alert_count(&mut conn).await?;
        Ok(Overview {
            now,
            kpis: Kpis {
                gmv: Pair {
                    today: t_gmv,
                    yesterday: y_gmv,
                },
                paid_orders: Pair {
                    today: t_orders,
                    yesterday: y_orders,
                },
                buyers: Pair {
                    today: t_buyers,
                    yesterday: y_buyers,
                },
                aov: Pair {
                    today: buckets::div_round(t_gmv, t_buyers),
                    yesterday: buckets::div_round(y_gmv, y_buyers),
                },
                visitors: Pair {
                    today: t_visitors,
                    yesterday: y_visitors,
                },
                conversion: Pair {
                    today: buckets::ratio(t_buyers, t_visitors, 4),
                    yesterday: buckets::ratio(y_buyers, y_visitors, 4),
                },
            },
            curve: Curve {
                today: curve(today),
                yesterday: curve(today - DAY),
            },
            counters: Counters {
                to_ship,
                after_sales_waiting,
                stock_alerts,
            },
        })
    }

    async fn trend(&self, range: Range) -> sqlx::Result<Trend> {
        let kind = Bucket::for_days(range.days());
        let bounds = buckets::boundaries(kind, range.from, range.to);
        let mut points: Vec<TrendPoint> = bounds
            .windows(2)
            .map(|w| TrendPoint {
                start: w[0],
                gmv: 0,
                refunds: 0,
                net: 0,
                paid_orders: 0,
                buyers: 0,
            })
            .collect();
        let mut conn = self.db.pool.acquire().await?;
        for (h, s) in rollup::sales_hours(&mut conn, range.from, range.to).await? {
            if let Some(i) = buckets::index_of(&bounds, h) {
                let p = &mut points[i];
                p.gmv += s.gmv;
                p.refunds += s.refunds;
                p.paid_orders += s.paid_orders;
            }
        }
        // Buyers are not additive: counted per bucket from the orders, the
        // bucket by integer arithmetic (uniform widths) or by its bounds (months).
        let (expr, binds): (String, Vec<i64>) = match kind.width() {
            Some(w) => {
                let anchor = buckets::align(kind, range.from);
                (
                    format!("CAST((paid_at - {anchor}) / {w} AS BIGINT)"),
                    Vec::new(),
                )
            }
            None => {
                let mut e = String::from("CAST(CASE");
                for i in 1..bounds.len() {
                    e.push_str(&format!(" WHEN paid_at < ${} THEN {}", i + 2, i - 1));
                }
                e.push_str(" END AS BIGINT)");
                (e, bounds[1..].to_vec())
            }
        };
        let sql = format!(
            "SELECT {expr} AS b, COUNT(DISTINCT user_id) FROM orders
             WHERE paid_at >= $1 AND paid_at < $2 GROUP BY b"
        );
        let mut q = sqlx::query_as::<_, (i64, i64)>(&sql)
            .bind(range.from)
            .bind(range.to);
        for b in binds {
            q = q.bind(b);
        }
        for (b, n) in q.fetch_all(&mut *conn).await? {
            // Uniform buckets count from the aligned anchor (the first may be clipped).
            if let Some(p) = usize::try_from(b).ok().and_then(|i| points.get_mut(i)) {
                p.buyers = n;
            }
        }
        for p in &mut points {
            p.net = p.gmv - p.refunds;
        }
        Ok(Trend {
            bucket: kind,
            points,
        })
    }

    async fn funnel(&self, range: Range) -> sqlx::Result<Vec<FunnelStep>> {
        // A session counts at every step up to the furthest it reached, so
        // each step is a subset of the one before (buy-now skips the cart).
        let row: (i64, i64, i64, i64, i64) = sqlx::query_as(
            "SELECT COUNT(*),
               CAST(COALESCE(SUM(CASE WHEN viewed_product + added_to_cart + reached_checkout + paid > 0 THEN 1 ELSE 0 END), 0) AS BIGINT),
               CAST(COALESCE(SUM(CASE WHEN added_to_cart + reached_checkout + paid > 0 THEN 1 ELSE 0 END), 0) AS BIGINT),
               CAST(COALESCE(SUM(CASE WHEN reached_checkout + paid > 0 THEN 1 ELSE 0 END), 0) AS BIGINT),
               CAST(COALESCE(SUM(paid), 0) AS BIGINT)
             FROM session_facts WHERE first_ts >= $1 AND first_ts < $2",
        )
        .bind(range.from)
        .bind(range.to)
        .fetch_one(&self.db.pool)
        .await?;
        let steps = [
            ("visit", "访问", row.0),
            ("productView", "浏览商品", row.1),
            ("addToCart", "加入购物车", row.2),
            ("checkout", "提交订单", row.3),
            ("paid", "支付", row.4),
        ];
        Ok(steps
            .into_iter()
            .map(|(key, label, sessions)| FunnelStep {
                key,
                label,
                sessions,
            })
            .collect())
    }

    async fn top_products(&self, range: Range) -> sqlx::Result<Vec<TopProduct>> {
        let mut conn = self.db.pool.acquire().await?;
        let totals = rollup::product_totals(&mut conn, range.from, range.to).await?;
        let mut rows: Vec<(i64, rollup::ProductDay)> = totals.into_iter().collect();
        rows.sort_by(|a, b| {
            (b.1.amount, b.1.units, b.1.views, a.0).cmp(&(a.1.amount, a.1.units, a.1.views, b.0))
        });
        rows.truncate(TOP_PRODUCTS);
        let mut out = Vec::with_capacity(rows.len());
        for (id, t) in rows {
            let title: Option<String> =
                sqlx::query_scalar("SELECT title FROM products WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?;
            out.push(TopProduct {
                product_id: id,
                title: title.unwrap_or_default(),
                views: t.views,
                add_to_carts: t.add_to_carts,
                orders: t.orders,
                units: t.units,
                amount: t.amount,
                conversion: buckets::ratio(t.orders, t.views, 4),
            });
        }
        Ok(out)
    }

    async fn channels(&self, range: Range) -> sqlx::Result<Vec<ChannelRow>> {
        let mut conn = self.db.pool.acquire().await?;
        let visitors: Vec<(String, i64)> = sqlx::query_as(&format!(
            "SELECT {} AS c, COUNT(DISTINCT visitor) FROM visitor_days
             WHERE day_start >= $1 AND day_start < $2 GROUP BY c",
            channel_sql("ch", "scene")
        ))
        .bind(range.from)
        .bind(range.to)
        .fetch_all(&mut *conn)
        .await?;
        let buyers: Vec<(String, i64, i64)> = sqlx::query_as(&format!(
            "SELECT {} AS c, COUNT(DISTINCT o.user_id), CAST(SUM(COALESCE(o.paid_amount, 0)) AS BIGINT)
             FROM orders o LEFT JOIN order_attribution a ON a.order_id = o.id
             WHERE o.paid_at >= $1 AND o.paid_at < $2 GROUP BY c",
            channel_sql("COALESCE(a.ch, '')", "a.scene")
        ))
        .bind(range.from)
        .bind(range.to)
        .fetch_all(&mut *conn)
        .await?;
        let mut map: std::collections::BTreeMap<String, ChannelRow> = Default::default();
        let row = |c: &str| ChannelRow {
            channel: c.to_string(),
            visitors: 0,
            buyers: 0,
            gmv: 0,
        };
        for (c, v) in visitors {
            map.entry(c.clone()).or_insert_with(|| row(&c)).visitors = v;
        }
        for (c, b, g) in buyers {
            let r = map.entry(c.clone()).or_insert_with(|| row(&c));
            r.buyers = b;
            r.gmv = g;
        }
        let mut out: Vec<ChannelRow> = map.into_values().collect();
        out.sort_by(|a, b| (b.gmv, b.visitors, &a.channel).cmp(&(a.gmv, a.visitors, &b.channel)));
        Ok(out)
    }

    async fn order_types(&self, range: Range) -> sqlx::Result<Vec<OrderTypeRow>> {
        // An order's type is its activity's kind (the smallest, if its
        // lines have several), normal without one.
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT k, COUNT(*), CAST(SUM(amt) AS BIGINT) FROM (
               SELECT COALESCE(paid_amount, 0) AS amt,
                 COALESCE((SELECT MIN(a.kind) FROM order_lines l JOIN activities a ON a.id = l.activity_id
                           WHERE l.order_id = o.id), 'normal') AS k
               FROM orders o WHERE o.paid_at >= $1 AND o.paid_at < $2
             ) x GROUP BY k",
        )
        .bind(range.from)
        .bind(range.to)
        .fetch_all(&self.db.pool)
        .await?;
        let mut out: Vec<OrderTypeRow> = ORDER_KINDS
            .iter()
            .map(|(k, label)| OrderTypeRow {
                kind: k.to_string(),
                label: label.to_string(),
                orders: 0,
                gmv: 0,
            })
            .collect();
        for (k, n, g) in rows {
            match out.iter_mut().find(|r| r.kind == k) {
                Some(r) => {
                    r.orders = n;
                    r.gmv = g;
                }
                None => out.push(OrderTypeRow {
                    label: k.clone(),
                    kind: k,
                    orders: n,
                    gmv: g,
                }),
            }
        }
        Ok(out)
    }

    async fn heatmap(&self, weeks: i64, now: i64) -> sqlx::Result<Heatmap> {
        let weeks = weeks.clamp(1, MAX_HEATMAP_WEEKS);
        let to = beijing_day_start(now);
        let from = to - weeks * 7 * DAY;
        let mut conn = self.db.pool.acquire().await?;
        let mut cells = [[0i64; 24]; 7];
        for (h, s) in rollup::sales_hours(&mut conn, from, to).await? {
            let hour = (h + crate::clock::BEIJING_OFFSET).rem_euclid(DAY) / HOUR;
            cells[buckets::weekday(h) as usize][hour as usize] += s.paid_orders;
        }
        Ok(Heatmap {
            weeks,
            fact: facts::peak_sentence(&cells, weeks),
            cells,
        })
    }
}
