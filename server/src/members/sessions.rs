//! A short-lived memory of session lookups: a shopper's checkout makes five
//! authenticated calls within a second, and each read the same `sessions`
//! row. An entry is kept for `MALL_SESSION_CACHE_MS` (default 1000; 0 turns
//! the cache off) and never past the session's own expiry. Logging out forgets
//! the entry on this instance at once; another instance may accept the token
//! for at most that long after the logout.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Entries above this are dropped wholesale (a cache, not a store).
const MAX_ENTRIES: usize = 100_000;

struct Entry {
    user_id: i64,
    expires_at: i64,
    read_ms: u64,
}

pub struct SessionCache {
    ttl_ms: u64,
    started: Instant,
    entries: Mutex<HashMap<String, Entry>>,
}

impl SessionCache {
    pub fn new(ttl_ms: u64) -> SessionCache {
        SessionCache {
            ttl_ms,
            started: Instant::now(),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The user of the session `token_hash` at unix second `now`, if it was
    /// read less than the cache's lifetime ago and has not expired.
    pub fn get(&self, token_hash: &str, now: i64) -> Option<i64> {
        if self.ttl_ms == 0 {
            return None;
        }
        let at = self.ms();
        let entries = self.entries.lock().expect("session cache lock");
        let e = entries.get(token_hash)?;
        (at.saturating_sub(e.read_ms) < self.ttl_ms && e.expires_at > now).then_some(e.user_id)
    }

    /// Remember a session just read from the database.
    pub fn put(&self, token_hash: &str, user_id: i64, expires_at: i64) {
        if self.ttl_ms == 0 {
            return;
        }
        let read_ms = self.ms();
        let mut entries = self.entries.lock().expect("session cache lock");
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            token_hash.to_string(),
            Entry {
                user_id,
                expires_at,
                read_ms,
            },
        );
    }

    /// Forget a session (logged out on this instance).
    pub fn forget(&self, token_hash: &str) {
        self.entries
            .lock()
            .expect("session cache lock")
            .remove(token_hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_lives_for_the_lifetime_but_never_past_the_sessions_expiry() {
        let c = SessionCache::new(60_000);
        c.put("a", 7, 1_000);
        assert_eq!(c.get("a", 999), Some(7));
        assert_eq!(c.get("a", 1_000), None, "expired session");
        assert_eq!(c.get("b", 10), None);
        c.forget("a");
        assert_eq!(c.get("a", 10), None);
    }

    #[test]
    fn an_entry_older_than_the_lifetime_is_read_again() {
        let c = SessionCache::new(1);
        c.put("a", 7, i64::MAX);
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(c.get("a", 0), None);
    }

    #[test]
    fn a_zero_lifetime_keeps_nothing() {
        let c = SessionCache::new(0);
        c.put("a", 7, i64::MAX);
        assert_eq!(c.get("a", 0), None);
    }
}
