//! The merchant's side of the catalog (the console's 商品 page): two-level
//! categories, the product list with stock and price ranges, a product with
//! its spec matrix (e.g. 颜色 × 尺码: one SKU per combination, checked by
//! [`check_matrix`]), batch on/off shelf. A SKU's stock set here goes through
//! the stock ledger; a SKU left out of an edit is taken off sale, never
//! deleted (orders refer to it).

use std::collections::BTreeSet;

use serde::Serialize;
use sqlx::AnyConnection;

use super::SpecName;
use crate::db::{self, Db};
use crate::paging::Paging;
use crate::stock::ledger;

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error("spec matrix: {0}")]
    Matrix(String),
    #[error("categories have two levels")]
    TooDeep,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Category {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub sort: i64,
}

pub async fn categories(conn: &mut AnyConnection) -> sqlx::Result<Vec<Category>> {
    let rows: Vec<(i64, Option<i64>, String, i64)> =
        sqlx::query_as("SELECT id, parent_id, name, sort FROM categories ORDER BY sort, id")
            .fetch_all(conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, parent_id, name, sort)| Category {
            id,
            parent_id,
            name,
            sort,
        })
        .collect())
}

/// A category at the top, or under a top-level one (two levels at most).
pub async fn create_category(
    conn: &mut AnyConnection,
    parent_id: Option<i64>,
    name: &str,
    sort: i64,
) -> Result<Category, ManageError> {
    if let Some(p) = parent_id {
        let grand: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT parent_id FROM categories WHERE id = $1")
                .bind(p)
                .fetch_optional(&mut *conn)
                .await?;
        match grand {
            None => return Err(ManageError::NotFound("category")),
            Some((Some(_),)) => return Err(ManageError::TooDeep),
            Some((None,)) => {}
        }
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO categories (parent_id, name, sort) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(parent_id)
    .bind(name)
    .bind(sort)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Category {
        id,
        parent_id,
        name: name.to_string(),
        sort,
    })
}

/// One SKU as the merchant edits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuInput {
    #[serde(default)]
    pub id: Option<i64>,
    pub specs: Vec<String>,
    pub list_price: i64,
    pub stock: i64,
    #[serde(default)]
    pub weight_grams: i64,
    #[serde(default)]
    pub code: String,
    #[serde(default = "yes")]
    pub member_price: bool,
    #[serde(default)]
    pub per_user_limit: Option<i64>,
    #[serde(default)]
    pub alert_threshold: i64,
    #[serde(default = "yes")]
    pub on_shelf: bool,
}

fn yes() -> bool {
    true
}

/// A product as the merchant edits it (ids absent when creating).
#[derive(Debug, Clone)]
pub struct ProductInput {
    pub category_id: i64,
    pub title: String,
    pub subtitle: String,
    pub description: String,
    pub main_image: String,
    pub images: Vec<String>,
    pub video_url: String,
    pub spec_names: Vec<SpecName>,
    pub on_shelf: bool,
    pub skus: Vec<SkuInput>,
}

/// The SKUs are exactly the spec matrix: every combination of the spec
/// values once, each SKU naming one value per spec in the specs' order (no
/// specs: exactly one SKU without values). Spec names and values are unique.
pub fn check_matrix(spec_names: &[SpecName], skus: &[SkuInput]) -> Result<(), String> {
    let mut names = BTreeSet::new();
    let mut combos: usize = 1;
    for s in spec_names {
        if !names.insert(s.name.as_str()) {
            return Err(format!("spec {} appears twice", s.name));
        }
        let values: BTreeSet<&str> = s.values.iter().map(String::as_str).collect();
        if values.is_empty() || values.len() != s.values.len() {
            return Err(format!("spec {} needs distinct values", s.name));
        }
        combos = combos.saturating_mul(values.len());
    }
    if skus.len() != combos {
        return Err(format!(
            "{} SKUs for {combos} combinations of the specs",
            skus.len()
        ));
    }
    let mut seen = BTreeSet::new();
    for sku in skus {
        if sku.specs.len() != spec_names.len() {
            return Err(format!(
                "SKU {:?} does not name one value per spec",
                sku.specs
            ));
        }
        for (v, s) in sku.specs.iter().zip(spec_names) {
            if !s.values.contains(v) {
                return Err(format!("{v} is not a value of {}", s.name));
            }
        }
        if !seen.insert(sku.specs.clone()) {
            return Err(format!("combination {:?} appears twice", sku.specs));
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminSku {
    /// With `id` set.
    #[serde(flatten)]
    pub fields: SkuInput,
    pub sales: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminProduct {
    pub id: i64,
    pub category_id: i64,
    pub title: String,
    pub subtitle: String,
    pub description: String,
    pub main_image: String,
    pub images: Vec<String>,
    pub video_url: String,
    pub spec_names: Vec<SpecName>,
    pub on_shelf: bool,
    pub sales: i64,
    pub skus: Vec<AdminSku>,
}

pub async fn product(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Option<AdminProduct>> {
    type Row = (
        i64,
        i64,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        i64,
        i64,
    );
    let p: Option<Row> = sqlx::query_as(
        "SELECT id, category_id, title, subtitle, description, main_image, images, video_url,
                spec_names, on_shelf, sales FROM products WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(p) = p else { return Ok(None) };
    type SkuRow = (
        i64,
        String,
        i64,
        i64,
        i64,
        String,
        i64,
        Option<i64>,
        i64,
        i64,
        i64,
    );
    let skus: Vec<SkuRow> = sqlx::query_as(
        "SELECT id, specs, list_price, stock, weight_grams, code, member_price, per_user_limit,
                alert_threshold, on_shelf, sales FROM skus WHERE product_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(AdminProduct {
        id: p.0,
        category_id: p.1,
        title: p.2,
        subtitle: p.3,
        description: p.4,
        main_image: p.5,
        images: serde_json::from_str(&p.6).unwrap_or_default(),
        video_url: p.7,
        spec_names: serde_json::from_str(&p.8).unwrap_or_default(),
        on_shelf: p.9 != 0,
        sales: p.10,
        skus: skus
            .into_iter()
            .map(|s| AdminSku {
                fields: SkuInput {
                    id: Some(s.0),
                    specs: serde_json::from_str(&s.1).unwrap_or_default(),
                    list_price: s.2,
                    stock: s.3,
                    weight_grams: s.4,
                    code: s.5,
                    member_price: s.6 != 0,
                    per_user_limit: s.7,
                    alert_threshold: s.8,
                    on_shelf: s.9 != 0,
                },
                sales: s.10,
            })
            .collect(),
    }))
}

/// Create (`id` None) or replace a product and its SKUs in one transaction.
pub async fn save(
    db: &Db,
    id: Option<i64>,
    p: &ProductInput,
    actor: &str,
    now: i64,
) -> Result<i64, ManageError> {
    check_matrix(&p.spec_names, &p.skus).map_err(ManageError::Matrix)?;
    let mut tx = db.begin_write().await?;
    let result = save_in(&mut tx, id, p, actor, now).await;
    db::finish(tx, result).await
}

async fn save_in(
    conn: &mut AnyConnection,
    id: Option<i64>,
    p: &ProductInput,
    actor: &str,
    now: i64,
) -> Result<i64, ManageError> {
    let category: Option<i64> = sqlx::query_scalar("SELECT id FROM categories WHERE id = $1")
        .bind(p.category_id)
        .fetch_optional(&mut *conn)
        .await?;
    if category.is_none() {
        return Err(ManageError::NotFound("category"));
    }
    let images = serde_json::to_string(&p.images).map_err(anyhow::Error::from)?;
    let specs = serde_json::to_string(&p.spec_names).map_err(anyhow::Error::from)?;
    let product_id = match id {
        None => sqlx::query_scalar(
            "INSERT INTO products (shop_id, category_id, title, subtitle, description, main_image,
                     images, video_url, spec_names, on_shelf, created_at)
                 VALUES ('self', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(p.category_id)
        .bind(&p.title)
        .bind(&p.subtitle)
        .bind(&p.description)
        .bind(&p.main_image)
        .bind(&images)
        .bind(&p.video_url)
        .bind(&specs)
        .bind(i64::from(p.on_shelf))
        .bind(now)
        .fetch_one(&mut *conn)
        .await?,
        Some(id) => {
            let r = sqlx::query(
                "UPDATE products SET category_id = $1, title = $2, subtitle = $3, description = $4,
                     main_image = $5, images = $6, video_url = $7, spec_names = $8, on_shelf = $9
                 WHERE id = $10",
            )
            .bind(p.category_id)
            .bind(&p.title)
            .bind(&p.subtitle)
            .bind(&p.description)
            .bind(&p.main_image)
            .bind(&images)
            .bind(&p.video_url)
            .bind(&specs)
            .bind(i64::from(p.on_shelf))
            .bind(id)
            .execute(&mut *conn)
            .await?;
            if r.rows_affected() != 1 {
                return Err(ManageError::NotFound("product"));
            }
            id
        }
    };
    let existing: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, stock FROM skus WHERE product_id = $1")
            .bind(product_id)
            .fetch_all(&mut *conn)
            .await?;
    let mut kept = BTreeSet::new();
    for s in &p.skus {
        let specs = serde_json::to_string(&s.specs).map_err(anyhow::Error::from)?;
        match s.id {
            Some(sku_id) => {
                let Some(&(_, before)) = existing.iter().find(|(i, _)| *i == sku_id) else {
                    return Err(ManageError::NotFound("sku"));
                };
                sqlx::query(
                    "UPDATE skus SET specs = $1, list_price = $2, stock = $3, weight_grams = $4,
                         code = $5, member_price = $6, per_user_limit = $7, alert_threshold = $8,
                         on_shelf = $9 WHERE id = $10",
                )
                .bind(&specs)
                .bind(s.list_price)
                .bind(s.stock)
                .bind(s.weight_grams)
                .bind(&s.code)
                .bind(i64::from(s.member_price))
                .bind(s.per_user_limit)
                .bind(s.alert_threshold)
                .bind(i64::from(s.on_shelf))
                .bind(sku_id)
                .execute(&mut *conn)
                .await?;
                if before != s.stock {
                    ledger::record(conn, sku_id, before, s.stock, "商品编辑", actor, None, now)
                        .await?;
                }
                kept.insert(sku_id);
            }
            None => {
                let sku_id: i64 = sqlx::query_scalar(
                    "INSERT INTO skus (product_id, specs, list_price, stock, weight_grams, code,
                         member_price, per_user_limit, alert_threshold, on_shelf)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(product_id)
                .bind(&specs)
                .bind(s.list_price)
                .bind(s.stock)
                .bind(s.weight_grams)
                .bind(&s.code)
                .bind(i64::from(s.member_price))
                .bind(s.per_user_limit)
                .bind(s.alert_threshold)
                .bind(i64::from(s.on_shelf))
                .fetch_one(&mut *conn)
                .await?;
                ledger::record(conn, sku_id, 0, s.stock, "新建SKU", actor, None, now).await?;
            }
        }
    }
    for (sku_id, _) in existing.iter().filter(|(i, _)| !kept.contains(i)) {
        sqlx::query("UPDATE skus SET on_shelf = 0 WHERE id = $1")
            .bind(sku_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(product_id)
}

#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    pub keyword: Option<String>,
    pub category_id: Option<i64>,
    pub on_shelf: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductRow {
    pub id: i64,
    pub title: String,
    pub main_image: String,
    pub category_id: i64,
    pub on_shelf: bool,
    pub sales: i64,
    pub stock: i64,
    pub min_price: i64,
    pub max_price: i64,
    pub sku_count: i64,
    /// SKUs at or below their alert threshold.
    pub alerts: i64,
}

pub async fn list(
    conn: &mut AnyConnection,
    f: &ProductFilter,
    paging: &Paging,
) -> sqlx::Result<(Vec<ProductRow>, i64)> {
    let kw = f
        .keyword
        .as_deref()
        .map(db::like_contains)
        .unwrap_or_default();
    // A category filter takes its children too.
    let filter = "FROM products p
         WHERE ($1 = '' OR LOWER(p.title) LIKE $1 ESCAPE '\\')
           AND ($2 = 0 OR p.category_id = $2
                OR p.category_id IN (SELECT id FROM categories WHERE parent_id = $2))
           AND ($3 < 0 OR p.on_shelf = $3)";
    let shelf = f.on_shelf.map_or(-1, i64::from);
    let cat = f.category_id.unwrap_or(0);
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {filter}"))
        .bind(&kw)
        .bind(cat)
        .bind(shelf)
        .fetch_one(&mut *conn)
        .await?;
    type Row = (i64, String, String, i64, i64, i64, i64, i64, i64, i64, i64);
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT p.id, p.title, p.main_image, p.category_id, p.on_shelf, p.sales,
            COALESCE((SELECT CAST(SUM(s.stock) AS BIGINT) FROM skus s WHERE s.product_id = p.id AND s.on_shelf = 1), 0),
            COALESCE((SELECT MIN(s.list_price) FROM skus s WHERE s.product_id = p.id AND s.on_shelf = 1), 0),
            COALESCE((SELECT MAX(s.list_price) FROM skus s WHERE s.product_id = p.id AND s.on_shelf = 1), 0),
            (SELECT COUNT(*) FROM skus s WHERE s.product_id = p.id AND s.on_shelf = 1),
            (SELECT COUNT(*) FROM skus s WHERE s.product_id = p.id AND s.on_shelf = 1
                AND s.alert_threshold > 0 AND s.stock <= s.alert_threshold)
         {filter} ORDER BY p.id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(&kw)
    .bind(cat)
    .bind(shelf)
    .bind(paging.page_size)
    .bind(paging.offset())
    .fetch_all(&mut *conn)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| ProductRow {
            id: r.0,
            title: r.1,
            main_image: r.2,
            category_id: r.3,
            on_shelf: r.4 != 0,
            sales: r.5,
            stock: r.6,
            min_price: r.7,
            max_price: r.8,
            sku_count: r.9,
            alerts: r.10,
        })
        .collect();
    Ok((items, total))
}

/// Put products on or off the shelf; answers how many changed.
pub async fn set_shelf(conn: &mut AnyConnection, ids: &[i64], on: bool) -> sqlx::Result<u64> {
    let mut changed = 0;
    for id in ids {
        changed +=
            sqlx::query("UPDATE products SET on_shelf = $1 WHERE id = $2 AND on_shelf <> $1")
                .bind(i64::from(on))
                .bind(id)
                .execute(&mut *conn)
                .await?
                .rows_affected();
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, values: &[&str]) -> SpecName {
        SpecName {
            name: name.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn sku(specs: &[&str]) -> SkuInput {
        SkuInput {
            id: None,
            specs: specs.iter().map(|v| v.to_string()).collect(),
            list_price: 100,
            stock: 1,
            weight_grams: 0,
            code: String::new(),
            member_price: true,
            per_user_limit: None,
            alert_threshold: 0,
            on_shelf: true,
        }
    }

    #[test]
    fn a_two_by_three_matrix_needs_all_six_skus_once() {
        let specs = [spec("颜色", &["红", "蓝"]), spec("尺码", &["S", "M", "L"])];
        let mut skus: Vec<SkuInput> = ["红", "蓝"]
            .iter()
            .flat_map(|c| ["S", "M", "L"].map(|s| sku(&[c, s])))
            .collect();
        assert_eq!(check_matrix(&specs, &skus), Ok(()));
        skus[5] = sku(&["红", "S"]);
        assert!(check_matrix(&specs, &skus).unwrap_err().contains("twice"));
        skus.pop();
        assert!(check_matrix(&specs, &skus)
            .unwrap_err()
            .contains("5 SKUs for 6"));
        skus.push(sku(&["绿", "L"]));
        assert!(check_matrix(&specs, &skus)
            .unwrap_err()
            .contains("not a value"));
    }

    #[test]
    fn no_specs_means_one_sku_and_values_must_be_distinct() {
        assert_eq!(check_matrix(&[], &[sku(&[])]), Ok(()));
        assert!(check_matrix(&[], &[sku(&[]), sku(&[])]).is_err());
        assert!(check_matrix(&[spec("颜色", &["红", "红"])], &[sku(&["红"])]).is_err());
        assert!(check_matrix(&[spec("颜色", &[])], &[]).is_err());
        assert!(
            check_matrix(&[spec("a", &["x"]), spec("a", &["y"])], &[sku(&["x", "y"])]).is_err()
        );
    }
}
