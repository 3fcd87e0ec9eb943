//! Redis mode (`REDIS_URL`, PostgreSQL with several server instances): the
//! flash sale's units are taken in Redis first, by one Lua script that checks
//! the window, the shopper's limit and every SKU's units, takes them, records
//! the claim as pending and appends an intent to a stream. Only a shopper
//! Redis granted reaches the database, where the order still takes the units
//! with its conditional UPDATE (the database stays the truth).
//!
//! While any claim is pending, a shopper Redis cannot serve is told 排队中
//! (retry), not 已抢光: a pending order that fails gives its units back, and
//! the shoppers still asking take them, so no unit is shown sold out that
//! never became an order.
//!
//! Every claim is resolved exactly once in the database by its id
//! (`flash_claims`, primary key): **applied** in the order's transaction, or
//! **void** (the order failed, or its request died); only the one that wins
//! the insert of a void row gives the units back to Redis, and only if the
//! claim is still pending there.
//!
//! A reconciler (every second, and when units are released) resolves claims
//! left pending by a crash and compares, per SKU, the database's units left
//! minus the pending claims with Redis; after a difference (units released by
//! an unpaid order's timeout) or a Redis restart it re-seeds Redis from the
//! database, compare-and-set on a version every claim bumps.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::Script;
use sqlx::AnyConnection;

use super::gate::{Refusal, Window};
use crate::db::Db;

/// A pending claim older than this without a database row is void (its
/// request died between Redis and the database).
pub const VOID_AFTER_MS: u64 = 10_000;

/// How long a shopper refused while other claims are in flight waits before
/// asking again (their orders take milliseconds; a dead one is void after
/// [`VOID_AFTER_MS`]).
pub const PENDING_RETRY_MS: u64 = 200;

const CLAIM: &str = r#"
-- KEYS: users, pending, ver, seeded, intents, stock:<sku>...
-- ARGV: now, startsAt, endsAt, user, limit (0: none), claimId, nowMs, lines, qty...
if redis.call('EXISTS', KEYS[4]) == 0 then return {'unseeded'} end
local now = tonumber(ARGV[1])
if now < tonumber(ARGV[2]) then return {'notStarted'} end
if now >= tonumber(ARGV[3]) then return {'ended'} end
local total = 0
for i = 6, #KEYS do total = total + tonumber(ARGV[i + 3]) end
local limit = tonumber(ARGV[5])
if limit > 0 then
  local had = tonumber(redis.call('HGET', KEYS[1], ARGV[4]) or '0')
  if had + total > limit then return {'limit', tostring(had)} end
end
for i = 6, #KEYS do
  local left = tonumber(redis.call('GET', KEYS[i]) or '0')
  if left < tonumber(ARGV[i + 3]) then
    -- Claims in flight may still give units back (an order that fails is
    -- voided): 排队中, not 已抢光, until none is pending.
    if redis.call('HLEN', KEYS[2]) > 0 then return {'pending'} end
    return {'soldOut', tostring(i - 5), tostring(left)}
  end
end
for i = 6, #KEYS do redis.call('DECRBY', KEYS[i], ARGV[i + 3]) end
redis.call('HINCRBY', KEYS[1], ARGV[4], total)
redis.call('HSET', KEYS[2], ARGV[6], ARGV[7] .. '|' .. ARGV[4] .. '|' .. ARGV[8])
redis.call('INCR', KEYS[3])
redis.call('XADD', KEYS[5], 'MAXLEN', '~', '100000', '*', 'claim', ARGV[6], 'user', ARGV[4], 'lines', ARGV[8])
return {'ok'}
"#;

const COMPENSATE: &str = r#"
-- KEYS: users, pending, ver, stock:<sku>...; ARGV: claimId, user, total, qty...
if redis.call('HDEL', KEYS[2], ARGV[1]) == 0 then return 0 end
for i = 4, #KEYS do redis.call('INCRBY', KEYS[i], ARGV[i]) end
redis.call('HINCRBY', KEYS[1], ARGV[2], -tonumber(ARGV[3]))
redis.call('INCR', KEYS[3])
return 1
"#;

const SNAPSHOT: &str = r#"
-- KEYS: ver, seeded, pending, stock:<sku>...
local out = {redis.call('GET', KEYS[1]) or '0', redis.call('GET', KEYS[2]) or '0'}
local stocks = {}
for i = 4, #KEYS do stocks[#stocks + 1] = redis.call('GET', KEYS[i]) or '-1' end
out[3] = stocks
out[4] = redis.call('HGETALL', KEYS[3])
return out
"#;

const RESEED: &str = r#"
-- KEYS: ver, seeded, users, stock:<sku>...; ARGV: expectedVer, stock..., then user, count pairs
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
local n = #KEYS - 3
for i = 1, n do redis.call('SET', KEYS[i + 3], ARGV[i + 1]) end
redis.call('DEL', KEYS[3])
for i = n + 2, #ARGV, 2 do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]) end
redis.call('SET', KEYS[2], '1')
redis.call('INCR', KEYS[1])
return 1
"#;

/// The keys of one sale, in one hash slot (`{activity}`).
struct Keys {
    users: String,
    pending: String,
    ver: String,
    seeded: String,
    intents: String,
    prefix: String,
}

impl Keys {
    fn of(prefix: &str, activity: &str) -> Keys {
        let p = format!("{prefix}:flash:{{{activity}}}:");
        Keys {
            users: format!("{p}users"),
            pending: format!("{p}pending"),
            ver: format!("{p}ver"),
            seeded: format!("{p}seeded"),
            intents: format!("{p}intents"),
            prefix: p,
        }
    }

    fn stock(&self, sku: i64) -> String {
        format!("{}stock:{sku}", self.prefix)
    }
}

/// What Redis answered a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimed {
    Granted(String),
    Refused(Refusal),
    /// Redis holds nothing for the sale yet (or lost it): the reconciler is
    /// asked to seed it, the shopper to retry.
    Unseeded,
}

/// One pending claim as Redis records it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    claim: String,
    at_ms: u64,
    user: i64,
    lines: Vec<(i64, u64)>,
}

fn lines_text(lines: &[(i64, u64)]) -> String {
    lines
        .iter()
        .map(|(s, q)| format!("{s}:{q}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_pending(claim: &str, v: &str) -> Option<Pending> {
    let mut it = v.splitn(3, '|');
    let at_ms = it.next()?.parse().ok()?;
    let user = it.next()?.parse().ok()?;
    let lines = it
        .next()?
        .split(',')
        .map(|l| {
            let (s, q) = l.split_once(':')?;
            Some((s.parse().ok()?, q.parse().ok()?))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Pending {
        claim: claim.to_string(),
        at_ms,
        user,
        lines,
    })
}

fn wall_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

pub struct RedisStock {
    conn: ConnectionManager,
    prefix: String,
    claim: Script,
    compensate: Script,
    snapshot: Script,
    reseed: Script,
    /// Sales claimed on this instance: the reconciler keeps them in step.
    known: Mutex<BTreeSet<String>>,
    nudge: tokio::sync::Notify,
}

impl RedisStock {
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<RedisStock> {
        let client = redis::Client::open(url)?;
        let conn = ConnectionManager::new(client).await?;
        Ok(RedisStock {
            conn,
            prefix: prefix.to_string(),
            claim: Script::new(CLAIM),
            compensate: Script::new(COMPENSATE),
            snapshot: Script::new(SNAPSHOT),
            reseed: Script::new(RESEED),
            known: Mutex::new(BTreeSet::new()),
            nudge: tokio::sync::Notify::new(),
        })
    }

    /// Units came back in the database (or Redis needs seeding): reconcile now.
    pub fn nudge(&self) {
        self.nudge.notify_one();
    }

    /// Take `lines` (SKU, units) of `activity` for `user` in Redis.
    pub async fn claim(
        &self,
        activity: &str,
        w: Window,
        user: i64,
        lines: &[(i64, u64)],
        now: i64,
    ) -> redis::RedisResult<Claimed> {
        self.known
            .lock()
            .expect("known lock")
            .insert(activity.to_string());
        let k = Keys::of(&self.prefix, activity);
        let id = format!("{:032x}", rand::random::<u128>());
        let mut inv = self.claim.prepare_invoke();
        inv.key(&k.users)
            .key(&k.pending)
            .key(&k.ver)
            .key(&k.seeded)
            .key(&k.intents);
        for (sku, _) in lines {
            inv.key(k.stock(*sku));
        }
        inv.arg(now)
            .arg(w.starts_at)
            .arg(w.ends_at)
            .arg(user)
            .arg(w.per_user_limit.unwrap_or(0))
            .arg(&id)
            .arg(wall_ms())
            .arg(lines_text(lines));
        for (_, q) in lines {
            inv.arg(*q);
        }
        let r: Vec<String> = inv.invoke_async(&mut self.conn.clone()).await?;
        let at = |i: usize| r.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
        Ok(match r.first().map(String::as_str) {
            Some("ok") => Claimed::Granted(id),
            Some("notStarted") => Claimed::Refused(Refusal::NotStarted {
                activity_id: activity.into(),
                starts_at: w.starts_at,
            }),
            Some("ended") => Claimed::Refused(Refusal::Ended {
                activity_id: activity.into(),
                ended_at: w.ends_at,
            }),
            Some("limit") => {
                let limit = w.per_user_limit.unwrap_or(0);
                Claimed::Refused(Refusal::LimitReached {
                    activity_id: activity.into(),
                    sku_id: lines.first().map_or(0, |l| l.0),
                    limit,
                    already: at(1),
                })
            }
            Some("pending") => Claimed::Refused(Refusal::Queued {
                retry_after_ms: PENDING_RETRY_MS,
            }),
            Some("soldOut") => {
                let sku = lines
                    .get(at(1).saturating_sub(1) as usize)
                    .map_or(0, |l| l.0);
                Claimed::Refused(Refusal::Short {
                    sku_id: sku,
                    available: at(2),
                })
            }
            _ => {
                self.nudge();
                Claimed::Unseeded
            }
        })
    }

    /// The order holding the claim committed: it is no longer pending.
    pub async fn applied(&self, activity: &str, claim: &str) -> redis::RedisResult<()> {
        let k = Keys::of(&self.prefix, activity);
        redis::cmd("HDEL")
            .arg(&k.pending)
            .arg(claim)
            .query_async::<i64>(&mut self.conn.clone())
            .await
            .map(drop)
    }

    /// The claim's order failed: void it in the database and, if this call
    /// won the void, give its units back in Redis (once).
    pub async fn void(
        &self,
        db: &Db,
        activity: &str,
        claim: &str,
        user: i64,
        lines: &[(i64, u64)],
        now: i64,
    ) -> anyhow::Result<bool> {
        let mut conn = db.write_conn().await?;
        if !void_row(&mut conn, activity, claim, now).await? {
            return Ok(false);
        }
        drop(conn);
        self.give_back(activity, claim, user, lines).await?;
        Ok(true)
    }

    async fn give_back(
        &self,
        activity: &str,
        claim: &str,
        user: i64,
        lines: &[(i64, u64)],
    ) -> redis::RedisResult<()> {
        let k = Keys::of(&self.prefix, activity);
        let mut inv = self.compensate.prepare_invoke();
        inv.key(&k.users).key(&k.pending).key(&k.ver);
        for (sku, _) in lines {
            inv.key(k.stock(*sku));
        }
        inv.arg(claim)
            .arg(user)
            .arg(lines.iter().map(|l| l.1).sum::<u64>());
        for (_, q) in lines {
            inv.arg(*q);
        }
        inv.invoke_async::<i64>(&mut self.conn.clone())
            .await
            .map(drop)
    }

    /// Bring one sale's Redis state in step with the database; returns
    /// whether Redis was re-seeded.
    pub async fn reconcile(&self, db: &Db, activity: &str) -> anyhow::Result<bool> {
        let k = Keys::of(&self.prefix, activity);
        let mut conn = db.pool.acquire().await?;
        let skus: Vec<i64> = sqlx::query_scalar(
            "SELECT sku_id FROM activity_skus WHERE activity_id = $1 ORDER BY sku_id",
        )
        .bind(activity)
        .fetch_all(&mut *conn)
        .await?;
        let mut inv = self.snapshot.prepare_invoke();
        inv.key(&k.ver).key(&k.seeded).key(&k.pending);
        for sku in &skus {
            inv.key(k.stock(*sku));
        }
        let (ver, seeded, stocks, pending): (String, String, Vec<String>, Vec<String>) =
            inv.invoke_async(&mut self.conn.clone()).await?;
        let pending: Vec<Pending> = pending
            .chunks(2)
            .filter_map(|kv| parse_pending(&kv[0], kv.get(1)?))
            .collect();
        // One database snapshot, read after Redis's, for the claims' fate, the
        // quota and the shoppers' counts: read separately, an order committing
        // in between was counted as neither applied nor pending, and the sale
        // re-seeded one unit short until the next round (the two-instance
        // test saw 19 of 20 units sold).
        let db_view = db_snapshot(&mut conn, db, activity, &pending).await?;
        drop(conn);
        let (statuses, quota, mut users) = db_view;
        let now_ms = wall_ms();
        let (mut unresolved, mut raced) = (Vec::new(), false);
        for p in pending {
            match statuses.get(&p.claim).map(String::as_str) {
                Some("applied") => self.applied(activity, &p.claim).await?,
                Some(_) => self.give_back(activity, &p.claim, p.user, &p.lines).await?,
                None if now_ms.saturating_sub(p.at_ms) >= VOID_AFTER_MS => {
                    // Lost to the order (applied after the snapshot) or to
                    // its own void: the snapshot is stale for this claim.
                    raced |= !self
                        .void(db, activity, &p.claim, p.user, &p.lines, crate::db::now())
                        .await?;
                }
                None => unresolved.push(p),
            }
        }
        if raced {
            return Ok(false);
        }
        let mut expected: Vec<i64> = skus
            .iter()
            .map(|s| {
                quota
                    .get(s)
                    .copied()
                    .flatten()
                    .unwrap_or(mall_core::flash::MAX_COUNT as i64)
            })
            .collect();
        for p in &unresolved {
            for (sku, q) in &p.lines {
                if let Some(i) = skus.iter().position(|s| s == sku) {
                    expected[i] -= *q as i64;
                }
            }
        }
        let current: Vec<i64> = stocks.iter().map(|s| s.parse().unwrap_or(-1)).collect();
        if seeded == "1" && current == expected {
            return Ok(false);
        }
        for p in &unresolved {
            *users.entry(p.user).or_default() += p.lines.iter().map(|l| l.1 as i64).sum::<i64>();
        }
        let mut inv = self.reseed.prepare_invoke();
        inv.key(&k.ver).key(&k.seeded).key(&k.users);
        for sku in &skus {
            inv.key(k.stock(*sku));
        }
        inv.arg(&ver);
        for e in &expected {
            inv.arg((*e).max(0));
        }
        for (u, n) in &users {
            inv.arg(*u).arg(*n);
        }
        let done: i64 = inv.invoke_async(&mut self.conn.clone()).await?;
        if done == 1 {
            tracing::info!(
                activity,
                ?expected,
                "flash sale re-seeded in Redis from the database"
            );
        }
        Ok(done == 1)
    }

    /// The reconciler: every second and whenever nudged, for each sale this
    /// instance has seen.
    pub async fn run(&self, db: Db) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = self.nudge.notified() => {}
            }
            let sales: Vec<String> = self
                .known
                .lock()
                .expect("known lock")
                .iter()
                .cloned()
                .collect();
            for a in sales {
                if let Err(e) = self.reconcile(&db, &a).await {
                    tracing::warn!(activity = %a, error = %e, "flash sale reconcile failed");
                }
            }
        }
    }
}

/// Void a claim in the database unless it was applied; whether this call did.
pub async fn void_row(
    conn: &mut AnyConnection,
    activity: &str,
    claim: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO flash_claims (claim_id, activity_id, status, created_at) VALUES ($1, $2, 'void', $3)
         ON CONFLICT (claim_id) DO NOTHING",
    )
    .bind(claim)
    .bind(activity)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Record a claim applied by the order `order_id` (in the order's
/// transaction); false when it was voided first (too late: no order).
pub async fn apply_row(
    conn: &mut AnyConnection,
    activity: &str,
    claim: &str,
    order_id: i64,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO flash_claims (claim_id, activity_id, order_id, status, created_at) VALUES ($1, $2, $3, 'applied', $4)
         ON CONFLICT (claim_id) DO NOTHING",
    )
    .bind(claim)
    .bind(activity)
    .bind(order_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// What the database says, as of one snapshot: each pending claim's row,
/// the sale's quota per SKU, and each shopper's units in the sale.
type DbView = (
    BTreeMap<String, String>,
    BTreeMap<i64, Option<i64>>,
    BTreeMap<i64, i64>,
);

async fn db_snapshot(
    conn: &mut AnyConnection,
    db: &Db,
    activity: &str,
    pending: &[Pending],
) -> sqlx::Result<DbView> {
    use sqlx::Connection;
    let mut tx = conn.begin().await?;
    if db.backend == crate::db::Backend::Postgres {
        // SQLite's read transaction is one snapshot already (WAL).
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            .execute(&mut *tx)
            .await?;
    }
    let statuses = claim_statuses(&mut tx, pending).await?;
    let quota = sqlx::query_as::<_, (i64, Option<i64>)>(
        "SELECT sku_id, stock FROM activity_skus_left WHERE activity_id = $1",
    )
    .bind(activity)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    let users = sqlx::query_as::<_, (i64, i64)>(
        "SELECT o.user_id, CAST(SUM(ol.quantity) AS BIGINT)
         FROM order_lines ol JOIN orders o ON o.id = ol.order_id
         WHERE ol.activity_id = $1 AND o.status <> 'cancelled' GROUP BY o.user_id",
    )
    .bind(activity)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    tx.rollback().await?;
    Ok((statuses, quota, users))
}

async fn claim_statuses(
    conn: &mut AnyConnection,
    pending: &[Pending],
) -> sqlx::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for chunk in pending.chunks(200) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT claim_id, status FROM flash_claims WHERE claim_id IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query_as::<_, (String, String)>(&sql);
        for p in chunk {
            q = q.bind(&p.claim);
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_claim_reads_back_as_written() {
        let lines = [(13, 2), (14, 1)];
        let v = format!("{}|{}|{}", 1234, 7, lines_text(&lines));
        assert_eq!(
            parse_pending("c1", &v),
            Some(Pending {
                claim: "c1".into(),
                at_ms: 1234,
                user: 7,
                lines: lines.to_vec()
            })
        );
        assert_eq!(parse_pending("c1", "garbage"), None);
    }

    #[test]
    fn a_sales_keys_share_one_hash_slot() {
        let k = Keys::of("mall", "act-1");
        for key in [
            &k.users,
            &k.pending,
            &k.ver,
            &k.seeded,
            &k.intents,
            &k.stock(5),
        ] {
            assert!(key.starts_with("mall:flash:{act-1}:"), "{key}");
        }
    }
}
