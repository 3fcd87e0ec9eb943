//! Delivery fees: express templates (first / additional piece or weight, by
//! region), free shipping over a threshold, member free shipping, free-shipping
//! coupons; store pickup (free); same-city delivery (distance tiers, delivery
//! slots) and the late-delivery compensation rule. docs/rules.md §8.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::cart::PricedLine;
use crate::coupon::{Coupon, CouponKind};
use crate::error::{Result, RuleError};
use crate::member::MemberLevel;
use crate::money::{Money, Ratio};
use crate::quote::{Ledger, ThresholdBase};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Basis {
    /// Count pieces (件).
    Piece,
    /// Count grams.
    Weight,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpressRule {
    /// Region code prefixes this rule serves (e.g. "31" for 上海, "310115" for one
    /// district); empty = every region no other rule serves.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Pieces or grams covered by the first fee.
    pub first: u64,
    pub first_fee: Money,
    /// Each further started block of `additional` pieces or grams costs `additionalFee`.
    pub additional: u64,
    pub additional_fee: Money,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpressTemplate {
    pub shop_id: String,
    pub basis: Basis,
    pub rules: Vec<ExpressRule>,
    /// Free express once this shop's goods (after coupons, before points) reach it.
    #[serde(default)]
    pub free_over: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DistanceTier {
    pub max_meters: u64,
    pub fee: Money,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeliverySlot {
    pub slot_id: String,
    pub starts_at: i64,
    pub ends_at: i64,
    #[serde(default)]
    pub surcharge: Money,
    /// The slot has no capacity left.
    #[serde(default)]
    pub full: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Compensation {
    /// A fixed amount.
    Fixed { amount: Money },
    /// The delivery fee the shopper paid.
    DeliveryFee,
    /// A share of the goods paid, e.g. "0.1".
    ShareOfGoods { rate: Ratio },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LateTier {
    /// Applies once the delivery is at least this many minutes late.
    pub after_minutes: u64,
    pub compensation: Compensation,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LateRule {
    pub tiers: Vec<LateTier>,
    /// Never more than this; never more than what was paid either way.
    #[serde(default)]
    pub cap: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SameCityRule {
    pub tiers: Vec<DistanceTier>,
    #[serde(default)]
    pub slots: Vec<DeliverySlot>,
    /// A slot must start at least this many minutes after `now`.
    #[serde(default)]
    pub lead_minutes: u64,
    #[serde(default)]
    pub free_over: Option<Money>,
    #[serde(default)]
    pub late: Option<LateRule>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShippingRules {
    #[serde(default)]
    pub express: Vec<ExpressTemplate>,
    #[serde(default)]
    pub pickup_stores: Vec<String>,
    #[serde(default)]
    pub same_city: Option<SameCityRule>,
}

/// How the shopper wants the order delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Delivery {
    Express {
        region_code: String,
    },
    Pickup {
        store_id: String,
    },
    SameCity {
        distance_meters: u64,
        #[serde(default)]
        slot_id: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FreeReason {
    Member,
    Threshold,
    Coupon,
    Pickup,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShopShipping {
    pub shop_id: String,
    pub fee: Money,
    pub discount: Money,
    pub payable: Money,
    pub free_reason: Option<FreeReason>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingQuote {
    pub method: String,
    pub fee: Money,
    pub discount: Money,
    pub payable: Money,
    pub shops: Vec<ShopShipping>,
    #[serde(default)]
    pub slot_id: Option<String>,
    /// When the chosen same-city slot ends: the promise late compensation counts from.
    #[serde(default)]
    pub promised_by: Option<i64>,
}

impl ShippingQuote {
    fn total(&mut self) -> Result<()> {
        self.fee = Money::sum(self.shops.iter().map(|s| s.fee))?;
        self.discount = Money::sum(self.shops.iter().map(|s| s.discount))?;
        self.payable = Money::sum(self.shops.iter().map(|s| s.payable))?;
        Ok(())
    }
}

/// Fees and thresholds must not be negative.
pub fn validate(rules: &ShippingRules) -> Result<()> {
    let negative = |m: Money| m.as_fen() < 0;
    for t in &rules.express {
        if t.rules
            .iter()
            .any(|r| negative(r.first_fee) || negative(r.additional_fee))
            || t.free_over.is_some_and(negative)
        {
            return Err(RuleError::invalid(
                "shipping.express",
                "fees must not be negative",
            ));
        }
    }
    if let Some(sc) = &rules.same_city {
        if sc.tiers.iter().any(|t| negative(t.fee))
            || sc.slots.iter().any(|s| negative(s.surcharge))
            || sc.free_over.is_some_and(negative)
        {
            return Err(RuleError::invalid(
                "shipping.sameCity",
                "fees must not be negative",
            ));
        }
        if let Some(late) = &sc.late {
            validate_late(late, "shipping.sameCity.late")?;
        }
    }
    Ok(())
}

/// A late-delivery rule: no negative cap or fixed amount, rates in [0, 1].
fn validate_late(rule: &LateRule, field: &str) -> Result<()> {
    let negative = |m: Money| m.as_fen() < 0;
    if rule.cap.is_some_and(negative)
        || rule
            .tiers
            .iter()
            .any(|t| matches!(t.compensation, Compensation::Fixed { amount } if negative(amount)))
    {
        return Err(RuleError::invalid(field, "amounts must not be negative"));
    }
    for t in &rule.tiers {
        if let Compensation::ShareOfGoods { rate } = &t.compensation {
            rate.check_rate("late.rate")?;
        }
    }
    Ok(())
}

fn shops_of(lines: &[PricedLine]) -> Vec<String> {
    let mut shops: Vec<String> = lines.iter().map(|l| l.shop_id.clone()).collect();
    shops.sort();
    shops.dedup();
    shops
}

/// Fee by an express rule: first block, then each started additional block.
fn express_fee(rule: &ExpressRule, amount: u64) -> Result<Money> {
    if amount == 0 {
        return Ok(Money::ZERO);
    }
    let extra = amount.saturating_sub(rule.first);
    let blocks = if extra == 0 || rule.additional == 0 {
        0
    } else {
        extra.div_ceil(rule.additional)
    };
    rule.first_fee
        .checked_add(rule.additional_fee.checked_mul(blocks)?)
}

fn rule_for<'a>(t: &'a ExpressTemplate, region: &str) -> Option<&'a ExpressRule> {
    let best = t
        .rules
        .iter()
        .filter_map(|r| {
            r.regions
                .iter()
                .filter(|p| !p.is_empty() && region.starts_with(p.as_str()))
                .map(|p| p.len())
                .max()
                .map(|len| (len, r))
        })
        .max_by_key(|(len, _)| *len);
    best.map(|(_, r)| r)
        .or_else(|| t.rules.iter().find(|r| r.regions.is_empty()))
}

/// One shop's delivery fee and the free shipping that needs no coupon.
#[derive(Debug, Clone)]
struct PlannedShop {
    shop_id: String,
    fee: Money,
    /// The part of the fee a free-over threshold or membership waives.
    waivable: Money,
    member_free: bool,
    free_over: Option<Money>,
    /// Whose goods the free-over threshold is measured on: this shop's, or the
    /// whole order's (same-city).
    whole_order: bool,
    pickup: bool,
}

/// The delivery fees of an order, fixed before coupons; only the free-over
/// thresholds depend on the goods net, which coupons change.
#[derive(Debug, Clone)]
pub(crate) struct ShippingPlan {
    method: &'static str,
    shops: Vec<PlannedShop>,
    slot_id: Option<String>,
    promised_by: Option<i64>,
    /// Index into `shops` of each line's shop.
    line_shop: Vec<usize>,
}

impl ShippingPlan {
    pub(crate) fn new(
        rules: &ShippingRules,
        delivery: &Delivery,
        lines: &[PricedLine],
        level: Option<&MemberLevel>,
        now: i64,
    ) -> Result<ShippingPlan> {
        let mut plan = Self::build(rules, delivery, lines, level, now)?;
        plan.line_shop = lines
            .iter()
            .map(|l| {
                plan.shops
                    .iter()
                    .position(|s| s.shop_id == l.shop_id)
                    .unwrap_or(usize::MAX)
            })
            .collect();
        Ok(plan)
    }

    fn build(
        rules: &ShippingRules,
        delivery: &Delivery,
        lines: &[PricedLine],
        level: Option<&MemberLevel>,
        now: i64,
    ) -> Result<ShippingPlan> {
        let shops = shops_of(lines);
        let member_free = level.is_some_and(|l| l.free_shipping);
        if lines.is_empty() {
            // Nothing to deliver, nothing to pay (the method is still checked below
            // only when there are goods).
            return Ok(ShippingPlan {
                method: match delivery {
                    Delivery::Express { .. } => "express",
                    Delivery::Pickup { .. } => "pickup",
                    Delivery::SameCity { .. } => "sameCity",
                },
                shops: Vec::new(),
                slot_id: None,
                promised_by: None,
                line_shop: Vec::new(),
            });
        }
        match delivery {
            Delivery::Pickup { store_id } => {
                if !rules.pickup_stores.contains(store_id) {
                    return Err(RuleError::DeliveryNotOffered {
                        method: format!("pickup:{store_id}"),
                    });
                }
                Ok(ShippingPlan {
                    method: "pickup",
                    shops: shops
                        .into_iter()
                        .map(|shop_id| PlannedShop {
                            shop_id,
                            fee: Money::ZERO,
                            waivable: Money::ZERO,
                            member_free: false,
                            free_over: None,
                            whole_order: false,
                            pickup: true,
                        })
                        .collect(),
                    slot_id: None,
                    promised_by: None,
                    line_shop: Vec::new(),
                })
            }
            Delivery::Express { region_code } => {
                let mut planned = Vec::with_capacity(shops.len());
                for shop in shops {
                    let shop_lines = lines.iter().filter(|l| l.shop_id == shop);
                    let (fee, free_over) = match rules.express.iter().find(|t| t.shop_id == shop) {
                        // A shop without a template ships for free (包邮).
                        None => (Money::ZERO, None),
                        Some(t) => {
                            let amount: u64 = match t.basis {
                                Basis::Piece => shop_lines.map(|l| l.quantity).sum(),
                                Basis::Weight => shop_lines
                                    .map(|l| l.weight_grams.saturating_mul(l.quantity))
                                    .fold(0u64, u64::saturating_add),
                            };
                            let rule = rule_for(t, region_code).ok_or_else(|| {
                                RuleError::UndeliverableRegion {
                                    region: region_code.clone(),
                                }
                            })?;
                            (express_fee(rule, amount)?, t.free_over)
                        }
                    };
                    planned.push(PlannedShop {
                        shop_id: shop,
                        fee,
                        waivable: fee,
                        member_free,
                        free_over,
                        whole_order: false,
                        pickup: false,
                    });
                }
                Ok(ShippingPlan {
                    method: "express",
                    shops: planned,
                    slot_id: None,
                    promised_by: None,
                    line_shop: Vec::new(),
                })
            }
            Delivery::SameCity {
                distance_meters,
                slot_id,
            } => {
                let rule =
                    rules
                        .same_city
                        .as_ref()
                        .ok_or_else(|| RuleError::DeliveryNotOffered {
                            method: "sameCity".into(),
                        })?;
                let tier = rule
                    .tiers
                    .iter()
                    .filter(|t| t.max_meters >= *distance_meters)
                    .min_by_key(|t| t.max_meters)
                    .ok_or_else(|| RuleError::OutOfDeliveryRange {
                        distance_meters: *distance_meters,
                        max_meters: rule.tiers.iter().map(|t| t.max_meters).max().unwrap_or(0),
                    })?;
                let slot = match slot_id {
                    None => None,
                    Some(id) => {
                        let earliest =
                            now.saturating_add((rule.lead_minutes as i64).saturating_mul(60));
                        Some(
                            rule.slots
                                .iter()
                                .find(|s| &s.slot_id == id && !s.full && s.starts_at >= earliest)
                                .ok_or_else(|| RuleError::SlotUnavailable {
                                    slot_id: id.clone(),
                                })?,
                        )
                    }
                };
                let surcharge = slot.map_or(Money::ZERO, |s| s.surcharge);
                let shop_id = shops
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| crate::cart::DEFAULT_SHOP.into());
                Ok(ShippingPlan {
                    method: "sameCity",
                    shops: vec![PlannedShop {
                        shop_id,
                        fee: tier.fee.checked_add(surcharge)?,
                        // Free over a threshold waives the distance fee, never a slot surcharge.
                        waivable: tier.fee,
                        member_free: false,
                        free_over: rule.free_over,
                        whole_order: true,
                        pickup: false,
                    }],
                    slot_id: slot.map(|s| s.slot_id.clone()),
                    promised_by: slot.map(|s| s.ends_at),
                    line_shop: Vec::new(),
                })
            }
        }
    }

    /// The fees and free shipping for the goods net in `ledger`.
    pub(crate) fn quote(&self, lines: &[PricedLine], ledger: &Ledger) -> Result<ShippingQuote> {
        let mut shops = Vec::with_capacity(self.shops.len());
        for (k, s) in self.shops.iter().enumerate() {
            let free_reason = if s.pickup {
                Some(FreeReason::Pickup)
            } else if !s.waivable.is_positive() {
                None
            } else if s.member_free {
                Some(FreeReason::Member)
            } else if let Some(over) = s.free_over {
                let net = Money::sum(
                    (0..lines.len())
                        .filter(|&i| s.whole_order || self.line_shop[i] == k)
                        .map(|i| ledger.net[i]),
                )?;
                (net >= over).then_some(FreeReason::Threshold)
            } else {
                None
            };
            let discount = match free_reason {
                Some(FreeReason::Member | FreeReason::Threshold) => s.waivable,
                _ => Money::ZERO,
            };
            shops.push(ShopShipping {
                shop_id: s.shop_id.clone(),
                fee: s.fee,
                discount,
                payable: s.fee.checked_sub(discount)?,
                free_reason,
            });
        }
        let mut q = ShippingQuote {
            method: self.method.to_string(),
            fee: Money::ZERO,
            discount: Money::ZERO,
            payable: Money::ZERO,
            shops,
            slot_id: self.slot_id.clone(),
            promised_by: self.promised_by,
        };
        q.total()?;
        Ok(q)
    }
}

/// Apply a free-shipping coupon: it pays what is still payable on the covered
/// shops' delivery fees, up to its cap, shops in id order. Returns the saving.
pub(crate) fn apply_shipping_coupon(
    q: &mut ShippingQuote,
    coupon: &Coupon,
    eligible: &[usize],
    lines: &[PricedLine],
    ledger: &Ledger,
    policy: ThresholdBase,
) -> Result<Money> {
    let CouponKind::FreeShipping { cap, .. } = &coupon.kind else {
        return Err(RuleError::invalid("coupons", "not a free-shipping coupon"));
    };
    let not_applicable = |reason: &str| RuleError::CouponNotApplicable {
        coupon_id: coupon.coupon_id.clone(),
        reason: reason.into(),
    };
    if q.method == "pickup" {
        return Err(not_applicable("store pickup has no delivery fee"));
    }
    coupon.measure(eligible, lines, ledger, policy)?;
    let mut left = cap.unwrap_or(Money::fen(crate::money::MAX_FEN));
    let mut saved = Money::ZERO;
    for s in q.shops.iter_mut() {
        if coupon.shop_id.as_ref().is_some_and(|c| *c != s.shop_id) {
            continue;
        }
        let take = s.payable.min(left);
        if take.is_positive() {
            s.discount = s.discount.checked_add(take)?;
            s.payable = s.payable.checked_sub(take)?;
            s.free_reason = Some(FreeReason::Coupon);
            left = left.checked_sub(take)?;
            saved = saved.checked_add(take)?;
        }
    }
    if !saved.is_positive() {
        return Err(not_applicable("no delivery fee left to pay"));
    }
    q.total()?;
    Ok(saved)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LateDeliveryInput {
    pub rule: LateRule,
    /// When delivery was promised by (unix seconds), e.g. the slot's end.
    pub promised_by: i64,
    pub delivered_at: i64,
    /// Delivery fee the shopper paid.
    pub delivery_paid: Money,
    /// Goods amount the shopper paid.
    pub goods_paid: Money,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LateCompensation {
    /// Whole minutes late, started minutes counting (61 s late = 2 minutes).
    pub minutes_late: u64,
    /// The tier applied (its `afterMinutes`), if any.
    pub tier_after_minutes: Option<u64>,
    pub amount: Money,
}

/// What is owed for a late same-city delivery: the highest tier reached, capped by
/// the rule's cap and by what the shopper paid.
pub fn late_compensation(input: &LateDeliveryInput) -> Result<LateCompensation> {
    validate_late(&input.rule, "late")?;
    if input.delivery_paid.as_fen() < 0 {
        return Err(RuleError::invalid("deliveryPaid", "must not be negative"));
    }
    if input.goods_paid.as_fen() < 0 {
        return Err(RuleError::invalid("goodsPaid", "must not be negative"));
    }
    let secs = input.delivered_at.saturating_sub(input.promised_by);
    let minutes_late = if secs <= 0 {
        0
    } else {
        (secs as u64).div_ceil(60)
    };
    let tier = input
        .rule
        .tiers
        .iter()
        .filter(|t| minutes_late > 0 && t.after_minutes <= minutes_late)
        .max_by_key(|t| t.after_minutes);
    let paid = input.delivery_paid.checked_add(input.goods_paid)?;
    let amount = match tier.map(|t| &t.compensation) {
        None => Money::ZERO,
        Some(Compensation::Fixed { amount }) => *amount,
        Some(Compensation::DeliveryFee) => input.delivery_paid,
        Some(Compensation::ShareOfGoods { rate }) => {
            let r: Decimal = rate.check_rate("late.rate")?;
            input.goods_paid.mul_rate(r)?
        }
    };
    let amount = input
        .rule
        .cap
        .map_or(amount, |c| amount.min(c))
        .min(paid)
        .max(Money::ZERO);
    Ok(LateCompensation {
        minutes_late,
        tier_after_minutes: tier.map(|t| t.after_minutes),
        amount,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(first: u64, first_fee: i64, add: u64, add_fee: i64) -> ExpressRule {
        ExpressRule {
            regions: vec![],
            first,
            first_fee: Money::fen(first_fee),
            additional: add,
            additional_fee: Money::fen(add_fee),
        }
    }

    #[test]
    fn first_weight_then_each_started_block() {
        // 1 kg ¥10, each further started 500 g ¥3: 2.2 kg -> 10 + 3 blocks × 3 = ¥19.
        assert_eq!(
            express_fee(&rule(1000, 1000, 500, 300), 2200).unwrap(),
            Money::fen(1900)
        );
        assert_eq!(
            express_fee(&rule(1000, 1000, 500, 300), 1000).unwrap(),
            Money::fen(1000)
        );
        assert_eq!(
            express_fee(&rule(1000, 1000, 500, 300), 0).unwrap(),
            Money::ZERO
        );
    }

    #[test]
    fn longest_region_prefix_wins() {
        let t = ExpressTemplate {
            shop_id: "s".into(),
            basis: Basis::Piece,
            free_over: None,
            rules: vec![
                ExpressRule {
                    regions: vec!["31".into()],
                    ..rule(1, 800, 1, 100)
                },
                ExpressRule {
                    regions: vec!["3101".into()],
                    ..rule(1, 500, 1, 100)
                },
                rule(1, 1200, 1, 200),
            ],
        };
        assert_eq!(rule_for(&t, "310115").unwrap().first_fee, Money::fen(500));
        assert_eq!(rule_for(&t, "320000").unwrap().first_fee, Money::fen(1200));
    }

    #[test]
    fn late_compensation_counts_started_minutes_and_caps() {
        let input = LateDeliveryInput {
            rule: LateRule {
                tiers: vec![
                    LateTier {
                        after_minutes: 1,
                        compensation: Compensation::Fixed {
                            amount: Money::fen(300),
                        },
                    },
                    LateTier {
                        after_minutes: 30,
                        compensation: Compensation::DeliveryFee,
                    },
                    LateTier {
                        after_minutes: 60,
                        compensation: Compensation::ShareOfGoods {
                            rate: "0.5".parse().unwrap(),
                        },
                    },
                ],
                cap: Some(Money::fen(2000)),
            },
            promised_by: 1_000,
            delivered_at: 1_000 + 29 * 60 + 1,
            delivery_paid: Money::fen(600),
            goods_paid: Money::fen(8000),
        };
        let c = late_compensation(&input).unwrap();
        assert_eq!((c.minutes_late, c.amount), (30, Money::fen(600)));
        let c = late_compensation(&LateDeliveryInput {
            delivered_at: 1_000 + 3600,
            ..input.clone()
        })
        .unwrap();
        assert_eq!(c.amount, Money::fen(2000));
        let c = late_compensation(&LateDeliveryInput {
            delivered_at: 1_000,
            ..input
        })
        .unwrap();
        assert_eq!((c.minutes_late, c.amount), (0, Money::ZERO));
    }
}
