//! The shop's rules (`settings.shop_rules`) as the cart page and the checkout
//! quote read them: parsed once and kept for `MALL_RULES_CACHE_MS` (default
//! 1000; 0 = read every time). A save on this instance forgets them at once;
//! another instance's save shows here within that time. The order never reads
//! them from here: it re-reads them in its own transaction and refuses a quote
//! priced with other rules (`PRICE_CHANGED`), so a stale quote costs the
//! shopper one more confirmation, never a wrong charge.

use std::sync::Mutex;
use std::time::Instant;

use mall_core::ShopRules;
use sqlx::AnyConnection;

use super::load;

pub struct RulesCache {
    ttl_ms: u64,
    started: Instant,
    /// (read at, in ms since `started`; the rules without activities).
    held: Mutex<Option<(u64, ShopRules)>>,
}

impl RulesCache {
    pub fn new(ttl_ms: u64) -> RulesCache {
        RulesCache {
            ttl_ms,
            started: Instant::now(),
            held: Mutex::new(None),
        }
    }

    fn ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The rules, from memory when read less than the lifetime ago.
    pub async fn get(&self, conn: &mut AnyConnection) -> anyhow::Result<ShopRules> {
        if self.ttl_ms > 0 {
            let at = self.ms();
            if let Some((read, rules)) = &*self.held.lock().expect("rules cache lock") {
                if at.saturating_sub(*read) < self.ttl_ms {
                    return Ok(rules.clone());
                }
            }
        }
        let read = self.ms();
        let rules = load(conn).await?;
        if self.ttl_ms > 0 {
            *self.held.lock().expect("rules cache lock") = Some((read, rules.clone()));
        }
        Ok(rules)
    }

    /// Forget the rules (saved on this instance).
    pub fn forget(&self) {
        *self.held.lock().expect("rules cache lock") = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shop_rules::RULES_KEY;
    use sqlx::Connection;

    async fn conn_with(rules: &str) -> AnyConnection {
        sqlx::any::install_default_drivers();
        let mut c = AnyConnection::connect("sqlite::memory:").await.unwrap();
        sqlx::query("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            .execute(&mut c)
            .await
            .unwrap();
        set(&mut c, rules).await;
        c
    }

    async fn set(c: &mut AnyConnection, rules: &str) {
        crate::db::put_setting(c, RULES_KEY, rules).await.unwrap();
    }

    fn points_rate(r: &ShopRules) -> String {
        serde_json::to_value(r).unwrap()["points"].to_string()
    }

    #[tokio::test]
    async fn kept_for_its_lifetime_and_forgotten_on_a_save_here() {
        let mut c = conn_with("{}").await;
        let cache = RulesCache::new(60_000);
        let first = cache.get(&mut c).await.unwrap();
        assert_eq!(first, ShopRules::default());
        let changed = r#"{"points": {"pointsPerYuan": 100, "maxShare": "0.5"}}"#;
        set(&mut c, changed).await;
        // Another instance's save: not seen within the lifetime.
        assert_eq!(cache.get(&mut c).await.unwrap(), first);
        cache.forget();
        let now = cache.get(&mut c).await.unwrap();
        assert_ne!(now, first, "{}", points_rate(&now));
    }

    #[tokio::test]
    async fn a_lifetime_of_zero_reads_every_time() {
        let mut c = conn_with("{}").await;
        let cache = RulesCache::new(0);
        let first = cache.get(&mut c).await.unwrap();
        set(
            &mut c,
            r#"{"points": {"pointsPerYuan": 100, "maxShare": "0.5"}}"#,
        )
        .await;
        assert_ne!(cache.get(&mut c).await.unwrap(), first);
    }
}
