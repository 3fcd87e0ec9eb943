//! The one API error type. Every error answers `{code, message, details}`:
//! rule failures carry the core's code and shopper-facing message; internal
//! errors are logged with their cause and answered with a generic message.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use mall_core::{ErrorBody, Quote, RuleError};
use serde_json::{json, Value};

use crate::http::codes::Code;
use crate::orders::{Action, OrderStatus};
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
    #[error("console sign-in required")]
    StaffUnauthorized,
    #[error("CSRF token missing or wrong")]
    StaffCsrf,
    #[error("role {role:?} not allowed")]
    StaffForbidden {
        role: crate::staff::Role,
        allowed: &'static [crate::staff::Role],
    },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("request body over {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("URL over {limit} bytes")]
    UriTooLong { limit: usize },
    #[error("headers over {limit} bytes")]
    HeadersTooLarge { limit: usize },
    #[error("no such route")]
    NoRoute,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("price changed")]
    PriceChanged(Box<Quote>),
    #[error("illegal transition {action:?} from {from:?}")]
    IllegalTransition { from: OrderStatus, action: Action },
    #[error("{code:?}")]
    Conflict {
        code: Code,
        message: String,
        details: BTreeMap<String, Value>,
    },
    /// 排队中: the flash sale's claims in flight or a rate limit are full;
    /// answered with `Retry-After`.
    #[error("queued, retry after {retry_after_ms} ms")]
    Queued { retry_after_ms: u64 },
    #[error("wechat: {0}")]
    WeChat(#[from] WeChatError),
    #[error("internal: {0:#}")]
    Internal(#[from] anyhow::Error),
}

/// The one mapping of the orders capability's errors to HTTP.
impl From<crate::orders::OrderError> for ApiError {
    fn from(e: crate::orders::OrderError) -> Self {
        use crate::orders::OrderError;
        match e {
            OrderError::NotFound => ApiError::NotFound("order"),
            OrderError::IllegalTransition { from, action } => {
                ApiError::IllegalTransition { from, action }
            }
            OrderError::Db(e) => ApiError::Internal(e.into()),
            OrderError::Other(e) => ApiError::Internal(e),
        }
    }
}

/// Refund operations: their parts' mappings.
impl From<crate::payments::RefundFlowError> for ApiError {
    fn from(e: crate::payments::RefundFlowError) -> Self {
        use crate::payments::RefundFlowError;
        match e {
            RefundFlowError::AfterSale(e) => e.into(),
            RefundFlowError::Refund(e) => e.into(),
            RefundFlowError::Db(e) => ApiError::Internal(e.into()),
            RefundFlowError::Other(e) => ApiError::Internal(e),
        }
    }
}

/// The one mapping of the after-sales capability's errors to HTTP.
impl From<crate::after_sales::AfterSaleError> for ApiError {
    fn from(e: crate::after_sales::AfterSaleError) -> Self {
        use crate::after_sales::AfterSaleError;
        match e {
            AfterSaleError::NotFound(what) => ApiError::NotFound(what),
            AfterSaleError::NotAllowed(message) => {
                ApiError::conflict(Code::AfterSaleNotAllowed, message)
            }
            AfterSaleError::State(message) => ApiError::conflict(Code::AfterSaleState, message),
            AfterSaleError::Rule(r) => ApiError::Rule(r),
            AfterSaleError::Order(e) => e.into(),
            AfterSaleError::Db(e) => ApiError::Internal(e.into()),
            AfterSaleError::Other(e) => ApiError::Internal(e),
        }
    }
}

/// The one mapping of the refunds capability's errors to HTTP.
impl From<crate::refunds::RefundError> for ApiError {
    fn from(e: crate::refunds::RefundError) -> Self {
        use crate::refunds::RefundError;
        match e {
            RefundError::NotFound => ApiError::NotFound("refund"),
            RefundError::NotAbnormal(status) => ApiError::conflict(
                Code::RefundState,
                format!("退款当前状态为{status}，只有异常退款可以重试或关闭"),
            ),
            RefundError::Changed => {
                ApiError::conflict(Code::RefundState, Code::RefundState.message())
            }
            RefundError::Db(e) => ApiError::Internal(e.into()),
        }
    }
}

/// The one mapping of payment's errors to HTTP.
impl From<crate::payments::PaymentError> for ApiError {
    fn from(e: crate::payments::PaymentError) -> Self {
        use crate::payments::PaymentError;
        match e {
            PaymentError::NotFound => ApiError::NotFound("order"),
            PaymentError::NotPayable(from) => ApiError::IllegalTransition {
                from,
                action: crate::orders::Action::Pay,
            },
            PaymentError::Expired => {
                ApiError::conflict(Code::OrderExpired, Code::OrderExpired.message())
            }
            PaymentError::WeChat(e) => ApiError::Internal(anyhow::anyhow!("wechat pay: {e}")),
            PaymentError::Order(e) => e.into(),
            PaymentError::Db(e) => ApiError::Internal(e.into()),
            PaymentError::Other(e) => ApiError::Internal(e),
        }
    }
}

/// The one mapping of pricing's errors to HTTP.
impl From<crate::catalog::pricing::PricingError> for ApiError {
    fn from(e: crate::catalog::pricing::PricingError) -> Self {
        use crate::catalog::pricing::PricingError;
        match e {
            PricingError::Rule(r) => ApiError::Rule(r),
            PricingError::Db(e) => ApiError::Internal(e.into()),
            PricingError::Other(e) => ApiError::Internal(e),
        }
    }
}

/// The one mapping of the shop rules' errors to HTTP: the core's refusal
/// answers with the core's code.
impl From<crate::shop_rules::ShopRulesError> for ApiError {
    fn from(e: crate::shop_rules::ShopRulesError) -> Self {
        use crate::shop_rules::ShopRulesError;
        match e {
            ShopRulesError::Rule(r) => ApiError::Rule(r),
            ShopRulesError::Db(e) => ApiError::Internal(e.into()),
            ShopRulesError::Other(e) => ApiError::Internal(e),
        }
    }
}

/// The one mapping of the flash-sale gate's refusals to HTTP: the window and
/// a sold-out SKU answer with the same codes the core and the database give.
impl From<crate::flash::Refusal> for ApiError {
    fn from(r: crate::flash::Refusal) -> Self {
        use crate::flash::Refusal;
        match r {
            Refusal::NotStarted {
                activity_id,
                starts_at,
            } => ApiError::Rule(RuleError::ActivityNotStarted {
                activity_id,
                starts_at,
            }),
            Refusal::Ended {
                activity_id,
                ended_at,
            } => ApiError::Rule(RuleError::ActivityEnded {
                activity_id,
                ended_at,
            }),
            Refusal::SoldOut { sku_id } => ApiError::Rule(RuleError::OutOfStock {
                sku_id: sku_id.to_string(),
                available: 0,
            }),
            Refusal::Queued { retry_after_ms } => ApiError::Queued { retry_after_ms },
            Refusal::Short { sku_id, available } => ApiError::Rule(RuleError::OutOfStock {
                sku_id: sku_id.to_string(),
                available,
            }),
            Refusal::LimitReached {
                activity_id,
                sku_id,
                limit,
                already,
            } => ApiError::Rule(RuleError::OverPurchaseLimit {
                sku_id: sku_id.to_string(),
                activity_id: Some(activity_id),
                limit,
                already_bought: already,
                remaining: limit.saturating_sub(already),
            }),
        }
    }
}

/// The one mapping of checkout's errors to HTTP.
impl From<crate::orders::place::CheckoutError> for ApiError {
    fn from(e: crate::orders::place::CheckoutError) -> Self {
        use crate::orders::place::CheckoutError;
        match e {
            CheckoutError::Invalid { field, reason } => ApiError::invalid(field, reason),
            CheckoutError::GroupItem(reason) => {
                ApiError::with_details(Code::GroupItemInvalid, json!({"reason": reason}))
            }
            CheckoutError::FlashInCart {
                line_id,
                activity_id,
            } => ApiError::with_details(
                Code::FlashBuyNowOnly,
                json!({"lineId": line_id, "activityId": activity_id}),
            ),
            CheckoutError::NotFound(what) => ApiError::NotFound(what),
            CheckoutError::Rule(r) => ApiError::Rule(r),
            CheckoutError::Line(body) => ApiError::RuleBody(body),
            CheckoutError::Empty => {
                ApiError::conflict(Code::EmptyOrder, Code::EmptyOrder.message())
            }
            CheckoutError::PriceChanged(q) => ApiError::PriceChanged(q),
            CheckoutError::ClaimVoided(_) => ApiError::Queued {
                retry_after_ms: mall_core::flash::RETRY_BASE_MS,
            },
            CheckoutError::Db(e) => ApiError::Internal(e.into()),
            CheckoutError::Other(e) => ApiError::Internal(e),
        }
    }
}

/// The one mapping of group buys' errors to HTTP: the core's reason
/// (GROUP_FULL, GROUP_EXPIRED, …) answers with the core's code.
impl From<crate::group_buy::GroupError> for ApiError {
    fn from(e: crate::group_buy::GroupError) -> Self {
        use crate::group_buy::GroupError;
        match e {
            GroupError::Rule(r) => ApiError::Rule(r),
            GroupError::NotFound(what) => ApiError::NotFound(what),
            GroupError::Db(e) => ApiError::Internal(e.into()),
            GroupError::Other(e) => ApiError::Internal(e),
        }
    }
}

/// The one mapping of the coupon center's and gifting's errors to HTTP.
impl From<crate::coupons::CouponError> for ApiError {
    fn from(e: crate::coupons::CouponError) -> Self {
        use crate::coupons::CouponError;
        match e {
            CouponError::NotFound => ApiError::NotFound("coupon"),
            CouponError::SoldOut => ApiError::conflict(Code::CouponSoldOut, "优惠券已领完"),
            CouponError::UserLimit { limit } => ApiError::Conflict {
                code: Code::CouponLimitReached,
                message: format!("每人限领{limit}张"),
                details: [("limit".to_string(), limit.into())].into_iter().collect(),
            },
            CouponError::DayLimit { limit } => ApiError::Conflict {
                code: Code::CouponDayLimitReached,
                message: format!("每天限领{limit}张，今日已领完"),
                details: [("limit".to_string(), limit.into())].into_iter().collect(),
            },
            CouponError::Rule(r) => ApiError::Rule(r),
            CouponError::GiftNotFound => ApiError::NotFound("gift"),
            CouponError::GiftClosed => ApiError::with_details(Code::GiftClosed, json!({})),
            CouponError::OwnGift => ApiError::with_details(Code::GiftOwn, json!({})),
            CouponError::GiftDayLimit { limit } => ApiError::Conflict {
                code: Code::GiftDailyLimit,
                message: format!("每天最多赠送{limit}张"),
                details: [("limit".to_string(), limit.into())].into_iter().collect(),
            },
            CouponError::DuplicateRequest => {
                ApiError::Internal(anyhow::anyhow!("duplicate request id not resolved"))
            }
            CouponError::Db(e) => ApiError::Internal(e.into()),
            CouponError::Other(e) => ApiError::Internal(e),
        }
    }
}

/// The one mapping of sign-in's errors to HTTP.
impl From<crate::signin::SigninError> for ApiError {
    fn from(e: crate::signin::SigninError) -> Self {
        use crate::signin::SigninError;
        match e {
            SigninError::Rule(r) => ApiError::Rule(r),
            SigninError::Db(e) => ApiError::Internal(e.into()),
            SigninError::Other(e) => ApiError::Internal(e),
        }
    }
}

/// The one mapping of distribution's errors to HTTP.
impl From<crate::distribution::DistributionError> for ApiError {
    fn from(e: crate::distribution::DistributionError) -> Self {
        use crate::distribution::DistributionError;
        match e {
            DistributionError::Disabled => ApiError::conflict(
                Code::DistributionDisabled,
                Code::DistributionDisabled.message(),
            ),
            DistributionError::PromoterState => {
                ApiError::conflict(Code::PromoterState, Code::PromoterState.message())
            }
            DistributionError::NotPromoter => {
                ApiError::conflict(Code::NotPromoter, Code::NotPromoter.message())
            }
            DistributionError::BelowMinimum { min } => {
                ApiError::with_details(Code::WithdrawBelowMin, json!({"min": min}))
            }
            DistributionError::Insufficient { available } => {
                ApiError::with_details(Code::WithdrawInsufficient, json!({"available": available}))
            }
            DistributionError::DailyCap { cap, left } => {
                ApiError::with_details(Code::WithdrawDailyCap, json!({"cap": cap, "left": left}))
            }
            DistributionError::WithdrawalState => {
                ApiError::conflict(Code::WithdrawalState, Code::WithdrawalState.message())
            }
            DistributionError::Invalid(field, why) => ApiError::invalid(field, why),
            DistributionError::Rates(why) => ApiError::with_details(
                Code::CommissionRatesInvalid,
                json!({"field": "rates", "reason": why}),
            ),
            DistributionError::Limits(why) => ApiError::with_details(
                Code::WithdrawLimitsInvalid,
                json!({"field": "withdrawDailyCap", "reason": why}),
            ),
            DistributionError::NotFound(what) => ApiError::NotFound(what),
            DistributionError::Rule(r) => ApiError::Rule(r),
            DistributionError::Db(e) => ApiError::Internal(e.into()),
            DistributionError::Other(e) => ApiError::Internal(e),
        }
    }
}

/// The one mapping of marketing's errors to HTTP: a rule the core refuses
/// answers with the core's code.
impl From<crate::marketing::MarketingError> for ApiError {
    fn from(e: crate::marketing::MarketingError) -> Self {
        use crate::marketing::MarketingError;
        match e {
            MarketingError::Rule(r) => ApiError::Rule(r),
            MarketingError::Invalid(field, why) => ApiError::invalid(field, why),
            MarketingError::Inconsistent(field, why) => ApiError::with_details(
                Code::RulesInconsistent,
                json!({"field": field, "reason": why}),
            ),
            MarketingError::StockShort { sku_id, available } => ApiError::with_details(
                Code::ActivityStockShort,
                json!({"field": "skus.stock", "skuId": sku_id, "available": available}),
            ),
            MarketingError::NotFound(what) => ApiError::NotFound(what),
            MarketingError::Db(e) => ApiError::Internal(e.into()),
            MarketingError::Other(e) => ApiError::Internal(e),
        }
    }
}

/// The one mapping of the bargains capability's errors to HTTP.
impl From<crate::bargains::BargainError> for ApiError {
    fn from(e: crate::bargains::BargainError) -> Self {
        use crate::bargains::BargainError;
        let code = match e {
            BargainError::NotFound(what) => return ApiError::NotFound(what),
            BargainError::Invalid(field, why) => return ApiError::invalid(field, why),
            BargainError::Inconsistent(field, why) => {
                return ApiError::with_details(
                    Code::RulesInconsistent,
                    json!({"field": field, "reason": why}),
                )
            }
            BargainError::NotRunning => Code::BargainNotRunning,
            BargainError::InitiationLimit { limit } => {
                return ApiError::Conflict {
                    code: Code::BargainInitiationLimit,
                    message: format!("本活动每人最多发起{limit}次砍价"),
                    details: [("limit".to_string(), limit.into())].into_iter().collect(),
                }
            }
            BargainError::OwnBargain => Code::BargainOwn,
            BargainError::AlreadyHelped => Code::BargainAlreadyHelped,
            BargainError::DailyLimit { limit } => {
                return ApiError::Conflict {
                    code: Code::BargainDailyLimit,
                    message: format!("每天最多助力{limit}次，明天再来吧"),
                    details: [("limit".to_string(), limit.into())].into_iter().collect(),
                }
            }
            BargainError::Full => Code::BargainFull,
            BargainError::Expired => Code::BargainExpired,
            BargainError::Closed(_) => Code::BargainClosed,
            BargainError::Risky { .. } => Code::BargainRisky,
            BargainError::Rule(r) => return ApiError::Rule(r),
            BargainError::WeChat(e) => return ApiError::WeChat(e),
            BargainError::Db(e) => return ApiError::Internal(e.into()),
            BargainError::Other(e) => return ApiError::Internal(e),
        };
        ApiError::conflict(code, code.message())
    }
}

/// The one mapping of the reviews capability's errors to HTTP.
impl From<crate::reviews::ReviewError> for ApiError {
    fn from(e: crate::reviews::ReviewError) -> Self {
        use crate::reviews::ReviewError;
        match e {
            ReviewError::NotFound(what) => ApiError::NotFound(what),
            ReviewError::NotAllowed(message) => ApiError::conflict(Code::ReviewNotAllowed, message),
            ReviewError::AlreadyReviewed => {
                ApiError::conflict(Code::AlreadyReviewed, Code::AlreadyReviewed.message())
            }
            ReviewError::Db(e) => ApiError::Internal(e.into()),
            ReviewError::Other(e) => ApiError::Internal(e),
        }
    }
}

/// The one mapping of catalog management's errors to HTTP.
impl From<crate::catalog::manage::ManageError> for ApiError {
    fn from(e: crate::catalog::manage::ManageError) -> Self {
        use crate::catalog::manage::ManageError;
        match e {
            ManageError::Matrix(why) => {
                ApiError::with_details(Code::SkuMatrix, json!({"reason": why}))
            }
            ManageError::TooDeep => {
                ApiError::conflict(Code::CategoryTooDeep, Code::CategoryTooDeep.message())
            }
            ManageError::NotFound(what) => ApiError::NotFound(what),
            ManageError::Db(e) => ApiError::Internal(e.into()),
            ManageError::Other(e) => ApiError::Internal(e),
        }
    }
}

/// The one mapping of the media capability's errors to HTTP.
impl From<crate::media::MediaError> for ApiError {
    fn from(e: crate::media::MediaError) -> Self {
        use crate::media::MediaError;
        match e {
            MediaError::TooLarge => ApiError::PayloadTooLarge {
                limit: crate::media::MAX_BYTES,
            },
            MediaError::NotImage(why) => {
                ApiError::with_details(Code::UploadNotImage, json!({"reason": why}))
            }
            MediaError::Other(e) => ApiError::Internal(anyhow::anyhow!(e)),
        }
    }
}

/// The one mapping of the staff capability's errors to HTTP.
impl From<crate::staff::StaffError> for ApiError {
    fn from(e: crate::staff::StaffError) -> Self {
        use crate::staff::StaffError;
        let code = match e {
            StaffError::BadCredentials => Code::StaffBadCredentials,
            StaffError::Locked { retry_after_secs } => {
                return ApiError::with_details(
                    Code::StaffLocked,
                    json!({"retryAfterSecs": retry_after_secs}),
                )
            }
            StaffError::UsernameTaken => Code::StaffUsernameTaken,
            StaffError::LastOwner => Code::StaffLastOwner,
            StaffError::NotFound => return ApiError::NotFound("staff"),
            StaffError::Db(e) => return ApiError::Internal(e.into()),
            StaffError::Other(e) => return ApiError::Internal(e),
        };
        ApiError::conflict(code, code.message())
    }
}

/// The one mapping of the events capability's errors to HTTP.
impl From<crate::events::EventError> for ApiError {
    fn from(e: crate::events::EventError) -> Self {
        use crate::events::EventError;
        match e {
            EventError::BatchSize { got, max } => {
                ApiError::with_details(Code::EventBatchSize, json!({"got": got, "max": max}))
            }
            EventError::UnknownName { index, name } => ApiError::with_details(
                Code::EventUnknown,
                json!({"index": index, "name": name, "allowed": crate::events::NAMES}),
            ),
            EventError::Invalid {
                index,
                field,
                reason,
            } => ApiError::with_details(
                Code::EventInvalid,
                json!({"index": index, "field": field, "reason": reason}),
            ),
            EventError::RecSlot { index, reason } => ApiError::with_details(
                Code::EventRecSlot,
                json!({"index": index, "reason": reason, "slots": crate::events::REC_SLOTS}),
            ),
            EventError::Db(e) => ApiError::Internal(e.into()),
        }
    }
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

    /// A registered code with its message and these details.
    pub fn with_details(code: Code, details: Value) -> ApiError {
        ApiError::Conflict {
            code,
            message: code.message().to_string(),
            details: match details {
                Value::Object(m) => m.into_iter().collect(),
                _ => BTreeMap::new(),
            },
        }
    }

    pub fn conflict(code: Code, message: impl Into<String>) -> ApiError {
        ApiError::Conflict {
            code,
            message: message.into(),
            details: BTreeMap::new(),
        }
    }

    /// A core rule code; every one is registered (a test reads the core's
    /// table), so the fallback is only for a core newer than this server.
    fn rule_code(code: &str) -> Code {
        Code::parse(code).unwrap_or(Code::Internal)
    }

    /// The registry code this error answers with.
    pub fn code(&self) -> Code {
        match self {
            ApiError::Rule(e) => Self::rule_code(e.code()),
            ApiError::RuleBody(b) => Self::rule_code(&b.code),
            ApiError::InvalidInput { .. } => Code::InvalidInput,
            ApiError::Unauthorized => Code::Unauthorized,
            ApiError::MerchantOnly => Code::Forbidden,
            ApiError::StaffUnauthorized => Code::StaffUnauthorized,
            ApiError::StaffCsrf => Code::StaffCsrf,
            ApiError::StaffForbidden { .. } => Code::StaffForbidden,
            ApiError::NotFound(_) => Code::NotFound,
            ApiError::NoRoute => Code::NoRoute,
            ApiError::MethodNotAllowed => Code::MethodNotAllowed,
            ApiError::PayloadTooLarge { .. } => Code::PayloadTooLarge,
            ApiError::UriTooLong { .. } => Code::UriTooLong,
            ApiError::HeadersTooLarge { .. } => Code::HeadersTooLarge,
            ApiError::PriceChanged(_) => Code::PriceChanged,
            ApiError::IllegalTransition { .. } => Code::IllegalStateTransition,
            ApiError::Conflict { code, .. } => *code,
            ApiError::Queued { .. } => Code::FlashQueued,
            ApiError::WeChat(_) => Code::WechatError,
            ApiError::Internal(_) => Code::Internal,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            // A core code this server does not know is still a refused rule.
            ApiError::Rule(e) if Code::parse(e.code()).is_none() => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::RuleBody(b) if Code::parse(&b.code).is_none() => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            _ => self.code().status(),
        }
    }

    pub fn body(&self) -> ErrorBody {
        let body = |code: Code, message: &str, details: Value| ErrorBody {
            code: code.as_str().to_string(),
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
                Code::InvalidInput,
                Code::InvalidInput.message(),
                json!({"field": field, "reason": reason}),
            ),
            ApiError::Unauthorized => {
                body(Code::Unauthorized, Code::Unauthorized.message(), json!({}))
            }
            ApiError::MerchantOnly => body(Code::Forbidden, Code::Forbidden.message(), json!({})),
            ApiError::StaffUnauthorized => body(
                Code::StaffUnauthorized,
                Code::StaffUnauthorized.message(),
                json!({}),
            ),
            ApiError::StaffCsrf => body(Code::StaffCsrf, Code::StaffCsrf.message(), json!({})),
            ApiError::StaffForbidden { role, allowed } => body(
                Code::StaffForbidden,
                Code::StaffForbidden.message(),
                json!({"role": role, "allowed": allowed}),
            ),
            ApiError::NotFound(what) => body(
                Code::NotFound,
                Code::NotFound.message(),
                json!({"resource": what}),
            ),
            ApiError::NoRoute => body(Code::NoRoute, Code::NoRoute.message(), json!({})),
            ApiError::UriTooLong { limit } => body(
                Code::UriTooLong,
                Code::UriTooLong.message(),
                json!({"limitBytes": limit}),
            ),
            ApiError::HeadersTooLarge { limit } => body(
                Code::HeadersTooLarge,
                Code::HeadersTooLarge.message(),
                json!({"limitBytes": limit}),
            ),
            ApiError::PayloadTooLarge { limit } => body(
                Code::PayloadTooLarge,
                Code::PayloadTooLarge.message(),
                json!({"limitBytes": limit}),
            ),
            ApiError::MethodNotAllowed => body(
                Code::MethodNotAllowed,
                Code::MethodNotAllowed.message(),
                json!({}),
            ),
            ApiError::PriceChanged(q) => body(
                Code::PriceChanged,
                Code::PriceChanged.message(),
                json!({"quote": q}),
            ),
            ApiError::IllegalTransition { from, action } => body(
                Code::IllegalStateTransition,
                &format!("订单{}，不能{}", from.label(), action.label()),
                json!({"status": from, "action": action}),
            ),
            ApiError::Conflict {
                code,
                message,
                details,
            } => ErrorBody {
                code: code.as_str().to_string(),
                message: message.clone(),
                details: details.clone(),
            },
            ApiError::Queued { retry_after_ms } => body(
                Code::FlashQueued,
                Code::FlashQueued.message(),
                json!({"retryAfterMs": retry_after_ms}),
            ),
            ApiError::WeChat(e) => body(
                Code::WechatError,
                Code::WechatError.message(),
                json!({"errcode": e.errcode()}),
            ),
            ApiError::Internal(_) => body(Code::Internal, Code::Internal.message(), json!({})),
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
        let mut res = (self.status(), Json(self.body())).into_response();
        if let ApiError::Queued { retry_after_ms } = self {
            // Whole seconds, rounded up (the body carries the milliseconds).
            let secs = retry_after_ms.div_ceil(1000).max(1);
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs),
            );
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The response header naming the layer that answered an error: `gate`
/// (memory, before the database), `redis`, or `server` (the database was
/// asked). Load tests count refusals by it.
pub const ANSWERED_BY: &str = "x-mall-answered-by";

/// An error with the layer that answered it ([`ANSWERED_BY`]).
#[derive(Debug)]
pub struct Answered {
    pub by: &'static str,
    pub error: ApiError,
}

impl Answered {
    pub fn by(by: &'static str) -> impl FnOnce(ApiError) -> Answered {
        move |error| Answered { by, error }
    }
}

impl<E: Into<ApiError>> From<E> for Answered {
    fn from(e: E) -> Self {
        Answered {
            by: "server",
            error: e.into(),
        }
    }
}

impl IntoResponse for Answered {
    fn into_response(self) -> Response {
        let mut res = self.error.into_response();
        res.headers_mut().insert(
            axum::http::HeaderName::from_static(ANSWERED_BY),
            axum::http::HeaderValue::from_static(self.by),
        );
        res
    }
}

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

#[cfg(test)]
mod layering {
    /// Capabilities report their own error enums; only `http/` (and the
    /// binaries' wiring) knows the HTTP error type and status codes.
    #[test]
    fn no_capability_uses_the_http_error_type() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut stack = vec![src.clone()];
        let mut offenders = Vec::new();
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    if p != src.join("http") {
                        stack.push(p);
                    }
                } else if p.extension().is_some_and(|x| x == "rs") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    if text.contains("http::error") || text.contains("http::codes") {
                        offenders.push(p.display().to_string());
                    }
                }
            }
        }
        assert!(offenders.is_empty(), "outside http/: {offenders:?}");
    }
}
