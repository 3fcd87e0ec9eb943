//! The refund state machine. One transition table; every move is one
//! conditional `UPDATE … WHERE status IN (<its sources>)`.
//!
//! ```text
//! pending ──WeChat accepted──▶ processing ──SUCCESS──▶ success
//!    │  └──────────────SUCCESS / ABNORMAL / CLOSED──────┘  ▲
//!    │                          │                           │ (late SUCCESS)
//!    │                          ▼                           │
//!    └───────────────────────▶ abnormal ───────────────────┘
//!                               │  └──merchant retries──▶ superseded (final; a new refund row)
//!                               └──CLOSED / merchant closes──▶ closed
//! ```

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    Processing,
    Success,
    Abnormal,
    Closed,
    Superseded,
}

impl RefundStatus {
    pub const ALL: [RefundStatus; 6] = [
        RefundStatus::Pending,
        RefundStatus::Processing,
        RefundStatus::Success,
        RefundStatus::Abnormal,
        RefundStatus::Closed,
        RefundStatus::Superseded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Processing => "processing",
            RefundStatus::Success => "success",
            RefundStatus::Abnormal => "abnormal",
            RefundStatus::Closed => "closed",
            RefundStatus::Superseded => "superseded",
        }
    }

    pub fn parse(s: &str) -> Option<RefundStatus> {
        RefundStatus::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// WeChat Pay's refund status (`SUCCESS`, `CLOSED`, `ABNORMAL`,
    /// `PROCESSING`).
    pub fn from_wechat(s: &str) -> RefundStatus {
        match s {
            "SUCCESS" => RefundStatus::Success,
            "CLOSED" => RefundStatus::Closed,
            "ABNORMAL" => RefundStatus::Abnormal,
            _ => RefundStatus::Processing,
        }
    }

    /// The states a refund may move to `self` from: the transition table.
    pub fn sources(self) -> &'static [RefundStatus] {
        use RefundStatus::*;
        match self {
            Pending => &[],
            Processing => &[Pending],
            Success => &[Pending, Processing, Abnormal],
            Abnormal => &[Pending, Processing],
            Closed => &[Pending, Processing, Abnormal],
            Superseded => &[Abnormal],
        }
    }

    pub fn can_move_to(self, to: RefundStatus) -> bool {
        to.sources().contains(&self)
    }

    /// Still money on its way back (or back): counts against what is refundable.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            RefundStatus::Pending
                | RefundStatus::Processing
                | RefundStatus::Success
                | RefundStatus::Abnormal
        )
    }

    /// A state the shopper is told about.
    pub fn outcome(self) -> Option<&'static str> {
        match self {
            RefundStatus::Success | RefundStatus::Abnormal | RefundStatus::Closed => {
                Some(self.as_str())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RefundStatus::{self, *};

    #[test]
    fn the_transition_table_exactly() {
        let legal = [
            (Pending, Processing),
            (Pending, Success),
            (Processing, Success),
            (Abnormal, Success),
            (Pending, Abnormal),
            (Processing, Abnormal),
            (Pending, Closed),
            (Processing, Closed),
            (Abnormal, Closed),
            (Abnormal, Superseded),
        ];
        for from in RefundStatus::ALL {
            for to in RefundStatus::ALL {
                assert_eq!(
                    from.can_move_to(to),
                    legal.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
    }

    #[test]
    fn final_states_go_nowhere_and_names_round_trip() {
        for s in RefundStatus::ALL {
            assert_eq!(RefundStatus::parse(s.as_str()), Some(s));
        }
        for to in RefundStatus::ALL {
            assert!(!Success.can_move_to(to));
            assert!(!Closed.can_move_to(to));
            assert!(!Superseded.can_move_to(to));
        }
        assert_eq!(RefundStatus::from_wechat("SUCCESS"), Success);
        assert_eq!(RefundStatus::from_wechat("PROCESSING"), Processing);
    }
}
