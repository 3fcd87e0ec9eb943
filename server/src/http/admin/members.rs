//! 会员: the member program (levels: growth threshold, discount rate, free
//! shipping, points multiplier), the points rule, the member list and one
//! member's detail. The rules are sections of the shop's rules, saved through
//! `shop_rules` (checked by the core before they are saved).

use axum::extract::State;
use axum::Json;
use mall_core::{MemberProgram, PointsRule};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{page, Staff};
use crate::http::codes::Code;
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
pub const MAX_EARN_RATE: u32 = 1000;
pub const MAX_POINTS_MULTIPLIER: u32 = 100;
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
        "Members with level, segment, tags, growth, points, total spend, paid orders and last order; filters keyword, level, segment and tag",
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

/// A count the core takes as u64, within `min..=max`.
pub fn count(field: &str, v: u64, min: i64, max: i64) -> ApiResult<()> {
    input::range(field, i64::try_from(v).unwrap_or(i64::MAX), min, max).map(|_| ())
}

/// The language of a rate or multiplier string: `0` or an integer without a
/// leading zero, with 1 to 6 decimals, from 0 to `max` (1, 100 or 1000). The
/// same language as [`decimal_pattern`], so what the document allows the
/// server takes and the core can read.
pub fn decimal_text(field: &str, v: &Value, max: u32) -> ApiResult<()> {
    let Some(s) = v.as_str() else {
        return Ok(()); // not a string: the core's type says so
    };
    let bad = || {
        ApiError::invalid(
            field,
            format!("a decimal string from 0 to {max} with at most 6 decimals, e.g. \"0.95\""),
        )
    };
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || int.len() > 4 || (int.len() > 1 && int.starts_with('0')) {
        return Err(bad());
    }
    if frac.is_some_and(|f| !digits(f) || f.len() > 6) {
        return Err(bad());
    }
    let n: u32 = int.parse().map_err(|_| bad())?;
    let fraction = frac.is_some_and(|f| f.bytes().any(|b| b != b'0'));
    if n > max || (n == max && fraction) {
        return Err(bad());
    }
    Ok(())
}

/// The JSON Schema pattern of [`decimal_text`].
pub fn decimal_pattern(max: u32) -> String {
    let below = match max {
        1 => "0",
        100 => "[1-9]?[0-9]",
        1000 => "0|[1-9][0-9]{0,2}",
        _ => unreachable!("decimal_pattern: 1, 100 or 1000"),
    };
    format!("^(({below})(\\.[0-9]{{1,6}})?|{max}(\\.0{{1,6}})?)$")
}

/// An id: 1 to 32 letters, digits, `-` or `_` ([`ID_PATTERN`]).
pub fn id(field: &str, v: &str) -> ApiResult<()> {
    let ok = (1..=MAX_LEVEL_ID).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        return Err(ApiError::invalid(
            field,
            format!("1 to {MAX_LEVEL_ID} letters, digits, - or _"),
        ));
    }
    Ok(())
}

pub const ID_PATTERN: &str = "^[A-Za-z0-9_-]{1,32}$";

/// Ids that must differ (levels, templates, slots): a repeated one is
/// `422 RULES_INCONSISTENT {field, id}` (JSON Schema cannot say it).
pub fn distinct<'a>(field: &str, ids: impl Iterator<Item = &'a str>) -> ApiResult<()> {
    let mut seen: Vec<&str> = ids.collect();
    seen.sort_unstable();
    if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
        return Err(ApiError::with_details(
            Code::RulesInconsistent,
            json!({"field": field, "id": w[0]}),
        ));
    }
    Ok(())
}

/// The body as the core's type (its own error as INVALID_INPUT).
pub fn core_value<T: serde::de::DeserializeOwned>(v: Value) -> ApiResult<T> {
    serde_json::from_value(v).map_err(|e| ApiError::invalid("body", e.to_string()))
}

fn parse_program(v: Value) -> ApiResult<MemberProgram> {
    if let Some(levels) = v["levels"].as_array() {
        for l in levels {
            decimal_text("levels.discountRate", &l["discountRate"], 1)?;
            decimal_text(
                "levels.pointsMultiplier",
                &l["pointsMultiplier"],
                MAX_POINTS_MULTIPLIER,
            )?;
        }
    }
    decimal_text("growthPerYuan", &v["growthPerYuan"], MAX_EARN_RATE)?;
    decimal_text("pointsPerYuan", &v["pointsPerYuan"], MAX_EARN_RATE)?;
    let mut p: MemberProgram = core_value(v)?;
    if p.levels.len() > MAX_LEVELS {
        return Err(ApiError::invalid(
            "levels",
            format!("at most {MAX_LEVELS} levels"),
        ));
    }
    for l in &mut p.levels {
        id("levels.levelId", &l.level_id)?;
        if l.level_id == "none" {
            return Err(ApiError::invalid("levels.levelId", "\"none\" is reserved"));
        }
        l.name = input::line("levels.name", &l.name, 1, MAX_LEVEL_NAME)?;
        count("levels.minGrowth", l.min_growth, 0, MAX_GROWTH)?;
    }
    distinct(
        "levels.levelId",
        p.levels.iter().map(|l| l.level_id.as_str()),
    )?;
    Ok(p)
}

async fn put_program(
    State(state): State<AppState>,
    who: Staff<page::Members>,
    ApiJson(b): ApiJson<Value>,
) -> ApiResult<Json<MemberProgram>> {
    let p = parse_program(b)?;
    let saved = shop_rules::replace(
        &state.db,
        &state.rules,
        Section::Member(p),
        &who,
        crate::db::now(),
    )
    .await?;
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
    ApiJson(v): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    decimal_text("maxShare", &v["maxShare"], 1)?;
    let b: PointsRule = core_value(v)?;
    count("pointsPerYuan", b.points_per_yuan, 1, MAX_POINTS_PER_YUAN)?;
    let saved = shop_rules::replace(
        &state.db,
        &state.rules,
        Section::Points(b),
        &who,
        crate::db::now(),
    )
    .await?;
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
    segment: Option<String>,
    tag: Option<String>,
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
    let level = match q.level.as_deref() {
        None | Some("") => None,
        Some(l) => {
            id("level", l)?;
            Some(l.to_string())
        }
    };
    let sort = match q.sort.as_deref() {
        None | Some("newest") => Sort::Newest,
        Some("spend") => Sort::Spend,
        Some("lastOrder") => Sort::LastOrder,
        Some(_) => return Err(ApiError::invalid("sort", "newest, spend or lastOrder")),
    };
    let segment = match q.segment.as_deref() {
        None | Some("") => None,
        Some(s) if crate::member_segments::NAMES.contains(&s) => Some(s.to_string()),
        Some(_) => {
            return Err(ApiError::invalid(
                "segment",
                "new, highFrequency, active, atRisk or dormant",
            ))
        }
    };
    let tag = q
        .tag
        .as_deref()
        .map(|t| input::line("tag", t, 0, crate::member_segments::tags::MAX_TAG_CHARS))
        .transpose()?
        .filter(|t| !t.is_empty());
    let program = load_program(&state).await?;
    let mut conn = state.db.pool.acquire().await?;
    let filter = Filter {
        keyword,
        level,
        segment,
        tag,
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
    let mut d = roster::detail(&mut conn, &program, id)
        .await?
        .ok_or(ApiError::NotFound("member"))?;
    // The region (province and city, never more) of the default address.
    let addresses = crate::members::addresses::list(&mut conn, &state.keys, id).await?;
    d.profile.region = addresses
        .first()
        .map(|a| format!("{} {}", a.fields.province, a.fields.city));
    Ok(Json(d))
}

/// A decimal string at most `max` (1, 100 or 1000; [`decimal_text`]).
pub fn ratio_schema(max: u32, example: &str) -> Value {
    json!({"type": "string", "pattern": decimal_pattern(max), "example": example,
           "description": format!("a decimal string from 0 to {max}, at most 6 decimals")})
}

/// The OpenAPI bodies of this page's writes.
pub fn request_body(method: &str, path: &str) -> Option<Value> {
    use crate::http::schema::{line, obj, range};
    let rate = || {
        let mut r = ratio_schema(1, "0.95");
        r["description"] = json!("a share of the price, \"0\" to \"1\" (\"0.95\" = 9.5折)");
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
                    "levelId": {"type": "string", "pattern": ID_PATTERN, "not": {"const": "none"},
                                "description": "distinct among the levels (422 RULES_INCONSISTENT otherwise)"},
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
    use crate::http::schema::{line, q, range};
    match (method, path) {
        ("get", "/admin/api/members") => Some(vec![
            q("page", range(1, MAX_PAGE), false),
            q("pageSize", range(1, MAX_PAGE_SIZE), false),
            q("q", line(0, MAX_KEYWORD), false),
            q(
                "level",
                json!({"type": "string", "pattern": "^[A-Za-z0-9_-]{0,32}$", "example": "gold",
                       "description": "a level id (the level the core computes from growth), or none (below every level); an unknown id matches nobody"}),
                false,
            ),
            q(
                "sort",
                json!({"enum": ["newest", "spend", "lastOrder"], "default": "newest"}),
                false,
            ),
            q(
                "segment",
                json!({"enum": crate::member_segments::NAMES, "description": "members the segment job last put in this segment"}),
                false,
            ),
            q(
                "tag",
                line(0, crate::member_segments::tags::MAX_TAG_CHARS),
                false,
            ),
        ]),
        _ => None,
    }
}
