//! 营销 → 会员营销: the automated member campaigns (周三会员日, 7-day recall,
//! new arrivals for high-frequency members) with their effect against the
//! holdout; a change is checked by the core's bounds and audited; a dry run
//! counts who a proposed setting would reach, with the job's own decision.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};

use super::{page, Staff};
use crate::http::codes::Code;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::input;
use crate::http::schema::{obj, range};
use crate::http::{Access, Api};
use crate::member_campaigns::effect::{self, Effect};
use crate::member_campaigns::run::{self, Report};
use crate::member_campaigns::{self, Campaign, CampaignError, Change};
use crate::staff::audit;
use crate::staff::Page as ConsolePage;
use crate::state::AppState;

const MAX_ID: usize = 32;

pub fn routes(api: Api) -> Api {
    let p = Access::Staff(ConsolePage::Marketing);
    api.get(
        "/admin/api/member-campaigns",
        p,
        "The member campaigns with their effect: reached vs holdout (orders, GMV, repurchase within 7 days), coupons granted and used",
        list,
    )
    .put(
        "/admin/api/member-campaigns/{id}",
        p,
        "Change a campaign: on/off, trigger, audience, caps, holdout (0-5000 bp) and the coupon granted (required to switch it on); audited",
        update,
    )
    .post(
        "/admin/api/member-campaigns/{id}/dry-run",
        p,
        "How many members the given settings would reach now (or at the next weekly slot), held out, capped or outside the audience; nothing is written",
        dry_run,
    )
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct WithEffect {
    #[serde(flatten)]
    campaign: Campaign,
    effect: Effect,
}

fn map_err(e: CampaignError) -> ApiError {
    match e {
        CampaignError::Invalid { field, reason } => ApiError::invalid(field, reason),
        CampaignError::Coupon(reason) => ApiError::with_details(
            Code::CampaignCouponInvalid,
            json!({"field": "couponTemplateId", "reason": reason}),
        ),
        CampaignError::NotFound => ApiError::NotFound("campaign"),
        CampaignError::Other(e) => ApiError::Internal(e),
    }
}

async fn list(
    State(state): State<AppState>,
    _s: Staff<page::Marketing>,
) -> ApiResult<Json<Vec<WithEffect>>> {
    let mut conn = state.db.pool.acquire().await?;
    let mut out = Vec::new();
    for campaign in member_campaigns::list(&mut conn).await? {
        let effect = effect::effect(&mut conn, &campaign.id).await?;
        out.push(WithEffect { campaign, effect });
    }
    Ok(Json(out))
}

async fn update(
    State(state): State<AppState>,
    who: Staff<page::Marketing>,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<Change>,
) -> ApiResult<Json<Campaign>> {
    let id = input::line("id", &id, 1, MAX_ID)?;
    if let Some(banner) = &b.banner {
        crate::http::merchant::check_banner("banner", banner)?;
    }
    let now = crate::db::now();
    let mut tx = state.db.begin_write().await?;
    let before = member_campaigns::get(&mut tx, &id)
        .await?
        .ok_or(ApiError::NotFound("campaign"))?;
    let after = member_campaigns::update(&mut tx, &id, &b, now)
        .await
        .map_err(map_err)?;
    audit::record(
        &mut tx,
        &who,
        "member_campaign.update",
        &id,
        Some(&json!(before)),
        Some(&json!(after)),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(after))
}

async fn dry_run(
    State(state): State<AppState>,
    _s: Staff<page::Marketing>,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<Change>,
) -> ApiResult<Json<Report>> {
    let id = input::line("id", &id, 1, MAX_ID)?;
    // The proposed settings, whether or not a coupon is chosen yet.
    member_campaigns::check_proposed(&b).map_err(map_err)?;
    let saved = {
        let mut conn = state.db.pool.acquire().await?;
        member_campaigns::get(&mut conn, &id)
            .await?
            .ok_or(ApiError::NotFound("campaign"))?
    };
    let proposed = Campaign {
        trigger: b.trigger,
        audience: b.audience,
        caps: b.caps,
        holdout_bps: b.holdout_bps,
        coupon_template_id: b.coupon_template_id,
        ..saved
    };
    let report = run::run_campaign(
        &state.db,
        &state.config.templates,
        &proposed,
        crate::db::now(),
        true,
    )
    .await?;
    Ok(Json(report))
}

// --- documentation

fn change_body() -> Value {
    let segments = json!({"type": "array", "maxItems": 5, "uniqueItems": true,
        "items": {"enum": ["new", "highFrequency", "active", "atRisk", "dormant"]}});
    let trigger = json!({"oneOf": [
        obj(&["kind", "weekday", "hour", "minute"], json!({"kind": {"const": "weekly"},
            "weekday": range(1, 7), "hour": range(0, 23), "minute": range(0, 59)})),
        obj(&["kind"], json!({"kind": {"const": "dormancy"}})),
        obj(&["kind", "hoursBefore"], json!({"kind": {"const": "couponExpiry"},
            "hoursBefore": range(1, crate::member_campaigns::MAX_HOURS_BEFORE as i64)}))
    ]});
    let count = || json!({"type": ["integer", "null"], "minimum": 0, "maximum": mall_core::segments::MAX_COUNT});
    obj(
        &["enabled", "trigger", "audience", "caps", "holdoutBps"],
        json!({
            "enabled": {"type": "boolean"},
            "trigger": trigger,
            "audience": obj(&[], json!({"segments": segments, "minLevel": count(),
                "tags": {"type": "array", "maxItems": 20, "items": {"type": "string", "minLength": 1, "maxLength": 32}},
                "noOrderDays": {"type": ["integer", "null"], "minimum": 0, "maximum": mall_core::segments::MAX_DAYS}})),
            "caps": obj(&[], json!({"perCampaign": count(), "perWeek": count()})),
            "holdoutBps": range(0, mall_core::segments::MAX_HOLDOUT_BPS as i64),
            "couponTemplateId": {"type": ["integer", "null"], "minimum": 1},
            "notify": {"type": "boolean", "default": false,
                "description": "with each coupon granted, the subscription message 券已到账 (sent only with the member's consent)"},
            "banner": {"oneOf": [{"type": "null"}, obj(&["image"], json!({
                "image": crate::http::schema::line(1, crate::http::input::MAX_URL),
                "url": crate::http::openapi::banner_url()}))],
                "description": "a home banner the members reached see first for 7 days after the send"}
        }),
    )
}

pub fn request_body(method: &str, path: &str) -> Option<Value> {
    match (method, path) {
        ("put", "/admin/api/member-campaigns/{id}")
        | ("post", "/admin/api/member-campaigns/{id}/dry-run") => Some(change_body()),
        _ => None,
    }
}
