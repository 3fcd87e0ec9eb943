//! Item promotions (N件M折, 第N件X折, 买X送Y) and automatic order-level campaigns
//! (满减 / 满折, tiered, optionally 每满). docs/rules.md §4–§5.
//!
//! Both are applied in order of `priority` (higher first), then id. A line takes
//! part in at most one item promotion and at most one campaign: the first one (in
//! that order) that covers it and actually gives a discount claims it. Activity
//! lines (flash sale, group buy, bargain) take neither.

use serde::{Deserialize, Serialize};

use crate::allocation::largest_remainder;
use crate::cart::{PricedLine, DEFAULT_SHOP};
use crate::error::{Result, RuleError};
use crate::money::{Money, Ratio};
use crate::quote::{DiscountKind, Ledger, ThresholdBase};

fn default_shop() -> String {
    DEFAULT_SHOP.to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ScopeKind {
    #[default]
    All,
    Categories,
    Skus,
}

/// Which lines a promotion, campaign or coupon covers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scope {
    #[serde(default)]
    pub kind: ScopeKind,
    /// Category ids or SKU ids, by `kind`.
    #[serde(default)]
    pub ids: Vec<String>,
    #[serde(default)]
    pub exclude_sku_ids: Vec<String>,
    #[serde(default)]
    pub exclude_category_ids: Vec<String>,
}

impl Scope {
    pub(crate) fn covers(&self, line: &PricedLine) -> bool {
        if self.exclude_sku_ids.contains(&line.sku_id)
            || line
                .category_ids
                .iter()
                .any(|c| self.exclude_category_ids.contains(c))
        {
            return false;
        }
        match self.kind {
            ScopeKind::All => true,
            ScopeKind::Skus => self.ids.contains(&line.sku_id),
            ScopeKind::Categories => line.category_ids.iter().any(|c| self.ids.contains(c)),
        }
    }
}

pub(crate) fn in_window(now: i64, starts_at: Option<i64>, ends_at: Option<i64>) -> bool {
    starts_at.is_none_or(|s| now >= s) && ends_at.is_none_or(|e| now < e)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuantityTier {
    pub min_quantity: u64,
    /// Share of the price paid, e.g. "0.8" = 8折.
    pub rate: Ratio,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum ItemRule {
    /// N件M折: when the covered lines hold at least `minQuantity` units together,
    /// they are charged `rate` of their price (the highest tier reached).
    QuantityDiscount { tiers: Vec<QuantityTier> },
    /// 第N件X折: on each line, every `n`-th unit costs `rate` of its price.
    NthItem { n: u64, rate: Ratio },
    /// 买X送Y: of every `buy + get` covered units, the `get` cheapest are free;
    /// repeats up to `maxTimes` (unbounded when absent).
    BuyXGetY {
        buy: u64,
        get: u64,
        #[serde(default)]
        max_times: Option<u64>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ItemPromotion {
    pub promotion_id: String,
    #[serde(default = "default_shop")]
    pub shop_id: String,
    #[serde(default)]
    pub priority: i64,
    #[serde(default)]
    pub scope: Scope,
    #[serde(default)]
    pub starts_at: Option<i64>,
    #[serde(default)]
    pub ends_at: Option<i64>,
    pub rule: ItemRule,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AmountTier {
    pub threshold: Money,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateTier {
    pub threshold: Money,
    pub rate: Ratio,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum CampaignRule {
    /// 满减: the highest tier reached takes `amount` off. With `repeat` (每满),
    /// the reached tier is taken once per whole multiple of its threshold, up to `cap`.
    AmountOff {
        tiers: Vec<AmountTier>,
        #[serde(default)]
        repeat: bool,
        #[serde(default)]
        cap: Option<Money>,
    },
    /// 满折: the highest tier reached charges `rate` of the covered net.
    RateOff { tiers: Vec<RateTier> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Campaign {
    pub campaign_id: String,
    #[serde(default = "default_shop")]
    pub shop_id: String,
    #[serde(default)]
    pub priority: i64,
    #[serde(default)]
    pub scope: Scope,
    #[serde(default)]
    pub starts_at: Option<i64>,
    #[serde(default)]
    pub ends_at: Option<i64>,
    pub rule: CampaignRule,
}

/// "还差¥X": how much more the covered lines need for the next campaign tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignHint {
    pub campaign_id: String,
    /// The amount the threshold is measured on now.
    pub base: Money,
    pub next_threshold: Money,
    pub shortfall: Money,
    /// The campaign's discount once the next threshold is met (for 满折, at today's net).
    pub next_amount: Money,
}

pub fn validate(promos: &[ItemPromotion], campaigns: &[Campaign]) -> Result<()> {
    for p in promos {
        match &p.rule {
            ItemRule::QuantityDiscount { tiers } => {
                if tiers.is_empty() {
                    return Err(RuleError::invalid("itemPromotions.tiers", "no tiers"));
                }
                for t in tiers {
                    t.rate.check_rate("itemPromotions.tiers.rate")?;
                    if t.min_quantity == 0 {
                        return Err(RuleError::invalid(
                            "itemPromotions.tiers.minQuantity",
                            "must be at least 1",
                        ));
                    }
                }
            }
            ItemRule::NthItem { n, rate } => {
                rate.check_rate("itemPromotions.rate")?;
                if *n < 2 {
                    return Err(RuleError::invalid("itemPromotions.n", "must be at least 2"));
                }
            }
            ItemRule::BuyXGetY { buy, get, .. } => {
                if *buy == 0 || *get == 0 {
                    return Err(RuleError::invalid(
                        "itemPromotions.buy",
                        "buy and get must be at least 1",
                    ));
                }
            }
        }
    }
    for c in campaigns {
        match &c.rule {
            CampaignRule::AmountOff { tiers, cap, .. } => {
                if tiers.is_empty()
                    || tiers
                        .iter()
                        .any(|t| !t.threshold.is_positive() || t.amount.as_fen() < 0)
                {
                    return Err(RuleError::invalid(
                        "campaigns.tiers",
                        "tiers need a positive threshold and a non-negative amount",
                    ));
                }
                if cap.is_some_and(|c| c.as_fen() < 0) {
                    return Err(RuleError::invalid("campaigns.cap", "must not be negative"));
                }
            }
            CampaignRule::RateOff { tiers } => {
                if tiers.is_empty() {
                    return Err(RuleError::invalid("campaigns.tiers", "no tiers"));
                }
                for t in tiers {
                    if !t.threshold.is_positive() {
                        return Err(RuleError::invalid(
                            "campaigns.tiers",
                            "tiers need a positive threshold",
                        ));
                    }
                    t.rate.check_rate("campaigns.tiers.rate")?;
                }
            }
        }
    }
    Ok(())
}

fn sorted_by_priority<T>(items: &[T], key: impl Fn(&T) -> (i64, &str)) -> Vec<&T> {
    let mut v: Vec<&T> = items.iter().collect();
    v.sort_by(|a, b| {
        let (pa, ia) = key(a);
        let (pb, ib) = key(b);
        pb.cmp(&pa).then(ia.cmp(ib))
    });
    v
}

/// Apply the item promotions to the ledger (layer 1).
pub(crate) fn apply_item_promotions(
    ledger: &mut Ledger,
    lines: &[PricedLine],
    promos: &[ItemPromotion],
    now: i64,
) -> Result<()> {
    let mut claimed = vec![false; lines.len()];
    for p in sorted_by_priority(promos, |p| (p.priority, p.promotion_id.as_str())) {
        if !in_window(now, p.starts_at, p.ends_at) {
            continue;
        }
        let eligible: Vec<usize> = (0..lines.len())
            .filter(|&i| {
                !claimed[i]
                    && !lines[i].in_activity
                    && lines[i].shop_id == p.shop_id
                    && p.scope.covers(&lines[i])
            })
            .collect();
        if eligible.is_empty() {
            continue;
        }
        let per_line = item_discounts(&p.rule, lines, &eligible, &ledger.net)?;
        let total = Money::sum(per_line.iter().map(|(_, d)| *d))?;
        if !total.is_positive() {
            continue;
        }
        let base = Money::sum(eligible.iter().map(|&i| ledger.net[i]))?;
        for &i in &eligible {
            claimed[i] = true;
        }
        ledger.apply(
            DiscountKind::ItemPromotion,
            &p.promotion_id,
            base,
            &per_line,
        )?;
    }
    Ok(())
}

fn item_discounts(
    rule: &ItemRule,
    lines: &[PricedLine],
    eligible: &[usize],
    net: &[Money],
) -> Result<Vec<(usize, Money)>> {
    match rule {
        ItemRule::QuantityDiscount { tiers } => {
            let units: u64 = eligible.iter().map(|&i| lines[i].quantity).sum();
            let Some(tier) = tiers
                .iter()
                .filter(|t| t.min_quantity <= units)
                .max_by(|a, b| {
                    a.min_quantity
                        .cmp(&b.min_quantity)
                        .then(b.rate.cmp(&a.rate))
                })
            else {
                return Ok(Vec::new());
            };
            let weights: Vec<Money> = eligible.iter().map(|&i| net[i]).collect();
            let base = Money::sum(weights.iter().copied())?;
            let discount = base.discount_at_rate(tier.rate.value())?;
            let shares = largest_remainder(discount, &weights)?;
            Ok(eligible.iter().copied().zip(shares).collect())
        }
        ItemRule::NthItem { n, rate } => eligible
            .iter()
            .map(|&i| {
                let discounted_units = lines[i].quantity / n;
                let d = lines[i]
                    .unit_price
                    .checked_mul(discounted_units)?
                    .discount_at_rate(rate.value())?;
                Ok((i, d.min(net[i])))
            })
            .collect(),
        ItemRule::BuyXGetY {
            buy,
            get,
            max_times,
        } => {
            let units: u64 = eligible.iter().map(|&i| lines[i].quantity).sum();
            let mut times = units / buy.saturating_add(*get);
            if let Some(m) = max_times {
                times = times.min(*m);
            }
            let mut free = times.saturating_mul(*get);
            // Cheapest units first; lines are in canonical (line id) order for ties.
            let mut order: Vec<usize> = eligible.to_vec();
            order.sort_by(|&a, &b| {
                lines[a]
                    .unit_price
                    .cmp(&lines[b].unit_price)
                    .then(a.cmp(&b))
            });
            let mut out = Vec::new();
            for i in order {
                if free == 0 {
                    break;
                }
                let take = free.min(lines[i].quantity);
                free -= take;
                let d = lines[i].unit_price.checked_mul(take)?.min(net[i]);
                out.push((i, d));
            }
            Ok(out)
        }
    }
}

/// Apply the campaigns to the ledger (layer 2) and return the next-tier hints.
pub(crate) fn apply_campaigns(
    ledger: &mut Ledger,
    lines: &[PricedLine],
    campaigns: &[Campaign],
    policy: ThresholdBase,
    now: i64,
) -> Result<Vec<CampaignHint>> {
    let mut hints = Vec::new();
    for c in sorted_by_priority(campaigns, |c| (c.priority, c.campaign_id.as_str())) {
        if !in_window(now, c.starts_at, c.ends_at) {
            continue;
        }
        let eligible: Vec<usize> = (0..lines.len())
            .filter(|&i| {
                !ledger.campaign_claimed[i]
                    && !lines[i].in_activity
                    && lines[i].shop_id == c.shop_id
                    && c.scope.covers(&lines[i])
            })
            .collect();
        if eligible.is_empty() {
            continue;
        }
        let weights: Vec<Money> = eligible.iter().map(|&i| ledger.net[i]).collect();
        let base = Money::sum(weights.iter().copied())?;
        let measured = match policy {
            ThresholdBase::AfterEarlierLayers => base,
            ThresholdBase::SalePrice => Money::sum(eligible.iter().map(|&i| lines[i].subtotal))?,
        };
        let (discount, hint) = campaign_discount(&c.rule, measured, base)?;
        if let Some((next_threshold, next_amount)) = hint {
            hints.push(CampaignHint {
                campaign_id: c.campaign_id.clone(),
                base: measured,
                next_threshold,
                shortfall: next_threshold.checked_sub(measured)?,
                next_amount,
            });
        }
        if !discount.is_positive() {
            continue;
        }
        let shares = largest_remainder(discount, &weights)?;
        for &i in &eligible {
            ledger.campaign_claimed[i] = true;
        }
        let per_line: Vec<(usize, Money)> = eligible.iter().copied().zip(shares).collect();
        ledger.apply(DiscountKind::Campaign, &c.campaign_id, base, &per_line)?;
    }
    Ok(hints)
}

/// The discount for a threshold measured at `measured` on a net `base`, and the
/// next (threshold, discount) the shopper could reach: the lowest step above
/// `measured` that saves strictly more than today (docs/rules.md §5). A campaign
/// at its cap, or whose next tiers save no more, gives no hint.
fn campaign_discount(
    rule: &CampaignRule,
    measured: Money,
    base: Money,
) -> Result<(Money, Option<(Money, Money)>)> {
    // The lowest threshold whose saving beats `today`; on equal thresholds, the larger saving.
    let better = |today: Money, steps: Vec<(Money, Money)>| {
        steps
            .into_iter()
            .filter(|&(_, amount)| amount > today)
            .min_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
    };
    match rule {
        CampaignRule::AmountOff { tiers, repeat, cap } => {
            let cap_it = |m: Money| cap.map_or(m, |c| m.min(c));
            let reached = tiers
                .iter()
                .filter(|t| t.threshold <= measured)
                .max_by(|a, b| a.threshold.cmp(&b.threshold).then(a.amount.cmp(&b.amount)));
            let discount = match reached {
                None => Money::ZERO,
                Some(t) if *repeat => {
                    let times = (measured.as_fen() / t.threshold.as_fen()) as u64;
                    cap_it(t.amount.checked_mul(times)?)
                }
                Some(t) => cap_it(t.amount),
            }
            .min(base);
            // Each tier above `measured`, at its own threshold.
            let mut steps: Vec<(Money, Money)> = tiers
                .iter()
                .filter(|t| t.threshold > measured)
                .map(|t| (t.threshold, cap_it(t.amount)))
                .collect();
            if *repeat {
                if let Some(t) = reached {
                    // The next whole multiple of the reached tier, while it stays the
                    // highest tier reached (before the next tier's threshold).
                    let times = (measured.as_fen() / t.threshold.as_fen()) as u64 + 1;
                    let threshold = t.threshold.checked_mul(times)?;
                    let next_tier = tiers
                        .iter()
                        .filter(|n| n.threshold > measured)
                        .map(|n| n.threshold)
                        .min();
                    if next_tier.is_none_or(|n| threshold < n) {
                        steps.push((threshold, cap_it(t.amount.checked_mul(times)?)));
                    }
                }
            }
            Ok((discount, better(discount, steps)))
        }
        CampaignRule::RateOff { tiers } => {
            let reached = tiers
                .iter()
                .filter(|t| t.threshold <= measured)
                .max_by(|a, b| a.threshold.cmp(&b.threshold).then(b.rate.cmp(&a.rate)));
            let discount = match reached {
                None => Money::ZERO,
                Some(t) => base.discount_at_rate(t.rate.value())?,
            }
            .min(base);
            let steps = tiers
                .iter()
                .filter(|t| t.threshold > measured)
                .map(|t| Ok((t.threshold, base.discount_at_rate(t.rate.value())?)))
                .collect::<Result<Vec<_>>>()?;
            Ok((discount, better(discount, steps)))
        }
    }
}
