//! Coupons (优惠券): 满减 (threshold fixed), 无门槛 (no-threshold fixed), 折扣券
//! (percent off with a cap, 封顶) and 免邮券 (free shipping). docs/rules.md §6.
//!
//! Layers: shop coupons (one per shop) → platform coupon (one per order); free
//! shipping coupons form their own layer (one per order). A coupon marked not
//! `stackable` is never combined with a coupon of another layer.

pub mod best;

use serde::{Deserialize, Serialize};

use crate::allocation::largest_remainder;
use crate::cart::PricedLine;
use crate::error::{Result, RuleError};
use crate::money::{Money, Ratio};
use crate::promotion::Scope;
use crate::quote::{DiscountKind, Ledger, ThresholdBase};

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum CouponKind {
    /// 满减券: `amount` off once the eligible amount reaches `threshold`.
    Threshold { threshold: Money, amount: Money },
    /// 无门槛券: `amount` off, never more than the eligible amount.
    NoThreshold { amount: Money },
    /// 折扣券: pay `rate` of the eligible amount, the saving capped at `cap` (封顶).
    Percent {
        rate: Ratio,
        #[serde(default)]
        cap: Option<Money>,
        #[serde(default)]
        threshold: Money,
    },
    /// 免邮券: the delivery fee, up to `cap`, once the eligible goods reach `threshold`.
    FreeShipping {
        #[serde(default)]
        threshold: Money,
        #[serde(default)]
        cap: Option<Money>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CouponStatus {
    #[default]
    Available,
    Used,
}

/// A coupon in the buyer's wallet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Coupon {
    pub coupon_id: String,
    #[serde(default)]
    pub batch_id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    /// The issuing shop; absent for a platform coupon.
    #[serde(default)]
    pub shop_id: Option<String>,
    pub kind: CouponKind,
    #[serde(default)]
    pub scope: Scope,
    /// Unix seconds, inclusive.
    pub valid_from: i64,
    /// Unix seconds, exclusive.
    pub valid_until: i64,
    /// May be combined with a coupon of another layer.
    #[serde(default = "default_true")]
    pub stackable: bool,
    /// May apply to lines that already took a 满减/满折 campaign.
    #[serde(default = "default_true")]
    pub with_campaigns: bool,
    #[serde(default)]
    pub status: CouponStatus,
}

/// The slot a coupon occupies: at most one coupon per slot.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Slot {
    Shop(String),
    Platform,
    Shipping,
}

impl Coupon {
    pub(crate) fn slot(&self) -> Slot {
        match (&self.kind, &self.shop_id) {
            (CouponKind::FreeShipping { .. }, _) => Slot::Shipping,
            (_, Some(shop)) => Slot::Shop(shop.clone()),
            (_, None) => Slot::Platform,
        }
    }

    pub(crate) fn layer(&self) -> u8 {
        match self.slot() {
            Slot::Shop(_) => 0,
            Slot::Platform => 1,
            Slot::Shipping => 2,
        }
    }

    pub(crate) fn threshold(&self) -> Money {
        match &self.kind {
            CouponKind::Threshold { threshold, .. }
            | CouponKind::Percent { threshold, .. }
            | CouponKind::FreeShipping { threshold, .. } => *threshold,
            CouponKind::NoThreshold { .. } => Money::ZERO,
        }
    }

    /// Face value used in the tie-break (a percent coupon's cap, or 0).
    pub(crate) fn face_value(&self) -> Money {
        match &self.kind {
            CouponKind::Threshold { amount, .. } | CouponKind::NoThreshold { amount } => *amount,
            CouponKind::Percent { cap, .. } | CouponKind::FreeShipping { cap, .. } => {
                cap.unwrap_or(Money::ZERO)
            }
        }
    }

    /// Checks that do not depend on the cart: status and validity window.
    pub(crate) fn check_usable_now(&self, now: i64) -> Result<()> {
        if self.status == CouponStatus::Used {
            return Err(RuleError::CouponUsed {
                coupon_id: self.coupon_id.clone(),
            });
        }
        if now < self.valid_from {
            return Err(RuleError::CouponNotStarted {
                coupon_id: self.coupon_id.clone(),
                valid_from: self.valid_from,
            });
        }
        if now >= self.valid_until {
            return Err(RuleError::CouponExpired {
                coupon_id: self.coupon_id.clone(),
                valid_until: self.valid_until,
            });
        }
        Ok(())
    }

    /// Lines this coupon may discount, given which lines took a campaign.
    pub(crate) fn eligible(&self, lines: &[PricedLine], campaign_claimed: &[bool]) -> Vec<usize> {
        (0..lines.len())
            .filter(|&i| {
                let l = &lines[i];
                l.takes_coupons
                    && self.shop_id.as_ref().is_none_or(|s| *s == l.shop_id)
                    && self.scope.covers(l)
                    && (self.with_campaigns || !campaign_claimed[i])
            })
            .collect()
    }

    /// Why no line is eligible: `COUPON_EXCLUDED_BY_ACTIVITY` when a line in the
    /// coupon's shop and scope is in an activity that takes no coupon (the first in
    /// canonical order), else `COUPON_OUT_OF_SCOPE`. Activity lines never take a
    /// campaign, so `withCampaigns` cannot be what excludes them.
    fn no_eligible_line(&self, lines: &[PricedLine]) -> RuleError {
        let blocked = lines.iter().find(|l| {
            !l.takes_coupons
                && self.shop_id.as_ref().is_none_or(|s| *s == l.shop_id)
                && self.scope.covers(l)
        });
        match blocked {
            Some(l) => RuleError::CouponExcludedByActivity {
                coupon_id: self.coupon_id.clone(),
                activity_id: l.activity_id.clone().unwrap_or_default(),
                sku_id: l.sku_id.clone(),
            },
            None => RuleError::CouponOutOfScope {
                coupon_id: self.coupon_id.clone(),
            },
        }
    }

    /// The net of the eligible lines, after checking scope and threshold.
    pub(crate) fn measure(
        &self,
        eligible: &[usize],
        lines: &[PricedLine],
        ledger: &Ledger,
        policy: ThresholdBase,
    ) -> Result<Money> {
        if eligible.is_empty() {
            return Err(self.no_eligible_line(lines));
        }
        let base = Money::sum(eligible.iter().map(|&i| ledger.net[i]))?;
        let measured = match policy {
            ThresholdBase::AfterEarlierLayers => base,
            ThresholdBase::SalePrice => Money::sum(eligible.iter().map(|&i| lines[i].subtotal))?,
        };
        let threshold = self.threshold();
        if measured < threshold {
            return Err(RuleError::CouponBelowThreshold {
                coupon_id: self.coupon_id.clone(),
                threshold,
                base: measured,
                shortfall: threshold.checked_sub(measured)?,
            });
        }
        Ok(base)
    }

    /// Apply a goods coupon (shop or platform layer) to the ledger; returns the saving.
    pub(crate) fn apply_goods(
        &self,
        eligible: &[usize],
        lines: &[PricedLine],
        ledger: &mut Ledger,
        policy: ThresholdBase,
    ) -> Result<Money> {
        let base = self.measure(eligible, lines, ledger, policy)?;
        let discount = match &self.kind {
            CouponKind::Threshold { amount, .. } | CouponKind::NoThreshold { amount } => {
                (*amount).min(base)
            }
            CouponKind::Percent { rate, cap, .. } => {
                let d = base.discount_at_rate(rate.check_rate("coupons.rate")?)?;
                cap.map_or(d, |c| d.min(c)).min(base)
            }
            CouponKind::FreeShipping { .. } => {
                return Err(RuleError::invalid(
                    "coupons",
                    "a free-shipping coupon has no goods discount",
                ))
            }
        };
        if !discount.is_positive() {
            return Err(RuleError::CouponNotApplicable {
                coupon_id: self.coupon_id.clone(),
                reason: "no saving on the selected items".into(),
            });
        }
        let weights: Vec<Money> = eligible.iter().map(|&i| ledger.net[i]).collect();
        let shares = largest_remainder(discount, &weights)?;
        let per_line: Vec<(usize, Money)> = eligible.iter().copied().zip(shares).collect();
        let kind = match self.slot() {
            Slot::Platform => DiscountKind::PlatformCoupon,
            _ => DiscountKind::ShopCoupon,
        };
        ledger.apply(kind, &self.coupon_id, base, &per_line)?;
        Ok(discount)
    }
}

pub fn validate(wallet: &[Coupon]) -> Result<()> {
    let mut ids: Vec<&str> = wallet.iter().map(|c| c.coupon_id.as_str()).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        return Err(RuleError::invalid("coupons", "duplicate couponId"));
    }
    for c in wallet {
        if let CouponKind::Percent { rate, .. } = &c.kind {
            rate.check_rate("coupons.rate")?;
        }
        let amounts = [c.threshold(), c.face_value()];
        if amounts.iter().any(|m| m.as_fen() < 0) {
            return Err(RuleError::invalid("coupons", "negative amount"));
        }
    }
    Ok(())
}
