//! Activity prices (活动价): flash sales, group buys and bargains, each a
//! window, a per-user limit and its SKUs with their price and quota. The
//! catalog prices lines through them (`catalog::core_activities`).

use mall_core::activity::ActivityKind;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::{MarketingError, Result};
use crate::db::Db;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActivitySku {
    pub sku_id: i64,
    /// The activity price, fen.
    pub price: i64,
    /// The activity's own quota (the SKU's stock still bounds it); none = unbounded.
    #[serde(default)]
    pub stock: Option<i64>,
    /// Group buy: the leader's price (团长价), fen; none = the group price.
    #[serde(default)]
    pub leader_price: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminActivity {
    pub id: String,
    pub kind: ActivityKind,
    pub title: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub per_user_limit: Option<i64>,
    pub allow_coupons: bool,
    pub allow_points: bool,
    pub group_size: Option<i64>,
    /// Group buy: hours a group stays open after its leader pays.
    pub group_window_hours: Option<i64>,
    /// Group buy: 系统成团 at expiry with at least this percent of seats paid.
    pub group_auto_percent: Option<i64>,
    /// Group buy: the coupon template a sharer earns when a group they
    /// shared forms with a new user.
    pub share_reward_template_id: Option<i64>,
    /// Flash sale: rows its units are split into (`stock::buckets`); 1 = none.
    pub stock_buckets: i64,
    pub skus: Vec<SkuLine>,
}

/// An activity SKU with what the console shows beside it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuLine {
    pub sku_id: i64,
    pub price: i64,
    pub stock: Option<i64>,
    pub leader_price: Option<i64>,
    pub title: String,
    pub list_price: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActivityInput {
    pub kind: ActivityKind,
    pub title: String,
    pub starts_at: i64,
    pub ends_at: i64,
    #[serde(default)]
    pub per_user_limit: Option<i64>,
    #[serde(default)]
    pub allow_coupons: bool,
    #[serde(default)]
    pub allow_points: bool,
    #[serde(default)]
    pub group_size: Option<i64>,
    #[serde(default)]
    pub group_window_hours: Option<i64>,
    #[serde(default)]
    pub group_auto_percent: Option<i64>,
    #[serde(default)]
    pub share_reward_template_id: Option<i64>,
    /// Flash sale: set each SKU's quota aside from its stock in this many
    /// rows (1–64), so concurrent orders take different rows; 1 = the quota
    /// is a bound on the SKU's stock, taken with it.
    #[serde(default = "one_bucket")]
    pub stock_buckets: i64,
    pub skus: Vec<ActivitySku>,
}

fn one_bucket() -> i64 {
    1
}

/// Stored as the core spells it (`flashSale`, `groupBuy`, `bargain`).
fn kind_str(k: ActivityKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn kind_of(s: &str) -> Result<ActivityKind> {
    Ok(serde_json::from_value(serde_json::Value::String(s.into()))?)
}

type Row = (
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    i64,
);

/// sku_id, price, stock, leader_price, title, list_price
type SkuRow = (i64, i64, Option<i64>, Option<i64>, String, i64);

async fn skus_of(conn: &mut AnyConnection, id: &str) -> Result<Vec<SkuLine>> {
    let rows: Vec<SkuRow> = sqlx::query_as(
        "SELECT a.sku_id, a.price, a.stock, a.leader_price, p.title, s.list_price
         FROM activity_skus_left a JOIN skus s ON s.id = a.sku_id JOIN products p ON p.id = s.product_id
         WHERE a.activity_id = $1 ORDER BY a.sku_id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SkuLine {
            sku_id: r.0,
            price: r.1,
            stock: r.2,
            leader_price: r.3,
            title: r.4,
            list_price: r.5,
        })
        .collect())
}

const SELECT: &str = "SELECT id, kind, title, starts_at, ends_at, per_user_limit, allow_coupons, allow_points, group_size,
    group_window_secs, group_auto_percent, share_reward_template, stock_buckets FROM activities";

async fn build(conn: &mut AnyConnection, r: Row) -> Result<AdminActivity> {
    let skus = skus_of(&mut *conn, &r.0).await?;
    Ok(AdminActivity {
        kind: kind_of(&r.1)?,
        title: r.2,
        starts_at: r.3,
        ends_at: r.4,
        per_user_limit: r.5,
        allow_coupons: r.6 != 0,
        allow_points: r.7 != 0,
        group_size: r.8,
        group_window_hours: r.9.map(|s| s / 3600),
        group_auto_percent: r.10,
        share_reward_template_id: r.11,
        stock_buckets: r.12,
        skus,
        id: r.0,
    })
}

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<AdminActivity>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} ORDER BY starts_at DESC, id"))
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(build(&mut *conn, r).await?);
    }
    Ok(out)
}

pub async fn one(conn: &mut AnyConnection, id: &str) -> Result<AdminActivity> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(r) => build(conn, r).await,
        None => Err(MarketingError::NotFound("activity")),
    }
}

fn check(a: &ActivityInput) -> Result<()> {
    if a.starts_at >= a.ends_at {
        return Err(MarketingError::Inconsistent(
            "endsAt",
            "must be after startsAt".into(),
        ));
    }
    let mut ids: Vec<i64> = a.skus.iter().map(|s| s.sku_id).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        return Err(MarketingError::Inconsistent("skus", "a SKU twice".into()));
    }
    if a.kind == ActivityKind::GroupBuy && a.group_size.is_none() {
        return Err(MarketingError::Inconsistent(
            "groupSize",
            "a group buy needs its group size".into(),
        ));
    }
    if a.stock_buckets > 1 {
        if a.kind != ActivityKind::FlashSale {
            return Err(MarketingError::Inconsistent(
                "stockBuckets",
                "only a flash sale takes it".into(),
            ));
        }
        if a.skus.iter().any(|s| s.stock.is_none()) {
            return Err(MarketingError::Inconsistent(
                "skus.stock",
                "a flash sale in stock buckets needs each SKU's units".into(),
            ));
        }
    }
    if a.kind != ActivityKind::GroupBuy {
        let group_only = [
            ("groupSize", a.group_size.is_some()),
            ("groupWindowHours", a.group_window_hours.is_some()),
            ("groupAutoPercent", a.group_auto_percent.is_some()),
            (
                "shareRewardTemplateId",
                a.share_reward_template_id.is_some(),
            ),
            (
                "skus.leaderPrice",
                a.skus.iter().any(|s| s.leader_price.is_some()),
            ),
        ];
        if let Some(&(field, _)) = group_only.iter().find(|(_, set)| *set) {
            return Err(MarketingError::Inconsistent(
                field,
                "only a group buy takes it".into(),
            ));
        }
    }
    Ok(())
}

/// Create (`id` none) or replace an activity and its SKUs in one transaction.
pub async fn save(db: &Db, id: Option<&str>, a: &ActivityInput) -> Result<String> {
    check(a)?;
    let now = crate::db::now();
    let mut tx = db.begin_write().await?;
    if let Some(t) = a.share_reward_template_id {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM coupon_templates WHERE id = $1")
            .bind(t)
            .fetch_one(&mut *tx)
            .await?;
        if n == 0 {
            return Err(MarketingError::NotFound("coupon template"));
        }
    }
    for s in &a.skus {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM skus WHERE id = $1")
            .bind(s.sku_id)
            .fetch_one(&mut *tx)
            .await?;
        if n == 0 {
            return Err(MarketingError::NotFound("sku"));
        }
    }
    let id = match id {
        Some(id) => {
            let r = sqlx::query(
                "UPDATE activities SET kind = $1, title = $2, starts_at = $3, ends_at = $4, per_user_limit = $5,
                     allow_coupons = $6, allow_points = $7, group_size = $8, group_window_secs = $10,
                     group_auto_percent = $11, share_reward_template = $12, stock_buckets = $13 WHERE id = $9",
            )
            .bind(kind_str(a.kind))
            .bind(&a.title)
            .bind(a.starts_at)
            .bind(a.ends_at)
            .bind(a.per_user_limit)
            .bind(i64::from(a.allow_coupons))
            .bind(i64::from(a.allow_points))
            .bind(a.group_size)
            .bind(id)
            .bind(a.group_window_hours.map(|h| h * 3600))
            .bind(a.group_auto_percent)
            .bind(a.share_reward_template_id)
            .bind(a.stock_buckets)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() == 0 {
                return Err(MarketingError::NotFound("activity"));
            }
            // What the old buckets hold goes back to the SKUs before the
            // new quota is set aside.
            crate::stock::buckets::return_all(&mut tx, id, false, now).await?;
            sqlx::query("DELETE FROM activity_skus WHERE activity_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            id.to_string()
        }
        None => {
            let id = format!("act-{:016x}", rand::random::<u64>());
            sqlx::query(
                "INSERT INTO activities (id, kind, title, starts_at, ends_at, per_user_limit, allow_coupons, allow_points, group_size,
                     group_window_secs, group_auto_percent, share_reward_template, stock_buckets)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(&id)
            .bind(kind_str(a.kind))
            .bind(&a.title)
            .bind(a.starts_at)
            .bind(a.ends_at)
            .bind(a.per_user_limit)
            .bind(i64::from(a.allow_coupons))
            .bind(i64::from(a.allow_points))
            .bind(a.group_size)
            .bind(a.group_window_hours.map(|h| h * 3600))
            .bind(a.group_auto_percent)
            .bind(a.share_reward_template_id)
            .bind(a.stock_buckets)
            .execute(&mut *tx)
            .await?;
            id
        }
    };
    for s in &a.skus {
        sqlx::query(
            "INSERT INTO activity_skus (activity_id, sku_id, price, stock, leader_price) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(s.sku_id)
        .bind(s.price)
        .bind(s.stock)
        .bind(s.leader_price)
        .execute(&mut *tx)
        .await?;
        if let (Some(units), true) = (s.stock, a.stock_buckets > 1) {
            let set = crate::stock::buckets::set_aside(
                &mut tx,
                &id,
                s.sku_id,
                units,
                a.stock_buckets,
                now,
            )
            .await?;
            if let Err(available) = set {
                return Err(MarketingError::StockShort {
                    sku_id: s.sku_id,
                    available,
                });
            }
        }
    }
    tx.commit().await?;
    Ok(id)
}
