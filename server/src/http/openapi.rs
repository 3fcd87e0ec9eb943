//! The OpenAPI 3.1 document, generated from the route registry ([`super::Api`])
//! plus the request bodies, query parameters and response shapes below. A test
//! checks that every route taking a JSON body documents it, and that every
//! documented query parameter is accepted.

use std::collections::BTreeMap;

use mall_core::cart::MAX_LINE_QUANTITY;
use serde_json::{json, Value};

use super::addresses::{MAX_ADDRESS_DETAIL, MAX_ADDRESS_FIELD};
use super::input::{
    MAX_CODE, MAX_KEY, MAX_KEYWORD, MAX_NICKNAME, MAX_PAGE, MAX_PAGE_SIZE, MAX_PRICE, MAX_REASON,
    MAX_STOCK, MAX_TRACKING, MAX_URL,
};
use super::reviews::MAX_TEXT_CHARS;
pub(crate) use super::schema::{
    array_of, fen, int, line, obj, or_null, paragraph, q, range, schema_ref, unsigned, BIDI,
    TRIMMED,
};
use super::{Access, RouteDoc};

/// ASCII characters of `class`, `min..=max` of them, with trimmed white space around.
fn trimmed_ascii(class: &str, min: usize, max: usize, desc: &str) -> Value {
    json!({"type": "string", "description": desc,
           "pattern": format!("^[{TRIMMED}]*[{class}]{{{min},{max}}}[{TRIMMED}]*$")})
}

fn quantity() -> Value {
    range(1, MAX_LINE_QUANTITY)
}

/// A variant without fields of the core's `kind`-tagged choices: serde lets
/// other members through there, so the document does too.
fn unit_variant(kind: &str) -> Value {
    json!({"type": "object", "required": ["kind"], "properties": {"kind": {"const": kind}}})
}

fn checkout_body(place: bool) -> Value {
    let item = obj(
        &["skuId", "quantity"],
        json!({"skuId": int(), "activityId": or_null(json!({"type": "string", "description": "an unknown activity makes the line invalid: quote.invalidLines"})),
               "bargainId": or_null(json!({"type": "integer", "format": "int64", "description": "buy the shopper's own live bargain (quantity 1) at its current price; not with activityId"})),
               "quantity": {"type": "integer", "format": "int64",
                            "description": "a quantity the core refuses (outside 1..=MAX_LINE_QUANTITY) makes the line invalid: quote.invalidLines"}}),
    );
    let mut item = item;
    // activityId or bargainId, not both (`orders::place::prepare`).
    item["not"] = json!({"required": ["activityId", "bargainId"],
        "properties": {"activityId": {"type": "string"}, "bargainId": {"type": "integer"}}});
    let mut p = json!({
        "items": or_null(json!({"type": "array", "minItems": 1, "maxItems": 50, "items": item,
                                "description": "buy now; without it (or null) the selected cart lines"})),
        "coupons": {"description": "mall-core CouponChoice", "oneOf": [
            unit_variant("best"),
            unit_variant("none"),
            obj(&["kind", "couponIds"], json!({"kind": {"const": "manual"}, "couponIds": {"type": "array", "uniqueItems": true, "items": {"type": "string"}}}))
        ]},
        "points": {"description": "mall-core PointsChoice", "oneOf": [
            unit_variant("none"),
            unit_variant("max"),
            obj(&["kind", "points"], json!({"kind": {"const": "exactly"}, "points": unsigned()}))
        ]},
        "addressId": or_null(json!({"type": "integer", "format": "int64", "description": "express delivery to this address"})),
        "delivery": or_null(json!({"description": "mall-core Delivery other than express (express is addressId)", "oneOf": [
            obj(&["kind", "storeId"], json!({"kind": {"const": "pickup"}, "storeId": {"type": "string"}})),
            obj(&["kind", "distanceMeters"], json!({"kind": {"const": "sameCity"}, "distanceMeters": unsigned(),
                "slotId": or_null(json!({"type": "string"}))}))
        ]})),
        "group": super::groups::doc_group_choice()
    });
    if place {
        p["fingerprint"] = line(1, MAX_KEY);
        p["fingerprint"]["description"] = json!("the confirmed quote's fingerprint");
        p["idempotencyKey"] = line(1, MAX_KEY);
        p["remark"] = paragraph(0, MAX_REASON);
    }
    let required: &[&str] = if place {
        &["fingerprint", "idempotencyKey"]
    } else {
        &[]
    };
    let mut body = obj(required, p);
    let address =
        json!({"required": ["addressId"], "properties": {"addressId": {"type": "integer"}}});
    let delivery =
        json!({"required": ["delivery"], "properties": {"delivery": {"type": "object"}}});
    // addressId or delivery, not both (`orders::place::prepare`).
    body["not"] = json!({"allOf": [address, delivery]});
    if place {
        // An order is delivered somehow.
        body["anyOf"] = json!([address, delivery]);
    }
    body
}

fn address_input() -> Value {
    let field = || line(1, MAX_ADDRESS_FIELD);
    obj(
        &[
            "name",
            "phone",
            "regionCode",
            "province",
            "city",
            "district",
            "detail",
        ],
        json!({"name": field(),
               "phone": trimmed_ascii("0-9+-", 5, 20, "digits, + and -"),
               "regionCode": trimmed_ascii("0-9", 2, 12, "administrative region code"),
               "province": field(), "city": field(), "district": field(),
               "detail": line(1, MAX_ADDRESS_DETAIL), "isDefault": {"type": "boolean"}}),
    )
}

/// A banner's link: a mini-program page, or empty, at most [`MAX_URL`]
/// characters after trimming.
pub(crate) fn banner_url() -> Value {
    let any = format!(r"[^\x00-\x1F\x7F-\x9F{BIDI}]");
    let edge = format!(r"[^\x00-\x1F\x7F-\x9F{BIDI}{TRIMMED}]");
    let page = |prefix: &str| {
        let rest = MAX_URL - prefix.len() - 1;
        format!("{prefix}(?:{any}{{0,{rest}}}{edge})?")
    };
    json!({"type": "string",
           "description": format!("a mini-program page (/pages/… or /pkg-…) of at most {MAX_URL} characters, or empty"),
           "pattern": format!("^(?:(?:{}|{})[{TRIMMED}]*)?$", page("/pages/"), page("/pkg-"))})
}

/// A batch of shopper events (`events::validate` holds the same bounds).
fn events_body() -> Value {
    use crate::events::{
        MAX_BATCH, MAX_CH, MAX_ID, MAX_ID_NUMBER, MAX_KEYWORD, MAX_PAGE_PATH, MAX_QTY, MAX_SCENE,
        MAX_TS_MS, NAMES, REC_SLOTS,
    };
    let hex = |n: usize| format!("[0-9A-Fa-f]{{{n}}}");
    let event = obj(
        &["uuid", "name", "ts", "sessionId", "visitorId"],
        json!({
            "uuid": {"type": "string", "description": "the client's UUID for this event: a retry with the same one is stored once",
                     "pattern": format!("^{}-{}-{}-{}-{}$", hex(8), hex(4), hex(4), hex(4), hex(12))},
            "name": {"enum": NAMES},
            "ts": {"type": "integer", "format": "int64", "minimum": 0, "maximum": MAX_TS_MS,
                   "description": "the client's clock in milliseconds (Date.now()); a time over 7 days old or 10 minutes ahead of the server's is replaced by the receive time"},
            "sessionId": {"type": "string", "pattern": format!("^[A-Za-z0-9_-]{{1,{MAX_ID}}}$"),
                          "description": "rotates after 30 minutes without events"},
            "visitorId": {"type": "string", "pattern": format!("^[A-Za-z0-9_-]{{1,{MAX_ID}}}$"),
                          "description": "kept in the mini-program's storage"},
            "props": obj(&[], json!({
                "scene": or_null(range(0, MAX_SCENE)),
                "ch": or_null(json!({"type": "string", "pattern": format!("^[A-Za-z0-9_.-]{{0,{MAX_CH}}}$"),
                                     "description": "our channel parameter (QR codes, shares)"})),
                "productId": or_null(range(1, MAX_ID_NUMBER)),
                "skuId": or_null(range(1, MAX_ID_NUMBER)),
                "qty": or_null(range(1, MAX_QTY)),
                "page": or_null(line(0, MAX_PAGE_PATH)),
                "keyword": or_null(line(0, MAX_KEYWORD)),
                "slot": or_null(json!({"enum": REC_SLOTS,
                    "description": "the recommendation slot: required with productId on rec_impression and rec_click, and only there (else 422 EVENT_REC_SLOT)"}))
            }))
        }),
    );
    obj(
        &["events"],
        json!({"events": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": event}}),
    )
}

/// The JSON body a route takes.
pub fn request_body(method: &str, path: &str) -> Option<Value> {
    if path.starts_with("/admin/api/") && path != "/admin/api/banners" {
        return super::admin::openapi::request_body(method, path);
    }
    if let Some(b) = super::share::request_body(method, path) {
        return Some(b);
    }
    if let Some(b) = super::subscriptions::request_body(method, path) {
        return Some(b);
    }
    if let Some(b) = super::distribution::request_body(method, path) {
        return Some(b);
    }
    let tracking = || {
        obj(
            &["carrier", "trackingNo"],
            json!({"carrier": line(1, MAX_TRACKING), "trackingNo": line(1, MAX_TRACKING)}),
        )
    };
    Some(match (method, path) {
        ("post", "/api/merchant/orders/{id}/ship") | ("post", "/api/after-sales/{id}/return") => {
            tracking()
        }
        ("post", "/api/merchant/orders/ship-batch") => obj(
            &["items"],
            json!({"items": {"type": "array", "minItems": 1, "maxItems": 200, "items": obj(&["orderId", "carrier", "trackingNo"],
                json!({"orderId": int(), "carrier": line(1, MAX_TRACKING), "trackingNo": line(1, MAX_TRACKING)}))}}),
        ),
        ("post", "/api/merchant/pickup/write-off") => {
            obj(&["code"], json!({"code": line(1, MAX_CODE)}))
        }
        ("post", "/api/merchant/after-sales/{id}/reject") => {
            obj(&["reason"], json!({"reason": paragraph(1, MAX_REASON)}))
        }
        ("post", "/api/orders/{id}/lines/{lineId}/review") => obj(
            &["rating"],
            json!({"rating": range(1, 5), "text": paragraph(0, MAX_TEXT_CHARS)}),
        ),
        ("post", "/api/orders/{id}/after-sales")
        | ("post", "/api/orders/{id}/after-sales/preview") => obj(
            &["kind", "items"],
            json!({"kind": {"enum": ["refund_only", "return_refund"]},
                   "items": {"type": "array", "items": obj(&["lineId", "quantity"], json!({"lineId": {"type": "string"}, "quantity": unsigned()}))},
                   "includeShipping": {"type": "boolean"}, "reason": paragraph(0, MAX_REASON)}),
        ),
        ("post", "/api/auth/login") => obj(
            &["code"],
            json!({"code": line(1, MAX_CODE),
                   "nickname": or_null(line(0, MAX_NICKNAME)), "avatar": or_null(line(0, MAX_URL))}),
        ),
        ("post", "/api/auth/phone") => obj(&["code"], json!({"code": line(1, MAX_CODE)})),
        ("post", "/api/coupons/{id}/claim") => obj(
            &[],
            json!({"requestId": {"type": "string", "minLength": 1, "maxLength": MAX_KEY, "pattern": "^[A-Za-z0-9_-]+$",
                   "description": "the client's id for this claim: a retry with it answers the first coupon (200) and takes nothing"}}),
        ),
        ("post", "/api/events") => events_body(),
        ("post", "/api/cart/items") => obj(
            &["skuId", "quantity"],
            json!({"skuId": int(), "quantity": quantity(), "activityId": or_null(line(0, MAX_KEY))}),
        ),
        ("patch", "/api/cart/items/{id}") => obj(
            &[],
            json!({"quantity": or_null(quantity()), "selected": or_null(json!({"type": "boolean"}))}),
        ),
        ("post", "/api/cart/selection") => {
            obj(&["selected"], json!({"selected": {"type": "boolean"}}))
        }
        ("post", "/api/addresses") | ("put", "/api/addresses/{id}") => address_input(),
        ("post", "/api/checkout/quote") | ("post", "/api/checkout/input") => checkout_body(false),
        ("post", "/api/orders") => checkout_body(true),
        ("put", "/api/merchant/skus/{id}/stock") => {
            obj(&["stock"], json!({"stock": range(0, MAX_STOCK)}))
        }
        ("put", "/api/merchant/banners") | ("put", "/admin/api/banners") => obj(
            &["banners"],
            json!({"banners": {"type": "array", "maxItems": 10, "items": obj(&["image"],
                json!({"image": line(1, MAX_URL), "url": banner_url()}))}}),
        ),
        _ => return None,
    })
}

/// The query parameters a route accepts.
pub fn query_params(method: &str, path: &str) -> Vec<Value> {
    if path.starts_with("/admin/api/") {
        return super::admin::openapi::query_params(method, path);
    }
    if let Some(p) = super::groups::query_params(method, path) {
        return p;
    }
    if (method, path) == ("post", "/api/orders") {
        return vec![
            json!({"name": super::checkout::RETRY_HEADER, "in": "header", "required": false,
            "schema": {"type": "string", "enum": ["1"]},
            "description": "1: this repeats a call whose answer was lost (same idempotencyKey); the order may exist, so a flash sale's gate lets the database answer"}),
        ];
    }
    if (method, path) == ("post", "/api/cart/items") {
        return vec![json!({"name": "Prefer", "in": "header", "required": false,
            "schema": {"type": "string"},
            "description": "return=minimal (RFC 7240): answer 204 with Preference-Applied and without the cart; any other preference is the cart (200)"})];
    }
    if let Some(p) = super::distribution::query_params(method, path) {
        return p;
    }
    if let Some(p) = super::recommend::query_params(method, path) {
        return p;
    }
    let page = || {
        vec![
            q("page", range(1, MAX_PAGE), false),
            q("pageSize", range(1, MAX_PAGE_SIZE), false),
        ]
    };
    let price = |desc: &str| {
        let mut p = range(0, MAX_PRICE);
        p["description"] = json!(format!("{desc} (fen)"));
        p
    };
    let sort =
        json!({"type": "string", "enum": ["default", "sales", "priceAsc", "priceDesc", "newest"]});
    let mut out = match (method, path) {
        ("get", "/api/products") => vec![
            q("categoryId", int(), false),
            q("keyword", line(0, MAX_KEYWORD), false),
            q("minPrice", price("lowest price"), false),
            q("maxPrice", price("highest price"), false),
            q("inStock", json!({"type": "boolean"}), false),
            q("sort", sort, false),
        ],
        ("get", "/api/search") => vec![
            q("keyword", line(1, MAX_KEYWORD), true),
            q("categoryId", int(), false),
            q("minPrice", price("lowest price"), false),
            q("maxPrice", price("highest price"), false),
            q("sort", sort, false),
        ],
        ("get", "/api/search/suggest") => {
            return vec![q("q", line(0, MAX_KEYWORD), true)];
        }
        ("get", "/api/orders") => vec![q(
            "tab",
            json!({"type": "string", "enum": ["all", "unpaid", "toShip", "toReceive", "completed", "afterSale"]}),
            false,
        )],
        ("get", "/api/merchant/refunds") => {
            return vec![q(
                "status",
                json!({"type": "string", "description": "empty: every status",
                       "enum": ["abnormal", "pending", "processing", "success", "closed", "superseded", ""]}),
                false,
            )]
        }
        ("get", "/api/products/{id}/reviews") => vec![],
        ("get", "/api/bargains") => vec![],
        ("get", "/api/member/coupons") => {
            return vec![q(
                "status",
                json!({"type": "string", "enum": ["available", "used", "expired", "gifting", "gifted"]}),
                false,
            )]
        }
        ("get", "/api/signin") => {
            return vec![q(
                "month",
                json!({"type": "string", "pattern": "^2[01][0-9]{2}-(0[1-9]|1[0-2])$", "example": "2025-01",
                       "description": "a Beijing month, 2000-01 to 2199-12 (default: this month)"}),
                false,
            )]
        }
        _ => return Vec::new(),
    };
    out.extend(page());
    out
}

/// The success answers of a route: status → schema (`None`: no body).
fn success(method: &str, path: &str) -> Vec<(&'static str, Option<Value>)> {
    if path.starts_with("/admin/api/") {
        return super::admin::openapi::success(method, path);
    }
    if let Some(s) = super::groups::success(method, path) {
        return s;
    }
    if let Some(s) = super::share::success(method, path) {
        return s;
    }
    if let Some(s) = super::subscriptions::success(method, path) {
        return s;
    }
    if let Some(s) = super::recommend::success(method, path) {
        return s;
    }
    if let Some(s) = super::flash::success(method, path) {
        return s;
    }
    if let Some(s) = super::distribution::success(method, path) {
        return s;
    }
    let one = |c: &str| vec![("200", Some(schema_ref(c)))];
    let created = |c: &str| vec![("201", Some(schema_ref(c)))];
    let loose = |t: &str| vec![("200", Some(json!({"type": t})))];
    match (method, path) {
        ("post", "/api/checkout/quote") => one("Quote"),
        ("post", "/api/checkout/input") => one("PricingInput"),
        // 201 placed; 200 the same order again for a repeated idempotency key.
        ("post", "/api/orders") => vec![
            ("201", Some(schema_ref("Order"))),
            ("200", Some(schema_ref("Order"))),
        ],
        ("post", "/api/orders/{id}/lines/{lineId}/review") => created("Review"),
        ("post", "/api/orders/{id}/after-sales") => created("AfterSale"),
        ("post", "/api/orders/{id}/after-sales/preview") => one("RefundPreview"),
        ("post", "/api/orders/{id}/pay") => one("Payment"),
        ("get", "/api/products/{id}/reviews") => one("ReviewPage"),
        ("get", "/api/after-sales") | ("get", "/api/merchant/orders/{id}/after-sales") => {
            vec![("200", Some(array_of("AfterSale")))]
        }
        (_, "/api/after-sales/{id}")
        | (_, "/api/after-sales/{id}/return")
        | (_, "/api/merchant/after-sales/{id}/approve")
        | (_, "/api/merchant/after-sales/{id}/reject")
        | (_, "/api/merchant/after-sales/{id}/receive") => one("AfterSale"),
        ("get", "/api/merchant/refunds") => vec![("200", Some(array_of("Refund")))],
        (_, "/api/merchant/refunds/{id}/retry") | (_, "/api/merchant/refunds/{id}/close") => {
            one("Refund")
        }
        ("get", "/api/merchant/orders/{id}/shipping-info") => loose("object"),
        ("get", "/api/orders") => one("OrderPage"),
        ("get", "/api/orders/{id}")
        | ("post", "/api/orders/{id}/cancel")
        | ("post", "/api/orders/{id}/confirm-receipt")
        | ("get", "/api/merchant/orders/{id}")
        | ("post", "/api/merchant/orders/{id}/mark-paid")
        | ("post", "/api/merchant/orders/{id}/ship")
        | ("post", "/api/merchant/pickup/write-off") => one("Order"),
        // 204: the line added, without the cart (`Prefer: return=minimal`).
        ("post", "/api/cart/items") => vec![("200", Some(schema_ref("Cart"))), ("204", None)],
        (_, p) if p.starts_with("/api/cart") => one("Cart"),
        ("get", "/api/products") | ("get", "/api/search") => one("ProductPage"),
        ("get", "/api/products/{id}") => one("Product"),
        ("get", "/api/categories") => one("Categories"),
        ("get", "/api/home") => one("Home"),
        ("post", "/api/auth/login") => one("Session"),
        ("get", "/api/member") => one("Member"),
        ("get", "/api/member/coupons") => vec![("200", Some(array_of("WalletCoupon")))],
        ("post", "/api/bargain-activities/{id}/start") => {
            vec![("201", Some(json!({"type": "object"})))]
        }
        ("get", "/api/coupons") => vec![("200", Some(array_of("CouponBatch")))],
        ("post", "/api/member/coupons/{id}/gift") => one("GiftOpened"),
        ("get", "/api/gifts/{token}") => one("GiftCard"),
        ("post", "/api/signin") => one("SignIn"),
        ("get", "/api/signin") => one("SignInCalendar"),
        // 201 claimed; 200 the same coupon again for a repeated requestId.
        ("post", "/api/coupons/{id}/claim") => vec![
            ("201", Some(schema_ref("WalletCoupon"))),
            ("200", Some(schema_ref("WalletCoupon"))),
        ],
        ("post", "/api/gifts/{token}/accept") => created("WalletCoupon"),
        ("post", "/api/member/coupons/{id}/gift/cancel") => one("WalletCoupon"),
        ("get", "/api/addresses") => vec![("200", Some(array_of("Address")))],
        ("post", "/api/addresses") => created("Address"),
        ("delete", "/api/addresses/{id}") => vec![("204", None)],
        ("put", "/api/addresses/{id}")
        | ("get", "/api/addresses/{id}")
        | ("post", "/api/addresses/{id}/default") => one("Address"),
        ("post", "/api/pay/notify")
        | ("post", "/api/pay/refund-notify")
        | ("post", "/api/pay/transfer-notify") => {
            vec![("204", None)]
        }
        ("post", "/api/events") => vec![(
            "202",
            Some(
                json!({"type": "object", "required": ["accepted", "duplicates"], "properties": {
                "accepted": {"type": "integer", "description": "events stored now"},
                "duplicates": {"type": "integer", "description": "events already stored (a retry)"}}}),
            ),
        )],
        _ => loose("object"),
    }
}

/// Every answer of a route: its successes, and errors in the `Error` shape
/// (WeChat Pay's notifications: `{code: "FAIL", …}`).
fn responses(method: &str, path: &str) -> Value {
    let mut out = serde_json::Map::new();
    for (status, schema) in success(method, path) {
        let desc = match status {
            "201" => "Created",
            "202" => "Accepted",
            "204" => "No content",
            _ => "OK",
        };
        let media = if path.starts_with("/admin/api/") {
            super::admin::openapi::response_media_type(path)
        } else if path == "/api/share/{token}/code" {
            "image/png"
        } else {
            "application/json"
        };
        let r = match schema {
            Some(s) => json!({"description": desc, "content": {media: {"schema": s}}}),
            None => json!({"description": desc}),
        };
        out.insert(status.to_string(), r);
    }
    let error = |c: &str, d: &str| json!({"description": d, "content": {"application/json": {"schema": schema_ref(c)}}});
    if path.starts_with("/api/pay/") {
        out.insert(
            "4XX".into(),
            error("PayFail", "Refused: WeChat Pay retries"),
        );
        out.insert(
            "5XX".into(),
            error("PayFail", "Not applied: WeChat Pay retries"),
        );
        out.insert("413".into(), error("Error", "Body over 1 MiB"));
    } else {
        out.insert("default".into(), error("Error", "Error"));
    }
    Value::Object(out)
}

fn components() -> Value {
    let o = |desc: &str, props: Value| json!({"type": "object", "description": desc, "properties": props});
    let mut c = json!({
        "Error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "description": "stable SCREAMING_SNAKE_CASE code (mall-core's for rule failures)"},
                "message": {"type": "string", "description": "shopper-facing message"},
                "details": {"type": "object"}
            }
        },
        "Quote": o("mall-core's Quote, exactly as the core returns it (docs/rules.md)", json!({
            "lines": {"type": "array"}, "invalidLines": {"type": "array"}, "goodsTotal": fen("Σ unit price × quantity"),
            "discounts": {"type": "array"}, "coupons": {"type": "object"}, "points": {"type": "object"},
            "shipping": {"type": ["object", "null"]}, "payable": fen("what is charged"),
            "fingerprint": {"type": "string", "description": "send back when placing the order"}
        })),
        "Order": o("an order with its quote as charged and its OrderSnapshot (per-line, per-unit allocations)", json!({
            "id": int(), "orderNo": {"type": "string"},
            "status": {"type": "string", "enum": ["pending_payment", "paid", "grouping", "shipped", "completed", "cancelled", "refunded"]},
            "statusLabel": {"type": "string"}, "actions": {"type": "array", "items": {"type": "string"}},
            "payable": fen("charged"), "lines": {"type": "array"}, "quote": {"$ref": "#/components/schemas/Quote"},
            "snapshot": {"type": "object"}, "address": {"type": ["object", "null"]}, "expiresAt": {"type": ["integer", "null"]}
        })),
        "OrderPage": o("a page of order summaries", json!({"items": {"type": "array"}, "page": int(), "pageSize": int(), "total": int(), "hasMore": {"type": "boolean"}})),
        "Cart": o("cart items and the core's quote of the selected lines", json!({"items": {"type": "array"}, "quote": {"$ref": "#/components/schemas/Quote"}})),
        "PricingInput": o("the core's QuoteInput the server prices (wasm/src/types.d.ts), and its quote", json!({"input": {"type": "object"}, "quote": {"$ref": "#/components/schemas/Quote"}})),
        "ProductPage": o("a page of product cards", json!({"items": {"type": "array"}, "page": int(), "pageSize": int(), "total": int(), "hasMore": {"type": "boolean"}})),
        "Product": o("SPU with its SKU matrix, stock, activities and review summary", json!({"specNames": {"type": "array"}, "skus": {"type": "array"}, "activities": {"type": "array"},
            "reviewSummary": {"$ref": "#/components/schemas/ReviewSummary"}})),
        "Categories": {"type": "array", "description": "two-level category tree"},
        "Home": {
            "type": "object",
            "description": "the mini-program's home page",
            "required": ["now", "shop", "banners", "categories", "flashSale", "recommended"],
            "properties": {
                "now": {"type": "integer", "format": "int64", "description": "server time (unix seconds) for the countdown"},
                "banners": {"type": "array", "items": {"type": "object", "properties": {"image": {"type": "string"}, "url": {"type": "string"}}}},
                "categories": {"type": "array", "description": "the first three top-level categories",
                               "items": {"type": "object", "properties": {"id": int(), "name": {"type": "string"}, "icon": {"type": "string"}}}},
                "flashSale": {"description": "the running flash sale that ends first, or null", "oneOf": [{"type": "null"}, {
                    "type": "object",
                    "properties": {
                        "activityId": {"type": "string"}, "title": {"type": "string"}, "startsAt": int(), "endsAt": int(),
                        "items": {"type": "array", "items": {"type": "object", "properties": {
                            "productId": int(), "skuId": int(), "title": {"type": "string"}, "image": {"type": "string"},
                            "price": fen("flash-sale price"), "listPrice": fen("list price")}}}
                    }
                }]},
                "recommended": {"$ref": "#/components/schemas/ProductPage"}
            }
        },
        "Session": o("our session token", json!({"token": {"type": "string"}, "expiresAt": int(), "userId": int(),
            "subscribe": {"type": "object", "description": "subscription-message template ids to ask for at each moment (pay, afterSale, coupon, member): see /api/subscriptions",
                "additionalProperties": {"type": "array", "items": {"type": "string"}}}})),
        "Member": o("profile, level, growth, points, points debt, coupon counts", json!({"points": int(), "pointsDebt": int(), "member": {"type": "object"}, "coupons": {"type": "object"}})),
        "Address": {
            "type": "object",
            "description": "an address of the shopper's address book",
            "required": ["id", "name", "phone", "regionCode", "province", "city", "district", "detail", "isDefault"],
            "additionalProperties": false,
            "properties": {
                "id": int(), "name": {"type": "string"}, "phone": {"type": "string"}, "regionCode": {"type": "string"},
                "province": {"type": "string"}, "city": {"type": "string"}, "district": {"type": "string"},
                "detail": {"type": "string"}, "isDefault": {"type": "boolean"}
            }
        }
    });
    // (Beside the literal above: json! has a recursion limit.)
    c["Home"]["properties"]["shop"] = json!({"type": "object",
        "description": "the shop's name, logo, service phone and notice (设置 → 店铺)",
        "properties": {"name": {"type": "string"}, "logo": {"type": "string"},
                       "servicePhone": {"type": "string"}, "notice": {"type": "string"}}});
    if let Some(m) = c.as_object_mut() {
        m.extend(review_components());
        m.extend(super::groups::components());
        m.extend(super::share::components());
        m.extend(super::subscriptions::components());
        m.extend(super::flash::components());
        m.extend(super::recommend::components());
        m.extend(super::distribution::components());
        m.extend(social_components());
    }
    c
}

fn review_components() -> serde_json::Map<String, Value> {
    let o = |desc: &str, props: Value| json!({"type": "object", "description": desc, "properties": props});
    let v = json!({
        "Review": {"type": "object", "required": ["id", "nickname", "rating", "text", "createdAt"], "properties": {
            "id": int(), "nickname": {"type": "string", "description": "masked: first character, ***, last character"},
            "rating": {"type": "integer", "minimum": 1, "maximum": 5}, "text": {"type": "string"}, "createdAt": int()}},
        "ReviewSummary": {"type": "object", "required": ["count", "goodRate", "latest"], "properties": {
            "count": int(),
            "goodRate": {"type": ["string", "null"], "description": "share of ratings >= 4, whole percent rounded down (\"96%\"); null without reviews"},
            "latest": {"type": "array", "description": "the two newest", "items": {"$ref": "#/components/schemas/Review"}}}},
        "ReviewPage": o("a page of reviews, newest first", json!({"items": {"type": "array", "items": {"$ref": "#/components/schemas/Review"}}, "page": int(), "pageSize": int(), "total": int(), "hasMore": {"type": "boolean"}})),
        "RefundPreview": {"type": "object", "required": ["amount", "pointsReturned", "couponsBack", "couponsReturned", "wholeOrder"], "properties": {
            "amount": fen("cash the approval would refund now"), "pointsReturned": int(),
            "couponsBack": {"type": "boolean", "description": "coupons come back (only with the whole order)"},
            "couponsReturned": {"type": "array", "items": {"type": "string"}}, "wholeOrder": {"type": "boolean"}}},
        "PayFail": {
            "type": "object",
            "description": "WeChat Pay's refusal shape (WeChat retries the notification)",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"const": "FAIL"},
                "message": {"type": "string"},
                "details": {"type": "object"}
            }
        },
        "AfterSale": o("an after-sales request", json!({"id": int(), "orderId": int(),
            "kind": {"type": "string", "enum": ["refund_only", "return_refund"]}, "status": {"type": "string"}})),
        "Refund": o("a refund of an order", json!({"id": int(), "orderId": int(), "afterSaleId": {"type": ["integer", "null"]},
            "status": {"type": "string"}})),
        "Payment": {"type": "object", "required": ["orderId", "paid", "amount", "params"], "properties": {
            "orderId": int(), "paid": {"type": "boolean", "description": "already paid (nothing to pay)"},
            "amount": fen("the order's payable"),
            "params": {"type": ["object", "null"], "description": "the wx.requestPayment arguments; null when already paid"}}},
        "WalletCoupon": o("a coupon in the shopper's wallet", json!({"id": int(), "templateId": int(), "title": {"type": "string"},
            "status": {"type": "string", "enum": ["available", "used", "expired", "gifting", "gifted"]},
            "transferable": {"type": "boolean", "description": "its batch may be gifted"},
            "received": {"type": "boolean", "description": "received from a friend (never gifted again)"},
            "giftExpiresAt": {"type": ["integer", "null"], "description": "while gifting: when the card closes"},
            "giftToken": {"type": ["string", "null"], "description": "while gifting: the card's token (pkg-activity/gift/index?token=…)"}}))
    });
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

/// The coupon center's, gifts' and sign-in's answers.
fn social_components() -> serde_json::Map<String, Value> {
    let nullable = |t: &str| json!({"type": [t, "null"]});
    let next = json!({"type": ["object", "null"], "description": "the next streak bonus if the streak goes on (还差N天)",
        "properties": {"day": int(), "daysLeft": int(), "points": int(), "growth": int()}});
    let signed = json!({"type": "object", "required": ["date", "streak", "points", "growth", "already"], "properties": {
        "date": {"type": "string", "format": "date", "description": "the Beijing date"}, "streak": int(),
        "points": int(), "growth": int(), "bonusDay": nullable("integer"), "nextBonus": next,
        "already": {"type": "boolean", "description": "today was already signed: the same reward, nothing more earned"}}});
    let v = json!({
        "CouponBatch": {"type": "object", "required": ["id", "title", "remaining", "perUserLimit", "claimed", "canClaim"], "properties": {
            "id": int(), "title": {"type": "string"}, "shopId": nullable("string"), "kind": {"type": "object"}, "scope": {"type": "object"},
            "validFrom": nullable("integer"), "validUntil": nullable("integer"), "validDays": nullable("integer"),
            "total": int(), "remaining": int(), "perUserLimit": int(), "perDayLimit": nullable("integer"),
            "remainingToday": {"type": ["integer", "null"], "description": "left today under the daily cap (null without one)"},
            "transferable": {"type": "boolean"},
            "claimed": {"type": "integer", "description": "how many of the batch the shopper holds (0 anonymous)"},
            "canClaim": {"type": "boolean"}}},
        "GiftOpened": {"type": "object", "required": ["couponId", "token", "expiresAt"], "properties": {
            "couponId": int(), "token": {"type": "string", "maxLength": 32, "description": "the share token (WeChat scene alphabet)"},
            "expiresAt": int()}},
        "GiftCard": {"type": "object", "required": ["token", "title", "fromNickname", "expiresAt", "state", "mine"], "properties": {
            "token": {"type": "string"}, "title": {"type": "string"}, "kind": {"type": "object"},
            "validFrom": int(), "validUntil": int(), "fromNickname": {"type": "string"}, "fromAvatar": {"type": "string"},
            "expiresAt": int(), "state": {"type": "string", "enum": ["gifting", "accepted", "returned"]},
            "mine": {"type": "boolean", "description": "the viewer is the giver"}}},
        "SignIn": signed.clone(),
        "SignInCalendar": {"type": "object", "required": ["month", "today", "signedToday", "streak", "rule", "days"], "properties": {
            "month": {"type": "string", "example": "2025-01"}, "today": {"type": "string", "format": "date"},
            "signedToday": {"type": "boolean"}, "streak": {"type": "integer", "description": "the streak still alive (signed today or yesterday), else 0"},
            "rule": {"type": "object", "description": "mall-core SigninRule"}, "days": {"type": "array", "items": signed}}}
    });
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

/// The OpenAPI 3.1 document for `routes`.
pub fn document(routes: &[RouteDoc]) -> Value {
    let mut paths: BTreeMap<&str, serde_json::Map<String, Value>> = BTreeMap::new();
    for r in routes {
        let mut params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| {
                let schema = if name == "id" {
                    int()
                } else if name == "token" {
                    if r.path.starts_with("/api/gifts/") {
                        json!({"type": "string", "pattern": format!("^c[A-Za-z0-9_-]{{{}}}$", crate::coupons::gift::TOKEN_LEN - 1),
                               "description": "a gift card's share token (an unknown or malformed one answers 404)"})
                    } else {
                        super::share::doc_token()
                    }
                } else if name == "activityId" {
                    json!({"type": "string", "minLength": 1, "maxLength": super::flash::MAX_ACTIVITY_ID})
                } else {
                    json!({"type": "string"})
                };
                json!({"name": name, "in": "path", "required": true, "schema": schema})
            })
            .collect();
        params.extend(query_params(r.method, r.path));
        let security = match r.access {
            Access::Public => json!([]),
            Access::OptionalUser => json!([{}, {"session": []}]),
            Access::User => json!([{"session": []}]),
            Access::Merchant => json!([{"merchant": []}]),
            Access::Staff(_) if r.method == "get" => {
                json!([{"staffSession": []}, {"merchant": []}])
            }
            Access::Staff(_) => json!([{"staffSession": [], "csrf": []}, {"merchant": []}]),
        };
        let mut op = json!({
            "tags": [r.tag],
            "summary": r.summary,
            "operationId": format!("{}_{}", r.method, r.path.trim_start_matches('/').replace(['/', '{', '}', '.', '-'], "_")),
            "security": security,
            "responses": responses(r.method, r.path)
        });
        if let Access::Staff(page) = r.access {
            let roles: Vec<&str> = page.roles().iter().map(|r| r.as_str()).collect();
            op["description"] = json!(format!(
                "Console page `{}`; roles: {}.",
                page.key(),
                roles.join(", ")
            ));
            op["x-roles"] = json!(roles);
        }
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        if let Some(schema) = request_body(r.method, r.path) {
            let media = if r.path.starts_with("/admin/api/") {
                super::admin::openapi::request_media_type(r.path)
            } else {
                "application/json"
            };
            op["requestBody"] = json!({"required": true, "content": {media: {"schema": schema}}});
        }
        paths
            .entry(r.path)
            .or_default()
            .insert(r.method.to_string(), op);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "wechat-mall storefront API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Amounts are integer fen. Quotes are mall-core's Quote, the same the mini-program computes."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "session": {"type": "http", "scheme": "bearer", "description": "token from POST /api/auth/login"},
                "merchant": {"type": "apiKey", "in": "header", "name": "X-Merchant-Token"},
                "staffSession": {"type": "apiKey", "in": "cookie", "name": "mall_staff", "description": "set by POST /admin/api/login"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token", "description": "the csrfToken of POST /admin/api/login or GET /admin/api/me, on every write"}
            },
            "schemas": components()
        }
    })
}
