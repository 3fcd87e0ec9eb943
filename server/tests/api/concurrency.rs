use std::sync::Arc;

use serde_json::json;

use crate::helpers::*;

/// N concurrent buyers of a SKU with K units get exactly min(N, K) orders.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_buyers_of_fifty_units_get_exactly_fifty_orders() {
    const N: usize = 200;
    const K: i64 = 50;
    let app = Arc::new(spawn_with(|c| c.db_max_connections = 16).await);
    app.set_stock(NUTS_750G, K).await;
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()});
    // Every buyer signs in and sees a quote first.
    let mut buyers = Vec::with_capacity(N);
    for i in 0..N {
        let t = app.login(&format!("buyer-{i}")).await;
        let (s, q) = app
            .post("/api/checkout/quote", Some(&t), body.clone())
            .await;
        assert_eq!(s, 200, "{q}");
        buyers.push((t, q["fingerprint"].clone()));
    }
    // Then all submit at once.
    let barrier = Arc::new(tokio::sync::Barrier::new(N));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, (t, fp)) in buyers.into_iter().enumerate() {
        let app = app.clone();
        let barrier = barrier.clone();
        let mut place = body.clone();
        place["fingerprint"] = fp;
        place["idempotencyKey"] = json!(format!("k-{i}"));
        tasks.spawn(async move {
            barrier.wait().await;
            app.post("/api/orders", Some(&t), place).await
        });
    }
    let (mut ok, mut sold_out) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        let (s, v) = r.unwrap();
        match (s, v["code"].as_str()) {
            (201, _) => ok += 1,
            (409, Some("OUT_OF_STOCK")) => sold_out += 1,
            other => panic!("unexpected answer {other:?}: {v}"),
        }
    }
    assert_eq!(ok, K as usize);
    assert_eq!(sold_out, N - K as usize);
    assert_eq!(app.stock(NUTS_750G).await, 0);
    let sold: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM order_lines WHERE sku_id = $1",
    )
    .bind(NUTS_750G)
    .fetch_one(&app.server.state.db.pool)
    .await
    .unwrap();
    assert_eq!(sold, K);
    // The stock ledger tells the same story, one take after another: each
    // placed order's row goes from the stock it found to one less, so the
    // rows chain from K down to 0 (on PostgreSQL the take is in the order's
    // batch statement, its ledger row reading the stock the take left).
    let ledger: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT delta, before_stock, after_stock, order_id FROM stock_ledger
         WHERE sku_id = $1 AND order_id IS NOT NULL ORDER BY before_stock DESC",
    )
    .bind(NUTS_750G)
    .fetch_all(&app.server.state.db.pool)
    .await
    .unwrap();
    let chain: Vec<(i64, i64, i64)> = (0..K).map(|i| (-1, K - i, K - i - 1)).collect();
    let takes: Vec<(i64, i64, i64)> = ledger.iter().map(|r| (r.0, r.1, r.2)).collect();
    assert_eq!(takes, chain);
    let orders: std::collections::BTreeSet<i64> = ledger.iter().map(|r| r.3).collect();
    assert_eq!(orders.len(), K as usize, "one ledger row per order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_with_one_idempotency_key_make_one_order() {
    let app = Arc::new(spawn_app().await);
    let t = app.login("double-tap").await;
    let body = json!({"items": [{"skuId": JERKY_SPICY, "quantity": 1}], "delivery": pickup()});
    let (_, q) = app
        .post("/api/checkout/quote", Some(&t), body.clone())
        .await;
    let mut place = body;
    place["fingerprint"] = q["fingerprint"].clone();
    place["idempotencyKey"] = json!("same-key");
    let stock = app.stock(JERKY_SPICY).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (app, t, place) = (app.clone(), t.clone(), place.clone());
        tasks.spawn(async move { app.post("/api/orders", Some(&t), place).await });
    }
    let mut ids = Vec::new();
    while let Some(r) = tasks.join_next().await {
        let (s, v) = r.unwrap();
        assert!(s == 200 || s == 201, "{v}");
        ids.push(v["id"].as_i64().unwrap());
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 1);
    assert_eq!(app.stock(JERKY_SPICY).await, stock - 1);
}

/// One shopper racing themself: a per-user limit of 5 allows exactly 5 units.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_orders_of_one_shopper_respect_the_purchase_limit() {
    const TEA_250G_LIMIT_5: i64 = 18;
    let app = Arc::new(spawn_app().await);
    let t = app.login("greedy").await;
    let body = json!({"items": [{"skuId": TEA_250G_LIMIT_5, "quantity": 1}], "delivery": pickup()});
    let (_, q) = app
        .post("/api/checkout/quote", Some(&t), body.clone())
        .await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..12 {
        let (app, t) = (app.clone(), t.clone());
        let mut place = body.clone();
        place["fingerprint"] = q["fingerprint"].clone();
        place["idempotencyKey"] = json!(format!("greedy-{i}"));
        tasks.spawn(async move { app.post("/api/orders", Some(&t), place).await });
    }
    let mut ok = 0;
    while let Some(r) = tasks.join_next().await {
        let (s, v) = r.unwrap();
        match (s, v["code"].as_str()) {
            (201, _) => ok += 1,
            (422, Some("OVER_PURCHASE_LIMIT")) => {}
            other => panic!("unexpected {other:?}: {v}"),
        }
    }
    assert_eq!(ok, 5);
}

/// Two submits racing for the same coupon: one order gets the discount, the
/// other is re-quoted without it and answered PRICE_CHANGED, never charged twice
/// the discount.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_coupon_is_spent_once_even_when_two_orders_race_for_it() {
    let app = Arc::new(spawn_app().await);
    let t = app.login("racer").await;
    let (_, list) = app.get("/api/coupons", Some(&t)).await;
    let tpl = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "无门槛5元券")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (s, _) = app
        .post(&format!("/api/coupons/{tpl}/claim"), Some(&t), json!({}))
        .await;
    assert_eq!(s, 201);
    let body = json!({"items": [{"skuId": JERKY_SPICY, "quantity": 1}], "delivery": pickup()});
    let (_, q) = app
        .post("/api/checkout/quote", Some(&t), body.clone())
        .await;
    assert_eq!(q["orderDiscount"], 500);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..2 {
        let (app, t) = (app.clone(), t.clone());
        let mut place = body.clone();
        place["fingerprint"] = q["fingerprint"].clone();
        place["idempotencyKey"] = json!(format!("race-{i}"));
        tasks.spawn(async move { app.post("/api/orders", Some(&t), place).await });
    }
    let mut answers = Vec::new();
    while let Some(r) = tasks.join_next().await {
        let (s, v) = r.unwrap();
        answers.push((s, v["code"].as_str().map(str::to_string), v));
    }
    answers.sort_by_key(|a| a.0);
    assert_eq!(answers[0].0, 201, "{:?}", answers[0].2);
    assert_eq!(answers[0].2["discountTotal"], 500);
    assert_eq!(
        (answers[1].0, answers[1].1.as_deref()),
        (409, Some("PRICE_CHANGED"))
    );
    assert_eq!(answers[1].2["details"]["quote"]["orderDiscount"], 0);
}

/// On SQLite the orders are placed in batches by one writer
/// (`db::writer`): a refused order inside a batch rolls back to its own
/// savepoint and leaves the others placed; the counts stay exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refused_orders_inside_a_batch_leave_the_others_placed() {
    const N: usize = 120;
    const STALE: usize = 20;
    const K: i64 = 40;
    let app = Arc::new(spawn_with(|c| c.db_max_connections = 16).await);
    app.set_stock(NUTS_750G, K).await;
    app.set_stock(JERKY_SPICY, 1000).await;
    let nuts = json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()});
    // Every sixth buyer confirms a price that is no longer the quote's, for a
    // SKU with units enough, so the refusal is always PRICE_CHANGED.
    let jerky = json!({"items": [{"skuId": JERKY_SPICY, "quantity": 1}], "delivery": pickup()});
    let mut buyers = Vec::with_capacity(N);
    for i in 0..N {
        let t = app.login(&format!("batch-buyer-{i}")).await;
        let stale = i % 6 == 5;
        let body = if stale { &jerky } else { &nuts };
        let (s, q) = app
            .post("/api/checkout/quote", Some(&t), body.clone())
            .await;
        assert_eq!(s, 200, "{q}");
        let fp = if stale {
            json!("a-stale-fingerprint")
        } else {
            q["fingerprint"].clone()
        };
        buyers.push((t, body.clone(), fp));
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(N));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, (t, body, fp)) in buyers.into_iter().enumerate() {
        let (app, barrier) = (app.clone(), barrier.clone());
        let mut place = body;
        place["fingerprint"] = fp;
        place["idempotencyKey"] = json!(format!("batch-{i}"));
        tasks.spawn(async move {
            barrier.wait().await;
            app.post("/api/orders", Some(&t), place).await
        });
    }
    let (mut ok, mut stale, mut sold_out) = (0, 0, 0);
    while let Some(r) = tasks.join_next().await {
        let (s, v) = r.unwrap();
        match (s, v["code"].as_str()) {
            (201, _) => ok += 1,
            (409, Some("PRICE_CHANGED")) => stale += 1,
            (409, Some("OUT_OF_STOCK")) => sold_out += 1,
            other => panic!("unexpected answer {other:?}: {v}"),
        }
    }
    assert_eq!(
        (ok, stale, sold_out),
        (K as usize, STALE, N - STALE - K as usize)
    );
    assert_eq!(app.stock(NUTS_750G).await, 0);
    assert_eq!(app.stock(JERKY_SPICY).await, 1000);
    let (orders, lines): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(DISTINCT o.id), CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT)
         FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE l.sku_id = $1",
    )
    .bind(NUTS_750G)
    .fetch_one(&app.server.state.db.pool)
    .await
    .unwrap();
    assert_eq!((orders, lines), (K, K));
    let stats = app.server.state.db.writer_stats();
    if app.server.state.db.backend == mall_server::db::Backend::Sqlite {
        assert_eq!(stats.writes, N as u64, "{stats:?}");
        assert!(
            stats.largest > 1,
            "no order shared a transaction: {stats:?}"
        );
    } else {
        assert_eq!(stats.batches, 0, "PostgreSQL places each order alone");
    }
}

/// Payments are written in the same batches as orders on SQLite
/// (`db::writer`): 40 orders paid at once, each notified three times
/// concurrently, end paid exactly once each, with one "paid" event, one
/// message and their stock untouched by the payments; on SQLite the writes
/// shared transactions.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_payment_notifications_pay_each_order_exactly_once() {
    use mall_server::wechat::pay::fake::{KeyMode, Tamper};
    const N: usize = 40;
    let app = Arc::new(spawn_with(|c| c.db_max_connections = 16).await);
    app.set_stock(JERKY_SPICY, 1000).await;
    let mut orders = Vec::with_capacity(N);
    for i in 0..N {
        let t = app.login(&format!("notified-{i}")).await;
        let body = json!({"items": [{"skuId": JERKY_SPICY, "quantity": 1}], "delivery": pickup()});
        let (id, no, _) = place(&app, &t, body, &format!("notified-{i}")).await;
        prepay(&app, &t, id).await;
        fake(&app).pay(&no).unwrap();
        orders.push((id, no));
    }
    let before = app.server.state.db.writer_stats();
    let barrier = Arc::new(tokio::sync::Barrier::new(N * 3));
    let mut tasks = tokio::task::JoinSet::new();
    for (_, no) in &orders {
        for key in [
            KeyMode::PublicKey,
            KeyMode::PlatformCertificate,
            KeyMode::PublicKey,
        ] {
            let (app, barrier, no) = (app.clone(), barrier.clone(), no.clone());
            tasks.spawn(async move {
                barrier.wait().await;
                fake(&app).notify_payment(&no, key, Tamper::None).await.0
            });
        }
    }
    while let Some(s) = tasks.join_next().await {
        assert_eq!(s.unwrap(), 204);
    }
    for (id, _) in &orders {
        assert_eq!(order(&app, *id).await["status"], "paid");
        let sql = format!(
            "SELECT COUNT(*) FROM order_events WHERE order_id = {id} AND to_status = 'paid'"
        );
        assert_eq!(count(&app, &sql).await, 1, "order {id}");
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM outbox WHERE event = 'paid'").await,
        N as i64
    );
    assert_eq!(app.stock(JERKY_SPICY).await, 1000 - N as i64);
    let after = app.server.state.db.writer_stats();
    if app.server.state.db.backend == mall_server::db::Backend::Sqlite {
        assert_eq!(after.writes - before.writes, 3 * N as u64, "{after:?}");
    } else {
        assert_eq!(after.batches, 0, "PostgreSQL writes each payment alone");
    }
}
