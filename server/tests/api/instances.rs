//! Two server instances on one database (PostgreSQL in CI, also SQLite):
//! background work is claimed, so each message is sent once and each expired
//! order is released once.

use std::sync::Arc;

use serde_json::json;

use crate::helpers::*;

async fn two_instances() -> (TestApp, mall_server::Server) {
    let first = spawn_with(|c| c.db_max_connections = 8).await;
    let url = first.server.state.config.database_url.clone();
    let mut config = mall_server::config::Config::for_tests(url);
    config.db_max_connections = 8;
    let second = mall_server::start(config).await.expect("second instance");
    (first, second)
}

/// 150 messages queued for a shopper who accepted the template 100 times:
/// four senders on two instances send exactly 100 (each credit spent once),
/// none twice, and the other 50 end `no_consent`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_send_each_message_once() {
    let (app, other) = two_instances().await;
    let t = app.login("many-messages").await;
    let _ = t;
    let uid: i64 = sqlx::query_scalar("SELECT MAX(id) FROM users")
        .fetch_one(&app.server.state.db.pool)
        .await
        .unwrap();
    const N: i64 = 150;
    let now = mall_server::db::now();
    let mut conn = app.server.state.db.pool.acquire().await.unwrap();
    for i in 0..N {
        mall_server::notify::enqueue(
            &mut conn,
            &app.server.state.config.templates,
            uid,
            &mall_server::notify::Message::CouponExpiring {
                coupon_id: 10_000 + i,
                title: format!("券{i}"),
                valid_until: now + 3600,
            },
            now,
        )
        .await
        .unwrap();
    }
    const CREDITS: i64 = 100;
    sqlx::query(
        "INSERT INTO subscribe_credits (user_id, template_id, credits, accepted, rejected, updated_at)
         VALUES ($1, 'tmpl-coupon-expiring', $2, $2, 0, $3)",
    )
    .bind(uid)
    .bind(CREDITS)
    .bind(now)
    .execute(&mut *conn)
    .await
    .unwrap();
    drop(conn);
    let states = [app.server.state.clone(), other.state.clone()];
    for round in 0..3 {
        let barrier = Arc::new(tokio::sync::Barrier::new(4));
        let mut tasks = tokio::task::JoinSet::new();
        for k in 0..4 {
            let state = states[k % 2].clone();
            let barrier = barrier.clone();
            tasks.spawn(async move {
                barrier.wait().await;
                mall_server::notify::send_due(&state, now + round)
                    .await
                    .unwrap()
            });
        }
        while let Some(r) = tasks.join_next().await {
            r.unwrap();
        }
    }
    let mut sent: Vec<String> = app
        .server
        .fake_wechat
        .as_ref()
        .unwrap()
        .sent_messages()
        .into_iter()
        .chain(other.fake_wechat.as_ref().unwrap().sent_messages())
        .map(|m| m.data.to_string())
        .collect();
    assert_eq!(sent.len() as i64, CREDITS, "one message per credit in all");
    sent.sort();
    sent.dedup();
    assert_eq!(sent.len() as i64, CREDITS, "no message sent twice");
    let pool = &app.server.state.db.pool;
    let by_status: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(
        by_status,
        [
            ("no_consent".to_string(), N - CREDITS),
            ("sent".to_string(), CREDITS)
        ]
    );
    let left: i64 = sqlx::query_scalar("SELECT credits FROM subscribe_credits WHERE user_id = $1")
        .bind(uid)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_release_each_expired_order_once() {
    let (app, other) = two_instances().await;
    let t = app.login("expirer").await;
    app.set_stock(NUTS_750G, 100).await;
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 2}], "delivery": pickup()});
    const N: usize = 20;
    let mut ids = Vec::new();
    for i in 0..N {
        let (s, o) = app.checkout(&t, body.clone(), &format!("exp-{i}")).await;
        assert_eq!(s, 201, "{o}");
        ids.push(o["id"].as_i64().unwrap());
    }
    assert_eq!(app.stock(NUTS_750G).await, 100 - 2 * N as i64);
    app.exec("UPDATE orders SET expires_at = 0").await;
    let states = [app.server.state.clone(), other.state.clone()];
    let mut tasks = tokio::task::JoinSet::new();
    for k in 0..4 {
        let state = states[k % 2].clone();
        tasks.spawn(async move { mall_server::jobs::expiry::sweep(&state).await.unwrap() });
    }
    let mut closed = 0;
    while let Some(r) = tasks.join_next().await {
        closed += r.unwrap();
    }
    assert_eq!(closed, N, "each order closed by exactly one sweep");
    assert_eq!(
        app.stock(NUTS_750G).await,
        100,
        "stock released exactly once"
    );
    for id in ids {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM order_events WHERE order_id = $1 AND to_status = 'cancelled'",
        )
        .bind(id)
        .fetch_one(&app.server.state.db.pool)
        .await
        .unwrap();
        assert_eq!(n, 1, "order {id}");
    }
}
