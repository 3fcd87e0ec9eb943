//! Buying in a flash sale in Redis mode: take the units in Redis for each
//! sale of the attempt, place the order with the claims, then mark them
//! applied (or void them, which gives the units back) — see `redis`.

use std::sync::Arc;

use super::gate::{Admission, Refusal};
use super::redis::{Claimed, RedisStock};
use crate::db::Db;

/// A claim Redis granted, to be applied by the order or voided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub activity_id: String,
    pub claim: String,
    pub lines: Vec<(i64, u64)>,
}

/// How long a shopper waits while Redis is seeded from the database (or
/// restarts).
const SEEDING_RETRY_MS: u64 = 300;

/// Take the units of every sale of the attempt in Redis, all or none.
pub async fn claim(
    redis: &Arc<RedisStock>,
    db: &Db,
    admission: &Admission,
    user_id: i64,
    now: i64,
) -> anyhow::Result<Result<Vec<Held>, Refusal>> {
    let mut held = Vec::new();
    for sale in &admission.sales {
        let answer = redis
            .claim(&sale.activity_id, sale.window, user_id, &sale.lines, now)
            .await;
        let refused = match answer {
            Ok(Claimed::Granted(claim)) => {
                held.push(Held {
                    activity_id: sale.activity_id.clone(),
                    claim,
                    lines: sale.lines.clone(),
                });
                continue;
            }
            Ok(Claimed::Refused(r)) => r,
            Ok(Claimed::Unseeded) => Refusal::Queued {
                retry_after_ms: SEEDING_RETRY_MS,
            },
            // Redis unreachable (restarting): the shopper waits, nothing is taken.
            Err(e) => {
                tracing::warn!(error = %e, "flash sale: Redis unavailable, shoppers queued");
                Refusal::Queued {
                    retry_after_ms: SEEDING_RETRY_MS,
                }
            }
        };
        if let Refusal::Short {
            sku_id,
            available: 0,
        } = refused
        {
            admission.sold_out(sku_id);
        }
        settle(redis, db, &held, user_id, false, now).await;
        return Ok(Err(refused));
    }
    Ok(Ok(held))
}

/// After the order: applied when it was placed, else voided (units back).
/// Failures are left to the reconciler, which resolves pending claims.
pub async fn settle(
    redis: &Arc<RedisStock>,
    db: &Db,
    held: &[Held],
    user_id: i64,
    placed: bool,
    now: i64,
) {
    for h in held {
        let r = if placed {
            redis
                .applied(&h.activity_id, &h.claim)
                .await
                .map_err(anyhow::Error::from)
        } else {
            redis
                .void(db, &h.activity_id, &h.claim, user_id, &h.lines, now)
                .await
                .map(drop)
        };
        if let Err(e) = r {
            tracing::warn!(claim = %h.claim, error = %e, "flash claim left to the reconciler");
        }
    }
}
