//! Unpaid orders expire: a background sweep cancels every pending order past
//! its `expires_at` through the state machine (`Action::Expire`), which gives
//! back stock, activity quota, coupons and points in the same transaction.
//! Expired sessions are deleted by the same sweep.

use std::time::Duration;

use crate::db;
use crate::orders;
use crate::orders::Action;
use crate::state::AppState;

pub async fn run(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        if let Err(e) = sweep(&state).await {
            tracing::error!(error = ?e, "order expiry sweep failed");
        }
    }
}

/// Expire what is due now; returns how many orders were closed.
pub async fn sweep(state: &AppState) -> anyhow::Result<usize> {
    let now = db::now();
    let due = {
        let mut conn = state.db.pool.acquire().await?;
        orders::expired(&mut conn, now, 500).await?
    };
    let mut closed = 0;
    for id in due {
        // Asked WeChat Pay first: paid after all → settled, not expired.
        let prepay: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT order_no, prepay_id FROM orders WHERE id = $1")
                .bind(id)
                .fetch_optional(&state.db.pool)
                .await?;
        if let Some((no, Some(_))) = prepay {
            match crate::payments::settle_or_close_before_expiry(state, &no, now).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(order_no = %no, error = %e, "not expired: WeChat Pay unreachable");
                    continue;
                }
            }
        }
        let mut tx = state.db.begin_write().await?;
        match orders::transition(&mut tx, id, None, Action::Expire, "system", now).await {
            Ok(_) => {
                tx.commit().await?;
                closed += 1;
            }
            // Paid or cancelled in the meantime: nothing to do.
            Err(crate::orders::OrderError::IllegalTransition { .. }) => {}
            Err(e) => return Err(anyhow::anyhow!("expiring order {id}: {e}")),
        }
    }
    if closed > 0 {
        // Committed: their units are sellable again, past any sold-out flag.
        state.flash.released();
        tracing::info!(closed, "expired unpaid orders");
    }
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *state.db.write_conn().await?)
        .await?;
    Ok(closed)
}
