//! 秒杀 stock buckets (migration 0021). A flash sale saved with
//! `stockBuckets` > 1 sets each SKU's quota aside from the SKU's stock, split
//! into that many rows by the core's `flash_buckets`. An order then takes its
//! units from one row (tried in the core's `flash_bucket_order` from the
//! order id) with one conditional UPDATE and touches neither the
//! `activity_skus` row nor the `skus` row, so concurrent orders of one SKU
//! lock different rows instead of queueing on the same two. What the rows
//! hold goes back to the SKU when the sale ends or is edited ([`return_all`]):
//! the rows are deleted with one `DELETE … RETURNING`, so each is returned
//! once even when two instances or an order race it.

use mall_core::flash::{flash_bucket_order, flash_buckets, FlashBucketsInput};
use std::collections::BTreeMap;

use sqlx::AnyConnection;

use super::ledger;

/// What [`take`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// The sale holds no buckets for the SKU: its quota is `activity_skus`'.
    NotInBuckets,
    Taken,
    /// No bucket holds the units any more.
    Short,
}

/// Take `quantity` units from one of the sale's buckets for the SKU.
pub async fn take(
    conn: &mut AnyConnection,
    activity_id: &str,
    sku_id: i64,
    quantity: i64,
    seed: u64,
) -> sqlx::Result<Take> {
    loop {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT bucket, stock FROM activity_stock_buckets WHERE activity_id = $1 AND sku_id = $2
             ORDER BY bucket",
        )
        .bind(activity_id)
        .bind(sku_id)
        .fetch_all(&mut *conn)
        .await?;
        if rows.is_empty() {
            return Ok(Take::NotInBuckets);
        }
        let order = flash_bucket_order(seed, rows.len() as u64).map_err(rule)?;
        let mut tried = false;
        for k in order {
            let (bucket, stock) = rows[k as usize];
            if stock < quantity {
                continue;
            }
            tried = true;
            let r = sqlx::query(
                "UPDATE activity_stock_buckets SET stock = stock - $1, sold = sold + $1
                 WHERE activity_id = $2 AND sku_id = $3 AND bucket = $4 AND stock >= $1",
            )
            .bind(quantity)
            .bind(activity_id)
            .bind(sku_id)
            .bind(bucket)
            .execute(&mut *conn)
            .await?;
            if r.rows_affected() == 1 {
                return Ok(Take::Taken);
            }
        }
        // Every bucket that had the units when read lost them to another
        // order in the meantime: read again (each pass means a unit sold).
        if !tried {
            return Ok(Take::Short);
        }
    }
}

fn rule(e: mall_core::RuleError) -> sqlx::Error {
    sqlx::Error::Protocol(format!("stock buckets: {e}"))
}

/// Give an unpaid order's units back to one of the sale's buckets; false
/// when the sale holds no buckets for the SKU any more (they go to the SKU).
pub async fn give_back(
    conn: &mut AnyConnection,
    activity_id: &str,
    sku_id: i64,
    quantity: i64,
    seed: i64,
) -> sqlx::Result<bool> {
    // No bucket left (the sale ended): the modulo is NULL and matches nothing.
    let r = sqlx::query(
        "UPDATE activity_stock_buckets SET stock = stock + $1, sold = sold - $1
         WHERE activity_id = $2 AND sku_id = $3
           AND bucket = $4 % NULLIF((SELECT COUNT(*) FROM activity_stock_buckets
                                     WHERE activity_id = $2 AND sku_id = $3), 0)",
    )
    .bind(quantity)
    .bind(activity_id)
    .bind(sku_id)
    .bind(seed.max(0))
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Set `units` of the SKU's stock aside for the sale in `buckets` rows.
/// `Err(available)` when the SKU has fewer units (nothing taken).
pub async fn set_aside(
    conn: &mut AnyConnection,
    activity_id: &str,
    sku_id: i64,
    units: i64,
    buckets: i64,
    at: i64,
) -> sqlx::Result<Result<(), i64>> {
    let split = flash_buckets(&FlashBucketsInput {
        stock: units.max(0) as u64,
        buckets: buckets.max(1) as u64,
    })
    .map_err(rule)?;
    let after: Option<i64> = sqlx::query_scalar(
        "UPDATE skus SET stock = stock - $1 WHERE id = $2 AND stock >= $1 RETURNING stock",
    )
    .bind(units)
    .bind(sku_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(after) = after else {
        return Ok(Err(crate::catalog::sku_stock(conn, sku_id).await?));
    };
    ledger::record(
        conn,
        sku_id,
        after + units,
        after,
        ledger::FLASH_SET_ASIDE,
        "merchant",
        None,
        at,
    )
    .await?;
    for (bucket, stock) in split.into_iter().enumerate() {
        sqlx::query(
            "INSERT INTO activity_stock_buckets (activity_id, sku_id, bucket, stock) VALUES ($1, $2, $3, $4)",
        )
        .bind(activity_id)
        .bind(sku_id)
        .bind(bucket as i64)
        .bind(stock as i64)
        .execute(&mut *conn)
        .await?;
    }
    Ok(Ok(()))
}

/// Give everything the sale's buckets hold back to the SKUs, the units they
/// sold counted in the SKUs' sales, and delete them; the sale's own quota
/// then reads 0 (`zero_quota`) or is replaced by the caller. Returns the
/// units given back.
pub async fn return_all(
    conn: &mut AnyConnection,
    activity_id: &str,
    zero_quota: bool,
    at: i64,
) -> sqlx::Result<i64> {
    // The delete is the claim: rows another instance returned first are not
    // returned here.
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "DELETE FROM activity_stock_buckets WHERE activity_id = $1 RETURNING sku_id, stock, sold",
    )
    .bind(activity_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut per_sku: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for (sku_id, stock, sold) in rows {
        let t = per_sku.entry(sku_id).or_default();
        t.0 += stock;
        t.1 += sold;
    }
    let mut returned = 0;
    for (sku_id, (stock, sold)) in per_sku {
        let after: i64 = sqlx::query_scalar(
            "UPDATE skus SET stock = stock + $1, sales = sales + $2 WHERE id = $3 RETURNING stock",
        )
        .bind(stock)
        .bind(sold)
        .bind(sku_id)
        .fetch_one(&mut *conn)
        .await?;
        if stock != 0 {
            ledger::record(
                conn,
                sku_id,
                after - stock,
                after,
                ledger::FLASH_RETURNED,
                "system",
                None,
                at,
            )
            .await?;
        }
        returned += stock;
        if zero_quota {
            sqlx::query(
                "UPDATE activity_skus SET stock = 0 WHERE activity_id = $1 AND sku_id = $2",
            )
            .bind(activity_id)
            .bind(sku_id)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(returned)
}

/// The job: return the buckets of every sale that has ended. Returns the
/// units given back.
pub async fn return_ended(db: &crate::db::Db, now: i64) -> anyhow::Result<i64> {
    let ended: Vec<String> = {
        let mut conn = db.pool.acquire().await?;
        sqlx::query_scalar(
            "SELECT DISTINCT b.activity_id FROM activity_stock_buckets b
             JOIN activities a ON a.id = b.activity_id WHERE a.ends_at <= $1",
        )
        .bind(now)
        .fetch_all(&mut *conn)
        .await?
    };
    let mut returned = 0;
    for activity in ended {
        let mut tx = db.begin_write().await?;
        let r = return_all(&mut tx, &activity, true, now).await;
        returned += crate::db::finish(tx, r).await?;
    }
    Ok(returned)
}
