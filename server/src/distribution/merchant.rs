//! The merchant's reads of distribution: the settings, the promoters, a
//! promoter's ledger, the withdrawals and a month's leaderboard. The merchant
//! API (`crate::http::distribution`) and the console
//! (`crate::http::admin::distribution`) answer with the same lists: each
//! handler parses its query, calls one of these and serializes the answer.

use super::leaderboard::{self, MerchantBoard};
use super::ledger::{self, Ledger};
use super::promoters::{self, Promoter, PromoterStatus};
use super::settings::{self, Settings};
use super::withdrawals::{self, Withdrawal};
use super::DistributionError;
use crate::db::Db;
use crate::paging::{Page, Paging};

/// The settings (defaults, switched off, until saved).
pub async fn settings(db: &Db) -> Result<Settings, DistributionError> {
    let mut conn = db.pool.acquire().await?;
    settings::load(&mut conn, "").await
}

/// Promoters and applications, newest first, optionally of one status.
pub async fn promoters(
    db: &Db,
    status: Option<PromoterStatus>,
    paging: Paging,
) -> Result<Page<Promoter>, DistributionError> {
    let mut conn = db.pool.acquire().await?;
    promoters::list(&mut conn, status, paging).await
}

/// A promoter's commission ledger, newest first, with the sums per state.
pub async fn ledger(db: &Db, promoter: i64, paging: Paging) -> Result<Ledger, DistributionError> {
    let mut conn = db.pool.acquire().await?;
    ledger::ledger(&mut conn, promoter, paging).await
}

/// Every promoter's withdrawals, newest first, in `state` ("": every state).
pub async fn withdrawals(
    db: &Db,
    state: &str,
    paging: Paging,
) -> Result<Page<Withdrawal>, DistributionError> {
    let mut conn = db.pool.acquire().await?;
    withdrawals::list(&mut conn, None, Some(state), paging).await
}

/// A month's ranking and the rewards granted for it.
pub async fn board(db: &Db, month: String) -> Result<MerchantBoard, DistributionError> {
    let mut conn = db.pool.acquire().await?;
    leaderboard::merchant_board(&mut conn, month).await
}
