//! The shopper's cart.

pub mod store;

pub use store::*;

use mall_core::CartLine;

/// A stored cart item as the core's cart line.
pub fn core_line(i: &CartItem) -> CartLine {
    CartLine {
        line_id: i.id.to_string(),
        sku_id: i.sku_id.to_string(),
        quantity: i.quantity,
        selected: i.selected,
        activity_id: i.activity_id.clone(),
        seen_unit_price: None,
        group_role: None,
    }
}
