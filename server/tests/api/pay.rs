//! WeChat Pay end to end against the fake: prepay and requestPayment
//! parameters, notifications and every attack on them, settle by query, late
//! payment of a cancelled order, shipping and pickup, after-sales refunds that
//! reconcile to the fen, subscription messages.

use mall_server::wechat::pay::fake::{KeyMode, Tamper};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// Everything a payment can change, to assert that nothing did.
async fn fingerprint(app: &TestApp, id: i64) -> Value {
    let o = order(app, id).await;
    json!({
        "status": o["status"], "paidAt": o["paidAt"], "paidAmount": o["paidAmount"],
        "events": count(app, &format!("SELECT COUNT(*) FROM order_events WHERE order_id = {id}")).await,
        "refunds": count(app, "SELECT COUNT(*) FROM refunds").await,
        "outbox": count(app, "SELECT COUNT(*) FROM outbox").await,
    })
}

#[tokio::test]
async fn prepay_signs_for_the_orders_payable_and_the_params_verify() {
    let app = spawn_app().await;
    let t = app.login("payer").await;
    let (id, no, payable) = place(
        &app,
        &t,
        json!({"items": [{"skuId": NUTS_750G, "quantity": 2}], "delivery": pickup()}),
        "p1",
    )
    .await;
    let v = prepay(&app, &t, id).await;
    assert_eq!(
        (v["paid"].as_bool(), v["amount"].as_i64()),
        (Some(false), Some(payable))
    );
    let p = &v["params"];
    assert_eq!(p["signType"], "RSA");
    assert!(p["timeStamp"].as_str().unwrap().len() == 10);
    let package = p["package"].as_str().unwrap();
    // The fake got exactly the order's payable, for this shopper, signed.
    let f = fake(&app).order(&no).expect("prepay reached the fake");
    assert_eq!(f.total, payable);
    assert_eq!(package, format!("prepay_id={}", f.prepay_id));
    assert_eq!(
        fake(&app)
            .rejected_requests
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
    // paySign verifies with the merchant's public key over appId\ntimeStamp\nnonceStr\npackage\n.
    let msg = format!(
        "{}\n{}\n{}\n{}\n",
        p["appId"].as_str().unwrap(),
        p["timeStamp"].as_str().unwrap(),
        p["nonceStr"].as_str().unwrap(),
        package
    );
    let keys = app.server.state.config.pay.fake_keys.clone().unwrap();
    assert!(verify_merchant(
        &keys.merchant_public_key_pem,
        msg.as_bytes(),
        p["paySign"].as_str().unwrap()
    ));
    assert!(!verify_merchant(
        &keys.merchant_public_key_pem,
        b"other",
        p["paySign"].as_str().unwrap()
    ));
    // Asking again reuses the prepay; another shopper cannot pay this order.
    let again = prepay(&app, &t, id).await;
    assert_eq!(again["params"]["package"], package);
    let other = app.login("someone-else").await;
    let (s, _) = app
        .post(&format!("/api/orders/{id}/pay"), Some(&other), json!({}))
        .await;
    assert_eq!(s, 404);
}

fn verify_merchant(pem: &str, msg: &[u8], sig_b64: &str) -> bool {
    use base64::Engine;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier;
    let key = rsa::RsaPublicKey::from_public_key_pem(pem).unwrap();
    let sig = base64::engine::general_purpose::STANDARD
        .decode(sig_b64)
        .unwrap();
    VerifyingKey::<sha2::Sha256>::new(key)
        .verify(msg, &Signature::try_from(sig.as_slice()).unwrap())
        .is_ok()
}

#[tokio::test]
async fn every_attack_on_the_payment_notification_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let t = app.login("attacked").await;
    let (id, no, payable) = place(
        &app,
        &t,
        json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()}),
        "a1",
    )
    .await;
    prepay(&app, &t, id).await;
    fake(&app).pay(&no).unwrap();
    let before = fingerprint(&app, id).await;
    let attacks = [
        (Tamper::ForgedSignature, 401),
        (Tamper::BodyChangedAfterSigning, 401),
        (Tamper::Timestamp(-301), 401),
        (Tamper::Timestamp(400), 401),
        (Tamper::SignTest, 401),
        (Tamper::UnknownSerial, 401),
        (Tamper::WrongApiV3Key, 400),
        (Tamper::Amount(payable - 1), 400),
        (Tamper::Amount(1), 400),
        (Tamper::Mchid("1900000999".into()), 400),
        (Tamper::Appid("wx-someone-else".into()), 400),
        (Tamper::OutTradeNo("NO-SUCH-ORDER".into()), 404),
    ];
    for (tamper, status) in attacks {
        for key in [KeyMode::PlatformCertificate, KeyMode::PublicKey] {
            let (s, body) = fake(&app).notify_payment(&no, key, tamper.clone()).await;
            assert_eq!(s, status, "{tamper:?} {key:?}: {body}");
            let v: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["code"], "FAIL", "{tamper:?}");
            assert!(v["message"].is_string());
        }
    }
    // A raw body with no WeChat headers at all.
    let (s, v) = app.post("/api/pay/notify", None, json!({"id": "x"})).await;
    assert_eq!((s, v["code"].as_str()), (401, Some("FAIL")));
    // NOTPAY is acknowledged with no effect.
    let (s, _) = fake(&app)
        .notify_payment(&no, KeyMode::PublicKey, Tamper::TradeState("NOTPAY".into()))
        .await;
    assert_eq!(s, 204);
    assert_eq!(fingerprint(&app, id).await, before, "nothing changed");
    assert_eq!(order(&app, id).await["status"], "pending_payment");

    // The genuine one (platform-certificate mode) pays it, exactly once.
    let (s, body) = fake(&app)
        .notify_payment(&no, KeyMode::PlatformCertificate, Tamper::None)
        .await;
    assert_eq!((s, body.as_str()), (204, ""));
    let paid = fingerprint(&app, id).await;
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["paidAmount"], payable);
    // Duplicates in either key mode: acknowledged, nothing changes.
    for key in [
        KeyMode::PublicKey,
        KeyMode::PlatformCertificate,
        KeyMode::PublicKey,
    ] {
        let (s, _) = fake(&app).notify_payment(&no, key, Tamper::None).await;
        assert_eq!(s, 204);
    }
    assert_eq!(fingerprint(&app, id).await, paid);
    // Out of order: a duplicate after shipping does not make it "paid" again.
    let (s, v) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/orders/{id}/ship"),
            Some(json!({"carrier": "顺丰", "trackingNo": "SF1"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let shipped = fingerprint(&app, id).await;
    let (s, _) = fake(&app)
        .notify_payment(&no, KeyMode::PublicKey, Tamper::None)
        .await;
    assert_eq!(s, 204);
    assert_eq!(fingerprint(&app, id).await, shipped);
    assert_eq!(shipped["status"], "shipped");
}

#[tokio::test]
async fn a_lost_notification_is_settled_by_query_and_a_late_one_for_a_cancelled_order_is_refunded()
{
    let app = spawn_app().await;
    let t = app.login("query-me").await;
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()});
    let (a, no_a, payable_a) = place(&app, &t, body.clone(), "q1").await;
    prepay(&app, &t, a).await;
    // Not paid yet: the query finds NOTPAY and changes nothing.
    let state = &app.server.state;
    let now = mall_server::db::now();
    assert_eq!(
        mall_server::payments::settle_unpaid(state, now, 0)
            .await
            .unwrap(),
        0
    );
    fake(&app).pay(&no_a).unwrap();
    assert_eq!(
        mall_server::payments::settle_unpaid(state, now, 0)
            .await
            .unwrap(),
        1
    );
    let o = order(&app, a).await;
    assert_eq!(
        (o["status"].as_str(), o["paidAmount"].as_i64()),
        (Some("paid"), Some(payable_a))
    );
    // The notification arriving afterwards is a duplicate.
    let before = fingerprint(&app, a).await;
    assert_eq!(
        fake(&app)
            .notify_payment(&no_a, KeyMode::PublicKey, Tamper::None)
            .await
            .0,
        204
    );
    assert_eq!(fingerprint(&app, a).await, before);

    // Order B is cancelled while the shopper is paying; the payment lands late.
    let stock0 = app.stock(NUTS_750G).await;
    let (b, no_b, payable_b) = place(&app, &t, body, "q2").await;
    prepay(&app, &t, b).await;
    let (s, _) = app
        .post(&format!("/api/orders/{b}/cancel"), Some(&t), json!({}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(app.stock(NUTS_750G).await, stock0);
    fake(&app).pay(&no_b).unwrap();
    let (s, _) = fake(&app)
        .notify_payment(&no_b, KeyMode::PublicKey, Tamper::None)
        .await;
    assert_eq!(s, 204);
    let o = order(&app, b).await;
    assert_eq!(o["status"], "cancelled", "not resurrected");
    assert_eq!(app.stock(NUTS_750G).await, stock0, "stock stays released");
    let refunds = fake(&app).refunds_of(&no_b);
    assert_eq!(refunds.len(), 1);
    assert_eq!(
        (refunds[0].amount.refund, refunds[0].amount.total),
        (payable_b, payable_b)
    );
    // A duplicate late notification does not refund twice.
    assert_eq!(
        fake(&app)
            .notify_payment(&no_b, KeyMode::PlatformCertificate, Tamper::None)
            .await
            .0,
        204
    );
    assert_eq!(fake(&app).refunds_of(&no_b).len(), 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM refunds").await, 1);
}

#[tokio::test]
async fn an_expiring_order_is_closed_at_wechat_or_settled_if_it_was_paid() {
    let app = spawn_app().await;
    let t = app.login("expiring").await;
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()});
    let (a, no_a, _) = place(&app, &t, body.clone(), "e1").await;
    let (b, no_b, _) = place(&app, &t, body, "e2").await;
    prepay(&app, &t, a).await;
    prepay(&app, &t, b).await;
    fake(&app).pay(&no_a).unwrap();
    app.exec("UPDATE orders SET expires_at = 0").await;
    let closed = mall_server::jobs::expiry::sweep(&app.server.state)
        .await
        .unwrap();
    assert_eq!(closed, 1);
    assert_eq!(order(&app, a).await["status"], "paid");
    assert_eq!(order(&app, b).await["status"], "cancelled");
    assert_eq!(fake(&app).order(&no_b).unwrap().state, "CLOSED");
}

#[tokio::test]
async fn shipping_pickup_write_off_and_auto_confirm() {
    let app = spawn_app().await;
    let t = app.login("shipper").await;
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()});
    let (a, no_a, _) = place(&app, &t, body.clone(), "s1").await;
    let (b, no_b, _) = place(&app, &t, body.clone(), "s2").await;
    let (c, no_c, _) = place(&app, &t, body, "s3").await;
    for (id, no) in [(a, &no_a), (b, &no_b), (c, &no_c)] {
        pay_now(&app, &t, id, no).await;
    }
    // A pickup order gets a write-off code once paid; the merchant hands it over.
    let code = order(&app, a).await["pickupCode"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, v) = app
        .merchant(
            Method::POST,
            "/api/merchant/pickup/write-off",
            Some(json!({"code": "000"})),
        )
        .await;
    assert_eq!(s, 404, "{v}");
    let (s, v) = app
        .merchant(
            Method::POST,
            "/api/merchant/pickup/write-off",
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("completed")), "{v}");
    let (s, _) = app
        .merchant(
            Method::POST,
            "/api/merchant/pickup/write-off",
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(s, 409, "written off once");
    // Batch shipping: one result per order.
    let (s, v) = app
        .merchant(
            Method::POST,
            "/api/merchant/orders/ship-batch",
            Some(json!({"items": [
                {"orderId": b, "carrier": "顺丰", "trackingNo": "SF2"},
                {"orderId": c, "carrier": "中通", "trackingNo": "ZT3"},
                {"orderId": a, "carrier": "中通", "trackingNo": "ZT4"}
            ]})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let ok: Vec<bool> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ok"].as_bool().unwrap())
        .collect();
    assert_eq!(ok, [true, true, false]);
    let o = order(&app, b).await;
    assert_eq!(
        (o["carrier"].as_str(), o["trackingNo"].as_str()),
        (Some("顺丰"), Some("SF2"))
    );
    // The shopper confirms B; C confirms itself after N days.
    let (s, v) = app
        .post(
            &format!("/api/orders/{b}/confirm-receipt"),
            Some(&t),
            json!({}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("completed")));
    let state = &app.server.state;
    let now = mall_server::db::now();
    assert_eq!(
        mall_server::jobs::auto_confirm(state, now + 6 * 86400)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        mall_server::jobs::auto_confirm(state, now + 7 * 86400 + 1)
            .await
            .unwrap(),
        1
    );
    assert_eq!(order(&app, c).await["status"], "completed");
}

/// The units' cash of a line, first units first, from the stored snapshot.
fn units_paid(snapshot: &Value, line: &str, skip: u64, take: u64) -> i64 {
    let l = snapshot["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["lineId"] == line)
        .unwrap();
    let mut each = vec![];
    for g in l["units"].as_array().unwrap() {
        for _ in 0..g["count"].as_u64().unwrap() {
            each.push(g["paid"].as_i64().unwrap());
        }
    }
    each.iter().skip(skip as usize).take(take as usize).sum()
}

#[tokio::test]
async fn pay_ship_receive_then_partial_refunds_reconcile_to_the_fen() {
    let app = spawn_app().await;
    let t = app.login("demo").await;
    let addr = app.add_address(&t).await;
    let (id, no, payable) = place(
        &app,
        &t,
        json!({"items": [{"skuId": NUTS_750G, "quantity": 3}, {"skuId": JERKY_SPICY, "quantity": 2}],
               "addressId": addr, "points": {"kind": "max"}}),
        "r1",
    )
    .await;
    // A seeded promoter chain: 15% / 5%.
    app.exec(&format!(
        r#"UPDATE orders SET distribution = '{{"rule":{{"rates":["0.15","0.05"]}},"promoters":["promoter-1","promoter-2"]}}' WHERE id = {id}"#
    ))
    .await;
    fake(&app)
        .auto_refund_notify
        .store(false, std::sync::atomic::Ordering::SeqCst);
    pay_now(&app, &t, id, &no).await;
    let earned = count(
        &app,
        &format!("SELECT CAST(SUM(amount) AS BIGINT) FROM commissions WHERE order_id = {id}"),
    )
    .await;
    assert!(earned > 0);
    let (s, _) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/orders/{id}/ship"),
            Some(json!({"carrier": "顺丰", "trackingNo": "SF9"})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .post(
            &format!("/api/orders/{id}/confirm-receipt"),
            Some(&t),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let o = order(&app, id).await;
    let snapshot = o["snapshot"].clone();
    let lines: Vec<String> = o["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["lineId"].as_str().unwrap().to_string())
        .collect();
    let (l1, l2) = (lines[0].clone(), lines[1].clone());
    let points_before = app.get("/api/member", Some(&t)).await.1["points"]
        .as_i64()
        .unwrap();

    // Refund 1: one unit of line 1.
    let r1 = after_sale(&app, &t, id, json!({"kind": "refund_only", "items": [{"lineId": l1, "quantity": 1}], "reason": "不想要了"})).await;
    assert_eq!(r1["status"], "requested");
    let expect1 = units_paid(&snapshot, &l1, 0, 1);
    assert_eq!(r1["amount"], expect1);
    // Asking for more units than remain is the core's error.
    let (s, v) = ask_after_sale(
        &app,
        &t,
        id,
        json!({"kind": "refund_only", "items": [{"lineId": l1, "quantity": 3}]}),
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("REFUND_QUANTITY_EXCEEDED")),
        "{v}"
    );
    let v = approve(&app, r1["id"].as_i64().unwrap()).await;
    assert_eq!(
        (v["status"].as_str(), v["refundStatus"].as_str()),
        (Some("refunding"), Some("processing"))
    );
    let (s, _) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/after-sales/{}/approve", r1["id"]),
            None,
        )
        .await;
    assert_eq!(s, 409, "approved once");
    let out1 = format!("{no}R{}", r1["id"]);
    assert_eq!(
        fake(&app).refund(&out1).unwrap().info.amount.refund,
        expect1
    );

    // Refund notifications: attacks refused, then SUCCESS once, duplicates ignored.
    for tamper in [
        Tamper::ForgedSignature,
        Tamper::SignTest,
        Tamper::Timestamp(-600),
        Tamper::Amount(expect1 + 1),
    ] {
        let (s, _) = fake(&app)
            .notify_refund(&out1, "SUCCESS", KeyMode::PublicKey, tamper.clone())
            .await;
        assert!(s >= 400, "{tamper:?}");
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM refunds WHERE status = 'success'"
        )
        .await,
        0
    );
    assert_eq!(
        fake(&app)
            .notify_refund(&out1, "SUCCESS", KeyMode::PlatformCertificate, Tamper::None)
            .await
            .0,
        204
    );
    assert_eq!(
        fake(&app)
            .notify_refund(&out1, "SUCCESS", KeyMode::PublicKey, Tamper::None)
            .await
            .0,
        204
    );
    // Out of order: CLOSED after SUCCESS changes nothing.
    assert_eq!(
        fake(&app)
            .notify_refund(&out1, "CLOSED", KeyMode::PublicKey, Tamper::None)
            .await
            .0,
        204
    );
    let (_, v) = app
        .get(&format!("/api/after-sales/{}", r1["id"]), Some(&t))
        .await;
    assert_eq!(
        (v["status"].as_str(), v["refundStatus"].as_str()),
        (Some("refunded"), Some("success"))
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM outbox WHERE event = 'refund'").await,
        1
    );

    // Refund 2 (return and refund): the next unit of line 1 and one of line 2.
    let r2 = after_sale(&app, &t, id, json!({"kind": "return_refund", "items": [{"lineId": l1, "quantity": 1}, {"lineId": l2, "quantity": 1}]})).await;
    let expect2 = units_paid(&snapshot, &l1, 1, 1) + units_paid(&snapshot, &l2, 0, 1);
    assert_eq!(r2["amount"], expect2);
    let r2id = r2["id"].as_i64().unwrap();
    assert_eq!(approve(&app, r2id).await["status"], "awaiting_return");
    let (s, v) = app
        .post(
            &format!("/api/after-sales/{r2id}/return"),
            Some(&t),
            json!({"carrier": "中通", "trackingNo": "ZT7"}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("returned")));
    let (s, v) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/after-sales/{r2id}/receive"),
            None,
        )
        .await;
    assert_eq!((s, v["amount"].as_i64()), (200, Some(expect2)), "{v}");
    let out2 = format!("{no}R{r2id}");
    // ABNORMAL then SUCCESS (re-initiated) is a legal order of events.
    assert_eq!(
        fake(&app)
            .notify_refund(&out2, "ABNORMAL", KeyMode::PublicKey, Tamper::None)
            .await
            .0,
        204
    );
    assert_eq!(
        fake(&app)
            .notify_refund(&out2, "SUCCESS", KeyMode::PublicKey, Tamper::None)
            .await
            .0,
        204
    );

    // A rejected request takes nothing.
    let r3 = after_sale(
        &app,
        &t,
        id,
        json!({"kind": "refund_only", "items": [{"lineId": l1, "quantity": 1}]}),
    )
    .await;
    let (s, v) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/after-sales/{}/reject", r3["id"]),
            Some(json!({"reason": "已使用"})),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("rejected")));
    let o = order(&app, id).await;
    assert_eq!(o["status"], "completed", "partial refunds leave the status");
    assert_eq!(o["refundedAmount"], expect1 + expect2);

    // The rest, with delivery: the whole order, to the fen.
    let r4 = after_sale(
        &app,
        &t,
        id,
        json!({"kind": "refund_only", "includeShipping": true,
        "items": [{"lineId": l1, "quantity": 1}, {"lineId": l2, "quantity": 1}]}),
    )
    .await;
    assert_eq!(r4["wholeOrder"], true);
    approve(&app, r4["id"].as_i64().unwrap()).await;
    let o = order(&app, id).await;
    assert_eq!(o["status"], "refunded");
    assert_eq!(o["refundedAmount"], payable);
    let cash: i64 = fake(&app)
        .refunds_of(&no)
        .iter()
        .map(|r| r.amount.refund)
        .sum();
    assert_eq!(cash, payable, "WeChat refunded exactly the payable");
    assert_eq!(
        count(
            &app,
            &format!("SELECT CAST(SUM(amount) AS BIGINT) FROM refunds WHERE order_id = {id}")
        )
        .await,
        payable
    );
    // Points all back; commission fully reversed.
    let points_after = app.get("/api/member", Some(&t)).await.1["points"]
        .as_i64()
        .unwrap();
    assert_eq!(
        points_after - points_before,
        o["pointsUsed"].as_i64().unwrap()
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT CAST(SUM(amount) AS BIGINT) FROM commissions WHERE order_id = {id}")
        )
        .await,
        0
    );
    let (s, v) = ask_after_sale(
        &app,
        &t,
        id,
        json!({"kind": "refund_only", "items": [{"lineId": l1, "quantity": 1}]}),
    )
    .await;
    assert_eq!(s, 409, "{v}");
}

#[tokio::test]
async fn subscription_messages_are_sent_retried_and_not_retried_after_a_refusal() {
    let app = spawn_app().await;
    let t1 = app.login("msg-ok").await;
    let t2 = app.login("msg-refuser").await;
    let fake_wx = app.server.fake_wechat.as_ref().unwrap();
    fake_wx.refuse(&mall_server::wechat::fake::openid_for_code("msg-refuser"));
    // Both accepted the paid message when they tapped 支付 (the refuser's
    // WeChat settings then refuse it: 43101).
    for t in [&t1, &t2] {
        let (s, v) = app
            .post(
                "/api/subscriptions",
                Some(t),
                json!({"results": {"tmpl-order-paid": "accept"}}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()});
    let (a, no_a, _) = place(&app, &t1, body.clone(), "m1").await;
    let (b, no_b, _) = place(&app, &t2, body, "m2").await;
    pay_now(&app, &t1, a, &no_a).await;
    pay_now(&app, &t2, b, &no_b).await;
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM outbox WHERE event = 'paid'").await,
        2
    );
    let state = &app.server.state;
    let now = mall_server::db::now();
    fake_wx.fail_next_sends(1);
    let r = mall_server::notify::send_due(state, now).await.unwrap();
    // The first send failed (system busy) and is retried; the refusal never is.
    assert_eq!((r.sent, r.refused, r.retrying), (0, 1, 1));
    let attempts = fake_wx.send_attempts();
    let r2 = mall_server::notify::send_due(state, now + 3600)
        .await
        .unwrap();
    assert_eq!((r2.sent, r2.refused, r2.retrying), (1, 0, 0));
    assert_eq!(fake_wx.sent_messages().len(), 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM outbox WHERE status = 'sent'").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM outbox WHERE status = 'refused'").await,
        1
    );
    let r3 = mall_server::notify::send_due(state, now + 86400)
        .await
        .unwrap();
    assert_eq!(r3, mall_server::notify::SendReport::default());
    assert_eq!(fake_wx.send_attempts(), attempts + 1);
    let m = &fake_wx.sent_messages()[0];
    assert_eq!(m.template_id, "tmpl-order-paid");
    assert_eq!(
        m.touser,
        mall_server::wechat::fake::openid_for_code("msg-ok")
    );
}

/// The payment notification racing the shopper's cancel: never a 5xx, and
/// every order ends either paid or cancelled with its payment refunded once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_payment_racing_the_cancel_ends_paid_or_refunded_never_lost() {
    const N: usize = 60;
    let app = std::sync::Arc::new(spawn_with(|c| c.db_max_connections = 16).await);
    let t = app.login("racer").await;
    app.set_stock(NUTS_750G, 1000).await;
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()});
    let mut orders = Vec::new();
    for i in 0..N {
        let (id, no, _) = place(&app, &t, body.clone(), &format!("race-{i}")).await;
        prepay(&app, &t, id).await;
        fake(&app).pay(&no).unwrap();
        orders.push((id, no));
    }
    let mut tasks = tokio::task::JoinSet::new();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2 * N));
    for (id, no) in orders.clone() {
        let (a, b) = (app.clone(), app.clone());
        let (ba, bb) = (barrier.clone(), barrier.clone());
        let t = t.clone();
        tasks.spawn(async move {
            ba.wait().await;
            a.post(&format!("/api/orders/{id}/cancel"), Some(&t), json!({}))
                .await
                .0
        });
        tasks.spawn(async move {
            bb.wait().await;
            fake(&b)
                .notify_payment(&no, KeyMode::PublicKey, Tamper::None)
                .await
                .0
        });
    }
    while let Some(r) = tasks.join_next().await {
        let s = r.unwrap();
        assert!(s < 500, "a racing cancel or notification answered {s}");
    }
    mall_server::payments::reconcile_cancelled(&app.server.state, mall_server::db::now() + 3600, 0)
        .await
        .unwrap();
    for (id, no) in orders {
        let o = order(&app, id).await;
        let refunds = fake(&app).refunds_of(&no).len();
        match o["status"].as_str().unwrap() {
            "paid" => assert_eq!(refunds, 0, "order {id}"),
            "cancelled" => assert_eq!(refunds, 1, "order {id}: money taken, refunded once"),
            s => panic!("order {id} ended {s}"),
        }
    }
}

/// A cancelled order whose payment notification never arrived is found by
/// the reconciliation job and refunded once; one still open at WeChat is
/// closed there.
#[tokio::test]
async fn reconciliation_refunds_a_cancelled_order_that_wechat_reports_paid() {
    let app = spawn_app().await;
    let t = app.login("reconcile").await;
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()});
    let (a, no_a, payable) = place(&app, &t, body.clone(), "r1").await;
    let (b, no_b, _) = place(&app, &t, body, "r2").await;
    for id in [a, b] {
        prepay(&app, &t, id).await;
        let (s, _) = app
            .post(&format!("/api/orders/{id}/cancel"), Some(&t), json!({}))
            .await;
        assert_eq!(s, 200);
    }
    fake(&app).pay(&no_a).unwrap(); // paid, its notification lost
    let state = &app.server.state;
    let later = mall_server::db::now() + 120;
    assert_eq!(
        mall_server::payments::reconcile_cancelled(state, later, 60)
            .await
            .unwrap(),
        1
    );
    let refunds = fake(&app).refunds_of(&no_a);
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].amount.refund, payable);
    assert_eq!(order(&app, a).await["status"], "cancelled");
    assert_eq!(fake(&app).order(&no_b).unwrap().state, "CLOSED");
    // Asked once: a second run changes nothing.
    assert_eq!(
        mall_server::payments::reconcile_cancelled(state, later, 60)
            .await
            .unwrap(),
        0
    );
    assert_eq!(fake(&app).refunds_of(&no_a).len(), 1);
}

/// A merchant configured with the WeChat Pay public key only names it in
/// `Wechatpay-Serial` on every request, so WeChat answers signed with it;
/// one with the platform certificate only is answered under the certificate.
#[tokio::test]
async fn requests_name_the_public_key_and_either_key_alone_is_enough() {
    for public_key_only in [true, false] {
        let app = spawn_with(|c| {
            if public_key_only {
                c.pay.platform_cert_pems.clear();
            } else {
                c.pay.public_key = None;
            }
        })
        .await;
        let t = app.login("one-key").await;
        let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()});
        let (id, no, _) = place(&app, &t, body, "k1").await;
        let p = prepay(&app, &t, id).await;
        assert!(p["params"]["package"]
            .as_str()
            .unwrap()
            .starts_with("prepay_id="));
        fake(&app).pay(&no).unwrap();
        let now = mall_server::db::now();
        assert_eq!(
            mall_server::payments::settle_unpaid(&app.server.state, now, 0)
                .await
                .unwrap(),
            1,
            "the query answer verified (public key only: {public_key_only})"
        );
        let without = fake(&app)
            .requests_without_serial
            .load(std::sync::atomic::Ordering::Relaxed);
        if public_key_only {
            assert_eq!(without, 0, "every request carried Wechatpay-Serial");
        } else {
            assert!(without > 0);
        }
    }
}

/// WeChat's error answers may come unsigned: an unsigned ORDER_NOT_EXIST
/// still lets an order that was never created there expire, while a reply
/// that cannot be verified never settles anything.
#[tokio::test]
async fn unsigned_error_answers_are_handled_by_their_code_without_moving_money() {
    let app = spawn_app().await;
    let t = app.login("unsigned").await;
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()});
    let (a, _, _) = place(&app, &t, body.clone(), "u1").await;
    let (b, no_b, _) = place(&app, &t, body, "u2").await;
    // A prepay WeChat never recorded (its answer was lost), and a real one.
    app.exec(&format!(
        "UPDATE orders SET prepay_id = 'wx-lost', prepay_at = 1 WHERE id = {a}"
    ))
    .await;
    prepay(&app, &t, b).await;
    fake(&app)
        .unsigned_errors
        .store(true, std::sync::atomic::Ordering::Relaxed);
    app.exec("UPDATE orders SET expires_at = 0").await;
    let closed = mall_server::jobs::expiry::sweep(&app.server.state)
        .await
        .unwrap();
    assert_eq!(
        closed, 2,
        "ORDER_NOT_EXIST (unsigned) and a closed order both expire"
    );
    assert_eq!(order(&app, a).await["status"], "cancelled");
    assert_eq!(fake(&app).order(&no_b).unwrap().state, "CLOSED");
    // The reconciliation job does not settle a cancelled order on an unsigned
    // "no such order": it asks again next time.
    let later = mall_server::db::now() + 3600;
    mall_server::payments::reconcile_cancelled(&app.server.state, later, 0)
        .await
        .unwrap();
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM orders WHERE id = {a} AND pay_checked_at IS NULL")
        )
        .await,
        1
    );
}
