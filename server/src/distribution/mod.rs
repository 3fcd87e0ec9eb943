//! Distribution (分销): the merchant's settings, promoters, the binding of a
//! new shopper to the promoter whose share token brought them, the promoter
//! chain and commission rule an order snapshots at placement, and the
//! commission ledger with its states. The amounts are the core's
//! (`mall_core::commission`, `commission_reversal`); this module stores them.
//!
//! * `settings`: on/off, everyone | approval, 1 or 2 levels and their rates,
//!   self-purchase, binding days, frozen days.
//! * `promoters`: become / apply, the merchant's decision, the list.
//! * `binding`: first touch, new users only, no self-binding, no cycles; the
//!   chain an order snapshots.
//! * `ledger`: PENDING (paid) → FROZEN (received) → AVAILABLE (the job, after
//!   the after-sales window and the frozen days); reversals are negative rows
//!   that follow their order's entries, so a balance never loses one.
//! * `center`: the promoter center (earnings by state, team counts, orders).
//! * `account`: the withdrawable balance, debited by one conditional UPDATE.
//! * `withdrawals`: payouts through WeChat Pay's 商家转账 (user-confirm mode).
//! * `leaderboard`: the Beijing-month ranking and its month-end rewards.
//! * `merchant`: the merchant's reads (settings, promoters, a ledger,
//!   withdrawals, the leaderboard), for the merchant API and the console.

pub mod account;
pub mod binding;
pub mod center;
pub mod leaderboard;
pub mod ledger;
pub mod merchant;
pub mod promoters;
pub mod settings;
pub mod withdrawals;

use mall_core::commission::{commission, CommissionInput, CommissionRule};
use mall_core::{OrderSnapshot, RuleError};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

/// The promoter chain and commission rule stored with an order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Distribution {
    pub rule: CommissionRule,
    pub promoters: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DistributionError {
    #[error("distribution is switched off")]
    Disabled,
    #[error("the promoter application has been decided already")]
    PromoterState,
    #[error("not an approved promoter")]
    NotPromoter,
    #[error("below the minimum withdrawal of {min} fen")]
    BelowMinimum { min: i64 },
    #[error("the balance ({available} fen) does not cover the withdrawal")]
    Insufficient { available: i64 },
    #[error("over the daily cap of {cap} fen ({left} left today)")]
    DailyCap { cap: i64, left: i64 },
    #[error("the withdrawal is not under review")]
    WithdrawalState,
    #[error("{0}: {1}")]
    Invalid(&'static str, String),
    /// Rates that do not fit the levels, or add up to more than 1.
    #[error("rates: {0}")]
    Rates(String),
    /// A daily cap below the minimum withdrawal.
    #[error("withdrawal limits: {0}")]
    Limits(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

/// One ledger row: a share earned (positive) or reversed (negative); see
/// [`ledger::insert`] for the state it starts in.
pub async fn insert_commission(
    conn: &mut AnyConnection,
    order_id: i64,
    after_sale_id: Option<i64>,
    level: i64,
    promoter: &str,
    amount: i64,
    now: i64,
) -> sqlx::Result<()> {
    ledger::insert(
        conn,
        &ledger::NewEntry {
            order_id,
            after_sale_id,
            level,
            promoter,
            amount,
        },
        now,
    )
    .await
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
