//! 优惠券到期提醒 as a member campaign: the trigger is a coupon in a member's
//! wallet expiring within `hoursBefore`, the action the subscription message
//! (`notify::Message::CouponExpiring`, sent by the outbox only with the
//! member's consent). Each coupon is its own slot, so the decision — send,
//! holdout, outside the audience or capped, by the core's `campaign_decision`
//! like every campaign — is recorded once per coupon however many runs or
//! instances reach it; the message is queued in the same transaction. A coupon
//! reminded before this model (an outbox row `coupon:<id>`) is not reminded again.

use std::collections::{BTreeMap, BTreeSet};

use mall_core::segments::{CampaignInput, SegmentRules};
use sqlx::AnyConnection;

use super::members;
use super::run::{decide_once, take_weekly, week_of, Report, Templates};
use super::{Campaign, Trigger};
use crate::db::{placeholders, Db};
use crate::notify::{self, Message};
use crate::state::AppState;

/// Coupons considered per run (the next run takes the rest).
pub const BATCH: i64 = 500;

/// The job: every enabled reminder campaign.
pub async fn run_due(state: &AppState, now: i64) -> anyhow::Result<Vec<Report>> {
    let campaigns = {
        let mut conn = state.db.pool.acquire().await?;
        super::list(&mut conn).await?
    };
    let mut reports = Vec::new();
    for c in campaigns
        .iter()
        .filter(|c| c.enabled && !c.trigger.grants_coupon())
    {
        reports.push(run(&state.db, Some(&state.config.templates), c, now).await?);
    }
    Ok(reports)
}

/// The dry run: what [`run`] would decide now.
pub async fn dry_run(db: &Db, c: &Campaign, now: i64) -> anyhow::Result<Report> {
    run(db, None, c, now).await
}

struct Due {
    coupon: i64,
    user: i64,
    title: String,
    valid_until: i64,
}

async fn due(
    conn: &mut AnyConnection,
    c: &Campaign,
    hours: u64,
    now: i64,
) -> sqlx::Result<Vec<Due>> {
    let rows: Vec<(i64, i64, String, i64)> = sqlx::query_as(
        "SELECT c.id, c.user_id, t.title, c.valid_until FROM user_coupons c
         JOIN coupon_templates t ON t.id = c.template_id
         WHERE c.status = 'available' AND c.valid_until > $1 AND c.valid_until <= $2
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.dedupe_key = 'coupon:' || CAST(c.id AS TEXT))
           AND NOT EXISTS (SELECT 1 FROM member_campaign_sends s
                           WHERE s.campaign_id = $3 AND s.user_id = c.user_id AND s.slot = c.id)
         ORDER BY c.id LIMIT $4",
    )
    .bind(now)
    .bind(now + i64::try_from(hours).unwrap_or(0) * 3_600)
    .bind(&c.id)
    .bind(BATCH)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(coupon, user, title, valid_until)| Due {
            coupon,
            user,
            title,
            valid_until,
        })
        .collect())
}

/// Sends of this campaign per member, and this week's sends across campaigns
/// (one query each for all the members).
async fn counts(
    conn: &mut AnyConnection,
    c: &Campaign,
    users: &[i64],
    week: i64,
) -> sqlx::Result<(BTreeMap<i64, u64>, BTreeMap<i64, u64>)> {
    if users.is_empty() {
        return Ok((BTreeMap::new(), BTreeMap::new()));
    }
    let counted = |rows: Vec<(i64, i64)>| -> BTreeMap<i64, u64> {
        rows.into_iter()
            .map(|(u, n)| (u, u64::try_from(n).unwrap_or(0)))
            .collect()
    };
    let sql = format!(
        "SELECT user_id, CAST(COUNT(*) AS BIGINT) FROM member_campaign_sends
         WHERE campaign_id = $1 AND decision = 'send' AND user_id IN ({}) GROUP BY user_id",
        placeholders(2, users.len())
    );
    let mut q = sqlx::query_as::<_, (i64, i64)>(&sql).bind(&c.id);
    for u in users {
        q = q.bind(u);
    }
    let sent = counted(q.fetch_all(&mut *conn).await?);
    let sql = format!(
        "SELECT user_id, sends FROM member_campaign_weekly WHERE week = $1 AND user_id IN ({})",
        placeholders(2, users.len())
    );
    let mut q = sqlx::query_as::<_, (i64, i64)>(&sql).bind(week);
    for u in users {
        q = q.bind(u);
    }
    let weekly = counted(q.fetch_all(conn).await?);
    Ok((sent, weekly))
}

/// Decide every coupon due; with `templates` (the job) act on it, without
/// (the dry run) only count.
async fn run(
    db: &Db,
    templates: Option<&Templates>,
    c: &Campaign,
    now: i64,
) -> anyhow::Result<Report> {
    let mut report = Report {
        campaign_id: c.id.clone(),
        ..Report::default()
    };
    let Trigger::CouponExpiry { hours_before } = c.trigger else {
        return Ok(report);
    };
    let week = week_of(now)?;
    let rules = SegmentRules::default();
    let (coupons, snapshots, (mut sent, mut weekly)) = {
        let mut conn = db.pool.acquire().await?;
        let program = crate::shop_rules::load(&mut conn)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .member;
        let coupons = due(&mut conn, c, hours_before, now).await?;
        let users: Vec<i64> = coupons
            .iter()
            .map(|d| d.user)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let snapshots: BTreeMap<i64, _> =
            members::of_users(&mut conn, &program, &rules, &users, now)
                .await?
                .into_iter()
                .collect();
        let counts = counts(&mut conn, c, &users, week).await?;
        (coupons, snapshots, counts)
    };
    for d in coupons {
        let Some(member) = snapshots.get(&d.user) else {
            continue;
        };
        let decision = mall_core::campaign_decision(&CampaignInput {
            now,
            campaign_id: c.id.clone(),
            member: member.clone(),
            rules: rules.clone(),
            audience: c.audience.clone(),
            caps: c.caps.clone(),
            sent_by_campaign: sent.get(&d.user).copied().unwrap_or(0),
            sent_this_week: weekly.get(&d.user).copied().unwrap_or(0),
            holdout_bps: c.holdout_bps,
        })?;
        let Some(send) = report.acts_on(decision.decision) else {
            continue;
        };
        let Some(templates) = templates else {
            if send {
                report.sent += 1;
            } else {
                report.held_out += 1;
            }
            continue;
        };
        let mut tx = db.begin_write().await?;
        if !decide_once(&mut tx, &c.id, d.user, d.coupon, send, now).await? {
            tx.rollback().await?;
            report.already += 1;
            continue;
        }
        if send {
            if !take_weekly(&mut tx, c, d.user, week).await? {
                tx.rollback().await?;
                report.weekly_cap_reached += 1;
                continue;
            }
            sqlx::query(
                "UPDATE member_campaign_sends SET coupon_id = $1
                 WHERE campaign_id = $2 AND user_id = $3 AND slot = $1",
            )
            .bind(d.coupon)
            .bind(&c.id)
            .bind(d.user)
            .execute(&mut *tx)
            .await?;
            let message = Message::CouponExpiring {
                coupon_id: d.coupon,
                title: d.title.clone(),
                valid_until: d.valid_until,
            };
            notify::enqueue(&mut tx, templates, d.user, &message, now).await?;
            *sent.entry(d.user).or_default() += 1;
            *weekly.entry(d.user).or_default() += 1;
            report.sent += 1;
        } else {
            report.held_out += 1;
        }
        tx.commit().await?;
    }
    Ok(report)
}
