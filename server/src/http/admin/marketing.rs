//! 营销: coupon templates, campaigns, item promotions, activity prices, the
//! what-if replay and ROI (docs/admin-api.md). Rules are the core's types;
//! every write is bounded here, checked by the core in `marketing`, and audited.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use mall_core::coupon::CouponStatus;
use mall_core::promotion::{Campaign, CampaignRule, ItemPromotion, ItemRule, Scope};
use mall_core::{Coupon, CouponKind, SigninRule};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{page, Staff};
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::{input, Access, Api};
use crate::marketing::activities::{self, ActivityInput, AdminActivity};
use crate::marketing::coupons::{self, NewTemplate, Template, Terms};
use crate::marketing::rules::{self, Section};
use crate::marketing::{roi, what_if};
use crate::staff::audit;
use crate::staff::Page;
use crate::state::AppState;

pub const MAX_TITLE: usize = 40;
pub const MAX_RULE_ID: usize = 64;
pub const MAX_RULES: usize = 50;
pub const MAX_TIERS: usize = 10;
pub const MAX_SCOPE_IDS: usize = 500;
pub const MAX_PRIORITY: i64 = 1000;
/// Unix seconds up to 2100-01-01.
pub const MAX_TIME: i64 = 4_102_444_800;
pub const MAX_TOTAL: i64 = 10_000_000;
pub const MAX_PER_USER: i64 = 100;
/// Most stock buckets of a flash sale (the core's `flash::MAX_BUCKETS`).
pub const MAX_STOCK_BUCKETS: i64 = mall_core::flash::MAX_BUCKETS as i64;
pub const MAX_VALID_DAYS: i64 = 3650;
pub const MAX_ACTIVITY_SKUS: usize = 200;
pub const MAX_GROUP_SIZE: i64 = mall_core::group::MAX_SIZE as i64;
/// A group stays open at most 30 days after its leader pays.
pub const MAX_GROUP_WINDOW_HOURS: i64 = 720;
pub const MAX_COUNT: u64 = 1000;

pub fn routes(api: Api) -> Api {
    let p = Access::Staff(Page::Marketing);
    api.get(
        "/admin/api/marketing/coupons",
        p,
        "Coupon templates with claim and use statistics",
        coupon_list,
    )
    .post(
        "/admin/api/marketing/coupons",
        p,
        "Create a coupon template (any kind and scope the core supports)",
        coupon_create,
    )
    .put(
        "/admin/api/marketing/coupons/{id}",
        p,
        "Change a coupon template's title, validity, caps and claimable (total never below issued)",
        coupon_update,
    )
    .get(
        "/admin/api/marketing/campaigns",
        p,
        "Campaigns (满减/每满减/满折) from the shop rules",
        campaign_list,
    )
    .put(
        "/admin/api/marketing/campaigns",
        p,
        "Replace the campaigns (checked by the core before saving)",
        campaign_replace,
    )
    .get(
        "/admin/api/marketing/promotions",
        p,
        "Item promotions (N件M折, 第N件X折, 买X送Y) from the shop rules",
        promotion_list,
    )
    .put(
        "/admin/api/marketing/promotions",
        p,
        "Replace the item promotions (checked by the core before saving)",
        promotion_replace,
    )
    .get(
        "/admin/api/marketing/activities",
        p,
        "Activities (flash sale, group buy, bargain) with their SKU prices and quotas",
        activity_list,
    )
    .post(
        "/admin/api/marketing/activities",
        p,
        "Create an activity with its SKU prices",
        activity_create,
    )
    .put(
        "/admin/api/marketing/activities/{id}",
        p,
        "Replace an activity and its SKU prices",
        activity_replace,
    )
    .get(
        "/admin/api/marketing/signin",
        p,
        "签到 rule: points and growth per day, streak bonuses, cycle",
        signin_get,
    )
    .put(
        "/admin/api/marketing/signin",
        p,
        "Replace the 签到 rule (checked by the core, audited)",
        signin_put,
    )
    .post(
        "/admin/api/marketing/what-if",
        p,
        "Replay the last 30 days' paid orders with the current and the proposed rules",
        what_if_run,
    )
    .get(
        "/admin/api/marketing/roi",
        p,
        "ROI of every campaign, item promotion, coupon template and activity",
        roi_report,
    )
}

async fn audit_write(
    state: &AppState,
    who: &Staff<page::Marketing>,
    action: &str,
    target: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> ApiResult<()> {
    let mut conn = state.db.pool.acquire().await?;
    audit::record(
        &mut conn,
        who,
        action,
        target,
        before,
        after,
        crate::db::now(),
    )
    .await?;
    Ok(())
}

// --- bounds shared by campaigns, promotions and coupons

fn scope(s: &Scope) -> ApiResult<()> {
    for (field, ids) in [
        ("scope.ids", &s.ids),
        ("scope.excludeSkuIds", &s.exclude_sku_ids),
        ("scope.excludeCategoryIds", &s.exclude_category_ids),
    ] {
        if ids.len() > MAX_SCOPE_IDS {
            return Err(crate::http::error::ApiError::invalid(
                field,
                format!("at most {MAX_SCOPE_IDS} ids"),
            ));
        }
        for id in ids {
            input::line(field, id, 1, MAX_RULE_ID)?;
        }
    }
    Ok(())
}

fn window(starts_at: Option<i64>, ends_at: Option<i64>) -> ApiResult<()> {
    for (field, t) in [("startsAt", starts_at), ("endsAt", ends_at)] {
        if let Some(t) = t {
            input::range(field, t, 0, MAX_TIME)?;
        }
    }
    Ok(())
}

fn money(field: &str, m: mall_core::Money) -> ApiResult<()> {
    input::range(field, m.as_fen(), 0, input::MAX_PRICE).map(|_| ())
}

fn count(field: &str, n: u64) -> ApiResult<()> {
    if n > MAX_COUNT {
        return Err(crate::http::error::ApiError::invalid(
            field,
            format!("at most {MAX_COUNT}"),
        ));
    }
    Ok(())
}

fn list_len(field: &str, n: usize, max: usize) -> ApiResult<()> {
    if n > max {
        return Err(crate::http::error::ApiError::invalid(
            field,
            format!("at most {max}"),
        ));
    }
    Ok(())
}

fn bound_campaigns(items: &[Campaign]) -> ApiResult<()> {
    list_len("items", items.len(), MAX_RULES)?;
    for c in items {
        input::line("campaignId", &c.campaign_id, 1, MAX_RULE_ID)?;
        input::line("shopId", &c.shop_id, 1, MAX_RULE_ID)?;
        input::range("priority", c.priority, -MAX_PRIORITY, MAX_PRIORITY)?;
        scope(&c.scope)?;
        window(c.starts_at, c.ends_at)?;
        match &c.rule {
            CampaignRule::AmountOff { tiers, cap, .. } => {
                list_len("rule.tiers", tiers.len(), MAX_TIERS)?;
                for t in tiers {
                    money("rule.tiers.threshold", t.threshold)?;
                    money("rule.tiers.amount", t.amount)?;
                }
                if let Some(cap) = cap {
                    money("rule.cap", *cap)?;
                }
            }
            CampaignRule::RateOff { tiers } => {
                list_len("rule.tiers", tiers.len(), MAX_TIERS)?;
                for t in tiers {
                    money("rule.tiers.threshold", t.threshold)?;
                }
            }
        }
    }
    Ok(())
}

fn bound_promotions(items: &[ItemPromotion]) -> ApiResult<()> {
    list_len("items", items.len(), MAX_RULES)?;
    for p in items {
        input::line("promotionId", &p.promotion_id, 1, MAX_RULE_ID)?;
        input::line("shopId", &p.shop_id, 1, MAX_RULE_ID)?;
        input::range("priority", p.priority, -MAX_PRIORITY, MAX_PRIORITY)?;
        scope(&p.scope)?;
        window(p.starts_at, p.ends_at)?;
        match &p.rule {
            ItemRule::QuantityDiscount { tiers } => {
                list_len("rule.tiers", tiers.len(), MAX_TIERS)?;
                for t in tiers {
                    count("rule.tiers.minQuantity", t.min_quantity)?;
                }
            }
            ItemRule::NthItem { n, .. } => count("rule.n", *n)?,
            ItemRule::BuyXGetY {
                buy,
                get,
                max_times,
            } => {
                count("rule.buy", *buy)?;
                count("rule.get", *get)?;
                if let Some(m) = max_times {
                    count("rule.maxTimes", *m)?;
                }
            }
        }
    }
    Ok(())
}

fn bound_kind(k: &CouponKind) -> ApiResult<()> {
    match k {
        CouponKind::Threshold { threshold, amount } => {
            money("kind.threshold", *threshold)?;
            money("kind.amount", *amount)
        }
        CouponKind::NoThreshold { amount } => money("kind.amount", *amount),
        CouponKind::Percent { cap, threshold, .. }
        | CouponKind::FreeShipping { cap, threshold } => {
            money("kind.threshold", *threshold)?;
            cap.map_or(Ok(()), |c| money("kind.cap", c))
        }
    }
}

// --- coupon templates

async fn coupon_list(
    State(state): State<AppState>,
    _s: Staff<page::Marketing>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(json!({"items": coupons::list(&mut conn).await?})))
}

fn bound_terms(t: &Terms) -> ApiResult<()> {
    input::line("title", &t.title, 1, MAX_TITLE)?;
    window(t.valid_from, t.valid_until)?;
    if let Some(d) = t.valid_days {
        input::range("validDays", d, 1, MAX_VALID_DAYS)?;
    }
    input::range("total", t.total, 1, MAX_TOTAL)?;
    input::range("perUserLimit", t.per_user_limit, 1, MAX_PER_USER)?;
    if let Some(d) = t.per_day_limit {
        input::range("perDayLimit", d, 1, MAX_TOTAL)?;
    }
    Ok(())
}

async fn coupon_create(
    State(state): State<AppState>,
    who: Staff<page::Marketing>,
    ApiJson(mut b): ApiJson<NewTemplate>,
) -> ApiResult<(StatusCode, Json<Template>)> {
    bound_terms(&b.terms())?;
    b.title = input::line("title", &b.title, 1, MAX_TITLE)?;
    if let Some(shop) = &b.shop_id {
        input::line("shopId", shop, 1, MAX_RULE_ID)?;
    }
    bound_kind(&b.kind)?;
    scope(&b.scope)?;
    let mut conn = state.db.pool.acquire().await?;
    let t = coupons::create(&mut conn, &b, crate::db::now()).await?;
    drop(conn);
    let after = serde_json::to_value(&t).unwrap_or_default();
    let target = format!("couponTemplate:{}", t.id);
    audit_write(&state, &who, "coupon.create", &target, None, Some(&after)).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

async fn coupon_update(
    State(state): State<AppState>,
    who: Staff<page::Marketing>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(mut b): ApiJson<Terms>,
) -> ApiResult<Json<Template>> {
    bound_terms(&b)?;
    b.title = input::line("title", &b.title, 1, MAX_TITLE)?;
    let mut conn = state.db.pool.acquire().await?;
    let before = serde_json::to_value(coupons::one(&mut conn, id).await?).unwrap_or_default();
    let t = coupons::update(&mut conn, id, &b).await?;
    drop(conn);
    let after = serde_json::to_value(&t).unwrap_or_default();
    let target = format!("couponTemplate:{id}");
    audit_write(
        &state,
        &who,
        "coupon.update",
        &target,
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(Json(t))
}

// --- 签到

async fn signin_get(
    State(state): State<AppState>,
    _s: Staff<page::Marketing>,
) -> ApiResult<Json<SigninRule>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(crate::signin::rule(&mut conn).await?))
}

async fn signin_put(
    State(state): State<AppState>,
    who: Staff<page::Marketing>,
    ApiJson(b): ApiJson<SigninRule>,
) -> ApiResult<Json<SigninRule>> {
    use mall_core::signin::{MAX_BONUSES, MAX_BONUS_DAY, MAX_REWARD};
    let reward = |field: &str, v: u64| -> ApiResult<()> {
        if v > MAX_REWARD {
            return Err(crate::http::error::ApiError::invalid(
                field,
                format!("0 to {MAX_REWARD}"),
            ));
        }
        Ok(())
    };
    reward("pointsPerDay", b.points_per_day)?;
    reward("growthPerDay", b.growth_per_day)?;
    if b.bonuses.len() > MAX_BONUSES {
        return Err(crate::http::error::ApiError::invalid(
            "bonuses",
            format!("at most {MAX_BONUSES}"),
        ));
    }
    for x in &b.bonuses {
        input::range("bonuses.day", i64::from(x.day), 1, i64::from(MAX_BONUS_DAY))?;
        reward("bonuses.points", x.points)?;
        reward("bonuses.growth", x.growth)?;
    }
    // A contradiction the schema cannot state: the days must ascend.
    if b.bonuses.windows(2).any(|w| w[0].day >= w[1].day) {
        return Err(crate::http::error::ApiError::with_details(
            crate::http::codes::Code::RulesInconsistent,
            json!({"field": "bonuses.day", "reason": "days strictly ascending"}),
        ));
    }
    Ok(Json(
        crate::signin::set_rule(&state.db, &b, &who, crate::db::now()).await?,
    ))
}

// --- campaigns and item promotions

async fn campaign_list(
    State(state): State<AppState>,
    _s: Staff<page::Marketing>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(
        json!({"items": rules::current(&mut conn).await?.campaigns}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Campaigns {
    items: Vec<Campaign>,
}

async fn campaign_replace(
    State(state): State<AppState>,
    who: Staff<page::Marketing>,
    ApiJson(b): ApiJson<Campaigns>,
) -> ApiResult<Json<Value>> {
    bound_campaigns(&b.items)?;
    let now = crate::db::now();
    let (before, after) =
        rules::replace(&state.db, &state.rules, Section::Campaigns(b.items), now).await?;
    audit_write(
        &state,
        &who,
        "campaigns.replace",
        "shopRules:campaigns",
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(Json(json!({"items": after})))
}

async fn promotion_list(
    State(state): State<AppState>,
    _s: Staff<page::Marketing>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(
        json!({"items": rules::current(&mut conn).await?.item_promotions}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Promotions {
    items: Vec<ItemPromotion>,
}

async fn promotion_replace(
    State(state): State<AppState>,
    who: Staff<page::Marketing>,
    ApiJson(b): ApiJson<Promotions>,
) -> ApiResult<Json<Value>> {
    bound_promotions(&b.items)?;
    let now = crate::db::now();
    let (before, after) = rules::replace(
        &state.db,
        &state.rules,
        Section::ItemPromotions(b.items),
        now,
    )
    .await?;
    audit_write(
        &state,
        &who,
        "promotions.replace",
        "shopRules:itemPromotions",
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(Json(json!({"items": after})))
}

// --- activities

async fn activity_list(
    State(state): State<AppState>,
    _s: Staff<page::Marketing>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(json!({"items": activities::list(&mut conn).await?})))
}

fn bound_activity(a: &ActivityInput) -> ApiResult<String> {
    let title = input::line("title", &a.title, 1, MAX_TITLE)?;
    input::range("startsAt", a.starts_at, 0, MAX_TIME)?;
    input::range("endsAt", a.ends_at, 0, MAX_TIME)?;
    if let Some(l) = a.per_user_limit {
        input::range("perUserLimit", l, 1, MAX_PER_USER)?;
    }
    if let Some(g) = a.group_size {
        input::range("groupSize", g, 2, MAX_GROUP_SIZE)?;
    }
    if let Some(h) = a.group_window_hours {
        input::range("groupWindowHours", h, 1, MAX_GROUP_WINDOW_HOURS)?;
    }
    if let Some(p) = a.group_auto_percent {
        input::range("groupAutoPercent", p, 1, 100)?;
    }
    input::range("stockBuckets", a.stock_buckets, 1, MAX_STOCK_BUCKETS)?;
    if let Some(t) = a.share_reward_template_id {
        input::range("shareRewardTemplateId", t, 1, i64::MAX)?;
    }
    if a.skus.is_empty() || a.skus.len() > MAX_ACTIVITY_SKUS {
        return Err(crate::http::error::ApiError::invalid(
            "skus",
            format!("1 to {MAX_ACTIVITY_SKUS} SKUs"),
        ));
    }
    for s in &a.skus {
        input::range("skus.price", s.price, 0, input::MAX_PRICE)?;
        if let Some(q) = s.stock {
            input::range("skus.stock", q, 0, input::MAX_STOCK)?;
        }
        if let Some(p) = s.leader_price {
            input::range("skus.leaderPrice", p, 0, input::MAX_PRICE)?;
        }
    }
    Ok(title)
}

async fn save_activity(
    state: &AppState,
    who: &Staff<page::Marketing>,
    id: Option<String>,
    mut a: ActivityInput,
) -> ApiResult<AdminActivity> {
    a.title = bound_activity(&a)?;
    let mut conn = state.db.pool.acquire().await?;
    let before = match &id {
        Some(id) => {
            Some(serde_json::to_value(activities::one(&mut conn, id).await?).unwrap_or_default())
        }
        None => None,
    };
    drop(conn);
    let saved = activities::save(&state.db, id.as_deref(), &a).await?;
    state.flash.forget(&saved);
    let mut conn = state.db.pool.acquire().await?;
    let after = activities::one(&mut conn, &saved).await?;
    drop(conn);
    let action = if id.is_some() {
        "activity.update"
    } else {
        "activity.create"
    };
    let after_value = serde_json::to_value(&after).unwrap_or_default();
    audit_write(
        state,
        who,
        action,
        &format!("activity:{saved}"),
        before.as_ref(),
        Some(&after_value),
    )
    .await?;
    Ok(after)
}

async fn activity_create(
    State(state): State<AppState>,
    who: Staff<page::Marketing>,
    ApiJson(b): ApiJson<ActivityInput>,
) -> ApiResult<(StatusCode, Json<AdminActivity>)> {
    Ok((
        StatusCode::CREATED,
        Json(save_activity(&state, &who, None, b).await?),
    ))
}

async fn activity_replace(
    State(state): State<AppState>,
    who: Staff<page::Marketing>,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<ActivityInput>,
) -> ApiResult<Json<AdminActivity>> {
    input::line("id", &id, 1, MAX_RULE_ID)?;
    Ok(Json(save_activity(&state, &who, Some(id), b).await?))
}

// --- what-if and ROI

/// A coupon every replayed buyer is assumed to hold once.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AssumedCoupon {
    #[serde(default)]
    shop_id: Option<String>,
    kind: CouponKind,
    #[serde(default)]
    scope: Scope,
    #[serde(default = "yes")]
    stackable: bool,
    #[serde(default = "yes")]
    with_campaigns: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WhatIfBody {
    #[serde(default)]
    campaigns: Option<Vec<Campaign>>,
    #[serde(default)]
    item_promotions: Option<Vec<ItemPromotion>>,
    #[serde(default)]
    coupon: Option<AssumedCoupon>,
}

async fn what_if_run(
    State(state): State<AppState>,
    _s: Staff<page::Marketing>,
    ApiJson(b): ApiJson<WhatIfBody>,
) -> ApiResult<Json<what_if::WhatIf>> {
    if let Some(c) = &b.campaigns {
        bound_campaigns(c)?;
    }
    if let Some(p) = &b.item_promotions {
        bound_promotions(p)?;
    }
    let coupon = match b.coupon {
        Some(c) => {
            bound_kind(&c.kind)?;
            scope(&c.scope)?;
            if let Some(shop) = &c.shop_id {
                input::line("coupon.shopId", shop, 1, MAX_RULE_ID)?;
            }
            Some(Coupon {
                coupon_id: "what-if".into(),
                batch_id: None,
                title: None,
                shop_id: c.shop_id,
                kind: c.kind,
                scope: c.scope,
                valid_from: 0,
                valid_until: MAX_TIME,
                stackable: c.stackable,
                with_campaigns: c.with_campaigns,
                status: CouponStatus::Available,
            })
        }
        None => None,
    };
    let proposal = what_if::Proposal {
        campaigns: b.campaigns,
        item_promotions: b.item_promotions,
        coupon,
    };
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(
        what_if::run(&mut conn, &proposal, crate::db::now()).await?,
    ))
}

async fn roi_report(
    State(state): State<AppState>,
    _s: Staff<page::Marketing>,
) -> ApiResult<Json<roi::RoiReport>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(roi::report(&mut conn).await?))
}

// --- the OpenAPI part: request bodies with every bound above

fn doc_money() -> Value {
    crate::http::schema::range(0, input::MAX_PRICE)
}

fn doc_rate() -> Value {
    json!({"type": "string", "pattern": "^(0(\\.[0-9]{1,4})?|1(\\.0{1,4})?)$", "example": "0.8",
           "description": "share of the price paid, e.g. \"0.8\" = 8折"})
}

fn doc_count() -> Value {
    crate::http::schema::range(1, MAX_COUNT as i64)
}

fn doc_array(items: Value, max: usize) -> Value {
    json!({"type": "array", "maxItems": max, "items": items})
}

/// A list of at least one (a rule's tiers).
fn doc_nonempty(items: Value, max: usize) -> Value {
    json!({"type": "array", "minItems": 1, "maxItems": max, "items": items})
}

fn doc_scope() -> Value {
    use crate::http::schema::{line, obj};
    let ids = || doc_array(line(1, MAX_RULE_ID), MAX_SCOPE_IDS);
    obj(
        &[],
        json!({"kind": {"enum": ["all", "categories", "skus"]}, "ids": ids(),
               "excludeSkuIds": ids(), "excludeCategoryIds": ids()}),
    )
}

fn doc_time() -> Value {
    crate::http::schema::or_null(crate::http::schema::range(0, MAX_TIME))
}

fn doc_rule_common(id: &str) -> serde_json::Map<String, Value> {
    use crate::http::schema::{line, range};
    let v = json!({
        id: line(1, MAX_RULE_ID), "shopId": line(1, MAX_RULE_ID),
        "priority": range(-MAX_PRIORITY, MAX_PRIORITY), "scope": doc_scope(),
        "startsAt": doc_time(), "endsAt": doc_time()
    });
    v.as_object().cloned().unwrap_or_default()
}

fn doc_campaign() -> Value {
    use crate::http::schema::{obj, or_null};
    // The core wants a positive threshold (a tier from ¥0 is no threshold).
    let threshold = || crate::http::schema::range(1, crate::http::input::MAX_PRICE);
    let amount_tier = obj(
        &["threshold", "amount"],
        json!({"threshold": threshold(), "amount": doc_money()}),
    );
    let rate_tier = obj(
        &["threshold", "rate"],
        json!({"threshold": threshold(), "rate": doc_rate()}),
    );
    let mut props = doc_rule_common("campaignId");
    props.insert(
        "rule".into(),
        json!({"oneOf": [
            obj(&["kind", "tiers"], json!({"kind": {"const": "amountOff"}, "tiers": doc_nonempty(amount_tier, MAX_TIERS),
                "repeat": {"type": "boolean"}, "cap": or_null(doc_money())})),
            obj(&["kind", "tiers"], json!({"kind": {"const": "rateOff"}, "tiers": doc_nonempty(rate_tier, MAX_TIERS)}))
        ]}),
    );
    obj(&["campaignId", "rule"], Value::Object(props))
}

fn doc_promotion() -> Value {
    use crate::http::schema::{obj, or_null};
    let tier = obj(
        &["minQuantity", "rate"],
        json!({"minQuantity": doc_count(), "rate": doc_rate()}),
    );
    let mut props = doc_rule_common("promotionId");
    props.insert(
        "rule".into(),
        json!({"oneOf": [
            obj(&["kind", "tiers"], json!({"kind": {"const": "quantityDiscount"}, "tiers": doc_nonempty(tier, MAX_TIERS)})),
            obj(&["kind", "n", "rate"], json!({"kind": {"const": "nthItem"}, "n": crate::http::schema::range(2, MAX_COUNT as i64), "rate": doc_rate()})),
            obj(&["kind", "buy", "get"], json!({"kind": {"const": "buyXGetY"}, "buy": doc_count(), "get": doc_count(),
                "maxTimes": or_null(doc_count())}))
        ]}),
    );
    obj(&["promotionId", "rule"], Value::Object(props))
}

fn doc_coupon_kind() -> Value {
    use crate::http::schema::{obj, or_null};
    json!({"oneOf": [
        obj(&["kind", "threshold", "amount"], json!({"kind": {"const": "threshold"}, "threshold": doc_money(), "amount": doc_money()})),
        obj(&["kind", "amount"], json!({"kind": {"const": "noThreshold"}, "amount": doc_money()})),
        obj(&["kind", "rate"], json!({"kind": {"const": "percent"}, "rate": doc_rate(), "cap": or_null(doc_money()), "threshold": doc_money()})),
        obj(&["kind"], json!({"kind": {"const": "freeShipping"}, "threshold": doc_money(), "cap": or_null(doc_money())}))
    ]})
}

fn doc_terms() -> serde_json::Map<String, Value> {
    use crate::http::schema::{line, or_null, range};
    json!({
        "title": line(1, MAX_TITLE),
        "validFrom": doc_time(), "validUntil": doc_time(),
        "validDays": or_null(range(1, MAX_VALID_DAYS)),
        "total": range(1, MAX_TOTAL), "perUserLimit": range(1, MAX_PER_USER),
        "perDayLimit": or_null(range(1, MAX_TOTAL)),
        "claimable": {"type": "boolean"},
        "transferable": {"type": "boolean", "default": false, "description": "shoppers may gift its coupons to friends (券转赠)"}
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}

/// This module's request bodies (None for a route of another module).
pub fn request_body(method: &str, path: &str) -> Option<Value> {
    use crate::http::schema::{int, line, obj, or_null, range};
    let window_rule = "a window validFrom < validUntil, or validDays after claiming (validUntil then ends claiming)";
    Some(match (method, path) {
        ("post", "/admin/api/marketing/coupons") => {
            let mut p = doc_terms();
            p.insert("shopId".into(), or_null(line(1, MAX_RULE_ID)));
            p.insert("kind".into(), doc_coupon_kind());
            p.insert("scope".into(), doc_scope());
            p.insert("stackable".into(), json!({"type": "boolean"}));
            p.insert("withCampaigns".into(), json!({"type": "boolean"}));
            let mut o = obj(&["title", "kind", "total"], Value::Object(p));
            o["description"] = json!(window_rule);
            o
        }
        ("put", "/admin/api/marketing/coupons/{id}") => {
            let mut o = obj(&["title", "total"], Value::Object(doc_terms()));
            o["description"] = json!(format!(
                "{window_rule}; total not below issued (INVALID_INPUT otherwise)"
            ));
            o
        }
        ("put", "/admin/api/marketing/signin") => {
            use mall_core::signin::{MAX_BONUSES, MAX_BONUS_DAY, MAX_REWARD};
            let reward = || range(0, MAX_REWARD as i64);
            let bonus = obj(
                &["day"],
                json!({"day": range(1, i64::from(MAX_BONUS_DAY)), "points": reward(), "growth": reward()}),
            );
            let mut o = obj(
                &[],
                json!({"enabled": {"type": "boolean", "default": true},
                       "pointsPerDay": reward(), "growthPerDay": reward(),
                       "bonuses": doc_array(bonus, MAX_BONUSES),
                       "cycle": {"type": "boolean", "default": false}}),
            );
            o["description"] =
                json!("bonus days strictly ascending (422 RULES_INCONSISTENT otherwise)");
            o
        }
        ("put", "/admin/api/marketing/campaigns") => obj(
            &["items"],
            json!({"items": doc_array(doc_campaign(), MAX_RULES)}),
        ),
        ("put", "/admin/api/marketing/promotions") => obj(
            &["items"],
            json!({"items": doc_array(doc_promotion(), MAX_RULES)}),
        ),
        ("post", "/admin/api/marketing/activities")
        | ("put", "/admin/api/marketing/activities/{id}") => {
            let sku = obj(
                &["skuId", "price"],
                json!({"skuId": int(), "price": doc_money(), "stock": or_null(range(0, input::MAX_STOCK)),
                       "leaderPrice": or_null(doc_money())}),
            );
            obj(
                &["kind", "title", "startsAt", "endsAt", "skus"],
                json!({
                    "kind": {"enum": ["flashSale", "groupBuy", "bargain"]},
                    "title": line(1, MAX_TITLE),
                    "startsAt": range(0, MAX_TIME), "endsAt": range(0, MAX_TIME),
                    "perUserLimit": or_null(range(1, MAX_PER_USER)),
                    "allowCoupons": {"type": "boolean"}, "allowPoints": {"type": "boolean"},
                    "groupSize": or_null(range(2, MAX_GROUP_SIZE)),
                    "groupWindowHours": or_null(range(1, MAX_GROUP_WINDOW_HOURS)),
                    "groupAutoPercent": or_null(range(1, 100)),
                    "shareRewardTemplateId": or_null(range(1, i64::MAX)),
                    "stockBuckets": range(1, MAX_STOCK_BUCKETS),
                    "skus": {"type": "array", "minItems": 1, "maxItems": MAX_ACTIVITY_SKUS, "items": sku}
                }),
            )
        }
        ("post", "/admin/api/marketing/what-if") => {
            let coupon = obj(
                &["kind"],
                json!({"shopId": or_null(line(1, MAX_RULE_ID)), "kind": doc_coupon_kind(), "scope": doc_scope(),
                       "stackable": {"type": "boolean"}, "withCampaigns": {"type": "boolean"}}),
            );
            let mut o = obj(
                &[],
                json!({"campaigns": or_null(doc_array(doc_campaign(), MAX_RULES)),
                       "itemPromotions": or_null(doc_array(doc_promotion(), MAX_RULES)),
                       "coupon": or_null(coupon)}),
            );
            o["description"] = json!(format!(
                "sections left out stay as they are; the last {} days' paid orders (at most the {} most recent) are replayed",
                what_if::WINDOW_SECS / 86_400,
                what_if::MAX_ORDERS
            ));
            o
        }
        _ => return None,
    })
}

/// This module's routes answering 201.
pub fn creates(method: &str, path: &str) -> bool {
    matches!(
        (method, path),
        ("post", "/admin/api/marketing/coupons") | ("post", "/admin/api/marketing/activities")
    )
}
