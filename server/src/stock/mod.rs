//! Stock taking behind one interface: [`reserve`] when an order is placed
//! (database stock has no separate hold: the units are the order's from then
//! on), [`release`] when an unpaid order is cancelled or expires. Each is a
//! conditional UPDATE in the caller's transaction, so a unit is never sold
//! twice. The flash sale plugs its own admission in front of [`reserve`]
//! without checkout changing.

pub mod buckets;
pub mod ledger;

use sqlx::AnyConnection;

use crate::db;

/// Units of one SKU an order line takes, within an activity or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim<'a> {
    pub sku_id: i64,
    pub quantity: i64,
    /// The activity whose own quota the units also come from.
    pub activity_id: Option<&'a str>,
    /// The order taking them (its stock-ledger row names it).
    pub order_id: i64,
    pub at: i64,
}

/// Why a reservation was refused (nothing taken).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortage {
    /// The SKU has fewer units left.
    Sku,
    /// The activity's quota has fewer units left.
    Activity,
}

/// Take the units: the activity's quota when it has one, then the SKU's
/// stock (and sales counter). On a shortage the caller rolls its transaction
/// back, which returns anything taken before.
pub async fn reserve(
    conn: &mut AnyConnection,
    c: &Claim<'_>,
) -> sqlx::Result<Result<(), Shortage>> {
    if let Some(activity) = c.activity_id {
        // A sale in buckets: its units are set aside, the SKU's row untouched.
        match buckets::take(conn, activity, c.sku_id, c.quantity, c.order_id as u64).await? {
            buckets::Take::Taken => return Ok(Ok(())),
            buckets::Take::Short => return Ok(Err(Shortage::Activity)),
            buckets::Take::NotInBuckets => {}
        }
        let r = sqlx::query(
            "UPDATE activity_skus SET stock = CASE WHEN stock IS NULL THEN NULL ELSE stock - $1 END
             WHERE activity_id = $2 AND sku_id = $3 AND (stock IS NULL OR stock >= $1)",
        )
        .bind(c.quantity)
        .bind(activity)
        .bind(c.sku_id)
        .execute(&mut *conn)
        .await?;
        if r.rows_affected() != 1 {
            return Ok(Err(Shortage::Activity));
        }
    }
    if conn.backend_name() != "SQLite" {
        // PostgreSQL: the take and its ledger row in one statement.
        let mut batch = db::Batch::new();
        let taken = push_take(&mut batch, c);
        let changed = batch.run(conn).await?;
        return Ok(if changed[taken] == 1 {
            Ok(())
        } else {
            Err(Shortage::Sku)
        });
    }
    // SQLite has no UPDATE inside a WITH: two statements, in-process.
    let after: Option<i64> = sqlx::query_scalar(TAKE)
        .bind(c.quantity)
        .bind(c.sku_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(after) = after else {
        return Ok(Err(Shortage::Sku));
    };
    ledger::record(
        conn,
        c.sku_id,
        after + c.quantity,
        after,
        ledger::ORDER_PLACED,
        ORDER_ACTOR,
        Some(c.order_id),
        c.at,
    )
    .await?;
    Ok(Ok(()))
}

/// A take of the SKU's own stock, `$1` units of SKU `$2`: the stock it
/// left, or no row when it has fewer.
const TAKE: &str = "UPDATE skus SET stock = stock - $1, sales = sales + $1
                    WHERE id = $2 AND stock >= $1 RETURNING stock";

/// PostgreSQL: a take of the SKU's own stock (an activity's quota, if the
/// claim has one, is [`reserve`]'s to take first) and its ledger row, added
/// to a batch ([`reserve`]'s own, or the order's, where the
/// take needs no round trip of its own). Answers the batch index whose count
/// is the take's (1 taken, 0 short; on a shortage the caller rolls back,
/// which drops the batch's other writes).
pub fn push_take(batch: &mut db::Batch<'_>, c: &Claim<'_>) -> usize {
    let at = batch.len();
    let (taken, binder) = batch.push_returning(TAKE);
    binder.bind(c.quantity).bind(c.sku_id);
    batch
        .push(&format!(
            "{} SELECT $1, -$2, stock + $2, stock, $3, $4, $5, $6 FROM {taken}",
            ledger::INSERT
        ))
        .bind(c.sku_id)
        .bind(c.quantity)
        .bind(ledger::ORDER_PLACED)
        .bind(ORDER_ACTOR)
        .bind(c.order_id)
        .bind(c.at);
    at
}

/// The ledger's actor for units an order took.
const ORDER_ACTOR: &str = "shopper";

/// Units left in an activity's own quota for a SKU (0 when it has none left;
/// an unbounded quota reads as the largest count).
pub async fn activity_left(
    conn: &mut AnyConnection,
    activity_id: &str,
    sku_id: i64,
) -> sqlx::Result<u64> {
    let quota: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT stock FROM activity_skus_left WHERE activity_id = $1 AND sku_id = $2",
    )
    .bind(activity_id)
    .bind(sku_id)
    .fetch_optional(conn)
    .await?;
    Ok(match quota {
        Some(Some(n)) => n.max(0) as u64,
        Some(None) => mall_core::flash::MAX_COUNT,
        None => 0,
    })
}

/// Give back what an unpaid order's lines took.
pub async fn release(conn: &mut AnyConnection, order_id: i64, now: i64) -> sqlx::Result<()> {
    crate::flash::buyers::forget(conn, order_id).await?;
    let lines: Vec<(i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT sku_id, quantity, activity_id FROM order_lines WHERE order_id = $1 ORDER BY sku_id, activity_id",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?;
    for (sku, qty, activity) in lines {
        if let Some(a) = &activity {
            if buckets::give_back(conn, a, sku, qty, order_id).await? {
                continue;
            }
        }
        let after: i64 = sqlx::query_scalar(
            "UPDATE skus SET stock = stock + $1, sales = sales - $1 WHERE id = $2 RETURNING stock",
        )
        .bind(qty)
        .bind(sku)
        .fetch_one(&mut *conn)
        .await?;
        ledger::record(
            conn,
            sku,
            after - qty,
            after,
            ledger::ORDER_RELEASED,
            "system",
            Some(order_id),
            now,
        )
        .await?;
        if let Some(a) = activity {
            sqlx::query(
                "UPDATE activity_skus SET stock = stock + $1 WHERE activity_id = $2 AND sku_id = $3 AND stock IS NOT NULL",
            )
            .bind(qty)
            .bind(a)
            .bind(sku)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}
