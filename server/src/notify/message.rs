//! The messages a shopper can receive, typed: each kind has its template
//! (configured per shop), the mini-program page it opens (checked against
//! `miniprogram/app.json` by a test) and its fields.

use serde_json::{json, Value};

use crate::clock::beijing_time;

/// A message kind: the key of its template id in the configuration
/// (`WECHAT_TMPL_PAID`, …) and the page it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    OrderPaid,
    OrderShipped,
    RefundResult,
    CouponExpiring,
    GroupResult,
    /// A member campaign granted a coupon (会员日券已到账).
    CouponGranted,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::OrderPaid,
        Kind::OrderShipped,
        Kind::RefundResult,
        Kind::CouponExpiring,
        Kind::GroupResult,
        Kind::CouponGranted,
    ];

    /// The template key (`config.templates`) and the `event` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::OrderPaid => "paid",
            Kind::OrderShipped => "shipped",
            Kind::RefundResult => "refund",
            Kind::CouponExpiring => "couponExpiring",
            Kind::GroupResult => "group",
            Kind::CouponGranted => "couponGranted",
        }
    }

    /// The mini-program page the message opens (without its query).
    pub fn page(self) -> &'static str {
        match self {
            Kind::OrderPaid | Kind::OrderShipped | Kind::RefundResult | Kind::GroupResult => {
                "pkg-order/detail/index"
            }
            Kind::CouponExpiring => "pages/member/index",
            Kind::CouponGranted => "pkg-activity/my-coupons/index",
        }
    }
}

/// One message, with what it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    OrderPaid {
        order_id: i64,
        order_no: String,
        amount: i64,
        at: i64,
    },
    OrderShipped {
        order_id: i64,
        order_no: String,
        carrier: String,
        tracking_no: String,
        at: i64,
    },
    RefundResult {
        order_id: i64,
        refund_id: i64,
        /// `success`, `abnormal` or `closed`.
        outcome: &'static str,
        amount: i64,
        at: i64,
    },
    CouponExpiring {
        coupon_id: i64,
        title: String,
        valid_until: i64,
    },
    /// A member campaign's coupon arrived in the wallet.
    CouponGranted {
        coupon_id: i64,
        /// The campaign's title (周三会员日) and the coupon's.
        campaign: String,
        title: String,
        valid_until: i64,
    },
    /// 拼团 formed (its order will ship) or failed (refunded in full).
    GroupResult {
        order_id: i64,
        group_id: i64,
        title: String,
        formed: bool,
        at: i64,
    },
}

/// `¥12.34` (the core's Money as a shopper reads it).
pub fn yuan(fen: i64) -> String {
    mall_core::Money::fen(fen).to_string()
}

/// A `thing` field: at most 20 characters.
pub fn thing(s: &str) -> Value {
    json!({"value": s.chars().take(20).collect::<String>()})
}

impl Message {
    pub fn kind(&self) -> Kind {
        match self {
            Message::OrderPaid { .. } => Kind::OrderPaid,
            Message::OrderShipped { .. } => Kind::OrderShipped,
            Message::RefundResult { .. } => Kind::RefundResult,
            Message::CouponExpiring { .. } => Kind::CouponExpiring,
            Message::GroupResult { .. } => Kind::GroupResult,
            Message::CouponGranted { .. } => Kind::CouponGranted,
        }
    }

    /// The same message is queued once.
    pub fn dedupe_key(&self) -> String {
        match self {
            Message::OrderPaid { order_id, .. } => format!("paid:{order_id}"),
            Message::OrderShipped { order_id, .. } => format!("shipped:{order_id}"),
            Message::RefundResult {
                refund_id, outcome, ..
            } => format!("refund:{refund_id}:{outcome}"),
            Message::CouponExpiring { coupon_id, .. } => format!("coupon:{coupon_id}"),
            Message::CouponGranted { coupon_id, .. } => format!("granted:{coupon_id}"),
            Message::GroupResult {
                order_id, formed, ..
            } => format!("group:{order_id}:{formed}"),
        }
    }

    /// The page with its query.
    pub fn page(&self) -> String {
        let page = self.kind().page();
        match self {
            Message::OrderPaid { order_id, .. }
            | Message::OrderShipped { order_id, .. }
            | Message::RefundResult { order_id, .. }
            | Message::GroupResult { order_id, .. } => format!("{page}?id={order_id}"),
            Message::CouponExpiring { .. } => format!("{page}?tab=coupons"),
            Message::CouponGranted { .. } => page.to_string(),
        }
    }

    /// The template's fields.
    pub fn data(&self) -> Value {
        match self {
            Message::OrderPaid {
                order_no,
                amount,
                at,
                ..
            } => {
                json!({"character_string1": {"value": order_no}, "amount2": {"value": yuan(*amount)},
                        "time3": {"value": beijing_time(*at)}, "thing4": thing("支付成功，我们会尽快发货")})
            }
            Message::OrderShipped {
                order_no,
                carrier,
                tracking_no,
                at,
                ..
            } => json!({"character_string1": {"value": order_no}, "thing2": thing(carrier),
                        "character_string3": {"value": tracking_no}, "time4": {"value": beijing_time(*at)}}),
            Message::RefundResult {
                outcome,
                amount,
                at,
                ..
            } => {
                let text = match *outcome {
                    "success" => "退款成功，款项已原路退回",
                    "abnormal" => "退款异常，客服将联系您处理",
                    _ => "退款已关闭，请联系客服",
                };
                json!({"amount1": {"value": yuan(*amount)}, "thing2": thing(text), "time3": {"value": beijing_time(*at)}})
            }
            Message::CouponExpiring {
                title, valid_until, ..
            } => json!({"thing1": thing(title), "time2": {"value": beijing_time(*valid_until)}}),
            Message::CouponGranted {
                campaign,
                title,
                valid_until,
                ..
            } => json!({"thing1": thing(campaign), "thing2": thing(title),
                        "time3": {"value": beijing_time(*valid_until)}}),
            Message::GroupResult {
                title, formed, at, ..
            } => {
                let text = if *formed {
                    "拼团成功，我们会尽快发货"
                } else {
                    "拼团未成功，货款将原路退回"
                };
                json!({"thing1": thing(title), "thing2": thing(text), "time3": {"value": beijing_time(*at)}})
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every page a message opens is a page of the mini-program.
    #[test]
    fn every_message_opens_a_page_the_mini_program_has() {
        let pages = crate::testing::mini_program_pages();
        for kind in Kind::ALL {
            assert!(
                pages.iter().any(|p| p == kind.page()),
                "{:?} opens {}, which miniprogram/app.json does not have",
                kind,
                kind.page()
            );
        }
    }

    #[test]
    fn amounts_read_as_yuan_and_things_are_cut_at_twenty_characters() {
        assert_eq!(yuan(1234), "¥12.34");
        assert_eq!(yuan(5), "¥0.05");
        assert_eq!(yuan(-5), "-¥0.05", "a sign is kept");
        assert_eq!(
            thing(&"字".repeat(30))["value"]
                .as_str()
                .unwrap()
                .chars()
                .count(),
            20
        );
    }
}
