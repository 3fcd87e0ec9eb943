//! The OpenAPI 3.1 document, generated from the route registry ([`super::Api`])
//! plus the request bodies, query parameters and response shapes below. A test
//! checks that every route taking a JSON body documents it, and that every
//! documented query parameter is accepted.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{Access, RouteDoc};

fn obj(required: &[&str], props: Value) -> Value {
    json!({"type": "object", "required": required, "properties": props, "additionalProperties": false})
}

fn int() -> Value {
    json!({"type": "integer", "format": "int64"})
}

fn fen(desc: &str) -> Value {
    json!({"type": "integer", "format": "int64", "description": format!("{desc} (fen)")})
}

fn checkout_props(place: bool) -> Value {
    let mut p = json!({
        "items": {"type": "array", "description": "buy now; without it the selected cart lines",
                  "items": obj(&["skuId", "quantity"], json!({"skuId": int(), "quantity": int(), "activityId": {"type": "string"}}))},
        "coupons": {"description": "mall-core CouponChoice", "oneOf": [
            obj(&["kind"], json!({"kind": {"const": "best"}})),
            obj(&["kind"], json!({"kind": {"const": "none"}})),
            obj(&["kind", "couponIds"], json!({"kind": {"const": "manual"}, "couponIds": {"type": "array", "items": {"type": "string"}}}))
        ]},
        "points": {"description": "mall-core PointsChoice", "oneOf": [
            obj(&["kind"], json!({"kind": {"enum": ["none", "max"]}})),
            obj(&["kind", "points"], json!({"kind": {"const": "exactly"}, "points": int()}))
        ]},
        "addressId": {"type": "integer", "description": "express delivery to this address"},
        "delivery": {"type": "object", "description": "mall-core Delivery: {kind: pickup, storeId} or {kind: sameCity, distanceMeters, slotId}"}
    });
    if place {
        p["fingerprint"] =
            json!({"type": "string", "description": "the confirmed quote's fingerprint"});
        p["idempotencyKey"] = json!({"type": "string", "maxLength": 64});
        p["remark"] = json!({"type": "string", "maxLength": 200});
    }
    p
}

fn address_input() -> Value {
    let s = json!({"type": "string"});
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
        json!({"name": s, "phone": s, "regionCode": {"type": "string", "pattern": "^[0-9]{2,12}$"},
               "province": s, "city": s, "district": s, "detail": s, "isDefault": {"type": "boolean"}}),
    )
}

/// The JSON body a route takes.
pub fn request_body(method: &str, path: &str) -> Option<Value> {
    let tracking = || {
        obj(
            &["carrier", "trackingNo"],
            json!({"carrier": {"type": "string"}, "trackingNo": {"type": "string"}}),
        )
    };
    Some(match (method, path) {
        ("post", "/api/merchant/orders/{id}/ship") | ("post", "/api/after-sales/{id}/return") => {
            tracking()
        }
        ("post", "/api/merchant/orders/ship-batch") => obj(
            &["items"],
            json!({"items": {"type": "array", "items": obj(&["orderId", "carrier", "trackingNo"],
                json!({"orderId": int(), "carrier": {"type": "string"}, "trackingNo": {"type": "string"}}))}}),
        ),
        ("post", "/api/merchant/pickup/write-off") => {
            obj(&["code"], json!({"code": {"type": "string"}}))
        }
        ("post", "/api/merchant/after-sales/{id}/reject") => {
            obj(&["reason"], json!({"reason": {"type": "string"}}))
        }
        ("post", "/api/orders/{id}/lines/{lineId}/review") => obj(
            &["rating"],
            json!({"rating": {"type": "integer", "minimum": 1, "maximum": 5},
                   "text": {"type": "string", "maxLength": 500}}),
        ),
        ("post", "/api/orders/{id}/after-sales")
        | ("post", "/api/orders/{id}/after-sales/preview") => obj(
            &["kind", "items"],
            json!({"kind": {"enum": ["refund_only", "return_refund"]},
                   "items": {"type": "array", "items": obj(&["lineId", "quantity"], json!({"lineId": {"type": "string"}, "quantity": int()}))},
                   "includeShipping": {"type": "boolean"}, "reason": {"type": "string", "maxLength": 200}}),
        ),
        ("post", "/api/auth/login") => obj(
            &["code"],
            json!({"code": {"type": "string", "description": "from wx.login"},
                   "nickname": {"type": "string"}, "avatar": {"type": "string"}}),
        ),
        ("post", "/api/auth/phone") => obj(
            &["code"],
            json!({"code": {"type": "string", "description": "from a getPhoneNumber button"}}),
        ),
        ("post", "/api/cart/items") => obj(
            &["skuId", "quantity"],
            json!({"skuId": int(), "quantity": int(), "activityId": {"type": "string"}}),
        ),
        ("patch", "/api/cart/items/{id}") => obj(
            &[],
            json!({"quantity": int(), "selected": {"type": "boolean"}}),
        ),
        ("post", "/api/cart/selection") => {
            obj(&["selected"], json!({"selected": {"type": "boolean"}}))
        }
        ("post", "/api/addresses") | ("put", "/api/addresses/{id}") => address_input(),
        ("post", "/api/checkout/quote") | ("post", "/api/checkout/input") => {
            obj(&[], checkout_props(false))
        }
        ("post", "/api/orders") => obj(&["fingerprint", "idempotencyKey"], checkout_props(true)),
        ("put", "/api/merchant/skus/{id}/stock") => obj(&["stock"], json!({"stock": int()})),
        ("put", "/api/merchant/banners") => obj(
            &["banners"],
            json!({"banners": {"type": "array", "maxItems": 10, "items": obj(&["image"],
                json!({"image": {"type": "string"}, "url": {"type": "string", "description": "a mini-program page (/pages/…), or empty"}}))}}),
        ),
        _ => return None,
    })
}

fn q(name: &str, schema: Value, required: bool) -> Value {
    json!({"name": name, "in": "query", "required": required, "schema": schema})
}

/// The query parameters a route accepts.
pub fn query_params(method: &str, path: &str) -> Vec<Value> {
    let page = || {
        vec![
            q("page", json!({"type": "integer", "minimum": 1}), false),
            q(
                "pageSize",
                json!({"type": "integer", "minimum": 1, "maximum": 100}),
                false,
            ),
        ]
    };
    let sort =
        json!({"type": "string", "enum": ["default", "sales", "priceAsc", "priceDesc", "newest"]});
    let mut out = match (method, path) {
        ("get", "/api/products") => vec![
            q("categoryId", int(), false),
            q("keyword", json!({"type": "string"}), false),
            q("minPrice", fen("lowest price"), false),
            q("maxPrice", fen("highest price"), false),
            q("inStock", json!({"type": "boolean"}), false),
            q("sort", sort, false),
        ],
        ("get", "/api/search") => vec![
            q("keyword", json!({"type": "string"}), true),
            q("categoryId", int(), false),
            q("minPrice", fen("lowest price"), false),
            q("maxPrice", fen("highest price"), false),
            q("sort", sort, false),
        ],
        ("get", "/api/search/suggest") => return vec![q("q", json!({"type": "string"}), true)],
        ("get", "/api/orders") => vec![q(
            "tab",
            json!({"type": "string", "enum": ["all", "unpaid", "toShip", "toReceive", "completed", "afterSale"]}),
            false,
        )],
        ("get", "/api/merchant/refunds") => {
            return vec![q(
                "status",
                json!({"type": "string", "enum": ["abnormal", "pending", "processing", "success", "closed", "superseded"]}),
                false,
            )]
        }
        ("get", "/api/products/{id}/reviews") => vec![],
        ("get", "/api/member/coupons") => {
            return vec![q(
                "status",
                json!({"type": "string", "enum": ["available", "used", "expired"]}),
                false,
            )]
        }
        _ => return Vec::new(),
    };
    out.extend(page());
    out
}

/// The component a route answers with.
fn response_of(method: &str, path: &str) -> Option<&'static str> {
    Some(match (method, path) {
        ("post", "/api/checkout/quote") => "Quote",
        ("post", "/api/checkout/input") => "PricingInput",
        ("post", "/api/orders") | ("get", "/api/orders/{id}") => "Order",
        ("post", "/api/orders/{id}/lines/{lineId}/review") => "Review",
        ("post", "/api/orders/{id}/after-sales/preview") => "RefundPreview",
        ("get", "/api/products/{id}/reviews") => "ReviewPage",
        (_, p) if p.starts_with("/api/orders/") || p.starts_with("/api/merchant/orders/{id}") => {
            "Order"
        }
        ("get", "/api/orders") => "OrderPage",
        (_, p) if p.starts_with("/api/cart") => "Cart",
        ("get", "/api/products") | ("get", "/api/search") => "ProductPage",
        ("get", "/api/products/{id}") => "Product",
        ("get", "/api/categories") => "Categories",
        ("get", "/api/home") => "Home",
        ("post", "/api/auth/login") => "Session",
        ("get", "/api/member") => "Member",
        ("post", "/api/addresses")
        | ("put", "/api/addresses/{id}")
        | ("get", "/api/addresses/{id}")
        | ("post", "/api/addresses/{id}/default") => "Address",
        _ => return None,
    })
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
            "status": {"type": "string", "enum": ["pending_payment", "paid", "shipped", "completed", "cancelled", "after_sale"]},
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
            "required": ["now", "banners", "categories", "flashSale", "recommended"],
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
        "Session": o("our session token", json!({"token": {"type": "string"}, "expiresAt": int(), "userId": int()})),
        "Member": o("profile, level, growth, points, points debt, coupon counts", json!({"points": int(), "pointsDebt": int(), "member": {"type": "object"}, "coupons": {"type": "object"}})),
        "Address": address_input()
    });
    if let Some(m) = c.as_object_mut() {
        m.extend(review_components());
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
            "couponsReturned": {"type": "array", "items": {"type": "string"}}, "wholeOrder": {"type": "boolean"}}}
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
        };
        let ok = match response_of(r.method, r.path) {
            Some(c) => json!({"schema": {"$ref": format!("#/components/schemas/{c}")}}),
            None => json!({}),
        };
        let mut op = json!({
            "tags": [r.tag],
            "summary": r.summary,
            "operationId": format!("{}_{}", r.method, r.path.trim_start_matches('/').replace(['/', '{', '}', '.', '-'], "_")),
            "security": security,
            "responses": {
                "200": {"description": "OK", "content": {"application/json": ok}},
                "default": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
        });
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        if let Some(schema) = request_body(r.method, r.path) {
            op["requestBody"] =
                json!({"required": true, "content": {"application/json": {"schema": schema}}});
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
                "merchant": {"type": "apiKey", "in": "header", "name": "X-Merchant-Token"}
            },
            "schemas": components()
        }
    })
}
