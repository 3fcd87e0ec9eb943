//! The demo shop, seeded on first start (empty database): two-level
//! categories, products with multi-spec SKUs and images, member levels, a
//! full-reduction campaign, a flash-sale price, points and shipping rules,
//! claimable coupons, home-page banners, a few product reviews, and a demo
//! shopper (login code `demo`) with a wallet; optionally the member
//! campaigns switched on, with demo members to reach.

use mall_core::ShopRules;
use serde_json::{json, Value};
use sqlx::AnyConnection;

use crate::db::{self, Db};
use crate::wechat::demo::openid_for_code;

/// The login code of the demo shopper in the fake WeChat API.
pub const DEMO_CODE: &str = "demo";
pub const FLASH_SALE_ID: &str = "flash-earbuds";

pub fn demo_rules() -> Value {
    json!({
        "member": {
            "levels": [
                {"levelId": "normal", "name": "普通会员", "minGrowth": 0, "discountRate": "1", "pointsMultiplier": "1"},
                {"levelId": "silver", "name": "白银会员", "minGrowth": 500, "discountRate": "0.98", "pointsMultiplier": "1"},
                {"levelId": "gold", "name": "黄金会员", "minGrowth": 2000, "discountRate": "0.95", "freeShipping": true, "pointsMultiplier": "1.5"},
                {"levelId": "diamond", "name": "钻石会员", "minGrowth": 10000, "discountRate": "0.9", "freeShipping": true, "pointsMultiplier": "2"}
            ],
            "growthPerYuan": "1",
            "pointsPerYuan": "1"
        },
        "campaigns": [{
            "campaignId": "full-reduction",
            "rule": {"kind": "amountOff", "tiers": [
                {"threshold": 19900, "amount": 2000},
                {"threshold": 39900, "amount": 5000}
            ]}
        }],
        "points": {"pointsPerYuan": 100, "maxShare": "0.3"},
        "shipping": {
            "express": [{
                "shopId": "self",
                "basis": "piece",
                "rules": [
                    {"regions": [], "first": 1, "firstFee": 800, "additional": 1, "additionalFee": 200},
                    {"regions": ["65", "54"], "first": 1, "firstFee": 2000, "additional": 1, "additionalFee": 1000}
                ],
                "freeOver": 9900
            }],
            "pickupStores": ["store-1"]
        }
    })
}

/// Percent-encode a query value (the mini-program's pages decode it).
fn query_value(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn img(name: &str, n: u32) -> String {
    format!("https://picsum.photos/seed/mall-{name}-{n}/750/750")
}

struct P {
    cat: &'static str,
    slug: &'static str,
    title: &'static str,
    subtitle: &'static str,
    keywords: &'static str,
    specs: &'static [(&'static str, &'static [&'static str])],
    /// (spec values, price fen, stock)
    skus: &'static [(&'static [&'static str], i64, i64)],
    sales: i64,
}

const PRODUCTS: &[P] = &[
    P {
        cat: "男装",
        slug: "tee",
        title: "纯棉圆领短袖T恤",
        subtitle: "新疆长绒棉 不易变形",
        keywords: "t恤 短袖 纯棉",
        specs: &[("颜色", &["白色", "黑色"]), ("尺码", &["M", "L"])],
        skus: &[
            (&["白色", "M"], 5900, 200),
            (&["白色", "L"], 5900, 200),
            (&["黑色", "M"], 5900, 150),
            (&["黑色", "L"], 5900, 0),
        ],
        sales: 1200,
    },
    P {
        cat: "女装",
        slug: "dress",
        title: "法式碎花连衣裙",
        subtitle: "夏季新款 收腰显瘦",
        keywords: "连衣裙 碎花 裙子",
        specs: &[("颜色", &["雾蓝", "樱粉"]), ("尺码", &["S", "M"])],
        skus: &[
            (&["雾蓝", "S"], 19900, 50),
            (&["雾蓝", "M"], 19900, 60),
            (&["樱粉", "S"], 19900, 40),
            (&["樱粉", "M"], 19900, 30),
        ],
        sales: 860,
    },
    P {
        cat: "手机",
        slug: "phone",
        title: "星耀 5G 智能手机",
        subtitle: "6.7英寸 OLED 120Hz",
        keywords: "手机 5g 智能手机",
        specs: &[("颜色", &["曜石黑", "冰川蓝"]), ("存储", &["128G", "256G"])],
        skus: &[
            (&["曜石黑", "128G"], 199900, 30),
            (&["曜石黑", "256G"], 229900, 20),
            (&["冰川蓝", "128G"], 199900, 25),
            (&["冰川蓝", "256G"], 229900, 10),
        ],
        sales: 310,
    },
    P {
        cat: "耳机",
        slug: "earbuds",
        title: "降噪真无线蓝牙耳机",
        subtitle: "主动降噪 30小时续航",
        keywords: "耳机 蓝牙 降噪",
        specs: &[("颜色", &["月光白", "深空黑"])],
        skus: &[(&["月光白"], 39900, 120), (&["深空黑"], 39900, 80)],
        sales: 2300,
    },
    P {
        cat: "零食",
        slug: "nuts",
        title: "每日坚果礼盒",
        subtitle: "6种坚果果干 独立小包",
        keywords: "坚果 零食 礼盒",
        specs: &[("规格", &["750g", "1.5kg"])],
        skus: &[(&["750g"], 12900, 300), (&["1.5kg"], 23900, 120)],
        sales: 5400,
    },
    P {
        cat: "茶饮",
        slug: "tea",
        title: "明前龙井绿茶",
        subtitle: "西湖产区 2026新茶",
        keywords: "龙井 绿茶 茶叶",
        specs: &[("规格", &["100g", "250g"])],
        skus: &[(&["100g"], 8800, 500), (&["250g"], 19800, 200)],
        sales: 980,
    },
    P {
        cat: "零食",
        slug: "jerky",
        title: "内蒙古风干牛肉干",
        subtitle: "手撕 高蛋白",
        keywords: "牛肉干 零食",
        specs: &[("口味", &["香辣", "五香"])],
        skus: &[(&["香辣"], 3990, 400), (&["五香"], 3990, 350)],
        sales: 7600,
    },
    P {
        cat: "男装",
        slug: "shirt",
        title: "商务休闲免烫衬衫",
        subtitle: "抗皱免烫 通勤百搭",
        keywords: "衬衫 商务 免烫",
        specs: &[("颜色", &["白色", "浅蓝"]), ("尺码", &["M", "L", "XL"])],
        skus: &[
            (&["白色", "M"], 15900, 60),
            (&["白色", "L"], 15900, 60),
            (&["白色", "XL"], 15900, 40),
            (&["浅蓝", "M"], 15900, 50),
            (&["浅蓝", "L"], 15900, 50),
            (&["浅蓝", "XL"], 15900, 30),
        ],
        sales: 640,
    },
];

/// Demo reviews, oldest first: (product slug, reviewer, rating, text).
const REVIEWS: &[(&str, usize, i64, &str)] = &[
    ("earbuds", 0, 5, "降噪效果很好，地铁上也很安静，续航给力。"),
    ("earbuds", 1, 3, "音质还行，佩戴久了有点胀耳朵。"),
    ("earbuds", 2, 5, "连接很稳定，颜值高，推荐！"),
    ("tee", 2, 5, "棉很软，洗了几次也不变形。"),
    ("tee", 0, 4, "尺码正常，白色有一点点透。"),
    ("nuts", 1, 5, "每天一包刚刚好，很新鲜。"),
    ("nuts", 2, 4, "种类丰富，包装精致，送人合适。"),
];

const CATEGORIES: &[(&str, &[&str])] = &[
    ("服饰", &["女装", "男装"]),
    ("数码", &["手机", "耳机"]),
    ("食品", &["零食", "茶饮"]),
];

/// (title, shop, kind JSON, scope JSON, valid days, total, per user)
type TemplateSeed = (
    &'static str,
    Option<&'static str>,
    Value,
    Value,
    i64,
    i64,
    i64,
);

fn templates(food_category: i64) -> Vec<TemplateSeed> {
    vec![
        (
            "满100减10",
            Some("self"),
            json!({"kind": "threshold", "threshold": 10000, "amount": 1000}),
            json!({}),
            30,
            10000,
            1,
        ),
        (
            "无门槛5元券",
            None,
            json!({"kind": "noThreshold", "amount": 500}),
            json!({}),
            7,
            10000,
            2,
        ),
        (
            "9折券 最高减30",
            None,
            json!({"kind": "percent", "rate": "0.9", "cap": 3000, "threshold": 20000}),
            json!({}),
            30,
            5000,
            1,
        ),
        (
            "免邮券",
            None,
            json!({"kind": "freeShipping"}),
            json!({}),
            30,
            10000,
            1,
        ),
        (
            "食品满50减8",
            Some("self"),
            json!({"kind": "threshold", "threshold": 5000, "amount": 800}),
            json!({"kind": "categories", "ids": [food_category.to_string()]}),
            15,
            2000,
            1,
        ),
    ]
}

async fn insert_id(conn: &mut AnyConnection, sql: &str, binds: Vec<Value>) -> sqlx::Result<i64> {
    let mut q = sqlx::query_scalar::<_, i64>(sql);
    for b in binds {
        q = match b {
            Value::Null => q.bind(None::<i64>),
            Value::Number(n) => q.bind(n.as_i64().unwrap_or(0)),
            Value::String(s) => q.bind(s),
            other => q.bind(other.to_string()),
        };
    }
    q.fetch_one(conn).await
}

/// Seed the demo shop on an empty database (with `campaigns`, its member
/// campaigns switched on: [`super::demo_campaigns`]).
pub async fn seed_demo_if_empty(db: &Db, campaigns: bool) -> anyhow::Result<bool> {
    let mut tx = db.begin_write().await?;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM categories")
        .fetch_one(&mut *tx)
        .await?;
    if n > 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    let now = db::now();
    let rules = demo_rules();
    serde_json::from_value::<ShopRules>(rules.clone())?; // fail fast on a bad seed
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2)")
        .bind(crate::shop_rules::RULES_KEY)
        .bind(rules.to_string())
        .execute(&mut *tx)
        .await?;

    let mut cat_ids = std::collections::BTreeMap::new();
    for (i, (root, children)) in CATEGORIES.iter().enumerate() {
        let root_id = insert_id(
            &mut tx,
            "INSERT INTO categories (parent_id, name, icon, sort) VALUES ($1, $2, $3, $4) RETURNING id",
            vec![Value::Null, json!(root), json!(img(root, 0)), json!(i)],
        )
        .await?;
        cat_ids.insert(*root, root_id);
        for (j, child) in children.iter().enumerate() {
            let id = insert_id(
                &mut tx,
                "INSERT INTO categories (parent_id, name, icon, sort) VALUES ($1, $2, $3, $4) RETURNING id",
                vec![json!(root_id), json!(child), json!(img(child, 0)), json!(j)],
            )
            .await?;
            cat_ids.insert(*child, id);
        }
    }
    // 食品 is bought again and again: recommended even just after a purchase.
    sqlx::query("UPDATE categories SET consumable = 1 WHERE parent_id IS NULL AND name = '食品'")
        .execute(&mut *tx)
        .await?;

    let mut earbuds_white = 0;
    let mut earbuds = 0;
    let mut product_ids = std::collections::BTreeMap::new();
    for (i, p) in PRODUCTS.iter().enumerate() {
        let spec_names: Vec<Value> = p
            .specs
            .iter()
            .map(|(name, values)| json!({"name": name, "values": values}))
            .collect();
        let images: Vec<String> = (1..=3).map(|n| img(p.slug, n)).collect();
        let pid = insert_id(
            &mut tx,
            "INSERT INTO products (shop_id, category_id, title, subtitle, keywords, description, main_image, images,
                 spec_names, on_shelf, sales, created_at)
             VALUES ('self', $1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10) RETURNING id",
            vec![
                json!(cat_ids[p.cat]),
                json!(p.title),
                json!(p.subtitle),
                json!(p.keywords),
                json!(format!("{}。{}", p.title, p.subtitle)),
                json!(images[0]),
                json!(serde_json::to_string(&images)?),
                json!(serde_json::to_string(&spec_names)?),
                json!(p.sales),
                json!(now - (PRODUCTS.len() - i) as i64 * 86_400),
            ],
        )
        .await?;
        product_ids.insert(p.slug, pid);
        if p.slug == "earbuds" {
            earbuds = pid;
        }
        for (k, (values, price, stock)) in p.skus.iter().enumerate() {
            let id = insert_id(
                &mut tx,
                "INSERT INTO skus (product_id, specs, image, list_price, stock, weight_grams, per_user_limit)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                vec![
                    json!(pid),
                    json!(serde_json::to_string(values)?),
                    json!(img(p.slug, 10 + k as u32)),
                    json!(price),
                    json!(stock),
                    json!(300),
                    if p.slug == "tea" && values[0] == "250g" { json!(5) } else { Value::Null },
                ],
            )
            .await?;
            if p.slug == "earbuds" && k == 0 {
                earbuds_white = id;
            }
        }
    }

    sqlx::query(
        "INSERT INTO activities (id, kind, title, starts_at, ends_at, per_user_limit, allow_coupons, allow_points)
         VALUES ($1, 'flashSale', '耳机限时秒杀', $2, $3, 2, 0, 0)",
    )
    .bind(FLASH_SALE_ID)
    .bind(now - 3600)
    .bind(now + 30 * 86_400)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO activity_skus (activity_id, sku_id, price, stock) VALUES ($1, $2, 29900, 50)",
    )
    .bind(FLASH_SALE_ID)
    .bind(earbuds_white)
    .execute(&mut *tx)
    .await?;

    // Home-page banners (the merchant replaces them: PUT /api/merchant/banners).
    let list = |name: &str| {
        format!(
            "/pages/list/index?categoryId={}&title={}",
            cat_ids[name],
            query_value(name)
        )
    };
    let banners = [
        crate::catalog::Banner {
            image: "https://picsum.photos/seed/mall-banner-1/750/320".to_string(),
            url: format!("/pages/product/index?id={earbuds}"),
        },
        crate::catalog::Banner {
            image: "https://picsum.photos/seed/mall-banner-2/750/320".to_string(),
            url: list("食品"),
        },
        crate::catalog::Banner {
            image: "https://picsum.photos/seed/mall-banner-3/750/320".to_string(),
            url: list("服饰"),
        },
    ];
    crate::catalog::set_banners(&mut tx, &banners).await?;

    let mut template_ids = Vec::new();
    for (title, shop, kind, scope, days, total, per_user) in templates(cat_ids["食品"]) {
        let id = insert_id(
            &mut tx,
            "INSERT INTO coupon_templates (title, shop_id, kind, scope, valid_days, total, per_user_limit, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            vec![
                json!(title),
                shop.map_or(Value::Null, |s| json!(s)),
                json!(kind.to_string()),
                json!(scope.to_string()),
                json!(days),
                json!(total),
                json!(per_user),
                json!(now),
            ],
        )
        .await?;
        template_ids.push((id, days));
    }

    for (i, word) in ["耳机", "连衣裙", "坚果", "T恤", "手机"].iter().enumerate() {
        sqlx::query("INSERT INTO search_terms (keyword, hits, pinned) VALUES ($1, $2, 1)")
            .bind(*word)
            .bind(100 - i as i64)
            .execute(&mut *tx)
            .await?;
    }

    // The demo shopper: 白银 level, points, and a wallet (one expired coupon
    // too, for the 已过期 tab).
    let uid = insert_id(
        &mut tx,
        "INSERT INTO users (openid, nickname, avatar, growth, points, created_at, updated_at)
         VALUES ($1, '演示用户', $2, 800, 5000, $3, $3) RETURNING id",
        vec![
            json!(openid_for_code(DEMO_CODE)),
            json!(img("avatar", 1)),
            json!(now),
        ],
    )
    .await?;
    for (tid, days) in template_ids.iter().take(4) {
        crate::coupons::insert(&mut tx, uid, *tid, now, now + days * 86_400, now).await?;
    }
    crate::coupons::insert(
        &mut tx,
        uid,
        template_ids[1].0,
        now - 10 * 86_400,
        now - 86_400,
        now,
    )
    .await?;
    sqlx::query("UPDATE coupon_templates SET issued = (SELECT COUNT(*) FROM user_coupons uc WHERE uc.template_id = coupon_templates.id)")
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO points_ledger (user_id, delta, reason, created_at) VALUES ($1, 5000, 'welcome', $2)")
        .bind(uid)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    // Demo reviews by three demo reviewers (they cannot sign in).
    let mut reviewers = Vec::new();
    for (i, nickname) in ["小鱼儿", "Tom", "阿花"].iter().enumerate() {
        reviewers.push(
            insert_id(
                &mut tx,
                "INSERT INTO users (openid, nickname, avatar, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $4) RETURNING id",
                vec![
                    json!(format!("seed-reviewer-{}", i + 1)),
                    json!(nickname),
                    json!(img("avatar", 2 + i as u32)),
                    json!(now),
                ],
            )
            .await?,
        );
    }
    for (i, (slug, who, rating, text)) in REVIEWS.iter().enumerate() {
        crate::reviews::insert(
            &mut tx,
            product_ids[slug],
            reviewers[*who],
            None,
            *rating,
            text,
            now - (REVIEWS.len() - i) as i64 * 3600,
        )
        .await?;
    }
    if campaigns {
        super::demo_campaigns::seed(&mut tx, now).await?;
    }
    tx.commit().await?;
    tracing::info!("seeded the demo shop");
    Ok(true)
}
