//! 发货信息录入: every shipped order, and every pickup handed over, is
//! reported to WeChat once, by the job, with what WeChat's API requires.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

fn uploads(app: &TestApp) -> Vec<Value> {
    app.server.fake_wechat.as_ref().unwrap().shipping_uploads()
}

async fn report(app: &TestApp, id: i64) -> (u16, Value) {
    app.merchant(
        Method::GET,
        &format!("/api/merchant/orders/{id}/shipping-info"),
        None,
    )
    .await
}

#[tokio::test]
async fn shipping_and_pickup_are_reported_to_wechat_once() {
    let app = spawn_app().await;
    let t = app.login("reported").await;
    let pickup_body = json!({"items": [{"skuId": NUTS_750G, "quantity": 2}], "delivery": pickup()});
    let (a, no_a, _) = place(&app, &t, pickup_body.clone(), "r1").await;
    let (b, no_b, _) = place(&app, &t, pickup_body, "r2").await;
    pay_now(&app, &t, a, &no_a).await;
    pay_now(&app, &t, b, &no_b).await;
    // Not shipped yet: nothing to report.
    assert_eq!(report(&app, a).await.0, 404);
    let (s, v) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/orders/{a}/ship"),
            Some(json!({"carrier": "顺丰速运", "trackingNo": "SF1234567890"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let code = order(&app, b).await["pickupCode"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, v) = app
        .merchant(
            Method::POST,
            "/api/merchant/pickup/write-off",
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, v) = report(&app, a).await;
    assert_eq!(v["status"], "pending", "{v}");
    let now = mall_server::db::now();
    let r = mall_server::shipping_info::send_due(&app.server.state, now)
        .await
        .unwrap();
    assert_eq!(r.uploaded, 2, "{r:?}");
    let got = uploads(&app);
    assert_eq!(got.len(), 2);
    let express = &got[0];
    let tx_a = fake(&app).order(&no_a).unwrap().transaction_id.unwrap();
    assert_eq!(express["order_key"]["order_number_type"], 2);
    assert_eq!(express["order_key"]["transaction_id"], tx_a);
    assert_eq!(express["logistics_type"], 1);
    assert_eq!(express["shipping_list"][0]["express_company"], "SF");
    assert_eq!(express["shipping_list"][0]["tracking_no"], "SF1234567890");
    assert!(express["shipping_list"][0]["item_desc"]
        .as_str()
        .unwrap()
        .ends_with("*2"));
    assert_eq!(
        express["payer"]["openid"],
        mall_server::wechat::demo::openid_for_code("reported")
    );
    assert_eq!(got[1]["logistics_type"], 4, "self-pickup");
    let (_, v) = report(&app, a).await;
    assert_eq!(
        (v["status"].as_str(), v["attempts"].as_i64()),
        (Some("uploaded"), Some(1)),
        "{v}"
    );
    assert!(v["uploadedAt"].is_i64());
    // Reported once: later runs send nothing more.
    let r = mall_server::shipping_info::send_due(&app.server.state, now + 3600)
        .await
        .unwrap();
    assert_eq!(r, mall_server::shipping_info::UploadReport::default());
    assert_eq!(uploads(&app).len(), 2);
}

/// An order paid outside WeChat Pay has no transaction id: it is keyed by
/// merchant id and out_trade_no. A refusal by WeChat is kept and retried.
#[tokio::test]
async fn an_order_without_a_transaction_is_keyed_by_its_trade_number_and_refusals_are_retried() {
    let app = spawn_app().await;
    let t = app.login("mark-paid").await;
    let addr = app.add_address(&t).await;
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "addressId": addr});
    let (id, no, _) = place(&app, &t, body, "m1").await;
    let (s, v) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/orders/{id}/mark-paid"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/orders/{id}/ship"),
            Some(json!({"carrier": "ZTO", "trackingNo": "ZT1"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // The payer's openid is unknown to WeChat's check if missing: make the
    // first attempt fail by blanking the user's openid for a moment.
    let openid: String = sqlx::query_scalar(
        "SELECT u.openid FROM users u JOIN orders o ON o.user_id = u.id WHERE o.id = $1",
    )
    .bind(id)
    .fetch_one(&app.server.state.db.pool)
    .await
    .unwrap();
    app.exec(&format!(
        "UPDATE users SET openid = '' WHERE openid = '{openid}'"
    ))
    .await;
    let now = mall_server::db::now();
    let r = mall_server::shipping_info::send_due(&app.server.state, now)
        .await
        .unwrap();
    assert_eq!(r.retrying, 1, "{r:?}");
    let (_, v) = report(&app, id).await;
    assert_eq!(v["status"], "pending");
    assert!(v["lastError"].as_str().unwrap().contains("10060007"), "{v}");
    app.exec(&format!(
        "UPDATE users SET openid = '{openid}' WHERE openid = ''"
    ))
    .await;
    // Not due again before its backoff; then uploaded.
    let r = mall_server::shipping_info::send_due(&app.server.state, now + 1)
        .await
        .unwrap();
    assert_eq!(r.uploaded, 0);
    let r = mall_server::shipping_info::send_due(&app.server.state, now + 3600)
        .await
        .unwrap();
    assert_eq!(r.uploaded, 1, "{r:?}");
    let got = uploads(&app);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["order_key"]["order_number_type"], 1);
    assert_eq!(got[0]["order_key"]["out_trade_no"], no);
    assert_eq!(got[0]["shipping_list"][0]["express_company"], "ZTO");
}
