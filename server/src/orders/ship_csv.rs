//! Batch shipping from a CSV file (订单号,快递公司,运单号): every row is
//! checked first (a dry run reports each row's problem: unknown order, not
//! shippable, unknown carrier, duplicate tracking number, malformed row);
//! confirming ships the rows that are ok, each in its own transaction, and
//! reports the ones that changed state in between.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sqlx::AnyConnection;

use super::OrderError;
use crate::shipping_info::known_carrier;
use crate::state::AppState;

/// Rows per file.
pub const MAX_ROWS: usize = 2000;
/// Characters per cell.
pub const MAX_CELL: usize = 64;

/// A row's problem: a registered error code and its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RowProblem {
    OrderUnknown,
    OrderNotShippable,
    CarrierUnknown,
    TrackingDuplicate,
    RowInvalid,
}

impl RowProblem {
    pub fn message(self) -> &'static str {
        match self {
            RowProblem::OrderUnknown => "订单号不存在",
            RowProblem::OrderNotShippable => "订单当前状态不能发货",
            RowProblem::CarrierUnknown => "不支持的快递公司",
            RowProblem::TrackingDuplicate => "运单号重复",
            RowProblem::RowInvalid => "这一行的格式有误",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowResult {
    /// The line in the file (the header is line 1).
    pub line: usize,
    pub order_no: String,
    pub carrier: String,
    pub tracking_no: String,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<RowProblem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip)]
    order_id: Option<i64>,
}

impl RowResult {
    fn fail(&mut self, p: RowProblem, message: Option<String>) {
        if self.ok {
            self.ok = false;
            self.code = Some(p);
            self.message = Some(message.unwrap_or_else(|| p.message().to_string()));
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub rows: Vec<RowResult>,
    pub ok_count: usize,
    pub error_count: usize,
    pub shipped: usize,
}

/// Why the file as a whole was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    Header,
    TooManyRows,
    Empty,
}

/// Split CSV text into records (RFC 4180: quoted cells with `""`, CRLF or
/// LF, a UTF-8 BOM). A record with an unclosed quote runs to the end.
pub fn records(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let (mut row, mut cell) = (Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                out.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        out.push(row);
    }
    out.retain(|r| !(r.len() == 1 && r[0].trim().is_empty()));
    out
}

/// The rows of a batch-ship file, each checked on its own (no database yet).
pub fn parse(text: &str) -> Result<Vec<RowResult>, FileError> {
    let recs = records(text);
    let Some((header, rows)) = recs.split_first() else {
        return Err(FileError::Empty);
    };
    let names: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    let col = |a: &str, b: &str| names.iter().position(|n| n == a || n == b);
    let (Some(o), Some(c), Some(t)) = (
        col("orderNo", "订单号"),
        col("carrier", "快递公司"),
        col("trackingNo", "运单号"),
    ) else {
        return Err(FileError::Header);
    };
    if rows.is_empty() {
        return Err(FileError::Empty);
    }
    if rows.len() > MAX_ROWS {
        return Err(FileError::TooManyRows);
    }
    let mut out = Vec::with_capacity(rows.len());
    let mut seen_orders = BTreeSet::new();
    let mut seen_tracking = BTreeSet::new();
    for (i, r) in rows.iter().enumerate() {
        let get = |k: usize| r.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
        let mut row = RowResult {
            line: i + 2,
            order_no: get(o),
            carrier: get(c),
            tracking_no: get(t),
            ok: true,
            code: None,
            message: None,
            order_id: None,
        };
        let cells = [&row.order_no, &row.carrier, &row.tracking_no];
        if cells.iter().any(|v| {
            v.is_empty() || v.chars().count() > MAX_CELL || v.chars().any(char::is_control)
        }) {
            row.fail(RowProblem::RowInvalid, None);
        } else if !known_carrier(&row.carrier) {
            row.fail(RowProblem::CarrierUnknown, None);
        } else if !seen_tracking.insert(row.tracking_no.clone()) {
            row.fail(
                RowProblem::TrackingDuplicate,
                Some("运单号在文件中重复".into()),
            );
        } else if !seen_orders.insert(row.order_no.clone()) {
            row.fail(
                RowProblem::OrderNotShippable,
                Some("订单在文件中重复".into()),
            );
        }
        out.push(row);
    }
    Ok(out)
}

/// Check the rows against the database: the order exists, is paid and is not
/// a pickup order, and no other order already has the tracking number.
pub async fn check(conn: &mut AnyConnection, rows: &mut [RowResult]) -> sqlx::Result<()> {
    let mut tracking_used: BTreeMap<String, i64> = BTreeMap::new();
    for row in rows.iter_mut().filter(|r| r.ok) {
        let order: Option<(i64, String, String)> =
            sqlx::query_as("SELECT id, status, delivery FROM orders WHERE order_no = $1")
                .bind(&row.order_no)
                .fetch_optional(&mut *conn)
                .await?;
        let Some((id, status, delivery)) = order else {
            row.fail(RowProblem::OrderUnknown, None);
            continue;
        };
        row.order_id = Some(id);
        if status != "paid" || super::ship::delivery_kind(&delivery) == "pickup" {
            let label = super::OrderStatus::parse(&status).map_or("", |s| s.label());
            row.fail(
                RowProblem::OrderNotShippable,
                Some(format!("订单{label}，不能发货")),
            );
            continue;
        }
        if !tracking_used.contains_key(&row.tracking_no) {
            let other: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM orders WHERE tracking_no = $1 AND id <> $2 LIMIT 1",
            )
            .bind(&row.tracking_no)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
            if let Some(other) = other {
                tracking_used.insert(row.tracking_no.clone(), other);
            }
        }
        if tracking_used.contains_key(&row.tracking_no) {
            row.fail(
                RowProblem::TrackingDuplicate,
                Some("运单号已用于其他订单".into()),
            );
        }
    }
    Ok(())
}

/// Check every row, then (unless `dry_run`) ship the rows that are ok.
pub async fn run(
    state: &AppState,
    text: &str,
    dry_run: bool,
    now: i64,
) -> Result<Result<Report, FileError>, OrderError> {
    let mut rows = match parse(text) {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    {
        let mut conn = state.db.pool.acquire().await?;
        check(&mut conn, &mut rows).await?;
    }
    let mut shipped = 0;
    if !dry_run {
        for row in rows.iter_mut().filter(|r| r.ok) {
            let id = row.order_id.expect("checked rows have their order");
            match super::ship(state, id, &row.carrier, &row.tracking_no, now).await {
                Ok(()) => shipped += 1,
                Err(OrderError::IllegalTransition { .. } | OrderError::NotFound) => {
                    row.fail(RowProblem::OrderNotShippable, None)
                }
                Err(e) => return Err(e),
            }
        }
    }
    let ok_count = rows.iter().filter(|r| r.ok).count();
    Ok(Ok(Report {
        error_count: rows.len() - ok_count,
        ok_count,
        shipped,
        rows,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_quotes_crlf_and_the_bom() {
        let text = "\u{feff}订单号,快递公司,运单号\r\n\"A1\",\"顺丰\",\"SF1\"\r\n\"B,2\",中通,\"Z\"\"1\"\n\n";
        assert_eq!(
            records(text),
            vec![
                vec!["订单号", "快递公司", "运单号"],
                vec!["A1", "顺丰", "SF1"],
                vec!["B,2", "中通", "Z\"1"],
            ]
        );
    }

    #[test]
    fn rows_are_checked_one_by_one() {
        let text = "orderNo,carrier,trackingNo\nA,顺丰,T1\nB,飞鸽,T2\nC,中通,T1\nA,韵达,T3\n,SF,T4\nD,SF,T5\n";
        let rows = parse(text).unwrap();
        let codes: Vec<Option<RowProblem>> = rows.iter().map(|r| r.code).collect();
        assert_eq!(
            codes,
            [
                None,
                Some(RowProblem::CarrierUnknown),
                Some(RowProblem::TrackingDuplicate),
                Some(RowProblem::OrderNotShippable),
                Some(RowProblem::RowInvalid),
                None,
            ]
        );
        assert_eq!(rows[5].line, 7);
    }

    #[test]
    fn files_without_the_columns_or_rows_are_refused() {
        assert_eq!(parse("a,b,c\n1,2,3\n").unwrap_err(), FileError::Header);
        assert_eq!(
            parse("orderNo,carrier,trackingNo\n").unwrap_err(),
            FileError::Empty
        );
        assert_eq!(parse("").unwrap_err(), FileError::Empty);
        let big = format!(
            "orderNo,carrier,trackingNo\n{}",
            "A,SF,T\n".repeat(MAX_ROWS + 1)
        );
        assert_eq!(parse(&big).unwrap_err(), FileError::TooManyRows);
    }
}
