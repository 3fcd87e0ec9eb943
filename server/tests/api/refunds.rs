//! Refunds that end CLOSED (WeChat closed them, or the merchant gave up on an
//! ABNORMAL one) undo exactly what their approval applied, once; ABNORMAL
//! refunds can be retried under a new number; the cash reconciles to the fen.

use mall_server::wechat::pay::fake::{KeyMode, Tamper};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

async fn points(app: &TestApp, t: &str) -> i64 {
    app.get("/api/member", Some(t)).await.1["points"]
        .as_i64()
        .unwrap()
}

async fn notify(app: &TestApp, out: &str, status: &str, key: KeyMode) {
    let (s, b) = fake(app)
        .notify_refund(out, status, key, Tamper::None)
        .await;
    assert_eq!(s, 204, "{status}: {b}");
}

/// Cash refunded with SUCCESS, and what the order may be refunded at most.
async fn reconcile(app: &TestApp, id: i64, payable: i64) -> i64 {
    let ok = count(
        app,
        &format!("SELECT COALESCE(CAST(SUM(amount) AS BIGINT), 0) FROM refunds WHERE order_id = {id} AND status = 'success'"),
    )
    .await;
    assert!(ok <= payable, "refunded {ok} > payable {payable}");
    ok
}

/// Everything a refund's approval can change, to compare before and after.
async fn books(app: &TestApp, t: &str, id: i64, sku: i64) -> Value {
    let o = order(app, id).await;
    json!({
        "status": o["status"],
        "refundedAmount": o["refundedAmount"],
        "refundedUnits": count(app, &format!("SELECT CAST(SUM(refunded_quantity) AS BIGINT) FROM order_lines WHERE order_id = {id}")).await,
        "points": points(app, t).await,
        "couponsUsedHere": count(app, &format!("SELECT COUNT(*) FROM user_coupons WHERE order_id = {id} AND status = 'used'")).await,
        "commission": count(app, &format!("SELECT COALESCE(CAST(SUM(amount) AS BIGINT), 0) FROM commissions WHERE order_id = {id}")).await,
        "stock": app.stock(sku).await,
        "sales": count(app, &format!("SELECT sales FROM skus WHERE id = {sku}")).await,
    })
}

async fn as_view(app: &TestApp, t: &str, as_id: i64) -> Value {
    let (s, v) = app.get(&format!("/api/after-sales/{as_id}"), Some(t)).await;
    assert_eq!(s, 200, "{v}");
    v
}

#[tokio::test]
async fn a_closed_refund_is_undone_once_and_the_same_units_refund_the_same_amount_again() {
    let app = spawn_app().await;
    let t = app.login("demo").await;
    let (id, no, payable) = place(
        &app,
        &t,
        json!({"items": [{"skuId": NUTS_750G, "quantity": 3}], "delivery": pickup(),
               "points": {"kind": "max"}, "coupons": {"kind": "best"}}),
        "c1",
    )
    .await;
    app.exec(&format!(
        r#"UPDATE orders SET distribution = '{{"rule":{{"rates":["0.15","0.05"]}},"promoters":["promoter-1","promoter-2"]}}' WHERE id = {id}"#
    ))
    .await;
    fake(&app)
        .auto_refund_notify
        .store(false, std::sync::atomic::Ordering::SeqCst);
    pay_now(&app, &t, id, &no).await;
    let o = order(&app, id).await;
    assert!(o["pointsUsed"].as_i64().unwrap() > 0, "{o}");
    assert!(
        !o["snapshot"]["couponIds"].as_array().unwrap().is_empty(),
        "a coupon was used"
    );
    let line = o["lines"][0]["lineId"].as_str().unwrap().to_string();
    let paid = books(&app, &t, id, NUTS_750G).await;
    assert!(paid["commission"].as_i64().unwrap() > 0);
    assert!(paid["couponsUsedHere"].as_i64().unwrap() >= 1);

    // The whole order, refund only, before shipping: everything comes back.
    let r1 = after_sale(
        &app,
        &t,
        id,
        json!({"kind": "refund_only", "items": [{"lineId": line, "quantity": 3}]}),
    )
    .await;
    let r1id = r1["id"].as_i64().unwrap();
    let amount = r1["amount"].as_i64().unwrap();
    assert_eq!(amount, payable);
    approve(&app, r1id).await;
    let refunded = books(&app, &t, id, NUTS_750G).await;
    assert_eq!(refunded["status"], "refunded");
    assert_eq!(refunded["refundedAmount"], payable);
    assert_eq!(refunded["refundedUnits"], 3);
    assert_eq!(
        refunded["points"].as_i64().unwrap() - paid["points"].as_i64().unwrap(),
        o["pointsUsed"].as_i64().unwrap()
    );
    assert_eq!(refunded["couponsUsedHere"], 0);
    assert_eq!(refunded["commission"], 0);
    assert_eq!(
        refunded["stock"].as_i64().unwrap(),
        paid["stock"].as_i64().unwrap() + 3
    );

    // WeChat closes the refund: exactly what the approval applied is undone.
    let out1 = format!("{no}R{r1id}");
    notify(&app, &out1, "CLOSED", KeyMode::PublicKey).await;
    assert_eq!(books(&app, &t, id, NUTS_750G).await, paid);
    let v = as_view(&app, &t, r1id).await;
    assert_eq!(
        (v["status"].as_str(), v["refundStatus"].as_str()),
        (Some("refund_closed"), Some("closed"))
    );
    let rev = &v["reversal"];
    assert_eq!(rev["amount"], payable);
    assert_eq!(rev["units"], json!([{"lineId": line, "quantity": 3}]));
    assert_eq!(rev["pointsTakenBack"], o["pointsUsed"]);
    assert_eq!(rev["pointsShort"], 0);
    assert_eq!(
        rev["couponsReconsumed"].as_array().unwrap().len() as i64,
        paid["couponsUsedHere"].as_i64().unwrap()
    );
    assert_eq!(rev["commissionRestored"], paid["commission"]);
    assert_eq!(rev["stockTakenBack"], 3);
    assert_eq!(rev["orderReopened"], "paid");
    assert_eq!(reconcile(&app, id, payable).await, 0);

    // Duplicate CLOSED notifications (and a late SUCCESS) change nothing.
    let outbox = count(&app, "SELECT COUNT(*) FROM outbox").await;
    let ledger = count(&app, "SELECT COUNT(*) FROM points_ledger").await;
    let commissions = count(&app, "SELECT COUNT(*) FROM commissions").await;
    for key in [KeyMode::PlatformCertificate, KeyMode::PublicKey] {
        notify(&app, &out1, "CLOSED", key).await;
    }
    assert_eq!(books(&app, &t, id, NUTS_750G).await, paid);
    assert_eq!(as_view(&app, &t, r1id).await, v);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM outbox").await, outbox);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM points_ledger").await,
        ledger
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM commissions").await,
        commissions
    );

    // The same units can be asked for again and refund the same amount.
    let r2 = after_sale(
        &app,
        &t,
        id,
        json!({"kind": "refund_only", "items": [{"lineId": line, "quantity": 3}]}),
    )
    .await;
    let r2id = r2["id"].as_i64().unwrap();
    assert_eq!(r2["amount"], amount);
    assert_eq!(approve(&app, r2id).await["amount"], amount);
    assert_eq!(books(&app, &t, id, NUTS_750G).await, refunded);
    let out2 = format!("{no}R{r2id}");
    assert_eq!(fake(&app).refund(&out2).unwrap().info.amount.refund, amount);
    notify(&app, &out2, "SUCCESS", KeyMode::PublicKey).await;
    assert_eq!(as_view(&app, &t, r2id).await["status"], "refunded");
    assert_eq!(
        reconcile(&app, id, payable).await,
        payable,
        "all refunded: equal"
    );
    let (s, _) = ask_after_sale(
        &app,
        &t,
        id,
        json!({"kind": "refund_only", "items": [{"lineId": line, "quantity": 1}]}),
    )
    .await;
    assert_eq!(s, 409, "nothing left to refund");
}

#[tokio::test]
async fn an_abnormal_refund_is_retried_or_closed_by_the_merchant_and_spent_points_become_a_debt() {
    let app = spawn_app().await;
    let t = app.login("demo").await;
    let (id, no, payable) = place(
        &app,
        &t,
        json!({"items": [{"skuId": NUTS_750G, "quantity": 2}, {"skuId": JERKY_SPICY, "quantity": 2}],
               "delivery": pickup(), "points": {"kind": "max"}, "coupons": {"kind": "none"}}),
        "a1",
    )
    .await;
    fake(&app)
        .auto_refund_notify
        .store(false, std::sync::atomic::Ordering::SeqCst);
    pay_now(&app, &t, id, &no).await;
    let (s, _) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/orders/{id}/ship"),
            Some(json!({"carrier": "顺丰", "trackingNo": "SF1"})),
        )
        .await;
    assert_eq!(s, 200);
    let o = order(&app, id).await;
    let line = o["lines"][0]["lineId"].as_str().unwrap().to_string();
    let shipped = books(&app, &t, id, NUTS_750G).await;

    // One unit, refund only, after shipping (no restock); the buyer spends the
    // returned points before the refund goes wrong.
    let r1 = after_sale(
        &app,
        &t,
        id,
        json!({"kind": "refund_only", "items": [{"lineId": line, "quantity": 1}]}),
    )
    .await;
    let r1id = r1["id"].as_i64().unwrap();
    let amount = r1["amount"].as_i64().unwrap();
    let returned = r1["pointsReturned"].as_i64().unwrap();
    assert!(returned > 0, "{r1}");
    let v = approve(&app, r1id).await;
    assert_eq!(
        app.stock(NUTS_750G).await,
        shipped["stock"],
        "shipped goods: no restock"
    );
    let refund1 = v["refundId"].as_i64().unwrap();
    app.exec(&format!(
        "UPDATE users SET points = 0 WHERE id = (SELECT user_id FROM orders WHERE id = {id})"
    ))
    .await;
    let out1 = format!("{no}R{r1id}");
    notify(&app, &out1, "ABNORMAL", KeyMode::PublicKey).await;
    assert_eq!(as_view(&app, &t, r1id).await["status"], "refund_abnormal");
    let (s, list) = app
        .merchant(Method::GET, "/api/merchant/refunds?status=abnormal", None)
        .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], refund1);

    // The merchant gives up: closed, undone; the spent points become a debt.
    let (s, v) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/refunds/{refund1}/close"),
            None,
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("closed")), "{v}");
    let v = as_view(&app, &t, r1id).await;
    assert_eq!(v["status"], "refund_closed");
    assert_eq!(
        (
            v["reversal"]["pointsTakenBack"].as_i64(),
            v["reversal"]["pointsShort"].as_i64()
        ),
        (Some(0), Some(returned))
    );
    assert_eq!(v["reversal"]["stockTakenBack"], 0);
    assert_eq!(points(&app, &t).await, 0, "never below zero");
    assert_eq!(
        count(
            &app,
            &format!("SELECT points_debt FROM users WHERE id = (SELECT user_id FROM orders WHERE id = {id})")
        )
        .await,
        returned
    );
    let after_close = books(&app, &t, id, NUTS_750G).await;
    assert_eq!(after_close["refundedUnits"], 0);
    assert_eq!(after_close["refundedAmount"], 0);
    assert_eq!(after_close["stock"], shipped["stock"]);
    for action in ["close", "retry"] {
        let (s, v) = app
            .merchant(
                Method::POST,
                &format!("/api/merchant/refunds/{refund1}/{action}"),
                None,
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (409, Some("REFUND_STATE")),
            "{action}"
        );
    }
    notify(&app, &out1, "CLOSED", KeyMode::PublicKey).await;
    assert_eq!(books(&app, &t, id, NUTS_750G).await, after_close);

    // Asked again: the same amount; ABNORMAL again, and this time retried.
    let r2 = after_sale(
        &app,
        &t,
        id,
        json!({"kind": "refund_only", "items": [{"lineId": line, "quantity": 1}]}),
    )
    .await;
    let r2id = r2["id"].as_i64().unwrap();
    assert_eq!(r2["amount"], amount);
    let refund2 = approve(&app, r2id).await["refundId"].as_i64().unwrap();
    let out2 = format!("{no}R{r2id}");
    notify(&app, &out2, "ABNORMAL", KeyMode::PublicKey).await;
    let (s, v) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/refunds/{refund2}/retry"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let out3 = format!("{out2}-2");
    assert_eq!(
        (
            v["outRefundNo"].as_str(),
            v["amount"].as_i64(),
            v["status"].as_str()
        ),
        (Some(out3.as_str()), Some(amount), Some("processing"))
    );
    assert_eq!(fake(&app).refund(&out3).unwrap().info.amount.refund, amount);
    let view = as_view(&app, &t, r2id).await;
    assert_eq!(
        (view["status"].as_str(), view["refundId"].as_i64()),
        (Some("refunding"), v["id"].as_i64())
    );
    notify(&app, &out3, "SUCCESS", KeyMode::PlatformCertificate).await;
    assert_eq!(as_view(&app, &t, r2id).await["status"], "refunded");
    // A late SUCCESS for the superseded number changes nothing.
    notify(&app, &out2, "SUCCESS", KeyMode::PublicKey).await;
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM refunds WHERE order_id = {id} AND status = 'success'")
        )
        .await,
        1
    );
    assert_eq!(reconcile(&app, id, payable).await, amount);
    assert_eq!(order(&app, id).await["refundedAmount"], amount);
}

async fn preview(app: &TestApp, t: &str, id: i64, body: Value) -> (u16, Value) {
    app.post(
        &format!("/api/orders/{id}/after-sales/preview"),
        Some(t),
        body,
    )
    .await
}

#[tokio::test]
async fn the_preview_is_what_the_approved_refund_then_pays_and_stores_nothing() {
    let app = spawn_app().await;
    let t = app.login("demo").await;
    let addr = app.add_address(&t).await;
    let (id, no, payable) = place(
        &app,
        &t,
        json!({"items": [{"skuId": NUTS_750G, "quantity": 3}, {"skuId": JERKY_SPICY, "quantity": 2}],
               "addressId": addr, "points": {"kind": "max"}, "coupons": {"kind": "best"}}),
        "pv1",
    )
    .await;
    fake(&app)
        .auto_refund_notify
        .store(false, std::sync::atomic::Ordering::SeqCst);
    pay_now(&app, &t, id, &no).await;
    let o = order(&app, id).await;
    assert!(!o["snapshot"]["couponIds"].as_array().unwrap().is_empty());
    let (l1, l2) = (
        o["lines"][0]["lineId"].as_str().unwrap().to_string(),
        o["lines"][1]["lineId"].as_str().unwrap().to_string(),
    );
    let stored = || async {
        count(&app, "SELECT COUNT(*) FROM after_sales").await
            + count(&app, "SELECT COUNT(*) FROM refunds").await
    };

    // Part of the order: the units' cash and points, no coupons back.
    let part = json!({"kind": "refund_only", "items": [{"lineId": l1, "quantity": 2}], "reason": "不想要了"});
    let (s, p1) = preview(&app, &t, id, part.clone()).await;
    assert_eq!(s, 200, "{p1}");
    assert_eq!(stored().await, 0, "a preview stores nothing");
    assert!(p1["amount"].as_i64().unwrap() > 0);
    assert_eq!(
        (p1["couponsBack"].as_bool(), p1["wholeOrder"].as_bool()),
        (Some(false), Some(false))
    );
    let points_before = points(&app, &t).await;
    let r1 = after_sale(&app, &t, id, part).await;
    let r1id = r1["id"].as_i64().unwrap();
    // While the request is open its units are held: the preview refuses them too.
    let (s, v) = preview(
        &app,
        &t,
        id,
        json!({"kind": "refund_only", "items": [{"lineId": l1, "quantity": 2}]}),
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("REFUND_QUANTITY_EXCEEDED")),
        "{v}"
    );
    let v = approve(&app, r1id).await;
    assert_eq!(v["amount"], p1["amount"]);
    assert_eq!(v["pointsReturned"], p1["pointsReturned"]);
    assert_eq!(
        fake(&app)
            .refund(&format!("{no}R{r1id}"))
            .unwrap()
            .info
            .amount
            .refund,
        p1["amount"].as_i64().unwrap()
    );
    assert_eq!(
        points(&app, &t).await - points_before,
        p1["pointsReturned"].as_i64().unwrap()
    );

    // The rest (and the delivery fee): exactly what is left, coupons come back.
    let rest = json!({"kind": "refund_only", "items": [{"lineId": l1, "quantity": 1}, {"lineId": l2, "quantity": 2}],
                      "includeShipping": true});
    let (s, p2) = preview(&app, &t, id, rest.clone()).await;
    assert_eq!(s, 200, "{p2}");
    assert_eq!(
        p2["amount"].as_i64().unwrap(),
        payable - p1["amount"].as_i64().unwrap()
    );
    assert_eq!(
        (p2["couponsBack"].as_bool(), p2["wholeOrder"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(p2["couponsReturned"], o["snapshot"]["couponIds"]);
    let r2 = after_sale(&app, &t, id, rest).await;
    let r2id = r2["id"].as_i64().unwrap();
    let v = approve(&app, r2id).await;
    assert_eq!(v["amount"], p2["amount"]);
    assert_eq!(v["couponsReturned"], p2["couponsReturned"]);
    assert_eq!(
        fake(&app)
            .refund(&format!("{no}R{r2id}"))
            .unwrap()
            .info
            .amount
            .refund,
        p2["amount"].as_i64().unwrap()
    );
    assert_eq!(order(&app, id).await["refundedAmount"], payable);

    // Refunded in full: no more after-sales; nor for someone else's order.
    let (s, v) = preview(
        &app,
        &t,
        id,
        json!({"kind": "refund_only", "items": [{"lineId": l1, "quantity": 1}]}),
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("AFTER_SALE_NOT_ALLOWED")),
        "{v}"
    );
    let other = app.login("stranger").await;
    let (s, v) = preview(
        &app,
        &other,
        id,
        json!({"kind": "refund_only", "items": [{"lineId": l1, "quantity": 1}]}),
    )
    .await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")), "{v}");
}
