//! Member segments and campaign decisions (issue 16's rules): what the
//! console's dry run and the campaign job must compute alike.
//!
//! - [`member_segment`]: a member's RFM segment from a snapshot of their
//!   orders — `new`, `highFrequency`, `active`, `atRisk` or `dormant` — by the
//!   merchant's day thresholds.
//! - [`campaign_decision`]: whether one member receives one campaign now: in
//!   the audience (segments, level, tags, days without an order), not in the
//!   holdout (a stable hash of campaign and member, so the same members are
//!   held out on every run and every instance), under the per-campaign and
//!   per-week caps.
//! - [`beijing_week_slot`]: the last start of a weekly slot in Beijing time
//!   (e.g. Wednesday 00:00 +08:00, 周三会员日) at or before `now`, whatever the
//!   server's zone: the job runs a trigger once per slot.
//!
//! Time is an input (unix seconds); nothing here reads a clock.

use serde::{Deserialize, Serialize};

use crate::error::{Result, RuleError};

const DAY: i64 = 86_400;
/// Beijing time is UTC+8 all year.
const BEIJING_OFFSET: i64 = 8 * 3_600;
/// Day thresholds up to ten years.
pub const MAX_DAYS: u64 = 3_650;
/// Holdout shares are in basis points: 0 to 5,000 (half the audience).
pub const MAX_HOLDOUT_BPS: u64 = 5_000;
/// Counts (orders, caps, sends) up to 2^53 − 1, as JavaScript holds them exactly.
pub const MAX_COUNT: u64 = (1 << 53) - 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Segment {
    /// Registered within `newDays` and no paid order yet.
    New,
    /// Ordered within `activeDays`, and at least `highFrequencyOrders` paid
    /// orders within the last `frequencyWindowDays`.
    HighFrequency,
    /// Ordered within `activeDays`.
    Active,
    /// Last order more than `activeDays` and at most `dormantDays` ago.
    AtRisk,
    /// No order for more than `dormantDays`, or never ordered and no longer new.
    Dormant,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SegmentRules {
    #[serde(default = "d30")]
    pub new_days: u64,
    #[serde(default = "d30")]
    pub active_days: u64,
    #[serde(default = "d90")]
    pub dormant_days: u64,
    #[serde(default = "d90")]
    pub frequency_window_days: u64,
    #[serde(default = "five")]
    pub high_frequency_orders: u64,
}

fn d30() -> u64 {
    30
}
fn d90() -> u64 {
    90
}
fn five() -> u64 {
    5
}

impl Default for SegmentRules {
    fn default() -> Self {
        SegmentRules {
            new_days: 30,
            active_days: 30,
            dormant_days: 90,
            frequency_window_days: 90,
            high_frequency_orders: 5,
        }
    }
}

impl SegmentRules {
    fn check(&self) -> Result<()> {
        for (field, v) in [
            ("rules.newDays", self.new_days),
            ("rules.activeDays", self.active_days),
            ("rules.dormantDays", self.dormant_days),
            ("rules.frequencyWindowDays", self.frequency_window_days),
        ] {
            if !(1..=MAX_DAYS).contains(&v) {
                return Err(RuleError::invalid(field, "must be between 1 and 3650 days"));
            }
        }
        if self.dormant_days <= self.active_days {
            return Err(RuleError::invalid(
                "rules.dormantDays",
                "must be more than activeDays",
            ));
        }
        if !(1..=MAX_COUNT).contains(&self.high_frequency_orders) {
            return Err(RuleError::invalid(
                "rules.highFrequencyOrders",
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

/// What the segment is computed from (the server reads it from the orders).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemberSnapshot {
    pub user_id: String,
    pub registered_at: i64,
    /// The latest paid order's time; none: never ordered.
    #[serde(default)]
    pub last_order_at: Option<i64>,
    /// Paid orders placed within the rules' frequency window before `now`.
    #[serde(default)]
    pub recent_orders: u64,
    /// The member level's index (0 = the lowest).
    #[serde(default)]
    pub level: u64,
    /// The merchant's tags on this member.
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SegmentInput {
    pub now: i64,
    pub member: MemberSnapshot,
    #[serde(default)]
    pub rules: SegmentRules,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberSegment {
    pub segment: Segment,
    /// Whole days since the last order (none: never ordered).
    pub days_since_order: Option<u64>,
}

/// Whole days from `from` to `now` (0 when `from` is in the future).
fn days_between(from: i64, now: i64) -> u64 {
    let secs = i128::from(now) - i128::from(from);
    u64::try_from(secs.max(0) / i128::from(DAY)).unwrap_or(u64::MAX)
}

fn check_member(m: &MemberSnapshot) -> Result<()> {
    if m.user_id.is_empty() || m.user_id.len() > 64 {
        return Err(RuleError::invalid("member.userId", "1 to 64 characters"));
    }
    if m.recent_orders > MAX_COUNT || m.level > MAX_COUNT {
        return Err(RuleError::invalid(
            "member",
            "counts must not exceed 2^53 − 1",
        ));
    }
    if m.tags.len() > 50 || m.tags.iter().any(|t| t.is_empty() || t.len() > 32) {
        return Err(RuleError::invalid(
            "member.tags",
            "at most 50 tags of 1 to 32 characters",
        ));
    }
    Ok(())
}

/// The member's segment at `now`.
pub fn member_segment(i: &SegmentInput) -> Result<MemberSegment> {
    i.rules.check()?;
    check_member(&i.member)?;
    let r = &i.rules;
    let since = i.member.last_order_at.map(|at| days_between(at, i.now));
    let segment = match since {
        None if days_between(i.member.registered_at, i.now) < r.new_days => Segment::New,
        None => Segment::Dormant,
        Some(d) if d <= r.active_days && i.member.recent_orders >= r.high_frequency_orders => {
            Segment::HighFrequency
        }
        Some(d) if d <= r.active_days => Segment::Active,
        Some(d) if d <= r.dormant_days => Segment::AtRisk,
        Some(_) => Segment::Dormant,
    };
    Ok(MemberSegment {
        segment,
        days_since_order: since,
    })
}

/// Who a campaign is for; every part given must hold (an empty list: any).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Audience {
    #[serde(default)]
    pub segments: Vec<Segment>,
    #[serde(default)]
    pub min_level: Option<u64>,
    /// The member has at least one of these tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// No paid order for at least this many days (never ordered counts).
    #[serde(default)]
    pub no_order_days: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Caps {
    /// Most sends of this campaign to one member; none: no cap.
    #[serde(default)]
    pub per_campaign: Option<u64>,
    /// Most sends of any campaign to one member in a Beijing week.
    #[serde(default)]
    pub per_week: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CampaignInput {
    pub now: i64,
    pub campaign_id: String,
    pub member: MemberSnapshot,
    #[serde(default)]
    pub rules: SegmentRules,
    #[serde(default)]
    pub audience: Audience,
    #[serde(default)]
    pub caps: Caps,
    /// Sends of this campaign to the member so far.
    #[serde(default)]
    pub sent_by_campaign: u64,
    /// Sends of any campaign to the member in the current Beijing week.
    #[serde(default)]
    pub sent_this_week: u64,
    /// The holdout share, basis points (0–5000).
    #[serde(default)]
    pub holdout_bps: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Decision {
    Send,
    NotInAudience,
    /// In the audience, kept out to measure the campaign's effect.
    Holdout,
    CampaignCapReached,
    WeeklyCapReached,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignDecision {
    pub decision: Decision,
    pub segment: Segment,
    /// The member's place in 0..10000 for this campaign (holdout below the share).
    pub bucket: u64,
}

/// FNV-1a, 64 bits: the same number on the phone, the server and every run.
fn fnv1a(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The member's bucket (0..10000) for a campaign.
pub fn holdout_bucket(campaign_id: &str, user_id: &str) -> u64 {
    fnv1a(&format!("{campaign_id}:{user_id}")) % 10_000
}

fn in_audience(a: &Audience, m: &MemberSnapshot, seg: &MemberSegment) -> bool {
    (a.segments.is_empty() || a.segments.contains(&seg.segment))
        && a.min_level.is_none_or(|l| m.level >= l)
        && (a.tags.is_empty() || a.tags.iter().any(|t| m.tags.contains(t)))
        && a.no_order_days
            .is_none_or(|n| seg.days_since_order.is_none_or(|d| d >= n))
}

/// Whether `member` receives the campaign now, and why not.
pub fn campaign_decision(i: &CampaignInput) -> Result<CampaignDecision> {
    if i.campaign_id.is_empty() || i.campaign_id.len() > 64 {
        return Err(RuleError::invalid("campaignId", "1 to 64 characters"));
    }
    if i.holdout_bps > MAX_HOLDOUT_BPS {
        return Err(RuleError::invalid("holdoutBps", "0 to 5000 basis points"));
    }
    for (field, v) in [
        ("sentByCampaign", i.sent_by_campaign),
        ("sentThisWeek", i.sent_this_week),
        ("caps.perCampaign", i.caps.per_campaign.unwrap_or(0)),
        ("caps.perWeek", i.caps.per_week.unwrap_or(0)),
        ("audience.minLevel", i.audience.min_level.unwrap_or(0)),
    ] {
        if v > MAX_COUNT {
            return Err(RuleError::invalid(field, "must not exceed 2^53 − 1"));
        }
    }
    if i.audience.no_order_days.is_some_and(|d| d > MAX_DAYS) {
        return Err(RuleError::invalid(
            "audience.noOrderDays",
            "at most 3650 days",
        ));
    }
    let seg = member_segment(&SegmentInput {
        now: i.now,
        member: i.member.clone(),
        rules: i.rules.clone(),
    })?;
    let bucket = holdout_bucket(&i.campaign_id, &i.member.user_id);
    let decision = if !in_audience(&i.audience, &i.member, &seg) {
        Decision::NotInAudience
    } else if bucket < i.holdout_bps {
        Decision::Holdout
    } else if i.caps.per_campaign.is_some_and(|c| i.sent_by_campaign >= c) {
        Decision::CampaignCapReached
    } else if i.caps.per_week.is_some_and(|c| i.sent_this_week >= c) {
        Decision::WeeklyCapReached
    } else {
        Decision::Send
    };
    Ok(CampaignDecision {
        decision,
        segment: seg.segment,
        bucket,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WeekSlotInput {
    pub now: i64,
    /// 1 = Monday … 7 = Sunday, in Beijing.
    pub weekday: u64,
    /// Beijing hour and minute the slot starts.
    #[serde(default)]
    pub hour: u64,
    #[serde(default)]
    pub minute: u64,
}

/// The latest start of the weekly Beijing slot at or before `now`.
pub fn beijing_week_slot(i: &WeekSlotInput) -> Result<i64> {
    if !(1..=7).contains(&i.weekday) {
        return Err(RuleError::invalid("weekday", "1 (Monday) to 7 (Sunday)"));
    }
    if i.hour > 23 || i.minute > 59 {
        return Err(RuleError::invalid("hour", "hour 0–23 and minute 0–59"));
    }
    let local = i128::from(i.now) + i128::from(BEIJING_OFFSET);
    let day = local.div_euclid(i128::from(DAY));
    // 1970-01-01 was a Thursday (weekday 4).
    let weekday = (day + 3).rem_euclid(7) + 1;
    let back = (weekday - i128::from(i.weekday)).rem_euclid(7);
    let offset = i128::from(i.hour * 3_600 + i.minute * 60);
    let mut start = (day - back) * i128::from(DAY) + offset;
    if start > local {
        start -= 7 * i128::from(DAY);
    }
    i64::try_from(start - i128::from(BEIJING_OFFSET))
        .map_err(|_| RuleError::invalid("now", "out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(last_days_ago: Option<i64>, recent: u64) -> MemberSnapshot {
        MemberSnapshot {
            user_id: "u1".into(),
            registered_at: 0,
            last_order_at: last_days_ago.map(|d| 1_000 * DAY - d * DAY),
            recent_orders: recent,
            level: 1,
            tags: vec!["vip".into()],
        }
    }

    fn seg(m: MemberSnapshot) -> Segment {
        member_segment(&SegmentInput {
            now: 1_000 * DAY,
            member: m,
            rules: SegmentRules::default(),
        })
        .unwrap()
        .segment
    }

    #[test]
    fn segments_follow_recency_then_frequency() {
        assert_eq!(seg(member(Some(3), 6)), Segment::HighFrequency);
        assert_eq!(seg(member(Some(30), 5)), Segment::HighFrequency);
        assert_eq!(seg(member(Some(3), 4)), Segment::Active);
        assert_eq!(seg(member(Some(31), 9)), Segment::AtRisk);
        assert_eq!(seg(member(Some(90), 0)), Segment::AtRisk);
        assert_eq!(seg(member(Some(91), 0)), Segment::Dormant);
        assert_eq!(seg(member(None, 0)), Segment::Dormant);
        let mut fresh = member(None, 0);
        fresh.registered_at = 1_000 * DAY - 29 * DAY;
        assert_eq!(seg(fresh), Segment::New);
    }

    #[test]
    fn the_holdout_is_stable_and_close_to_its_share() {
        let held = (0..10_000)
            .filter(|u| holdout_bucket("wed", &u.to_string()) < 1_000)
            .count();
        assert!((900..1_100).contains(&held), "{held}");
        assert_eq!(holdout_bucket("wed", "42"), holdout_bucket("wed", "42"));
    }

    #[test]
    fn wednesday_midnight_in_beijing_is_tuesday_1600_utc() {
        // 2026-12-02 is a Wednesday; 00:00 +08:00 = 2026-12-01T16:00:00Z = 1796140800.
        let wed = 1_796_140_800;
        let slot = |now| {
            beijing_week_slot(&WeekSlotInput {
                now,
                weekday: 3,
                hour: 0,
                minute: 0,
            })
            .unwrap()
        };
        assert_eq!(slot(wed), wed);
        assert_eq!(slot(wed + 5 * DAY), wed);
        assert_eq!(slot(wed - 1), wed - 7 * DAY);
        assert_eq!(slot(wed + 7 * DAY), wed + 7 * DAY);
    }
}
