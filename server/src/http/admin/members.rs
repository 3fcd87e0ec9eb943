//! 会员: the member program (levels: growth threshold, discount rate, free
//! shipping, points multiplier), the points rule, the member list and one
//! member's detail. The rules are sections of the shop's rules, saved through
//! `shop_rules` (checked by the core before they are saved).

use axum::extract::State;
use axum::Json;
use mall_core::{MemberProgram, PointsRule, Ratio};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{page, Staff};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{input, Access, Api};
use crate::members::roster::{self, Filter, MemberDetail, MemberRow, Sort};
use crate::paging::Page as ListPage;
use crate::shop_rules::{self, Section};
use crate::staff::Page;
use crate::state::AppState;

pub const MAX_LEVELS: usize = 20;
pub const MAX_LEVEL_ID: usize = 32;
pub const MAX_LEVEL_NAME: usize = 20;
pub const MAX_GROWTH: i64 = 1_000_000_000;
/// Growth or points earned per yuan, and a level's points multiplier, at most.
pub const MAX_EARN_RATE: i64 = 1000;
pub const MAX_POINTS_MULTIPLIER: i64 = 100;
pub const MAX_POINTS_PER_YUAN: i64 = 1_000_000;

pub fn routes(api: Api) -> Api {
    let p = Access::Staff(Page::Members);
    api.get(
        "/admin/api/member-program",
        p,
        "The member program: levels (growth threshold, discount rate, free shipping, points multiplier), growth and points per yuan",
        program,
    )
    .put(
        "/admin/api/member-program",
        p,
        "Replace the member program (checked by the core; the next quote applies it)",
        put_program,
    )
    .get(
        "/admin/api/points-rules",
        p,
        "Paying with points (积分抵扣): points per yuan, most share of the order, shipping, with coupons",
        points,
    )
    .put(
        "/admin/api/points-rules",
        p,
        "Replace the points rule (checked by the core)",
        put_points,
    )
    .get(
        "/admin/api/members",
        p,
        "Members with level, growth, points, total spend, paid orders and last order; filters keyword and level",
        list,
    )
    .get(
        "/admin/api/members/{id}",
        p,
        "A member with the upgrade preview, recent orders and points ledger",
        one,
    )
}

async fn load_program(state: &AppState) -> ApiResult<MemberProgram> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(shop_rules::load(&mut conn).await?.member)
}

async fn program(
    State(state): State<AppState>,
    _s: Staff<page::Members>,
) -> ApiResult<Json<MemberProgram>> {
    Ok(Json(load_program(&state).await?))
}

/// A ratio at most `max`.
pub fn ratio_at_most(field: &str, r: Ratio, max: i64) -> ApiResult<()> {
    let limit: Ratio = max.to_string().parse().map_err(ApiError::Rule)?;
    if r > limit {
        return Err(ApiError::invalid(field, format!("at most {max}")));
    }
    Ok(())
}

/// A count the core takes as u64, within `min..=max`.
pub fn count(field: &str, v: u64, min: i64, max: i64) -> ApiResult<()> {
    input::range(field, i64::try_from(v).unwrap_or(i64::MAX), min, max).map(|_| ())
}

fn check_program(p: &MemberProgram) -> ApiResult<()> {
    if p.levels.len() > MAX_LEVELS {
        return Err(ApiError::invalid(
            "levels",
            format!("at most {MAX_LEVELS} levels"),
        ));
    }
    for l in &p.levels {
        let id = input::line("levels.levelId", &l.level_id, 1, MAX_LEVEL_ID)?;
        if id != l.level_id || id == "none" {
            return Err(ApiError::invalid(
                "levels.levelId",
                "no surrounding spaces; \"none\" is reserved",
            ));
        }
        input::line("levels.name", &l.name, 1, MAX_LEVEL_NAME)?;
        count("levels.minGrowth", l.min_growth, 0, MAX_GROWTH)?;
        ratio_at_most(
            "levels.pointsMultiplier",
            l.points_multiplier,
            MAX_POINTS_MULTIPLIER,
        )?;
    }
    ratio_at_most("growthPerYuan", p.growth_per_yuan, MAX_EARN_RATE)?;
    ratio_at_most("pointsPerYuan", p.points_per_yuan, MAX_EARN_RATE)?;
    Ok(())
}

async fn put_program(
    State(state): State<AppState>,
    who: Staff<page::Members>,
    ApiJson(b): ApiJson<MemberProgram>,
) -> ApiResult<Json<MemberProgram>> {
    check_program(&b)?;
    let saved = shop_rules::replace(&state.db, Section::Member(b), &who, crate::db::now()).await?;
    Ok(Json(saved.member))
}

async fn points(State(state): State<AppState>, _s: Staff<page::Members>) -> ApiResult<Json<Value>> {
    let mut conn = state.db.pool.acquire().await?;
    let rules = shop_rules::load(&mut conn).await?;
    Ok(Json(json!({
        "rule": rules.points,
        "growthPerYuan": rules.member.growth_per_yuan,
        "pointsPerYuan": rules.member.points_per_yuan,
    })))
}

async fn put_points(
    State(state): State<AppState>,
    who: Staff<page::Members>,
    ApiJson(b): ApiJson<PointsRule>,
) -> ApiResult<Json<Value>> {
    count("pointsPerYuan", b.points_per_yuan, 1, MAX_POINTS_PER_YUAN)?;
    let saved = shop_rules::replace(&state.db, Section::Points(b), &who, crate::db::now()).await?;
    Ok(Json(json!({
        "rule": saved.points,
        "growthPerYuan": saved.member.growth_per_yuan,
        "pointsPerYuan": saved.member.points_per_yuan,
    })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListQuery {
    page: Option<i64>,
    page_size: Option<i64>,
    q: Option<String>,
    level: Option<String>,
    sort: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    _s: Staff<page::Members>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<ListPage<MemberRow>>> {
    let paging = input::paging(q.page, q.page_size)?;
    let keyword =
        q.q.as_deref()
            .map(|k| input::line("q", k, 0, input::MAX_KEYWORD))
            .transpose()?
            .filter(|k| !k.is_empty());
    let level = q
        .level
        .as_deref()
        .map(|l| input::line("level", l, 0, MAX_LEVEL_ID))
        .transpose()?
        .filter(|l| !l.is_empty());
    let sort = match q.sort.as_deref() {
        None | Some("") | Some("newest") => Sort::Newest,
        Some("spend") => Sort::Spend,
        Some("lastOrder") => Sort::LastOrder,
        Some(_) => return Err(ApiError::invalid("sort", "newest, spend or lastOrder")),
    };
    let program = load_program(&state).await?;
    let mut conn = state.db.pool.acquire().await?;
    let filter = Filter {
        keyword,
        level,
        sort,
    };
    let (items, total) = roster::list(&mut conn, &program, &filter, &paging).await?;
    Ok(Json(ListPage::new(items, paging, total)))
}

async fn one(
    State(state): State<AppState>,
    _s: Staff<page::Members>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<MemberDetail>> {
    let program = load_program(&state).await?;
    let mut conn = state.db.pool.acquire().await?;
    let d = roster::detail(&mut conn, &program, id)
        .await?
        .ok_or(ApiError::NotFound("member"))?;
    Ok(Json(d))
}

/// A decimal string at most `max` (a rate or multiplier).
pub fn ratio_schema(max: i64, example: &str) -> Value {
    json!({"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$", "example": example,
           "description": format!("a non-negative decimal string, at most {max}")})
}

/// The OpenAPI bodies of this page's writes.
pub fn request_body(method: &str, path: &str) -> Option<Value> {
    use crate::http::openapi::{line, obj, range};
    let rate = || {
        let mut r = ratio_schema(1, "0.95");
        r["description"] = json!("a share of the price, \"0\" to \"1\" (\"0.95\" = 9.5折); the core refuses more (INVALID_INPUT, field levels.discountRate)");
        r
    };
    Some(match (method, path) {
        ("put", "/admin/api/member-program") => {
            let level = obj(
                &[
                    "levelId",
                    "name",
                    "minGrowth",
                    "discountRate",
                    "pointsMultiplier",
                ],
                json!({
                    "levelId": {"type": "string", "minLength": 1, "maxLength": MAX_LEVEL_ID, "not": {"const": "none"}},
                    "name": line(1, MAX_LEVEL_NAME),
                    "minGrowth": range(0, MAX_GROWTH),
                    "discountRate": rate(),
                    "freeShipping": {"type": "boolean", "default": false},
                    "pointsMultiplier": ratio_schema(MAX_POINTS_MULTIPLIER, "1.5")
                }),
            );
            obj(
                &["levels", "growthPerYuan", "pointsPerYuan"],
                json!({
                    "levels": {"type": "array", "maxItems": MAX_LEVELS, "items": level},
                    "growthPerYuan": ratio_schema(MAX_EARN_RATE, "1"),
                    "pointsPerYuan": ratio_schema(MAX_EARN_RATE, "1")
                }),
            )
        }
        ("put", "/admin/api/points-rules") => obj(
            &["pointsPerYuan", "maxShare"],
            json!({
                "pointsPerYuan": range(1, MAX_POINTS_PER_YUAN),
                "maxShare": ratio_schema(1, "0.3"),
                "coverShipping": {"type": "boolean", "default": false},
                "withCoupons": {"type": "boolean", "default": true}
            }),
        ),
        _ => return None,
    })
}

/// The OpenAPI query parameters of the member list.
pub fn query_params(method: &str, path: &str) -> Option<Vec<Value>> {
    use crate::http::input::{MAX_KEYWORD, MAX_PAGE, MAX_PAGE_SIZE};
    use crate::http::openapi::{line, q, range};
    match (method, path) {
        ("get", "/admin/api/members") => Some(vec![
            q("page", range(1, MAX_PAGE), false),
            q("pageSize", range(1, MAX_PAGE_SIZE), false),
            q("q", line(0, MAX_KEYWORD), false),
            q(
                "level",
                json!({"type": "string", "maxLength": MAX_LEVEL_ID, "example": "gold",
                       "description": "a level id (the level the core computes from growth), or none (below every level); an unknown id matches nobody"}),
                false,
            ),
            q(
                "sort",
                json!({"enum": ["newest", "spend", "lastOrder"], "default": "newest"}),
                false,
            ),
        ]),
        _ => None,
    }
}
