//! The campaign job and its dry run. Every member is decided by the core;
//! a decision to send or hold out is recorded once per (campaign, member,
//! slot) by the unique key, the weekly cap across campaigns is taken with one
//! conditional UPDATE, and the coupon is granted in the same transaction, so
//! a run repeated, or racing on another instance, acts once per member.

use std::collections::{BTreeMap, BTreeSet};

use mall_core::segments::{Decision, MemberSnapshot, SegmentRules};
use mall_core::{CampaignInput, WeekSlotInput};
use serde::Serialize;
use sqlx::AnyConnection;

use super::{members, Campaign, Trigger, SLOT_GRACE_SECS};
use crate::db::Db;

/// The shop's message templates by kind (`config.templates`): a campaign
/// that notifies queues 券已到账 with the shop's own.
pub type Templates = BTreeMap<String, String>;

/// A campaign is run by one instance at most once per this many seconds
/// (claimed with a conditional UPDATE); runs are idempotent in any case.
pub const RUN_EVERY_SECS: i64 = 600;

/// What one run (or dry run) of a campaign decided.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub campaign_id: String,
    /// The weekly slot acted on (none: per-member dormancy slots).
    pub slot: Option<i64>,
    /// Members who receive it (the dry run: would receive it).
    pub sent: u64,
    pub held_out: u64,
    pub not_in_audience: u64,
    pub campaign_cap_reached: u64,
    pub weekly_cap_reached: u64,
    /// Already acted on for this slot (an earlier run).
    pub already: u64,
    /// The coupon ran out (the run stops; it goes on once there are more).
    pub out_of_coupons: u64,
}

impl Report {
    /// Whether a decision is acted on (`Some(send)`: send, or hold out);
    /// the others (outside the audience, a cap reached) are counted here.
    pub fn acts_on(&mut self, d: Decision) -> Option<bool> {
        match d {
            Decision::NotInAudience => self.not_in_audience += 1,
            Decision::CampaignCapReached => self.campaign_cap_reached += 1,
            Decision::WeeklyCapReached => self.weekly_cap_reached += 1,
            Decision::Holdout => return Some(false),
            Decision::Send => return Some(true),
        }
        None
    }
}

/// The Beijing week (its Monday 00:00) of `now`: the weekly cap's key.
pub fn week_of(now: i64) -> anyhow::Result<i64> {
    Ok(mall_core::beijing_week_slot(&WeekSlotInput {
        now,
        weekday: 1,
        hour: 0,
        minute: 0,
    })?)
}

/// The weekly slot a campaign acts on at `now`: the latest start, while
/// within the grace; for a dry run, else the next one.
fn weekly_slot(c: &Campaign, now: i64, preview: bool) -> anyhow::Result<Option<i64>> {
    let Trigger::Weekly {
        weekday,
        hour,
        minute,
    } = c.trigger
    else {
        return Ok(None);
    };
    let last = mall_core::beijing_week_slot(&WeekSlotInput {
        now,
        weekday,
        hour,
        minute,
    })?;
    Ok(if now - last < SLOT_GRACE_SECS {
        Some(last)
    } else if preview {
        Some(last + 7 * 86_400)
    } else {
        None
    })
}

struct Ctx<'a> {
    campaign: &'a Campaign,
    /// The shop's message templates (券已到账 when the campaign notifies).
    templates: &'a Templates,
    rules: SegmentRules,
    slot: Option<i64>,
    week: i64,
    now: i64,
}

/// Earlier decisions of this campaign for a page of members: the slots acted
/// on, sends per member, and this week's sends across campaigns.
#[derive(Default)]
struct Seen {
    acted: BTreeSet<(i64, i64)>,
    sent: BTreeMap<i64, u64>,
    week: BTreeMap<i64, u64>,
}

async fn seen(conn: &mut AnyConnection, ctx: &Ctx<'_>, lo: i64, hi: i64) -> sqlx::Result<Seen> {
    let mut s = Seen::default();
    let rows: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT user_id, slot, decision FROM member_campaign_sends
         WHERE campaign_id = $1 AND user_id >= $2 AND user_id <= $3",
    )
    .bind(&ctx.campaign.id)
    .bind(lo)
    .bind(hi)
    .fetch_all(&mut *conn)
    .await?;
    for (user, slot, decision) in rows {
        s.acted.insert((user, slot));
        if decision == "send" {
            *s.sent.entry(user).or_default() += 1;
        }
    }
    let weekly: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT user_id, sends FROM member_campaign_weekly WHERE week = $1 AND user_id >= $2 AND user_id <= $3",
    )
    .bind(ctx.week)
    .bind(lo)
    .bind(hi)
    .fetch_all(&mut *conn)
    .await?;
    s.week = weekly
        .into_iter()
        .map(|(u, n)| (u, u64::try_from(n).unwrap_or(0)))
        .collect();
    Ok(s)
}

enum Recorded {
    Done,
    Already,
    WeeklyCap,
    OutOfCoupons,
}

/// Record one decision (send: with the weekly cap and the coupon) in one
/// transaction.
async fn record(
    db: &Db,
    ctx: &Ctx<'_>,
    user: i64,
    slot: i64,
    send: bool,
) -> anyhow::Result<Recorded> {
    let c = ctx.campaign;
    let mut tx = db.begin_write().await?;
    if !decide_once(&mut tx, &c.id, user, slot, send, ctx.now).await? {
        tx.rollback().await?;
        return Ok(Recorded::Already);
    }
    if send {
        if !take_weekly(&mut tx, c, user, ctx.week).await? {
            tx.rollback().await?;
            return Ok(Recorded::WeeklyCap);
        }
        let template = c
            .coupon_template_id
            .ok_or_else(|| anyhow::anyhow!("campaign {} has no coupon", c.id))?;
        let Some(coupon) = crate::coupons::grant::grant(&mut tx, user, template, ctx.now).await?
        else {
            tx.rollback().await?;
            return Ok(Recorded::OutOfCoupons);
        };
        sqlx::query(
            "UPDATE member_campaign_sends SET coupon_id = $1
             WHERE campaign_id = $2 AND user_id = $3 AND slot = $4",
        )
        .bind(coupon)
        .bind(&c.id)
        .bind(user)
        .bind(slot)
        .execute(&mut *tx)
        .await?;
        if c.notify {
            let (title, valid_until): (String, i64) = sqlx::query_as(
                "SELECT t.title, u.valid_until FROM user_coupons u
                 JOIN coupon_templates t ON t.id = u.template_id WHERE u.id = $1",
            )
            .bind(coupon)
            .fetch_one(&mut *tx)
            .await?;
            let message = crate::notify::Message::CouponGranted {
                coupon_id: coupon,
                campaign: c.title.clone(),
                title,
                valid_until,
            };
            crate::notify::enqueue(&mut tx, ctx.templates, user, &message, ctx.now).await?;
        }
    }
    tx.commit().await?;
    Ok(Recorded::Done)
}

/// Record the decision for (campaign, member, slot) unless one is recorded:
/// false when it was (an earlier run or another instance).
pub(super) async fn decide_once(
    tx: &mut AnyConnection,
    campaign_id: &str,
    user: i64,
    slot: i64,
    send: bool,
    now: i64,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO member_campaign_sends (campaign_id, user_id, slot, decision, at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (campaign_id, user_id, slot) DO NOTHING",
    )
    .bind(campaign_id)
    .bind(user)
    .bind(slot)
    .bind(if send { "send" } else { "holdout" })
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Count a send in the member's Beijing week across campaigns, within the
/// campaign's weekly cap (one conditional UPDATE): false when the cap is reached.
pub(super) async fn take_weekly(
    tx: &mut AnyConnection,
    c: &Campaign,
    user: i64,
    week: i64,
) -> sqlx::Result<bool> {
    sqlx::query(
        "INSERT INTO member_campaign_weekly (user_id, week, sends) VALUES ($1, $2, 0)
         ON CONFLICT (user_id, week) DO NOTHING",
    )
    .bind(user)
    .bind(week)
    .execute(&mut *tx)
    .await?;
    let cap = c
        .caps
        .per_week
        .map_or(i64::MAX, |n| i64::try_from(n).unwrap_or(i64::MAX));
    let taken = sqlx::query(
        "UPDATE member_campaign_weekly SET sends = sends + 1
         WHERE user_id = $1 AND week = $2 AND sends < $3",
    )
    .bind(user)
    .bind(week)
    .bind(cap)
    .execute(&mut *tx)
    .await?;
    Ok(taken.rows_affected() == 1)
}

/// Decide (and unless `dry`, act on) every member for one campaign at `now`.
pub async fn run_campaign(
    db: &Db,
    templates: &Templates,
    campaign: &Campaign,
    now: i64,
    dry: bool,
) -> anyhow::Result<Report> {
    if !campaign.trigger.grants_coupon() {
        anyhow::ensure!(dry, "a reminder campaign runs in expiry::run_due");
        return super::expiry::dry_run(db, campaign, now).await;
    }
    let mut reports = run_campaigns(db, templates, &[campaign], now, dry).await?;
    Ok(reports.pop().unwrap_or_default())
}

/// One campaign in a run: its context, its report so far, and whether it
/// stopped (no slot due, or the coupon ran out).
struct Running<'a> {
    ctx: Ctx<'a>,
    report: Report,
    stopped: bool,
}

/// Decide (and unless `dry`, act on) every member for each campaign at
/// `now`, reading the member pages once for all of them. On each page the
/// campaigns act in the given order, each reading its earlier decisions (and
/// the week's sends across campaigns) after the ones before it acted, so a
/// member is decided as if the campaigns ran one after another.
pub async fn run_campaigns(
    db: &Db,
    templates: &Templates,
    campaigns: &[&Campaign],
    now: i64,
    dry: bool,
) -> anyhow::Result<Vec<Report>> {
    let mut conn = db.pool.acquire().await?;
    let rules = crate::shop_rules::load(&mut conn)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let week = week_of(now)?;
    let mut running = Vec::with_capacity(campaigns.len());
    for &campaign in campaigns {
        let slot = weekly_slot(campaign, now, dry)?;
        running.push(Running {
            stopped: matches!(campaign.trigger, Trigger::Weekly { .. }) && slot.is_none(),
            report: Report {
                campaign_id: campaign.id.clone(),
                slot,
                ..Report::default()
            },
            ctx: Ctx {
                campaign,
                templates,
                rules: SegmentRules::default(),
                slot,
                week,
                now,
            },
        });
    }
    let segment_rules = SegmentRules::default();
    let mut after = 0;
    while running.iter().any(|r| !r.stopped) {
        let page = members::page(&mut conn, &rules.member, &segment_rules, after, now).await?;
        let (Some(first), Some(last)) = (page.first(), page.last()) else {
            break;
        };
        let (lo, hi) = (first.0, last.0);
        after = hi;
        for r in running.iter_mut().filter(|r| !r.stopped) {
            r.stopped =
                decide_page(db, &mut conn, &r.ctx, &mut r.report, &page, (lo, hi), dry).await?;
        }
    }
    Ok(running.into_iter().map(|r| r.report).collect())
}

/// Decide one campaign for one page of members; true when the campaign
/// stops (its coupon ran out).
async fn decide_page(
    db: &Db,
    conn: &mut AnyConnection,
    ctx: &Ctx<'_>,
    report: &mut Report,
    page: &[(i64, MemberSnapshot)],
    (lo, hi): (i64, i64),
    dry: bool,
) -> anyhow::Result<bool> {
    let campaign = ctx.campaign;
    let seen = seen(conn, ctx, lo, hi).await?;
    for (user, member) in page {
        let user = *user;
        let member_slot = ctx.slot.unwrap_or(member.last_order_at.unwrap_or(0));
        if seen.acted.contains(&(user, member_slot)) {
            report.already += 1;
            continue;
        }
        let d = mall_core::campaign_decision(&CampaignInput {
            now: ctx.now,
            campaign_id: campaign.id.clone(),
            member: member.clone(),
            rules: ctx.rules.clone(),
            audience: campaign.audience.clone(),
            caps: campaign.caps.clone(),
            sent_by_campaign: seen.sent.get(&user).copied().unwrap_or(0),
            sent_this_week: seen.week.get(&user).copied().unwrap_or(0),
            holdout_bps: campaign.holdout_bps,
        })?;
        let Some(send) = report.acts_on(d.decision) else {
            continue;
        };
        if dry {
            if send {
                report.sent += 1;
            } else {
                report.held_out += 1;
            }
            continue;
        }
        match record(db, ctx, user, member_slot, send).await? {
            Recorded::Done if send => report.sent += 1,
            Recorded::Done => report.held_out += 1,
            Recorded::Already => report.already += 1,
            Recorded::WeeklyCap => report.weekly_cap_reached += 1,
            Recorded::OutOfCoupons => {
                report.out_of_coupons += 1;
                tracing::warn!(campaign = %campaign.id, "campaign coupon ran out; the run stops");
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// The job: every enabled campaign this instance can claim for the current
/// [`RUN_EVERY_SECS`] window is run, all of them over one read of the
/// members.
pub async fn run_due(db: &Db, templates: &Templates, now: i64) -> anyhow::Result<Vec<Report>> {
    let campaigns = {
        let mut conn = db.pool.acquire().await?;
        super::list(&mut conn).await?
    };
    let mut claimed = Vec::new();
    for c in campaigns
        .iter()
        .filter(|c| c.enabled && c.trigger.grants_coupon() && c.coupon_template_id.is_some())
    {
        let done = sqlx::query(
            "UPDATE member_campaigns SET last_run_at = $1
             WHERE id = $2 AND enabled = 1 AND (last_run_at IS NULL OR last_run_at <= $3)",
        )
        .bind(now)
        .bind(&c.id)
        .bind(now - RUN_EVERY_SECS)
        .execute(&mut *db.write_conn().await?)
        .await?;
        if done.rows_affected() == 1 {
            claimed.push(c);
        }
    }
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    run_campaigns(db, templates, &claimed, now, false).await
}
