//! mall-core: the shop's business rules in one pure crate.
//!
//! Prices, promotions, coupon stacking, cart validity, member levels, delivery,
//! points, refunds, member segments and recommendations. No I/O, no clock, no
//! randomness: `now`, ids and seeds are inputs, so the same input gives the same
//! output natively on the server and as WebAssembly in the mini-program. The
//! contract is docs/rules.md.

// `ok_or_else(|| RuleError::AmountOverflow)` is deliberate: `ok_or` builds the
// error and runs its drop glue on every checked operation, which measured 11% of
// the instructions of the coupon search.
#![allow(clippy::unnecessary_lazy_evaluations)]

pub mod activity;
pub mod allocation;
pub mod bargain;
pub mod cart;
pub mod commission;
pub mod coupon;
pub mod dispatch;
pub mod error;
pub mod flash;
pub mod gift;
pub mod group;
pub mod member;
pub mod money;
pub mod points;
pub mod promotion;
pub mod quote;
pub mod recommend;
pub mod refund;
pub mod segments;
pub mod shipping;
pub mod signin;

pub use bargain::{
    bargain_price, bargain_progress, bargain_split, BargainInput, BargainPlan, BargainProgress,
    BargainProgressInput,
};
pub use cart::{CartCheck, CartLine, LineIssue, PriceSource, Purchased, Sku};
pub use commission::{
    commission, commission_reversal, Commission, CommissionInput, CommissionRule,
};
pub use coupon::{Coupon, CouponKind};
pub use error::{ErrorBody, RuleError};
pub use flash::{
    flash_bucket_order, flash_buckets, flash_state, FlashBucketsInput, FlashPhase, FlashState,
    FlashStateInput,
};
pub use gift::{gift_eligibility, GiftCouponState, GiftEligibility, GiftInput};
pub use group::{
    check_join, group_at_expiry, group_progress, ExpiryDecision, ExpiryInput, ExpiryOutcome,
    GroupProgress, GroupRole, GroupState, GroupStatus, JoinInput, ProgressInput,
};
pub use member::{member_status, MemberLevel, MemberProgram, MemberStatus};
pub use money::{Money, Ratio};
pub use points::{PointsChoice, PointsRule, PointsUse};
pub use quote::{
    best_coupons, quote, validate_cart, Buyer, CouponChoice, Quote, QuoteInput, QuoteOptions,
    ShopRules, ThresholdBase,
};
pub use recommend::{
    best_sellers, item_similarity, recommend, recommend_for, search_suggestions, BestSellersInput,
    RecommendInput, RecommendShop, Recommendations, ShopModel, ShopperRequest, SimilarityInput,
    SimilarityTable, SuggestInput,
};
pub use refund::{refund, OrderSnapshot, RefundInput, RefundQuote};
pub use segments::{
    beijing_week_slot, campaign_decision, member_segment, CampaignDecision, CampaignInput,
    MemberSegment, SegmentInput, WeekSlotInput,
};
pub use shipping::{
    late_compensation, Delivery, LateCompensation, LateDeliveryInput, ShippingRules,
};
pub use signin::{signin_reward, NextBonus, SigninInput, SigninReward, SigninRule, StreakBonus};
