//! 配送: express templates by region (first / additional fees in fen, the
//! free-shipping threshold), pickup stores, same-city delivery (distance
//! tiers, delivery slots, lead time, late-delivery compensation). Each is a
//! section of the shop's rules, saved through `shop_rules` (checked by the
//! core before it is saved).

use axum::extract::State;
use axum::Json;
use mall_core::shipping::{Compensation, ExpressTemplate, SameCityRule};
use mall_core::Money;
use serde::Deserialize;
use serde_json::{json, Value};

use super::members::{core_value, count, decimal_text, distinct, id, ID_PATTERN};
use super::{page, Staff};
use crate::http::codes::Code;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::ApiJson;
use crate::http::{input, Access, Api};
use crate::shop_rules::{self, Section};
use crate::staff::Page;
use crate::state::AppState;

pub const MAX_TEMPLATES: usize = 20;
pub const MAX_EXPRESS_RULES: usize = 50;
pub const MAX_REGIONS: usize = 100;
/// Pieces or grams in a first or additional block.
pub const MAX_BLOCK: i64 = 1_000_000;
/// One delivery fee, surcharge or threshold: ¥100,000.
pub const MAX_FEE: i64 = 10_000_000;
pub const MAX_STORES: usize = 50;
pub const MAX_TIERS: usize = 20;
pub const MAX_METERS: i64 = 200_000;
pub const MAX_SLOTS: usize = 100;
pub const MAX_LEAD_MINUTES: i64 = 10_080;
pub const MAX_LATE_TIERS: usize = 10;
/// Unix seconds up to 2100-01-01.
pub const MAX_TIME: i64 = 4_102_444_800;
/// A region code prefix: 2 to 6 digits.
pub const REGION_PATTERN: &str = "^[0-9]{2,6}$";

pub fn routes(api: Api) -> Api {
    let p = Access::Staff(Page::Delivery);
    api.get(
        "/admin/api/delivery/express",
        p,
        "Express templates by region (first and additional fees, free-shipping threshold)",
        express,
    )
    .put(
        "/admin/api/delivery/express",
        p,
        "Replace the express templates (checked by the core; the next quote applies them)",
        put_express,
    )
    .get(
        "/admin/api/delivery/pickup",
        p,
        "Pickup stores",
        pickup,
    )
    .put(
        "/admin/api/delivery/pickup",
        p,
        "Replace the pickup stores",
        put_pickup,
    )
    .get(
        "/admin/api/delivery/same-city",
        p,
        "Same-city delivery: distance tiers, slots, lead time, free threshold, late compensation (null: not offered)",
        same_city,
    )
    .put(
        "/admin/api/delivery/same-city",
        p,
        "Replace same-city delivery (rule null: not offered; checked by the core)",
        put_same_city,
    )
}

fn fee(field: &str, m: Money) -> ApiResult<()> {
    input::range(field, m.as_fen(), 0, MAX_FEE).map(|_| ())
}

async fn rules(state: &AppState) -> ApiResult<mall_core::ShopRules> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(shop_rules::load(&mut conn).await?)
}

async fn express(
    State(state): State<AppState>,
    _s: Staff<page::Delivery>,
) -> ApiResult<Json<Value>> {
    let r = rules(&state).await?;
    Ok(Json(json!({"templates": r.shipping.express})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ExpressBody {
    templates: Vec<ExpressTemplate>,
}

fn check_express(templates: &[ExpressTemplate]) -> ApiResult<()> {
    if templates.len() > MAX_TEMPLATES {
        return Err(ApiError::invalid(
            "templates",
            format!("at most {MAX_TEMPLATES}"),
        ));
    }
    for t in templates {
        id("templates.shopId", &t.shop_id)?;
    }
    distinct(
        "templates.shopId",
        templates.iter().map(|t| t.shop_id.as_str()),
    )?;
    for t in templates {
        if t.rules.is_empty() || t.rules.len() > MAX_EXPRESS_RULES {
            return Err(ApiError::invalid(
                "templates.rules",
                format!("1 to {MAX_EXPRESS_RULES} rules"),
            ));
        }
        if let Some(m) = t.free_over {
            fee("templates.freeOver", m)?;
        }
        for r in &t.rules {
            if r.regions.len() > MAX_REGIONS {
                return Err(ApiError::invalid(
                    "templates.rules.regions",
                    format!("at most {MAX_REGIONS}"),
                ));
            }
            for region in &r.regions {
                let ok =
                    (2..=6).contains(&region.len()) && region.bytes().all(|b| b.is_ascii_digit());
                if !ok {
                    return Err(ApiError::invalid(
                        "templates.rules.regions",
                        "a region code prefix of 2 to 6 digits",
                    ));
                }
            }
            count("templates.rules.first", r.first, 0, MAX_BLOCK)?;
            count("templates.rules.additional", r.additional, 0, MAX_BLOCK)?;
            fee("templates.rules.firstFee", r.first_fee)?;
            fee("templates.rules.additionalFee", r.additional_fee)?;
        }
    }
    Ok(())
}

async fn put_express(
    State(state): State<AppState>,
    who: Staff<page::Delivery>,
    ApiJson(b): ApiJson<ExpressBody>,
) -> ApiResult<Json<Value>> {
    check_express(&b.templates)?;
    let saved = shop_rules::replace(
        &state.db,
        &state.rules,
        Section::Express(b.templates),
        &who,
        crate::db::now(),
    )
    .await?;
    Ok(Json(json!({"templates": saved.shipping.express})))
}

async fn pickup(
    State(state): State<AppState>,
    _s: Staff<page::Delivery>,
) -> ApiResult<Json<Value>> {
    let r = rules(&state).await?;
    Ok(Json(json!({"stores": r.shipping.pickup_stores})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PickupBody {
    stores: Vec<String>,
}

async fn put_pickup(
    State(state): State<AppState>,
    who: Staff<page::Delivery>,
    ApiJson(b): ApiJson<PickupBody>,
) -> ApiResult<Json<Value>> {
    if b.stores.len() > MAX_STORES {
        return Err(ApiError::invalid("stores", format!("at most {MAX_STORES}")));
    }
    for s in &b.stores {
        id("stores", s)?;
    }
    let mut sorted: Vec<&str> = b.stores.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(ApiError::invalid("stores", "each store once"));
    }
    let saved = shop_rules::replace(
        &state.db,
        &state.rules,
        Section::Pickup(b.stores),
        &who,
        crate::db::now(),
    )
    .await?;
    Ok(Json(json!({"stores": saved.shipping.pickup_stores})))
}

async fn same_city(
    State(state): State<AppState>,
    _s: Staff<page::Delivery>,
) -> ApiResult<Json<Value>> {
    let r = rules(&state).await?;
    Ok(Json(json!({"rule": r.shipping.same_city})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SameCityBody {
    /// Required; null = not offered.
    #[serde(deserialize_with = "Option::deserialize")]
    rule: Option<SameCityRule>,
}

fn check_same_city(r: &SameCityRule) -> ApiResult<()> {
    if r.tiers.is_empty() || r.tiers.len() > MAX_TIERS {
        return Err(ApiError::invalid(
            "rule.tiers",
            format!("1 to {MAX_TIERS} tiers"),
        ));
    }
    for t in &r.tiers {
        count("rule.tiers.maxMeters", t.max_meters, 1, MAX_METERS)?;
        fee("rule.tiers.fee", t.fee)?;
    }
    if r.slots.len() > MAX_SLOTS {
        return Err(ApiError::invalid(
            "rule.slots",
            format!("at most {MAX_SLOTS}"),
        ));
    }
    for s in &r.slots {
        id("rule.slots.slotId", &s.slot_id)?;
        input::range("rule.slots.startsAt", s.starts_at, 0, MAX_TIME)?;
        input::range("rule.slots.endsAt", s.ends_at, 0, MAX_TIME)?;
        fee("rule.slots.surcharge", s.surcharge)?;
    }
    distinct(
        "rule.slots.slotId",
        r.slots.iter().map(|s| s.slot_id.as_str()),
    )?;
    if let Some(s) = r.slots.iter().find(|s| s.ends_at <= s.starts_at) {
        return Err(ApiError::with_details(
            Code::RulesInconsistent,
            json!({"field": "rule.slots.endsAt", "id": s.slot_id}),
        ));
    }
    count("rule.leadMinutes", r.lead_minutes, 0, MAX_LEAD_MINUTES)?;
    if let Some(m) = r.free_over {
        fee("rule.freeOver", m)?;
    }
    if let Some(late) = &r.late {
        if late.tiers.len() > MAX_LATE_TIERS {
            return Err(ApiError::invalid(
                "rule.late.tiers",
                format!("at most {MAX_LATE_TIERS}"),
            ));
        }
        if let Some(cap) = late.cap {
            fee("rule.late.cap", cap)?;
        }
        for t in &late.tiers {
            count(
                "rule.late.tiers.afterMinutes",
                t.after_minutes,
                0,
                MAX_LEAD_MINUTES,
            )?;
            if let Compensation::Fixed { amount } = t.compensation {
                fee("rule.late.tiers.compensation.amount", amount)?;
            }
        }
    }
    Ok(())
}

async fn put_same_city(
    State(state): State<AppState>,
    who: Staff<page::Delivery>,
    ApiJson(v): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    if let Some(tiers) = v["rule"]["late"]["tiers"].as_array() {
        for t in tiers {
            decimal_text(
                "rule.late.tiers.compensation.rate",
                &t["compensation"]["rate"],
                1,
            )?;
        }
    }
    let b: SameCityBody = core_value(v)?;
    if let Some(r) = &b.rule {
        check_same_city(r)?;
    }
    let saved = shop_rules::replace(
        &state.db,
        &state.rules,
        Section::SameCity(b.rule),
        &who,
        crate::db::now(),
    )
    .await?;
    Ok(Json(json!({"rule": saved.shipping.same_city})))
}

/// The OpenAPI bodies of this page's writes.
pub fn request_body(method: &str, path: &str) -> Option<Value> {
    use super::members::ratio_schema;
    use crate::http::schema::{obj, or_null, range};
    let fee = || range(0, MAX_FEE);
    let ident = || json!({"type": "string", "pattern": ID_PATTERN});
    Some(match (method, path) {
        ("put", "/admin/api/delivery/express") => {
            let rule = obj(
                &["first", "firstFee", "additional", "additionalFee"],
                json!({
                    "regions": {"type": "array", "maxItems": MAX_REGIONS, "items": {"type": "string", "pattern": REGION_PATTERN},
                                "description": "region code prefixes (the longest matching prefix wins); empty = the default rule"},
                    "first": range(0, MAX_BLOCK),
                    "firstFee": fee(),
                    "additional": range(0, MAX_BLOCK),
                    "additionalFee": fee()
                }),
            );
            let template = obj(
                &["shopId", "basis", "rules"],
                json!({
                    "shopId": {"type": "string", "pattern": ID_PATTERN, "description": "distinct among the templates (422 RULES_INCONSISTENT otherwise)"},
                    "basis": {"enum": ["piece", "weight"]},
                    "rules": {"type": "array", "minItems": 1, "maxItems": MAX_EXPRESS_RULES, "items": rule},
                    "freeOver": or_null(fee())
                }),
            );
            obj(
                &["templates"],
                json!({"templates": {"type": "array", "maxItems": MAX_TEMPLATES, "items": template}}),
            )
        }
        ("put", "/admin/api/delivery/pickup") => obj(
            &["stores"],
            json!({"stores": {"type": "array", "maxItems": MAX_STORES, "uniqueItems": true, "items": ident()}}),
        ),
        ("put", "/admin/api/delivery/same-city") => {
            let slot = obj(
                &["slotId", "startsAt", "endsAt"],
                json!({
                    "slotId": {"type": "string", "pattern": ID_PATTERN, "description": "distinct among the slots (422 RULES_INCONSISTENT otherwise)"},
                    "startsAt": range(0, MAX_TIME),
                    "endsAt": {"type": "integer", "format": "int64", "minimum": 0, "maximum": MAX_TIME,
                               "description": "after startsAt (422 RULES_INCONSISTENT otherwise)"},
                    "surcharge": fee(),
                    "full": {"type": "boolean", "default": false}
                }),
            );
            let compensation = json!({"oneOf": [
                obj(&["kind", "amount"], json!({"kind": {"const": "fixed"}, "amount": fee()})),
                // (the core ignores other fields beside this kind)
                json!({"type": "object", "required": ["kind"], "properties": {"kind": {"const": "deliveryFee"}}}),
                obj(&["kind", "rate"], json!({"kind": {"const": "shareOfGoods"}, "rate": ratio_schema(1, "0.1")}))
            ]});
            let late = obj(
                &["tiers"],
                json!({
                    "tiers": {"type": "array", "maxItems": MAX_LATE_TIERS, "items": obj(&["afterMinutes", "compensation"],
                        json!({"afterMinutes": range(0, MAX_LEAD_MINUTES), "compensation": compensation}))},
                    "cap": or_null(fee())
                }),
            );
            let rule = obj(
                &["tiers"],
                json!({
                    "tiers": {"type": "array", "minItems": 1, "maxItems": MAX_TIERS, "items": obj(&["maxMeters", "fee"],
                        json!({"maxMeters": range(1, MAX_METERS), "fee": fee()}))},
                    "slots": {"type": "array", "maxItems": MAX_SLOTS, "items": slot},
                    "leadMinutes": range(0, MAX_LEAD_MINUTES),
                    "freeOver": or_null(fee()),
                    "late": or_null(late)
                }),
            );
            obj(&["rule"], json!({"rule": or_null(rule)}))
        }
        _ => return None,
    })
}
