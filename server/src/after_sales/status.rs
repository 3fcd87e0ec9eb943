//! The after-sales state machine: one enum, one transition table; every step
//! is one conditional `UPDATE … WHERE status IN (<its sources>)`.
//!
//! ```text
//! requested ──approve (refund only)──────────────────────────▶ refunding ─▶ refunded
//!     │      └approve (return)▶ awaiting_return ─return▶ returned ─receive┘ │  ▲
//!     │                                                                     │  │ retry
//!     │                                            refund_closed ◀──close── refund_abnormal
//!     │                                            (undone)      ◀──CLOSED── refunding
//!     └──reject──▶ rejected  (awaiting_return / returned can be rejected too)
//! ```

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterSaleStatus {
    Requested,
    AwaitingReturn,
    Returned,
    Refunding,
    Refunded,
    RefundAbnormal,
    RefundClosed,
    Rejected,
}

/// What happens to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The merchant approves a return-and-refund: the goods come back first.
    ApproveReturn,
    /// The merchant approves a refund-only request: the refund is decided and queued.
    ApproveRefund,
    /// The merchant received the returned goods: the refund is decided and queued.
    ReceiveReturn,
    ShopperReturns,
    Reject,
    RefundSucceeded,
    RefundAbnormal,
    /// The merchant re-sends an abnormal refund.
    RefundRetried,
    /// The refund ended closed: the approval is undone.
    RefundClosed,
}

impl AfterSaleStatus {
    pub const ALL: [AfterSaleStatus; 8] = [
        AfterSaleStatus::Requested,
        AfterSaleStatus::AwaitingReturn,
        AfterSaleStatus::Returned,
        AfterSaleStatus::Refunding,
        AfterSaleStatus::Refunded,
        AfterSaleStatus::RefundAbnormal,
        AfterSaleStatus::RefundClosed,
        AfterSaleStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AfterSaleStatus::Requested => "requested",
            AfterSaleStatus::AwaitingReturn => "awaiting_return",
            AfterSaleStatus::Returned => "returned",
            AfterSaleStatus::Refunding => "refunding",
            AfterSaleStatus::Refunded => "refunded",
            AfterSaleStatus::RefundAbnormal => "refund_abnormal",
            AfterSaleStatus::RefundClosed => "refund_closed",
            AfterSaleStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<AfterSaleStatus> {
        AfterSaleStatus::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// A request that still holds its units (not rejected, not closed).
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            AfterSaleStatus::Rejected | AfterSaleStatus::RefundClosed
        )
    }

    /// Approved: its refund is the core's `previous`.
    pub fn is_approved(self) -> bool {
        matches!(
            self,
            AfterSaleStatus::Refunding
                | AfterSaleStatus::Refunded
                | AfterSaleStatus::RefundAbnormal
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            AfterSaleStatus::Requested => "待审核",
            AfterSaleStatus::AwaitingReturn => "待退货",
            AfterSaleStatus::Returned => "已寄回",
            AfterSaleStatus::Refunding => "退款中",
            AfterSaleStatus::Refunded => "已退款",
            AfterSaleStatus::RefundAbnormal => "退款异常",
            AfterSaleStatus::RefundClosed => "退款关闭",
            AfterSaleStatus::Rejected => "已拒绝",
        }
    }
}

impl Step {
    /// The transition table: where a step may start, and where it leads.
    pub fn table(self) -> (&'static [AfterSaleStatus], AfterSaleStatus) {
        use AfterSaleStatus::*;
        match self {
            Step::ApproveReturn => (&[Requested], AwaitingReturn),
            Step::ApproveRefund => (&[Requested], Refunding),
            Step::ReceiveReturn => (&[AwaitingReturn, Returned], Refunding),
            Step::ShopperReturns => (&[AwaitingReturn], Returned),
            Step::Reject => (&[Requested, AwaitingReturn, Returned], Rejected),
            Step::RefundSucceeded => (&[Refunding, RefundAbnormal], Refunded),
            Step::RefundAbnormal => (&[Refunding], RefundAbnormal),
            Step::RefundRetried => (&[RefundAbnormal], Refunding),
            Step::RefundClosed => (&[Refunding, RefundAbnormal], RefundClosed),
        }
    }

    pub fn from_statuses(self) -> &'static [AfterSaleStatus] {
        self.table().0
    }

    pub fn to(self) -> AfterSaleStatus {
        self.table().1
    }

    pub fn apply(self, from: AfterSaleStatus) -> Option<AfterSaleStatus> {
        self.from_statuses().contains(&from).then(|| self.to())
    }
}

/// `'a', 'b'` for `status IN (…)`, from typed states' names (constants only).
pub fn quoted(names: impl IntoIterator<Item = &'static str>) -> String {
    names
        .into_iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// [`quoted`] for after-sales states.
pub fn sql_list(states: &[AfterSaleStatus]) -> String {
    quoted(states.iter().map(|s| s.as_str()))
}

#[cfg(test)]
mod tests {
    use super::AfterSaleStatus::*;
    use super::*;

    const STEPS: [Step; 9] = [
        Step::ApproveReturn,
        Step::ApproveRefund,
        Step::ReceiveReturn,
        Step::ShopperReturns,
        Step::Reject,
        Step::RefundSucceeded,
        Step::RefundAbnormal,
        Step::RefundRetried,
        Step::RefundClosed,
    ];

    #[test]
    fn every_step_from_every_state() {
        let legal: &[(AfterSaleStatus, Step, AfterSaleStatus)] = &[
            (Requested, Step::ApproveReturn, AwaitingReturn),
            (Requested, Step::ApproveRefund, Refunding),
            (AwaitingReturn, Step::ReceiveReturn, Refunding),
            (Returned, Step::ReceiveReturn, Refunding),
            (AwaitingReturn, Step::ShopperReturns, Returned),
            (Requested, Step::Reject, Rejected),
            (AwaitingReturn, Step::Reject, Rejected),
            (Returned, Step::Reject, Rejected),
            (Refunding, Step::RefundSucceeded, Refunded),
            (RefundAbnormal, Step::RefundSucceeded, Refunded),
            (Refunding, Step::RefundAbnormal, RefundAbnormal),
            (RefundAbnormal, Step::RefundRetried, Refunding),
            (Refunding, Step::RefundClosed, RefundClosed),
            (RefundAbnormal, Step::RefundClosed, RefundClosed),
        ];
        for from in AfterSaleStatus::ALL {
            for step in STEPS {
                let want = legal
                    .iter()
                    .find(|(f, s, _)| *f == from && *s == step)
                    .map(|t| t.2);
                assert_eq!(step.apply(from), want, "{from:?} {step:?}");
            }
        }
    }

    #[test]
    fn final_states_take_no_step_and_names_round_trip() {
        for s in AfterSaleStatus::ALL {
            assert_eq!(AfterSaleStatus::parse(s.as_str()), Some(s));
        }
        for step in STEPS {
            assert_eq!(step.apply(Refunded), None);
            assert_eq!(step.apply(Rejected), None);
            assert_eq!(step.apply(RefundClosed), None);
        }
        assert!(Refunding.is_approved() && !Requested.is_approved());
        assert!(!Rejected.is_open() && Returned.is_open());
    }
}
