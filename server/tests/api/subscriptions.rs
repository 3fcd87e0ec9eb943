//! 订阅消息 consent: the shopper's answers from wx.requestSubscribeMessage
//! become one credit per acceptance; the outbox spends a credit per message
//! and never sends without one; a retryable failure gives it back; 43101
//! clears it; hundreds of concurrent answers count exactly.

use std::sync::Arc;

use serde_json::json;

use crate::helpers::*;

async fn answer(app: &TestApp, t: &str, results: serde_json::Value) -> (u16, serde_json::Value) {
    app.post("/api/subscriptions", Some(t), json!({ "results": results }))
        .await
}

fn credits_of(v: &serde_json::Value, template: &str) -> i64 {
    v["credits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["templateId"] == template)
        .map_or(0, |c| c["credits"].as_i64().unwrap())
}

async fn paid_order(app: &TestApp, t: &str, key: &str) {
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()});
    let (id, no, _) = place(app, t, body, key).await;
    pay_now(app, t, id, &no).await;
}

#[tokio::test]
async fn each_acceptance_sends_one_message_and_nothing_is_sent_without_one() {
    let app = spawn_app().await;
    let t = app.login("consenting").await;
    let (s, v) = app.get("/api/subscriptions", Some(&t)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["moments"]["pay"],
        json!(["tmpl-order-paid", "tmpl-order-shipped", "tmpl-group-result"])
    );
    assert_eq!(
        v["moments"]["coupon"],
        json!(["tmpl-coupon-expiring", "tmpl-coupon-granted"])
    );
    assert_eq!(v["credits"], json!([]));

    // 支付 tapped: paid accepted, shipped rejected, group filtered by WeChat.
    let (s, v) = answer(
        &app,
        &t,
        json!({"tmpl-order-paid": "accept", "tmpl-order-shipped": "reject", "tmpl-group-result": "filter"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(credits_of(&v, "tmpl-order-paid"), 1);
    assert_eq!(credits_of(&v, "tmpl-order-shipped"), 0);
    let paid = v["credits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["templateId"] == "tmpl-order-paid")
        .unwrap()
        .clone();
    assert_eq!(paid["kind"], "paid");

    paid_order(&app, &t, "c1").await;
    paid_order(&app, &t, "c2").await;
    let state = &app.server.state;
    let now = mall_server::db::now();
    let r = mall_server::notify::send_due(state, now).await.unwrap();
    assert_eq!((r.sent, r.no_consent), (1, 1), "{r:?}");
    let fake_wx = app.server.fake_wechat.as_ref().unwrap();
    assert_eq!(fake_wx.sent_messages().len(), 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM outbox WHERE status = 'no_consent'"
        )
        .await,
        1
    );
    let (_, v) = app.get("/api/subscriptions", Some(&t)).await;
    assert_eq!(credits_of(&v, "tmpl-order-paid"), 0);
    // Nothing is retried: the next round has nothing to do.
    let r = mall_server::notify::send_due(state, now + 3600)
        .await
        .unwrap();
    assert_eq!(r, mall_server::notify::SendReport::default());

    // Asked again at the next 支付: the next order's message is sent.
    answer(&app, &t, json!({"tmpl-order-paid": "accept"})).await;
    paid_order(&app, &t, "c3").await;
    let r = mall_server::notify::send_due(state, now + 7200)
        .await
        .unwrap();
    assert_eq!((r.sent, r.no_consent), (1, 0), "{r:?}");
    assert_eq!(fake_wx.sent_messages().len(), 2);
}

#[tokio::test]
async fn a_failed_send_gives_the_credit_back_and_43101_clears_the_credits() {
    let app = spawn_app().await;
    let t = app.login("retrying").await;
    let r = app.login("refuser-consent").await;
    let fake_wx = app.server.fake_wechat.as_ref().unwrap();
    fake_wx.refuse(&mall_server::wechat::fake::openid_for_code(
        "refuser-consent",
    ));
    answer(&app, &t, json!({"tmpl-order-paid": "accept"})).await;
    for _ in 0..2 {
        answer(&app, &r, json!({"tmpl-order-paid": "accept"})).await;
    }
    paid_order(&app, &t, "f1").await;
    paid_order(&app, &r, "f2").await;
    let state = &app.server.state;
    let now = mall_server::db::now();
    fake_wx.fail_next_sends(1);
    let rep = mall_server::notify::send_due(state, now).await.unwrap();
    assert_eq!((rep.retrying, rep.refused, rep.sent), (1, 1, 0), "{rep:?}");
    let (_, v) = app.get("/api/subscriptions", Some(&t)).await;
    assert_eq!(
        credits_of(&v, "tmpl-order-paid"),
        1,
        "given back for the retry"
    );
    let (_, v) = app.get("/api/subscriptions", Some(&r)).await;
    assert_eq!(
        credits_of(&v, "tmpl-order-paid"),
        0,
        "43101 voids both credits"
    );
    let rep = mall_server::notify::send_due(state, now + 3600)
        .await
        .unwrap();
    assert_eq!((rep.sent, rep.no_consent), (1, 0), "{rep:?}");
    let (_, v) = app.get("/api/subscriptions", Some(&t)).await;
    assert_eq!(credits_of(&v, "tmpl-order-paid"), 0);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM outbox WHERE status = 'refused'").await,
        1,
        "43101 is reported apart from no consent"
    );
}

#[tokio::test]
async fn bad_answers_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let t = app.login("bad-answers").await;
    let four = json!({"tmpl-order-paid": "accept", "tmpl-order-shipped": "accept",
                      "tmpl-refund-result": "accept", "tmpl-group-result": "accept"});
    let (s, v) = answer(&app, &t, json!({"tmpl-someone-else": "accept"})).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("SUBSCRIBE_TEMPLATE_UNKNOWN")),
        "{v}"
    );
    assert_eq!(v["details"]["templateId"], "tmpl-someone-else");
    for (body, field) in [
        (json!({}), "results"),
        (four, "results"),
        (json!({"tmpl-order-paid": "yes"}), "results.tmpl-order-paid"),
    ] {
        let (s, v) = answer(&app, &t, body).await;
        assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
        assert_eq!(v["details"]["field"], field, "{v}");
    }
    let (s, v) = app
        .post(
            "/api/subscriptions",
            Some(&t),
            json!({"results": {}, "more": 1}),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    let (s, _) = app
        .post(
            "/api/subscriptions",
            None,
            json!({"results": {"tmpl-order-paid": "accept"}}),
        )
        .await;
    assert_eq!(s, 401);
    let (_, v) = app.get("/api/subscriptions", Some(&t)).await;
    assert_eq!(v["credits"], json!([]));
}

/// 200 answers at once for one template: every acceptance counted, the
/// credits capped at MAX_CREDITS, none lost to the race.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_answers_count_exactly() {
    const N: usize = 200;
    let app = Arc::new(spawn_with(|c| c.db_max_connections = 16).await);
    let t = Arc::new(app.login("eager").await);
    let barrier = Arc::new(tokio::sync::Barrier::new(N));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..N {
        let (app, t, barrier) = (app.clone(), t.clone(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            let word = if i % 4 == 0 { "reject" } else { "accept" };
            answer(&app, &t, json!({ "tmpl-coupon-expiring": word }))
                .await
                .0
        });
    }
    while let Some(s) = tasks.join_next().await {
        assert_eq!(s.unwrap(), 200);
    }
    let (accepted, rejected, credits): (i64, i64, i64) = sqlx::query_as(
        "SELECT accepted, rejected, credits FROM subscribe_credits WHERE template_id = 'tmpl-coupon-expiring'",
    )
    .fetch_one(&app.server.state.db.pool)
    .await
    .unwrap();
    assert_eq!((accepted, rejected), (150, 50));
    assert_eq!(credits, mall_server::notify::consent::MAX_CREDITS);
}
