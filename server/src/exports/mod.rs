//! Background exports (the console's 订单 → 导出). A job is a row: the
//! filters, the newest order when asked (so the file is a stable snapshot),
//! and its progress. A worker claims it with a lease (any instance; a job
//! whose worker died is claimed again when the lease ends and resumes after
//! the last chunk written), reads 1,000 orders at a time by id, and appends
//! each page's CSV as one chunk in the same transaction that advances the
//! progress. The file is streamed from the chunks: memory stays flat.

pub mod csv;

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::AnyConnection;

use self::csv::yuan;
use crate::config::random_token;
use crate::db::{self, Db};
use crate::orders::search::OrderFilter;
use crate::state::AppState;

/// Orders per page (and per chunk).
pub const PAGE: i64 = 1000;
/// A worker's claim lasts this long; each page renews it.
pub const LEASE_SECS: i64 = 60;
/// The columns of the orders file.
pub const ORDER_COLUMNS: [&str; 15] = [
    "订单号",
    "状态",
    "下单时间",
    "支付时间",
    "买家",
    "手机尾号",
    "商品",
    "件数",
    "商品金额(元)",
    "优惠(元)",
    "运费(元)",
    "实付(元)",
    "已退款(元)",
    "快递公司",
    "运单号",
];

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportJob {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub total: i64,
    pub done: i64,
    /// 0–100.
    pub progress: i64,
    pub error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// The filters as stored with the job.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredFilter {
    pub status: Option<String>,
    pub from: Option<i64>,
    pub until: Option<i64>,
    pub order_no: Option<String>,
    pub phone_tail: Option<String>,
    pub delivery: Option<String>,
}

impl From<&OrderFilter> for StoredFilter {
    fn from(f: &OrderFilter) -> Self {
        StoredFilter {
            status: f.status.clone(),
            from: f.from,
            until: f.until,
            order_no: f.order_no.clone(),
            phone_tail: f.phone_tail.clone(),
            delivery: f.delivery.clone(),
        }
    }
}

/// Queue an orders export; the caller starts [`run`] for it.
pub async fn create_orders(
    db: &Db,
    filter: &OrderFilter,
    staff_id: Option<i64>,
    now: i64,
) -> anyhow::Result<i64> {
    let mut conn = db.pool.acquire().await?;
    let max_id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM orders")
        .fetch_one(&mut *conn)
        .await?;
    let filters = serde_json::to_string(&StoredFilter::from(filter))?;
    let id = sqlx::query_scalar(
        "INSERT INTO export_jobs (kind, filters, status, max_id, staff_id, created_at)
         VALUES ('orders', $1, 'queued', $2, $3, $4) RETURNING id",
    )
    .bind(filters)
    .bind(max_id)
    .bind(staff_id)
    .bind(now)
    // To the statement's end, so SQLite's commit (no transaction here) is
    // inside the call and its error reported (see `cart::add`).
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .next()
    .ok_or_else(|| anyhow::anyhow!("the export job has no id"))?;
    Ok(id)
}

pub async fn job(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<ExportJob>> {
    type Row = (
        i64,
        String,
        String,
        i64,
        i64,
        Option<String>,
        i64,
        Option<i64>,
    );
    let r: Option<Row> = sqlx::query_as(
        "SELECT id, kind, status, total, done, error, created_at, finished_at FROM export_jobs WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(r.map(|r| ExportJob {
        progress: match (r.2.as_str(), r.3) {
            ("done", _) => 100,
            (_, 0) => 0,
            _ => (r.4 * 100 / r.3).min(99),
        },
        id: r.0,
        kind: r.1,
        status: r.2,
        total: r.3,
        done: r.4,
        error: r.5,
        created_at: r.6,
        finished_at: r.7,
    }))
}

/// Claim a job (queued, or running under an expired lease): its token.
async fn claim(db: &Db, id: i64, now: i64) -> sqlx::Result<Option<String>> {
    let token = random_token(12);
    let r = sqlx::query(
        "UPDATE export_jobs SET status = 'running', claim = $1, lease_until = $2
         WHERE id = $3 AND (status = 'queued' OR (status = 'running' AND lease_until < $4))",
    )
    .bind(&token)
    .bind(now + LEASE_SECS)
    .bind(id)
    .bind(now)
    .execute(&mut *db.write_conn().await?)
    .await?;
    Ok((r.rows_affected() == 1).then_some(token))
}

/// Run a job to its end (or until another worker holds it).
pub async fn run(state: AppState, id: i64) {
    if let Err(e) = run_job(&state.db, id).await {
        tracing::error!(job = id, error = ?e, "export failed");
        let failed = sqlx::query(
            "UPDATE export_jobs SET status = 'failed', error = $1, claim = NULL WHERE id = $2 AND status = 'running'",
        )
        .bind(format!("{e:#}").chars().take(300).collect::<String>())
        .bind(id);
        if let Ok(mut conn) = state.db.write_conn().await {
            let _ = failed.execute(&mut *conn).await;
        }
    }
}

async fn run_job(db: &Db, id: i64) -> anyhow::Result<()> {
    let Some(token) = claim(db, id, db::now()).await? else {
        return Ok(());
    };
    let (filters, max_id, mut cursor, mut seq): (String, i64, i64, i64) =
        sqlx::query_as("SELECT filters, max_id, cursor_id, chunks FROM export_jobs WHERE id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await?;
    let f: StoredFilter = serde_json::from_str(&filters)?;
    let filter = OrderFilter {
        status: f.status,
        from: f.from,
        until: f.until,
        order_no: f.order_no,
        phone_tail: f.phone_tail,
        delivery: f.delivery,
    };
    {
        let mut conn = db.pool.acquire().await?;
        let total = crate::orders::search::count_upto(&mut conn, &filter, max_id).await?;
        sqlx::query("UPDATE export_jobs SET total = $1 WHERE id = $2 AND claim = $3")
            .bind(total)
            .bind(id)
            .bind(&token)
            .execute(&mut *conn)
            .await?;
    }
    loop {
        let (text, rows, last) = {
            let mut conn = db.pool.acquire().await?;
            page_csv(&mut conn, &filter, cursor, max_id).await?
        };
        let now = db::now();
        let mut tx = db.begin_write().await?;
        let r = async {
            let claimed = sqlx::query(
                "UPDATE export_jobs SET done = done + $1, cursor_id = $2, chunks = chunks + $3,
                     lease_until = $4, status = CASE WHEN $5 = 1 THEN 'done' ELSE status END,
                     finished_at = CASE WHEN $5 = 1 THEN $6 ELSE finished_at END
                 WHERE id = $7 AND claim = $8 AND status = 'running'",
            )
            .bind(rows)
            .bind(last)
            .bind(i64::from(rows > 0))
            .bind(now + LEASE_SECS)
            .bind(i64::from(rows < PAGE))
            .bind(now)
            .bind(id)
            .bind(&token)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed == 1 && rows > 0 {
                sqlx::query("INSERT INTO export_chunks (job_id, seq, data) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(seq)
                    .bind(&text)
                    .execute(&mut *tx)
                    .await?;
            }
            Ok::<_, sqlx::Error>(claimed == 1)
        }
        .await;
        if !db::finish(tx, r).await? {
            return Ok(()); // another worker took the job over
        }
        if rows < PAGE {
            return Ok(());
        }
        seq += 1;
        cursor = last;
    }
}

/// Orders after `cursor` up to `max_id` under the filter, one page, as CSV
/// lines: (text, rows, last id).
async fn page_csv(
    conn: &mut AnyConnection,
    filter: &OrderFilter,
    cursor: i64,
    max_id: i64,
) -> sqlx::Result<(String, i64, i64)> {
    let rows = crate::orders::search::export_page(conn, filter, cursor, max_id, PAGE).await?;
    let Some(last) = rows.last().map(|r| r.id) else {
        return Ok((String::new(), 0, cursor));
    };
    let first = rows[0].id;
    let lines: Vec<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT order_id, title, specs, quantity FROM order_lines
         WHERE order_id >= $1 AND order_id <= $2 ORDER BY id",
    )
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await?;
    let mut goods: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for (order_id, title, specs, qty) in lines {
        let specs: Vec<String> = serde_json::from_str(&specs).unwrap_or_default();
        let name = if specs.is_empty() {
            title
        } else {
            format!("{title}({})", specs.join("/"))
        };
        goods
            .entry(order_id)
            .or_default()
            .push(format!("{name}×{qty}"));
    }
    let mut text = String::new();
    for r in &rows {
        let label = crate::orders::OrderStatus::parse(&r.status).map_or("", |s| s.label());
        text.push_str(&csv::row(&[
            r.order_no.clone(),
            label.to_string(),
            crate::clock::beijing_time(r.created_at),
            r.paid_at
                .map(crate::clock::beijing_time)
                .unwrap_or_default(),
            r.buyer.clone(),
            r.phone_tail.clone().unwrap_or_default(),
            goods.get(&r.id).map(|g| g.join("；")).unwrap_or_default(),
            r.item_count.to_string(),
            yuan(r.goods_total),
            yuan(r.discount_total),
            yuan(r.shipping_fee),
            r.paid_amount.map(yuan).unwrap_or_default(),
            yuan(r.refunded_amount),
            r.carrier.clone().unwrap_or_default(),
            r.tracking_no.clone().unwrap_or_default(),
        ]));
    }
    Ok((text, rows.len() as i64, last))
}

/// One chunk of a finished job's file (None after the last).
pub async fn chunk(db: &Db, id: i64, seq: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT data FROM export_chunks WHERE job_id = $1 AND seq = $2")
        .bind(id)
        .bind(seq)
        .fetch_optional(&db.pool)
        .await
}

/// Jobs waiting, or whose worker died (lease over): run them.
pub async fn resume_due(state: &AppState, now: i64) -> anyhow::Result<usize> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM export_jobs WHERE status = 'queued' OR (status = 'running' AND lease_until < $1)
         ORDER BY id LIMIT 10",
    )
    .bind(now)
    .fetch_all(&state.db.pool)
    .await?;
    for id in &ids {
        run(state.clone(), *id).await;
    }
    Ok(ids.len())
}
