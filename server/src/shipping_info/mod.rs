//! 发货信息录入 (WeChat's order shipping management): a trading mini-program
//! must report each paid order's shipping to WeChat, or WeChat may restrict
//! its payments. Shipping by express or same-city delivery and a pickup
//! write-off each queue one upload ([`enqueue`], in the shipping
//! transaction, once per order); [`send_due`] claims due uploads (as the
//! outbox does: one conditional UPDATE, several instances never send one
//! twice) and calls `/wxa/sec/order/upload_shipping_info` with retries.

use serde::Serialize;
use serde_json::{json, Value};
use sqlx::AnyConnection;

use crate::clock::beijing_rfc3339;
use crate::config::random_token;
use crate::db::{settle_claim, ClaimOutcome};
use crate::state::AppState;

pub const MAX_ATTEMPTS: i64 = 8;
const CLAIM_LEASE_SECS: i64 = 300;

/// How the goods reached the shopper (WeChat's `logistics_type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Logistics {
    /// 1: express, with the carrier and tracking number.
    Express {
        carrier: String,
        tracking_no: String,
    },
    /// 2: same-city delivery.
    SameCity,
    /// 4: picked up by the shopper.
    SelfPickup,
}

impl Logistics {
    pub fn code(&self) -> i64 {
        match self {
            Logistics::Express { .. } => 1,
            Logistics::SameCity => 2,
            Logistics::SelfPickup => 4,
        }
    }
}

/// WeChat's `express_company` (its delivery_id list) for a carrier as the
/// merchant typed it; a code already is one.
pub fn express_company(carrier: &str) -> String {
    let c = carrier.trim();
    CARRIERS
        .iter()
        .find(|(name, _)| c.contains(name))
        .map(|(_, code)| code.to_string())
        .unwrap_or_else(|| c.to_ascii_uppercase())
}

/// Whether `carrier` names one of [`CARRIERS`] (by name or WeChat's code).
pub fn known_carrier(carrier: &str) -> bool {
    let c = carrier.trim();
    CARRIERS
        .iter()
        .any(|(name, code)| c.contains(name) || c.eq_ignore_ascii_case(code))
}

/// The carriers the console offers: (name, WeChat's delivery_id).
pub const CARRIERS: &[(&str, &str)] = &[
    ("顺丰", "SF"),
    ("中通", "ZTO"),
    ("圆通", "YTO"),
    ("韵达", "YD"),
    ("申通", "STO"),
    ("京东", "JD"),
    ("极兔", "JTSD"),
    ("邮政", "EMS"),
    ("EMS", "EMS"),
    ("德邦", "DBL"),
];

/// Queue the order's upload (once: a second call changes nothing).
pub async fn enqueue(
    conn: &mut AnyConnection,
    order_id: i64,
    logistics: &Logistics,
    now: i64,
) -> sqlx::Result<()> {
    let (company, tracking) = match logistics {
        Logistics::Express {
            carrier,
            tracking_no,
        } => (Some(express_company(carrier)), Some(tracking_no.clone())),
        _ => (None, None),
    };
    sqlx::query(
        "INSERT INTO shipping_uploads (order_id, logistics_type, express_company, tracking_no, status, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, 'pending', $5, $5) ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(order_id)
    .bind(logistics.code())
    .bind(company)
    .bind(tracking)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// An order's upload as the merchant sees it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UploadView {
    pub order_id: i64,
    pub logistics_type: i64,
    pub express_company: Option<String>,
    pub tracking_no: Option<String>,
    /// `pending`, `sending`, `uploaded` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub uploaded_at: Option<i64>,
}

type ViewRow = (
    i64,
    i64,
    Option<String>,
    Option<String>,
    String,
    i64,
    Option<String>,
    Option<i64>,
);

pub async fn view(conn: &mut AnyConnection, order_id: i64) -> sqlx::Result<Option<UploadView>> {
    let row: Option<ViewRow> = sqlx::query_as(
        "SELECT order_id, logistics_type, express_company, tracking_no, status, attempts, last_error, uploaded_at
         FROM shipping_uploads WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| UploadView {
        order_id: r.0,
        logistics_type: r.1,
        express_company: r.2,
        tracking_no: r.3,
        status: r.4,
        attempts: r.5,
        last_error: r.6,
        uploaded_at: r.7,
    }))
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct UploadReport {
    pub uploaded: usize,
    pub retrying: usize,
    pub failed: usize,
}

type Claimed = (i64, i64, i64, Option<String>, Option<String>, i64);

async fn claim(state: &AppState, now: i64, token: &str) -> anyhow::Result<Vec<Claimed>> {
    let mut tx = state
        .db
        .claim_due("shipping_uploads", token, now + CLAIM_LEASE_SECS, now, 100)
        .await?;
    let rows: Vec<Claimed> = sqlx::query_as(
        "SELECT id, order_id, logistics_type, express_company, tracking_no, attempts FROM shipping_uploads
         WHERE claim = $1 AND status = 'sending' ORDER BY id",
    )
    .bind(token)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows)
}

/// `item_desc`: the order's goods, at most 120 characters.
fn item_desc(titles: &[(String, i64)]) -> String {
    let joined = titles
        .iter()
        .map(|(t, q)| format!("{t}*{q}"))
        .collect::<Vec<_>>()
        .join(";");
    joined.chars().take(120).collect()
}

/// The upload's body for an order, as WeChat documents it.
async fn body(
    state: &AppState,
    order_id: i64,
    logistics_type: i64,
    company: Option<String>,
    tracking: Option<String>,
    now: i64,
) -> anyhow::Result<Value> {
    let (transaction_id, order_no, openid): (Option<String>, String, String) = sqlx::query_as(
        "SELECT o.transaction_id, o.order_no, u.openid FROM orders o JOIN users u ON u.id = o.user_id WHERE o.id = $1",
    )
    .bind(order_id)
    .fetch_one(&state.db.pool)
    .await?;
    let titles: Vec<(String, i64)> = sqlx::query_as(
        "SELECT title, quantity FROM order_lines WHERE order_id = $1 ORDER BY line_id",
    )
    .bind(order_id)
    .fetch_all(&state.db.pool)
    .await?;
    let order_key = match transaction_id {
        Some(t) => json!({"order_number_type": 2, "transaction_id": t}),
        None => {
            json!({"order_number_type": 1, "mchid": state.pay.mchid(), "out_trade_no": order_no})
        }
    };
    let mut item = json!({"item_desc": item_desc(&titles)});
    if let (Some(c), Some(t)) = (company, tracking) {
        item["express_company"] = json!(c);
        item["tracking_no"] = json!(t);
    }
    Ok(json!({
        "order_key": order_key,
        "logistics_type": logistics_type,
        "delivery_mode": 1,
        "shipping_list": [item],
        "upload_time": beijing_rfc3339(now),
        "payer": {"openid": openid},
    }))
}

/// Upload every due report this instance can claim.
pub async fn send_due(state: &AppState, now: i64) -> anyhow::Result<UploadReport> {
    let token = random_token(12);
    let mut report = UploadReport::default();
    for (id, order_id, logistics, company, tracking, attempts) in claim(state, now, &token).await? {
        let result = match body(state, order_id, logistics, company, tracking, now).await {
            Ok(b) => state
                .wechat
                .upload_shipping_info(&b)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(format!("{e:#}")),
        };
        let (status, next, error) = match result {
            Ok(()) => {
                report.uploaded += 1;
                ("uploaded", now, None)
            }
            Err(e) if attempts + 1 >= MAX_ATTEMPTS => {
                report.failed += 1;
                tracing::error!(order_id, error = %e, "shipping info not accepted by WeChat; giving up");
                ("failed", now, Some(e))
            }
            Err(e) => {
                report.retrying += 1;
                ("pending", now + 60 * (1 << attempts.min(10)), Some(e))
            }
        };
        let outcome = ClaimOutcome {
            status,
            next_attempt_at: next,
            error,
            done: status == "uploaded",
        };
        settle_claim(
            &mut *state.db.write_conn().await?,
            "shipping_uploads",
            "uploaded_at",
            id,
            &token,
            outcome,
            now,
        )
        .await?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carriers_map_to_wechat_codes() {
        assert_eq!(express_company("顺丰速运"), "SF");
        assert_eq!(express_company("中通快递"), "ZTO");
        assert_eq!(express_company("yto"), "YTO");
    }

    #[test]
    fn the_item_description_is_at_most_120_characters() {
        let d = item_desc(&[("榴莲".repeat(100), 1), ("坚果".into(), 2)]);
        assert_eq!(d.chars().count(), 120);
        assert_eq!(
            item_desc(&[("T恤".into(), 2), ("坚果".into(), 1)]),
            "T恤*2;坚果*1"
        );
    }
}
