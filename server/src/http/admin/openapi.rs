//! The console routes' part of the OpenAPI document: request bodies, query
//! parameters and answers, with every bound the handlers enforce.

use serde_json::{json, Value};

use super::products::{
    MAX_CATEGORY_NAME, MAX_DESCRIPTION, MAX_IMAGES, MAX_SHELF_BATCH, MAX_SKUS, MAX_SKU_CODE,
    MAX_SPECS, MAX_SPEC_TEXT, MAX_SPEC_VALUES, MAX_SUBTITLE, MAX_TITLE, MAX_WEIGHT,
};
use super::session::{MAX_PASSWORD, MAX_USERNAME, MIN_PASSWORD};
use crate::http::input::{
    MAX_CODE, MAX_KEY, MAX_KEYWORD, MAX_PAGE, MAX_PAGE_SIZE, MAX_PRICE, MAX_REASON, MAX_STOCK,
    MAX_TRACKING, MAX_URL,
};
use crate::http::schema::{int, line, obj, or_null, paragraph, q, range};

fn page() -> Vec<Value> {
    vec![
        q("page", range(1, MAX_PAGE), false),
        q("pageSize", range(1, MAX_PAGE_SIZE), false),
    ]
}

fn password() -> Value {
    json!({"type": "string", "minLength": MIN_PASSWORD, "maxLength": MAX_PASSWORD})
}

fn role() -> Value {
    json!({"enum": ["owner", "operator", "service", "finance"]})
}

fn username() -> Value {
    json!({"type": "string", "pattern": format!("^[A-Za-z0-9_.-]{{1,{MAX_USERNAME}}}$")})
}

/// A filter's date, or empty for no bound.
fn date_or_empty() -> Value {
    json!({"type": "string", "pattern": "^(?:2[01][0-9]{2}-[01][0-9]-[0-3][0-9])?$", "example": "2025-01-01"})
}

/// The receiver phone's last four digits (empty: no filter).
fn phone_tail() -> Value {
    json!({"type": "string", "pattern": "^(?:[0-9]{4})?$", "example": "5678"})
}

/// A Beijing date (a day that does not exist, or a year outside 2000–2199,
/// answers 422 DATE_RANGE_INVALID).
pub fn date() -> Value {
    json!({"type": "string", "format": "date", "pattern": "^2[01][0-9]{2}-[01][0-9]-[0-3][0-9]$", "example": "2025-01-01"})
}

/// An image or video address: `http(s)://…` or a path on this server (`/…`),
/// as `products::url` checks it (empty allowed when `min` is 0).
fn url(min: usize) -> Value {
    let start = if min == 0 {
        r"^\s*(?:$|https?://|/)"
    } else {
        r"^\s*(?:https?://|/)"
    };
    json!({"allOf": [line(min, MAX_URL), {"type": "string", "pattern": start}],
           "description": "an http(s) URL or a path on this server"})
}

fn product() -> Value {
    let sku = obj(
        &["specs", "listPrice", "stock"],
        json!({
            "id": or_null(int()),
            "specs": {"type": "array", "maxItems": MAX_SPECS, "items": line(1, MAX_SPEC_TEXT)},
            "listPrice": range(0, MAX_PRICE),
            "stock": range(0, MAX_STOCK),
            "weightGrams": range(0, MAX_WEIGHT),
            "code": line(0, MAX_SKU_CODE),
            "memberPrice": {"type": "boolean"},
            "perUserLimit": or_null(range(1, MAX_STOCK)),
            "alertThreshold": range(0, MAX_STOCK),
            "onShelf": {"type": "boolean"}
        }),
    );
    let spec = obj(
        &["name", "values"],
        json!({"name": line(1, MAX_SPEC_TEXT),
               "values": {"type": "array", "minItems": 1, "maxItems": MAX_SPEC_VALUES, "uniqueItems": true, "items": line(1, MAX_SPEC_TEXT)}}),
    );
    let mut p = obj(
        &["categoryId", "title", "mainImage", "skus"],
        json!({
            "categoryId": int(),
            "title": line(1, MAX_TITLE),
            "subtitle": line(0, MAX_SUBTITLE),
            "description": paragraph(0, MAX_DESCRIPTION),
            "mainImage": url(1),
            "images": {"type": "array", "maxItems": MAX_IMAGES, "items": url(1)},
            "videoUrl": url(0),
            "specNames": {"type": "array", "maxItems": MAX_SPECS, "items": spec},
            "onShelf": {"type": "boolean"},
            "skus": {"type": "array", "minItems": 1, "maxItems": MAX_SKUS, "items": sku}
        }),
    );
    p["description"] = json!("skus must be exactly the spec matrix: one SKU per combination of the specNames' values (SKU_MATRIX otherwise)");
    p
}

pub fn request_body(method: &str, path: &str) -> Option<Value> {
    if let Some(b) = super::members::request_body(method, path)
        .or_else(|| super::delivery::request_body(method, path))
        .or_else(|| super::member_campaigns::request_body(method, path))
        .or_else(|| super::member_tags::request_body(method, path))
        .or_else(|| super::distribution::request_body(method, path))
    {
        return Some(b);
    }
    let tracking = || {
        obj(
            &["carrier", "trackingNo"],
            json!({"carrier": line(1, MAX_TRACKING), "trackingNo": line(1, MAX_TRACKING)}),
        )
    };
    Some(match (method, path) {
        ("post", "/admin/api/login") => obj(
            &["username", "password"],
            json!({"username": line(1, MAX_USERNAME), "password": {"type": "string", "maxLength": MAX_PASSWORD}}),
        ),
        ("post", "/admin/api/logout") => return None,
        ("put", "/admin/api/shop") => {
            use super::settings::{MAX_NOTICE, MAX_PHONE, MAX_SHOP_NAME};
            obj(
                &["name"],
                json!({"name": line(1, MAX_SHOP_NAME), "logo": url(0),
                       "servicePhone": {"type": "string", "pattern": format!("^[0-9+ -]{{0,{MAX_PHONE}}}$")},
                       "notice": line(0, MAX_NOTICE)}),
            )
        }
        ("post", "/admin/api/staff") => obj(
            &["username", "role", "password"],
            json!({"username": username(), "name": line(0, MAX_USERNAME), "role": role(), "password": password()}),
        ),
        ("put", "/admin/api/staff/{id}") => obj(
            &[],
            json!({"name": line(0, MAX_USERNAME), "role": role(), "password": password(), "disabled": {"type": "boolean"}}),
        ),
        ("post", "/admin/api/categories") => obj(
            &["name"],
            json!({"parentId": or_null(int()), "name": line(1, MAX_CATEGORY_NAME), "sort": range(0, 9999)}),
        ),
        ("post", "/admin/api/products") | ("put", "/admin/api/products/{id}") => product(),
        ("post", "/admin/api/products/shelf") => obj(
            &["ids", "onShelf"],
            json!({"ids": {"type": "array", "minItems": 1, "maxItems": MAX_SHELF_BATCH, "items": int()},
                   "onShelf": {"type": "boolean"}}),
        ),
        ("put", "/admin/api/skus/{id}/stock") => obj(
            &["stock", "reason"],
            json!({"stock": range(0, MAX_STOCK), "reason": line(1, MAX_REASON)}),
        ),
        ("post", "/admin/api/orders/{id}/ship") => tracking(),
        ("post", "/admin/api/orders/ship-batch") => obj(
            &["items"],
            json!({"items": {"type": "array", "minItems": 1, "maxItems": 200, "items": obj(&["orderId", "carrier", "trackingNo"],
                json!({"orderId": int(), "carrier": line(1, MAX_TRACKING), "trackingNo": line(1, MAX_TRACKING)}))}}),
        ),
        ("post", "/admin/api/orders/ship-csv") => json!({
            "type": "string",
            "description": "CSV, UTF-8 (a BOM is fine): a header naming orderNo,carrier,trackingNo (or 订单号,快递公司,运单号), then 1 to 2000 rows; cells up to 64 characters (else 422 CSV_INVALID)"
        }),
        ("post", "/admin/api/exports/orders") => obj(
            &[],
            json!({
                "status": or_null(json!({"enum": ["", "pending_payment", "paid", "grouping", "shipped", "completed", "cancelled", "refunded"]})),
                "from": or_null(date_or_empty()), "to": or_null(date_or_empty()), "orderNo": or_null(line(0, MAX_KEY)),
                "phoneTail": or_null(phone_tail()),
                "delivery": or_null(json!({"enum": ["", "express", "pickup", "sameCity"]}))
            }),
        ),
        ("post", "/admin/api/uploads") => json!({
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary", "description": "PNG, JPEG, GIF or WebP (checked by content), at most 5 MiB and 8000 px a side"}}
        }),
        ("post", "/admin/api/pickup/write-off") => {
            obj(&["code"], json!({"code": line(1, MAX_CODE)}))
        }
        ("post", "/admin/api/after-sales/{id}/reject") => {
            obj(&["reason"], json!({"reason": paragraph(1, MAX_REASON)}))
        }
        ("post", "/admin/api/bargains") | ("put", "/admin/api/bargains/{id}") => {
            super::bargains::body()
        }
        _ => return super::marketing::request_body(method, path),
    })
}

/// The media type of a console route's success answer (JSON unless said here).
pub fn response_media_type(path: &str) -> &'static str {
    match path {
        "/admin/api/exports/{id}/file" => "text/csv",
        _ => "application/json",
    }
}

/// The media type of a console route's body (JSON unless said here).
pub fn request_media_type(path: &str) -> &'static str {
    match path {
        "/admin/api/orders/ship-csv" => "text/csv",
        "/admin/api/uploads" => "multipart/form-data",
        _ => "application/json",
    }
}

pub fn query_params(method: &str, path: &str) -> Vec<Value> {
    let with_page = |mut extra: Vec<Value>| {
        let mut p = page();
        p.append(&mut extra);
        p
    };
    if let Some(p) = super::members::query_params(method, path)
        .or_else(|| super::groups::query_params(method, path))
        .or_else(|| super::distribution::query_params(method, path))
    {
        return p;
    }
    match (method, path) {
        ("get", "/admin/api/audit") => with_page(vec![q("staffId", int(), false)]),
        ("get", "/admin/api/products") => with_page(vec![
            q("q", line(0, MAX_KEYWORD), false),
            q("categoryId", int(), false),
            q("onShelf", json!({"type": "boolean"}), false),
        ]),
        ("get", "/admin/api/stock-ledger") => with_page(vec![q("skuId", int(), false)]),
        ("get", "/admin/api/orders") => with_page(vec![
            q(
                "status",
                json!({"enum": ["pending_payment", "paid", "grouping", "shipped", "completed", "cancelled", "refunded"]}),
                false,
            ),
            q("from", date_or_empty(), false),
            q("to", date_or_empty(), false),
            q("orderNo", line(0, MAX_KEY), false),
            q("phoneTail", phone_tail(), false),
            q(
                "delivery",
                json!({"enum": ["express", "pickup", "sameCity"]}),
                false,
            ),
        ]),
        ("post", "/admin/api/orders/ship-csv") => {
            vec![q(
                "dryRun",
                json!({"type": "boolean", "default": true}),
                false,
            )]
        }
        ("get", "/admin/api/stats/trend")
        | ("get", "/admin/api/stats/funnel")
        | ("get", "/admin/api/stats/top-products")
        | ("get", "/admin/api/stats/channels")
        | ("get", "/admin/api/stats/order-types")
        | ("get", "/admin/api/stats/repurchase")
        | ("get", "/admin/api/stats/rec-slots") => {
            let day = |what: &str| {
                let mut d = date();
                d["description"] = json!(format!(
                    "{what} Beijing date, inclusive (from after to: swapped; over {} days: the last {} days up to to)",
                    crate::stats::buckets::MAX_RANGE_DAYS,
                    crate::stats::buckets::MAX_RANGE_DAYS
                ));
                d
            };
            vec![q("from", day("first"), true), q("to", day("last"), true)]
        }
        ("get", "/admin/api/stats/heatmap") => {
            vec![q("weeks", range(1, crate::stats::MAX_HEATMAP_WEEKS), false)]
        }
        ("get", "/admin/api/after-sales") => with_page(vec![q(
            "status",
            json!({"enum": ["requested", "awaiting_return", "returned", "refunding", "refunded",
                            "refund_abnormal", "refund_closed", "rejected"]}),
            false,
        )]),
        _ => Vec::new(),
    }
}

pub fn success(method: &str, path: &str) -> Vec<(&'static str, Option<Value>)> {
    let object = || Some(json!({"type": "object"}));
    if super::marketing::creates(method, path) {
        return vec![("201", object())];
    }
    if let Some(s) = super::distribution::success(method, path) {
        return s;
    }
    if let Some(s) = super::member_tags::success(method, path) {
        return s;
    }
    match (method, path) {
        ("post", "/admin/api/logout") => vec![("204", None)],
        ("post", "/admin/api/staff")
        | ("post", "/admin/api/categories")
        | ("post", "/admin/api/products")
        | ("post", "/admin/api/bargains") => vec![("201", object())],
        ("post", "/admin/api/exports/orders") => vec![("202", object())],
        ("post", "/admin/api/uploads") => vec![("201", object())],
        ("get", "/admin/api/member-campaigns") => vec![(
            "200",
            Some(json!({"type": "array", "items": {"type": "object",
                "required": ["id", "title", "enabled", "trigger", "audience", "caps", "holdoutBps", "effect"]}})),
        )],
        ("get", "/admin/api/exports/{id}/file") => vec![(
            "200",
            Some(json!({"type": "string", "description": "text/csv; charset=utf-8, with a BOM"})),
        )],
        _ => vec![("200", object())],
    }
}
