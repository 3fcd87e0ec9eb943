//! Refunds (退款). docs/rules.md §11.
//!
//! Returned units refund their stored per-unit cash (`paid`), taken from each
//! line's first not-yet-refunded units; when earlier refunds say what cash they
//! actually paid per line (a refund in the middle of a sequence was undone), each
//! line reconciles to what it paid: a refund pays the line's cash still not given
//! back less what its units left after this one carry, so the refund that empties
//! a line pays exactly its remainder; points come back in proportion to the
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

/// Cash an earlier refund actually paid back for units of one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundedLine {
    pub line_id: String,
    /// Units of the line this refund took (as in the record's `items`).
    pub quantity: u64,
    /// Cash refunded for them (the refund quote's line `amount`).
    pub amount: Money,
}

/// A refund already made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundRecord {
    pub items: Vec<RefundItem>,
    #[serde(default)]
    pub shipping_refunded: bool,
    /// What this refund actually paid per line (its quote's `lines`). Absent: the
    /// cash is counted by units, each line's first units first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<RefundedLine>>,
    /// Points this refund actually gave back (its quote's `pointsReturned`).
    /// Absent: counted from the points deduction its units carried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_returned: Option<u64>,
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

/// Units of `line_id` a single record refunds.
fn record_qty(r: &RefundRecord, line_id: &str) -> u64 {
    r.items
        .iter()
        .filter(|i| i.line_id == line_id)
        .map(|i| i.quantity)
        .fold(0u64, u64::saturating_add)
}

/// Cash refunded so far for a line: each record's actual cash for it when the
/// record carries it, otherwise the paid of the units it took, counted in record
/// order from the line's first units (so without actual cash: the first `done`
/// units' paid).
fn line_cash_refunded(line: &OrderLineSnapshot, records: &[RefundRecord]) -> Result<Money> {
    let (mut cash, mut pos) = (Money::ZERO, 0u64);
    for r in records {
        let k = record_qty(r, &line.line_id);
        let here = match &r.lines {
            Some(lines) => Money::sum(
                lines
                    .iter()
                    .filter(|l| l.line_id == line.line_id)
                    .map(|l| l.amount),
            )?,
            None => units_slice(&line.units, pos, k)?.0,
        };
        cash = cash.checked_add(here)?;
        pos = pos.saturating_add(k);
    }
    Ok(cash)
}

/// Records that carry actual cash agree with their items, name known lines and
/// never give back more than a line paid.
fn validate_previous(order: &OrderSnapshot, records: &[RefundRecord]) -> Result<()> {
    for r in records {
        let Some(lines) = &r.lines else { continue };
        for l in lines {
            if !order.lines.iter().any(|o| o.line_id == l.line_id) {
                return Err(RuleError::UnknownLine {
                    line_id: l.line_id.clone(),
                });
            }
            if l.amount.as_fen() < 0 {
                return Err(RuleError::invalid(
                    "previous.lines.amount",
                    "amounts must not be negative",
                ));
            }
            let units: u64 = lines
                .iter()
                .filter(|x| x.line_id == l.line_id)
                .map(|x| x.quantity)
                .fold(0u64, u64::saturating_add);
            if units != record_qty(r, &l.line_id) || (units == 0 && l.amount.is_positive()) {
                return Err(RuleError::invalid(
                    "previous.lines",
                    "units do not match the record's items",
                ));
            }
        }
        if r.items
            .iter()
            .any(|i| i.quantity > 0 && !lines.iter().any(|l| l.line_id == i.line_id))
        {
            return Err(RuleError::invalid(
                "previous.lines",
                "units do not match the record's items",
            ));
        }
    }
    for line in &order.lines {
        let paid = units_slice(&line.units, 0, line.quantity)?.0;
        if line_cash_refunded(line, records)? > paid {
            return Err(RuleError::invalid(
                "previous.lines",
                "more refunded than the line paid",
            ));
        }
    }
    Ok(())
}

/// Cumulative (cash, points deduction) refunded by a set of records.
fn refunded_totals(order: &OrderSnapshot, records: &[RefundRecord]) -> Result<(Money, Money)> {
    let (mut cash, mut pts) = (Money::ZERO, Money::ZERO);
    for l in &order.lines {
        let q = refunded_qty(records, &l.line_id).min(l.quantity);
        cash = cash.checked_add(line_cash_refunded(l, records)?)?;
        pts = pts.checked_add(units_slice(&l.units, 0, q)?.1)?;
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

/// Points already given back by `records`: each record's actual points when it
/// carries them, otherwise its share of the cumulative rule, its units counted in
/// record order from each line's first units (so without actual points:
/// `points_for` the deduction refunded so far).
fn points_refunded(order: &OrderSnapshot, records: &[RefundRecord]) -> Result<u64> {
    let (mut deduction, mut total) = (Money::ZERO, 0u64);
    let mut pos: Vec<u64> = vec![0; order.lines.len()];
    let mut shipping_done = false;
    for r in records {
        let before = deduction;
        for (l, at) in order.lines.iter().zip(pos.iter_mut()) {
            let k = record_qty(r, &l.line_id);
            deduction = deduction.checked_add(units_slice(&l.units, *at, k)?.1)?;
            *at = at.saturating_add(k);
        }
        if r.shipping_refunded && !shipping_done {
            shipping_done = true;
            deduction = deduction.checked_add(order.shipping_points)?;
        }
        let here = match r.points_returned {
            Some(p) => p,
            None => points_for(order, deduction) - points_for(order, before),
        };
        total = total.saturating_add(here);
    }
    if total > order.points_used {
        return Err(RuleError::invalid(
            "previous.pointsReturned",
            "more points returned than were used",
        ));
    }
    Ok(total)
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
    validate_previous(order, &input.previous)?;
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
        let points_deduction = units_slice(&line.units, done, item.quantity)?.1;
        // What the line still has to give back, less what its units left after
        // this refund carry (its last units): without actual cash, exactly the
        // paid of the next units; the refund that empties the line pays the rest.
        let paid = units_slice(&line.units, 0, line.quantity)?.0;
        let left = paid.checked_sub(line_cash_refunded(line, &input.previous)?)?;
        let after = done + item.quantity;
        let kept = units_slice(&line.units, after, line.quantity - after)?.0;
        let amount = left.saturating_sub_floor(kept);
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
    // Cumulative: what the deduction refunded after this one is worth, less what
    // earlier refunds actually gave back (the last refund returns exactly the rest).
    let points_returned =
        points_for(order, pts_after).saturating_sub(points_refunded(order, &input.previous)?);
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
