//! 券转赠: whether a wallet coupon may be gifted now, and until when the gift
//! card stays open. Only coupons of a transferable batch, available (not used
//! or locked by an unpaid order, not already being gifted or given away), not
//! received as a gift themselves (no re-gifting) and not expired; the card is
//! open 24 hours, or until the coupon itself expires if that is sooner.

use serde::{Deserialize, Serialize};

use crate::error::{Result, RuleError};

/// How long a gift card stays open.
pub const GIFT_TTL_SECS: i64 = 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GiftCouponState {
    Available,
    /// Used, or locked by an unpaid order.
    Used,
    /// A gift card for it is open (赠送中).
    Gifting,
    /// Given away.
    Gifted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GiftInput {
    pub coupon_id: String,
    pub state: GiftCouponState,
    /// The batch allows gifting.
    pub transferable: bool,
    /// The coupon was itself received from a friend.
    #[serde(default)]
    pub received_as_gift: bool,
    pub valid_until: i64,
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GiftEligibility {
    /// The gift card closes at this instant (unaccepted, the coupon returns).
    pub expires_at: i64,
}

/// Eligible with the card's expiry, or the exact refusal.
pub fn gift_eligibility(i: &GiftInput) -> Result<GiftEligibility> {
    let coupon_id = i.coupon_id.clone();
    match i.state {
        GiftCouponState::Used => return Err(RuleError::CouponUsed { coupon_id }),
        GiftCouponState::Gifting => return Err(RuleError::CouponGifting { coupon_id }),
        GiftCouponState::Gifted => return Err(RuleError::CouponGifted { coupon_id }),
        GiftCouponState::Available => {}
    }
    if !i.transferable {
        return Err(RuleError::CouponNotTransferable { coupon_id });
    }
    if i.received_as_gift {
        return Err(RuleError::CouponReceivedAsGift { coupon_id });
    }
    if i.now >= i.valid_until {
        return Err(RuleError::CouponExpired {
            coupon_id,
            valid_until: i.valid_until,
        });
    }
    Ok(GiftEligibility {
        expires_at: i.now.saturating_add(GIFT_TTL_SECS).min(i.valid_until),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> GiftInput {
        GiftInput {
            coupon_id: "7".into(),
            state: GiftCouponState::Available,
            transferable: true,
            received_as_gift: false,
            valid_until: 1_000_000,
            now: 100,
        }
    }

    #[test]
    fn an_available_transferable_coupon_may_be_gifted_for_a_day() {
        assert_eq!(gift_eligibility(&input()).unwrap().expires_at, 100 + 86_400);
    }

    #[test]
    fn the_card_closes_when_the_coupon_expires_if_sooner() {
        let i = GiftInput {
            valid_until: 5_000,
            ..input()
        };
        assert_eq!(gift_eligibility(&i).unwrap().expires_at, 5_000);
    }

    #[test]
    fn each_refusal_has_its_code() {
        let code = |i: GiftInput| gift_eligibility(&i).unwrap_err().code();
        assert_eq!(
            code(GiftInput {
                received_as_gift: true,
                ..input()
            }),
            "COUPON_RECEIVED_AS_GIFT"
        );
        assert_eq!(
            code(GiftInput {
                transferable: false,
                ..input()
            }),
            "COUPON_NOT_TRANSFERABLE"
        );
        assert_eq!(
            code(GiftInput {
                state: GiftCouponState::Gifting,
                ..input()
            }),
            "COUPON_GIFTING"
        );
        assert_eq!(
            code(GiftInput {
                now: 1_000_000,
                ..input()
            }),
            "COUPON_EXPIRED"
        );
    }
}
