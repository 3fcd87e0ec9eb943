//! Background work, started by the server as one tokio task, each job also
//! callable from tests with their own `now`: settle unpaid orders whose
//! notification never came (by query), confirm receipt N days after shipping,
//! send refunds not sent yet, remind of expiring coupons, return unaccepted
//! coupon gifts to their givers, make frozen commission available on time,
//! follow withdrawals' transfer bills (create again, query, cancel when
//! unconfirmed), reward last month's leaderboard, run the member campaigns
//! (周三会员日, dormant recall, …), rebuild the recommendation model, send
//! the outbox, give the stock buckets of ended flash sales back to their SKUs.

pub mod expiry;

use std::time::Duration;

use crate::db;
use crate::orders;
use crate::orders::{Action, OrderStatus};
use crate::state::AppState;

pub async fn run(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        if let Err(e) = run_once(&state, db::now()).await {
            tracing::error!(error = ?e, "background jobs failed");
        }
    }
}

/// Every job once, each isolated: a failing job is logged and the others
/// still run; the answer names the jobs that failed.
pub async fn run_once(state: &AppState, now: i64) -> anyhow::Result<()> {
    let mut failed = Vec::new();
    let mut check = |name: &'static str, r: anyhow::Result<()>| {
        if let Err(e) = r {
            tracing::error!(job = name, error = ?e, "background job failed");
            failed.push(name);
        }
    };
    check(
        "settle_unpaid",
        crate::payments::settle_unpaid(state, now, 60)
            .await
            .map(drop),
    );
    check(
        "reconcile_cancelled",
        crate::payments::reconcile_cancelled(state, now, 60)
            .await
            .map(drop),
    );
    check("auto_confirm", auto_confirm(state, now).await.map(drop));
    check("group_expiry", group_expiry(state, now).await.map(drop));
    check(
        "flash_buckets_returned",
        crate::stock::buckets::return_ended(&state.db, now)
            .await
            .map(drop),
    );
    check(
        "retry_refunds",
        crate::payments::retry_refunds(state, now).await.map(drop),
    );
    check(
        "coupon_reminders",
        crate::member_campaigns::expiry::run_due(state, now)
            .await
            .map(drop),
    );
    check(
        "upload_shipping_info",
        crate::shipping_info::send_due(state, now).await.map(drop),
    );
    check(
        "return_expired_gifts",
        crate::coupons::gift::return_expired(&state.db, now)
            .await
            .map(drop)
            .map_err(anyhow::Error::from),
    );
    check(
        "commissions_available",
        crate::distribution::ledger::release_due(&state.db, now)
            .await
            .map(drop)
            .map_err(anyhow::Error::from),
    );
    check(
        "withdrawals_sync",
        crate::distribution::withdrawals::sync(state, now)
            .await
            .map(drop),
    );
    check(
        "leaderboard_rewards",
        crate::distribution::leaderboard::month_end(&state.db, now)
            .await
            .map(drop)
            .map_err(|e| anyhow::anyhow!("{e}")),
    );
    check(
        "member_segments",
        crate::member_segments::recompute_due(&state.db, now)
            .await
            .map(drop),
    );
    check(
        "member_campaigns",
        crate::member_campaigns::run::run_due(&state.db, &state.config.templates, now)
            .await
            .map(drop),
    );
    check(
        "recommend_model",
        crate::recommend::model::rebuild_due(&state.db, &state.recs, now)
            .await
            .map(drop),
    );
    check(
        "send_outbox",
        crate::notify::send_due(state, now).await.map(drop),
    );
    check(
        "stats_rollups",
        crate::stats::rollup::run(&state.db, now).await.map(drop),
    );
    check(
        "exports",
        crate::exports::resume_due(state, now).await.map(drop),
    );
    if failed.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("jobs failed: {}", failed.join(", "))
    }
}

/// Groups past their expiry are decided (系统成团 or failed); a failed
/// group's refunds are sent after its commit (unsent ones are retried by
/// `retry_refunds`). Returns how many refunds were queued.
pub async fn group_expiry(state: &AppState, now: i64) -> anyhow::Result<usize> {
    let refunds = crate::group_buy::decide_expired(&state.db, &state.config.templates, now)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for id in &refunds {
        if let Err(e) = crate::payments::send_refund(state, *id, now).await {
            tracing::warn!(error = %e, "group refund not sent yet; will retry");
        }
    }
    Ok(refunds.len())
}

/// Shipped orders older than `auto_confirm_days` are confirmed received.
pub async fn auto_confirm(state: &AppState, now: i64) -> anyhow::Result<usize> {
    let due: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM orders WHERE status = $1 AND shipped_at <= $2 ORDER BY id LIMIT 500",
    )
    .bind(OrderStatus::Shipped.as_str())
    .bind(now - state.config.auto_confirm_days * 24 * 3600)
    .fetch_all(&state.db.pool)
    .await?;
    let mut done = 0;
    for id in due {
        let mut tx = state.db.begin_write().await?;
        match orders::transition(&mut tx, id, None, Action::ConfirmReceipt, "system", now).await {
            Ok(_) => {
                tx.commit().await?;
                done += 1;
            }
            Err(crate::orders::OrderError::IllegalTransition { .. }) => {}
            Err(e) => return Err(anyhow::anyhow!("auto-confirming order {id}: {e}")),
        }
    }
    Ok(done)
}
