//! Admission in front of the database (activities.md §1): a buyer who cannot
//! win is answered from memory. Per flash-sale SKU:
//!
//! - a **sold-out flag**, set when an order found the activity's quota at 0,
//!   cleared when units come back (an order cancelled or expired, the
//!   merchant saving the activity). The flag shares one atomic word with a
//!   generation number: a claim marks "sold out" only if no release happened
//!   since it was admitted, so a stale reading never hides returned units. A
//!   set flag still lets one attempt through every `recheck_ms`, which also
//!   covers units returned by another server instance;
//! - a **bound on claims in flight**; above it the shopper is told 排队中 and
//!   when to retry (the core's jittered `retryAfterMs`);
//! - **rate limits**: a token bucket per shopper (keyed by the session token,
//!   checked before the session is read) and, optionally, one per SKU.
//!
//! The window and the phase come from `mall_core::flash_state`. The gate only
//! refuses; everything it lets through is decided by the database.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use mall_core::flash::{flash_state, FlashPhase, FlashStateInput};

use super::FlashConfig;
use crate::db::Db;

/// Why an attempt was refused before the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotStarted {
        activity_id: String,
        starts_at: i64,
    },
    Ended {
        activity_id: String,
        ended_at: i64,
    },
    SoldOut {
        sku_id: i64,
    },
    /// Fewer units left than asked for (Redis mode's answer).
    Short {
        sku_id: i64,
        available: u64,
    },
    /// The shopper's limit in the sale (Redis mode's answer).
    LimitReached {
        activity_id: String,
        sku_id: i64,
        limit: u64,
        already: u64,
    },
    /// 排队中: try again after this many milliseconds.
    Queued {
        retry_after_ms: u64,
    },
}

/// A flash sale's window, as read from its activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub starts_at: i64,
    pub ends_at: i64,
    pub per_user_limit: Option<u64>,
}

struct Cached {
    /// None: no such activity, or not a flash sale (not gated).
    window: Option<Window>,
    loaded_ms: u64,
}

/// Integer token bucket: milli-tokens, refilled per elapsed millisecond.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    milli: u64,
    at_ms: u64,
}

impl Bucket {
    fn full(burst: u64, now_ms: u64) -> Bucket {
        Bucket {
            milli: burst.saturating_mul(1000),
            at_ms: now_ms,
        }
    }

    fn take(&mut self, burst: u64, per_sec: u64, now_ms: u64) -> bool {
        let refill = now_ms.saturating_sub(self.at_ms).saturating_mul(per_sec);
        self.milli = self
            .milli
            .saturating_add(refill)
            .min(burst.saturating_mul(1000));
        self.at_ms = now_ms;
        if self.milli >= 1000 {
            self.milli -= 1000;
            true
        } else {
            false
        }
    }
}

/// One flash-sale SKU's counters.
struct SkuGate {
    /// generation << 1 | sold out.
    flag: AtomicU64,
    /// When the flag was set or last let an attempt through (gate clock, ms).
    checked_ms: AtomicU64,
    in_flight: AtomicU64,
    rate: Mutex<Bucket>,
}

const SOLD_OUT: u64 = 1;

impl SkuGate {
    /// Clear the flag and start a new generation.
    fn release(&self) {
        let _ = self
            .flag
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |f| {
                Some(((f >> 1) + 1) << 1)
            });
    }
}

pub struct FlashGate {
    cfg: FlashConfig,
    started: Instant,
    hasher: RandomState,
    activities: Mutex<HashMap<String, Cached>>,
    skus: RwLock<HashMap<(String, i64), Arc<SkuGate>>>,
    users: Mutex<HashMap<u64, Bucket>>,
    /// Redis mode: units are taken there before the database.
    redis: Option<Arc<super::redis::RedisStock>>,
}

/// The claims an attempt holds while its order is placed; dropping it frees
/// their in-flight slots.
pub struct Admission {
    permits: Vec<Permit>,
    /// The flash sales this attempt buys in, with their lines (SKU, units).
    pub sales: Vec<Sale>,
    started_ms: u64,
}

/// One flash sale's lines in an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sale {
    pub activity_id: String,
    pub window: Window,
    pub lines: Vec<(i64, u64)>,
}

struct Permit {
    sku_id: i64,
    gate: Arc<SkuGate>,
    generation: u64,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.gate.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Admission {
    /// The order found no unit of this SKU left (its sale's quota or its
    /// stock): set the flag, unless units came back since this attempt was
    /// admitted. A SKU's stock refilled by the merchant is seen again within
    /// `recheck_ms`.
    pub fn sold_out(&self, sku_id: i64) {
        for p in self.permits.iter().filter(|p| p.sku_id == sku_id) {
            let g = p.generation << 1;
            if p.gate
                .flag
                .compare_exchange(g, g | SOLD_OUT, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                p.gate.checked_ms.store(self.started_ms, Ordering::Release);
            }
        }
    }

    /// The order was placed: a flag this attempt was let through to recheck
    /// was wrong (units had come back), so it is cleared.
    pub fn placed(&self) {
        for p in &self.permits {
            if p.gate.flag.load(Ordering::Acquire) == (p.generation << 1 | SOLD_OUT) {
                p.gate.release();
            }
        }
    }

    /// How many flash-sale SKUs this attempt holds a claim on.
    pub fn claims(&self) -> usize {
        self.permits.len()
    }
}

impl FlashGate {
    pub fn new(cfg: FlashConfig) -> FlashGate {
        FlashGate {
            cfg,
            started: Instant::now(),
            hasher: RandomState::new(),
            activities: Mutex::new(HashMap::new()),
            skus: RwLock::new(HashMap::new()),
            users: Mutex::new(HashMap::new()),
            redis: None,
        }
    }

    /// The same gate taking units in Redis first.
    pub fn with_redis(mut self, redis: Arc<super::redis::RedisStock>) -> FlashGate {
        self.redis = Some(redis);
        self
    }

    pub fn redis(&self) -> Option<&Arc<super::redis::RedisStock>> {
        self.redis.as_ref()
    }

    pub fn config(&self) -> &FlashConfig {
        &self.cfg
    }

    fn ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// A stable-per-process number for a token or user (retry jitter, buckets).
    pub fn seed_of(&self, key: &str) -> u64 {
        // 2^53 − 1 at most: the core's bound on counts and seeds.
        self.hasher.hash_one(key) & mall_core::flash::MAX_COUNT
    }

    fn sku(&self, activity_id: &str, sku_id: i64) -> Arc<SkuGate> {
        let key = (activity_id.to_string(), sku_id);
        if let Some(g) = self.skus.read().expect("gate lock").get(&key) {
            return g.clone();
        }
        let now = self.ms();
        self.skus
            .write()
            .expect("gate lock")
            .entry(key)
            .or_insert_with(|| {
                Arc::new(SkuGate {
                    flag: AtomicU64::new(0),
                    checked_ms: AtomicU64::new(0),
                    in_flight: AtomicU64::new(0),
                    rate: Mutex::new(Bucket::full(self.cfg.rate_per_sec, now)),
                })
            })
            .clone()
    }

    /// The flash sale's window, remembered for `activity_ttl_ms`; None when
    /// the activity is not a flash sale (or does not exist).
    pub async fn window(&self, db: &Db, activity_id: &str) -> sqlx::Result<Option<Window>> {
        let now = self.ms();
        if let Some(c) = self.activities.lock().expect("gate lock").get(activity_id) {
            if now.saturating_sub(c.loaded_ms) < self.cfg.activity_ttl_ms {
                return Ok(c.window);
            }
        }
        let row: Option<(String, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT kind, starts_at, ends_at, per_user_limit FROM activities WHERE id = $1",
        )
        .bind(activity_id)
        .fetch_optional(&db.pool)
        .await?;
        let window = row
            .filter(|r| r.0 == "flashSale" && r.1 < r.2)
            .map(|r| Window {
                starts_at: r.1,
                ends_at: r.2,
                per_user_limit: r.3.filter(|n| *n > 0).map(|n| n as u64),
            });
        let mut cache = self.activities.lock().expect("gate lock");
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(
            activity_id.to_string(),
            Cached {
                window,
                loaded_ms: now,
            },
        );
        Ok(window)
    }

    /// Claims in flight and whether the sold-out flag is set.
    pub fn counters(&self, activity_id: &str, sku_id: i64) -> (u64, bool) {
        let key = (activity_id.to_string(), sku_id);
        match self.skus.read().expect("gate lock").get(&key) {
            Some(g) => (
                g.in_flight.load(Ordering::Acquire),
                g.flag.load(Ordering::Acquire) & SOLD_OUT == SOLD_OUT,
            ),
            None => (0, false),
        }
    }

    /// Units came back (an unpaid order cancelled or expired): every flag is
    /// cleared, each flash SKU is tried against the database again.
    pub fn released(&self) {
        if let Some(r) = &self.redis {
            r.nudge();
        }
        for g in self.skus.read().expect("gate lock").values() {
            g.release();
        }
    }

    /// The merchant saved the activity: its window is read again and its
    /// flags are cleared.
    pub fn forget(&self, activity_id: &str) {
        self.activities
            .lock()
            .expect("gate lock")
            .remove(activity_id);
        for ((a, _), g) in self.skus.read().expect("gate lock").iter() {
            if a == activity_id {
                g.release();
            }
        }
    }

    /// The state the core gives this SKU from the gate's own knowledge.
    fn phase(&self, w: Window, g: &SkuGate, now: i64, seed: u64) -> Option<(FlashPhase, u64)> {
        let flagged = g.flag.load(Ordering::Acquire) & SOLD_OUT == SOLD_OUT;
        let units_left = if flagged && !self.recheck_due(g) {
            0
        } else {
            1
        };
        let s = flash_state(&FlashStateInput {
            starts_at: w.starts_at,
            ends_at: w.ends_at,
            now,
            units_left,
            in_flight: g.in_flight.load(Ordering::Acquire),
            max_in_flight: Some(self.cfg.max_in_flight.max(1)),
            user_bought: 0,
            per_user_limit: None,
            retry_seed: seed,
        })
        .ok()?;
        Some((s.phase, s.retry_after_ms.unwrap_or(0)))
    }

    /// One attempt per `recheck_ms` passes a set flag.
    fn recheck_due(&self, g: &SkuGate) -> bool {
        let now = self.ms();
        let last = g.checked_ms.load(Ordering::Acquire);
        now.saturating_sub(last) >= self.cfg.recheck_ms
            && g.checked_ms
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
    }

    /// The core's retry delay for a queued shopper.
    fn queued(&self, seed: u64) -> Refusal {
        let retry = flash_state(&FlashStateInput {
            starts_at: 0,
            ends_at: 1,
            now: 0,
            units_left: 1,
            in_flight: 1,
            max_in_flight: Some(1),
            user_bought: 0,
            per_user_limit: None,
            retry_seed: seed,
        })
        .ok()
        .and_then(|s| s.retry_after_ms)
        .unwrap_or(mall_core::flash::RETRY_BASE_MS);
        Refusal::Queued {
            retry_after_ms: retry,
        }
    }

    /// A shopper's retry of an attempt whose answer was lost (`X-Mall-Retry`):
    /// its order may exist already, which only the database knows (the
    /// idempotency key), so only the shopper's rate limit applies, and only
    /// when an item is in a flash sale (any other order passes untouched).
    pub async fn admit_retry(
        &self,
        db: &Db,
        token: &str,
        items: &[(&str, i64, u64)],
    ) -> sqlx::Result<Result<Admission, Refusal>> {
        let mut in_sale = false;
        for &(activity_id, _, _) in items {
            if !activity_id.is_empty() && self.window(db, activity_id).await?.is_some() {
                in_sale = true;
                break;
            }
        }
        let seed = self.seed_of(token);
        let now_ms = self.ms();
        if in_sale && !self.take_user(seed, now_ms) {
            return Ok(Err(self.queued(seed)));
        }
        Ok(Ok(Admission {
            permits: Vec::new(),
            sales: Vec::new(),
            started_ms: now_ms,
        }))
    }

    /// Admit an attempt to buy `items` (activity id, SKU id) with the session
    /// `token`, or refuse it. Items outside a flash sale pass untouched.
    /// Reads the database only to learn an activity's window (then cached).
    pub async fn admit(
        &self,
        db: &Db,
        token: &str,
        items: &[(&str, i64, u64)],
        now: i64,
    ) -> sqlx::Result<Result<Admission, Refusal>> {
        let seed = self.seed_of(token);
        let mut flash: Vec<(&str, i64, u64, Window, Arc<SkuGate>)> = Vec::new();
        for &(activity_id, sku_id, qty) in items {
            if activity_id.is_empty() {
                continue;
            }
            if let Some(f) = flash
                .iter_mut()
                .find(|f| f.0 == activity_id && f.1 == sku_id)
            {
                f.2 += qty;
                continue;
            }
            let Some(w) = self.window(db, activity_id).await? else {
                continue;
            };
            let g = self.sku(activity_id, sku_id);
            match self.phase(w, &g, now, seed) {
                Some((FlashPhase::NotStarted, _)) => {
                    return Ok(Err(Refusal::NotStarted {
                        activity_id: activity_id.into(),
                        starts_at: w.starts_at,
                    }))
                }
                Some((FlashPhase::Ended, _)) => {
                    return Ok(Err(Refusal::Ended {
                        activity_id: activity_id.into(),
                        ended_at: w.ends_at,
                    }))
                }
                Some((FlashPhase::SoldOut, _)) => return Ok(Err(Refusal::SoldOut { sku_id })),
                Some((FlashPhase::Queued, ms)) => {
                    return Ok(Err(Refusal::Queued { retry_after_ms: ms }))
                }
                _ => flash.push((activity_id, sku_id, qty, w, g)),
            }
        }
        let now_ms = self.ms();
        if flash.is_empty() {
            return Ok(Ok(Admission {
                permits: Vec::new(),
                sales: Vec::new(),
                started_ms: now_ms,
            }));
        }
        if !self.take_user(seed, now_ms) {
            return Ok(Err(self.queued(seed)));
        }
        let mut permits = Vec::with_capacity(flash.len());
        let mut sales: Vec<Sale> = Vec::new();
        for (activity_id, sku_id, qty, w, g) in flash {
            if self.cfg.rate_per_sec > 0
                && !g.rate.lock().expect("gate lock").take(
                    self.cfg.rate_per_sec,
                    self.cfg.rate_per_sec,
                    now_ms,
                )
            {
                return Ok(Err(self.queued(seed)));
            }
            let generation = g.flag.load(Ordering::Acquire) >> 1;
            let max = self.cfg.max_in_flight.max(1);
            if g.in_flight
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    (n < max).then_some(n + 1)
                })
                .is_err()
            {
                return Ok(Err(self.queued(seed)));
            }
            permits.push(Permit {
                sku_id,
                gate: g,
                generation,
            });
            match sales.iter_mut().find(|s| s.activity_id == activity_id) {
                Some(s) => s.lines.push((sku_id, qty)),
                None => sales.push(Sale {
                    activity_id: activity_id.to_string(),
                    window: w,
                    lines: vec![(sku_id, qty)],
                }),
            }
        }
        Ok(Ok(Admission {
            permits,
            sales,
            started_ms: now_ms,
        }))
    }

    fn take_user(&self, seed: u64, now_ms: u64) -> bool {
        let (burst, per_sec) = (self.cfg.user_burst.max(1), self.cfg.user_per_sec);
        let mut users = self.users.lock().expect("gate lock");
        if users.len() > 100_000 {
            // Shoppers idle for a minute start again with a full bucket anyway.
            users.retain(|_, b| now_ms.saturating_sub(b.at_ms) < 60_000);
        }
        users
            .entry(seed)
            .or_insert_with(|| Bucket::full(burst, now_ms))
            .take(burst, per_sec, now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> FlashConfig {
        FlashConfig {
            max_in_flight: 2,
            rate_per_sec: 0,
            user_burst: 3,
            user_per_sec: 1,
            recheck_ms: 60_000,
            activity_ttl_ms: 60_000,
            ..FlashConfig::defaults()
        }
    }

    fn gate_with(window: Window) -> FlashGate {
        primed(FlashGate::new(cfg()), window)
    }

    /// The sale `fs` with `window`, as if read from the database.
    fn primed(g: FlashGate, window: Window) -> FlashGate {
        g.activities.lock().unwrap().insert(
            "fs".into(),
            Cached {
                window: Some(window),
                loaded_ms: 0,
            },
        );
        g
    }

    async fn db() -> Db {
        // Only an uncached window reads it; these tests prime the cache.
        let dir = std::env::temp_dir().join(format!(
            "mall-gate-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        Db::connect(&format!("sqlite://{}/gate.db", dir.display()), 1)
            .await
            .unwrap()
    }

    const W: Window = Window {
        starts_at: 100,
        ends_at: 200,
        per_user_limit: None,
    };

    #[tokio::test]
    async fn the_window_is_answered_from_memory() {
        let (g, db) = (gate_with(W), db().await);
        let r = g.admit(&db, "t", &[("fs", 1, 1)], 99).await.unwrap();
        assert!(matches!(r, Err(Refusal::NotStarted { starts_at: 100, .. })));
        let r = g.admit(&db, "t", &[("fs", 1, 1)], 200).await.unwrap();
        assert!(matches!(r, Err(Refusal::Ended { ended_at: 200, .. })));
    }

    #[tokio::test]
    async fn claims_above_the_bound_queue_and_a_dropped_claim_frees_its_slot() {
        let (g, db) = (gate_with(W), db().await);
        let a = g
            .admit(&db, "a", &[("fs", 1, 1)], 150)
            .await
            .unwrap()
            .unwrap();
        let b = g
            .admit(&db, "b", &[("fs", 1, 1)], 150)
            .await
            .unwrap()
            .unwrap();
        let r = g.admit(&db, "c", &[("fs", 1, 1)], 150).await.unwrap();
        let Err(Refusal::Queued { retry_after_ms }) = r else {
            panic!("{:?}", r.err())
        };
        assert!((500..1000).contains(&retry_after_ms));
        drop(a);
        assert!(g
            .admit(&db, "c", &[("fs", 1, 1)], 150)
            .await
            .unwrap()
            .is_ok());
        assert_eq!(b.claims(), 1);
    }

    #[tokio::test]
    async fn a_sold_out_flag_refuses_until_units_come_back() {
        let (g, db) = (gate_with(W), db().await);
        let a = g
            .admit(&db, "a", &[("fs", 1, 1)], 150)
            .await
            .unwrap()
            .unwrap();
        a.sold_out(1);
        drop(a);
        assert_eq!(
            g.admit(&db, "b", &[("fs", 1, 1)], 150).await.unwrap().err(),
            Some(Refusal::SoldOut { sku_id: 1 })
        );
        // Another SKU of the same sale is not affected.
        assert!(g
            .admit(&db, "b", &[("fs", 2, 1)], 150)
            .await
            .unwrap()
            .is_ok());
        g.released();
        assert!(g
            .admit(&db, "c", &[("fs", 1, 1)], 150)
            .await
            .unwrap()
            .is_ok());
    }

    #[tokio::test]
    async fn a_stale_reading_does_not_set_the_flag_after_a_release() {
        let (g, db) = (gate_with(W), db().await);
        // Admitted, then units come back before its order reads 0.
        let a = g
            .admit(&db, "a", &[("fs", 1, 1)], 150)
            .await
            .unwrap()
            .unwrap();
        g.released();
        a.sold_out(1);
        drop(a);
        assert!(g
            .admit(&db, "b", &[("fs", 1, 1)], 150)
            .await
            .unwrap()
            .is_ok());
    }

    #[tokio::test]
    async fn a_set_flag_lets_one_attempt_through_per_recheck_period() {
        let g = primed(
            FlashGate::new(FlashConfig {
                recheck_ms: 0,
                ..cfg()
            }),
            W,
        );
        let db = db().await;
        let a = g
            .admit(&db, "a", &[("fs", 1, 1)], 150)
            .await
            .unwrap()
            .unwrap();
        a.sold_out(1);
        drop(a);
        // recheck_ms = 0: the next attempt goes to the database, and when it
        // places its order the flag is cleared.
        let b = g
            .admit(&db, "b", &[("fs", 1, 1)], 150)
            .await
            .unwrap()
            .unwrap();
        b.placed();
        assert_eq!(g.counters("fs", 1), (1, false));
    }

    #[tokio::test]
    async fn a_shopper_gets_a_burst_then_the_refill_rate() {
        let (g, db) = (gate_with(W), db().await);
        for _ in 0..3 {
            drop(
                g.admit(&db, "same", &[("fs", 1, 1)], 150)
                    .await
                    .unwrap()
                    .unwrap(),
            );
        }
        assert!(matches!(
            g.admit(&db, "same", &[("fs", 1, 1)], 150).await.unwrap(),
            Err(Refusal::Queued { .. })
        ));
        // Someone else is not held back.
        assert!(g
            .admit(&db, "other", &[("fs", 1, 1)], 150)
            .await
            .unwrap()
            .is_ok());
    }

    #[tokio::test]
    async fn items_outside_a_flash_sale_pass_without_a_claim() {
        let (g, db) = (gate_with(W), db().await);
        g.activities.lock().unwrap().insert(
            "group".into(),
            Cached {
                window: None,
                loaded_ms: 0,
            },
        );
        let a = g
            .admit(&db, "t", &[("", 1, 1), ("group", 2, 1)], 150)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.claims(), 0);
    }
}
