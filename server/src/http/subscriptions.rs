//! 订阅消息 consent: which templates the mini-program asks for at each
//! moment, and the shopper's answers from `wx.requestSubscribeMessage`
//! (each acceptance one credit the outbox spends on one message). Handlers
//! parse, call `crate::notify::consent` and serialize; the documentation of
//! each route is here.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::db;
use crate::http::codes::Code;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, AuthUser};
use crate::http::schema::{obj, schema_ref};
use crate::http::{Access, Api};
use crate::notify::consent::{self, Answer, Credit, Moment, MAX_PER_ASK};
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    api.get(
        "/api/subscriptions",
        Access::User,
        "The template ids to ask for at each moment (pay, afterSale, coupon, member; at most 3 each, for wx.requestSubscribeMessage) and the shopper's credits per template",
        get_subscriptions,
    )
    .post(
        "/api/subscriptions",
        Access::User,
        "Record the shopper's answers from wx.requestSubscribeMessage (template id → accept | reject | ban | filter; 1 to 3 configured templates): each accept is one message the shop may send",
        record,
    )
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Subscriptions {
    moments: BTreeMap<&'static str, Vec<String>>,
    credits: Vec<Credit>,
}

async fn subscriptions(state: &AppState, user_id: i64) -> ApiResult<Subscriptions> {
    let mut conn = state.db.pool.acquire().await?;
    let templates = &state.config.templates;
    Ok(Subscriptions {
        moments: consent::moments(templates),
        credits: consent::credits(&mut conn, templates, user_id).await?,
    })
}

async fn get_subscriptions(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<Subscriptions>> {
    Ok(Json(subscriptions(&state, user.user_id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Answers {
    results: BTreeMap<String, String>,
}

/// The answers, each for a configured template with one of WeChat's words.
fn parse(templates: &BTreeMap<String, String>, b: Answers) -> ApiResult<Vec<(String, Answer)>> {
    if b.results.is_empty() || b.results.len() > MAX_PER_ASK {
        return Err(ApiError::invalid(
            "results",
            format!("1 to {MAX_PER_ASK} templates (one wx.requestSubscribeMessage)"),
        ));
    }
    b.results
        .into_iter()
        .map(|(template, word)| {
            if template.is_empty() || !templates.values().any(|t| *t == template) {
                // A template the shop no longer uses (or never did): the
                // phone holds an old list.
                return Err(ApiError::with_details(
                    Code::SubscribeTemplateUnknown,
                    json!({"templateId": template.chars().take(64).collect::<String>()}),
                ));
            }
            let answer = Answer::parse(&word).ok_or_else(|| {
                ApiError::invalid(
                    format!("results.{template}"),
                    "accept, reject, ban or filter",
                )
            })?;
            Ok((template, answer))
        })
        .collect()
}

async fn record(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(b): ApiJson<Answers>,
) -> ApiResult<Json<Subscriptions>> {
    let answers = parse(&state.config.templates, b)?;
    {
        let mut conn = state.db.write_conn().await?;
        consent::record(&mut conn, user.user_id, &answers, db::now()).await?;
    }
    Ok(Json(subscriptions(&state, user.user_id).await?))
}

// --- documentation

pub fn request_body(method: &str, path: &str) -> Option<Value> {
    match (method, path) {
        ("post", "/api/subscriptions") => Some(obj(
            &["results"],
            json!({"results": {"type": "object", "minProperties": 1, "maxProperties": MAX_PER_ASK,
                "description": "wx.requestSubscribeMessage's result without errMsg: a configured template id → the shopper's answer",
                "propertyNames": {"minLength": 1, "maxLength": 64},
                "additionalProperties": {"enum": ["accept", "reject", "ban", "filter"]}}}),
        )),
        _ => None,
    }
}

pub fn success(method: &str, path: &str) -> Option<Vec<(&'static str, Option<Value>)>> {
    match (method, path) {
        ("get" | "post", "/api/subscriptions") => {
            Some(vec![("200", Some(schema_ref("Subscriptions")))])
        }
        _ => None,
    }
}

pub fn components() -> serde_json::Map<String, Value> {
    let ids = json!({"type": "array", "maxItems": MAX_PER_ASK, "items": {"type": "string"}});
    let moments: serde_json::Map<String, Value> = Moment::ALL
        .into_iter()
        .map(|m| (m.as_str().to_string(), ids.clone()))
        .collect();
    let v = json!({
        "Subscriptions": {"type": "object", "required": ["moments", "credits"], "properties": {
            "moments": {"type": "object", "properties": moments,
                "description": "the template ids to ask for at each moment"},
            "credits": {"type": "array", "items": {"type": "object",
                "required": ["kind", "templateId", "credits"], "properties": {
                "kind": {"type": ["string", "null"], "description": "paid, shipped, refund, couponExpiring or group"},
                "templateId": {"type": "string"},
                "credits": {"type": "integer", "minimum": 0, "maximum": consent::MAX_CREDITS,
                    "description": "messages of this template the shop may still send"}}}}}}
    });
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(pairs: &[(&str, &str)]) -> Answers {
        Answers {
            results: pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        }
    }

    #[test]
    fn answers_name_configured_templates_with_wechats_words_at_most_three() {
        let t = crate::config::default_templates();
        let ok = parse(
            &t,
            answers(&[("tmpl-order-paid", "accept"), ("tmpl-order-shipped", "ban")]),
        )
        .unwrap();
        assert_eq!(
            ok,
            [
                ("tmpl-order-paid".to_string(), Answer::Accept),
                ("tmpl-order-shipped".to_string(), Answer::Decline)
            ]
        );
        assert!(parse(&t, answers(&[])).is_err());
        assert!(parse(&t, answers(&[("tmpl-other", "accept")])).is_err());
        assert!(parse(&t, answers(&[("tmpl-order-paid", "yes")])).is_err());
        let four = [
            ("tmpl-order-paid", "accept"),
            ("tmpl-order-shipped", "accept"),
            ("tmpl-refund-result", "accept"),
            ("tmpl-group-result", "accept"),
        ];
        assert!(parse(&t, answers(&four)).is_err());
    }
}
