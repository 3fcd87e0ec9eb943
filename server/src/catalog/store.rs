//! Categories, products (SPU), SKUs, activities, and search terms.

use crate::paging::Paging;
use std::collections::BTreeMap;

use mall_core::activity::{Activity, ActivityKind, ActivityPrice};
use mall_core::{Money, Sku};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

use crate::db::placeholders;

fn json_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Category {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub icon: String,
    pub children: Vec<Category>,
}

/// Two-level category tree, in display order.
pub async fn category_tree(conn: &mut AnyConnection) -> sqlx::Result<Vec<Category>> {
    let rows: Vec<(i64, Option<i64>, String, String)> =
        sqlx::query_as("SELECT id, parent_id, name, icon FROM categories ORDER BY sort, id")
            .fetch_all(conn)
            .await?;
    let mut roots: Vec<Category> = rows
        .iter()
        .filter(|r| r.1.is_none())
        .map(|r| Category {
            id: r.0,
            parent_id: None,
            name: r.2.clone(),
            icon: r.3.clone(),
            children: Vec::new(),
        })
        .collect();
    for r in rows.iter().filter(|r| r.1.is_some()) {
        if let Some(parent) = roots.iter_mut().find(|c| Some(c.id) == r.1) {
            parent.children.push(Category {
                id: r.0,
                parent_id: r.1,
                name: r.2.clone(),
                icon: r.3.clone(),
                children: Vec::new(),
            });
        }
    }
    Ok(roots)
}

/// A home-page banner: an image and the mini-program page it opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Banner {
    pub image: String,
    #[serde(default)]
    pub url: String,
}

pub async fn banners(conn: &mut AnyConnection) -> sqlx::Result<Vec<Banner>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT image, url FROM banners ORDER BY sort, id")
            .fetch_all(conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(image, url)| Banner { image, url })
        .collect())
}

/// Replace the banners (in the caller's transaction), in this order.
pub async fn set_banners(conn: &mut AnyConnection, banners: &[Banner]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM banners")
        .execute(&mut *conn)
        .await?;
    for (i, b) in banners.iter().enumerate() {
        sqlx::query("INSERT INTO banners (image, url, sort) VALUES ($1, $2, $3)")
            .bind(&b.image)
            .bind(&b.url)
            .bind(i as i64)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlashSaleItem {
    pub product_id: i64,
    pub sku_id: i64,
    pub title: String,
    pub image: String,
    /// The flash-sale price.
    pub price: Money,
    pub list_price: Money,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlashSale {
    pub activity_id: String,
    pub title: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub items: Vec<FlashSaleItem>,
}

/// The flash sale running at `now` that ends first (with SKUs on the shelf).
pub async fn running_flash_sale(
    conn: &mut AnyConnection,
    now: i64,
) -> sqlx::Result<Option<FlashSale>> {
    let on_shelf =
        "FROM activity_skus a JOIN skus s ON s.id = a.sku_id JOIN products p ON p.id = s.product_id
         WHERE s.on_shelf = 1 AND p.on_shelf = 1";
    let sale: Option<(String, String, i64, i64)> = sqlx::query_as(&format!(
        "SELECT id, title, starts_at, ends_at FROM activities
         WHERE kind = 'flashSale' AND starts_at <= $1 AND ends_at > $1
           AND EXISTS (SELECT 1 {on_shelf} AND a.activity_id = activities.id)
         ORDER BY ends_at, id LIMIT 1"
    ))
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((activity_id, title, starts_at, ends_at)) = sale else {
        return Ok(None);
    };
    type Row = (i64, i64, String, String, String, i64, i64);
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT p.id, s.id, p.title, s.image, p.main_image, a.price, s.list_price
         {on_shelf} AND a.activity_id = $1 ORDER BY s.id"
    ))
    .bind(&activity_id)
    .fetch_all(conn)
    .await?;
    Ok(Some(FlashSale {
        activity_id,
        title,
        starts_at,
        ends_at,
        items: rows
            .into_iter()
            .map(|r| FlashSaleItem {
                product_id: r.0,
                sku_id: r.1,
                title: r.2,
                image: if r.3.is_empty() { r.4 } else { r.3 },
                price: Money::fen(r.5),
                list_price: Money::fen(r.6),
            })
            .collect(),
    }))
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Sort {
    #[default]
    Default,
    Sales,
    PriceAsc,
    PriceDesc,
    Newest,
}

#[derive(Debug, Clone)]
pub struct ProductFilter {
    pub category_id: Option<i64>,
    pub keyword: Option<String>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub in_stock: bool,
    pub sort: Sort,
    pub paging: Paging,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductCard {
    pub id: i64,
    pub title: String,
    pub subtitle: String,
    pub image: String,
    /// Lowest list price of the SKUs on the shelf.
    pub price: Money,
    pub stock: i64,
    pub sales: i64,
}

/// One page of products matching the filter, and how many match in all.
pub async fn list_products(
    conn: &mut AnyConnection,
    f: &ProductFilter,
) -> sqlx::Result<(Vec<ProductCard>, i64)> {
    // Sentinels instead of NULL parameters keep one SQL text for both backends.
    let base = "FROM products p JOIN skus s ON s.product_id = p.id AND s.on_shelf = 1
        WHERE p.on_shelf = 1
          AND ($1 = 0 OR p.category_id = $1 OR p.category_id IN (SELECT id FROM categories WHERE parent_id = $1))
          AND ($2 = '' OR LOWER(p.title) LIKE $2 ESCAPE '\\' OR LOWER(p.keywords) LIKE $2 ESCAPE '\\' OR LOWER(p.subtitle) LIKE $2 ESCAPE '\\')
        GROUP BY p.id, p.title, p.subtitle, p.main_image, p.sales, p.created_at
        HAVING MIN(s.list_price) >= $3 AND MIN(s.list_price) <= $4 AND ($5 = 0 OR SUM(s.stock) > 0)";
    let order = match f.sort {
        Sort::Default => "p.sales DESC, p.id",
        Sort::Sales => "p.sales DESC, p.id",
        Sort::PriceAsc => "MIN(s.list_price), p.id",
        Sort::PriceDesc => "MIN(s.list_price) DESC, p.id",
        Sort::Newest => "p.created_at DESC, p.id DESC",
    };
    let kw = f
        .keyword
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(crate::db::like_contains)
        .unwrap_or_default();
    let cat = f.category_id.unwrap_or(0);
    let min = f.min_price.unwrap_or(0);
    let max = f.max_price.unwrap_or(i64::MAX);
    let in_stock = i64::from(f.in_stock);
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM (SELECT p.id {base}) t"))
        .bind(cat)
        .bind(&kw)
        .bind(min)
        .bind(max)
        .bind(in_stock)
        .fetch_one(&mut *conn)
        .await?;
    let rows: Vec<CardRow> = sqlx::query_as(&format!(
        "SELECT p.id, p.title, p.subtitle, p.main_image, MIN(s.list_price), CAST(SUM(s.stock) AS BIGINT), p.sales
         {base} ORDER BY {order} LIMIT $6 OFFSET $7"
    ))
    .bind(cat)
    .bind(&kw)
    .bind(min)
    .bind(max)
    .bind(in_stock)
    .bind(f.paging.page_size)
    .bind(f.paging.offset())
    .fetch_all(conn)
    .await?;
    Ok((rows.into_iter().map(card).collect(), total))
}

/// A product card's row: id, title, subtitle, image, lowest list price, stock, sales.
type CardRow = (i64, String, String, String, i64, i64, i64);

fn card(r: CardRow) -> ProductCard {
    ProductCard {
        id: r.0,
        title: r.1,
        subtitle: r.2,
        image: r.3,
        price: Money::fen(r.4),
        stock: r.5,
        sales: r.6,
    }
}

/// The cards of those products that can be bought now (on the shelf, with an
/// on-shelf SKU in stock), by id; the others are left out.
pub async fn sellable_cards(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> sqlx::Result<std::collections::BTreeMap<i64, ProductCard>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT p.id, p.title, p.subtitle, p.main_image, MIN(s.list_price),
                CAST(SUM(s.stock) AS BIGINT), p.sales
         FROM products p JOIN skus s ON s.product_id = p.id AND s.on_shelf = 1
         WHERE p.on_shelf = 1 AND p.id IN ({})
         GROUP BY p.id, p.title, p.subtitle, p.main_image, p.sales
         HAVING SUM(s.stock) > 0",
        crate::db::placeholders(1, ids.len())
    );
    let mut q = sqlx::query_as::<_, CardRow>(&sql);
    for id in ids {
        q = q.bind(id);
    }
    Ok(q.fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| (r.0, card(r)))
        .collect())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpecName {
    pub name: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuDetail {
    pub id: i64,
    /// One value per spec name, in the product's spec order.
    pub specs: Vec<String>,
    pub image: String,
    pub list_price: Money,
    pub stock: i64,
    pub on_shelf: bool,
    pub min_quantity: i64,
    pub per_user_limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityInfo {
    pub activity_id: String,
    pub kind: ActivityKind,
    pub title: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub per_user_limit: Option<i64>,
    /// Group buy: seats per group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_size: Option<i64>,
    pub prices: Vec<ActivitySkuPrice>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivitySkuPrice {
    pub sku_id: i64,
    pub price: Money,
    pub stock: Option<i64>,
    /// Group buy: the price of the one who opens a group (团长价).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leader_price: Option<Money>,
    /// Units a flash sale in stock buckets set aside from the SKU's stock
    /// (`stock::buckets`): they bound the sale's lines beside the SKU's own.
    #[serde(skip)]
    pub set_aside: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductDetail {
    pub id: i64,
    pub shop_id: String,
    pub category_id: i64,
    pub title: String,
    pub subtitle: String,
    pub description: String,
    pub images: Vec<String>,
    pub spec_names: Vec<SpecName>,
    pub skus: Vec<SkuDetail>,
    pub min_price: Money,
    pub max_price: Money,
    pub stock: i64,
    pub sales: i64,
    /// Activities running now or upcoming for this product's SKUs.
    pub activities: Vec<ActivityInfo>,
    /// Count, good rate and the latest reviews (`GET /api/products/{id}/reviews` pages them all).
    pub review_summary: crate::reviews::ReviewSummary,
}

pub async fn product_detail(
    conn: &mut AnyConnection,
    id: i64,
    now: i64,
) -> sqlx::Result<Option<ProductDetail>> {
    type ProductRow = (
        i64,
        String,
        i64,
        String,
        String,
        String,
        String,
        String,
        i64,
    );
    let p: Option<ProductRow> = sqlx::query_as(
        "SELECT id, shop_id, category_id, title, subtitle, description, images, spec_names, sales
         FROM products WHERE id = $1 AND on_shelf = 1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(p) = p else { return Ok(None) };
    type SkuRow = (i64, String, String, i64, i64, i64, i64, Option<i64>);
    let skus: Vec<SkuRow> = sqlx::query_as(
        "SELECT id, specs, image, list_price, stock, on_shelf, min_quantity, per_user_limit
         FROM skus WHERE product_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let skus: Vec<SkuDetail> = skus
        .into_iter()
        .map(|s| SkuDetail {
            id: s.0,
            specs: json_list(&s.1),
            image: s.2,
            list_price: Money::fen(s.3),
            stock: s.4,
            on_shelf: s.5 != 0,
            min_quantity: s.6,
            per_user_limit: s.7,
        })
        .collect();
    let on_shelf: Vec<&SkuDetail> = skus.iter().filter(|s| s.on_shelf).collect();
    let sku_ids: Vec<i64> = skus.iter().map(|s| s.id).collect();
    let review_summary = crate::reviews::summary(&mut *conn, id).await?;
    let activities = activities_for(conn, &sku_ids)
        .await?
        .into_iter()
        .filter(|a| a.ends_at > now)
        .collect();
    Ok(Some(ProductDetail {
        id: p.0,
        shop_id: p.1,
        category_id: p.2,
        title: p.3,
        subtitle: p.4,
        description: p.5,
        images: json_list(&p.6),
        spec_names: serde_json::from_str(&p.7).unwrap_or_default(),
        min_price: on_shelf
            .iter()
            .map(|s| s.list_price)
            .min()
            .unwrap_or_default(),
        max_price: on_shelf
            .iter()
            .map(|s| s.list_price)
            .max()
            .unwrap_or_default(),
        stock: on_shelf.iter().map(|s| s.stock).sum(),
        sales: p.8,
        skus,
        activities,
        review_summary,
    }))
}

/// Activities that price any of these SKUs (with all their SKU prices).
pub async fn activities_for(
    conn: &mut AnyConnection,
    sku_ids: &[i64],
) -> sqlx::Result<Vec<ActivityInfo>> {
    if sku_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT a.id, a.kind, a.title, a.starts_at, a.ends_at, a.per_user_limit, s.sku_id, s.price, s.stock,
                s.leader_price, a.group_size, s.set_aside
         FROM activities a JOIN activity_skus_left s ON s.activity_id = a.id
         WHERE a.id IN (SELECT activity_id FROM activity_skus WHERE sku_id IN ({}))
         ORDER BY a.id, s.sku_id",
        placeholders(1, sku_ids.len())
    );
    let mut q = sqlx::query_as::<
        _,
        (
            String,
            String,
            String,
            i64,
            i64,
            Option<i64>,
            i64,
            i64,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            i64,
        ),
    >(&sql);
    for id in sku_ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(conn).await?;
    let mut out: Vec<ActivityInfo> = Vec::new();
    for r in rows {
        let price = ActivitySkuPrice {
            sku_id: r.6,
            price: Money::fen(r.7),
            stock: r.8,
            leader_price: r.9.map(Money::fen),
            set_aside: r.11,
        };
        match out.last_mut() {
            Some(a) if a.activity_id == r.0 => a.prices.push(price),
            _ => out.push(ActivityInfo {
                activity_id: r.0,
                kind: serde_json::from_value(serde_json::Value::String(r.1))
                    .unwrap_or(ActivityKind::FlashSale),
                title: r.2,
                starts_at: r.3,
                ends_at: r.4,
                per_user_limit: r.5,
                group_size: r.10,
                prices: vec![price],
            }),
        }
    }
    Ok(out)
}

/// Units flash sales in stock buckets set aside, by (activity, SKU).
pub type SetAside = BTreeMap<(String, i64), i64>;

/// The core's view of activities (price rules) for these SKUs, and the units
/// those in stock buckets set aside.
pub async fn core_activities(
    conn: &mut AnyConnection,
    sku_ids: &[i64],
) -> sqlx::Result<(Vec<Activity>, SetAside)> {
    if sku_ids.is_empty() {
        return Ok(Default::default());
    }
    let infos = activities_for(&mut *conn, sku_ids).await?;
    let set_aside: SetAside = infos
        .iter()
        .flat_map(|a| {
            a.prices
                .iter()
                .filter(|p| p.set_aside > 0)
                .map(|p| ((a.activity_id.clone(), p.sku_id), p.set_aside))
        })
        .collect();
    let ids: Vec<&str> = infos.iter().map(|a| a.activity_id.as_str()).collect();
    let mut flags: BTreeMap<String, (i64, i64, Option<i64>)> = BTreeMap::new();
    if !ids.is_empty() {
        let sql = format!(
            "SELECT id, allow_coupons, allow_points, group_size FROM activities WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query_as::<_, (String, i64, i64, Option<i64>)>(&sql);
        for id in &ids {
            q = q.bind(*id);
        }
        for r in q.fetch_all(conn).await? {
            flags.insert(r.0, (r.1, r.2, r.3));
        }
    }
    let list = infos
        .into_iter()
        .map(|a| {
            let (coupons, points, group) =
                flags.get(&a.activity_id).copied().unwrap_or((0, 0, None));
            Activity {
                kind: a.kind,
                starts_at: a.starts_at,
                ends_at: a.ends_at,
                per_user_limit: a.per_user_limit.map(|n| n.max(0) as u64),
                per_sku_limit: None,
                allow_coupons: coupons != 0,
                allow_points: points != 0,
                group_size: group.map(|n| n.max(0) as u64),
                prices: a
                    .prices
                    .iter()
                    .map(|p| ActivityPrice {
                        sku_id: p.sku_id.to_string(),
                        price: p.price,
                        stock: p.stock.map(|n| n.max(0) as u64),
                        leader_price: p.leader_price,
                    })
                    .collect(),
                activity_id: a.activity_id,
            }
        })
        .collect();
    Ok((list, set_aside))
}

/// What a cart or order line shows about its SKU.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuView {
    pub sku_id: i64,
    pub product_id: i64,
    pub title: String,
    pub specs: Vec<String>,
    pub image: String,
    pub list_price: Money,
    pub stock: i64,
}

/// The catalog snapshot of some SKUs, read in one statement.
#[derive(Default)]
pub struct Snapshot {
    /// The core's SKUs.
    pub skus: Vec<Sku>,
    /// What the shopper is shown of them.
    pub views: BTreeMap<i64, SkuView>,
    /// Those some activity prices (only they need the activities read,
    /// [`core_activities`]).
    pub in_activity: Vec<i64>,
}

/// The snapshot's columns, over `skus s` joined by [`SNAPSHOT_JOINS`]; read
/// by [`Snapshot::add_row`].
pub const SNAPSHOT_COLUMNS: &str = "s.id, s.product_id, p.shop_id, p.category_id, c.parent_id, s.list_price,
    s.stock, s.on_shelf * p.on_shelf, s.min_quantity, s.per_user_limit, s.member_price, s.weight_grams,
    p.title, s.specs, s.image, p.main_image,
    CAST(CASE WHEN EXISTS (SELECT 1 FROM activity_skus x WHERE x.sku_id = s.id) THEN 1 ELSE 0 END AS BIGINT)";
/// What a SKU's snapshot joins it with.
pub const SNAPSHOT_JOINS: &str =
    "JOIN products p ON p.id = s.product_id JOIN categories c ON c.id = p.category_id";

impl Snapshot {
    /// Add the SKU whose [`SNAPSHOT_COLUMNS`] start at column `at` of `r`
    /// (once: a SKU already in is skipped; a `NULL` id, no SKU, is too).
    pub fn add_row(&mut self, r: &sqlx::any::AnyRow, at: usize) -> sqlx::Result<()> {
        let Some(id) = r.try_get::<Option<i64>, _>(at)? else {
            return Ok(());
        };
        if self.views.contains_key(&id) {
            return Ok(());
        }
        let product_id: i64 = r.try_get(at + 1)?;
        let list_price = Money::fen(r.try_get(at + 5)?);
        let stock: i64 = r.try_get(at + 6)?;
        let mut categories = vec![r.try_get::<i64, _>(at + 3)?.to_string()];
        if let Some(parent) = r.try_get::<Option<i64>, _>(at + 4)? {
            categories.push(parent.to_string());
        }
        self.skus.push(Sku {
            sku_id: id.to_string(),
            spu_id: Some(product_id.to_string()),
            shop_id: r.try_get(at + 2)?,
            category_ids: categories,
            list_price,
            stock: stock.max(0) as u64,
            on_shelf: r.try_get::<i64, _>(at + 7)? != 0,
            min_quantity: r.try_get::<i64, _>(at + 8)?.max(1) as u64,
            per_user_limit: r
                .try_get::<Option<i64>, _>(at + 9)?
                .map(|n| n.max(0) as u64),
            member_price: r.try_get::<i64, _>(at + 10)? != 0,
            weight_grams: r.try_get::<i64, _>(at + 11)?.max(0) as u64,
        });
        let image: String = r.try_get(at + 14)?;
        self.views.insert(
            id,
            SkuView {
                sku_id: id,
                product_id,
                title: r.try_get(at + 12)?,
                specs: json_list(&r.try_get::<String, _>(at + 13)?),
                image: if image.is_empty() {
                    r.try_get(at + 15)?
                } else {
                    image
                },
                list_price,
                stock,
            },
        );
        if r.try_get::<i64, _>(at + 16)? != 0 {
            self.in_activity.push(id);
        }
        Ok(())
    }
}

/// The catalog snapshot of these SKUs: the core's `Sku`, the display view,
/// and which of them are in an activity.
pub async fn snapshot(conn: &mut AnyConnection, sku_ids: &[i64]) -> sqlx::Result<Snapshot> {
    let mut out = Snapshot::default();
    if sku_ids.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT {SNAPSHOT_COLUMNS} FROM skus s {SNAPSHOT_JOINS} WHERE s.id IN ({})",
        placeholders(1, sku_ids.len())
    );
    let mut q = sqlx::query(&sql);
    for id in sku_ids {
        q = q.bind(*id);
    }
    for r in q.fetch_all(conn).await? {
        out.add_row(&r, 0)?;
    }
    Ok(out)
}

pub async fn sku_exists(conn: &mut AnyConnection, sku_id: i64) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM skus WHERE id = $1")
        .bind(sku_id)
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

pub async fn sku_stock(conn: &mut AnyConnection, sku_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT stock FROM skus WHERE id = $1")
        .bind(sku_id)
        .fetch_optional(conn)
        .await
        .map(|s| s.unwrap_or(0))
}

// ------------------------------------------------------------------ search

pub async fn record_search(
    conn: &mut AnyConnection,
    user_id: Option<i64>,
    keyword: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO search_terms (keyword, hits) VALUES ($1, 1)
         ON CONFLICT (keyword) DO UPDATE SET hits = search_terms.hits + 1",
    )
    .bind(keyword)
    .execute(&mut *conn)
    .await?;
    if let Some(uid) = user_id {
        sqlx::query(
            "INSERT INTO search_history (user_id, keyword, searched_at) VALUES ($1, $2, $3)
             ON CONFLICT (user_id, keyword) DO UPDATE SET searched_at = excluded.searched_at",
        )
        .bind(uid)
        .bind(keyword)
        .bind(now)
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// Pinned words first, then the most searched.
pub async fn hot_words(conn: &mut AnyConnection, limit: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT keyword FROM search_terms ORDER BY pinned DESC, hits DESC, keyword LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn history(conn: &mut AnyConnection, user_id: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT keyword FROM search_history WHERE user_id = $1 ORDER BY searched_at DESC, keyword LIMIT 20",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await
}

pub async fn clear_history(conn: &mut AnyConnection, user_id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM search_history WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether a product exists and is on the shelf.
pub async fn product_on_shelf(conn: &mut AnyConnection, product_id: i64) -> sqlx::Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM products WHERE id = $1 AND on_shelf = 1")
            .bind(product_id)
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}
