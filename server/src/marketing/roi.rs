//! ROI per marketing source (docs/metrics.md, 活动ROI): the GMV of the paid
//! orders it took part in, net of their refunds, divided by the discount it
//! gave on them.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::AnyConnection;

use super::Result;

/// `num ÷ den` as a decimal string with `dp` decimals, rounded half up
/// (integers only); `None` when `den` is not positive.
pub fn ratio(num: i64, den: i64, dp: u32) -> Option<String> {
    if den <= 0 {
        return None;
    }
    let scale = 10i128.pow(dp);
    let (n, d) = (i128::from(num), i128::from(den));
    let neg = n < 0;
    let scaled = (2 * n.abs() * scale + d) / (2 * d);
    let (int, frac) = (scaled / scale, scaled % scale);
    let sign = if neg && scaled != 0 { "-" } else { "" };
    Some(if dp == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac:0width$}", width = dp as usize)
    })
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Roi {
    /// Paid orders the source gave a discount on.
    pub orders: i64,
    /// Σ (paid − refunded) of those orders, fen.
    pub gmv: i64,
    /// Σ the source's discount on them, fen.
    pub cost: i64,
    /// gmv ÷ cost, 2 decimals half up; null when cost is 0.
    pub roi: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoiReport {
    /// By campaignId.
    pub campaigns: BTreeMap<String, Roi>,
    /// By promotionId.
    pub item_promotions: BTreeMap<String, Roi>,
    /// By coupon template id.
    pub coupons: BTreeMap<String, Roi>,
    /// By activity id (cost: (list price − activity price) × quantity of its lines).
    pub activities: BTreeMap<String, Roi>,
}

type Agg = (String, String, i64, i64, i64);

fn fold(rows: Vec<Agg>, report: &mut RoiReport) {
    for (kind, id, orders, gmv, cost) in rows {
        let map = match kind.as_str() {
            "campaign" => &mut report.campaigns,
            "itemPromotion" => &mut report.item_promotions,
            "coupon" => &mut report.coupons,
            _ => &mut report.activities,
        };
        map.insert(
            id,
            Roi {
                orders,
                gmv,
                cost,
                roi: ratio(gmv, cost, 2),
            },
        );
    }
}

/// Every source's ROI over all paid orders.
pub async fn report(conn: &mut AnyConnection) -> Result<RoiReport> {
    let net = "COALESCE(o.paid_amount, o.payable) - o.refunded_amount";
    // (kind, source, order, discount) per order, for every source kind.
    let per_order = "
        SELECT a.kind AS kind, a.source_id AS source, a.order_id AS order_id, SUM(a.amount) AS cost
        FROM order_allocations a WHERE a.kind IN ('campaign', 'itemPromotion')
        GROUP BY a.kind, a.source_id, a.order_id
        UNION ALL
        SELECT 'coupon', CAST(uc.template_id AS TEXT), a.order_id, SUM(a.amount)
        FROM order_allocations a JOIN user_coupons uc ON CAST(uc.id AS TEXT) = a.source_id
        WHERE a.kind IN ('shopCoupon', 'platformCoupon')
        GROUP BY uc.template_id, a.order_id
        UNION ALL
        SELECT 'activity', ol.activity_id, ol.order_id, SUM((ol.list_price - ol.unit_price) * ol.quantity)
        FROM order_lines ol WHERE ol.activity_id IS NOT NULL
        GROUP BY ol.activity_id, ol.order_id";
    let sql = format!(
        "SELECT s.kind, s.source, COUNT(*), CAST(SUM({net}) AS BIGINT), CAST(SUM(s.cost) AS BIGINT)
         FROM ({per_order}) s JOIN orders o ON o.id = s.order_id
         WHERE o.paid_at IS NOT NULL
         GROUP BY s.kind, s.source"
    );
    let rows: Vec<Agg> = sqlx::query_as(&sql).fetch_all(conn).await?;
    let mut out = RoiReport::default();
    fold(rows, &mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::ratio;

    #[test]
    fn ratio_rounds_half_up_with_fixed_decimals() {
        assert_eq!(ratio(10, 4, 2).as_deref(), Some("2.50"));
        assert_eq!(ratio(2, 3, 2).as_deref(), Some("0.67"));
        assert_eq!(ratio(1, 8, 2).as_deref(), Some("0.13"));
        assert_eq!(ratio(1, 3, 4).as_deref(), Some("0.3333"));
        assert_eq!(ratio(0, 5, 4).as_deref(), Some("0.0000"));
        assert_eq!(ratio(-1, 8, 2).as_deref(), Some("-0.13"));
        assert_eq!(ratio(5, 0, 2), None);
    }
}
