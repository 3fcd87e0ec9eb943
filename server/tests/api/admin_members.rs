//! The console's 会员 and 配送 pages: rule sections the core applies at the
//! next quote, refused rules that are never saved, the member list's spend.

use reqwest::Method;
use serde_json::{json, Value};

use crate::admin::{owner, sign_in, Console};
use crate::helpers::*;

/// One white tee (¥59, express to 310115: ¥8 in the demo rules).
async fn quote_one_tee(app: &TestApp, t: &str, addr: i64) -> Value {
    let (s, q) = app
        .post(
            "/api/checkout/quote",
            Some(t),
            json!({"items": [{"skuId": TEE_WHITE_M, "quantity": 1}], "addressId": addr}),
        )
        .await;
    assert_eq!(s, 200, "{q}");
    q
}

async fn stored_rules(app: &TestApp) -> Value {
    let text: String = sqlx::query_scalar("SELECT value FROM settings WHERE key = 'shop_rules'")
        .fetch_one(&app.server.state.db.pool)
        .await
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn a_level_change_is_applied_by_the_core_at_the_next_quote() {
    let app = spawn_app().await;
    let t = app.login("buyer-level").await;
    let addr = app.add_address(&t).await;
    let q = quote_one_tee(&app, &t, addr).await;
    assert_eq!(q["lines"][0]["unitPrice"], 5900, "{q}");
    assert_eq!(q["shipping"]["payable"], 800, "{q}");
    assert_eq!(q["payable"], 6700);

    let c = owner(&app).await;
    let (s, mut program) = c.get("/admin/api/member-program").await;
    assert_eq!(s, 200, "{program}");
    assert_eq!(program["levels"][0]["levelId"], "normal");
    // 普通会员: 9折 and free shipping.
    program["levels"][0]["discountRate"] = json!("0.9");
    program["levels"][0]["freeShipping"] = json!(true);
    let (s, v) = c.put("/admin/api/member-program", program).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["levels"][0]["discountRate"], "0.9");

    let q = quote_one_tee(&app, &t, addr).await;
    assert_eq!(q["lines"][0]["unitPrice"], 5310, "{q}");
    assert_eq!(q["shipping"]["fee"], 800);
    assert_eq!(q["shipping"]["payable"], 0);
    assert_eq!(q["shipping"]["shops"][0]["freeReason"], "member");
    assert_eq!(q["payable"], 5310);

    // The other sections are untouched, and the change is in the audit log.
    let stored = stored_rules(&app).await;
    assert_eq!(stored["campaigns"][0]["campaignId"], "full-reduction");
    assert_eq!(stored["shipping"]["express"][0]["freeOver"], 9900);
    assert_eq!(stored["points"]["maxShare"], "0.3");
    let (_, audit) = c.get("/admin/api/audit").await;
    let entry = &audit["items"][0];
    assert_eq!(entry["action"], "rules.member", "{audit}");
    assert_eq!(entry["before"]["levels"][0]["discountRate"], "1");
    assert_eq!(entry["after"]["levels"][0]["discountRate"], "0.9");
}

#[tokio::test]
async fn a_free_shipping_threshold_change_is_visible_in_the_next_quote() {
    let app = spawn_app().await;
    let t = app.login("buyer-threshold").await;
    let addr = app.add_address(&t).await;
    assert_eq!(quote_one_tee(&app, &t, addr).await["payable"], 6700);

    let c = owner(&app).await;
    let (s, mut v) = c.get("/admin/api/delivery/express").await;
    assert_eq!(s, 200, "{v}");
    v["templates"][0]["freeOver"] = json!(5000);
    let (s, saved) = c.put("/admin/api/delivery/express", v).await;
    assert_eq!(s, 200, "{saved}");
    assert_eq!(saved["templates"][0]["freeOver"], 5000);

    let q = quote_one_tee(&app, &t, addr).await;
    assert_eq!(q["shipping"]["payable"], 0, "{q}");
    assert_eq!(q["shipping"]["shops"][0]["freeReason"], "threshold");
    assert_eq!(q["payable"], 5900);
    // The member program was not touched by the delivery write.
    assert_eq!(
        stored_rules(&app).await["member"]["levels"][2]["levelId"],
        "gold"
    );
}

#[tokio::test]
async fn a_rule_the_core_refuses_is_not_saved_and_the_previous_one_stays() {
    let app = spawn_app().await;
    let c = owner(&app).await;
    let before = stored_rules(&app).await;

    // A discount rate over 1: the core's code and field.
    let (_, program) = c.get("/admin/api/member-program").await;
    let mut over = program.clone();
    over["levels"][1]["discountRate"] = json!("1.2");
    let (s, v) = c.put("/admin/api/member-program", over).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    assert_eq!(v["details"]["field"], "levels.discountRate", "{v}");
    // Two levels with one id: what no schema can say is 422.
    let mut twice = program.clone();
    twice["levels"][1]["levelId"] = json!("normal");
    let (s, v) = c.put("/admin/api/member-program", twice).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("RULES_INCONSISTENT")),
        "{v}"
    );
    assert_eq!(v["details"]["id"], "normal", "{v}");
    // A multiplier with more than 6 decimals.
    let mut fine = program.clone();
    fine["levels"][0]["pointsMultiplier"] = json!("1.0000001");
    let (s, v) = c.put("/admin/api/member-program", fine).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");

    // A late-delivery share over 1 inside same-city delivery.
    let rule = json!({"rule": {
        "tiers": [{"maxMeters": 3000, "fee": 500}],
        "late": {"tiers": [{"afterMinutes": 30, "compensation": {"kind": "shareOfGoods", "rate": "1.5"}}]}
    }});
    let (s, v) = c.put("/admin/api/delivery/same-city", rule).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");

    // A points rule worth nothing.
    let (s, v) = c
        .put(
            "/admin/api/points-rules",
            json!({"pointsPerYuan": 100, "maxShare": "2"}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    assert_eq!(v["details"]["field"], "maxShare", "{v}");

    // Bounds at the edge: a negative fee, a bad region code, an empty body.
    let (_, mut express) = c.get("/admin/api/delivery/express").await;
    express["templates"][0]["rules"][0]["firstFee"] = json!(-1);
    let (s, v) = c.put("/admin/api/delivery/express", express).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    let (s, v) = c.put("/admin/api/delivery/same-city", json!({})).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    // A slot that ends before it starts.
    let backwards = json!({"rule": {"tiers": [{"maxMeters": 3000, "fee": 500}],
        "slots": [{"slotId": "s1", "startsAt": 4_000_003_600i64, "endsAt": 4_000_000_000i64}]}});
    let (s, v) = c.put("/admin/api/delivery/same-city", backwards).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("RULES_INCONSISTENT")),
        "{v}"
    );

    assert_eq!(stored_rules(&app).await, before);
    let (_, g) = c.get("/admin/api/member-program").await;
    assert_eq!(g["levels"][1]["discountRate"], "0.98");
    let (_, sc) = c.get("/admin/api/delivery/same-city").await;
    assert_eq!(sc["rule"], Value::Null);

    // A good same-city rule and pickup stores are saved and offered.
    let rule = json!({"rule": {
        "tiers": [{"maxMeters": 3000, "fee": 500}, {"maxMeters": 5000, "fee": 800}],
        "slots": [{"slotId": "s-eve", "startsAt": 4_000_000_000i64, "endsAt": 4_000_003_600i64, "surcharge": 300}],
        "freeOver": 8800,
        "late": {"tiers": [{"afterMinutes": 1, "compensation": {"kind": "fixed", "amount": 300}}], "cap": 2000}
    }});
    let (s, v) = c.put("/admin/api/delivery/same-city", rule).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["rule"]["tiers"][1]["fee"], 800);
    let (s, v) = c
        .put(
            "/admin/api/delivery/pickup",
            json!({"stores": ["store-1", "store-2"]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let t = app.login("buyer-pickup-2").await;
    let (s, q) = app
        .post(
            "/api/checkout/quote",
            Some(&t),
            json!({"items": [{"skuId": TEE_WHITE_M, "quantity": 1}],
                   "delivery": {"kind": "pickup", "storeId": "store-2"}}),
        )
        .await;
    assert_eq!(s, 200, "{q}");
    assert_eq!(q["shipping"]["shops"][0]["freeReason"], "pickup");
}

#[tokio::test]
async fn the_member_list_shows_spend_as_the_sum_of_paid_amounts() {
    let app = spawn_app().await;
    let t = app.login("buyer-spend").await;
    let addr = app.add_address(&t).await;
    let other = app.login("buyer-idle").await;
    let _ = other;
    let mut paid = 0;
    let mut first = 0;
    for (i, qty) in [1, 2].into_iter().enumerate() {
        let body = json!({"items": [{"skuId": TEE_WHITE_M, "quantity": qty}], "addressId": addr});
        let (id, no, payable) = place(&app, &t, body, &format!("spend-{i}")).await;
        pay_now(&app, &t, id, &no).await;
        paid += payable;
        first = id;
    }
    // An unpaid order counts for the last order time, not for the spend.
    let body = json!({"items": [{"skuId": TEE_WHITE_M, "quantity": 1}], "addressId": addr});
    let (unpaid, _, _) = place(&app, &t, body, "spend-unpaid").await;
    // ¥59 + ¥8 and ¥118 + ¥8 (over ¥99: free) by hand.
    assert_eq!(paid, 6700 + 11800);
    app.exec(&format!(
        "UPDATE users SET nickname = '小明同学', growth = 600 WHERE id = (SELECT user_id FROM orders WHERE id = {first})"
    ))
    .await;

    let c = owner(&app).await;
    let (s, v) = c.get("/admin/api/members?q=小明&sort=spend").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["total"], 1, "{v}");
    let m = &v["items"][0];
    assert_eq!(m["spend"], paid);
    assert_eq!(m["orderCount"], 2);
    let created: i64 = count(
        &app,
        &format!("SELECT created_at FROM orders WHERE id = {unpaid}"),
    )
    .await;
    assert_eq!(m["lastOrderAt"], created);
    // 600 growth: 白银 (500) by the core's rule.
    assert_eq!(m["growth"], 600);
    assert_eq!(m["level"]["levelId"], "silver", "{m}");

    // Sorted by spend: the highest first (the seed's shoppers spent less);
    // the level filter uses the core's levels (growth thresholds).
    let users = count(&app, "SELECT COUNT(*) FROM users").await;
    let (_, all) = c.get("/admin/api/members?sort=spend&pageSize=100").await;
    assert_eq!(all["total"], users);
    let spends: Vec<i64> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["spend"].as_i64().unwrap())
        .collect();
    assert!(spends.windows(2).all(|w| w[0] >= w[1]), "{spends:?}");
    assert!(all["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == m["id"] && r["spend"] == paid));
    let below_silver = count(&app, "SELECT COUNT(*) FROM users WHERE growth < 500").await;
    let (_, normal) = c.get("/admin/api/members?level=normal").await;
    assert_eq!(normal["total"], below_silver);
    let silvers = count(
        &app,
        "SELECT COUNT(*) FROM users WHERE growth >= 500 AND growth < 2000",
    )
    .await;
    let (_, silver) = c.get("/admin/api/members?level=silver").await;
    assert_eq!(silver["total"], silvers);
    assert!(silver["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == m["id"]));
    let (s, v) = c.get("/admin/api/members?sort=cheapest").await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")));

    let (s, d) = c.get(&format!("/admin/api/members/{}", m["id"])).await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["spend"], paid);
    assert_eq!(d["recentOrders"].as_array().unwrap().len(), 3);
    assert_eq!(d["recentOrders"][0]["id"], unpaid);
    assert_eq!(d["status"]["next"]["levelId"], "gold", "{d}");
    assert_eq!(d["status"]["next"]["growthNeeded"], 1400, "{d}");
    let earned: i64 = d["pointsLedger"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["delta"].as_i64().unwrap())
        .sum();
    assert_eq!(earned, d["points"].as_i64().unwrap(), "{d}");
    let (s, v) = c.get("/admin/api/members/999999").await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")));
}

async fn staff(c: &Console<'_>, role: &str) -> String {
    let username = format!("m-{role}");
    let (s, v) = c
        .post(
            "/admin/api/staff",
            json!({"username": username, "name": role, "role": role, "password": "password-123"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    username
}

#[tokio::test]
async fn members_and_delivery_are_for_owners_and_operators_only() {
    let app = spawn_app().await;
    let c = owner(&app).await;
    for (role, allowed) in [("operator", true), ("service", false), ("finance", false)] {
        let name = staff(&c, role).await;
        let s = sign_in(&app, &name, "password-123").await;
        for (method, path) in [
            (Method::GET, "/admin/api/members"),
            (Method::GET, "/admin/api/member-program"),
            (Method::GET, "/admin/api/points-rules"),
            (Method::GET, "/admin/api/delivery/express"),
            (Method::GET, "/admin/api/delivery/pickup"),
            (Method::GET, "/admin/api/delivery/same-city"),
        ] {
            let (status, v) = s.call(method, path, None).await;
            assert_eq!(status == 200, allowed, "{role} {path}: {status} {v}");
            if !allowed {
                assert_eq!(v["code"], "STAFF_FORBIDDEN");
            }
        }
        let (status, v) = s
            .put("/admin/api/delivery/pickup", json!({"stores": ["store-9"]}))
            .await;
        assert_eq!(status == 200, allowed, "{role}: {status} {v}");
    }
    // Automation: the merchant token acts as the owner.
    let (s, v) = app
        .merchant(Method::GET, "/admin/api/delivery/pickup", None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["stores"], json!(["store-9"]));
}
