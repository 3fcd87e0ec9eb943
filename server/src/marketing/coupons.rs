//! Coupon templates (批次) for the console: every kind and scope the core
//! supports, validity (a fixed window or days from claiming), total and
//! per-user and per-day caps, claimable on/off, transferable (券转赠) on/off,
//! and claim/use statistics.

use mall_core::coupon::CouponStatus;
use mall_core::promotion::Scope;
use mall_core::{Coupon, CouponKind};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::roi::ratio;
use super::{MarketingError, Result};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Template {
    pub id: i64,
    pub title: String,
    pub shop_id: Option<String>,
    pub kind: CouponKind,
    pub scope: Scope,
    pub stackable: bool,
    pub with_campaigns: bool,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
    pub valid_days: Option<i64>,
    pub total: i64,
    pub issued: i64,
    pub per_user_limit: i64,
    /// Claims of the batch per Beijing day at most (None: no daily cap).
    pub per_day_limit: Option<i64>,
    pub claimable: bool,
    /// Shoppers may gift its coupons to friends.
    pub transferable: bool,
    pub created_at: i64,
    /// Wallet coupons of this template used on an order.
    pub used: i64,
    /// used ÷ issued, 4 decimals ("0.0000" when none issued).
    pub used_rate: String,
}

/// A new template (kind and scope are fixed once created).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTemplate {
    pub title: String,
    #[serde(default)]
    pub shop_id: Option<String>,
    pub kind: CouponKind,
    #[serde(default)]
    pub scope: Scope,
    #[serde(default = "yes")]
    pub stackable: bool,
    #[serde(default = "yes")]
    pub with_campaigns: bool,
    #[serde(default)]
    pub valid_from: Option<i64>,
    #[serde(default)]
    pub valid_until: Option<i64>,
    #[serde(default)]
    pub valid_days: Option<i64>,
    pub total: i64,
    #[serde(default = "one_per_user")]
    pub per_user_limit: i64,
    #[serde(default)]
    pub per_day_limit: Option<i64>,
    #[serde(default = "yes")]
    pub claimable: bool,
    #[serde(default)]
    pub transferable: bool,
}

impl NewTemplate {
    pub fn terms(&self) -> Terms {
        Terms {
            title: self.title.clone(),
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            valid_days: self.valid_days,
            total: self.total,
            per_user_limit: self.per_user_limit,
            per_day_limit: self.per_day_limit,
            claimable: self.claimable,
            transferable: self.transferable,
        }
    }
}

fn yes() -> bool {
    true
}

/// What may change after creation.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Terms {
    pub title: String,
    #[serde(default)]
    pub valid_from: Option<i64>,
    #[serde(default)]
    pub valid_until: Option<i64>,
    #[serde(default)]
    pub valid_days: Option<i64>,
    pub total: i64,
    #[serde(default = "one_per_user")]
    pub per_user_limit: i64,
    #[serde(default)]
    pub per_day_limit: Option<i64>,
    #[serde(default = "yes")]
    pub claimable: bool,
    #[serde(default)]
    pub transferable: bool,
}

fn one_per_user() -> i64 {
    1
}

/// The template as the core would see a coupon of it: the core refuses what it refuses.
pub fn check(t: &NewTemplate) -> Result<()> {
    check_terms(&t.terms())?;
    let (from, until) = match (t.valid_from, t.valid_until) {
        (Some(f), Some(u)) => (f, u),
        _ => (0, 86_400),
    };
    let c = Coupon {
        coupon_id: "probe".into(),
        batch_id: None,
        title: Some(t.title.clone()),
        shop_id: t.shop_id.clone(),
        kind: t.kind.clone(),
        scope: t.scope.clone(),
        valid_from: from,
        valid_until: until,
        stackable: t.stackable,
        with_campaigns: t.with_campaigns,
        status: CouponStatus::Available,
    };
    mall_core::coupon::validate(std::slice::from_ref(&c))?;
    Ok(())
}

pub fn check_terms(t: &Terms) -> Result<()> {
    match (t.valid_from, t.valid_until, t.valid_days) {
        (Some(f), Some(u), None) if f < u => Ok(()),
        (None, None, Some(_)) | (None, Some(_), Some(_)) => Ok(()),
        _ => Err(MarketingError::Inconsistent(
            "validFrom",
            "a window validFrom < validUntil, or validDays (optionally with a last claim day validUntil)".into(),
        )),
    }
}

type Row = (
    i64,
    String,
    Option<String>,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
);

const SELECT: &str = "SELECT t.id, t.title, t.shop_id, t.kind, t.scope, t.stackable, t.with_campaigns,
        t.valid_from, t.valid_until, t.valid_days, t.total, t.issued, t.per_user_limit, t.claimable, t.created_at,
        (SELECT COUNT(*) FROM user_coupons uc WHERE uc.template_id = t.id AND uc.status = 'used')
     FROM coupon_templates t";

fn parse(r: Row) -> Result<Template> {
    Ok(Template {
        id: r.0,
        title: r.1,
        shop_id: r.2,
        kind: serde_json::from_str(&r.3)?,
        scope: serde_json::from_str(&r.4)?,
        stackable: r.5 != 0,
        with_campaigns: r.6 != 0,
        valid_from: r.7,
        valid_until: r.8,
        valid_days: r.9,
        total: r.10,
        issued: r.11,
        per_user_limit: r.12,
        per_day_limit: None,
        claimable: r.13 != 0,
        transferable: false,
        created_at: r.14,
        used: r.15,
        used_rate: ratio(r.15, r.11, 4).unwrap_or_else(|| "0.0000".into()),
    })
}

/// The caps and flags added with the coupon center and gifting (a row
/// type holds at most 16 columns).
async fn with_social(conn: &mut AnyConnection, mut list: Vec<Template>) -> Result<Vec<Template>> {
    let only = match list.as_slice() {
        [one] => one.id,
        _ => 0,
    };
    let extra: Vec<(i64, Option<i64>, i64)> = sqlx::query_as(
        "SELECT id, per_day_limit, transferable FROM coupon_templates WHERE $1 = 0 OR id = $1",
    )
    .bind(only)
    .fetch_all(conn)
    .await?;
    let extra: std::collections::BTreeMap<i64, (Option<i64>, i64)> =
        extra.into_iter().map(|(id, d, t)| (id, (d, t))).collect();
    for t in &mut list {
        if let Some((d, tr)) = extra.get(&t.id) {
            t.per_day_limit = *d;
            t.transferable = *tr != 0;
        }
    }
    Ok(list)
}

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Template>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} ORDER BY t.id DESC"))
        .fetch_all(&mut *conn)
        .await?;
    let list = rows.into_iter().map(parse).collect::<Result<Vec<_>>>()?;
    with_social(conn, list).await
}

pub async fn one(conn: &mut AnyConnection, id: i64) -> Result<Template> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let t = row
        .map(parse)
        .transpose()?
        .ok_or(MarketingError::NotFound("coupon template"))?;
    with_social(conn, vec![t])
        .await?
        .pop()
        .ok_or(MarketingError::NotFound("coupon template"))
}

pub async fn create(conn: &mut AnyConnection, t: &NewTemplate, now: i64) -> Result<Template> {
    check(t)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO coupon_templates (title, shop_id, kind, scope, stackable, with_campaigns,
             valid_from, valid_until, valid_days, total, issued, per_user_limit, claimable, created_at,
             per_day_limit, transferable)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(&t.title)
    .bind(&t.shop_id)
    .bind(serde_json::to_string(&t.kind)?)
    .bind(serde_json::to_string(&t.scope)?)
    .bind(i64::from(t.stackable))
    .bind(i64::from(t.with_campaigns))
    .bind(t.valid_from)
    .bind(t.valid_until)
    .bind(t.valid_days)
    .bind(t.total)
    .bind(t.per_user_limit)
    .bind(i64::from(t.claimable))
    .bind(now)
    .bind(t.per_day_limit)
    .bind(i64::from(t.transferable))
    .fetch_one(&mut *conn)
    .await?;
    one(conn, id).await
}

/// Change a template's title and terms; `total` never below what was issued
/// (checked in the statement, so a claim racing this cannot pass it).
pub async fn update(conn: &mut AnyConnection, id: i64, t: &Terms) -> Result<Template> {
    check_terms(t)?;
    let r = sqlx::query(
        "UPDATE coupon_templates SET title = $1, valid_from = $2, valid_until = $3, valid_days = $4,
             total = $5, per_user_limit = $6, claimable = $7, per_day_limit = $10, transferable = $11
         WHERE id = $8 AND issued <= $9",
    )
    .bind(&t.title)
    .bind(t.valid_from)
    .bind(t.valid_until)
    .bind(t.valid_days)
    .bind(t.total)
    .bind(t.per_user_limit)
    .bind(i64::from(t.claimable))
    .bind(id)
    .bind(t.total)
    .bind(t.per_day_limit)
    .bind(i64::from(t.transferable))
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() == 0 {
        let issued = one(&mut *conn, id).await?.issued;
        return Err(MarketingError::Inconsistent(
            "total",
            format!("must not be below the {issued} already issued"),
        ));
    }
    one(conn, id).await
}
