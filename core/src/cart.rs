//! Cart lines, the catalog snapshot they refer to, line validation and the one
//! item-level unit price of each line (activity price, else member price, else
//! list price). docs/rules.md §2–§3.

use serde::{Deserialize, Serialize};

use crate::activity::{Activity, ActivityKind};
use crate::error::{ErrorBody, Result, RuleError};
use crate::group::GroupRole;
use crate::member::MemberLevel;
use crate::money::Money;

/// Most units of one SKU on one line.
pub const MAX_LINE_QUANTITY: i64 = 9_999;

pub const DEFAULT_SHOP: &str = "self";

fn default_shop() -> String {
    DEFAULT_SHOP.to_string()
}
fn default_true() -> bool {
    true
}
fn default_min() -> u64 {
    1
}

/// A SKU as the catalog has it at quote time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Sku {
    pub sku_id: String,
    #[serde(default)]
    pub spu_id: Option<String>,
    #[serde(default = "default_shop")]
    pub shop_id: String,
    #[serde(default)]
    pub category_ids: Vec<String>,
    pub list_price: Money,
    pub stock: u64,
    #[serde(default = "default_true")]
    pub on_shelf: bool,
    #[serde(default = "default_min")]
    pub min_quantity: u64,
    /// Most units one user may ever buy of this SKU (counting earlier orders).
    #[serde(default)]
    pub per_user_limit: Option<u64>,
    /// Whether the member level's discount rate applies to this SKU.
    #[serde(default = "default_true")]
    pub member_price: bool,
    #[serde(default)]
    pub weight_grams: u64,
}

/// One line of the shopper's cart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CartLine {
    pub line_id: String,
    pub sku_id: String,
    /// Signed so that a bad quantity is reported as `INVALID_QUANTITY`, not a parse error.
    pub quantity: i64,
    #[serde(default = "default_true")]
    pub selected: bool,
    /// Buy this line inside an activity (flash sale, group buy, bargain).
    #[serde(default)]
    pub activity_id: Option<String>,
    /// The unit price the client last showed; a different current price is `PRICE_CHANGED`.
    #[serde(default)]
    pub seen_unit_price: Option<Money>,
    /// A group-buy line opens a group (`leader`) or joins one (`member`);
    /// required in a group buy, refused elsewhere. docs/rules.md §17.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_role: Option<GroupRole>,
}

/// Units the buyer already bought in earlier orders (for purchase limits).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Purchased {
    pub sku_id: String,
    #[serde(default)]
    pub activity_id: Option<String>,
    pub quantity: u64,
}

/// Where a line's unit price came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PriceSource {
    List,
    Member,
    FlashSale,
    GroupBuy,
    Bargain,
}

/// A line that passed validation, with its one item-level price.
#[derive(Debug, Clone)]
pub(crate) struct PricedLine {
    pub line_id: String,
    pub sku_id: String,
    pub shop_id: String,
    pub category_ids: Vec<String>,
    pub quantity: u64,
    pub list_price: Money,
    pub unit_price: Money,
    pub source: PriceSource,
    pub activity_id: Option<String>,
    /// Activity lines skip item promotions and campaigns; these two flags say
    /// whether they take coupons and points.
    pub takes_coupons: bool,
    pub takes_points: bool,
    pub in_activity: bool,
    pub weight_grams: u64,
    pub subtotal: Money,
}

/// A line that failed validation, reported with its reason, never dropped silently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineIssue {
    pub line_id: String,
    pub sku_id: String,
    pub selected: bool,
    pub error: ErrorBody,
}

/// What `validate_cart` returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CartCheck {
    /// Valid lines, in the cart's order.
    pub valid: Vec<String>,
    pub invalid: Vec<LineIssue>,
}

pub(crate) struct Context<'a> {
    pub now: i64,
    pub catalog: &'a [Sku],
    pub activities: &'a [Activity],
    pub purchased: &'a [Purchased],
    pub level: Option<&'a MemberLevel>,
}

impl Context<'_> {
    fn sku(&self, id: &str) -> Option<&Sku> {
        self.catalog.iter().find(|s| s.sku_id == id)
    }

    /// Units bought in earlier orders: of `sku_id` (any SKU when `None`) in
    /// `activity_id` (in any activity or none when `None`).
    fn bought(&self, sku_id: Option<&str>, activity_id: Option<&str>) -> u64 {
        self.purchased
            .iter()
            .filter(|p| {
                sku_id.is_none_or(|s| p.sku_id == s)
                    && (activity_id.is_none() || p.activity_id.as_deref() == activity_id)
            })
            .map(|p| p.quantity)
            .fold(0u64, u64::saturating_add)
    }

    /// Validate one line and give it its unit price. The checks run in the
    /// documented order; the first failure is the line's reason. `earlier` holds
    /// the selected valid lines before this one (in line-id order): the same SKU
    /// on two lines shares its stock and its purchase limits.
    pub fn price_line(&self, line: &CartLine, earlier: &[PricedLine]) -> Result<PricedLine> {
        let sku = self
            .sku(&line.sku_id)
            .ok_or_else(|| RuleError::UnknownSku {
                sku_id: line.sku_id.clone(),
            })?;
        if line.quantity <= 0 || line.quantity > MAX_LINE_QUANTITY {
            return Err(RuleError::InvalidQuantity {
                quantity: line.quantity,
            });
        }
        let qty = line.quantity as u64;
        if !sku.on_shelf {
            return Err(RuleError::OffShelf {
                sku_id: sku.sku_id.clone(),
            });
        }
        let activity = match &line.activity_id {
            None => None,
            Some(id) => {
                let a = self
                    .activities
                    .iter()
                    .find(|a| &a.activity_id == id)
                    .and_then(|a| a.price_of(&sku.sku_id).map(|p| (a, p)))
                    .ok_or_else(|| RuleError::ActivityNotFound {
                        activity_id: id.clone(),
                        sku_id: sku.sku_id.clone(),
                    })?;
                if self.now < a.0.starts_at {
                    return Err(RuleError::ActivityNotStarted {
                        activity_id: id.clone(),
                        starts_at: a.0.starts_at,
                    });
                }
                if self.now >= a.0.ends_at {
                    return Err(RuleError::ActivityEnded {
                        activity_id: id.clone(),
                        ended_at: a.0.ends_at,
                    });
                }
                if (a.0.kind == ActivityKind::GroupBuy) != line.group_role.is_some() {
                    return Err(RuleError::GroupRoleInvalid {
                        activity_id: id.clone(),
                        reason: if line.group_role.is_some() {
                            "only a group buy takes a group role".into()
                        } else {
                            "a group-buy price is bought by opening or joining a group".into()
                        },
                    });
                }
                Some(a)
            }
        };
        // Units on earlier lines: of this SKU (or of any SKU when `any_sku`), in
        // `activity_id` (or in any activity or none when `None`).
        let in_cart_of = |any_sku: bool, activity_id: Option<&str>| -> u64 {
            earlier
                .iter()
                .filter(|l| {
                    (any_sku || l.sku_id == sku.sku_id)
                        && (activity_id.is_none() || l.activity_id.as_deref() == activity_id)
                })
                .map(|l| l.quantity)
                .sum()
        };
        let in_cart = |activity_id: Option<&str>| in_cart_of(false, activity_id);
        let sku_left = sku.stock.saturating_sub(in_cart(None));
        let available = match activity {
            Some((a, p)) => p.stock.map_or(sku_left, |s| {
                s.saturating_sub(in_cart(Some(&a.activity_id)))
                    .min(sku_left)
            }),
            None => sku_left,
        };
        if qty > available {
            return Err(RuleError::OutOfStock {
                sku_id: sku.sku_id.clone(),
                available,
            });
        }
        if qty < sku.min_quantity {
            return Err(RuleError::BelowMinQuantity {
                sku_id: sku.sku_id.clone(),
                min: sku.min_quantity,
            });
        }
        if let Some(limit) = sku.per_user_limit {
            let already = self
                .bought(Some(&sku.sku_id), None)
                .saturating_add(in_cart(None));
            check_limit(&sku.sku_id, None, limit, already, qty)?;
        }
        if let Some((a, _)) = activity {
            let id = Some(a.activity_id.as_str());
            if let Some(limit) = a.per_sku_limit {
                let already = self
                    .bought(Some(&sku.sku_id), id)
                    .saturating_add(in_cart(id));
                check_limit(&sku.sku_id, id, limit, already, qty)?;
            }
            if let Some(limit) = a.per_user_limit {
                let already = self.bought(None, id).saturating_add(in_cart_of(true, id));
                check_limit(&sku.sku_id, id, limit, already, qty)?;
            }
        }
        if activity.is_none() && line.group_role.is_some() {
            return Err(RuleError::GroupRoleInvalid {
                activity_id: String::new(),
                reason: "only a group buy takes a group role".into(),
            });
        }
        let (unit_price, source) = match activity {
            Some((a, p)) => (
                match (line.group_role, p.leader_price) {
                    (Some(GroupRole::Leader), Some(leader)) => leader,
                    _ => p.price,
                },
                match a.kind {
                    ActivityKind::FlashSale => PriceSource::FlashSale,
                    ActivityKind::GroupBuy => PriceSource::GroupBuy,
                    ActivityKind::Bargain => PriceSource::Bargain,
                },
            ),
            None => match self.level {
                Some(level)
                    if sku.member_price && level.discount_rate < crate::money::Ratio::ONE =>
                {
                    let rate = level.discount_rate.check_rate("levels.discountRate")?;
                    (sku.list_price.at_rate(rate)?, PriceSource::Member)
                }
                _ => (sku.list_price, PriceSource::List),
            },
        };
        if let Some(seen) = line.seen_unit_price {
            if seen != unit_price {
                return Err(RuleError::PriceChanged {
                    sku_id: sku.sku_id.clone(),
                    seen,
                    current: unit_price,
                });
            }
        }
        Ok(PricedLine {
            line_id: line.line_id.clone(),
            sku_id: sku.sku_id.clone(),
            shop_id: sku.shop_id.clone(),
            category_ids: sku.category_ids.clone(),
            quantity: qty,
            list_price: sku.list_price,
            unit_price,
            source,
            activity_id: activity.map(|(a, _)| a.activity_id.clone()),
            takes_coupons: activity.is_none_or(|(a, _)| a.allow_coupons),
            takes_points: activity.is_none_or(|(a, _)| a.allow_points),
            in_activity: activity.is_some(),
            weight_grams: sku.weight_grams,
            subtotal: unit_price.checked_mul(qty)?,
        })
    }
}

fn check_limit(
    sku_id: &str,
    activity_id: Option<&str>,
    limit: u64,
    already: u64,
    qty: u64,
) -> Result<()> {
    if already.saturating_add(qty) > limit {
        return Err(RuleError::OverPurchaseLimit {
            sku_id: sku_id.to_string(),
            activity_id: activity_id.map(str::to_string),
            limit,
            already_bought: already,
            remaining: limit.saturating_sub(already),
        });
    }
    Ok(())
}
