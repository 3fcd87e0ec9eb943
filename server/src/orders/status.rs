//! The order state machine: one table of legal transitions. Every status change
//! goes through [`OrderStatus::apply`]; the database update is conditional on
//! the status read (`WHERE status = $from`), so two racing transitions cannot
//! both win.
//!
//! ```text
//! pending_payment ──pay──▶ paid ──ship──▶ shipped ──confirmReceipt──▶ completed (received)
//!        │                 │ ▲ └──writeOff (store pickup)──────────────▶ completed
//!        │      awaitGroup │ │ groupFormed
//!        │                 ▼ │
//!        │               grouping (拼团: paid, waiting for the group) ──refundAll (failed)──▶ refunded
//!        └─cancel / expire─▶ cancelled
//! paid | shipped | completed ──refundAll (every unit refunded)──▶ refunded
//! refunded ──the completing refund ends CLOSED (undone)──▶ the status before refundAll
//! ```
//!
//! After-sales requests (partial refunds) live beside the order (`after_sales`)
//! and leave its status alone until the last unit is refunded. A payment that
//! arrives for a cancelled order is refunded, never turned into `paid`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    PendingPayment,
    Paid,
    /// Paid into a group buy that has not formed yet: not shippable.
    Grouping,
    Shipped,
    Completed,
    Cancelled,
    Refunded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    Pay,
    Cancel,
    Expire,
    Ship,
    ConfirmReceipt,
    WriteOff,
    RefundAll,
    /// A paid group-buy order waits for its group.
    AwaitGroup,
    /// Its group formed: the order can be shipped.
    GroupFormed,
}

/// The order-list tabs of the mini-program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Tab {
    All,
    /// 待付款
    Unpaid,
    /// 待发货
    ToShip,
    /// 待收货
    ToReceive,
    /// 已完成
    Completed,
    /// 售后
    AfterSale,
}

impl Tab {
    pub fn status(self) -> Option<OrderStatus> {
        match self {
            Tab::All => None,
            Tab::Unpaid => Some(OrderStatus::PendingPayment),
            Tab::ToShip => Some(OrderStatus::Paid),
            Tab::ToReceive => Some(OrderStatus::Shipped),
            Tab::Completed => Some(OrderStatus::Completed),
            // Orders with after-sales requests, whatever their status.
            Tab::AfterSale => None,
        }
    }
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::PendingPayment,
        OrderStatus::Paid,
        OrderStatus::Grouping,
        OrderStatus::Shipped,
        OrderStatus::Completed,
        OrderStatus::Cancelled,
        OrderStatus::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Grouping => "grouping",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// What the shopper sees.
    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "待付款",
            OrderStatus::Paid => "待发货",
            OrderStatus::Grouping => "待成团",
            OrderStatus::Shipped => "待收货",
            OrderStatus::Completed => "已完成",
            OrderStatus::Cancelled => "已取消",
            OrderStatus::Refunded => "已退款",
        }
    }

    /// The one transition table.
    pub fn apply(self, action: Action) -> Option<OrderStatus> {
        use Action::*;
        use OrderStatus::*;
        match (self, action) {
            (PendingPayment, Pay) => Some(Paid),
            (PendingPayment, Cancel | Expire) => Some(Cancelled),
            (Paid, Ship) => Some(Shipped),
            (Shipped, ConfirmReceipt) => Some(Completed),
            (Paid, WriteOff) => Some(Completed),
            (Paid | Shipped | Completed | Grouping, RefundAll) => Some(Refunded),
            (Paid, AwaitGroup) => Some(Grouping),
            (Grouping, GroupFormed) => Some(Paid),
            _ => None,
        }
    }

    /// Undo `refundAll` when the refund that completed the order ends closed
    /// (its effects undone): back to `before`, the status it was refunded from.
    pub fn reopen(self, before: OrderStatus) -> Option<OrderStatus> {
        use OrderStatus::*;
        match (self, before) {
            (Refunded, Paid | Shipped | Completed) => Some(before),
            _ => None,
        }
    }

    /// Actions the shopper can take now (buttons on the order page).
    pub fn shopper_actions(self) -> Vec<Action> {
        [Action::Cancel, Action::ConfirmReceipt]
            .into_iter()
            .filter(|a| self.apply(*a).is_some())
            .collect()
    }
}

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Action::Pay => "支付",
            Action::Cancel => "取消",
            Action::Expire => "超时关闭",
            Action::Ship => "发货",
            Action::ConfirmReceipt => "确认收货",
            Action::WriteOff => "核销提货",
            Action::RefundAll => "全额退款",
            Action::AwaitGroup => "等待成团",
            Action::GroupFormed => "拼团成功",
        }
    }

    /// The timestamp column the transition stamps.
    pub fn stamp_column(self) -> Option<&'static str> {
        match self {
            Action::Pay => Some("paid_at"),
            Action::Cancel | Action::Expire => Some("cancelled_at"),
            Action::Ship => Some("shipped_at"),
            Action::ConfirmReceipt | Action::WriteOff => Some("completed_at"),
            Action::RefundAll | Action::AwaitGroup | Action::GroupFormed => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unpaid_orders_can_be_cancelled() {
        for s in OrderStatus::ALL {
            assert_eq!(
                s.apply(Action::Cancel).is_some(),
                s == OrderStatus::PendingPayment,
                "{s:?}"
            );
        }
    }

    #[test]
    fn receipt_is_confirmed_only_after_shipping() {
        assert_eq!(
            OrderStatus::Shipped.apply(Action::ConfirmReceipt),
            Some(OrderStatus::Completed)
        );
        assert_eq!(OrderStatus::Paid.apply(Action::ConfirmReceipt), None);
        assert_eq!(OrderStatus::Cancelled.apply(Action::Pay), None);
    }

    #[test]
    fn only_unpaid_orders_become_paid_and_nothing_leaves_a_terminal_state() {
        for s in OrderStatus::ALL {
            assert_eq!(
                s.apply(Action::Pay).is_some(),
                s == OrderStatus::PendingPayment
            );
        }
        for terminal in [OrderStatus::Cancelled, OrderStatus::Refunded] {
            for a in [
                Action::Pay,
                Action::Cancel,
                Action::Expire,
                Action::Ship,
                Action::ConfirmReceipt,
                Action::WriteOff,
                Action::RefundAll,
                Action::AwaitGroup,
                Action::GroupFormed,
            ] {
                assert_eq!(terminal.apply(a), None, "{terminal:?} {a:?}");
            }
        }
    }

    #[test]
    fn only_a_refunded_order_reopens_and_only_to_a_paid_status() {
        for s in OrderStatus::ALL {
            for before in OrderStatus::ALL {
                let ok = s == OrderStatus::Refunded
                    && matches!(
                        before,
                        OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Completed
                    );
                assert_eq!(s.reopen(before), ok.then_some(before), "{s:?} {before:?}");
            }
        }
    }

    #[test]
    fn a_group_order_waits_unshippable_until_its_group_forms_or_is_refunded() {
        let g = OrderStatus::Paid.apply(Action::AwaitGroup).unwrap();
        assert_eq!(g, OrderStatus::Grouping);
        assert_eq!(g.apply(Action::Ship), None);
        assert_eq!(g.apply(Action::WriteOff), None);
        assert_eq!(g.apply(Action::Cancel), None);
        assert_eq!(g.apply(Action::GroupFormed), Some(OrderStatus::Paid));
        assert_eq!(g.apply(Action::RefundAll), Some(OrderStatus::Refunded));
        assert_eq!(OrderStatus::Shipped.apply(Action::AwaitGroup), None);
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }
}
