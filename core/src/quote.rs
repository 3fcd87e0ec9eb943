//! The one entry point: `quote` prices a cart and returns the full breakdown.
//!
//! Pipeline (docs/rules.md §0): validate lines → unit price (activity / member /
//! list) → item promotions → campaigns (满减/满折) → shop coupons → platform coupon
//! → delivery fee and free-shipping coupon → points → payable. Lines are processed
//! in canonical order (by line id) so that reordering a cart changes nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::activity::Activity;
use crate::allocation::per_unit;
use crate::cart::{
    CartCheck, CartLine, Context, LineIssue, PriceSource, PricedLine, Purchased, Sku,
};
use crate::coupon::{self, best, Coupon};
use crate::error::{Result, RuleError};
use crate::member::{self, LevelRef, MemberLevel, MemberProgram};
use crate::money::{Money, Ratio};
use crate::points::{self, PointsChoice, PointsRule, PointsUse};
use crate::promotion::{self, Campaign, CampaignHint, ItemPromotion};
use crate::shipping::{self, Delivery, ShippingPlan, ShippingQuote, ShippingRules};

/// What a threshold (满减, coupon 门槛) is measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ThresholdBase {
    /// The eligible lines' net after every earlier layer (the default).
    #[default]
    AfterEarlierLayers,
    /// The eligible lines' sale price (unit price × quantity), before any promotion.
    SalePrice,
}

/// The merchant's configuration.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShopRules {
    #[serde(default)]
    pub member: MemberProgram,
    #[serde(default)]
    pub item_promotions: Vec<ItemPromotion>,
    #[serde(default)]
    pub campaigns: Vec<Campaign>,
    #[serde(default)]
    pub activities: Vec<Activity>,
    #[serde(default)]
    pub points: Option<PointsRule>,
    #[serde(default)]
    pub shipping: ShippingRules,
    #[serde(default)]
    pub threshold_base: ThresholdBase,
}

/// What the core knows about the shopper.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Buyer {
    #[serde(default)]
    pub growth: u64,
    #[serde(default)]
    pub points_balance: u64,
    #[serde(default)]
    pub purchased: Vec<Purchased>,
    /// The coupon wallet.
    #[serde(default)]
    pub coupons: Vec<Coupon>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum CouponChoice {
    /// Choose the combination with the lowest payable (docs/rules.md §10).
    #[default]
    Best,
    /// Use no coupon.
    None,
    /// Use exactly these; any that cannot be used is an error.
    Manual { coupon_ids: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuoteOptions {
    #[serde(default)]
    pub coupons: CouponChoice,
    #[serde(default)]
    pub points: PointsChoice,
    /// No delivery yet (e.g. on the cart page): no fee is computed.
    #[serde(default)]
    pub delivery: Option<Delivery>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuoteInput {
    /// Unix seconds; the core has no clock.
    pub now: i64,
    pub catalog: Vec<Sku>,
    pub lines: Vec<CartLine>,
    #[serde(default)]
    pub rules: ShopRules,
    #[serde(default)]
    pub buyer: Buyer,
    #[serde(default)]
    pub options: QuoteOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DiscountKind {
    ItemPromotion,
    Campaign,
    ShopCoupon,
    PlatformCoupon,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Allocation {
    pub line_id: String,
    pub amount: Money,
}

/// One discount application and who carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedDiscount {
    pub kind: DiscountKind,
    /// The promotion, campaign or coupon id.
    pub source_id: String,
    /// The net of the covered lines when the discount was applied.
    pub base: Money,
    pub amount: Money,
    pub allocations: Vec<Allocation>,
}

/// Units of a line that carry the same amounts (first units first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitGroup {
    pub count: u64,
    /// Net per unit after every discount.
    pub net: Money,
    /// Points deduction per unit.
    pub points: Money,
    /// Cash per unit: net − points.
    pub paid: Money,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotedLine {
    pub line_id: String,
    pub sku_id: String,
    pub shop_id: String,
    pub quantity: u64,
    pub list_price: Money,
    pub unit_price: Money,
    pub price_source: PriceSource,
    pub activity_id: Option<String>,
    /// unit price × quantity
    pub subtotal: Money,
    pub item_discount: Money,
    pub order_discount: Money,
    /// subtotal − item discount − order discount
    pub net: Money,
    pub points_deduction: Money,
    /// net − points deduction
    pub paid: Money,
    pub units: Vec<UnitGroup>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SearchMode {
    /// Every combination was evaluated.
    Exact,
    /// Too many combinations: layer-by-layer greedy, never worse than the best single coupon.
    Greedy,
    Manual,
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedCoupon {
    pub coupon_id: String,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnusableCoupon {
    pub coupon_id: String,
    pub error: crate::error::ErrorBody,
    /// 还差¥X可用: how much more the eligible goods need, where that is the reason.
    pub shortfall: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CouponReport {
    pub mode: SearchMode,
    pub applied: Vec<AppliedCoupon>,
    /// Usable on this cart (alone) but not in the applied combination.
    pub available: Vec<String>,
    pub unusable: Vec<UnusableCoupon>,
    /// Combinations evaluated by the search.
    pub combinations: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rewards {
    /// Growth earned once paid.
    pub growth: u64,
    /// Points earned once paid (level multiplier applied).
    pub points: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    /// Selected valid lines, in cart order.
    pub lines: Vec<QuotedLine>,
    /// Every invalid line (selected or not), with its reason.
    pub invalid_lines: Vec<LineIssue>,
    pub list_total: Money,
    /// Σ unit price × quantity.
    pub goods_total: Money,
    pub item_discount: Money,
    pub order_discount: Money,
    /// goods total − item discount − order discount
    pub goods_net: Money,
    pub discounts: Vec<AppliedDiscount>,
    pub hints: Vec<CampaignHint>,
    pub coupons: CouponReport,
    pub points: PointsUse,
    pub shipping: Option<ShippingQuote>,
    /// goods net − goods points + shipping payable − shipping points
    pub payable: Money,
    pub member: Option<LevelRef>,
    pub rewards: Rewards,
    /// SHA-256 over what was priced and what it costs; equal fingerprints mean
    /// the shopper saw exactly what the server charges.
    pub fingerprint: String,
}

/// A discount application with its allocation by line index (canonical order).
#[derive(Debug, Clone)]
pub(crate) struct RawDiscount {
    pub kind: DiscountKind,
    pub source_id: String,
    pub base: Money,
    pub amount: Money,
    pub allocations: Vec<(usize, Money)>,
}

/// Per-line running totals through the layers.
#[derive(Debug, Clone)]
pub(crate) struct Ledger {
    pub net: Vec<Money>,
    pub item_discount: Vec<Money>,
    pub order_discount: Vec<Money>,
    pub campaign_claimed: Vec<bool>,
    pub discounts: Vec<RawDiscount>,
}

impl Ledger {
    fn new(lines: &[PricedLine]) -> Ledger {
        Ledger {
            net: lines.iter().map(|l| l.subtotal).collect(),
            item_discount: vec![Money::ZERO; lines.len()],
            order_discount: vec![Money::ZERO; lines.len()],
            campaign_claimed: vec![false; lines.len()],
            discounts: Vec::new(),
        }
    }

    /// Record a discount application; `per_line` holds (line index, amount).
    pub(crate) fn apply(
        &mut self,
        kind: DiscountKind,
        source_id: &str,
        base: Money,
        per_line: &[(usize, Money)],
    ) -> Result<()> {
        let mut allocations = Vec::with_capacity(per_line.len());
        let mut total = Money::ZERO;
        for &(i, d) in per_line {
            if d.is_zero() {
                continue;
            }
            if d.as_fen() < 0 || d > self.net[i] {
                return Err(RuleError::invalid("discount", "a share exceeds its line"));
            }
            self.net[i] = self.net[i].checked_sub(d)?;
            let bucket = match kind {
                DiscountKind::ItemPromotion => &mut self.item_discount[i],
                _ => &mut self.order_discount[i],
            };
            *bucket = bucket.checked_add(d)?;
            total = total.checked_add(d)?;
            allocations.push((i, d));
        }
        self.discounts.push(RawDiscount {
            kind,
            source_id: source_id.to_string(),
            base,
            amount: total,
            allocations,
        });
        Ok(())
    }
}

/// The result of the layers after campaigns for one coupon combination.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub ledger: Ledger,
    pub shipping: Option<ShippingQuote>,
    pub points: PointsUse,
    pub points_per_line: Vec<Money>,
    pub payable: Money,
    pub applied: Vec<AppliedCoupon>,
}

impl Outcome {
    pub(crate) fn saving(&self) -> Money {
        Money::sum(self.applied.iter().map(|a| a.amount)).unwrap_or(Money::ZERO)
    }
}

/// Everything fixed before the coupon layers.
pub(crate) struct Pipeline<'a> {
    pub input: &'a QuoteInput,
    pub lines: Vec<PricedLine>,
    /// The ledger after item promotions and campaigns; their discounts are kept
    /// apart in `base_discounts` so that trying a coupon combination does not copy them.
    pub after_campaigns: Ledger,
    pub base_discounts: Vec<RawDiscount>,
    pub level: Option<&'a MemberLevel>,
    /// Lines each wallet coupon may discount (fixed once campaigns are applied).
    pub eligible: BTreeMap<&'a str, Vec<usize>>,
    pub shipping: Option<ShippingPlan>,
}

impl<'a> Pipeline<'a> {
    pub(crate) fn policy(&self) -> ThresholdBase {
        self.input.rules.threshold_base
    }

    fn eligible_for(&self, c: &Coupon) -> &[usize] {
        self.eligible
            .get(c.coupon_id.as_str())
            .map_or(&[], Vec::as_slice)
    }

    /// Coupons (already ordered by layer), delivery, points, payable. Points are
    /// allocated to lines only when `allocate` (the search needs only the payable).
    pub(crate) fn evaluate(&self, combo: &[&Coupon], allocate: bool) -> Result<Outcome> {
        let mut ledger = self.after_campaigns.clone();
        let mut applied = Vec::with_capacity(combo.len());
        let mut shipping_coupon = None;
        for c in combo {
            if c.layer() == 2 {
                shipping_coupon = Some(*c);
                continue;
            }
            applied.push(self.apply_goods(&mut ledger, c)?);
        }
        self.finish(ledger, applied, shipping_coupon, allocate)
    }

    /// Apply one goods coupon (shop or platform layer).
    pub(crate) fn apply_goods(&self, ledger: &mut Ledger, c: &Coupon) -> Result<AppliedCoupon> {
        let amount = c.apply_goods(self.eligible_for(c), &self.lines, ledger, self.policy())?;
        Ok(AppliedCoupon {
            coupon_id: c.coupon_id.clone(),
            amount,
        })
    }

    /// The layers after the goods coupons: delivery (and its coupon), points, payable.
    pub(crate) fn finish(
        &self,
        ledger: Ledger,
        mut applied: Vec<AppliedCoupon>,
        shipping_coupon: Option<&Coupon>,
        allocate: bool,
    ) -> Result<Outcome> {
        let mut shipping = match &self.shipping {
            None => None,
            Some(plan) => Some(plan.quote(&self.lines, &ledger)?),
        };
        if let Some(c) = shipping_coupon {
            let q = shipping
                .as_mut()
                .ok_or_else(|| RuleError::CouponNotApplicable {
                    coupon_id: c.coupon_id.clone(),
                    reason: "choose a delivery method first".into(),
                })?;
            let amount = shipping::apply_shipping_coupon(
                q,
                c,
                self.eligible_for(c),
                &self.lines,
                &ledger,
                self.policy(),
            )?;
            applied.push(AppliedCoupon {
                coupon_id: c.coupon_id.clone(),
                amount,
            });
        }
        let shipping_payable = shipping.as_ref().map_or(Money::ZERO, |s| s.payable);
        let (points, points_per_line) = points::apply_points(
            self.input.rules.points.as_ref(),
            self.input.options.points,
            self.input.buyer.points_balance,
            &self.lines,
            &ledger,
            shipping_payable,
            !applied.is_empty(),
            allocate,
        )?;
        let goods_net = Money::sum(ledger.net.iter().copied())?;
        let payable = goods_net
            .checked_sub(points.goods_deduction)?
            .checked_add(shipping_payable.checked_sub(points.shipping_deduction)?)?;
        Ok(Outcome {
            ledger,
            shipping,
            points,
            points_per_line,
            payable,
            applied,
        })
    }

    /// A lower bound of the payable of any order whose goods net is at least `goods`:
    /// `goods − min(V, floor(maxShare × goods))`, V the value of the points offered.
    /// Non-decreasing in `goods`; delivery adds at least 0 (and points that cover
    /// delivery keep the bound: see docs/rules.md §10).
    pub(crate) fn payable_floor(&self, goods: Money) -> Money {
        points::max_deduction_for(
            self.input.rules.points.as_ref(),
            self.input.options.points,
            self.input.buyer.points_balance,
            goods,
        )
        .map_or(goods, |d| goods.saturating_sub_floor(d))
    }
}

/// `INVALID_INPUT {field, reason: "duplicate <id>"}` if two of `ids` are equal.
fn unique<'a>(field: &str, id: &str, ids: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut ids: Vec<&str> = ids.collect();
    ids.sort_unstable();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        return Err(RuleError::invalid(field, format!("duplicate {id}")));
    }
    Ok(())
}

fn validate_input(input: &QuoteInput) -> Result<()> {
    let rules = &input.rules;
    unique(
        "lines",
        "lineId",
        input.lines.iter().map(|l| l.line_id.as_str()),
    )?;
    unique(
        "catalog",
        "skuId",
        input.catalog.iter().map(|s| s.sku_id.as_str()),
    )?;
    unique(
        "activities",
        "activityId",
        rules.activities.iter().map(|a| a.activity_id.as_str()),
    )?;
    for a in &rules.activities {
        unique(
            "activities.prices",
            "skuId",
            a.prices.iter().map(|p| p.sku_id.as_str()),
        )?;
        if a.ends_at <= a.starts_at {
            return Err(RuleError::invalid(
                "activities.endsAt",
                "must be after startsAt",
            ));
        }
    }
    unique(
        "itemPromotions",
        "promotionId",
        rules
            .item_promotions
            .iter()
            .map(|p| p.promotion_id.as_str()),
    )?;
    unique(
        "campaigns",
        "campaignId",
        rules.campaigns.iter().map(|c| c.campaign_id.as_str()),
    )?;
    unique(
        "shipping.express",
        "shopId",
        rules.shipping.express.iter().map(|t| t.shop_id.as_str()),
    )?;
    if let Some(sc) = &rules.shipping.same_city {
        unique(
            "shipping.sameCity.slots",
            "slotId",
            sc.slots.iter().map(|s| s.slot_id.as_str()),
        )?;
    }
    if input.catalog.iter().any(|s| s.list_price.as_fen() < 0) {
        return Err(RuleError::invalid(
            "catalog.listPrice",
            "must not be negative",
        ));
    }
    if input
        .lines
        .iter()
        .any(|l| l.seen_unit_price.is_some_and(|m| m.as_fen() < 0))
    {
        return Err(RuleError::invalid(
            "lines.seenUnitPrice",
            "must not be negative",
        ));
    }
    if input
        .rules
        .activities
        .iter()
        .flat_map(|a| &a.prices)
        .any(|p| p.price.as_fen() < 0)
    {
        return Err(RuleError::invalid(
            "activities.prices.price",
            "must not be negative",
        ));
    }
    member::validate(&input.rules.member)?;
    promotion::validate(&input.rules.item_promotions, &input.rules.campaigns)?;
    coupon::validate(&input.buyer.coupons)?;
    shipping::validate(&input.rules.shipping)?;
    if let Some(p) = &input.rules.points {
        points::validate(p)?;
    }
    Ok(())
}

struct Checked {
    /// (cart index, priced line) of selected valid lines, in line-id order.
    priced: Vec<(usize, PricedLine)>,
    issues: Vec<LineIssue>,
}

fn check_lines<'a>(input: &'a QuoteInput, level: Option<&'a MemberLevel>) -> Checked {
    let ctx = Context {
        now: input.now,
        catalog: &input.catalog,
        activities: &input.rules.activities,
        purchased: &input.buyer.purchased,
        level,
    };
    // Canonical order (line id), so that the same SKU on two lines gives the same
    // answer whatever the cart order; issues are reported in cart order.
    let mut order: Vec<usize> = (0..input.lines.len()).collect();
    order.sort_by(|&a, &b| input.lines[a].line_id.cmp(&input.lines[b].line_id));
    let mut valid: Vec<PricedLine> = Vec::new();
    let mut priced = Vec::new();
    let mut issues = Vec::new();
    for idx in order {
        let line = &input.lines[idx];
        match ctx.price_line(line, &valid) {
            Ok(p) if line.selected => {
                valid.push(p.clone());
                priced.push((idx, p));
            }
            Ok(_) => {}
            Err(e) => issues.push((
                idx,
                LineIssue {
                    line_id: line.line_id.clone(),
                    sku_id: line.sku_id.clone(),
                    selected: line.selected,
                    error: e.body(),
                },
            )),
        }
    }
    issues.sort_by_key(|(idx, _)| *idx);
    let issues = issues.into_iter().map(|(_, i)| i).collect();
    Checked { priced, issues }
}

/// Validate every cart line: which are valid, which are not and why.
pub fn validate_cart(input: &QuoteInput) -> Result<CartCheck> {
    validate_input(input)?;
    let level = member::level_for(&input.rules.member, input.buyer.growth);
    let checked = check_lines(input, level);
    let invalid: Vec<&str> = checked.issues.iter().map(|i| i.line_id.as_str()).collect();
    Ok(CartCheck {
        valid: input
            .lines
            .iter()
            .filter(|l| !invalid.contains(&l.line_id.as_str()))
            .map(|l| l.line_id.clone())
            .collect(),
        invalid: checked.issues,
    })
}

/// The best coupon combination for this cart and, for every other coupon, why it
/// is or is not usable (the `coupons` report of a quote with `coupons: best`).
pub fn best_coupons(input: &QuoteInput) -> Result<CouponReport> {
    let mut input = input.clone();
    input.options.coupons = CouponChoice::Best;
    Ok(quote(&input)?.coupons)
}

/// Price a cart. See docs/rules.md for every rule and worked examples.
pub fn quote(input: &QuoteInput) -> Result<Quote> {
    validate_input(input)?;
    let level = member::level_for(&input.rules.member, input.buyer.growth);
    let checked = check_lines(input, level);
    // `check_lines` priced the lines in canonical order (by line id).
    let priced = checked.priced;
    let cart_order: Vec<usize> = priced.iter().map(|(idx, _)| *idx).collect();
    let lines: Vec<PricedLine> = priced.into_iter().map(|(_, l)| l).collect();

    let mut ledger = Ledger::new(&lines);
    promotion::apply_item_promotions(&mut ledger, &lines, &input.rules.item_promotions, input.now)?;
    let hints = promotion::apply_campaigns(
        &mut ledger,
        &lines,
        &input.rules.campaigns,
        input.rules.threshold_base,
        input.now,
    )?;
    let eligible = input
        .buyer
        .coupons
        .iter()
        .map(|c| {
            (
                c.coupon_id.as_str(),
                c.eligible(&lines, &ledger.campaign_claimed),
            )
        })
        .collect();
    let shipping = match &input.options.delivery {
        None => None,
        Some(d) => Some(ShippingPlan::new(
            &input.rules.shipping,
            d,
            &lines,
            level,
            input.now,
        )?),
    };
    let pipeline = Pipeline {
        input,
        lines,
        base_discounts: std::mem::take(&mut ledger.discounts),
        after_campaigns: ledger,
        level,
        eligible,
        shipping,
    };
    let (outcome, report) = best::choose(&pipeline)?;
    assemble(
        &pipeline,
        &cart_order,
        checked.issues,
        hints,
        outcome,
        report,
    )
}

fn unit_groups(qty: u64, net: Money, points: Money) -> Result<Vec<UnitGroup>> {
    let mut a = per_unit(net, qty).into_iter();
    let mut b = per_unit(points, qty).into_iter();
    let mut out: Vec<UnitGroup> = Vec::new();
    let (mut ca, mut cb) = (a.next(), b.next());
    while let (Some((na, va)), Some((nb, vb))) = (ca, cb) {
        let n = na.min(nb);
        out.push(UnitGroup {
            count: n,
            net: va,
            points: vb,
            paid: va.checked_sub(vb)?,
        });
        ca = if na > n { Some((na - n, va)) } else { a.next() };
        cb = if nb > n { Some((nb - n, vb)) } else { b.next() };
    }
    Ok(out)
}

fn assemble(
    p: &Pipeline,
    cart_order: &[usize],
    issues: Vec<LineIssue>,
    hints: Vec<CampaignHint>,
    o: Outcome,
    coupons: CouponReport,
) -> Result<Quote> {
    let mut quoted: Vec<(usize, QuotedLine)> = Vec::with_capacity(p.lines.len());
    for (i, l) in p.lines.iter().enumerate() {
        let net = o.ledger.net[i];
        let pts = o.points_per_line[i];
        quoted.push((
            cart_order[i],
            QuotedLine {
                line_id: l.line_id.clone(),
                sku_id: l.sku_id.clone(),
                shop_id: l.shop_id.clone(),
                quantity: l.quantity,
                list_price: l.list_price,
                unit_price: l.unit_price,
                price_source: l.source,
                activity_id: l.activity_id.clone(),
                subtotal: l.subtotal,
                item_discount: o.ledger.item_discount[i],
                order_discount: o.ledger.order_discount[i],
                net,
                points_deduction: pts,
                paid: net.checked_sub(pts)?,
                units: unit_groups(l.quantity, net, pts)?,
            },
        ));
    }
    quoted.sort_by_key(|(idx, _)| *idx);
    let lines: Vec<QuotedLine> = quoted.into_iter().map(|(_, l)| l).collect();
    let list_total = Money::sum(
        lines
            .iter()
            .map(|l| l.list_price.checked_mul(l.quantity))
            .collect::<Result<Vec<_>>>()?,
    )?;
    let goods_total = Money::sum(lines.iter().map(|l| l.subtotal))?;
    let item_discount = Money::sum(lines.iter().map(|l| l.item_discount))?;
    let order_discount = Money::sum(lines.iter().map(|l| l.order_discount))?;
    let goods_net = Money::sum(lines.iter().map(|l| l.net))?;
    let goods_paid = goods_net.checked_sub(o.points.goods_deduction)?;
    let program = &p.input.rules.member;
    let multiplier = p.level.map_or(Ratio::ONE, |l| l.points_multiplier);
    let rewards = Rewards {
        growth: member::earned(goods_paid, program.growth_per_yuan, Ratio::ONE)?,
        points: member::earned(goods_paid, program.points_per_yuan, multiplier)?,
    };
    let mut q = Quote {
        lines,
        invalid_lines: issues,
        list_total,
        goods_total,
        item_discount,
        order_discount,
        goods_net,
        discounts: p
            .base_discounts
            .iter()
            .cloned()
            .chain(o.ledger.discounts)
            .map(|d| AppliedDiscount {
                kind: d.kind,
                source_id: d.source_id,
                base: d.base,
                amount: d.amount,
                allocations: d
                    .allocations
                    .into_iter()
                    .map(|(i, amount)| Allocation {
                        line_id: p.lines[i].line_id.clone(),
                        amount,
                    })
                    .collect(),
            })
            .collect(),
        hints,
        coupons,
        points: o.points,
        shipping: o.shipping,
        payable: o.payable,
        member: p.level.map(LevelRef::from),
        rewards,
        fingerprint: String::new(),
    };
    q.fingerprint = fingerprint(&q, &p.input.options)?;
    Ok(q)
}

/// SHA-256 (hex) of the canonical JSON of what was priced and what it costs:
/// lines (sorted by id) with quantities and amounts, every discount, delivery,
/// points and payable. Independent of `now` and of cart order.
pub fn fingerprint(q: &Quote, options: &QuoteOptions) -> Result<String> {
    #[derive(Serialize)]
    struct View<'a> {
        lines: Vec<(&'a str, &'a str, u64, Money, Money, Money, Money)>,
        discounts: Vec<(DiscountKind, &'a str, Money)>,
        coupons: Vec<&'a str>,
        delivery: &'a Option<Delivery>,
        shipping: Option<(Money, Money)>,
        points: (u64, Money),
        payable: Money,
    }
    let mut lines: Vec<_> = q
        .lines
        .iter()
        .map(|l| {
            (
                l.line_id.as_str(),
                l.sku_id.as_str(),
                l.quantity,
                l.unit_price,
                l.net,
                l.points_deduction,
                l.paid,
            )
        })
        .collect();
    lines.sort();
    let mut coupons: Vec<&str> = q
        .coupons
        .applied
        .iter()
        .map(|c| c.coupon_id.as_str())
        .collect();
    coupons.sort_unstable();
    let view = View {
        lines,
        discounts: q
            .discounts
            .iter()
            .map(|d| (d.kind, d.source_id.as_str(), d.amount))
            .collect(),
        coupons,
        delivery: &options.delivery,
        shipping: q.shipping.as_ref().map(|s| (s.fee, s.payable)),
        points: (q.points.used, q.points.deduction),
        payable: q.payable,
    };
    let json =
        serde_json::to_vec(&view).map_err(|e| RuleError::invalid("fingerprint", e.to_string()))?;
    let digest = Sha256::digest(&json);
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}
