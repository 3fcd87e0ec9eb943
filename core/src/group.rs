//! Group buy (拼团) rules. docs/rules.md §17.
//!
//! The server holds each group's counters (`held` seats, `paid` seats) and
//! races for them with conditional updates; these functions decide, from those
//! counters and the clock given as input, what a shopper may do and what a
//! group becomes at its expiry, so the phone and the server agree:
//!
//! - [`group_progress`]: 还差N人成团, seats left, seconds left, joinable or not;
//! - [`check_join`]: whether this shopper may take a seat now, or the reason not;
//! - [`group_at_expiry`]: wait, 系统成团 (auto success, never with invented
//!   members), or failed (every paid member refunded).
//!
//! A group's price is an activity price ([`crate::activity::ActivityPrice`]:
//! `price`, and `leaderPrice` for the one who opens it), chosen by the cart
//! line's `groupRole`.

use serde::{Deserialize, Serialize};

use crate::error::{Result, RuleError};

/// Smallest and largest group.
pub const MIN_SIZE: u64 = 2;
pub const MAX_SIZE: u64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GroupStatus {
    /// The leader's order is placed but not paid: nobody can join yet.
    Pending,
    /// The leader paid; seats can be taken until `expiresAt`.
    Open,
    /// Every seat paid.
    Success,
    /// 系统成团: at expiry, enough seats were paid and the activity allows it.
    AutoSuccess,
    /// Not formed at expiry: every paid member is refunded.
    Failed,
    /// The leader never paid.
    Cancelled,
}

impl GroupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupStatus::Pending => "pending",
            GroupStatus::Open => "open",
            GroupStatus::Success => "success",
            GroupStatus::AutoSuccess => "autoSuccess",
            GroupStatus::Failed => "failed",
            GroupStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<GroupStatus> {
        [
            GroupStatus::Pending,
            GroupStatus::Open,
            GroupStatus::Success,
            GroupStatus::AutoSuccess,
            GroupStatus::Failed,
            GroupStatus::Cancelled,
        ]
        .into_iter()
        .find(|g| g.as_str() == s)
    }

    /// Formed: its orders may be shipped.
    pub fn formed(self) -> bool {
        matches!(self, GroupStatus::Success | GroupStatus::AutoSuccess)
    }
}

/// Which seat a cart line buys: opening a new group, or joining one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GroupRole {
    Leader,
    Member,
}

/// A group's counters as the server holds them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupState {
    pub status: GroupStatus,
    pub size: u64,
    /// Seats taken by orders, paid or not.
    pub held: u64,
    /// Seats whose order is paid.
    pub paid: u64,
    /// Unix seconds; set when the leader pays.
    #[serde(default)]
    pub expires_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProgressInput {
    pub group: GroupState,
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupProgress {
    pub status: GroupStatus,
    pub size: u64,
    pub paid: u64,
    /// 还差N人成团: paid seats still missing.
    pub needed: u64,
    /// Seats nobody holds (an unpaid order holds its seat until it expires).
    pub seats_left: u64,
    /// Until expiry, never negative; 0 when not open.
    pub seconds_left: i64,
    /// Whether a new member could take a seat now.
    pub joinable: bool,
}

fn validate(g: &GroupState) -> Result<()> {
    let invalid = |reason: &str| RuleError::GroupInvalid {
        reason: reason.into(),
    };
    if !(MIN_SIZE..=MAX_SIZE).contains(&g.size) {
        return Err(invalid("the group size must be between 2 and 100"));
    }
    if g.paid > g.held || g.held > g.size {
        return Err(invalid("paid ≤ held ≤ size"));
    }
    match g.status {
        GroupStatus::Pending if g.paid != 0 => Err(invalid("a pending group has no paid seat")),
        GroupStatus::Open if g.paid == 0 => Err(invalid("an open group has its leader paid")),
        GroupStatus::Open if g.expires_at.is_none() => Err(invalid("an open group has an expiry")),
        GroupStatus::Success if g.paid != g.size => {
            Err(invalid("a successful group has every seat paid"))
        }
        _ => Ok(()),
    }
}

/// Where a group stands at `now` (还差N人成团, time left).
pub fn group_progress(input: &ProgressInput) -> Result<GroupProgress> {
    let g = &input.group;
    validate(g)?;
    let open = g.status == GroupStatus::Open;
    let seconds_left = match (open, g.expires_at) {
        (true, Some(e)) => e.saturating_sub(input.now).max(0),
        _ => 0,
    };
    Ok(GroupProgress {
        status: g.status,
        size: g.size,
        paid: g.paid,
        needed: g.size - g.paid,
        seats_left: g.size - g.held,
        seconds_left,
        joinable: open && seconds_left > 0 && g.held < g.size,
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JoinInput {
    pub group: GroupState,
    pub now: i64,
    /// Whether this shopper already holds a seat in the group (as leader or member).
    #[serde(default)]
    pub already_member: bool,
}

/// Whether a shopper may take a seat now; the reason when not. The server
/// takes the seat with one conditional update on the same conditions.
pub fn check_join(input: &JoinInput) -> Result<GroupProgress> {
    let p = group_progress(&ProgressInput {
        group: input.group.clone(),
        now: input.now,
    })?;
    if input.already_member {
        return Err(RuleError::GroupAlreadyJoined);
    }
    if p.status != GroupStatus::Open {
        return Err(RuleError::GroupNotOpen {
            status: p.status.as_str().into(),
        });
    }
    if p.seconds_left == 0 {
        return Err(RuleError::GroupExpired {
            expires_at: input.group.expires_at.unwrap_or(input.now),
        });
    }
    if p.seats_left == 0 {
        return Err(RuleError::GroupFull { size: p.size });
    }
    Ok(p)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpiryInput {
    pub group: GroupState,
    pub now: i64,
    /// 系统成团: at expiry, a group with at least this percentage of its seats
    /// paid is formed as it is (1–100; none: never).
    #[serde(default)]
    pub auto_success_percent: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ExpiryOutcome {
    /// Nothing to decide yet (still open, or a seat still awaits its payment).
    Wait,
    Success,
    AutoSuccess,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpiryDecision {
    pub outcome: ExpiryOutcome,
    /// Why, in words (for the merchant's log).
    pub reason: String,
}

/// What an open group becomes at its expiry. A seat held by an unpaid order
/// is waited for (it is paid or released at that order's payment timeout),
/// so no payment can arrive for a group already decided.
pub fn group_at_expiry(input: &ExpiryInput) -> Result<ExpiryDecision> {
    let g = &input.group;
    validate(g)?;
    if let Some(p) = input.auto_success_percent {
        if !(1..=100).contains(&p) {
            return Err(RuleError::invalid(
                "autoSuccessPercent",
                "must be between 1 and 100",
            ));
        }
    }
    let decide = |outcome, reason: &str| {
        Ok(ExpiryDecision {
            outcome,
            reason: reason.into(),
        })
    };
    if g.status != GroupStatus::Open {
        return Err(RuleError::GroupNotOpen {
            status: g.status.as_str().into(),
        });
    }
    if g.paid == g.size {
        return decide(ExpiryOutcome::Success, "every seat is paid");
    }
    if g.expires_at.is_some_and(|e| input.now < e) {
        return decide(ExpiryOutcome::Wait, "still open");
    }
    if g.held > g.paid {
        return decide(ExpiryOutcome::Wait, "a seat awaits its payment");
    }
    match input.auto_success_percent {
        // paid / size ≥ p / 100, in integers.
        Some(p) if g.paid * 100 >= g.size * p => decide(
            ExpiryOutcome::AutoSuccess,
            "系统成团: enough seats were paid",
        ),
        _ => decide(ExpiryOutcome::Failed, "not formed in time"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(size: u64, held: u64, paid: u64) -> GroupState {
        GroupState {
            status: GroupStatus::Open,
            size,
            held,
            paid,
            expires_at: Some(1000),
        }
    }

    #[test]
    fn a_full_group_refuses_the_next_joiner_even_before_they_pay() {
        let e = check_join(&JoinInput {
            group: open(3, 3, 1),
            now: 10,
            already_member: false,
        })
        .unwrap_err();
        assert_eq!(e.code(), "GROUP_FULL");
    }

    #[test]
    fn expiry_waits_for_held_seats_then_fails_or_forms_by_the_threshold() {
        let at = |g: GroupState, auto| {
            group_at_expiry(&ExpiryInput {
                group: g,
                now: 1000,
                auto_success_percent: auto,
            })
            .unwrap()
            .outcome
        };
        assert_eq!(at(open(3, 2, 1), None), ExpiryOutcome::Wait);
        assert_eq!(at(open(3, 2, 2), None), ExpiryOutcome::Failed);
        // 2 of 3 paid is 66.7%: formed at a 60% threshold, not at 67%.
        assert_eq!(at(open(3, 2, 2), Some(60)), ExpiryOutcome::AutoSuccess);
        assert_eq!(at(open(3, 2, 2), Some(67)), ExpiryOutcome::Failed);
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in [
            GroupStatus::Pending,
            GroupStatus::Open,
            GroupStatus::Success,
            GroupStatus::AutoSuccess,
            GroupStatus::Failed,
            GroupStatus::Cancelled,
        ] {
            assert_eq!(GroupStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }
}
