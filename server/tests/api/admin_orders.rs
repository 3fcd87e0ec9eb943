//! The console's orders and after-sales: filters, the timeline, CSV batch
//! shipping with its dry run, and approving a refund the shopper then sees.

use reqwest::Method;
use serde_json::{json, Value};

use crate::admin::owner;
use crate::helpers::*;

/// `n` paid express orders of one shopper; (id, order number) each.
async fn paid_orders(app: &TestApp, t: &str, n: usize) -> Vec<(i64, String)> {
    app.set_stock(NUTS_750G, 1000).await;
    let addr = app.add_address(t).await;
    let mut out = Vec::new();
    for i in 0..n {
        let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "addressId": addr});
        let (id, no, _) = place(app, t, body, &format!("k-{i}")).await;
        let (s, v) = app
            .merchant(
                Method::POST,
                &format!("/api/merchant/orders/{id}/mark-paid"),
                None,
            )
            .await;
        assert_eq!(s, 200, "{v}");
        out.push((id, no));
    }
    out
}

#[tokio::test]
async fn orders_filter_by_status_phone_tail_and_date() {
    let app = spawn_app().await;
    let t = app.login("buyer-filter").await;
    let orders = paid_orders(&app, &t, 3).await;
    let c = owner(&app).await;
    let (s, v) = c.get("/admin/api/orders?status=paid&phoneTail=5678").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["total"], 3);
    assert_eq!(v["counts"]["paid"], 3);
    assert_eq!(v["items"][0]["orderNo"], json!(orders[2].1));
    assert_eq!(v["items"][0]["phoneTail"], "5678");
    assert_eq!(v["items"][0]["delivery"], "express");
    let (_, v) = c.get("/admin/api/orders?phoneTail=0000").await;
    assert_eq!(v["total"], 0);
    let (_, v) = c
        .get(&format!("/admin/api/orders?orderNo={}", orders[0].1))
        .await;
    assert_eq!(v["total"], 1);
    let (_, v) = c
        .get("/admin/api/orders?from=2000-01-01&to=2000-01-02")
        .await;
    assert_eq!(v["total"], 0);
    let (s, v) = c.get("/admin/api/orders?from=2025-02-30").await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")));
    let (s, v) = c.get("/admin/api/orders?phoneTail=12a4").await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")));
    // The detail carries the timeline: placed, then paid.
    let (_, d) = c.get(&format!("/admin/api/orders/{}", orders[0].0)).await;
    let kinds: Vec<&str> = d["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["order.pending_payment", "order.paid"], "{d}");
}

/// 50 rows, 2 of them bad: the dry run flags exactly those and ships nothing;
/// confirming ships the 48 others; the file again ships nothing more.
#[tokio::test]
async fn a_csv_dry_run_flags_two_of_fifty_rows_and_the_confirm_ships_forty_eight() {
    let app = spawn_app().await;
    let t = app.login("buyer-csv").await;
    let orders = paid_orders(&app, &t, 49).await;
    let mut csv = String::from("\u{feff}订单号,快递公司,运单号\r\n");
    for (i, (_, no)) in orders.iter().enumerate() {
        let carrier = if i == 10 {
            "飞鸽快运"
        } else {
            "顺丰速运"
        };
        csv.push_str(&format!("{no},{carrier},SF{:06}\r\n", i));
    }
    csv.push_str("NO-SUCH-ORDER,中通,ZT000001\r\n");
    let c = owner(&app).await;
    let send = |dry: bool| {
        app.http
            .post(format!(
                "{}/admin/api/orders/ship-csv?dryRun={dry}",
                app.url
            ))
            .header("cookie", &c.cookie)
            .header("x-csrf-token", &c.csrf)
            .header("content-type", "text/csv; charset=utf-8")
            .body(csv.clone())
            .send()
    };
    let r: Value = send(true).await.unwrap().json().await.unwrap();
    assert_eq!(
        (
            r["okCount"].as_i64(),
            r["errorCount"].as_i64(),
            r["shipped"].as_i64()
        ),
        (Some(48), Some(2), Some(0)),
        "{r}"
    );
    let bad: Vec<(i64, &str)> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ok"] == false)
        .map(|r| (r["line"].as_i64().unwrap(), r["code"].as_str().unwrap()))
        .collect();
    assert_eq!(bad, [(12, "CARRIER_UNKNOWN"), (51, "ORDER_UNKNOWN")]);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM orders WHERE status = 'shipped'").await,
        0
    );
    let r: Value = send(false).await.unwrap().json().await.unwrap();
    assert_eq!(r["shipped"], 48, "{r}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM orders WHERE status = 'shipped'").await,
        48
    );
    let r: Value = send(false).await.unwrap().json().await.unwrap();
    assert_eq!(r["shipped"], 0, "{r}");
    assert_eq!(r["errorCount"], 50);
    // A tracking number already on another order is a duplicate.
    let dup = format!(
        "orderNo,carrier,trackingNo\n{},顺丰,SF000001\n",
        orders[10].1
    );
    let res = app
        .http
        .post(format!("{}/admin/api/orders/ship-csv", app.url))
        .header("cookie", &c.cookie)
        .header("x-csrf-token", &c.csrf)
        .header("content-type", "text/csv")
        .body(dup)
        .send()
        .await
        .unwrap();
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["rows"][0]["code"], "TRACKING_DUPLICATE", "{r}");
    let (_, audit) = c.get("/admin/api/audit").await;
    assert_eq!(audit["items"][0]["action"], "order.shipCsv");
}

#[tokio::test]
async fn a_refund_approved_in_the_console_reaches_the_shoppers_order() {
    let app = spawn_app().await;
    let t = app.login("buyer-refund").await;
    let addr = app.add_address(&t).await;
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 2}], "addressId": addr});
    let (id, no, _) = place(&app, &t, body, "k-refund").await;
    pay_now(&app, &t, id, &no).await;
    let lines = order(&app, id).await["lines"].clone();
    let line_id = lines[0]["lineId"].as_str().unwrap();
    let req = after_sale(&app, &t, id, json!({"kind": "refund_only", "items": [{"lineId": line_id, "quantity": 1}], "reason": "不想要了"})).await;
    let as_id = req["id"].as_i64().unwrap();
    let c = owner(&app).await;
    let (_, queue) = c.get("/admin/api/after-sales?status=requested").await;
    assert_eq!(queue["total"], 1);
    let amount = queue["items"][0]["amount"].as_i64().unwrap();
    assert!(amount > 0);
    assert_eq!(queue["items"][0]["orderNo"], json!(no));
    let (s, v) = c
        .post(
            &format!("/admin/api/after-sales/{as_id}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "refunding");
    // WeChat Pay finishes the refund; the shopper's order shows it.
    app.merchant(Method::POST, "/api/merchant/jobs/run", None)
        .await;
    let refund_no = count(
        &app,
        &format!("SELECT id FROM refunds WHERE after_sale_id = {as_id}"),
    )
    .await;
    assert!(refund_no > 0);
    let (_, mine) = app
        .get(&format!("/api/after-sales/{as_id}"), Some(&t))
        .await;
    assert!(
        ["refunding", "refunded"].contains(&mine["status"].as_str().unwrap()),
        "{mine}"
    );
    assert_eq!(mine["amount"].as_i64(), Some(amount));
    let (_, d) = c.get(&format!("/admin/api/orders/{id}")).await;
    let kinds: Vec<&str> = d["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"afterSale.requested") && kinds.contains(&"refund.sent"),
        "{kinds:?}"
    );
    let (_, audit) = c.get("/admin/api/audit").await;
    assert_eq!(audit["items"][0]["action"], "afterSale.approve");
    assert_eq!(audit["items"][0]["before"]["status"], "requested");
}
