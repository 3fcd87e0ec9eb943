//! Subscription messages (订阅消息): written to `outbox` in the same
//! transaction as the state change they announce, sent afterwards by
//! [`send_due`] through the WeChat API with retries (exponential backoff, at
//! most [`MAX_ATTEMPTS`]). A user who refused (43101) is not retried.

use serde_json::{json, Value};
use sqlx::AnyConnection;

use crate::state::AppState;
use crate::wechat::SubscribeMessage;

pub const MAX_ATTEMPTS: i64 = 5;

/// Queue a message for a user; the same `dedupe_key` is queued once.
#[allow(clippy::too_many_arguments)]
pub async fn enqueue(
    conn: &mut AnyConnection,
    templates: &std::collections::BTreeMap<String, String>,
    user_id: i64,
    event: &str,
    dedupe_key: &str,
    page: &str,
    data: Value,
    now: i64,
) -> sqlx::Result<()> {
    let template = templates.get(event).cloned().unwrap_or_default();
    sqlx::query(
        "INSERT INTO outbox (user_id, event, dedupe_key, template_id, page, data, status, next_attempt_at, created_at)
         SELECT $1, $2, $3, $4, $5, $6, 'pending', $7, $7
         WHERE NOT EXISTS (SELECT 1 FROM outbox WHERE dedupe_key = $3)",
    )
    .bind(user_id)
    .bind(event)
    .bind(dedupe_key)
    .bind(template)
    .bind(page)
    .bind(data.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// `¥12.34`
pub fn yuan(fen: i64) -> String {
    format!("¥{}.{:02}", fen / 100, (fen % 100).abs())
}

pub fn thing(s: &str) -> Value {
    json!({"value": s.chars().take(20).collect::<String>()})
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SendReport {
    pub sent: usize,
    pub refused: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Send every message due at `now`.
pub async fn send_due(state: &AppState, now: i64) -> anyhow::Result<SendReport> {
    let due: Vec<(i64, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT o.id, u.openid, o.template_id, o.page, o.data, o.attempts FROM outbox o
         JOIN users u ON u.id = o.user_id
         WHERE o.status = 'pending' AND o.next_attempt_at <= $1 ORDER BY o.id LIMIT 200",
    )
    .bind(now)
    .fetch_all(&state.db.pool)
    .await?;
    let mut report = SendReport::default();
    for (id, openid, template_id, page, data, attempts) in due {
        let msg = SubscribeMessage {
            touser: openid,
            template_id,
            page: Some(page),
            data: serde_json::from_str(&data)?,
        };
        let (status, next, error) = match state.wechat.send_subscribe_message(&msg).await {
            Ok(()) => {
                report.sent += 1;
                ("sent", now, None)
            }
            Err(e) if e.errcode() == 43101 => {
                report.refused += 1;
                ("refused", now, Some(e.to_string()))
            }
            Err(e) if attempts + 1 >= MAX_ATTEMPTS => {
                report.failed += 1;
                ("failed", now, Some(e.to_string()))
            }
            Err(e) => {
                report.retrying += 1;
                (
                    "pending",
                    now + 30 * (1 << attempts.min(10)),
                    Some(e.to_string()),
                )
            }
        };
        sqlx::query(
            "UPDATE outbox SET status = $1, attempts = attempts + 1, next_attempt_at = $2, last_error = $3,
                 sent_at = CASE WHEN $1 = 'sent' THEN $4 ELSE sent_at END
             WHERE id = $5 AND status = 'pending'",
        )
        .bind(status)
        .bind(next)
        .bind(error)
        .bind(now)
        .bind(id)
        .execute(&state.db.pool)
        .await?;
    }
    Ok(report)
}

/// Queue "coupon about to expire" for coupons that expire within a day.
pub async fn coupon_reminders(state: &AppState, now: i64) -> anyhow::Result<usize> {
    let due: Vec<(i64, i64, String, i64)> = sqlx::query_as(
        "SELECT c.id, c.user_id, t.title, c.valid_until FROM user_coupons c
         JOIN coupon_templates t ON t.id = c.template_id
         WHERE c.status = 'available' AND c.valid_until > $1 AND c.valid_until <= $2
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.dedupe_key = 'coupon:' || CAST(c.id AS TEXT))
         ORDER BY c.id LIMIT 500",
    )
    .bind(now)
    .bind(now + 24 * 3600)
    .fetch_all(&state.db.pool)
    .await?;
    let n = due.len();
    for (id, user_id, title, until) in due {
        let mut conn = state.db.pool.acquire().await?;
        enqueue(
            &mut conn,
            &state.config.templates,
            user_id,
            "couponExpiring",
            &format!("coupon:{id}"),
            "pages/member/coupons",
            json!({"thing1": thing(&title), "time2": {"value": crate::pay::beijing_time(until)}}),
            now,
        )
        .await?;
    }
    Ok(n)
}
