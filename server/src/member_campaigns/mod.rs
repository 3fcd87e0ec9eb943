//! 会员营销: automated member campaigns. A campaign is an audience (segments,
//! level, days without an order), a trigger (a weekly Beijing-time slot such
//! as Wednesday 00:00 for 周三会员日, or a member's dormancy), an action
//! (grant a coupon of the chosen template), caps (per member per campaign,
//! per member per Beijing week across campaigns) and a holdout share kept out
//! to measure the effect. Who receives what is the core's
//! `segments::campaign_decision`, so the console's dry run and the job agree.
//!
//! - [`run`]: the job: each enabled campaign's due slot, every member decided,
//!   the decision recorded once per (campaign, member, slot) by a unique key
//!   and the weekly cap taken with one conditional UPDATE, so two runs or two
//!   instances act once; `dry_run` counts without writing.
//! - [`members`]: member snapshots (registration, last paid order, recent
//!   orders, level index) read from the orders.
//! - [`effect`]: reached vs holdout: coupons used, orders, GMV, repurchase and
//!   its increment.
//! - [`expiry`]: 优惠券到期提醒, the campaign whose trigger is a coupon about to
//!   expire and whose action is a subscription message.

pub mod effect;
pub mod expiry;
pub mod members;
pub mod run;

pub use crate::catalog::Banner;
use mall_core::segments::{Audience, Caps, MAX_HOLDOUT_BPS};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

/// When a campaign acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum Trigger {
    /// Every week at this Beijing weekday (1 = Monday) and time; a slot is
    /// acted on within [`SLOT_GRACE_SECS`] of its start (a campaign switched
    /// on later waits for the next slot).
    Weekly {
        weekday: u64,
        hour: u64,
        minute: u64,
    },
    /// On every run, for members in the audience; a member's slot is their
    /// last paid order (0: never ordered), so once per dormancy.
    Dormancy,
    /// A coupon in the member's wallet expires within this many hours (1 to
    /// 168): the action is the 优惠券到期提醒 subscription message, not a
    /// coupon; the slot is the coupon, so once per coupon ([`expiry`]).
    #[serde(rename_all = "camelCase")]
    CouponExpiry { hours_before: u64 },
}

/// The most hours before a coupon's expiry a reminder may come.
pub const MAX_HOURS_BEFORE: u64 = 168;

impl Trigger {
    /// Whether the campaign grants a coupon (else it sends a reminder).
    pub fn grants_coupon(&self) -> bool {
        !matches!(self, Trigger::CouponExpiry { .. })
    }
}

/// How long after a weekly slot's start the job still acts on it.
pub const SLOT_GRACE_SECS: i64 = 86_400;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Campaign {
    pub id: String,
    pub title: String,
    pub enabled: bool,
    pub trigger: Trigger,
    pub audience: Audience,
    pub caps: Caps,
    pub holdout_bps: u64,
    /// The coupon template granted (none: the campaign cannot be enabled).
    pub coupon_template_id: Option<i64>,
    /// A home banner the members it reached see first ([`banners_for`]).
    pub banner: Option<Banner>,
    /// With the coupon, the subscription message 券已到账 (consent permitting).
    pub notify: bool,
    pub updated_at: i64,
}

type Row = (
    String,
    String,
    i64,
    String,
    String,
    String,
    i64,
    Option<i64>,
    i64,
    Option<String>,
    i64,
);

fn from_row(r: Row) -> anyhow::Result<Campaign> {
    Ok(Campaign {
        id: r.0,
        title: r.1,
        enabled: r.2 != 0,
        trigger: serde_json::from_str(&r.3)?,
        audience: serde_json::from_str(&r.4)?,
        caps: serde_json::from_str(&r.5)?,
        holdout_bps: u64::try_from(r.6)?,
        coupon_template_id: r.7,
        updated_at: r.8,
        banner: r.9.as_deref().map(serde_json::from_str).transpose()?,
        notify: r.10 != 0,
    })
}

const COLUMNS: &str =
    "id, title, enabled, trigger_spec, audience, caps, holdout_bps, coupon_template_id, updated_at, banner, notify";

pub async fn list(conn: &mut AnyConnection) -> anyhow::Result<Vec<Campaign>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM member_campaigns ORDER BY id"
    ))
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(from_row).collect()
}

pub async fn get(conn: &mut AnyConnection, id: &str) -> anyhow::Result<Option<Campaign>> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM member_campaigns WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(from_row).transpose()
}

/// What the merchant may change of a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Change {
    pub enabled: bool,
    pub trigger: Trigger,
    pub audience: Audience,
    pub caps: Caps,
    pub holdout_bps: u64,
    pub coupon_template_id: Option<i64>,
    /// Checked at the edge (`http::merchant::check_banner`).
    #[serde(default)]
    pub banner: Option<Banner>,
    /// Send 券已到账 with each coupon granted.
    #[serde(default)]
    pub notify: bool,
}

/// Why a change is refused.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// Switched on without a coupon, or a coupon that does not exist.
    #[error("coupon: {0}")]
    Coupon(&'static str),
    #[error("campaign not found")]
    NotFound,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sqlx::Error> for CampaignError {
    fn from(e: sqlx::Error) -> Self {
        CampaignError::Other(e.into())
    }
}

fn invalid(field: &str, reason: &str) -> CampaignError {
    CampaignError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Check a change with the core's own bounds (the same decision input the
/// job builds), and that an enabled campaign has a coupon to grant.
pub fn check(c: &Change) -> Result<(), CampaignError> {
    check_as(c, c.enabled)
}

/// [`check`] for settings proposed to the dry run: the same bounds, whether
/// or not a coupon is chosen yet (as if switched off).
pub fn check_proposed(c: &Change) -> Result<(), CampaignError> {
    check_as(c, false)
}

fn check_as(c: &Change, enabled: bool) -> Result<(), CampaignError> {
    if let Trigger::Weekly {
        weekday,
        hour,
        minute,
    } = c.trigger
    {
        mall_core::beijing_week_slot(&mall_core::WeekSlotInput {
            now: 0,
            weekday,
            hour,
            minute,
        })
        .map_err(|e| invalid("trigger", &e.to_string()))?;
    }
    if c.holdout_bps > MAX_HOLDOUT_BPS {
        return Err(invalid(
            "holdoutBps",
            "0 to 5000 basis points (at most half)",
        ));
    }
    if let Trigger::CouponExpiry { hours_before } = c.trigger {
        if !(1..=MAX_HOURS_BEFORE).contains(&hours_before) {
            return Err(invalid("trigger.hoursBefore", "1 to 168 hours"));
        }
    }
    if enabled && c.trigger.grants_coupon() && c.coupon_template_id.is_none() {
        return Err(CampaignError::Coupon("choose the coupon to grant first"));
    }
    if c.audience.tags.len() > 20 {
        return Err(invalid("audience.tags", "at most 20 tags"));
    }
    let probe = mall_core::CampaignInput {
        now: 0,
        campaign_id: "check".into(),
        member: mall_core::segments::MemberSnapshot {
            user_id: "0".into(),
            registered_at: 0,
            last_order_at: None,
            recent_orders: 0,
            level: 0,
            tags: Vec::new(),
        },
        rules: Default::default(),
        audience: c.audience.clone(),
        caps: c.caps.clone(),
        sent_by_campaign: 0,
        sent_this_week: 0,
        holdout_bps: c.holdout_bps,
    };
    mall_core::campaign_decision(&probe).map_err(|e| match e {
        mall_core::RuleError::InvalidInput { field, reason } => {
            CampaignError::Invalid { field, reason }
        }
        other => invalid("campaign", &other.to_string()),
    })?;
    Ok(())
}

/// Save a change (checked first); the coupon template must exist.
pub async fn update(
    conn: &mut AnyConnection,
    id: &str,
    c: &Change,
    now: i64,
) -> Result<Campaign, CampaignError> {
    check(c)?;
    if let Some(t) = c.coupon_template_id {
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM coupon_templates WHERE id = $1")
                .bind(t)
                .fetch_optional(&mut *conn)
                .await?;
        if exists.is_none() {
            return Err(CampaignError::Coupon("no such coupon"));
        }
    }
    let r = sqlx::query(
        "UPDATE member_campaigns SET enabled = $1, trigger_spec = $2, audience = $3, caps = $4,
             holdout_bps = $5, coupon_template_id = $6, updated_at = $7, banner = $9, notify = $10 WHERE id = $8",
    )
    .bind(i64::from(c.enabled))
    .bind(serde_json::to_string(&c.trigger).map_err(anyhow::Error::from)?)
    .bind(serde_json::to_string(&c.audience).map_err(anyhow::Error::from)?)
    .bind(serde_json::to_string(&c.caps).map_err(anyhow::Error::from)?)
    .bind(i64::try_from(c.holdout_bps).map_err(anyhow::Error::from)?)
    .bind(c.coupon_template_id)
    .bind(now)
    .bind(id)
    .bind(
        c.banner
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(anyhow::Error::from)?,
    )
    .bind(i64::from(c.notify))
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() != 1 {
        return Err(CampaignError::NotFound);
    }
    get(conn, id).await?.ok_or(CampaignError::NotFound)
}

/// The home banners of the campaigns that reached the member within the
/// effect window (`effect::EFFECT_DAYS`), latest first, each once.
pub async fn banners_for(
    conn: &mut AnyConnection,
    user: i64,
    now: i64,
) -> anyhow::Result<Vec<Banner>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT c.banner FROM member_campaign_sends s JOIN member_campaigns c ON c.id = s.campaign_id
         WHERE s.user_id = $1 AND s.decision = 'send' AND s.at > $2 AND s.at <= $3
           AND c.enabled = 1 AND c.banner IS NOT NULL
         ORDER BY s.at DESC, s.campaign_id LIMIT 10",
    )
    .bind(user)
    .bind(now - effect::EFFECT_DAYS * 86_400)
    .bind(now)
    .fetch_all(conn)
    .await?;
    let mut out: Vec<Banner> = Vec::new();
    for (text,) in rows {
        let b: Banner = serde_json::from_str(&text)?;
        if !out.iter().any(|o| o.image == b.image && o.url == b.url) {
            out.push(b);
        }
    }
    out.truncate(3);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change() -> Change {
        Change {
            enabled: true,
            trigger: Trigger::Weekly {
                weekday: 3,
                hour: 0,
                minute: 0,
            },
            audience: Audience::default(),
            caps: Caps::default(),
            holdout_bps: 1000,
            coupon_template_id: Some(1),
            banner: None,
            notify: false,
        }
    }

    #[test]
    fn a_change_is_checked_by_the_cores_bounds() {
        assert!(check(&change()).is_ok());
        let mut c = change();
        c.trigger = Trigger::Weekly {
            weekday: 8,
            hour: 0,
            minute: 0,
        };
        assert!(
            matches!(check(&c), Err(CampaignError::Invalid { ref field, .. }) if field == "trigger")
        );
        let mut c = change();
        c.holdout_bps = 5001;
        assert!(
            matches!(check(&c), Err(CampaignError::Invalid { ref field, .. }) if field == "holdoutBps")
        );
        let mut c = change();
        c.coupon_template_id = None;
        assert!(matches!(check(&c), Err(CampaignError::Coupon(_))));
        c.enabled = false;
        assert!(
            check(&c).is_ok(),
            "a campaign without a coupon may stay off"
        );
        let mut c = change();
        c.audience.no_order_days = Some(4000);
        assert!(
            matches!(check(&c), Err(CampaignError::Invalid { ref field, .. }) if field == "audience.noOrderDays")
        );
    }

    #[test]
    fn proposed_settings_are_checked_as_if_switched_off() {
        let mut c = change();
        c.coupon_template_id = None;
        assert!(check_proposed(&c).is_ok(), "no coupon chosen yet");
        assert!(matches!(check(&c), Err(CampaignError::Coupon(_))));
        c.holdout_bps = 5001;
        assert!(
            matches!(check_proposed(&c), Err(CampaignError::Invalid { ref field, .. }) if field == "holdoutBps")
        );
    }

    #[test]
    fn triggers_read_as_the_migration_writes_them() {
        let t: Trigger =
            serde_json::from_str(r#"{"kind":"weekly","weekday":3,"hour":0,"minute":0}"#).unwrap();
        assert_eq!(
            t,
            Trigger::Weekly {
                weekday: 3,
                hour: 0,
                minute: 0
            }
        );
        let d: Trigger = serde_json::from_str(r#"{"kind":"dormancy"}"#).unwrap();
        assert_eq!(d, Trigger::Dormancy);
    }
}
