//! The one registry of error codes: every `code` this API answers, the core's
//! rule codes and the server's own, each with its HTTP status and a shopper
//! message. The status mapping is an exhaustive match, so a new code cannot
//! fall into a default silently. The registry is exported for JavaScript
//! (`miniprogram/lib/error-codes.js` and its `.d.ts`) and listed in
//! `docs/error-codes.md`; a test keeps those files, the core's codes and the
//! codes the mini-program checks in step with it.

use axum::http::StatusCode;

macro_rules! registry {
    ($( $variant:ident = $code:literal, $status:ident, $message:literal; )*) => {
        /// A stable machine-readable error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $( $variant, )* }

        impl Code {
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            /// The HTTP status this code answers with.
            pub fn status(self) -> StatusCode {
                match self { $( Code::$variant => StatusCode::$status, )* }
            }

            /// The shopper message (the core's own message, which may carry
            /// numbers, takes precedence for rule failures).
            pub fn message(self) -> &'static str {
                match self { $( Code::$variant => $message, )* }
            }

            pub fn parse(code: &str) -> Option<Code> {
                match code { $( $code => Some(Code::$variant), )* _ => None }
            }
        }
    };
}

registry! {
    // --- the rules core (mall_core::RuleError)
    InvalidInput = "INVALID_INPUT", BAD_REQUEST, "请求数据有误，请刷新后重试";
    AmountOverflow = "AMOUNT_OVERFLOW", UNPROCESSABLE_ENTITY, "金额超出范围";
    UnknownSku = "UNKNOWN_SKU", NOT_FOUND, "商品不存在";
    OffShelf = "OFF_SHELF", UNPROCESSABLE_ENTITY, "商品已下架";
    OutOfStock = "OUT_OF_STOCK", CONFLICT, "商品库存不足";
    BelowMinQuantity = "BELOW_MIN_QUANTITY", UNPROCESSABLE_ENTITY, "未达到起购数量";
    OverPurchaseLimit = "OVER_PURCHASE_LIMIT", UNPROCESSABLE_ENTITY, "超出限购数量";
    InvalidQuantity = "INVALID_QUANTITY", UNPROCESSABLE_ENTITY, "购买数量有误";
    ActivityNotFound = "ACTIVITY_NOT_FOUND", NOT_FOUND, "活动不存在";
    ActivityNotStarted = "ACTIVITY_NOT_STARTED", UNPROCESSABLE_ENTITY, "活动尚未开始";
    ActivityEnded = "ACTIVITY_ENDED", UNPROCESSABLE_ENTITY, "活动已结束";
    PriceChanged = "PRICE_CHANGED", CONFLICT, "订单金额有变化，请确认新的金额后再提交";
    CouponNotFound = "COUPON_NOT_FOUND", NOT_FOUND, "优惠券不存在";
    CouponNotStarted = "COUPON_NOT_STARTED", UNPROCESSABLE_ENTITY, "优惠券尚未到使用时间";
    CouponExpired = "COUPON_EXPIRED", UNPROCESSABLE_ENTITY, "优惠券已过期";
    CouponUsed = "COUPON_USED", CONFLICT, "优惠券已使用";
    CouponOutOfScope = "COUPON_OUT_OF_SCOPE", UNPROCESSABLE_ENTITY, "所选商品不适用该优惠券";
    CouponExcludedByActivity = "COUPON_EXCLUDED_BY_ACTIVITY", UNPROCESSABLE_ENTITY, "活动商品不可用券";
    CouponBelowThreshold = "COUPON_BELOW_THRESHOLD", UNPROCESSABLE_ENTITY, "未达到优惠券使用门槛";
    CouponNotStackable = "COUPON_NOT_STACKABLE", UNPROCESSABLE_ENTITY, "该优惠券不可与已选优惠券同时使用";
    CouponLayerTaken = "COUPON_LAYER_TAKEN", UNPROCESSABLE_ENTITY, "同类优惠券每单限用一张";
    CouponNotApplicable = "COUPON_NOT_APPLICABLE", UNPROCESSABLE_ENTITY, "该优惠券不适用于当前订单";
    PointsInsufficient = "POINTS_INSUFFICIENT", CONFLICT, "积分不足";
    PointsNotAllowed = "POINTS_NOT_ALLOWED", UNPROCESSABLE_ENTITY, "本单不可使用积分";
    UndeliverableRegion = "UNDELIVERABLE_REGION", UNPROCESSABLE_ENTITY, "该地区暂不配送";
    OutOfDeliveryRange = "OUT_OF_DELIVERY_RANGE", UNPROCESSABLE_ENTITY, "超出配送范围";
    SlotUnavailable = "SLOT_UNAVAILABLE", UNPROCESSABLE_ENTITY, "该配送时段不可选";
    DeliveryNotOffered = "DELIVERY_NOT_OFFERED", UNPROCESSABLE_ENTITY, "暂不支持该配送方式";
    UnknownLine = "UNKNOWN_LINE", UNPROCESSABLE_ENTITY, "订单商品不存在";
    RefundQuantityExceeded = "REFUND_QUANTITY_EXCEEDED", UNPROCESSABLE_ENTITY, "超出可退数量";
    NothingToRefund = "NOTHING_TO_REFUND", UNPROCESSABLE_ENTITY, "没有可退的商品";
    TooManyCommissionLevels = "TOO_MANY_COMMISSION_LEVELS", UNPROCESSABLE_ENTITY, "分销层级超出上限";
    BargainInvalid = "BARGAIN_INVALID", UNPROCESSABLE_ENTITY, "砍价设置有误";
    GroupInvalid = "GROUP_INVALID", UNPROCESSABLE_ENTITY, "拼团设置有误";
    GroupNotOpen = "GROUP_NOT_OPEN", CONFLICT, "该团暂不可参加";
    GroupExpired = "GROUP_EXPIRED", CONFLICT, "该团已过期";
    GroupFull = "GROUP_FULL", CONFLICT, "该团已满，可以自己开团";
    GroupAlreadyJoined = "GROUP_ALREADY_JOINED", CONFLICT, "你已在这个团里";
    GroupRoleInvalid = "GROUP_ROLE_INVALID", UNPROCESSABLE_ENTITY, "拼团价需开团或参团购买";
    GroupItemInvalid = "GROUP_ITEM_INVALID", UNPROCESSABLE_ENTITY, "拼团需选择一件拼团商品直接购买";
    BargainFloorNotReached = "BARGAIN_FLOOR_NOT_REACHED", CONFLICT, "还没砍到底价，暂不能购买";
    CouponNotTransferable = "COUPON_NOT_TRANSFERABLE", UNPROCESSABLE_ENTITY, "该优惠券不可转赠";
    CouponReceivedAsGift = "COUPON_RECEIVED_AS_GIFT", UNPROCESSABLE_ENTITY, "好友赠送的优惠券不可再次转赠";
    CouponGifting = "COUPON_GIFTING", CONFLICT, "该优惠券正在赠送中";
    CouponGifted = "COUPON_GIFTED", CONFLICT, "该优惠券已赠送给好友";
    SigninDisabled = "SIGNIN_DISABLED", CONFLICT, "签到活动未开启";

    // --- the server: access and transport
    Unauthorized = "UNAUTHORIZED", UNAUTHORIZED, "请先登录";
    Forbidden = "FORBIDDEN", FORBIDDEN, "需要商家权限";
    NotFound = "NOT_FOUND", NOT_FOUND, "内容不存在或已删除";
    NoRoute = "NO_ROUTE", NOT_FOUND, "接口不存在";
    MethodNotAllowed = "METHOD_NOT_ALLOWED", METHOD_NOT_ALLOWED, "接口不支持该请求方式";
    PayloadTooLarge = "PAYLOAD_TOO_LARGE", PAYLOAD_TOO_LARGE, "提交的内容过大";
    UriTooLong = "URI_TOO_LONG", URI_TOO_LONG, "请求地址过长";
    HeadersTooLarge = "HEADERS_TOO_LARGE", REQUEST_HEADER_FIELDS_TOO_LARGE, "请求头过大";
    WechatError = "WECHAT_ERROR", BAD_GATEWAY, "微信服务暂时不可用，请稍后重试";
    Internal = "INTERNAL", INTERNAL_SERVER_ERROR, "服务繁忙，请稍后重试";

    // --- the server: state of orders, refunds, after-sales, members
    IllegalStateTransition = "ILLEGAL_STATE_TRANSITION", CONFLICT, "订单状态已变化，请刷新";
    OrderExpired = "ORDER_EXPIRED", CONFLICT, "订单已超时，请重新下单";
    EmptyOrder = "EMPTY_ORDER", CONFLICT, "请选择要购买的商品";
    RefundState = "REFUND_STATE", CONFLICT, "退款状态已变化，请刷新";
    AfterSaleNotAllowed = "AFTER_SALE_NOT_ALLOWED", CONFLICT, "当前订单不能申请售后";
    AfterSaleState = "AFTER_SALE_STATE", CONFLICT, "售后单状态已变化，请刷新";
    ReviewNotAllowed = "REVIEW_NOT_ALLOWED", CONFLICT, "确认收货后才能评价";
    AlreadyReviewed = "ALREADY_REVIEWED", CONFLICT, "该商品已评价过了";
    AddressLimit = "ADDRESS_LIMIT", CONFLICT, "最多保存50个地址";
    CouponSoldOut = "COUPON_SOLD_OUT", CONFLICT, "优惠券已领完";
    CouponLimitReached = "COUPON_LIMIT_REACHED", CONFLICT, "已达到领取上限";
    CouponDayLimitReached = "COUPON_DAY_LIMIT_REACHED", CONFLICT, "今日已领完，明天再来";
    GiftClosed = "GIFT_CLOSED", CONFLICT, "礼券已被领取、已取消或已过期";
    GiftOwn = "GIFT_OWN", CONFLICT, "不能领取自己赠送的优惠券";
    GiftDailyLimit = "GIFT_DAILY_LIMIT", CONFLICT, "今日赠送次数已达上限";
    LoginCodeInvalid = "LOGIN_CODE_INVALID", CONFLICT, "登录已失效，请重试";
    PhoneCodeInvalid = "PHONE_CODE_INVALID", CONFLICT, "获取手机号失败，请重试";

    // --- 砍价 bargains
    BargainNotRunning = "BARGAIN_NOT_RUNNING", CONFLICT, "砍价活动未开始或已结束";
    BargainInitiationLimit = "BARGAIN_INITIATION_LIMIT", CONFLICT, "本活动发起砍价的次数已用完";
    BargainOwn = "BARGAIN_OWN", CONFLICT, "不能帮自己砍价哦";
    BargainAlreadyHelped = "BARGAIN_ALREADY_HELPED", CONFLICT, "你已经帮TA砍过了";
    BargainDailyLimit = "BARGAIN_DAILY_LIMIT", CONFLICT, "今日助力次数已用完，明天再来吧";
    BargainFull = "BARGAIN_FULL", CONFLICT, "已经砍到底价啦，无需再砍";
    BargainExpired = "BARGAIN_EXPIRED", CONFLICT, "砍价已结束";
    BargainClosed = "BARGAIN_CLOSED", CONFLICT, "该砍价已下单，无需再砍";
    BargainRisky = "BARGAIN_RISKY", FORBIDDEN, "当前账号存在安全风险，暂不能助力";

    // --- 秒杀 flash sales
    FlashQueued = "FLASH_QUEUED", TOO_MANY_REQUESTS, "排队中，请稍候自动重试";
    FlashBuyNowOnly = "FLASH_BUY_NOW_ONLY", UNPROCESSABLE_ENTITY, "秒杀商品请直接抢购，不能加入购物车";

    // --- 分销 distribution
    DistributionDisabled = "DISTRIBUTION_DISABLED", CONFLICT, "分销功能未开启";
    PromoterState = "PROMOTER_STATE", CONFLICT, "该申请已处理，请刷新";
    CommissionRatesInvalid = "COMMISSION_RATES_INVALID", UNPROCESSABLE_ENTITY, "佣金比例应每级一个，且合计不超过100%";
    NotPromoter = "NOT_PROMOTER", FORBIDDEN, "你还不是推广员";
    WithdrawBelowMin = "WITHDRAW_BELOW_MIN", UNPROCESSABLE_ENTITY, "提现金额低于最低提现金额";
    WithdrawInsufficient = "WITHDRAW_INSUFFICIENT", CONFLICT, "可提现余额不足";
    WithdrawDailyCap = "WITHDRAW_DAILY_CAP", UNPROCESSABLE_ENTITY, "超出今日提现额度";
    WithdrawalState = "WITHDRAWAL_STATE", CONFLICT, "该提现已处理，请刷新";
    WithdrawLimitsInvalid = "WITHDRAW_LIMITS_INVALID", UNPROCESSABLE_ENTITY, "每日提现额度不能低于最低提现金额";

    // --- 订阅消息 consent
    SubscribeTemplateUnknown = "SUBSCRIBE_TEMPLATE_UNKNOWN", UNPROCESSABLE_ENTITY, "消息提醒已更新，请重新进入小程序后再试";

    // --- 会员营销 member campaigns
    CampaignCouponInvalid = "CAMPAIGN_COUPON_INVALID", UNPROCESSABLE_ENTITY, "请先为活动选择一张有效的优惠券";
    MemberTagInvalid = "MEMBER_TAG_INVALID", UNPROCESSABLE_ENTITY, "标签需为1到10个字，不含逗号，每位会员最多20个";

    // --- the merchant console (staff, products, orders)
    StaffUnauthorized = "STAFF_UNAUTHORIZED", UNAUTHORIZED, "请先登录管理后台";
    StaffBadCredentials = "STAFF_BAD_CREDENTIALS", UNAUTHORIZED, "用户名或密码错误";
    StaffLocked = "STAFF_LOCKED", TOO_MANY_REQUESTS, "登录失败次数过多，账号已临时锁定，请稍后再试";
    StaffForbidden = "STAFF_FORBIDDEN", FORBIDDEN, "当前角色无权进行此操作";
    StaffCsrf = "STAFF_CSRF", FORBIDDEN, "页面已过期，请刷新后重试";
    StaffUsernameTaken = "STAFF_USERNAME_TAKEN", CONFLICT, "用户名已被使用";
    StaffLastOwner = "STAFF_LAST_OWNER", CONFLICT, "至少保留一个启用的店主账号";
    SkuMatrix = "SKU_MATRIX", UNPROCESSABLE_ENTITY, "SKU与规格组合不一致，请重新生成规格表";
    CategoryTooDeep = "CATEGORY_TOO_DEEP", UNPROCESSABLE_ENTITY, "商品分类最多两级";
    OrderUnknown = "ORDER_UNKNOWN", NOT_FOUND, "订单号不存在";
    OrderNotShippable = "ORDER_NOT_SHIPPABLE", CONFLICT, "订单当前状态不能发货";
    CarrierUnknown = "CARRIER_UNKNOWN", UNPROCESSABLE_ENTITY, "不支持的快递公司";
    TrackingDuplicate = "TRACKING_DUPLICATE", CONFLICT, "运单号重复";
    RowInvalid = "ROW_INVALID", UNPROCESSABLE_ENTITY, "这一行的格式有误";
    RulesInconsistent = "RULES_INCONSISTENT", UNPROCESSABLE_ENTITY, "设置前后矛盾：编号重复、结束时间不晚于开始时间，或数量低于已发放";
    ActivityStockShort = "ACTIVITY_STOCK_SHORT", UNPROCESSABLE_ENTITY, "商品库存不足，预留不了活动的限量";

    // --- shopper events
    EventBatchSize = "EVENT_BATCH_SIZE", BAD_REQUEST, "每次上报1到50个事件";
    EventUnknown = "EVENT_UNKNOWN", BAD_REQUEST, "不支持的事件类型";
    EventInvalid = "EVENT_INVALID", BAD_REQUEST, "事件数据有误";
    EventRecSlot = "EVENT_REC_SLOT", UNPROCESSABLE_ENTITY, "推荐位事件需带推荐位和商品";
    RecommendProductRequired = "RECOMMEND_PRODUCT_REQUIRED", UNPROCESSABLE_ENTITY, "请指定正在浏览的商品";
    ExportNotReady = "EXPORT_NOT_READY", CONFLICT, "导出尚未完成，请稍候";
    UploadNotImage = "UPLOAD_NOT_IMAGE", UNPROCESSABLE_ENTITY, "仅支持 PNG、JPEG、GIF、WebP 图片";
    DateRangeInvalid = "DATE_RANGE_INVALID", UNPROCESSABLE_ENTITY, "日期有误，或结束日期早于开始日期";
    CsvInvalid = "CSV_INVALID", UNPROCESSABLE_ENTITY, "文件格式有误：首行应为 订单号,快递公司,运单号，且至少一行、至多2000行";
}

/// Codes the mini-program makes up itself (no server answer): network
/// failures and a login that could not complete.
pub const CLIENT_ONLY: &[&str] = &["NETWORK", "LOGIN_FAILED"];

/// `miniprogram/lib/error-codes.js`: every code with its message.
pub fn javascript() -> String {
    let mut s = String::from(
        "// Generated from server/src/http/codes.rs (the registry of error codes);\n\
         // regenerate with `MALL_WRITE_CODES=1 cargo test -p mall-server codes`.\n\
         // Every code the server answers, with its HTTP status and shopper message.\n\
         module.exports = {\n",
    );
    for c in Code::ALL {
        s.push_str(&format!(
            "  {}: {{ status: {}, message: '{}' }},\n",
            c.as_str(),
            c.status().as_u16(),
            c.message()
        ));
    }
    s.push_str("};\n");
    s
}

/// `miniprogram/lib/error-codes.d.ts`: the codes as a TypeScript union.
pub fn typescript() -> String {
    let mut s = String::from(
        "// Generated from server/src/http/codes.rs; do not edit.\n\
         /** Every `code` the server answers in `{code, message, details}`. */\nexport type ErrorCode =\n",
    );
    for c in Code::ALL {
        s.push_str(&format!("  | '{}'\n", c.as_str()));
    }
    s.push_str(";\n\ndeclare const codes: { readonly [C in ErrorCode]: { status: number; message: string } };\nexport default codes;\n");
    s
}

/// `docs/error-codes.md`.
pub fn markdown() -> String {
    let mut s = String::from(
        "# Error codes\n\nEvery error answer is `{code, message, details}`. Generated from \
         `server/src/http/codes.rs` (`MALL_WRITE_CODES=1 cargo test -p mall-server codes`). \
         Rule failures carry the core's own message, which may include numbers (`库存不足，仅剩2件`); \
         the message below is the code's general one.\n\n| code | HTTP | message |\n| --- | --- | --- |\n",
    );
    for c in Code::ALL {
        s.push_str(&format!(
            "| `{}` | {} | {} |\n",
            c.as_str(),
            c.status().as_u16(),
            c.message()
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    fn repo() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
    }

    fn quoted_codes(text: &str, quote: char) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for part in text.split(quote).skip(1).step_by(2) {
            if part.len() >= 4
                && part.starts_with(|c: char| c.is_ascii_uppercase())
                && part.chars().all(|c| c.is_ascii_uppercase() || c == '_')
            {
                out.insert(part.to_string());
            }
        }
        out
    }

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = BTreeSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{} twice", c.as_str());
            assert_eq!(Code::parse(c.as_str()), Some(*c));
            assert!(!c.message().is_empty());
        }
        assert_eq!(Code::parse("NOPE"), None);
    }

    /// Every code the core can return is registered (read from the core's
    /// `code()` table, so a new core code fails here until it is added).
    #[test]
    fn every_core_code_is_registered() {
        let src = std::fs::read_to_string(repo().join("core/src/error.rs")).unwrap();
        let table = src
            .split("pub fn code(&self)")
            .nth(1)
            .and_then(|s| s.split("pub fn message(&self)").next())
            .expect("core's code() table");
        let core = quoted_codes(table, '"');
        assert!(core.len() > 30, "{core:?}");
        for code in core {
            assert!(
                Code::parse(&code).is_some(),
                "core code {code} is not in the registry"
            );
        }
    }

    /// The literals in `code === 'X'` (or `==`, `!==`, `!=`).
    fn compared_codes(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (i, _) in text.match_indices("code") {
            let rest = text[i + 4..].trim_start();
            let Some(rest) = ["===", "!==", "==", "!="]
                .iter()
                .find_map(|op| rest.strip_prefix(op))
            else {
                continue;
            };
            let rest = rest.trim_start();
            let Some(q) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') else {
                continue;
            };
            if let Some(end) = rest[1..].find(q) {
                out.push(rest[1..1 + end].to_string());
            }
        }
        out
    }

    #[test]
    fn code_comparisons_are_found() {
        assert_eq!(
            compared_codes("if (e.code === 'PRICE_CHANGED' || err.code == \"X_Y\") method: 'POST'"),
            vec!["PRICE_CHANGED".to_string(), "X_Y".to_string()]
        );
    }

    /// Every code the mini-program compares against is one the server answers.
    #[test]
    fn every_code_the_mini_program_checks_is_registered() {
        let mut stack = vec![repo().join("miniprogram")];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "js") && !p.ends_with("error-codes.js")
                {
                    let text = std::fs::read_to_string(&p).unwrap();
                    for code in compared_codes(&text) {
                        assert!(
                            Code::parse(&code).is_some() || CLIENT_ONLY.contains(&code.as_str()),
                            "{} compares against {code}, which the registry does not hold",
                            p.display()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn codes_exported_for_javascript_and_the_docs_are_current() {
        let files = [
            ("miniprogram/lib/error-codes.js", javascript()),
            ("miniprogram/lib/error-codes.d.ts", typescript()),
            ("docs/error-codes.md", markdown()),
        ];
        for (path, want) in files {
            let p = repo().join(path);
            if std::env::var("MALL_WRITE_CODES").is_ok() {
                std::fs::write(&p, &want).unwrap();
            }
            let have = std::fs::read_to_string(&p).unwrap_or_default();
            assert!(
                have == want,
                "{path} is stale: MALL_WRITE_CODES=1 cargo test -p mall-server codes"
            );
        }
    }
}
