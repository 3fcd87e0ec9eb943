//! Writes the two benchmark carts used by the criterion benchmark and the wasm
//! benchmark under Node: `tests/bench/cart-20.json` (20 lines, 5 coupons) and
//! `tests/bench/cart-200.json` (200 lines, 30 coupons, best-combination search).
//!
//! cargo run -p mall-core --example bench_carts

use serde_json::{json, Value};

const NOW: i64 = 1_767_225_600;

fn cart(lines: usize, coupons: usize) -> Value {
    let shops = ["shopA", "shopB"];
    let cats = ["fruit", "dairy", "snacks", "drinks", "home"];
    let catalog: Vec<Value> = (0..lines)
        .map(|i| {
            json!({
                "skuId": format!("sku{i:03}"),
                "shopId": shops[i % 2],
                "categoryIds": [cats[i % 5], format!("{}-{}", cats[i % 5], i % 3)],
                "listPrice": 990 + (i as i64 * 737) % 19_000,
                "stock": 500,
                "weightGrams": 200 + (i as u64 * 53) % 1800,
                "memberPrice": i % 7 != 0,
            })
        })
        .collect();
    let cart_lines: Vec<Value> = (0..lines)
        .map(|i| {
            let mut l = json!({"lineId": format!("line{i:03}"), "skuId": format!("sku{i:03}"), "quantity": 1 + (i % 3)});
            if i % 17 == 5 {
                l["activityId"] = json!("flash");
            }
            l
        })
        .collect();
    let kinds = |i: usize| -> Value {
        match i % 4 {
            0 => {
                json!({"kind": "threshold", "threshold": 5_000 + (i as i64 * 3_100) % 40_000, "amount": 500 + (i as i64 * 170) % 4_000})
            }
            1 => json!({"kind": "noThreshold", "amount": 300 + (i as i64 * 90) % 1_500}),
            2 => {
                json!({"kind": "percent", "rate": format!("0.{}", 80 + i % 15), "cap": 2_000 + (i as i64 * 250) % 6_000, "threshold": (i as i64 * 1_000) % 20_000})
            }
            _ => {
                json!({"kind": "freeShipping", "threshold": (i as i64 * 2_000) % 15_000, "cap": 1_500})
            }
        }
    };
    let wallet: Vec<Value> = (0..coupons)
        .map(|i| {
            let mut c = json!({
                "couponId": format!("cp{i:02}"),
                "kind": kinds(i),
                "validFrom": 0,
                "validUntil": NOW + 86_400 * (1 + (i as i64 % 9)),
                "stackable": i % 6 != 3,
            });
            if i % 3 != 2 && i % 4 != 3 {
                c["shopId"] = json!(shops[i % 2]);
            }
            if i % 5 == 1 {
                c["scope"] = json!({"kind": "categories", "ids": [cats[i % 5], cats[(i + 2) % 5]]});
            }
            c
        })
        .collect();
    json!({
        "now": NOW,
        "catalog": catalog,
        "lines": cart_lines,
        "rules": {
            "member": {
                "levels": [
                    {"levelId": "normal", "name": "普通", "minGrowth": 0, "discountRate": "1", "pointsMultiplier": "1"},
                    {"levelId": "gold", "name": "黄金", "minGrowth": 1000, "discountRate": "0.95", "freeShipping": false, "pointsMultiplier": "1.5"}
                ],
                "growthPerYuan": "1",
                "pointsPerYuan": "1"
            },
            "itemPromotions": [
                {"promotionId": "n2", "shopId": "shopB", "scope": {"kind": "categories", "ids": ["dairy"]}, "rule": {"kind": "nthItem", "n": 2, "rate": "0.5"}},
                {"promotionId": "b2g1", "shopId": "shopA", "scope": {"kind": "categories", "ids": ["snacks"]}, "rule": {"kind": "buyXGetY", "buy": 2, "get": 1}}
            ],
            "campaigns": [
                {"campaignId": "mj-a", "shopId": "shopA", "rule": {"kind": "amountOff", "tiers": [{"threshold": 30_000, "amount": 5_000}, {"threshold": 60_000, "amount": 12_000}]}},
                {"campaignId": "mz-b", "shopId": "shopB", "rule": {"kind": "rateOff", "tiers": [{"threshold": 50_000, "rate": "0.9"}]}}
            ],
            "activities": [
                {"activityId": "flash", "kind": "flashSale", "startsAt": 0, "endsAt": NOW + 3600,
                 "prices": (0..lines).map(|i| json!({"skuId": format!("sku{i:03}"), "price": 500})).collect::<Vec<_>>(),
                 "allowCoupons": true, "allowPoints": false}
            ],
            "points": {"pointsPerYuan": 100, "maxShare": "0.3"},
            "shipping": {
                "express": [
                    {"shopId": "shopA", "basis": "weight", "freeOver": 99_900, "rules": [
                        {"regions": ["31"], "first": 1000, "firstFee": 600, "additional": 1000, "additionalFee": 200},
                        {"regions": [], "first": 1000, "firstFee": 1000, "additional": 1000, "additionalFee": 500}
                    ]},
                    {"shopId": "shopB", "basis": "piece", "rules": [
                        {"regions": [], "first": 1, "firstFee": 800, "additional": 1, "additionalFee": 100}
                    ]}
                ]
            }
        },
        "buyer": {"growth": 1200, "pointsBalance": 8_000, "coupons": wallet},
        "options": {"coupons": {"kind": "best"}, "points": {"kind": "max"}, "delivery": {"kind": "express", "regionCode": "310115"}}
    })
}

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/bench");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, lines, coupons) in [("cart-20.json", 20, 5), ("cart-200.json", 200, 30)] {
        let v = cart(lines, coupons);
        let input: mall_core::QuoteInput =
            serde_json::from_value(v.clone()).expect("bench cart parses");
        let q = mall_core::quote(&input).expect("bench cart prices");
        println!(
            "{name}: payable {} search {:?} combinations {} applied {:?}",
            q.payable,
            q.coupons.mode,
            q.coupons.combinations,
            q.coupons
                .applied
                .iter()
                .map(|c| c.coupon_id.as_str())
                .collect::<Vec<_>>()
        );
        std::fs::write(
            dir.join(name),
            serde_json::to_string_pretty(&v).unwrap() + "\n",
        )
        .unwrap();
    }
}
