//! The merchant's rules as the console edits them: one `ShopRules` value in
//! `settings` (key [`RULES_KEY`]), changed one section at a time. A section is
//! replaced in a read-modify-write inside one write transaction, so the other
//! sections stay exactly as they were; before it is saved the whole proposed
//! value is priced through `mall_core::quote` on a small cart, so a rule the
//! core would refuse at checkout is refused here, with the core's code.

use mall_core::shipping::{ExpressTemplate, SameCityRule};
use mall_core::{
    Buyer, CartLine, Delivery, MemberProgram, PointsChoice, PointsRule, QuoteInput, QuoteOptions,
    RuleError, ShopRules, Sku,
};
use serde_json::Value;
use sqlx::AnyConnection;

pub mod cache;
pub use cache::RulesCache;

/// The `settings` key of the shop's rules.
pub const RULES_KEY: &str = "shop_rules";
use crate::db::Db;
use crate::staff::{audit, StaffMember};

#[derive(Debug, thiserror::Error)]
pub enum ShopRulesError {
    /// The core refuses the proposed rules (its code and field).
    #[error("rule: {0}")]
    Rule(#[from] RuleError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

/// One section of the rules, as the console replaces it.
#[derive(Debug, Clone)]
pub enum Section {
    /// Levels, growth and points earned per yuan.
    Member(MemberProgram),
    /// Paying with points (积分抵扣).
    Points(PointsRule),
    /// Express templates (each with its free-shipping threshold).
    Express(Vec<ExpressTemplate>),
    /// Pickup store ids.
    Pickup(Vec<String>),
    /// Same-city delivery; `None` = not offered.
    SameCity(Option<SameCityRule>),
}

impl Section {
    /// The audit action.
    fn action(&self) -> &'static str {
        match self {
            Section::Member(_) => "rules.member",
            Section::Points(_) => "rules.points",
            Section::Express(_) => "rules.express",
            Section::Pickup(_) => "rules.pickup",
            Section::SameCity(_) => "rules.sameCity",
        }
    }

    fn apply(self, rules: &mut ShopRules) {
        match self {
            Section::Member(m) => rules.member = m,
            Section::Points(p) => rules.points = Some(p),
            Section::Express(t) => rules.shipping.express = t,
            Section::Pickup(s) => rules.shipping.pickup_stores = s,
            Section::SameCity(s) => rules.shipping.same_city = s,
        }
    }

    /// The section's part of a rules value, as JSON (for the audit log).
    fn of(&self, rules: &ShopRules) -> Value {
        let v = match self {
            Section::Member(_) => serde_json::to_value(&rules.member),
            Section::Points(_) => serde_json::to_value(&rules.points),
            Section::Express(_) => serde_json::to_value(&rules.shipping.express),
            Section::Pickup(_) => serde_json::to_value(&rules.shipping.pickup_stores),
            Section::SameCity(_) => serde_json::to_value(&rules.shipping.same_city),
        };
        v.unwrap_or_default()
    }
}

/// The stored rules (without the catalog's activities, which live with the
/// products): the default rules when none were ever saved.
pub async fn load(conn: &mut AnyConnection) -> Result<ShopRules, ShopRulesError> {
    load_with(conn, "").await
}

async fn load_with(conn: &mut AnyConnection, lock: &str) -> Result<ShopRules, ShopRulesError> {
    parse(crate::db::setting(conn, RULES_KEY, lock).await?)
}

/// The rules from their stored text (`settings` under [`RULES_KEY`]; `None`:
/// never saved, the default rules).
pub fn parse(text: Option<String>) -> Result<ShopRules, ShopRulesError> {
    Ok(match text {
        Some(t) => serde_json::from_str(&t).map_err(anyhow::Error::from)?,
        None => ShopRules::default(),
    })
}

/// Replace one section: read, change that section only, check with the core,
/// write, and record who changed what (before → after) in the same transaction.
/// Returns the rules as saved.
pub async fn replace(
    db: &Db,
    cache: &RulesCache,
    section: Section,
    who: &StaffMember,
    now: i64,
) -> Result<ShopRules, ShopRulesError> {
    let mut tx = db.begin_write().await?;
    let mut rules = load_with(&mut tx, db.for_update()).await?;
    let before = section.of(&rules);
    let action = section.action();
    let probe = section.clone();
    section.apply(&mut rules);
    check(&rules, now)?;
    let after = probe.of(&rules);
    let text = serde_json::to_string(&rules).map_err(anyhow::Error::from)?;
    crate::db::put_setting(&mut tx, RULES_KEY, &text).await?;
    audit::record(
        &mut tx,
        who,
        action,
        "settings:shop_rules",
        Some(&before),
        Some(&after),
        now,
    )
    .await?;
    tx.commit().await?;
    cache.forget();
    Ok(rules)
}

/// Codes that mean the rules themselves are wrong (not the probe cart's
/// situation, such as a region no template serves).
fn refuses(e: &RuleError) -> bool {
    matches!(e.code(), "INVALID_INPUT" | "AMOUNT_OVERFLOW")
}

/// Price a small cart through the core with `rules`, once per level and once
/// per delivery method configured, with points offered: an error the core
/// reports about the rules refuses them.
pub fn check(rules: &ShopRules, now: i64) -> Result<(), RuleError> {
    let mut shops: Vec<&str> = rules
        .shipping
        .express
        .iter()
        .map(|t| t.shop_id.as_str())
        .collect();
    shops.push("self");
    shops.sort_unstable();
    shops.dedup();
    let catalog: Vec<Sku> = shops
        .iter()
        .enumerate()
        .map(|(i, shop)| Sku {
            sku_id: format!("probe-{i}"),
            spu_id: None,
            shop_id: (*shop).to_string(),
            category_ids: Vec::new(),
            list_price: mall_core::Money::fen(12_345),
            stock: 100,
            on_shelf: true,
            min_quantity: 1,
            per_user_limit: None,
            member_price: true,
            weight_grams: 1_250,
        })
        .collect();
    let lines: Vec<CartLine> = catalog
        .iter()
        .map(|s| CartLine {
            line_id: s.sku_id.clone(),
            sku_id: s.sku_id.clone(),
            quantity: 3,
            selected: true,
            activity_id: None,
            seen_unit_price: None,
            group_role: None,
        })
        .collect();
    let mut deliveries: Vec<Option<Delivery>> = vec![None];
    let mut regions: Vec<String> = rules
        .shipping
        .express
        .iter()
        .flat_map(|t| t.rules.iter().flat_map(|r| r.regions.iter().cloned()))
        .collect();
    regions.push("110101".into());
    regions.sort_unstable();
    regions.dedup();
    for region_code in regions {
        deliveries.push(Some(Delivery::Express { region_code }));
    }
    if let Some(store_id) = rules.shipping.pickup_stores.first() {
        deliveries.push(Some(Delivery::Pickup {
            store_id: store_id.clone(),
        }));
    }
    if let Some(sc) = &rules.shipping.same_city {
        for t in &sc.tiers {
            deliveries.push(Some(Delivery::SameCity {
                distance_meters: t.max_meters,
                slot_id: None,
            }));
        }
        for s in &sc.slots {
            deliveries.push(Some(Delivery::SameCity {
                distance_meters: 0,
                slot_id: Some(s.slot_id.clone()),
            }));
        }
    }
    let mut growths: Vec<u64> = rules.member.levels.iter().map(|l| l.min_growth).collect();
    growths.push(0);
    for (i, growth) in growths.iter().enumerate() {
        // Every level once (without delivery), every delivery once (lowest level).
        let ds: &[Option<Delivery>] = if i == growths.len() - 1 {
            &deliveries
        } else {
            &deliveries[..1]
        };
        for delivery in ds {
            let input = QuoteInput {
                now,
                catalog: catalog.clone(),
                lines: lines.clone(),
                rules: rules.clone(),
                buyer: Buyer {
                    growth: *growth,
                    points_balance: 1_000_000,
                    purchased: Vec::new(),
                    coupons: Vec::new(),
                },
                options: QuoteOptions {
                    points: PointsChoice::Max,
                    delivery: delivery.clone(),
                    ..QuoteOptions::default()
                },
            };
            match mall_core::quote(&input) {
                Err(e) if refuses(&e) => return Err(e),
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(v: Value) -> ShopRules {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn the_probe_refuses_what_the_core_refuses_with_its_code_and_field() {
        let bad_rate = rules(json!({"member": {"levels": [
            {"levelId": "vip", "name": "VIP", "minGrowth": 0, "discountRate": "1.2", "pointsMultiplier": "1"}
        ], "growthPerYuan": "1", "pointsPerYuan": "1"}}));
        let e = check(&bad_rate, 0).unwrap_err();
        assert_eq!(e.code(), "INVALID_INPUT");
        assert_eq!(e.body().details["field"], "levels.discountRate");

        let negative_fee = rules(
            json!({"shipping": {"express": [{"shopId": "self", "basis": "piece",
            "rules": [{"first": 1, "firstFee": -1, "additional": 1, "additionalFee": 0}]}]}}),
        );
        assert_eq!(check(&negative_fee, 0).unwrap_err().code(), "INVALID_INPUT");

        let no_points = rules(json!({"points": {"pointsPerYuan": 0, "maxShare": "0.5"}}));
        assert_eq!(check(&no_points, 0).unwrap_err().code(), "INVALID_INPUT");
    }

    #[test]
    fn the_probe_accepts_rules_a_shopper_may_merely_not_meet() {
        // No default express rule (some regions undeliverable), a slot in the
        // past, a pickup store: situations of a cart, not faults of the rules.
        let ok = rules(json!({
            "member": {"levels": [{"levelId": "gold", "name": "黄金", "minGrowth": 2000,
                "discountRate": "0.95", "freeShipping": true, "pointsMultiplier": "1.5"}],
                "growthPerYuan": "1", "pointsPerYuan": "1"},
            "points": {"pointsPerYuan": 100, "maxShare": "0.3"},
            "shipping": {
                "express": [{"shopId": "self", "basis": "weight", "freeOver": 9900,
                    "rules": [{"regions": ["31"], "first": 1000, "firstFee": 800, "additional": 500, "additionalFee": 200}]}],
                "pickupStores": ["store-1"],
                "sameCity": {"tiers": [{"maxMeters": 3000, "fee": 500}],
                    "slots": [{"slotId": "s1", "startsAt": 0, "endsAt": 3600, "surcharge": 300}],
                    "late": {"tiers": [{"afterMinutes": 1, "compensation": {"kind": "shareOfGoods", "rate": "0.5"}}], "cap": 2000}}
            }
        }));
        check(&ok, 1_800_000_000).unwrap();
    }
}
