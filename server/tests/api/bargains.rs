//! 砍价: a merchant's activity, a shopper's bargain, helpers cutting the
//! scheduled amounts, and buying at the core's price through checkout. Every
//! cap under concurrency is checked with exact counts (on SQLite and, with
//! TEST_DATABASE_URL, on PostgreSQL).

use std::sync::Arc;

use mall_core::{bargain_split, BargainInput, Money};
use reqwest::Method;
use serde_json::{json, Value};

use crate::admin::owner;
use crate::helpers::*;

const START: i64 = 9900;
const FLOOR: i64 = 100;

fn activity_body(helpers: i64, helps_per_day: i64, initiations: i64, buy_before: bool) -> Value {
    let now = mall_server::db::now();
    json!({"title": "坚果砍价", "skuId": NUTS_750G, "startPrice": START, "floorPrice": FLOOR,
           "helpers": helpers, "windowHours": 24, "buyBeforeFloor": buy_before,
           "initiationsPerUser": initiations, "helpsPerDay": helps_per_day,
           "startsAt": now - 60, "endsAt": now + 7 * 86_400})
}

async fn activity(app: &TestApp, body: Value) -> i64 {
    let c = owner(app).await;
    let (s, v) = c.post("/admin/api/bargains", body).await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_i64().unwrap()
}

async fn start(app: &TestApp, t: &str, activity: i64) -> Value {
    let (s, v) = app
        .post(
            &format!("/api/bargain-activities/{activity}/start"),
            Some(t),
            json!({}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v
}

async fn help(app: &TestApp, t: &str, bargain: i64) -> (u16, Value) {
    app.post(&format!("/api/bargains/{bargain}/help"), Some(t), json!({}))
        .await
}

async fn view(app: &TestApp, t: &str, bargain: i64) -> Value {
    let (s, v) = app.get(&format!("/api/bargains/{bargain}"), Some(t)).await;
    assert_eq!(s, 200, "{v}");
    v
}

/// The cuts the core computes from the bargain's stored seed.
async fn schedule(app: &TestApp, bargain: i64) -> Vec<i64> {
    let (price, floor, helpers, seed): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT start_price, floor_price, helpers, seed FROM bargains WHERE id = $1",
    )
    .bind(bargain)
    .fetch_one(&app.server.state.db.pool)
    .await
    .unwrap();
    bargain_split(&BargainInput {
        price: Money::fen(price),
        floor: Money::fen(floor),
        helpers: helpers as u64,
        seed: seed as u64,
    })
    .unwrap()
    .cuts
    .iter()
    .map(|c| c.as_fen())
    .collect()
}

/// The recorded cuts in help order.
async fn recorded(app: &TestApp, bargain: i64) -> Vec<i64> {
    sqlx::query_scalar("SELECT cut FROM bargain_helps WHERE bargain_id = $1 ORDER BY seq")
        .bind(bargain)
        .fetch_all(&app.server.state.db.pool)
        .await
        .unwrap()
}

fn buy(bargain: i64) -> Value {
    json!({"items": [{"skuId": NUTS_750G, "quantity": 1, "bargainId": bargain}],
           "delivery": pickup(), "coupons": {"kind": "none"}})
}

async fn tokens(app: &TestApp, prefix: &str, n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        out.push(app.login(&format!("{prefix}-{i}")).await);
    }
    out
}

#[tokio::test]
async fn helpers_take_the_price_to_the_floor_and_the_initiator_buys_once_at_the_floor() {
    let app = spawn_app().await;
    app.set_stock(NUTS_750G, 10).await;
    let act = activity(&app, activity_body(5, 3, 1, false)).await;
    let (s, live) = app.get("/api/bargain-activities", None).await;
    assert_eq!(s, 200, "{live}");
    assert_eq!(live["items"][0]["id"], act);
    assert_eq!(live["items"][0]["helpers"], 5);
    let a = app.login("bargain-a").await;
    let b = start(&app, &a, act).await;
    let id = b["id"].as_i64().unwrap();
    assert_eq!(b["progress"]["helpersNeeded"], 5);
    assert_eq!(b["progress"]["helpersLeft"], 5);
    assert_eq!(b["progress"]["currentPrice"], START);
    let cuts = schedule(&app, id).await;
    assert_eq!(cuts.iter().sum::<i64>(), START - FLOOR);
    let helpers = tokens(&app, "bargain-helper", 6).await;
    let mut price = START;
    for (k, t) in helpers[..5].iter().enumerate() {
        let (s, h) = help(&app, t, id).await;
        assert_eq!(s, 200, "{h}");
        assert_eq!(h["seq"], k as i64 + 1);
        assert_eq!(h["cut"], cuts[k]);
        price -= cuts[k];
        assert_eq!(h["progress"]["currentPrice"], price);
        assert_eq!(h["progress"]["helpersLeft"], 4 - k as i64);
        let seen = view(&app, t, id).await;
        assert_eq!(seen["helpedByMe"], true);
        assert_eq!(seen["mine"], false);
        assert_eq!(seen["orderId"], Value::Null);
    }
    assert_eq!(price, FLOOR);
    let (s, v) = help(&app, &helpers[5], id).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("BARGAIN_FULL")), "{v}");
    let mine = view(&app, &a, id).await;
    assert_eq!(mine["status"], "floor");
    assert_eq!(mine["progress"]["floorReached"], true);
    assert_eq!(mine["helpers"].as_array().unwrap().len(), 5);
    assert_eq!(recorded(&app, id).await, cuts);

    // A buys at the floor; the stock is taken once.
    let (s, q) = app.post("/api/checkout/quote", Some(&a), buy(id)).await;
    assert_eq!(s, 200, "{q}");
    assert_eq!(q["lines"][0]["unitPrice"], FLOOR);
    assert_eq!(q["lines"][0]["priceSource"], "bargain");
    let (order_id, _, payable) = place(&app, &a, buy(id), "bargain-buy-1").await;
    assert_eq!(payable, FLOOR);
    assert_eq!(app.stock(NUTS_750G).await, 9);
    assert_eq!(view(&app, &a, id).await["orderId"], order_id);
    assert_eq!(view(&app, &a, id).await["status"], "ordered");
    // Not twice, not by someone else.
    let (s, v) = app.post("/api/checkout/quote", Some(&a), buy(id)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["invalidLines"][0]["error"]["code"], "ACTIVITY_NOT_FOUND");
    let (s, v) = app
        .post("/api/checkout/quote", Some(&helpers[0]), buy(id))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["invalidLines"][0]["error"]["code"], "ACTIVITY_NOT_FOUND");
    assert_eq!(app.stock(NUTS_750G).await, 9);

    // Cancelling the unpaid order gives the bargain (and the unit) back.
    let (s, v) = app
        .post(
            &format!("/api/orders/{order_id}/cancel"),
            Some(&a),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(app.stock(NUTS_750G).await, 10);
    assert_eq!(view(&app, &a, id).await["status"], "floor");
    let (_, _, payable) = place(&app, &a, buy(id), "bargain-buy-2").await;
    assert_eq!(payable, FLOOR);
    assert_eq!(app.stock(NUTS_750G).await, 9);
    let (s, list) = app.get("/api/bargains", Some(&a)).await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_helpers_on_a_bargain_needing_five_leave_exactly_the_five_scheduled_cuts(
) {
    const N: usize = 100;
    let app = Arc::new(spawn_with(|c| c.db_max_connections = 16).await);
    let act = activity(&app, activity_body(5, 3, 1, false)).await;
    let a = app.login("crowd-owner").await;
    let id = start(&app, &a, act).await["id"].as_i64().unwrap();
    let helpers = tokens(&app, "crowd", N).await;
    let barrier = Arc::new(tokio::sync::Barrier::new(N));
    let mut tasks = tokio::task::JoinSet::new();
    for t in helpers {
        let (app, barrier) = (app.clone(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            help(&app, &t, id).await
        });
    }
    let (mut ok, mut full) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        let (s, v) = r.unwrap();
        match (s, v["code"].as_str()) {
            (200, _) => ok += 1,
            (409, Some("BARGAIN_FULL")) => full += 1,
            other => panic!("unexpected answer {other:?}: {v}"),
        }
    }
    assert_eq!((ok, full), (5, N - 5));
    let cuts = recorded(&app, id).await;
    assert_eq!(cuts.len(), 5);
    assert_eq!(cuts.iter().sum::<i64>(), START - FLOOR);
    assert_eq!(cuts, schedule(&app, id).await);
    let seqs: Vec<i64> =
        sqlx::query_scalar("SELECT seq FROM bargain_helps WHERE bargain_id = $1 ORDER BY seq")
            .bind(id)
            .fetch_all(&app.server.state.db.pool)
            .await
            .unwrap();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5]);
    let v = view(&app, &a, id).await;
    assert_eq!(v["progress"]["currentPrice"], FLOOR);
    assert_eq!(v["progress"]["helpersLeft"], 0);
    assert_eq!(v["status"], "floor");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_helper_fifty_times_at_once_helps_exactly_once() {
    const N: usize = 50;
    let app = Arc::new(spawn_with(|c| c.db_max_connections = 16).await);
    let act = activity(&app, activity_body(5, 3, 1, false)).await;
    let a = app.login("twice-owner").await;
    let id = start(&app, &a, act).await["id"].as_i64().unwrap();
    let h = app.login("twice-helper").await;
    let barrier = Arc::new(tokio::sync::Barrier::new(N));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..N {
        let (app, barrier, h) = (app.clone(), barrier.clone(), h.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            help(&app, &h, id).await
        });
    }
    let (mut ok, mut again) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        let (s, v) = r.unwrap();
        match (s, v["code"].as_str()) {
            (200, _) => ok += 1,
            (409, Some("BARGAIN_ALREADY_HELPED")) => again += 1,
            other => panic!("unexpected answer {other:?}: {v}"),
        }
    }
    assert_eq!((ok, again), (1, N - 1));
    assert_eq!(recorded(&app, id).await.len(), 1);
    let v = view(&app, &a, id).await;
    assert_eq!(v["progress"]["helpersLeft"], 4);
    assert_eq!(
        count(
            &app,
            "SELECT CAST(SUM(helps) AS BIGINT) FROM bargain_helper_days"
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_helper_on_k_plus_five_bargains_at_once_is_held_to_k_helps_a_day() {
    const K: i64 = 3;
    const BARGAINS: usize = K as usize + 5;
    let app = Arc::new(spawn_with(|c| c.db_max_connections = 16).await);
    let act = activity(&app, activity_body(5, K, 1, false)).await;
    let mut ids = Vec::new();
    for t in tokens(&app, "daily-owner", BARGAINS).await {
        ids.push(start(&app, &t, act).await["id"].as_i64().unwrap());
    }
    let h = app.login("daily-helper").await;
    let barrier = Arc::new(tokio::sync::Barrier::new(BARGAINS));
    let mut tasks = tokio::task::JoinSet::new();
    for id in ids {
        let (app, barrier, h) = (app.clone(), barrier.clone(), h.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            help(&app, &h, id).await
        });
    }
    let (mut ok, mut capped) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        let (s, v) = r.unwrap();
        match (s, v["code"].as_str()) {
            (200, _) => ok += 1,
            (409, Some("BARGAIN_DAILY_LIMIT")) => {
                assert_eq!(v["details"]["limit"], K, "{v}");
                capped += 1
            }
            other => panic!("unexpected answer {other:?}: {v}"),
        }
    }
    assert_eq!((ok, capped), (K as usize, BARGAINS - K as usize));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM bargain_helps").await, K);
    assert_eq!(
        count(&app, "SELECT CAST(SUM(helped) AS BIGINT) FROM bargains").await,
        K
    );
    assert_eq!(
        count(
            &app,
            "SELECT CAST(SUM(helps) AS BIGINT) FROM bargain_helper_days"
        )
        .await,
        K
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_starts_by_one_shopper_stop_at_the_initiation_limit() {
    const N: usize = 20;
    let app = Arc::new(spawn_with(|c| c.db_max_connections = 16).await);
    let act = activity(&app, activity_body(5, 3, 2, false)).await;
    let a = app.login("starter").await;
    let barrier = Arc::new(tokio::sync::Barrier::new(N));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..N {
        let (app, barrier, a) = (app.clone(), barrier.clone(), a.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            app.post(
                &format!("/api/bargain-activities/{act}/start"),
                Some(&a),
                json!({}),
            )
            .await
        });
    }
    let (mut ok, mut limited) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        let (s, v) = r.unwrap();
        match (s, v["code"].as_str()) {
            (201, _) => ok += 1,
            (409, Some("BARGAIN_INITIATION_LIMIT")) => limited += 1,
            other => panic!("unexpected answer {other:?}: {v}"),
        }
    }
    assert_eq!((ok, limited), (2, N - 2));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM bargains").await, 2);
}

#[tokio::test]
async fn a_risky_helper_is_refused_and_nothing_changes() {
    let app = spawn_app().await;
    let act = activity(&app, activity_body(5, 3, 1, false)).await;
    let a = app.login("risk-owner").await;
    let id = start(&app, &a, act).await["id"].as_i64().unwrap();
    let wx = app.server.fake_wechat.as_ref().unwrap();
    let risky = app.login("risk-helper").await;
    wx.set_risk_rank(
        &mall_server::wechat::fake::openid_for_code("risk-helper"),
        3,
    );
    let checks = wx.risk_checks();
    let (s, v) = help(&app, &risky, id).await;
    assert_eq!((s, v["code"].as_str()), (403, Some("BARGAIN_RISKY")), "{v}");
    assert_eq!(wx.risk_checks(), checks + 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM bargain_helps").await, 0);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM bargain_helper_days").await,
        0
    );
    assert_eq!(view(&app, &a, id).await["progress"]["helpersLeft"], 5);
    // Rank 2 is below the line.
    let fine = app.login("risk-fine").await;
    wx.set_risk_rank(&mall_server::wechat::fake::openid_for_code("risk-fine"), 2);
    let (s, v) = help(&app, &fine, id).await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn a_shopper_cannot_help_their_own_bargain() {
    let app = spawn_app().await;
    let act = activity(&app, activity_body(5, 3, 1, false)).await;
    let a = app.login("own-owner").await;
    let id = start(&app, &a, act).await["id"].as_i64().unwrap();
    let (s, v) = help(&app, &a, id).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("BARGAIN_OWN")), "{v}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM bargain_helps").await, 0);
    assert_eq!(view(&app, &a, id).await["progress"]["helpersLeft"], 5);
}

/// A bargain's share card and 小程序码 open the bargain page with the
/// sharer's token and channel; the friend who opens it can help.
#[tokio::test]
async fn a_shared_bargain_opens_its_page_for_the_friend_who_helps() {
    let app = spawn_app().await;
    let act = activity(&app, activity_body(5, 3, 1, false)).await;
    let a = app.login("share-owner").await;
    let id = start(&app, &a, act).await["id"].as_i64().unwrap();
    let (s, share) = app
        .post(
            "/api/share",
            Some(&a),
            json!({"kind": "bargain", "targetId": id, "channel": "poster"}),
        )
        .await;
    assert_eq!(s, 201, "{share}");
    let token = share["token"].as_str().unwrap();
    let path = format!("pkg-activity/bargain/index?id={id}&share={token}&ch=poster");
    assert_eq!(share["path"], path.as_str());
    let (s, opened) = app.get(&format!("/api/share/{token}"), None).await;
    assert_eq!(s, 200, "{opened}");
    assert_eq!(
        (&opened["kind"], &opened["target"], &opened["path"]),
        (&json!("bargain"), &json!(id.to_string()), &json!(path))
    );
    let b = app.login("share-friend").await;
    let (s, v) = help(&app, &b, id).await;
    assert_eq!(s, 200, "{v}");
    // Nothing to share: no such bargain, or a channel outside `ch`'s alphabet.
    let (s, v) = app
        .post(
            "/api/share",
            Some(&a),
            json!({"kind": "bargain", "targetId": id + 1000}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")), "{v}");
    let (s, v) = app
        .post(
            "/api/share",
            Some(&a),
            json!({"kind": "bargain", "targetId": id, "channel": "朋友圈"}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
}

#[tokio::test]
async fn helping_or_buying_an_expired_bargain_is_refused() {
    let app = spawn_app().await;
    let act = activity(&app, activity_body(5, 3, 1, true)).await;
    let a = app.login("late-owner").await;
    let id = start(&app, &a, act).await["id"].as_i64().unwrap();
    let h = app.login("late-helper").await;
    let (s, _) = help(&app, &h, id).await;
    assert_eq!(s, 200);
    app.exec(&format!(
        "UPDATE bargains SET expires_at = {} WHERE id = {id}",
        mall_server::db::now() - 1
    ))
    .await;
    let late = app.login("late-helper-2").await;
    let (s, v) = help(&app, &late, id).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("BARGAIN_EXPIRED")),
        "{v}"
    );
    assert_eq!(recorded(&app, id).await.len(), 1);
    assert_eq!(view(&app, &a, id).await["status"], "expired");
    let (s, q) = app.post("/api/checkout/quote", Some(&a), buy(id)).await;
    assert_eq!(s, 200, "{q}");
    assert_eq!(q["invalidLines"][0]["error"]["code"], "ACTIVITY_ENDED");
}

#[tokio::test]
async fn buying_before_the_floor_is_refused_unless_the_activity_allows_it_and_then_costs_the_current_price(
) {
    let app = spawn_app().await;
    app.set_stock(NUTS_750G, 10).await;
    let strict = activity(&app, activity_body(5, 3, 1, false)).await;
    let early = activity(&app, activity_body(5, 3, 1, true)).await;
    let a = app.login("early-owner").await;
    let s_id = start(&app, &a, strict).await["id"].as_i64().unwrap();
    let e_id = start(&app, &a, early).await["id"].as_i64().unwrap();
    for (i, t) in tokens(&app, "early-helper", 2).await.iter().enumerate() {
        for id in [s_id, e_id] {
            let (s, v) = help(&app, t, id).await;
            assert_eq!(s, 200, "helper {i}: {v}");
        }
    }
    let (s, v) = app.post("/api/checkout/quote", Some(&a), buy(s_id)).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("BARGAIN_FLOOR_NOT_REACHED")),
        "{v}"
    );
    assert_eq!(v["details"]["helpersLeft"], 3);
    let stock = app.stock(NUTS_750G).await;
    let current = view(&app, &a, e_id).await["progress"]["currentPrice"]
        .as_i64()
        .unwrap();
    let cuts = schedule(&app, e_id).await;
    assert_eq!(current, START - cuts[0] - cuts[1]);
    let (order_id, _, payable) = place(&app, &a, buy(e_id), "early-buy").await;
    assert_eq!(payable, current);
    let o = order(&app, order_id).await;
    assert_eq!(o["lines"][0]["unitPrice"], current, "{o}");
    assert_eq!(app.stock(NUTS_750G).await, stock - 1);
    // An ordered bargain takes no more helps.
    let late = app.login("early-helper-late").await;
    let (s, v) = help(&app, &late, e_id).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("BARGAIN_CLOSED")),
        "{v}"
    );
}

#[tokio::test]
async fn a_bargain_activity_the_core_refuses_is_not_stored_and_ending_one_expires_its_bargains() {
    let app = spawn_app().await;
    let c = owner(&app).await;
    let mut bad = activity_body(5, 3, 1, false);
    bad["floorPrice"] = json!(START);
    let (s, v) = c.post("/admin/api/bargains", bad).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("BARGAIN_INVALID")),
        "{v}"
    );
    let mut too_many = activity_body(5, 3, 1, false);
    too_many["helpers"] = json!(1001);
    let (s, v) = c.post("/admin/api/bargains", too_many).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    let mut backwards = activity_body(5, 3, 1, false);
    backwards["endsAt"] = backwards["startsAt"].clone();
    let (s, v) = c.post("/admin/api/bargains", backwards).await;
    assert_eq!(
        (s, v["code"].as_str(), v["details"]["field"].as_str()),
        (422, Some("RULES_INCONSISTENT"), Some("endsAt")),
        "{v}"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM bargain_activities").await,
        0
    );
    let act = activity(&app, activity_body(5, 3, 1, false)).await;
    let mut changed = activity_body(6, 3, 1, false);
    changed["title"] = json!("坚果砍价 6人");
    let (s, v) = c.put(&format!("/admin/api/bargains/{act}"), changed).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["helpers"], 6);
    let a = app.login("end-owner").await;
    let id = start(&app, &a, act).await["id"].as_i64().unwrap();
    assert_eq!(view(&app, &a, id).await["progress"]["helpersNeeded"], 6);
    let (s, v) = c
        .post(&format!("/admin/api/bargains/{act}/end"), json!({}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(view(&app, &a, id).await["status"], "expired");
    let (_, live) = app.get("/api/bargain-activities", None).await;
    assert_eq!(live["items"], json!([]));
    let (s, v) = app.merchant(Method::GET, "/admin/api/bargains", None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["items"][0]["id"], act);
}

#[tokio::test]
async fn an_unpaid_bargain_order_that_expires_gives_the_bargain_back_unless_its_time_is_up() {
    let app = spawn_with(|c| {
        c.order_ttl_secs = 0;
        c.expiry_sweep_secs = 3600;
    })
    .await;
    app.set_stock(NUTS_750G, 10).await;
    let act = activity(&app, activity_body(1, 3, 2, false)).await;
    let a = app.login("expiry-owner").await;
    let h = app.login("expiry-helper").await;
    let first = start(&app, &a, act).await["id"].as_i64().unwrap();
    let second = start(&app, &a, act).await["id"].as_i64().unwrap();
    for id in [first, second] {
        let (s, v) = help(&app, &h, id).await;
        assert_eq!(s, 200, "{v}");
    }
    place(&app, &a, buy(first), "expiry-1").await;
    place(&app, &a, buy(second), "expiry-2").await;
    assert_eq!(app.stock(NUTS_750G).await, 8);
    // The second bargain's own time runs out while its order is unpaid.
    app.exec(&format!(
        "UPDATE bargains SET expires_at = {} WHERE id = {second}",
        mall_server::db::now() - 1
    ))
    .await;
    let (s, v) = app
        .merchant(Method::POST, "/api/merchant/orders/expire", None)
        .await;
    assert_eq!((s, v["closed"].as_i64()), (200, Some(2)), "{v}");
    assert_eq!(app.stock(NUTS_750G).await, 10);
    let one = view(&app, &a, first).await;
    assert_eq!(
        (one["status"].as_str(), &one["orderId"]),
        (Some("floor"), &Value::Null)
    );
    assert_eq!(view(&app, &a, second).await["status"], "expired");
    let (s, q) = app.post("/api/checkout/quote", Some(&a), buy(first)).await;
    assert_eq!(s, 200, "{q}");
    assert_eq!(q["lines"][0]["unitPrice"], FLOOR);
}
