//! Buying a bargain through the normal checkout. A buy-now item with
//! `bargainId` becomes a line in the activity `bargain:<id>`, which exists
//! only for the bargain's own initiator while it is live: its one unit is
//! priced by the core from the stored schedule and the helps so far
//! (`bargain_price`: BARGAIN_FLOOR_NOT_REACHED before the floor unless the
//! activity allows it). Placing the order binds the bargain with one
//! conditional UPDATE and checks the price again under that row lock; stock is
//! taken by the order as for any line. An order cancelled or expired unpaid
//! gives the bargain back.

use mall_core::activity::{Activity, ActivityKind, ActivityPrice};
use mall_core::quote::QuotedLine;
use mall_core::{bargain_price, CartLine, RuleError};
use sqlx::AnyConnection;

use super::bargain::row;
use super::status::{Action, BargainStatus};

const PREFIX: &str = "bargain:";

/// The activity id a bargain's line carries.
pub fn activity_key(bargain_id: i64) -> String {
    format!("{PREFIX}{bargain_id}")
}

/// The bargain an activity id names, if it names one.
pub fn bargain_of(activity_id: &str) -> Option<i64> {
    activity_id.strip_prefix(PREFIX)?.parse().ok()
}

/// The activities pricing the lines that name the shopper's own live
/// bargains (a bargain of someone else, ordered or unknown gives none, so the
/// core reports the line as ACTIVITY_NOT_FOUND).
pub async fn price_activities(
    conn: &mut AnyConnection,
    user_id: i64,
    lines: &[CartLine],
) -> anyhow::Result<Result<Vec<Activity>, RuleError>> {
    let mut ids: Vec<i64> = lines
        .iter()
        .filter_map(|l| l.activity_id.as_deref().and_then(bargain_of))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::new();
    for id in ids {
        let Some(b) = row(&mut *conn, id).await? else {
            continue;
        };
        if b.user_id != user_id || !BargainStatus::sources(Action::Order).contains(&b.status) {
            continue;
        }
        let price = match bargain_price(&b.progress_input(b.plan()?, b.helped)) {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        out.push(Activity {
            activity_id: activity_key(id),
            kind: ActivityKind::Bargain,
            // The core wants a window that is not empty: a bargain ended (by
            // its activity) the second it started still reads as ended.
            starts_at: b.created_at.min(b.expires_at - 1),
            ends_at: b.expires_at,
            prices: vec![ActivityPrice {
                sku_id: b.sku_id.to_string(),
                price,
                stock: Some(1),
                leader_price: None,
            }],
            per_user_limit: Some(1),
            per_sku_limit: None,
            allow_coupons: false,
            allow_points: false,
            group_size: None,
        });
    }
    Ok(Ok(out))
}

/// Bind the order's bargain lines to their bargains (one conditional UPDATE
/// each, in the order's transaction), and check that the price the order
/// carries is the core's price from the schedule under that lock.
pub async fn bind_order(
    conn: &mut AnyConnection,
    user_id: i64,
    order_id: i64,
    lines: &[QuotedLine],
    now: i64,
) -> anyhow::Result<Result<(), RuleError>> {
    let from = BargainStatus::sources(Action::Order);
    for line in lines {
        let Some(id) = line.activity_id.as_deref().and_then(bargain_of) else {
            continue;
        };
        let bound: Option<i64> = sqlx::query_scalar(
            "UPDATE bargains SET status = $1, order_id = $2, updated_at = $3
             WHERE id = $4 AND user_id = $5 AND status IN ($6, $7) AND expires_at > $3
             RETURNING id",
        )
        .bind(BargainStatus::Ordered.as_str())
        .bind(order_id)
        .bind(now)
        .bind(id)
        .bind(user_id)
        .bind(from[0].as_str())
        .bind(from[1].as_str())
        .fetch_optional(&mut *conn)
        .await?;
        let Some(b) = (match bound {
            Some(_) => row(&mut *conn, id).await?,
            None => None,
        }) else {
            return Ok(Err(RuleError::ActivityNotFound {
                activity_id: activity_key(id),
                sku_id: line.sku_id.clone(),
            }));
        };
        let current = match bargain_price(&b.progress_input(b.plan()?, b.helped)) {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        if current != line.unit_price || line.quantity != 1 {
            return Ok(Err(RuleError::PriceChanged {
                sku_id: line.sku_id.clone(),
                seen: line.unit_price,
                current,
            }));
        }
    }
    Ok(Ok(()))
}

/// An unpaid order was cancelled or expired: its bargain is live again
/// (`floor` or `open` by its helps), or `expired` if its time is up.
pub async fn release_order(conn: &mut AnyConnection, order_id: i64, now: i64) -> sqlx::Result<()> {
    let from = BargainStatus::sources(Action::Release);
    sqlx::query(
        "UPDATE bargains SET order_id = NULL, updated_at = $1,
            status = CASE WHEN expires_at <= $1 THEN $2 WHEN helped >= helpers THEN $3 ELSE $4 END
         WHERE order_id = $5 AND status = $6",
    )
    .bind(now)
    .bind(BargainStatus::Expired.as_str())
    .bind(BargainStatus::Floor.as_str())
    .bind(BargainStatus::Open.as_str())
    .bind(order_id)
    .bind(from[0].as_str())
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bargain_line_names_its_bargain_and_nothing_else_does() {
        assert_eq!(bargain_of(&activity_key(42)), Some(42));
        assert_eq!(bargain_of("flash-1"), None);
        assert_eq!(bargain_of("bargain:x"), None);
    }
}
