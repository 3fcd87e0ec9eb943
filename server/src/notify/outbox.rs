//! The outbox of subscription messages: queued in the state change's
//! transaction, claimed, sent through the WeChat API, retried with
//! exponential backoff (at most [`MAX_ATTEMPTS`]); a shopper who refused
//! (43101) is not asked again. Nothing is sent without the shopper's consent:
//! a credit of [`super::consent`] is taken first, else the row ends
//! `no_consent`.

use sqlx::AnyConnection;

use super::consent;
use super::message::Message;
use crate::config::random_token;
use crate::db::Batch;
use crate::db::{settle_claim, ClaimOutcome};
use crate::state::AppState;
use crate::wechat::SubscribeMessage;

pub const MAX_ATTEMPTS: i64 = 5;

/// How long a claim holds before another sender may take the row again.
pub const CLAIM_LEASE_SECS: i64 = 300;

/// Rows claimed per round.
const BATCH: i64 = 200;

/// Queue a message for a user, once per [`Message::dedupe_key`].
pub async fn enqueue(
    conn: &mut AnyConnection,
    templates: &std::collections::BTreeMap<String, String>,
    user_id: i64,
    message: &Message,
    now: i64,
) -> sqlx::Result<()> {
    let mut b = Batch::new();
    push_enqueue(&mut b, templates, user_id, message, now);
    b.run(conn).await?;
    Ok(())
}

/// [`enqueue`], written with the batch (the state change's other writes).
pub fn push_enqueue(
    b: &mut Batch<'_>,
    templates: &std::collections::BTreeMap<String, String>,
    user_id: i64,
    message: &Message,
    now: i64,
) {
    let kind = message.kind();
    let template = templates.get(kind.as_str()).cloned().unwrap_or_default();
    b.push(
        "INSERT INTO outbox (user_id, event, dedupe_key, template_id, page, data, status, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7)
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(user_id)
    .bind(kind.as_str())
    .bind(message.dedupe_key())
    .bind(template)
    .bind(message.page())
    .bind(message.data().to_string())
    .bind(now);
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SendReport {
    pub sent: usize,
    pub refused: usize,
    pub retrying: usize,
    pub failed: usize,
    /// Not sent: the shopper holds no acceptance of the template.
    pub no_consent: usize,
}

/// What a failed send does to the credit taken for it.
enum CreditAfter {
    /// A retryable failure: the credit is given back.
    GiveBack,
    /// 43101: WeChat holds no acceptance, the credits are void.
    Clear,
}

type Claimed = (i64, i64, String, String, String, String, i64);

/// Take the due rows for this sender: one conditional UPDATE, so two
/// instances claiming at once take disjoint rows.
async fn claim(state: &AppState, now: i64, token: &str) -> anyhow::Result<Vec<Claimed>> {
    let mut tx = state
        .db
        .claim_due("outbox", token, now + CLAIM_LEASE_SECS, now, BATCH)
        .await?;
    let rows: Vec<Claimed> = sqlx::query_as(
        "SELECT o.id, o.user_id, u.openid, o.template_id, o.page, o.data, o.attempts FROM outbox o
         JOIN users u ON u.id = o.user_id WHERE o.claim = $1 AND o.status = 'sending' ORDER BY o.id",
    )
    .bind(token)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows)
}

/// Send every message due at `now` that this sender can claim.
pub async fn send_due(state: &AppState, now: i64) -> anyhow::Result<SendReport> {
    let token = random_token(12);
    let due = claim(state, now, &token).await?;
    let mut report = SendReport::default();
    for (id, user_id, openid, template_id, page, data, attempts) in due {
        let mut conn = state.db.write_conn().await?;
        if !consent::take(&mut conn, user_id, &template_id, now).await? {
            report.no_consent += 1;
            let outcome = ClaimOutcome {
                status: "no_consent",
                next_attempt_at: now,
                error: None,
                done: false,
            };
            settle_claim(&mut conn, "outbox", "sent_at", id, &token, outcome, now).await?;
            continue;
        }
        drop(conn);
        let msg = SubscribeMessage {
            touser: openid,
            template_id: template_id.clone(),
            page: Some(page),
            data: serde_json::from_str(&data)?,
        };
        let sent = state.wechat.send_subscribe_message(&msg).await;
        // What the answer does to the shopper's credits, written in the same
        // transaction as the row's outcome: a message takes the writer slot
        // twice at most (the credit, then this).
        let (status, next, error, credit) = match sent {
            Ok(()) => {
                report.sent += 1;
                ("sent", now, None, None)
            }
            Err(e) if e.errcode() == 43101 => {
                report.refused += 1;
                (
                    "refused",
                    now,
                    Some(e.to_string()),
                    Some(CreditAfter::Clear),
                )
            }
            Err(e) if attempts + 1 >= MAX_ATTEMPTS => {
                report.failed += 1;
                (
                    "failed",
                    now,
                    Some(e.to_string()),
                    Some(CreditAfter::GiveBack),
                )
            }
            Err(e) => {
                report.retrying += 1;
                (
                    "pending",
                    now + 30 * (1 << attempts.min(10)),
                    Some(e.to_string()),
                    Some(CreditAfter::GiveBack),
                )
            }
        };
        let outcome = ClaimOutcome {
            status,
            next_attempt_at: next,
            error,
            done: status == "sent",
        };
        let Some(credit) = credit else {
            settle_claim(
                &mut *state.db.write_conn().await?,
                "outbox",
                "sent_at",
                id,
                &token,
                outcome,
                now,
            )
            .await?;
            continue;
        };
        let mut tx = state.db.begin_write().await?;
        match credit {
            CreditAfter::Clear => consent::clear(&mut tx, user_id, &template_id, now).await?,
            CreditAfter::GiveBack => {
                consent::give_back(&mut tx, user_id, &template_id, now).await?
            }
        }
        settle_claim(&mut tx, "outbox", "sent_at", id, &token, outcome, now).await?;
        tx.commit().await?;
    }
    Ok(report)
}
