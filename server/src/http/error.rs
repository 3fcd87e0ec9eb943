//! The one API error type. Every error answers `{code, message, details}`:
//! rule failures carry the core's code and shopper-facing message; internal
//! errors are logged with their cause and answered with a generic message.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use mall_core::{ErrorBody, Quote, RuleError};
use serde_json::{json, Value};

use crate::order::{Action, OrderStatus};
use crate::wechat::WeChatError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("rule: {0}")]
    Rule(#[from] RuleError),
    /// A rule failure the core reported as data (e.g. an invalid cart line).
    #[error("rule: {}", .0.code)]
    RuleBody(ErrorBody),
    #[error("invalid input: {field}: {reason}")]
    InvalidInput { field: String, reason: String },
    #[error("unauthorized")]
    Unauthorized,
    #[error("merchant credential required")]
    MerchantOnly,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("no such route")]
    NoRoute,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("price changed")]
    PriceChanged(Box<Quote>),
    #[error("illegal transition {action:?} from {from:?}")]
    IllegalTransition { from: OrderStatus, action: Action },
    #[error("{code}")]
    Conflict {
        code: &'static str,
        message: String,
        details: BTreeMap<String, Value>,
    },
    #[error("wechat: {0}")]
    WeChat(#[from] WeChatError),
    #[error("internal: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::Internal(e.into())
    }
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ApiError {
        ApiError::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::Conflict {
            code,
            message: message.into(),
            details: BTreeMap::new(),
        }
    }

    fn rule_status(code: &str) -> StatusCode {
        match code {
            "INVALID_INPUT" => StatusCode::BAD_REQUEST,
            "UNKNOWN_SKU" | "ACTIVITY_NOT_FOUND" | "COUPON_NOT_FOUND" => StatusCode::NOT_FOUND,
            "OUT_OF_STOCK" | "PRICE_CHANGED" | "COUPON_USED" | "POINTS_INSUFFICIENT" => {
                StatusCode::CONFLICT
            }
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Rule(e) => Self::rule_status(e.code()),
            ApiError::RuleBody(b) => Self::rule_status(&b.code),
            ApiError::InvalidInput { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::MerchantOnly => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::NoRoute => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PriceChanged(_)
            | ApiError::IllegalTransition { .. }
            | ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::WeChat(_) => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn body(&self) -> ErrorBody {
        let body = |code: &str, message: &str, details: Value| ErrorBody {
            code: code.to_string(),
            message: message.to_string(),
            details: match details {
                Value::Object(m) => m.into_iter().collect(),
                _ => BTreeMap::new(),
            },
        };
        match self {
            ApiError::Rule(e) => e.body(),
            ApiError::RuleBody(b) => b.clone(),
            ApiError::InvalidInput { field, reason } => body(
                "INVALID_INPUT",
                "请求数据有误，请刷新后重试",
                json!({"field": field, "reason": reason}),
            ),
            ApiError::Unauthorized => body("UNAUTHORIZED", "请先登录", json!({})),
            ApiError::MerchantOnly => body("FORBIDDEN", "需要商家权限", json!({})),
            ApiError::NotFound(what) => {
                body("NOT_FOUND", "内容不存在或已删除", json!({"resource": what}))
            }
            ApiError::NoRoute => body("NO_ROUTE", "接口不存在", json!({})),
            ApiError::MethodNotAllowed => {
                body("METHOD_NOT_ALLOWED", "接口不支持该请求方式", json!({}))
            }
            ApiError::PriceChanged(q) => body(
                "PRICE_CHANGED",
                "订单金额有变化，请确认新的金额后再提交",
                json!({"quote": q}),
            ),
            ApiError::IllegalTransition { from, action } => body(
                "ILLEGAL_STATE_TRANSITION",
                &format!("订单{}，不能{}", from.label(), action.label()),
                json!({"status": from, "action": action}),
            ),
            ApiError::Conflict {
                code,
                message,
                details,
            } => ErrorBody {
                code: code.to_string(),
                message: message.clone(),
                details: details.clone(),
            },
            ApiError::WeChat(e) => body(
                "WECHAT_ERROR",
                "微信服务暂时不可用，请稍后重试",
                json!({"errcode": e.errcode()}),
            ),
            ApiError::Internal(_) => body("INTERNAL", "服务繁忙，请稍后重试", json!({})),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Internal(e) => tracing::error!(error = ?e, "internal error"),
            ApiError::WeChat(e) => tracing::warn!(error = %e, "wechat call failed"),
            _ => {}
        }
        (self.status(), Json(self.body())).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_answer_a_generic_message_without_the_cause() {
        let e = ApiError::Internal(anyhow::anyhow!(
            "password authentication failed for user mall"
        ));
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&e.body()).unwrap();
        assert!(!body.contains("password"), "{body}");
        assert_eq!(e.body().code, "INTERNAL");
    }

    #[test]
    fn rule_failures_keep_the_core_code_and_message() {
        let e = ApiError::from(RuleError::OutOfStock {
            sku_id: "7".into(),
            available: 0,
        });
        assert_eq!(e.status(), StatusCode::CONFLICT);
        assert_eq!(e.body().code, "OUT_OF_STOCK");
        assert_eq!(e.body().message, "商品已售罄");
    }
}
