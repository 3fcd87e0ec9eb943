//! The rollups: sales per hour (`agg_sales_hour`) and products per Beijing
//! day (`agg_product_day`), recomputed per touched bucket (DELETE + INSERT …
//! SELECT) by a background job, so a run repeated changes nothing. Readers
//! take buckets before the rollup's `rolled_until` from the rollup and the
//! rest live from the same SELECT, so a figure never waits for the job.

use std::collections::BTreeMap;

use sqlx::AnyConnection;

use super::buckets::{DAY, HOUR};
use crate::clock::beijing_day_start;
use crate::db::Db;
use crate::refunds::RefundStatus;

pub const SALES: &str = "sales_hour";
pub const PRODUCTS: &str = "product_day";
/// Rows written this long before the last run are looked at again (a
/// transaction that committed late).
const SLACK_SECS: i64 = 300;

/// One hour's sales.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SalesHour {
    pub paid_orders: i64,
    pub gmv: i64,
    pub refunds: i64,
    pub refund_count: i64,
}

/// One product's day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProductDay {
    pub views: i64,
    pub add_to_carts: i64,
    pub orders: i64,
    pub units: i64,
    pub amount: i64,
}

impl ProductDay {
    pub fn add(&mut self, o: &ProductDay) {
        self.views += o.views;
        self.add_to_carts += o.add_to_carts;
        self.orders += o.orders;
        self.units += o.units;
        self.amount += o.amount;
    }
}

/// Sales per hour in `[$1, $2)`: orders by paid_at, successful refunds by
/// succeeded_at.
fn sales_select() -> String {
    format!(
        "SELECT h, CAST(SUM(n) AS BIGINT), CAST(SUM(g) AS BIGINT), CAST(SUM(r) AS BIGINT), CAST(SUM(rc) AS BIGINT) FROM (
           SELECT (paid_at / 3600) * 3600 AS h, 1 AS n, COALESCE(paid_amount, 0) AS g, 0 AS r, 0 AS rc
             FROM orders WHERE paid_at >= $1 AND paid_at < $2
           UNION ALL
           SELECT (succeeded_at / 3600) * 3600, 0, 0, amount, 1
             FROM refunds WHERE status = '{}' AND succeeded_at >= $1 AND succeeded_at < $2
         ) x GROUP BY h",
        RefundStatus::Success.as_str()
    )
}

/// Products per Beijing day in `[$1, $2)` (day-aligned): views and
/// add-to-carts from events, paid orders, units and amount from paid lines.
const PRODUCT_SELECT: &str =
    "SELECT d, p, CAST(SUM(v) AS BIGINT), CAST(SUM(c) AS BIGINT), CAST(SUM(o) AS BIGINT),
         CAST(SUM(u) AS BIGINT), CAST(SUM(a) AS BIGINT) FROM (
       SELECT ((ts + 28800) / 86400) * 86400 - 28800 AS d, product_id AS p,
              CASE WHEN name = 'product_view' THEN 1 ELSE 0 END AS v,
              CASE WHEN name = 'add_to_cart' THEN 1 ELSE 0 END AS c, 0 AS o, 0 AS u, 0 AS a
         FROM events WHERE ts >= $1 AND ts < $2 AND name IN ('product_view', 'add_to_cart')
          AND product_id IS NOT NULL
       UNION ALL
       SELECT ((o.paid_at + 28800) / 86400) * 86400 - 28800, l.product_id, 0, 0, 1,
              SUM(l.quantity), SUM(l.paid)
         FROM orders o JOIN order_lines l ON l.order_id = o.id
        WHERE o.paid_at >= $1 AND o.paid_at < $2
        GROUP BY o.id, o.paid_at, l.product_id
     ) x GROUP BY d, p";

type SalesRow = (i64, i64, i64, i64, i64);
type ProductRow = (i64, i64, i64, i64, i64, i64, i64);

async fn rolled_until(conn: &mut AnyConnection, name: &str) -> sqlx::Result<(i64, i64)> {
    Ok(
        sqlx::query_as("SELECT rolled_until, checked_at FROM stats_rollups WHERE name = $1")
            .bind(name)
            .fetch_optional(conn)
            .await?
            .unwrap_or((0, 0)),
    )
}

/// Sales per hour start in `[from, to)` (`from` hour-aligned).
pub async fn sales_hours(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
) -> sqlx::Result<BTreeMap<i64, SalesHour>> {
    let (rolled, _) = rolled_until(&mut *conn, SALES).await?;
    let mut out = BTreeMap::new();
    let mut put = |r: SalesRow| {
        out.insert(
            r.0,
            SalesHour {
                paid_orders: r.1,
                gmv: r.2,
                refunds: r.3,
                refund_count: r.4,
            },
        );
    };
    if from < rolled.min(to) {
        let rows: Vec<SalesRow> = sqlx::query_as(
            "SELECT hour_start, paid_orders, gmv, refunds, refund_count FROM agg_sales_hour
             WHERE hour_start >= $1 AND hour_start < $2",
        )
        .bind(from)
        .bind(rolled.min(to))
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter().for_each(&mut put);
    }
    let live_from = from.max(rolled);
    if live_from < to {
        sales_live(&mut *conn, live_from, to)
            .await?
            .into_iter()
            .for_each(&mut put);
    }
    Ok(out)
}

async fn sales_live(conn: &mut AnyConnection, from: i64, to: i64) -> sqlx::Result<Vec<SalesRow>> {
    sqlx::query_as(&sales_select())
        .bind(from)
        .bind(to)
        .fetch_all(conn)
        .await
}

/// Product totals over the Beijing days in `[from, to)` (day-aligned).
pub async fn product_totals(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
) -> sqlx::Result<BTreeMap<i64, ProductDay>> {
    let (rolled, _) = rolled_until(&mut *conn, PRODUCTS).await?;
    let mut rows: Vec<ProductRow> = Vec::new();
    if from < rolled.min(to) {
        rows.extend(
            sqlx::query_as::<_, ProductRow>(
                "SELECT day_start, product_id, views, add_to_carts, orders, units, amount
                 FROM agg_product_day WHERE day_start >= $1 AND day_start < $2",
            )
            .bind(from)
            .bind(rolled.min(to))
            .fetch_all(&mut *conn)
            .await?,
        );
    }
    let live_from = from.max(rolled);
    if live_from < to {
        rows.extend(
            sqlx::query_as::<_, ProductRow>(PRODUCT_SELECT)
                .bind(live_from)
                .bind(to)
                .fetch_all(&mut *conn)
                .await?,
        );
    }
    let mut out: BTreeMap<i64, ProductDay> = BTreeMap::new();
    for r in rows {
        out.entry(r.1).or_default().add(&ProductDay {
            views: r.2,
            add_to_carts: r.3,
            orders: r.4,
            units: r.5,
            amount: r.6,
        });
    }
    Ok(out)
}

/// Sorted bucket starts as contiguous `[start, end)` ranges of `width`.
pub fn ranges(starts: &[i64], width: i64) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    for s in starts {
        match out.last_mut() {
            Some(last) if *s <= last.1 => last.1 = last.1.max(s + width),
            _ => out.push((*s, s + width)),
        }
    }
    out
}

/// Recompute every touched bucket of both rollups before the current hour
/// (sales) and day (products); returns the buckets recomputed.
pub async fn run(db: &Db, now: i64) -> anyhow::Result<usize> {
    let mut done = 0;
    for name in [SALES, PRODUCTS] {
        let mut tx = db.begin_write().await?;
        sqlx::query(
            "INSERT INTO stats_rollups (name, rolled_until, checked_at) VALUES ($1, 0, 0)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .execute(&mut *tx)
        .await?;
        // Serialises instances on PostgreSQL (a row lock); SQLite has one writer.
        sqlx::query("UPDATE stats_rollups SET checked_at = checked_at WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        let (rolled, checked) = rolled_until(&mut tx, name).await?;
        let since = checked - SLACK_SECS;
        let (width, until, touched_sql): (i64, i64, &[&str]) = if name == SALES {
            (
                HOUR,
                now.div_euclid(HOUR) * HOUR,
                &[
                    "SELECT DISTINCT (paid_at / 3600) * 3600 FROM orders WHERE updated_at >= $1 AND paid_at IS NOT NULL AND paid_at < $2",
                    "SELECT DISTINCT (succeeded_at / 3600) * 3600 FROM refunds WHERE updated_at >= $1 AND succeeded_at IS NOT NULL AND succeeded_at < $2",
                ],
            )
        } else {
            (
                DAY,
                beijing_day_start(now),
                &[
                    "SELECT DISTINCT ((ts + 28800) / 86400) * 86400 - 28800 FROM events WHERE received_at >= $1 AND ts < $2",
                    "SELECT DISTINCT ((paid_at + 28800) / 86400) * 86400 - 28800 FROM orders WHERE updated_at >= $1 AND paid_at IS NOT NULL AND paid_at < $2",
                ],
            )
        };
        let spans: Vec<(i64, i64)> = if rolled == 0 {
            // The first run: everything before `until`, in one pass.
            vec![(0, until)]
        } else {
            let mut starts: Vec<i64> = Vec::new();
            let mut t = (rolled - 2 * width).max(0);
            while t < until {
                starts.push(t);
                t += width;
            }
            for sql in touched_sql {
                let more: Vec<i64> = sqlx::query_scalar(sql)
                    .bind(since)
                    .bind(until)
                    .fetch_all(&mut *tx)
                    .await?;
                starts.extend(more);
            }
            starts.sort_unstable();
            starts.dedup();
            ranges(&starts, width)
        };
        let (table, key, select) = if name == SALES {
            ("agg_sales_hour", "hour_start", sales_select())
        } else {
            ("agg_product_day", "day_start", PRODUCT_SELECT.to_string())
        };
        let insert = if name == SALES {
            format!("INSERT INTO agg_sales_hour (hour_start, paid_orders, gmv, refunds, refund_count) {select}")
        } else {
            format!("INSERT INTO agg_product_day (day_start, product_id, views, add_to_carts, orders, units, amount) {select}")
        };
        for (a, b) in &spans {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE {key} >= $1 AND {key} < $2"
            ))
            .bind(a)
            .bind(b)
            .execute(&mut *tx)
            .await?;
            done += sqlx::query(&insert)
                .bind(a)
                .bind(b)
                .execute(&mut *tx)
                .await?
                .rows_affected() as usize;
        }
        sqlx::query("UPDATE stats_rollups SET rolled_until = $1, checked_at = $2 WHERE name = $3")
            .bind(until.max(rolled))
            .bind(now)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touched_buckets_merge_into_ranges() {
        assert_eq!(ranges(&[], 10), vec![]);
        assert_eq!(
            ranges(&[0, 10, 20, 50, 70, 80], 10),
            vec![(0, 30), (50, 60), (70, 90)]
        );
    }
}
