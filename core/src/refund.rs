//! Refunds (退款). docs/rules.md §11.
//!
//! Returned units refund their stored per-unit cash (`paid`), taken from each
//! line's first not-yet-refunded units; points come back in proportion to the
//! points deduction refunded (cumulatively, so the last refund returns exactly what
//! is left); coupons come back only once every unit is refunded; delivery is
//! refunded only when asked (`includeShipping`) and only once. Nothing is re-priced,
//! and across any sequence of refunds the cash never exceeds what was paid.

use serde::{Deserialize, Serialize};

use crate::error::{Result, RuleError};
use crate::money::Money;
use crate::quote::{Quote, UnitGroup};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderLineSnapshot {
    pub line_id: String,
    pub quantity: u64,
    pub units: Vec<UnitGroup>,
}

/// What an order stores at checkout, enough to refund it without re-pricing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderSnapshot {
    pub lines: Vec<OrderLineSnapshot>,
    /// Delivery fee paid in cash.
    pub shipping_paid: Money,
    /// Delivery fee paid with points.
    #[serde(default)]
    pub shipping_points: Money,
    pub points_used: u64,
    /// Total points deduction (goods + delivery), in fen.
    pub points_deduction: Money,
    pub coupon_ids: Vec<String>,
    /// Cash paid for the whole order.
    pub payable: Money,
}

impl From<&Quote> for OrderSnapshot {
    fn from(q: &Quote) -> Self {
        OrderSnapshot {
            lines: q
                .lines
                .iter()
                .map(|l| OrderLineSnapshot {
                    line_id: l.line_id.clone(),
                    quantity: l.quantity,
                    units: l.units.clone(),
                })
                .collect(),
            shipping_paid: q.shipping.as_ref().map_or(Money::ZERO, |s| {
                s.payable.saturating_sub_floor(q.points.shipping_deduction)
            }),
            shipping_points: q.points.shipping_deduction,
            points_used: q.points.used,
            points_deduction: q.points.deduction,
            coupon_ids: q
                .coupons
                .applied
                .iter()
                .map(|c| c.coupon_id.clone())
                .collect(),
            payable: q.payable,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundItem {
    pub line_id: String,
    pub quantity: u64,
}

/// A refund already made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundRecord {
    pub items: Vec<RefundItem>,
    #[serde(default)]
    pub shipping_refunded: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundRequest {
    pub items: Vec<RefundItem>,
    #[serde(default)]
    pub include_shipping: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundInput {
    pub order: OrderSnapshot,
    #[serde(default)]
    pub previous: Vec<RefundRecord>,
    pub request: RefundRequest,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundLine {
    pub line_id: String,
    pub quantity: u64,
    /// Cash for these units.
    pub amount: Money,
    /// Points deduction these units carried, in fen.
    pub points_deduction: Money,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundQuote {
    pub lines: Vec<RefundLine>,
    pub goods_amount: Money,
    pub shipping_amount: Money,
    /// Cash to refund: goods + delivery.
    pub amount: Money,
    pub points_returned: u64,
    /// Coupons given back (only when this refund completes the whole order).
    pub coupons_returned: Vec<String>,
    /// Every unit is refunded after this one.
    pub whole_order: bool,
    /// Cash still refundable after this one.
    pub remaining: Money,
}

/// (cash, points) carried by units `[from, from + n)` of a line.
fn units_slice(units: &[UnitGroup], from: u64, n: u64) -> Result<(Money, Money)> {
    let (mut cash, mut pts) = (Money::ZERO, Money::ZERO);
    let (mut skip, mut take) = (from, n);
    for g in units {
        if take == 0 {
            break;
        }
        let here = g.count.saturating_sub(skip);
        skip = skip.saturating_sub(g.count);
        let k = here.min(take);
        if k > 0 {
            cash = cash.checked_add(g.paid.checked_mul(k)?)?;
            pts = pts.checked_add(g.points.checked_mul(k)?)?;
            take -= k;
        }
    }
    Ok((cash, pts))
}

/// No stored amount of an order is negative (refund and commission both read them).
pub(crate) fn check_amounts(order: &OrderSnapshot) -> Result<()> {
    let negative = |m: Money| m.as_fen() < 0;
    if order
        .lines
        .iter()
        .flat_map(|l| &l.units)
        .any(|g| negative(g.net) || negative(g.points) || negative(g.paid))
    {
        return Err(RuleError::invalid(
            "order.lines.units",
            "amounts must not be negative",
        ));
    }
    if [
        order.shipping_paid,
        order.shipping_points,
        order.points_deduction,
        order.payable,
    ]
    .into_iter()
    .any(negative)
    {
        return Err(RuleError::invalid("order", "amounts must not be negative"));
    }
    Ok(())
}

fn validate(order: &OrderSnapshot) -> Result<()> {
    check_amounts(order)?;
    let mut cash = order.shipping_paid;
    let mut pts = order.shipping_points;
    for l in &order.lines {
        let count: u64 = l
            .units
            .iter()
            .map(|g| g.count)
            .fold(0u64, u64::saturating_add);
        if count != l.quantity {
            return Err(RuleError::invalid(
                "order.lines.units",
                "unit counts do not add up to the quantity",
            ));
        }
        let (c, p) = units_slice(&l.units, 0, l.quantity)?;
        cash = cash.checked_add(c)?;
        pts = pts.checked_add(p)?;
    }
    if cash != order.payable || pts != order.points_deduction {
        return Err(RuleError::invalid(
            "order",
            "stored amounts do not add up to the payable",
        ));
    }
    Ok(())
}

/// Units of each line refunded by `records` (by line id).
fn refunded_qty(records: &[RefundRecord], line_id: &str) -> u64 {
    records
        .iter()
        .flat_map(|r| &r.items)
        .filter(|i| i.line_id == line_id)
        .map(|i| i.quantity)
        .fold(0u64, u64::saturating_add)
}

/// Cumulative (cash, points deduction) refunded by a set of records.
fn refunded_totals(order: &OrderSnapshot, records: &[RefundRecord]) -> Result<(Money, Money)> {
    let (mut cash, mut pts) = (Money::ZERO, Money::ZERO);
    for l in &order.lines {
        let q = refunded_qty(records, &l.line_id).min(l.quantity);
        let (c, p) = units_slice(&l.units, 0, q)?;
        cash = cash.checked_add(c)?;
        pts = pts.checked_add(p)?;
    }
    if records.iter().any(|r| r.shipping_refunded) {
        cash = cash.checked_add(order.shipping_paid)?;
        pts = pts.checked_add(order.shipping_points)?;
    }
    Ok((cash, pts))
}

/// Points returned once `deduction` of the order's points deduction is refunded.
fn points_for(order: &OrderSnapshot, deduction: Money) -> u64 {
    if order.points_deduction.is_zero() {
        return 0;
    }
    if deduction >= order.points_deduction {
        return order.points_used;
    }
    ((order.points_used as u128 * deduction.as_fen() as u128)
        / order.points_deduction.as_fen() as u128) as u64
}

pub fn refund(input: &RefundInput) -> Result<RefundQuote> {
    let order = &input.order;
    validate(order)?;
    let mut seen: Vec<&str> = input
        .request
        .items
        .iter()
        .map(|i| i.line_id.as_str())
        .collect();
    seen.sort_unstable();
    if seen.windows(2).any(|w| w[0] == w[1]) {
        return Err(RuleError::invalid("request.items", "a line appears twice"));
    }
    for r in &input.previous {
        for i in &r.items {
            let line = order
                .lines
                .iter()
                .find(|l| l.line_id == i.line_id)
                .ok_or_else(|| RuleError::UnknownLine {
                    line_id: i.line_id.clone(),
                })?;
            if refunded_qty(&input.previous, &i.line_id) > line.quantity {
                return Err(RuleError::invalid(
                    "previous",
                    "more units refunded than were bought",
                ));
            }
        }
    }
    let mut lines = Vec::new();
    for item in &input.request.items {
        let line = order
            .lines
            .iter()
            .find(|l| l.line_id == item.line_id)
            .ok_or_else(|| RuleError::UnknownLine {
                line_id: item.line_id.clone(),
            })?;
        let done = refunded_qty(&input.previous, &line.line_id);
        let remaining = line.quantity - done;
        if item.quantity > remaining {
            return Err(RuleError::RefundQuantityExceeded {
                line_id: line.line_id.clone(),
                requested: item.quantity,
                remaining,
            });
        }
        if item.quantity == 0 {
            continue;
        }
        let (amount, points_deduction) = units_slice(&line.units, done, item.quantity)?;
        lines.push(RefundLine {
            line_id: line.line_id.clone(),
            quantity: item.quantity,
            amount,
            points_deduction,
        });
    }
    let shipping_done = input.previous.iter().any(|r| r.shipping_refunded);
    let with_shipping = input.request.include_shipping && !shipping_done;
    if lines.is_empty()
        && !(with_shipping
            && (order.shipping_paid.is_positive() || order.shipping_points.is_positive()))
    {
        return Err(RuleError::NothingToRefund);
    }
    let goods_amount = Money::sum(lines.iter().map(|l| l.amount))?;
    let shipping_amount = if with_shipping {
        order.shipping_paid
    } else {
        Money::ZERO
    };
    let amount = goods_amount.checked_add(shipping_amount)?;

    let (cash_before, pts_before) = refunded_totals(order, &input.previous)?;
    let pts_now =
        Money::sum(lines.iter().map(|l| l.points_deduction))?.checked_add(if with_shipping {
            order.shipping_points
        } else {
            Money::ZERO
        })?;
    let pts_after = pts_before.checked_add(pts_now)?;
    let points_returned = points_for(order, pts_after) - points_for(order, pts_before);
    let cash_after = cash_before.checked_add(amount)?;
    if cash_after > order.payable {
        return Err(RuleError::invalid("refund", "would exceed what was paid"));
    }
    let whole_order = order.lines.iter().all(|l| {
        let now = lines
            .iter()
            .find(|r| r.line_id == l.line_id)
            .map_or(0, |r| r.quantity);
        refunded_qty(&input.previous, &l.line_id).saturating_add(now) == l.quantity
    });
    // Coupons come back once: with the refund that completes the whole order.
    let whole_before = order
        .lines
        .iter()
        .all(|l| refunded_qty(&input.previous, &l.line_id) == l.quantity);
    Ok(RefundQuote {
        lines,
        goods_amount,
        shipping_amount,
        amount,
        points_returned,
        coupons_returned: if whole_order && !whole_before {
            order.coupon_ids.clone()
        } else {
            Vec::new()
        },
        whole_order,
        remaining: order.payable.checked_sub(cash_after)?,
    })
}
