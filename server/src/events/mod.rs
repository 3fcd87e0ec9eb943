//! Shopper events (docs/metrics.md): the mini-program's batches are checked
//! here ([`validate`]), stored append-only and deduplicated by the client's
//! UUID ([`ingest`]), and folded into one row per session (`session_facts`,
//! the closed funnel) and one per Beijing day and visitor (`visitor_days`,
//! exact visitors). Orders paid are never taken from the client: payment
//! pushes [`push_order_paid`], which marks the buyer's session paid and
//! attributes the order to it.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::clock::beijing_day_start;
use crate::db::Db;

/// Events per batch.
pub const MAX_BATCH: usize = 50;
/// `sessionId`, `visitorId`: ASCII letters, digits, `-` and `_`.
pub const MAX_ID: usize = 64;
/// Our own channel parameter `ch` (letters, digits, `-`, `_`, `.`).
pub const MAX_CH: usize = 32;
/// A page path.
pub const MAX_PAGE_PATH: usize = 128;
/// A search keyword (as `/api/search`).
pub const MAX_KEYWORD: usize = 50;
/// WeChat scene codes are four digits; anything up to this is kept.
pub const MAX_SCENE: i64 = 99_999;
/// Largest product / SKU id and quantity accepted.
pub const MAX_ID_NUMBER: i64 = 9_007_199_254_740_991;
pub const MAX_QTY: i64 = 9_999;
/// The client's `ts` is milliseconds since the epoch (`Date.now()`); a time
/// further than this before the receive time, or after it, is replaced by
/// the receive time (a wrong phone clock must not move a sale to 1970).
pub const MAX_AGE_SECS: i64 = 7 * 86_400;
pub const MAX_AHEAD_SECS: i64 = 600;
/// The largest `ts` the schema allows (ms; JavaScript's safe integers).
pub const MAX_TS_MS: i64 = 9_007_199_254_740_991;

/// The event names the client may send.
pub const NAMES: [&str; 10] = [
    "app_show",
    "page_view",
    "product_view",
    "add_to_cart",
    "checkout_start",
    "share",
    "coupon_claim",
    "search",
    "rec_impression",
    "rec_click",
];

/// The recommendation slots a `rec_impression` / `rec_click` names
/// (`props.slot`, required there with `props.productId`).
pub const REC_SLOTS: [&str; 3] = ["home", "product", "cart"];

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("a batch holds 1 to {max} events, not {got}")]
    BatchSize { got: usize, max: usize },
    #[error("unknown event name {name:?} at {index}")]
    UnknownName { index: usize, name: String },
    #[error("event {index}: {field}: {reason}")]
    Invalid {
        index: usize,
        field: &'static str,
        reason: String,
    },
    /// A schema-valid event whose props do not fit its name: a
    /// recommendation event without `slot` or `productId`, or `slot` on
    /// another event.
    #[error("event {index}: {reason}")]
    RecSlot { index: usize, reason: &'static str },
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Batch {
    pub events: Vec<RawEvent>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawEvent {
    pub uuid: String,
    pub name: String,
    /// Milliseconds since the epoch (the client's `Date.now()`).
    pub ts: i64,
    pub session_id: String,
    pub visitor_id: String,
    #[serde(default)]
    pub props: RawProps,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawProps {
    pub scene: Option<i64>,
    pub ch: Option<String>,
    pub product_id: Option<i64>,
    pub sku_id: Option<i64>,
    pub qty: Option<i64>,
    pub page: Option<String>,
    pub keyword: Option<String>,
    pub slot: Option<String>,
}

/// A checked event, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub uuid: String,
    pub name: &'static str,
    /// Unix seconds.
    pub ts: i64,
    pub session: String,
    pub visitor: String,
    pub scene: Option<i64>,
    pub ch: String,
    pub product_id: Option<i64>,
    pub sku_id: Option<i64>,
    /// The recommendation slot (`rec_impression`, `rec_click` only).
    pub slot: Option<&'static str>,
    /// The remaining props (`qty`, `page`, `keyword`, `slot`) as JSON text.
    pub props: String,
}

/// What a batch did: stored, and already there (a retry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ingested {
    pub accepted: usize,
    pub duplicates: usize,
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Whether `c` can be our channel parameter `ch` (a share token's channel too).
pub fn is_channel(c: &str) -> bool {
    ascii_id(c, MAX_CH, b".")
}

fn ascii_id(s: &str, max: usize, extra: &[u8]) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || extra.contains(&c))
}

/// A one-line text: trimmed, at most `max` characters, no control or
/// direction-override characters (the rule of the API's other texts).
fn text(s: &str, max: usize) -> Result<String, String> {
    let t = s.trim();
    if t.chars().count() > max {
        return Err(format!("at most {max} characters"));
    }
    let bad = |c: char| {
        c.is_control()
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
    };
    if t.chars().any(bad) {
        return Err("control or direction-override characters are not allowed".into());
    }
    Ok(t.to_string())
}

/// The event's time in unix seconds: the client's milliseconds when they
/// fall within [`MAX_AGE_SECS`] before and [`MAX_AHEAD_SECS`] after the
/// receive time, the receive time otherwise.
pub fn event_time(ts_ms: i64, received_at: i64) -> i64 {
    let t = ts_ms.div_euclid(1000);
    if t < received_at - MAX_AGE_SECS || t > received_at + MAX_AHEAD_SECS {
        received_at
    } else {
        t
    }
}

/// Check a batch: 1..=[`MAX_BATCH`] events, known names, canonical UUIDs,
/// bounded ids and texts.
pub fn validate(batch: Batch, received_at: i64) -> Result<Vec<Event>, EventError> {
    let n = batch.events.len();
    if n == 0 || n > MAX_BATCH {
        return Err(EventError::BatchSize {
            got: n,
            max: MAX_BATCH,
        });
    }
    let mut out = Vec::with_capacity(n);
    for (index, e) in batch.events.into_iter().enumerate() {
        let invalid = |field: &'static str, reason: &str| EventError::Invalid {
            index,
            field,
            reason: reason.to_string(),
        };
        let name = NAMES
            .iter()
            .find(|n| **n == e.name)
            .ok_or_else(|| EventError::UnknownName {
                index,
                name: e.name.chars().take(64).collect(),
            })?;
        if !is_uuid(&e.uuid) {
            return Err(invalid("uuid", "a UUID: 8-4-4-4-12 hexadecimal digits"));
        }
        if !(0..=MAX_TS_MS).contains(&e.ts) {
            return Err(invalid("ts", "milliseconds since 1970, not negative"));
        }
        let id_rule = format!("1 to {MAX_ID} letters, digits, - or _");
        if !ascii_id(&e.session_id, MAX_ID, b"") {
            return Err(invalid("sessionId", &id_rule));
        }
        if !ascii_id(&e.visitor_id, MAX_ID, b"") {
            return Err(invalid("visitorId", &id_rule));
        }
        let p = e.props;
        let ch = match p.ch.as_deref().map(str::trim) {
            None | Some("") => String::new(),
            Some(c) if is_channel(c) => c.to_string(),
            Some(_) => {
                return Err(invalid(
                    "props.ch",
                    &format!("at most {MAX_CH} letters, digits, -, _ or ."),
                ))
            }
        };
        let bounded = |field: &'static str, v: Option<i64>, min: i64, max: i64| match v {
            Some(x) if !(min..=max).contains(&x) => Err(invalid(field, &format!("{min} to {max}"))),
            _ => Ok(v),
        };
        let scene = bounded("props.scene", p.scene, 0, MAX_SCENE)?;
        let product_id = bounded("props.productId", p.product_id, 1, MAX_ID_NUMBER)?;
        let sku_id = bounded("props.skuId", p.sku_id, 1, MAX_ID_NUMBER)?;
        let qty = bounded("props.qty", p.qty, 1, MAX_QTY)?;
        let mut rest = BTreeMap::new();
        if let Some(q) = qty {
            rest.insert("qty", serde_json::Value::from(q));
        }
        if let Some(page) = &p.page {
            let page = text(page, MAX_PAGE_PATH).map_err(|r| invalid("props.page", &r))?;
            rest.insert("page", page.into());
        }
        if let Some(k) = &p.keyword {
            let k = text(k, MAX_KEYWORD).map_err(|r| invalid("props.keyword", &r))?;
            rest.insert("keyword", k.into());
        }
        let slot = match &p.slot {
            None => None,
            Some(s) => Some(
                *REC_SLOTS
                    .iter()
                    .find(|k| **k == s)
                    .ok_or_else(|| invalid("props.slot", "home, product or cart"))?,
            ),
        };
        let rec = name.starts_with("rec_");
        if rec && (slot.is_none() || product_id.is_none()) {
            return Err(EventError::RecSlot {
                index,
                reason: "rec_impression and rec_click need props.slot and props.productId",
            });
        }
        if !rec && slot.is_some() {
            return Err(EventError::RecSlot {
                index,
                reason: "props.slot is only for rec_impression and rec_click",
            });
        }
        if let Some(s) = slot {
            rest.insert("slot", s.into());
        }
        out.push(Event {
            uuid: e.uuid.to_ascii_lowercase(),
            name,
            ts: event_time(e.ts, received_at),
            session: e.session_id,
            visitor: e.visitor_id,
            scene,
            ch,
            product_id,
            sku_id,
            slot,
            props: serde_json::to_string(&rest).unwrap_or_else(|_| "{}".into()),
        });
    }
    Ok(out)
}

/// The funnel flags an event sets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Flags {
    viewed_product: bool,
    added_to_cart: bool,
    reached_checkout: bool,
}

impl Flags {
    fn of(name: &str) -> Flags {
        Flags {
            viewed_product: name == "product_view",
            added_to_cart: name == "add_to_cart",
            reached_checkout: name == "checkout_start",
        }
    }
    fn or(self, o: Flags) -> Flags {
        Flags {
            viewed_product: self.viewed_product || o.viewed_product,
            added_to_cart: self.added_to_cart || o.added_to_cart,
            reached_checkout: self.reached_checkout || o.reached_checkout,
        }
    }
}

/// What a batch's new events say about one session or visitor-day.
#[derive(Debug, Clone)]
struct Fold {
    visitor: String,
    first_ts: i64,
    last_ts: i64,
    ch: String,
    scene: Option<i64>,
    flags: Flags,
}

impl Fold {
    fn new(e: &Event) -> Fold {
        Fold {
            visitor: e.visitor.clone(),
            first_ts: e.ts,
            last_ts: e.ts,
            ch: e.ch.clone(),
            scene: e.scene,
            flags: Flags::of(e.name),
        }
    }
    fn add(&mut self, e: &Event) {
        // The channel and scene of the earliest event that carries them.
        if e.ts < self.first_ts {
            if !e.ch.is_empty() {
                self.ch = e.ch.clone();
            }
            if e.scene.is_some() {
                self.scene = e.scene;
            }
        } else {
            if self.ch.is_empty() {
                self.ch = e.ch.clone();
            }
            if self.scene.is_none() {
                self.scene = e.scene;
            }
        }
        self.first_ts = self.first_ts.min(e.ts);
        self.last_ts = self.last_ts.max(e.ts);
        self.flags = self.flags.or(Flags::of(e.name));
    }
}

/// Store a checked batch in one write transaction: each event once (a retry
/// of a UUID already stored changes nothing), then one upsert per session
/// and per visitor-day touched by the new events.
pub async fn ingest(
    db: &Db,
    events: &[Event],
    user_id: Option<i64>,
    received_at: i64,
) -> Result<Ingested, EventError> {
    let mut tx = db.begin_write().await?;
    let mut sessions: BTreeMap<&str, Fold> = BTreeMap::new();
    let mut days: BTreeMap<(i64, &str), Fold> = BTreeMap::new();
    let mut accepted = 0;
    for e in events {
        let done = sqlx::query(
            "INSERT INTO events (event_uuid, ts, received_at, visitor, user_id, session, name,
                                 product_id, sku_id, ch, scene, props)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (event_uuid) DO NOTHING",
        )
        .bind(&e.uuid)
        .bind(e.ts)
        .bind(received_at)
        .bind(&e.visitor)
        .bind(user_id)
        .bind(&e.session)
        .bind(e.name)
        .bind(e.product_id)
        .bind(e.sku_id)
        .bind(&e.ch)
        .bind(e.scene)
        .bind(&e.props)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            continue;
        }
        if let Some(slot) = e.slot {
            let kind = if e.name == "rec_click" {
                "click"
            } else {
                "impression"
            };
            sqlx::query(
                "INSERT INTO rec_events (event_id, ts, slot, kind, session, product_id)
                 SELECT id, ts, $2, $3, session, product_id FROM events WHERE event_uuid = $1",
            )
            .bind(&e.uuid)
            .bind(slot)
            .bind(kind)
            .execute(&mut *tx)
            .await?;
        }
        accepted += 1;
        sessions
            .entry(&e.session)
            .and_modify(|f| f.add(e))
            .or_insert_with(|| Fold::new(e));
        days.entry((beijing_day_start(e.ts), &e.visitor))
            .and_modify(|f| f.add(e))
            .or_insert_with(|| Fold::new(e));
    }
    // Flags only ever go from 0 to 1; the first time, channel and scene are
    // the earliest event's (CASE keeps this one statement on both databases).
    for (session, f) in &sessions {
        sqlx::query(
            "INSERT INTO session_facts (session, visitor, user_id, first_ts, last_ts, ch, scene,
                                        viewed_product, added_to_cart, reached_checkout)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (session) DO UPDATE SET
               user_id = COALESCE(session_facts.user_id, excluded.user_id),
               ch = CASE WHEN session_facts.ch = '' OR excluded.first_ts < session_facts.first_ts AND excluded.ch <> ''
                         THEN excluded.ch ELSE session_facts.ch END,
               scene = CASE WHEN session_facts.scene IS NULL OR excluded.first_ts < session_facts.first_ts AND excluded.scene IS NOT NULL
                            THEN excluded.scene ELSE session_facts.scene END,
               first_ts = CASE WHEN excluded.first_ts < session_facts.first_ts THEN excluded.first_ts ELSE session_facts.first_ts END,
               last_ts = CASE WHEN excluded.last_ts > session_facts.last_ts THEN excluded.last_ts ELSE session_facts.last_ts END,
               viewed_product = CASE WHEN excluded.viewed_product = 1 THEN 1 ELSE session_facts.viewed_product END,
               added_to_cart = CASE WHEN excluded.added_to_cart = 1 THEN 1 ELSE session_facts.added_to_cart END,
               reached_checkout = CASE WHEN excluded.reached_checkout = 1 THEN 1 ELSE session_facts.reached_checkout END",
        )
        .bind(*session)
        .bind(&f.visitor)
        .bind(user_id)
        .bind(f.first_ts)
        .bind(f.last_ts)
        .bind(&f.ch)
        .bind(f.scene)
        .bind(i64::from(f.flags.viewed_product))
        .bind(i64::from(f.flags.added_to_cart))
        .bind(i64::from(f.flags.reached_checkout))
        .execute(&mut *tx)
        .await?;
    }
    for ((day, visitor), f) in &days {
        sqlx::query(
            "INSERT INTO visitor_days (day_start, visitor, user_id, first_ts, ch, scene,
                                       viewed_product, added_to_cart, reached_checkout)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (day_start, visitor) DO UPDATE SET
               user_id = COALESCE(visitor_days.user_id, excluded.user_id),
               ch = CASE WHEN visitor_days.ch = '' OR excluded.first_ts < visitor_days.first_ts AND excluded.ch <> ''
                         THEN excluded.ch ELSE visitor_days.ch END,
               scene = CASE WHEN visitor_days.scene IS NULL OR excluded.first_ts < visitor_days.first_ts AND excluded.scene IS NOT NULL
                            THEN excluded.scene ELSE visitor_days.scene END,
               first_ts = CASE WHEN excluded.first_ts < visitor_days.first_ts THEN excluded.first_ts ELSE visitor_days.first_ts END,
               viewed_product = CASE WHEN excluded.viewed_product = 1 THEN 1 ELSE visitor_days.viewed_product END,
               added_to_cart = CASE WHEN excluded.added_to_cart = 1 THEN 1 ELSE visitor_days.added_to_cart END,
               reached_checkout = CASE WHEN excluded.reached_checkout = 1 THEN 1 ELSE visitor_days.reached_checkout END",
        )
        .bind(*day)
        .bind(*visitor)
        .bind(user_id)
        .bind(f.first_ts)
        .bind(&f.ch)
        .bind(f.scene)
        .bind(i64::from(f.flags.viewed_product))
        .bind(i64::from(f.flags.added_to_cart))
        .bind(i64::from(f.flags.reached_checkout))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Ingested {
        accepted,
        duplicates: events.len() - accepted,
    })
}

/// A session that reached checkout this long before the payment is the one
/// the order came from; otherwise the buyer's latest session.
pub const CHECKOUT_WINDOW_SECS: i64 = 86_400;

/// The session an order paid now is attributed to: the buyer's session that
/// reached checkout most recently within [`CHECKOUT_WINDOW_SECS`] and has not
/// paid yet, failing that their latest session. A scalar subquery over a
/// query of `orders` (the buyer is `orders.user_id`), `$n` bound to
/// [`attribution_window`]: the payment reads it with its order, in one
/// statement, and hands it to [`push_order_paid`].
pub fn attributed_session(n: usize) -> String {
    format!(
        "(SELECT sf.session FROM session_facts sf WHERE sf.user_id = orders.user_id
          ORDER BY CASE WHEN sf.reached_checkout = 1 AND sf.paid = 0 AND sf.last_ts >= ${n} THEN 0 ELSE 1 END,
                   sf.last_ts DESC, sf.session
          LIMIT 1)"
    )
}

/// The earliest `last_ts` of a session that counts as having reached
/// checkout for a payment at `now`.
pub fn attribution_window(now: i64) -> i64 {
    now - CHECKOUT_WINDOW_SECS
}

/// Pushed by payment (`payments::mark_paid`) on its batch with the
/// [`attributed_session`] it read: mark that session paid (and its visitor's
/// Beijing day), and record the order's session and channel. A buyer without
/// tracked sessions (`None`) leaves nothing to mark.
pub fn push_order_paid<'q>(
    b: &mut crate::db::Batch<'q>,
    order_id: i64,
    session: Option<&'q str>,
    now: i64,
) {
    let Some(session) = session else {
        return;
    };
    // Independent writes (a batch's rule): the visitor, channel and scene
    // read here are not what the first UPDATE changes.
    b.push("UPDATE session_facts SET paid = 1, order_id = $1 WHERE session = $2")
        .bind(order_id)
        .bind(session);
    b.push(
        "UPDATE visitor_days SET paid = 1
         WHERE day_start = $1 AND visitor = (SELECT visitor FROM session_facts WHERE session = $2)",
    )
    .bind(beijing_day_start(now))
    .bind(session);
    b.push(
        "INSERT INTO order_attribution (order_id, session, visitor, ch, scene)
         SELECT $1, session, visitor, ch, scene FROM session_facts WHERE session = $2
         ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(order_id)
    .bind(session);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(name: &str) -> RawEvent {
        RawEvent {
            uuid: "0f8fad5b-d9cb-469f-a165-70867728950e".into(),
            name: name.into(),
            ts: 1_735_700_000_123,
            session_id: "s1".into(),
            visitor_id: "v1".into(),
            props: RawProps::default(),
        }
    }

    #[test]
    fn client_milliseconds_become_seconds_unless_the_clock_is_off() {
        let now = 1_735_700_000;
        assert_eq!(event_time(1_735_699_990_999, now), 1_735_699_990);
        assert_eq!(event_time(0, now), now);
        assert_eq!(event_time((now + MAX_AHEAD_SECS + 1) * 1000, now), now);
        assert_eq!(
            event_time((now - MAX_AGE_SECS) * 1000, now),
            now - MAX_AGE_SECS
        );
    }

    #[test]
    fn batches_hold_one_to_fifty_known_events() {
        let now = 1_735_700_000;
        let batch = |events| Batch { events };
        assert!(matches!(
            validate(batch(vec![]), now),
            Err(EventError::BatchSize { got: 0, .. })
        ));
        assert!(matches!(
            validate(batch(vec![raw("page_view"); 51]), now),
            Err(EventError::BatchSize { got: 51, .. })
        ));
        assert!(matches!(
            validate(batch(vec![raw("order_paid")]), now),
            Err(EventError::UnknownName { index: 0, .. })
        ));
        let ok = validate(batch(vec![raw("product_view"); 50]), now).unwrap();
        assert_eq!(ok.len(), 50);
        assert_eq!(ok[0].ts, 1_735_700_000);
    }

    #[test]
    fn ids_and_texts_are_bounded() {
        let now = 1_735_700_000;
        let one = |f: &dyn Fn(&mut RawEvent)| {
            let mut e = raw("search");
            f(&mut e);
            validate(Batch { events: vec![e] }, now)
        };
        let field = |r: Result<Vec<Event>, EventError>| match r {
            Err(EventError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(one(&|e| e.uuid = "not-a-uuid".into())), "uuid");
        assert_eq!(field(one(&|e| e.session_id = "x".repeat(65))), "sessionId");
        assert_eq!(field(one(&|e| e.visitor_id = "a b".into())), "visitorId");
        assert_eq!(
            field(one(&|e| e.props.ch = Some("渠道".into()))),
            "props.ch"
        );
        assert_eq!(
            field(one(&|e| e.props.keyword = Some("k".repeat(51)))),
            "props.keyword"
        );
        assert_eq!(field(one(&|e| e.props.qty = Some(0))), "props.qty");
        let ok = one(&|e| {
            e.uuid = e.uuid.to_uppercase();
            e.props.keyword = Some("  坚果 ".into());
            e.props.ch = Some("qr-2".into());
        })
        .unwrap();
        assert_eq!(ok[0].uuid, "0f8fad5b-d9cb-469f-a165-70867728950e");
        assert_eq!(ok[0].props, r#"{"keyword":"坚果"}"#);
        assert_eq!(ok[0].ch, "qr-2");
    }
}
