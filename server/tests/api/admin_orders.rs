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
    assert_eq!((s, v["code"].as_str()), (422, Some("DATE_RANGE_INVALID")));
    let (s, v) = c
        .get("/admin/api/orders?from=2025-03-02&to=2025-03-01")
        .await;
    assert_eq!((s, v["code"].as_str()), (422, Some("DATE_RANGE_INVALID")));
    assert_eq!(v["details"]["field"], "to");
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

/// Copies of order `id` (new numbers and keys), `n` of them, in one statement.
async fn clone_order(app: &TestApp, id: i64, n: i64) {
    app.exec(&format!(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < {n})
         INSERT INTO orders (order_no, user_id, status, idempotency_key, fingerprint, goods_total, discount_total,
             shipping_fee, points_used, points_deduction, payable, reward_growth, reward_points, delivery, remark,
             quote, snapshot, created_at, expires_at, paid_at, updated_at, paid_amount, phone_tail)
         SELECT o.order_no || '-' || k.i, o.user_id, o.status, o.idempotency_key || '-' || k.i, o.fingerprint,
             o.goods_total, o.discount_total, o.shipping_fee, o.points_used, o.points_deduction, o.payable,
             o.reward_growth, o.reward_points, o.delivery, o.remark, o.quote, o.snapshot, o.created_at + k.i,
             o.expires_at, o.paid_at, o.updated_at, o.paid_amount, o.phone_tail
         FROM orders o, k WHERE o.id = {id}"
    ))
    .await;
}

/// 2,500 orders (three pages): the job reaches 100%, the file starts with
/// the BOM and the header, formula cells are escaped, yuan have two decimals,
/// and every order is one line.
#[tokio::test]
async fn an_orders_export_runs_in_the_background_and_streams_a_csv_excel_reads() {
    let app = spawn_app().await;
    let t = app.login("buyer-export").await;
    let orders = paid_orders(&app, &t, 1).await;
    let (id, no) = orders[0].clone();
    app.exec("UPDATE users SET nickname = '=HYPERLINK(\"http://x\")'")
        .await;
    clone_order(&app, id, 2499).await;
    let c = owner(&app).await;
    let (s, job) = c
        .post("/admin/api/exports/orders", json!({"status": "paid"}))
        .await;
    assert_eq!(s, 202, "{job}");
    let job_id = job["id"].as_i64().unwrap();
    let mut progress = Vec::new();
    for _ in 0..200 {
        let (_, j) = c.get(&format!("/admin/api/exports/{job_id}")).await;
        progress.push(j["progress"].as_i64().unwrap());
        if j["status"] == "done" {
            assert_eq!(
                (j["total"].as_i64(), j["done"].as_i64()),
                (Some(2500), Some(2500)),
                "{j}"
            );
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(progress.last(), Some(&100), "{progress:?}");
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    let res = app
        .http
        .get(format!("{}/admin/api/exports/{job_id}/file", app.url))
        .header("cookie", &c.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let text = res.text().await.unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines.len(), 2502, "header, 2500 orders, the empty rest");
    assert_eq!(
        lines[0],
        "\u{feff}订单号,状态,下单时间,支付时间,买家,手机尾号,商品,件数,商品金额(元),优惠(元),运费(元),实付(元),已退款(元),快递公司,运单号"
    );
    let o = order(&app, id).await;
    let when = |k: &str| mall_server::clock::beijing_time(o[k].as_i64().unwrap());
    let yuan = |k: &str| {
        let f = o[k].as_i64().unwrap();
        format!("{}.{:02}", f / 100, f % 100)
    };
    let golden = format!(
        "{no},待发货,{},{},\"'=HYPERLINK(\"\"http://x\"\")\",5678,{}(750g)×1,1,{},{},{},{},0.00,,",
        when("createdAt"),
        when("paidAt"),
        o["lines"][0]["title"].as_str().unwrap(),
        yuan("goodsTotal"),
        yuan("discountTotal"),
        yuan("shippingFee"),
        yuan("paidAmount"),
    );
    assert_eq!(lines[1], golden);
    assert!(
        lines[2500].starts_with(&format!("{no}-2499,")),
        "{}",
        lines[2500]
    );
    // Not ready yet, or unknown: the error shape.
    let (s, v) = c.get("/admin/api/exports/999/file").await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")));
}

/// The overview's stream announces a payment and an after-sales request
/// made after it opened.
#[tokio::test]
async fn the_console_stream_announces_new_paid_orders_and_requests() {
    let app = spawn_app().await;
    let t = app.login("buyer-stream").await;
    let addr = app.add_address(&t).await;
    let c = owner(&app).await;
    let mut res = app
        .http
        .get(format!("{}/admin/api/stream", app.url))
        .header("cookie", &c.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "addressId": addr});
    let (id, no, _) = place(&app, &t, body, "k-stream").await;
    pay_now(&app, &t, id, &no).await;
    let lines = order(&app, id).await["lines"].clone();
    let line_id = lines[0]["lineId"].as_str().unwrap().to_string();
    after_sale(
        &app,
        &t,
        id,
        json!({"kind": "refund_only", "items": [{"lineId": line_id, "quantity": 1}]}),
    )
    .await;
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    while !(seen.contains("event: orderPaid") && seen.contains("event: afterSaleRequested")) {
        let chunk = tokio::time::timeout_at(deadline, res.chunk())
            .await
            .expect("events in time")
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains(&format!("\"orderNo\":\"{no}\"")), "{seen}");
}

/// Every stock change is in the ledger: the merchant's set, an order taking
/// units, its cancellation giving them back, with the order named.
#[tokio::test]
async fn orders_taking_and_returning_stock_write_the_ledger() {
    let app = spawn_app().await;
    let t = app.login("buyer-ledger").await;
    app.set_stock(NUTS_750G, 50).await;
    let addr = app.add_address(&t).await;
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 3}], "addressId": addr});
    let (id, _, _) = place(&app, &t, body, "k-ledger").await;
    let (s, v) = app
        .post(&format!("/api/orders/{id}/cancel"), Some(&t), json!({}))
        .await;
    assert_eq!(s, 200, "{v}");
    let c = owner(&app).await;
    let (_, ledger) = c
        .get(&format!("/admin/api/stock-ledger?skuId={NUTS_750G}"))
        .await;
    let rows: Vec<(i64, i64, i64, &str, Option<i64>)> = ledger["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["before"].as_i64().unwrap(),
                e["after"].as_i64().unwrap(),
                e["delta"].as_i64().unwrap(),
                e["reason"].as_str().unwrap(),
                e["orderId"].as_i64(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (47, 50, 3, "未支付关闭，库存退回", Some(id)),
            (50, 47, -3, "下单占用", Some(id)),
            (
                rows[2].0,
                50,
                50 - rows[2].0,
                "接口设置（X-Merchant-Token）",
                None
            ),
        ]
    );
    assert_eq!(app.stock(NUTS_750G).await, 50);
}
