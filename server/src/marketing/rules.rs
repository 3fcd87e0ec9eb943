//! Campaigns (满减/每满减/满折) and item promotions (N件M折, 第N件X折, 买X送Y):
//! two sections of the one `ShopRules` value in `settings`. A replacement list
//! is checked by the core (its own validation, then a quote of a small cart
//! under the whole new rules) before the rules are written back in one
//! statement, the other sections untouched.

use mall_core::promotion::{Campaign, ItemPromotion};
use mall_core::{CartLine, Money, QuoteInput, ShopRules, Sku};
use serde_json::Value;
use sqlx::AnyConnection;

use super::{MarketingError, Result};
use crate::db::Db;
use crate::shop_rules::{RulesCache, RULES_KEY};

/// The stored rules as JSON (an empty object when none are stored); `lock`
/// is `Db::for_update()` inside a read-modify-write (PostgreSQL then holds the
/// row until commit, so a concurrent change of another section is not lost).
async fn stored(conn: &mut AnyConnection, lock: &str) -> Result<Value> {
    let text = crate::db::setting(conn, RULES_KEY, lock).await?;
    Ok(match text {
        Some(t) => serde_json::from_str(&t)?,
        None => Value::Object(Default::default()),
    })
}

/// The merchant's rules as stored (activities live in their own tables).
pub async fn current(conn: &mut AnyConnection) -> Result<ShopRules> {
    Ok(serde_json::from_value(stored(conn, "").await?)?)
}

/// A one-line cart the core prices under `rules`: the core validates every
/// section of the rules before it prices anything.
fn probe(rules: &ShopRules, now: i64) -> QuoteInput {
    QuoteInput {
        now,
        catalog: vec![Sku {
            sku_id: "probe".into(),
            spu_id: None,
            shop_id: mall_core::cart::DEFAULT_SHOP.into(),
            category_ids: Vec::new(),
            list_price: Money::fen(10_000),
            stock: 10,
            on_shelf: true,
            min_quantity: 1,
            per_user_limit: None,
            member_price: false,
            weight_grams: 0,
        }],
        lines: vec![CartLine {
            line_id: "1".into(),
            sku_id: "probe".into(),
            quantity: 3,
            selected: true,
            activity_id: None,
            seen_unit_price: None,
            group_role: None,
        }],
        rules: rules.clone(),
        buyer: Default::default(),
        options: Default::default(),
    }
}

fn unique<'a>(field: &'static str, ids: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen: Vec<&str> = ids.collect();
    if seen.iter().any(|id| id.trim().is_empty()) {
        return Err(MarketingError::Invalid(
            field,
            "ids must not be empty".into(),
        ));
    }
    seen.sort_unstable();
    if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
        return Err(MarketingError::Inconsistent(
            field,
            format!("duplicate id {}", w[0]),
        ));
    }
    Ok(())
}

/// What the core would refuse, refused here: its validation of the
/// promotions and campaigns, then a quote under the whole rules.
pub fn check(rules: &ShopRules, now: i64) -> Result<()> {
    unique(
        "campaigns",
        rules.campaigns.iter().map(|c| c.campaign_id.as_str()),
    )?;
    unique(
        "itemPromotions",
        rules
            .item_promotions
            .iter()
            .map(|p| p.promotion_id.as_str()),
    )?;
    let windows = rules
        .campaigns
        .iter()
        .map(|c| (c.starts_at, c.ends_at))
        .chain(
            rules
                .item_promotions
                .iter()
                .map(|p| (p.starts_at, p.ends_at)),
        );
    for (starts, ends) in windows {
        if let (Some(s), Some(e)) = (starts, ends) {
            if e <= s {
                return Err(MarketingError::Inconsistent(
                    "endsAt",
                    "must be after startsAt".into(),
                ));
            }
        }
    }
    mall_core::promotion::validate(&rules.item_promotions, &rules.campaigns)?;
    mall_core::quote(&probe(rules, now))?;
    Ok(())
}

/// One section the merchant replaces.
pub enum Section {
    Campaigns(Vec<Campaign>),
    ItemPromotions(Vec<ItemPromotion>),
}

impl Section {
    fn key(&self) -> &'static str {
        match self {
            Section::Campaigns(_) => "campaigns",
            Section::ItemPromotions(_) => "itemPromotions",
        }
    }
}

/// Replace one section: read, check and write the rules inside one write
/// transaction. Answers (before, after) of that section.
pub async fn replace(
    db: &Db,
    cache: &RulesCache,
    section: Section,
    now: i64,
) -> Result<(Value, Value)> {
    let mut tx = db.begin_write().await?;
    let mut value = stored(&mut tx, db.for_update()).await?;
    let key = section.key();
    let new = match &section {
        Section::Campaigns(c) => serde_json::to_value(c)?,
        Section::ItemPromotions(p) => serde_json::to_value(p)?,
    };
    let obj = value
        .as_object_mut()
        .ok_or_else(|| anyhow::anyhow!("shop_rules is not a JSON object"))?;
    let before = obj
        .insert(key.to_string(), new.clone())
        .unwrap_or(Value::Array(Vec::new()));
    let rules: ShopRules = serde_json::from_value(value.clone())?;
    check(&rules, now)?;
    crate::db::put_setting(&mut tx, RULES_KEY, &serde_json::to_string(&value)?).await?;
    tx.commit().await?;
    cache.forget();
    Ok((before, new))
}
