//! Distribution (分销): the promoter chain and commission rule an order
//! snapshots at placement, and the commission ledger rows. The amounts are
//! the core's (`mall_core::commission`, `commission_reversal`); this module
//! stores them. Room for promoters, binding and payouts (the distribution
//! issue) in the same folder.

use mall_core::commission::{commission, CommissionInput, CommissionRule};
use mall_core::OrderSnapshot;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

/// The promoter chain and commission rule stored with an order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Distribution {
    pub rule: CommissionRule,
    pub promoters: Vec<String>,
}

/// One ledger row: a share earned (positive) or reversed (negative).
pub async fn insert_commission(
    conn: &mut AnyConnection,
    order_id: i64,
    after_sale_id: Option<i64>,
    level: i64,
    promoter: &str,
    amount: i64,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO commissions (order_id, after_sale_id, level, promoter_id, amount, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(order_id)
    .bind(after_sale_id)
    .bind(level)
    .bind(promoter)
    .bind(amount)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The commission an order earns when it is paid, from its stored chain
/// (`orders.distribution`) and snapshot; nothing for an order without one.
pub async fn earn_on_payment(
    conn: &mut AnyConnection,
    order_id: i64,
    distribution: Option<&str>,
    snapshot: &str,
    now: i64,
) -> anyhow::Result<()> {
    let Some(dist) = distribution else {
        return Ok(());
    };
    let d: Distribution = serde_json::from_str(dist)?;
    let order: OrderSnapshot = serde_json::from_str(snapshot)?;
    let c = commission(&CommissionInput {
        rule: d.rule,
        promoters: d.promoters,
        order,
        refunded: vec![],
    })?;
    for s in c.shares {
        insert_commission(
            &mut *conn,
            order_id,
            None,
            s.level as i64,
            &s.promoter_id,
            s.amount.as_fen(),
            now,
        )
        .await?;
    }
    Ok(())
}
