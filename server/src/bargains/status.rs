//! A bargain's states and the one transition table. Every change is an
//! `UPDATE … WHERE status IN (<sources>)` with the sources bound from here, so
//! two racing changes cannot both win.
//!
//! `open` (helpers come) → `floor` (the N-th help: the floor is reached) →
//! `ordered` (an order bound it; from `open` too when the activity allows
//! buying before the floor) → back to `open` / `floor` when that order is
//! cancelled or expires unpaid, or `expired` if the bargain's time is up by then.
//! An `open` or `floor` bargain past its `expires_at` is shown as `expired`.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum BargainStatus {
    Open,
    Floor,
    Ordered,
    Expired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A helper claims the next cut.
    Help,
    /// An order binds the bargain.
    Order,
    /// The bound order was cancelled or expired unpaid.
    Release,
}

use Action::*;
use BargainStatus::*;

/// (action, from, the states it may lead to).
const TRANSITIONS: &[(Action, BargainStatus, &[BargainStatus])] = &[
    (Help, Open, &[Open, Floor]),
    (Order, Open, &[Ordered]),
    (Order, Floor, &[Ordered]),
    (Release, Ordered, &[Open, Floor, Expired]),
];

impl BargainStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Open => "open",
            Floor => "floor",
            Ordered => "ordered",
            Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<BargainStatus> {
        [Open, Floor, Ordered, Expired]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    /// The states `action` starts from (bound into the UPDATE's WHERE).
    pub fn sources(action: Action) -> Vec<BargainStatus> {
        TRANSITIONS
            .iter()
            .filter(|t| t.0 == action)
            .map(|t| t.1)
            .collect()
    }

    /// Whether `action` may take this state to `to`.
    pub fn allows(self, action: Action, to: BargainStatus) -> bool {
        TRANSITIONS
            .iter()
            .any(|t| t.0 == action && t.1 == self && t.2.contains(&to))
    }

    /// What the shopper is shown: a live bargain past its time is expired.
    pub fn shown(self, expires_at: i64, now: i64) -> BargainStatus {
        match self {
            Open | Floor if expires_at <= now => Expired,
            s => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_open_bargain_takes_helps_and_only_a_live_one_takes_an_order() {
        assert_eq!(BargainStatus::sources(Help), vec![Open]);
        assert_eq!(BargainStatus::sources(Order), vec![Open, Floor]);
        assert_eq!(BargainStatus::sources(Release), vec![Ordered]);
        assert!(Open.allows(Help, Floor));
        assert!(!Floor.allows(Help, Floor));
        assert!(!Expired.allows(Order, Ordered));
        assert!(Ordered.allows(Release, Expired));
    }

    #[test]
    fn a_live_bargain_past_its_time_is_shown_expired() {
        assert_eq!(Open.shown(100, 100), Expired);
        assert_eq!(Floor.shown(100, 99), Floor);
        assert_eq!(Ordered.shown(100, 200), Ordered);
        for s in [Open, Floor, Ordered, Expired] {
            assert_eq!(BargainStatus::parse(s.as_str()), Some(s));
        }
    }
}
