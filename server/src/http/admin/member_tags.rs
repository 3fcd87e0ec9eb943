//! 会员 → 标签与分层: the merchant's tags on a member (replaced as a set,
//! audited), every tag with its member count, and how many members each
//! segment holds (the job's last computation).

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{page, Staff};
use crate::http::codes::Code;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::schema::obj;
use crate::http::{Access, Api};
use crate::member_segments::tags::{self, TagCount, TagError, MAX_TAGS, MAX_TAG_CHARS};
use crate::member_segments::{self, NAMES};
use crate::staff::audit;
use crate::staff::Page;
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    let p = Access::Staff(Page::Members);
    api.put(
        "/admin/api/members/{id}/tags",
        p,
        "Replace a member's tags (at most 20, each 1-10 characters); audited",
        put_tags,
    )
    .get(
        "/admin/api/member-tags",
        p,
        "Every tag in use with its member count, most used first",
        all_tags,
    )
    .get(
        "/admin/api/member-segments",
        p,
        "Members per segment (new, highFrequency, active, atRisk, dormant) as the job last computed them",
        segments,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Tags {
    tags: Vec<String>,
}

fn tag_error(e: TagError) -> ApiError {
    let details = match e {
        TagError::TooMany => json!({"field": "tags", "max": MAX_TAGS}),
        TagError::Bad { index } => {
            json!({"field": format!("tags[{index}]"), "maxChars": MAX_TAG_CHARS})
        }
    };
    ApiError::with_details(Code::MemberTagInvalid, details)
}

async fn put_tags(
    State(state): State<AppState>,
    who: Staff<page::Members>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<Tags>,
) -> ApiResult<Json<Value>> {
    let tags = tags::check(&b.tags).map_err(tag_error)?;
    let now = crate::db::now();
    let mut tx = state.db.begin_write().await?;
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Err(ApiError::NotFound("member"));
    }
    let before = tags::of(&mut tx, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    tags::set(&mut tx, id, &tags, now).await?;
    audit::record(
        &mut tx,
        &who,
        "member.tags",
        &format!("member:{id}"),
        Some(&json!(before)),
        Some(&json!(tags)),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({ "tags": tags })))
}

async fn all_tags(
    State(state): State<AppState>,
    _s: Staff<page::Members>,
) -> ApiResult<Json<Vec<TagCount>>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(Json(tags::all(&mut conn).await?))
}

async fn segments(
    State(state): State<AppState>,
    _s: Staff<page::Members>,
) -> ApiResult<Json<Value>> {
    let mut conn = state.db.pool.acquire().await?;
    let counts = member_segments::counts(&mut conn).await?;
    Ok(Json(json!(counts
        .into_iter()
        .map(|(segment, members)| json!({"segment": segment, "members": members}))
        .collect::<Vec<_>>())))
}

pub fn request_body(method: &str, path: &str) -> Option<Value> {
    ((method, path) == ("put", "/admin/api/members/{id}/tags")).then(|| {
        obj(
            &["tags"],
            json!({"tags": {"type": "array", "maxItems": MAX_TAGS, "items": {
                "type": "string", "minLength": 1, "maxLength": MAX_TAG_CHARS,
                "description": "1-10 characters after trimming, at most 32 bytes, no commas or control characters (else 422 MEMBER_TAG_INVALID)"}}}),
        )
    })
}

pub fn success(method: &str, path: &str) -> Option<Vec<(&'static str, Option<Value>)>> {
    let array = |props: Value| {
        Some(vec![(
            "200",
            Some(json!({"type": "array", "items": {"type": "object", "properties": props}})),
        )])
    };
    match (method, path) {
        ("get", "/admin/api/member-tags") => {
            array(json!({"tag": {"type": "string"}, "members": {"type": "integer"}}))
        }
        ("get", "/admin/api/member-segments") => {
            array(json!({"segment": {"enum": NAMES}, "members": {"type": "integer"}}))
        }
        ("put", "/admin/api/members/{id}/tags") => Some(vec![(
            "200",
            Some(
                json!({"type": "object", "required": ["tags"], "properties": {"tags": {"type": "array", "items": {"type": "string"}}}}),
            ),
        )]),
        _ => None,
    }
}
