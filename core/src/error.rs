//! Every rule failure has a stable machine-readable `code` (SCREAMING_SNAKE_CASE),
//! the numbers a shopper needs as `details`, and a shopper-facing `message`.
//! The wasm layer turns these into JS `Error`s with the same `code`; the server
//! into JSON problem responses with the same `code`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::money::Money;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("invalid input: {field}: {reason}")]
    InvalidInput { field: String, reason: String },
    #[error("amount overflow")]
    AmountOverflow,

    // --- cart lines
    #[error("unknown SKU {sku_id}")]
    UnknownSku { sku_id: String },
    #[error("SKU {sku_id} is off the shelf")]
    OffShelf { sku_id: String },
    #[error("SKU {sku_id}: only {available} left")]
    OutOfStock { sku_id: String, available: u64 },
    #[error("SKU {sku_id}: at least {min} per order")]
    BelowMinQuantity { sku_id: String, min: u64 },
    #[error("SKU {sku_id}: limit {limit} per user, already bought {already_bought}")]
    OverPurchaseLimit {
        sku_id: String,
        /// The activity whose limit is exceeded; `None` for the SKU's own limit.
        activity_id: Option<String>,
        limit: u64,
        already_bought: u64,
        remaining: u64,
    },
    #[error("bad quantity {quantity}")]
    InvalidQuantity { quantity: i64 },
    #[error("activity {activity_id} does not exist or does not sell SKU {sku_id}")]
    ActivityNotFound { activity_id: String, sku_id: String },
    #[error("activity {activity_id} starts at {starts_at}")]
    ActivityNotStarted { activity_id: String, starts_at: i64 },
    #[error("activity {activity_id} ended at {ended_at}")]
    ActivityEnded { activity_id: String, ended_at: i64 },
    #[error("price of SKU {sku_id} changed from {seen} to {current}")]
    PriceChanged {
        sku_id: String,
        seen: Money,
        current: Money,
    },

    // --- coupons
    #[error("coupon {coupon_id} is not in the wallet")]
    CouponNotFound { coupon_id: String },
    #[error("coupon {coupon_id} is valid from {valid_from}")]
    CouponNotStarted { coupon_id: String, valid_from: i64 },
    #[error("coupon {coupon_id} expired at {valid_until}")]
    CouponExpired { coupon_id: String, valid_until: i64 },
    #[error("coupon {coupon_id} was already used")]
    CouponUsed { coupon_id: String },
    #[error("coupon {coupon_id} applies to none of the selected items")]
    CouponOutOfScope { coupon_id: String },
    #[error(
        "coupon {coupon_id}: SKU {sku_id} is sold in activity {activity_id}, which takes no coupon"
    )]
    CouponExcludedByActivity {
        coupon_id: String,
        activity_id: String,
        sku_id: String,
    },
    #[error("coupon {coupon_id} needs {threshold}, eligible amount is {base}")]
    CouponBelowThreshold {
        coupon_id: String,
        threshold: Money,
        base: Money,
        shortfall: Money,
    },
    #[error("coupon {coupon_id} cannot be combined with coupon {other_id}")]
    CouponNotStackable { coupon_id: String, other_id: String },
    #[error("coupon {coupon_id}: only one coupon per layer, {other_id} already takes it")]
    CouponLayerTaken { coupon_id: String, other_id: String },
    #[error("coupon {coupon_id} does not apply to this order: {reason}")]
    CouponNotApplicable { coupon_id: String, reason: String },

    // --- points
    #[error("points: requested {requested}, balance {balance}")]
    PointsInsufficient { balance: u64, requested: u64 },
    #[error("points cannot be used: {reason}")]
    PointsNotAllowed { reason: String },

    // --- delivery
    #[error("no delivery to region {region}")]
    UndeliverableRegion { region: String },
    #[error("{distance_meters} m is beyond the delivery range of {max_meters} m")]
    OutOfDeliveryRange {
        distance_meters: u64,
        max_meters: u64,
    },
    #[error("delivery slot {slot_id} is not available")]
    SlotUnavailable { slot_id: String },
    #[error("delivery method {method} is not offered")]
    DeliveryNotOffered { method: String },

    // --- refunds, commission, bargain
    #[error("order line {line_id} does not exist")]
    UnknownLine { line_id: String },
    #[error("line {line_id}: refund of {requested} units, only {remaining} not yet refunded")]
    RefundQuantityExceeded {
        line_id: String,
        requested: u64,
        remaining: u64,
    },
    #[error("nothing to refund")]
    NothingToRefund,
    #[error("commission has {levels} levels, at most 3 are allowed")]
    TooManyCommissionLevels { levels: u64 },
    #[error("bargain cannot be split: {reason}")]
    BargainInvalid { reason: String },

    // --- group buy
    #[error("group invalid: {reason}")]
    GroupInvalid { reason: String },
    #[error("group is {status}, not open")]
    GroupNotOpen { status: String },
    #[error("group expired at {expires_at}")]
    GroupExpired { expires_at: i64 },
    #[error("group of {size} is full")]
    GroupFull { size: u64 },
    #[error("already in this group")]
    GroupAlreadyJoined,
    #[error("activity {activity_id}: {reason}")]
    GroupRoleInvalid { activity_id: String, reason: String },
    #[error("bargain needs {helpers_left} more helpers before it can be bought")]
    BargainFloorNotReached { helpers_left: u64 },
    // --- gifts and sign-in
    #[error("coupon {coupon_id}: its batch is not transferable")]
    CouponNotTransferable { coupon_id: String },
    #[error("coupon {coupon_id} was received as a gift and cannot be gifted again")]
    CouponReceivedAsGift { coupon_id: String },
    #[error("coupon {coupon_id} is being gifted")]
    CouponGifting { coupon_id: String },
    #[error("coupon {coupon_id} was given away")]
    CouponGifted { coupon_id: String },
    #[error("sign-in is switched off")]
    SigninDisabled,
}

pub type Result<T, E = RuleError> = std::result::Result<T, E>;

impl RuleError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> RuleError {
        RuleError::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        use RuleError::*;
        match self {
            InvalidInput { .. } => "INVALID_INPUT",
            AmountOverflow => "AMOUNT_OVERFLOW",
            UnknownSku { .. } => "UNKNOWN_SKU",
            OffShelf { .. } => "OFF_SHELF",
            OutOfStock { .. } => "OUT_OF_STOCK",
            BelowMinQuantity { .. } => "BELOW_MIN_QUANTITY",
            OverPurchaseLimit { .. } => "OVER_PURCHASE_LIMIT",
            InvalidQuantity { .. } => "INVALID_QUANTITY",
            ActivityNotFound { .. } => "ACTIVITY_NOT_FOUND",
            ActivityNotStarted { .. } => "ACTIVITY_NOT_STARTED",
            ActivityEnded { .. } => "ACTIVITY_ENDED",
            PriceChanged { .. } => "PRICE_CHANGED",
            CouponNotFound { .. } => "COUPON_NOT_FOUND",
            CouponNotStarted { .. } => "COUPON_NOT_STARTED",
            CouponExpired { .. } => "COUPON_EXPIRED",
            CouponUsed { .. } => "COUPON_USED",
            CouponOutOfScope { .. } => "COUPON_OUT_OF_SCOPE",
            CouponExcludedByActivity { .. } => "COUPON_EXCLUDED_BY_ACTIVITY",
            CouponBelowThreshold { .. } => "COUPON_BELOW_THRESHOLD",
            CouponNotStackable { .. } => "COUPON_NOT_STACKABLE",
            CouponLayerTaken { .. } => "COUPON_LAYER_TAKEN",
            CouponNotApplicable { .. } => "COUPON_NOT_APPLICABLE",
            PointsInsufficient { .. } => "POINTS_INSUFFICIENT",
            PointsNotAllowed { .. } => "POINTS_NOT_ALLOWED",
            UndeliverableRegion { .. } => "UNDELIVERABLE_REGION",
            OutOfDeliveryRange { .. } => "OUT_OF_DELIVERY_RANGE",
            SlotUnavailable { .. } => "SLOT_UNAVAILABLE",
            DeliveryNotOffered { .. } => "DELIVERY_NOT_OFFERED",
            UnknownLine { .. } => "UNKNOWN_LINE",
            RefundQuantityExceeded { .. } => "REFUND_QUANTITY_EXCEEDED",
            NothingToRefund => "NOTHING_TO_REFUND",
            TooManyCommissionLevels { .. } => "TOO_MANY_COMMISSION_LEVELS",
            BargainInvalid { .. } => "BARGAIN_INVALID",
            GroupInvalid { .. } => "GROUP_INVALID",
            GroupNotOpen { .. } => "GROUP_NOT_OPEN",
            GroupExpired { .. } => "GROUP_EXPIRED",
            GroupFull { .. } => "GROUP_FULL",
            GroupAlreadyJoined => "GROUP_ALREADY_JOINED",
            GroupRoleInvalid { .. } => "GROUP_ROLE_INVALID",
            BargainFloorNotReached { .. } => "BARGAIN_FLOOR_NOT_REACHED",
            CouponNotTransferable { .. } => "COUPON_NOT_TRANSFERABLE",
            CouponReceivedAsGift { .. } => "COUPON_RECEIVED_AS_GIFT",
            CouponGifting { .. } => "COUPON_GIFTING",
            CouponGifted { .. } => "COUPON_GIFTED",
            SigninDisabled => "SIGNIN_DISABLED",
        }
    }

    /// What the shopper is shown.
    pub fn message(&self) -> String {
        use RuleError::*;
        match self {
            InvalidInput { .. } => "请求数据有误，请刷新后重试".into(),
            AmountOverflow => "金额超出范围".into(),
            UnknownSku { .. } => "商品不存在".into(),
            OffShelf { .. } => "商品已下架".into(),
            OutOfStock { available, .. } if *available == 0 => "商品已售罄".into(),
            OutOfStock { available, .. } => format!("库存不足，仅剩{available}件"),
            BelowMinQuantity { min, .. } => format!("该商品{min}件起购"),
            OverPurchaseLimit {
                limit, remaining, ..
            } => {
                format!("每人限购{limit}件，您还可购买{remaining}件")
            }
            InvalidQuantity { .. } => "购买数量有误".into(),
            ActivityNotFound { .. } => "活动不存在".into(),
            ActivityNotStarted { .. } => "活动尚未开始".into(),
            ActivityEnded { .. } => "活动已结束".into(),
            PriceChanged { seen, current, .. } => format!("商品价格已由{seen}变为{current}"),
            CouponNotFound { .. } => "优惠券不存在".into(),
            CouponNotStarted { .. } => "优惠券尚未到使用时间".into(),
            CouponExpired { .. } => "优惠券已过期".into(),
            CouponUsed { .. } => "优惠券已使用".into(),
            CouponOutOfScope { .. } => "所选商品不适用该优惠券".into(),
            CouponExcludedByActivity { .. } => "活动商品不可用券".into(),
            CouponBelowThreshold { shortfall, .. } => format!("还差{shortfall}可用"),
            CouponNotStackable { .. } => "该优惠券不可与已选优惠券同时使用".into(),
            CouponLayerTaken { .. } => "同类优惠券每单限用一张".into(),
            CouponNotApplicable { .. } => "该优惠券不适用于当前订单".into(),
            PointsInsufficient { balance, .. } => format!("积分不足，当前积分{balance}"),
            PointsNotAllowed { .. } => "本单不可使用积分".into(),
            UndeliverableRegion { .. } => "该地区暂不配送".into(),
            OutOfDeliveryRange { .. } => "超出配送范围".into(),
            SlotUnavailable { .. } => "该配送时段不可选".into(),
            DeliveryNotOffered { .. } => "暂不支持该配送方式".into(),
            UnknownLine { .. } => "订单商品不存在".into(),
            RefundQuantityExceeded { remaining, .. } => format!("最多可退{remaining}件"),
            NothingToRefund => "没有可退的商品".into(),
            TooManyCommissionLevels { .. } => "分销层级最多2级".into(),
            BargainInvalid { .. } => "砍价设置有误".into(),
            GroupInvalid { .. } => "拼团设置有误".into(),
            GroupNotOpen { .. } => "该团暂不可参加".into(),
            GroupExpired { .. } => "该团已过期".into(),
            GroupFull { size } => format!("该团{size}人已满，可以自己开团"),
            GroupAlreadyJoined => "你已在这个团里".into(),
            GroupRoleInvalid { .. } => "拼团价需开团或参团购买".into(),
            BargainFloorNotReached { helpers_left } => {
                format!("还差{helpers_left}人砍到底价，暂不能购买")
            }
            CouponNotTransferable { .. } => "该优惠券不可转赠".into(),
            CouponReceivedAsGift { .. } => "好友赠送的优惠券不可再次转赠".into(),
            CouponGifting { .. } => "该优惠券正在赠送中".into(),
            CouponGifted { .. } => "该优惠券已赠送给好友".into(),
            SigninDisabled => "签到活动未开启".into(),
        }
    }

    /// The numbers behind the error, for clients that build their own message.
    pub fn details(&self) -> BTreeMap<String, Value> {
        use RuleError::*;
        let v = match self {
            InvalidInput { field, reason } => json!({"field": field, "reason": reason}),
            AmountOverflow | NothingToRefund | SigninDisabled => json!({}),
            UnknownSku { sku_id } | OffShelf { sku_id } => json!({"skuId": sku_id}),
            OutOfStock { sku_id, available } => json!({"skuId": sku_id, "available": available}),
            BelowMinQuantity { sku_id, min } => json!({"skuId": sku_id, "min": min}),
            OverPurchaseLimit {
                sku_id,
                activity_id,
                limit,
                already_bought,
                remaining,
            } => {
                let mut v = json!({
                    "skuId": sku_id, "limit": limit, "alreadyBought": already_bought, "remaining": remaining
                });
                if let Some(a) = activity_id {
                    v["activityId"] = json!(a);
                }
                v
            }
            InvalidQuantity { quantity } => json!({"quantity": quantity}),
            ActivityNotFound {
                activity_id,
                sku_id,
            } => {
                json!({"activityId": activity_id, "skuId": sku_id})
            }
            ActivityNotStarted {
                activity_id,
                starts_at,
            } => {
                json!({"activityId": activity_id, "startsAt": starts_at})
            }
            ActivityEnded {
                activity_id,
                ended_at,
            } => {
                json!({"activityId": activity_id, "endedAt": ended_at})
            }
            PriceChanged {
                sku_id,
                seen,
                current,
            } => {
                json!({"skuId": sku_id, "seen": seen, "current": current})
            }
            CouponNotFound { coupon_id }
            | CouponUsed { coupon_id }
            | CouponOutOfScope { coupon_id }
            | CouponNotTransferable { coupon_id }
            | CouponReceivedAsGift { coupon_id }
            | CouponGifting { coupon_id }
            | CouponGifted { coupon_id } => json!({"couponId": coupon_id}),
            CouponExcludedByActivity {
                coupon_id,
                activity_id,
                sku_id,
            } => json!({"couponId": coupon_id, "activityId": activity_id, "skuId": sku_id}),
            CouponNotStarted {
                coupon_id,
                valid_from,
            } => {
                json!({"couponId": coupon_id, "validFrom": valid_from})
            }
            CouponExpired {
                coupon_id,
                valid_until,
            } => {
                json!({"couponId": coupon_id, "validUntil": valid_until})
            }
            CouponBelowThreshold {
                coupon_id,
                threshold,
                base,
                shortfall,
            } => json!({
                "couponId": coupon_id, "threshold": threshold, "base": base, "shortfall": shortfall
            }),
            CouponNotStackable {
                coupon_id,
                other_id,
            }
            | CouponLayerTaken {
                coupon_id,
                other_id,
            } => {
                json!({"couponId": coupon_id, "otherId": other_id})
            }
            CouponNotApplicable { coupon_id, reason } => {
                json!({"couponId": coupon_id, "reason": reason})
            }
            PointsInsufficient { balance, requested } => {
                json!({"balance": balance, "requested": requested})
            }
            PointsNotAllowed { reason } => json!({"reason": reason}),
            UndeliverableRegion { region } => json!({"region": region}),
            OutOfDeliveryRange {
                distance_meters,
                max_meters,
            } => {
                json!({"distanceMeters": distance_meters, "maxMeters": max_meters})
            }
            SlotUnavailable { slot_id } => json!({"slotId": slot_id}),
            DeliveryNotOffered { method } => json!({"method": method}),
            UnknownLine { line_id } => json!({"lineId": line_id}),
            RefundQuantityExceeded {
                line_id,
                requested,
                remaining,
            } => json!({
                "lineId": line_id, "requested": requested, "remaining": remaining
            }),
            TooManyCommissionLevels { levels } => json!({"levels": levels}),
            BargainInvalid { reason } => json!({"reason": reason}),
            GroupInvalid { reason } => json!({"reason": reason}),
            GroupNotOpen { status } => json!({"status": status}),
            GroupExpired { expires_at } => json!({"expiresAt": expires_at}),
            GroupFull { size } => json!({"size": size}),
            GroupAlreadyJoined => json!({}),
            GroupRoleInvalid {
                activity_id,
                reason,
            } => json!({"activityId": activity_id, "reason": reason}),
            BargainFloorNotReached { helpers_left } => json!({"helpersLeft": helpers_left}),
        };
        match v {
            Value::Object(map) => map.into_iter().collect(),
            _ => BTreeMap::new(),
        }
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code().to_string(),
            message: self.message(),
            details: self.details(),
        }
    }
}

/// An error as data: what crosses the wasm boundary, the HTTP API, and what a
/// quote carries for each invalid cart line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    pub details: BTreeMap<String, Value>,
}

impl From<RuleError> for ErrorBody {
    fn from(e: RuleError) -> Self {
        e.body()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_threshold_tells_the_shopper_how_much_more_to_spend() {
        let e = RuleError::CouponBelowThreshold {
            coupon_id: "c1".into(),
            threshold: Money::fen(30000),
            base: Money::fen(28800),
            shortfall: Money::fen(1200),
        };
        assert_eq!(e.code(), "COUPON_BELOW_THRESHOLD");
        assert_eq!(e.message(), "还差¥12.00可用");
        assert_eq!(e.details()["shortfall"], json!(1200));
    }

    #[test]
    fn a_coupon_refused_for_an_activity_line_says_so() {
        let e = RuleError::CouponExcludedByActivity {
            coupon_id: "c1".into(),
            activity_id: "fs1".into(),
            sku_id: "a".into(),
        };
        assert_eq!(e.code(), "COUPON_EXCLUDED_BY_ACTIVITY");
        assert_eq!(e.message(), "活动商品不可用券");
        assert_eq!(e.details()["activityId"], json!("fs1"));
    }
}
