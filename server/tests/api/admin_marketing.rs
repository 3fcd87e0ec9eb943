//! The console's 营销: campaigns and promotions checked by the core before
//! saving, the what-if replay of recent paid orders computed by hand, coupon
//! templates with their claim/use statistics, activity prices, ROI and roles.

use reqwest::Method;
use serde_json::{json, Value};

use crate::admin::{owner, sign_in, Console};
use crate::helpers::*;

/// The seed's 每日坚果礼盒 750g and 牛肉干 香辣 list prices (fen).
const NUTS: i64 = 12900;
const JERKY: i64 = 3990;

async fn paid(app: &TestApp, t: &str, items: Value, key: &str) -> i64 {
    let body = json!({"items": items, "delivery": pickup(), "coupons": {"kind": "none"}});
    let (id, _, _) = place(app, t, body, key).await;
    let (s, v) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/orders/{id}/mark-paid"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    id
}

fn full_100_minus_10(repeat: bool) -> Value {
    json!([{"campaignId": "m100-10", "rule": {"kind": "amountOff", "repeat": repeat,
            "tiers": [{"threshold": 10000, "amount": 1000}]}}])
}

/// Three paid orders (¥39.90, ¥129, ¥258) and one unpaid; the seeded
/// campaign is 满199减20 / 满399减50.
async fn three_paid_orders(app: &TestApp) -> Vec<i64> {
    app.set_stock(NUTS_750G, 1000).await;
    app.set_stock(JERKY_SPICY, 1000).await;
    let t = app.login("buyer-what-if").await;
    let a = paid(app, &t, json!([{"skuId": JERKY_SPICY, "quantity": 1}]), "a").await;
    let b = paid(app, &t, json!([{"skuId": NUTS_750G, "quantity": 1}]), "b").await;
    let c = paid(app, &t, json!([{"skuId": NUTS_750G, "quantity": 2}]), "c").await;
    let unpaid = json!({"items": [{"skuId": NUTS_750G, "quantity": 5}], "delivery": pickup(),
                        "coupons": {"kind": "none"}});
    place(app, &t, unpaid, "d").await;
    vec![a, b, c]
}

#[tokio::test]
async fn the_what_if_of_full_100_minus_10_matches_the_hand_computed_cost() {
    let app = spawn_app().await;
    three_paid_orders(&app).await;
    let c = owner(&app).await;
    // Now (满199减20): 0, 0, 2000. Proposed 满100减10: 0, 1000, 1000.
    let (s, w) = c
        .post(
            "/admin/api/marketing/what-if",
            json!({"campaigns": full_100_minus_10(false)}),
        )
        .await;
    assert_eq!(s, 200, "{w}");
    assert_eq!(w["orders"], 3, "{w}");
    assert_eq!(w["touched"], 2, "{w}");
    assert_eq!(w["discountCostNow"], 2000);
    assert_eq!(w["discountCostProposed"], 2000);
    assert_eq!(w["costDelta"], 0);
    let now_sum = JERKY + NUTS + (2 * NUTS - 2000);
    assert_eq!(w["avgPayableNow"], (2 * now_sum + 3) / 6);
    assert_eq!(w["avgPayableProposed"], (2 * now_sum + 3) / 6);
    assert_eq!(w["sampled"], false);
    // 每满100减10: 0, 1000, 2000: only the ¥129 order changes.
    let (_, w) = c
        .post(
            "/admin/api/marketing/what-if",
            json!({"campaigns": full_100_minus_10(true)}),
        )
        .await;
    assert_eq!(
        (w["touched"].as_i64(), w["costDelta"].as_i64()),
        (Some(1), Some(1000)),
        "{w}"
    );
    assert_eq!(w["discountCostProposed"], 3000);
    let proposed_sum = JERKY + (NUTS - 1000) + (2 * NUTS - 2000);
    assert_eq!(w["avgPayableProposed"], (2 * proposed_sum + 3) / 6);
    // A ¥5 无门槛 coupon every buyer holds once: 1500 more on top of the current rules.
    let (_, w) = c
        .post(
            "/admin/api/marketing/what-if",
            json!({"coupon": {"kind": {"kind": "noThreshold", "amount": 500}}}),
        )
        .await;
    assert_eq!(
        (w["touched"].as_i64(), w["costDelta"].as_i64()),
        (Some(3), Some(1500)),
        "{w}"
    );
    // The what-if saved nothing.
    let (_, v) = c.get("/admin/api/marketing/campaigns").await;
    assert_eq!(v["items"][0]["campaignId"], "full-reduction", "{v}");
}

#[tokio::test]
async fn a_rule_the_core_refuses_is_not_saved_and_a_good_one_replaces_only_its_section() {
    let app = spawn_app().await;
    let c = owner(&app).await;
    let bad = json!({"items": [{"campaignId": "x", "rule": {"kind": "rateOff",
                     "tiers": [{"threshold": 10000, "rate": "1.5"}]}}]});
    let (s, v) = c.put("/admin/api/marketing/campaigns", bad.clone()).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    assert_eq!(v["details"]["field"], "campaigns.tiers.rate", "{v}");
    let (s, v) = c
        .post(
            "/admin/api/marketing/what-if",
            json!({"campaigns": bad["items"]}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    let zero = json!({"items": [{"campaignId": "x", "rule": {"kind": "amountOff",
                      "tiers": [{"threshold": 0, "amount": 100}]}}]});
    let (s, _) = c.put("/admin/api/marketing/campaigns", zero).await;
    assert_eq!(s, 400);
    let nth = json!({"items": [{"promotionId": "p", "rule": {"kind": "nthItem", "n": 1, "rate": "0.5"}}]});
    let (s, v) = c.put("/admin/api/marketing/promotions", nth).await;
    assert_eq!(
        (s, v["details"]["field"].as_str()),
        (400, Some("itemPromotions.n")),
        "{v}"
    );
    let twice = json!({"items": [
        {"campaignId": "x", "rule": {"kind": "amountOff", "tiers": [{"threshold": 100, "amount": 1}]}},
        {"campaignId": "x", "rule": {"kind": "amountOff", "tiers": [{"threshold": 100, "amount": 1}]}}]});
    let (s, v) = c.put("/admin/api/marketing/campaigns", twice).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("RULES_INCONSISTENT")),
        "{v}"
    );
    let backwards = json!({"items": [{"campaignId": "x", "startsAt": 2000, "endsAt": 1000,
        "rule": {"kind": "amountOff", "tiers": [{"threshold": 100, "amount": 1}]}}]});
    let (s, v) = c.put("/admin/api/marketing/campaigns", backwards).await;
    assert_eq!(
        (s, v["details"]["field"].as_str()),
        (422, Some("endsAt")),
        "{v}"
    );
    let (_, v) = c.get("/admin/api/marketing/campaigns").await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert_eq!(v["items"][0]["campaignId"], "full-reduction");

    // A shopper's quote before the save: the rules are now in this
    // instance's cache (`shop_rules::cache`), which the save must forget.
    let t = app.login("buyer-after-save").await;
    let quote = || async {
        app.post(
            "/api/checkout/quote",
            Some(&t),
            json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup(), "coupons": {"kind": "none"}}),
        )
        .await
    };
    let (s, q) = quote().await;
    assert_eq!(s, 200, "{q}");
    assert_ne!(q["orderDiscount"], 1000, "{q}");
    let (s, v) = c
        .put(
            "/admin/api/marketing/campaigns",
            json!({"items": full_100_minus_10(false)}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = c
        .put(
            "/admin/api/marketing/promotions",
            json!({"items": [{"promotionId": "2nd-half", "rule": {"kind": "nthItem", "n": 2, "rate": "0.5"}}]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // The other sections are untouched: the member levels and shipping still price the cart.
    let stored: String = sqlx::query_scalar("SELECT value FROM settings WHERE key = 'shop_rules'")
        .fetch_one(&app.server.state.db.pool)
        .await
        .unwrap();
    let stored: Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(stored["campaigns"][0]["campaignId"], "m100-10");
    assert_eq!(stored["itemPromotions"][0]["promotionId"], "2nd-half");
    assert_eq!(stored["member"]["levels"].as_array().unwrap().len(), 4);
    assert_eq!(stored["shipping"]["express"][0]["freeOver"], 9900);
    // The same shopper's quote, at once, takes 满100减10 (¥129 ≥ ¥100).
    let (s, q) = quote().await;
    assert_eq!(s, 200, "{q}");
    assert_eq!(q["orderDiscount"], 1000, "{q}");
    // The audit log has the change with before and after.
    let (_, audit) = c.get("/admin/api/audit").await;
    let entry = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "campaigns.replace")
        .unwrap()
        .clone();
    assert_eq!(
        entry["before"][0]["campaignId"], "full-reduction",
        "{entry}"
    );
    assert_eq!(entry["after"][0]["campaignId"], "m100-10", "{entry}");
}

#[tokio::test]
async fn coupon_statistics_follow_a_claim_and_a_use_and_total_never_drops_below_issued() {
    let app = spawn_app().await;
    let c = owner(&app).await;
    let (s, t) = c
        .post(
            "/admin/api/marketing/coupons",
            json!({"title": "五元无门槛", "kind": {"kind": "noThreshold", "amount": 500},
                   "validDays": 7, "total": 10, "perUserLimit": 1}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    let id = t["id"].as_i64().unwrap();
    assert_eq!(
        (t["issued"].as_i64(), t["used"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(t["usedRate"], "0.0000");
    // A percent coupon of 12 折 is refused by the core.
    let (s, v) = c
        .post(
            "/admin/api/marketing/coupons",
            json!({"title": "坏", "kind": {"kind": "percent", "rate": "1.2"}, "validDays": 7, "total": 10}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");

    let buyer = app.login("buyer-coupon").await;
    let (s, w) = app
        .post(&format!("/api/coupons/{id}/claim"), Some(&buyer), json!({}))
        .await;
    assert_eq!(s, 201, "{w}");
    let other = app.login("buyer-coupon-2").await;
    let (s, _) = app
        .post(&format!("/api/coupons/{id}/claim"), Some(&other), json!({}))
        .await;
    assert_eq!(s, 201);
    let body = json!({"items": [{"skuId": JERKY_SPICY, "quantity": 1}], "delivery": pickup(),
                      "coupons": {"kind": "manual", "couponIds": [w["id"].to_string()]}});
    let (order_id, _, payable) = place(&app, &buyer, body, "k").await;
    assert_eq!(payable, JERKY - 500);
    let (s, _) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/orders/{order_id}/mark-paid"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let (_, list) = c.get("/admin/api/marketing/coupons").await;
    let row = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(
        (row["issued"].as_i64(), row["used"].as_i64()),
        (Some(2), Some(1)),
        "{row}"
    );
    assert_eq!(row["usedRate"], "0.5000");
    // total below the 2 issued: refused; 2 itself is fine.
    let terms = |total: i64| json!({"title": "五元无门槛", "validDays": 7, "total": total, "perUserLimit": 1, "claimable": false});
    let (s, v) = c
        .put(&format!("/admin/api/marketing/coupons/{id}"), terms(1))
        .await;
    assert_eq!(
        (s, v["details"]["field"].as_str()),
        (422, Some("total")),
        "{v}"
    );
    let (s, v) = c
        .put(&format!("/admin/api/marketing/coupons/{id}"), terms(2))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["claimable"], false);
    // ROI of the template: the order's ¥34.90 over its ¥5.
    let (_, roi) = c.get("/admin/api/marketing/roi").await;
    let r = &roi["coupons"][id.to_string()];
    assert_eq!(
        (r["gmv"].as_i64(), r["cost"].as_i64()),
        (Some(JERKY - 500), Some(500)),
        "{roi}"
    );
    assert_eq!(r["roi"], "6.98");
}

#[tokio::test]
async fn roi_of_the_seeded_campaign_is_its_orders_gmv_over_its_discount() {
    let app = spawn_app().await;
    let orders = three_paid_orders(&app).await;
    let c = owner(&app).await;
    let (s, roi) = c.get("/admin/api/marketing/roi").await;
    assert_eq!(s, 200, "{roi}");
    let r = &roi["campaigns"]["full-reduction"];
    assert_eq!(r["orders"], 1, "{roi}");
    assert_eq!(r["gmv"], 2 * NUTS - 2000);
    assert_eq!(r["cost"], 2000);
    // 23800 / 2000 = 11.9
    assert_eq!(r["roi"], "11.90");
    // Half of that order refunded (as a succeeded refund records it): GMV net of it.
    app.exec(&format!(
        "UPDATE orders SET refunded_amount = 11900 WHERE id = {}",
        orders[2]
    ))
    .await;
    let (_, roi) = c.get("/admin/api/marketing/roi").await;
    let r = &roi["campaigns"]["full-reduction"];
    assert_eq!(
        (r["gmv"].as_i64(), r["roi"].as_str()),
        (Some(11900), Some("5.95")),
        "{roi}"
    );
}

#[tokio::test]
async fn an_activity_price_is_created_listed_and_replaced() {
    let app = spawn_app().await;
    let c = owner(&app).await;
    let body = |price: i64| {
        json!({"kind": "flashSale", "title": "坚果秒杀", "startsAt": 1_700_000_000i64, "endsAt": 4_000_000_000i64,
               "perUserLimit": 2, "skus": [{"skuId": NUTS_750G, "price": price, "stock": 50}]})
    };
    let (s, a) = c.post("/admin/api/marketing/activities", body(9900)).await;
    assert_eq!(s, 201, "{a}");
    let id = a["id"].as_str().unwrap().to_string();
    assert_eq!(a["skus"][0]["price"], 9900);
    assert_eq!(a["skus"][0]["listPrice"], NUTS);
    let (s, a) = c
        .put(&format!("/admin/api/marketing/activities/{id}"), body(8900))
        .await;
    assert_eq!(s, 200, "{a}");
    let (_, list) = c.get("/admin/api/marketing/activities").await;
    let found = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == json!(id))
        .unwrap()
        .clone();
    assert_eq!(found["skus"][0]["price"], 8900, "{found}");
    let mut backwards = body(100);
    backwards["endsAt"] = json!(1);
    let (s, v) = c.post("/admin/api/marketing/activities", backwards).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("RULES_INCONSISTENT")),
        "{v}"
    );
    let (s, _) = c
        .put("/admin/api/marketing/activities/nope", body(100))
        .await;
    assert_eq!(s, 404);
}

async fn as_role<'a>(app: &'a TestApp, owner: &Console<'_>, role: &str) -> Console<'a> {
    let username = format!("m-{role}");
    let (s, v) = owner
        .post(
            "/admin/api/staff",
            json!({"username": username, "name": role, "role": role, "password": "password-123"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    sign_in(app, &username, "password-123").await
}

#[tokio::test]
async fn operators_run_marketing_and_service_staff_may_not() {
    let app = spawn_app().await;
    let o = owner(&app).await;
    let operator = as_role(&app, &o, "operator").await;
    let (s, v) = operator.get("/admin/api/marketing/campaigns").await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = operator
        .post("/admin/api/marketing/what-if", json!({}))
        .await;
    assert_eq!((s, v["touched"].as_i64()), (200, Some(0)), "{v}");
    let service = as_role(&app, &o, "service").await;
    let (s, v) = service.get("/admin/api/marketing/coupons").await;
    assert_eq!((s, v["code"].as_str()), (403, Some("STAFF_FORBIDDEN")));
    let finance = as_role(&app, &o, "finance").await;
    let (s, _) = finance
        .put("/admin/api/marketing/campaigns", json!({"items": []}))
        .await;
    assert_eq!(s, 403);
}
