//! Choosing coupons (最优券). docs/rules.md §10.
//!
//! Every coupon in the wallet is first tried alone: those that fail are reported
//! with their reason (and 还差¥X where a threshold is missed). The usable ones are
//! grouped by slot (one per shop, one platform, one free-shipping); coupons with
//! the same effect collapse to the one that would win the tie-break. A greedy pass
//! (slot by slot in pipeline order, keeping the pick that lowers the payable most)
//! gives a first answer; then a branch-and-bound search visits every combination,
//! skipping a branch only when even the most every later slot could save (each
//! coupon's saving alone bounds its saving in any combination) cannot beat the
//! best answer. If the search needs more than `SEARCH_WORK / lines` coupon
//! applications (at least `EXACT_BUDGET`), it stops and returns the best answer
//! found so far, reported as `greedy`; it is never worse than the greedy pass or
//! any single coupon.
//!
//! Ranking: lowest payable; then the larger coupon saving; then the coupons that
//! expire sooner (sorted expiry times compared in order); then coupon ids.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::coupon::{Coupon, Slot};
use crate::error::{Result, RuleError};
use crate::money::Money;
use crate::quote::{
    AppliedCoupon, CouponChoice, CouponReport, Ledger, Outcome, Pipeline, SearchMode,
    UnusableCoupon,
};

/// Most combinations evaluated exhaustively.
pub const EXACT_BUDGET: u64 = 4096;

/// Check the per-slot and stacking rules of a combination.
pub(crate) fn check_combination(combo: &[&Coupon]) -> Result<()> {
    for (i, a) in combo.iter().enumerate() {
        for b in &combo[..i] {
            if a.slot() == b.slot() {
                return Err(RuleError::CouponLayerTaken {
                    coupon_id: a.coupon_id.clone(),
                    other_id: b.coupon_id.clone(),
                });
            }
            if a.layer() != b.layer() && !(a.stackable && b.stackable) {
                let (bad, other) = if a.stackable { (b, a) } else { (a, b) };
                return Err(RuleError::CouponNotStackable {
                    coupon_id: bad.coupon_id.clone(),
                    other_id: other.coupon_id.clone(),
                });
            }
        }
    }
    Ok(())
}

fn same_effect(a: &Coupon, b: &Coupon) -> bool {
    a.kind == b.kind
        && a.scope == b.scope
        && a.shop_id == b.shop_id
        && a.stackable == b.stackable
        && a.with_campaigns == b.with_campaigns
}

fn ordered(mut combo: Vec<&Coupon>) -> Vec<&Coupon> {
    combo.sort_by(|a, b| a.slot().cmp(&b.slot()).then(a.coupon_id.cmp(&b.coupon_id)));
    combo
}

struct Candidate<'a> {
    combo: Vec<&'a Coupon>,
    outcome: Outcome,
}

fn rank(a: &Candidate, b: &Candidate) -> Ordering {
    let expiries = |c: &Candidate| {
        let mut v: Vec<i64> = c.combo.iter().map(|c| c.valid_until).collect();
        v.sort_unstable();
        v
    };
    let ids = |c: &Candidate| {
        let mut v: Vec<String> = c.combo.iter().map(|c| c.coupon_id.clone()).collect();
        v.sort_unstable();
        v
    };
    a.outcome
        .payable
        .cmp(&b.outcome.payable)
        .then(b.outcome.saving().cmp(&a.outcome.saving()))
        .then_with(|| expiries(a).cmp(&expiries(b)))
        .then_with(|| ids(a).cmp(&ids(b)))
}

fn keep_best<'a>(best: &mut Option<Candidate<'a>>, c: Candidate<'a>) {
    if best.as_ref().is_none_or(|b| rank(&c, b) == Ordering::Less) {
        *best = Some(c);
    }
}

/// Apply the buyer's coupon choice; returns the outcome and the coupon report.
pub(crate) fn choose(p: &Pipeline) -> Result<(Outcome, CouponReport)> {
    let wallet = &p.input.buyer.coupons;
    let now = p.input.now;
    // The order without coupons must price; its errors (delivery, points) are the quote's.
    let bare = p.evaluate(&[], false)?;

    // Every coupon alone. A free-shipping coupon that saves nothing alone (the
    // delivery is already free over a threshold) may still pay off next to a goods
    // coupon that brings the goods under that threshold: it stays a candidate.
    let mut usable: Vec<(&Coupon, Outcome)> = Vec::new();
    let mut latent: Vec<&Coupon> = Vec::new();
    let mut unusable = Vec::new();
    for c in wallet {
        match c
            .check_usable_now(now)
            .and_then(|_| p.evaluate(&[c], false))
        {
            Ok(o) => usable.push((c, o)),
            Err(e) => {
                if c.layer() == 2
                    && p.shipping.is_some()
                    && matches!(e, RuleError::CouponNotApplicable { .. })
                {
                    latent.push(c);
                }
                unusable.push(UnusableCoupon {
                    coupon_id: c.coupon_id.clone(),
                    shortfall: match &e {
                        RuleError::CouponBelowThreshold { shortfall, .. } => Some(*shortfall),
                        _ => None,
                    },
                    error: e.body(),
                });
            }
        }
    }

    let (outcome, mode, combinations) = match &p.input.options.coupons {
        CouponChoice::None => (p.evaluate(&[], true)?, SearchMode::None, 0),
        CouponChoice::Manual { coupon_ids } => {
            let mut ids: Vec<&String> = coupon_ids.iter().collect();
            ids.sort();
            if ids.windows(2).any(|w| w[0] == w[1]) {
                return Err(RuleError::invalid(
                    "options.coupons.couponIds",
                    "a coupon is listed twice",
                ));
            }
            let mut combo = Vec::with_capacity(coupon_ids.len());
            for id in coupon_ids {
                let c = wallet.iter().find(|c| &c.coupon_id == id).ok_or_else(|| {
                    RuleError::CouponNotFound {
                        coupon_id: id.clone(),
                    }
                })?;
                c.check_usable_now(now)?;
                combo.push(c);
            }
            let combo = ordered(combo);
            check_combination(&combo)?;
            (p.evaluate(&combo, true)?, SearchMode::Manual, 1)
        }
        CouponChoice::Best => {
            let (combo, mode, n) = search(p, bare, &usable, &latent)?;
            (p.evaluate(&combo, true)?, mode, n)
        }
    };
    let applied: Vec<&str> = outcome
        .applied
        .iter()
        .map(|a| a.coupon_id.as_str())
        .collect();
    unusable.retain(|u| !applied.contains(&u.coupon_id.as_str()));
    unusable.sort_by(|a, b| a.coupon_id.cmp(&b.coupon_id));
    let mut available: Vec<String> = usable
        .iter()
        .map(|(c, _)| c.coupon_id.clone())
        .filter(|id| !applied.contains(&id.as_str()))
        .collect();
    available.sort();
    let report = CouponReport {
        mode,
        applied: outcome.applied.clone(),
        available,
        unusable,
        combinations,
    };
    Ok((outcome, report))
}

fn search<'a>(
    p: &Pipeline,
    bare: Outcome,
    usable: &[(&'a Coupon, Outcome)],
    latent: &[&'a Coupon],
) -> Result<(Vec<&'a Coupon>, SearchMode, u64)> {
    // Saving of each coupon alone: an upper bound of its saving in any combination
    // (earlier layers only lower its base), used to order and to prune.
    let savings: BTreeMap<&str, Money> = usable
        .iter()
        .map(|(c, o)| (c.coupon_id.as_str(), o.saving()))
        .collect();
    let alone = |c: &Coupon| -> Money {
        savings
            .get(c.coupon_id.as_str())
            .copied()
            .unwrap_or(Money::ZERO)
    };
    // Group candidate coupons by slot, slots in pipeline order.
    let mut slots: Vec<(Slot, Vec<&'a Coupon>)> = Vec::new();
    for c in usable.iter().map(|(c, _)| *c).chain(latent.iter().copied()) {
        let s = c.slot();
        match slots.iter_mut().find(|(k, _)| *k == s) {
            Some((_, v)) => v.push(c),
            None => slots.push((s, vec![c])),
        }
    }
    slots.sort_by(|a, b| a.0.cmp(&b.0));
    // Coupons with the same effect (kind, scope, flags) are interchangeable: only
    // the one that wins the tie-break (sooner expiry, then id) can be chosen.
    for (_, v) in slots.iter_mut() {
        v.sort_by(|a, b| {
            a.valid_until
                .cmp(&b.valid_until)
                .then(a.coupon_id.cmp(&b.coupon_id))
        });
        let mut kept: Vec<&Coupon> = Vec::with_capacity(v.len());
        for c in v.iter() {
            if !kept.iter().any(|k| same_effect(k, c)) {
                kept.push(c);
            }
        }
        // Most promising first, so that good answers are found early.
        kept.sort_by(|a, b| alone(b).cmp(&alone(a)).then(a.coupon_id.cmp(&b.coupon_id)));
        *v = kept;
    }

    let mut best = Some(Candidate {
        combo: Vec::new(),
        outcome: bare,
    });
    let mut evaluated = 1u64;
    for (c, o) in usable {
        keep_best(
            &mut best,
            Candidate {
                combo: vec![*c],
                outcome: o.clone(),
            },
        );
    }
    evaluated += usable.len() as u64;

    // 1. Greedy, slot by slot: a good first answer.
    let mut picked: Vec<&Coupon> = Vec::new();
    let mut current: Option<Candidate> = None;
    for (_, options) in &slots {
        let mut slot_best: Option<Candidate> = None;
        for c in options {
            let mut combo = picked.clone();
            combo.push(c);
            if check_combination(&combo).is_err() {
                continue;
            }
            evaluated += 1;
            if let Ok(outcome) = p.evaluate(&combo, false) {
                keep_best(&mut slot_best, Candidate { combo, outcome });
            }
        }
        if let Some(sb) = slot_best {
            if current
                .as_ref()
                .is_none_or(|cur| rank(&sb, cur) == Ordering::Less)
            {
                picked = sb.combo.clone();
                current = Some(sb);
            }
        }
    }
    if let Some(c) = current {
        keep_best(&mut best, c);
    }

    // 2. Branch and bound over every combination, within a budget of coupon
    //    applications that shrinks as the cart grows.
    let goods_slots = slots.iter().filter(|(s, _)| *s != Slot::Shipping).count();
    let mut suffix = vec![Money::ZERO; slots.len() + 1];
    for d in (0..slots.len()).rev() {
        let max = slots[d]
            .1
            .iter()
            .map(|c| alone(c))
            .max()
            .unwrap_or(Money::ZERO);
        let add = if d < goods_slots { max } else { Money::ZERO };
        suffix[d] = suffix[d + 1].checked_add(add)?;
    }
    let budget = (SEARCH_WORK / p.lines.len().max(1) as u64).max(EXACT_BUDGET);
    let mut bb = BranchAndBound {
        p,
        slots: &slots,
        goods_slots,
        suffix,
        best,
        nodes: 0,
        budget,
        aborted: false,
    };
    let mut combo = Vec::new();
    bb.dfs(0, &p.after_campaigns, &mut combo, Vec::new());
    evaluated += bb.nodes;
    let mode = if bb.aborted {
        SearchMode::Greedy
    } else {
        SearchMode::Exact
    };
    let combo = bb.best.map(|b| b.combo).unwrap_or_default();
    Ok((combo, mode, evaluated))
}

/// Coupon applications (times cart lines) the exact search may spend before it
/// settles for the best answer found so far.
pub const SEARCH_WORK: u64 = 1_000_000;

struct BranchAndBound<'p, 'i, 'a> {
    p: &'p Pipeline<'i>,
    slots: &'p [(Slot, Vec<&'a Coupon>)],
    goods_slots: usize,
    /// Upper bound of what the goods slots from depth d on can still save.
    suffix: Vec<Money>,
    best: Option<Candidate<'a>>,
    nodes: u64,
    budget: u64,
    aborted: bool,
}

impl<'a> BranchAndBound<'_, '_, 'a> {
    fn dfs(
        &mut self,
        d: usize,
        ledger: &Ledger,
        combo: &mut Vec<&'a Coupon>,
        applied: Vec<AppliedCoupon>,
    ) {
        if self.aborted {
            return;
        }
        if d == self.goods_slots {
            // Leaves: no free-shipping coupon, or each one.
            let mut options: Vec<Option<&'a Coupon>> = vec![None];
            if let Some((_, v)) = self.slots.get(d) {
                options.extend(v.iter().map(|c| Some(*c)));
            }
            for ship in options {
                if let Some(c) = ship {
                    combo.push(c);
                    let ok = check_combination(combo).is_ok();
                    if !ok {
                        combo.pop();
                        continue;
                    }
                }
                self.nodes += 1;
                if let Ok(outcome) = self.p.finish(ledger.clone(), applied.clone(), ship, false) {
                    if !combo.is_empty() {
                        keep_best(
                            &mut self.best,
                            Candidate {
                                combo: combo.clone(),
                                outcome,
                            },
                        );
                    }
                }
                if ship.is_some() {
                    combo.pop();
                }
            }
            return;
        }
        // Prune: even if every later goods slot saved its most, could this branch
        // beat the best answer?
        let goods = Money::sum(ledger.net.iter().copied()).unwrap_or(Money::ZERO);
        let floor = self
            .p
            .payable_floor(goods.saturating_sub_floor(self.suffix[d]));
        if self
            .best
            .as_ref()
            .is_some_and(|b| floor > b.outcome.payable)
        {
            return;
        }
        if self.nodes >= self.budget {
            self.aborted = true;
            return;
        }
        for c in &self.slots[d].1 {
            combo.push(c);
            if check_combination(combo).is_ok() {
                self.nodes += 1;
                let mut next = ledger.clone();
                if let Ok(a) = self.p.apply_goods(&mut next, c) {
                    let mut applied = applied.clone();
                    applied.push(a);
                    self.dfs(d + 1, &next, combo, applied);
                }
            }
            combo.pop();
        }
        self.dfs(d + 1, ledger, combo, applied);
    }
}
