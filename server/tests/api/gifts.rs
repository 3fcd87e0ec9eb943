//! 券转赠: a gift card opens for 24 hours, exactly one friend wins it, no
//! re-gifting, the coupon is out of checkout while gifting, and an
//! unaccepted gift returns to its giver exactly once.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::coupon_center::batch;
use crate::helpers::*;

/// A shopper holding one coupon of a fresh batch: (token, coupon id, batch id).
async fn holder(app: &TestApp, name: &str, extra: Value) -> (String, i64, i64) {
    let tpl = batch(app, 100, extra).await;
    let t = app.login(name).await;
    let (s, c) = app
        .post(&format!("/api/coupons/{tpl}/claim"), Some(&t), json!({}))
        .await;
    assert_eq!(s, 201, "{c}");
    (t, c["id"].as_i64().unwrap(), tpl)
}

async fn gift(app: &TestApp, t: &str, id: i64) -> (u16, Value) {
    app.post(
        &format!("/api/member/coupons/{id}/gift"),
        Some(t),
        json!({}),
    )
    .await
}

async fn status(app: &TestApp, id: i64) -> String {
    let (s,): (String,) = sqlx::query_as("SELECT status FROM user_coupons WHERE id = $1")
        .bind(id)
        .fetch_one(&app.server.state.db.pool)
        .await
        .unwrap();
    s
}

#[tokio::test]
async fn a_friend_accepts_a_gift_and_cannot_gift_it_on() {
    let app = spawn_app().await;
    let (giver, id, tpl) = holder(&app, "giver", json!({"transferable": true})).await;
    let (s, g) = gift(&app, &giver, id).await;
    assert_eq!(s, 200, "{g}");
    let token = g["token"].as_str().unwrap().to_string();
    assert!(token.len() <= 32 && token.starts_with('c'), "{token}");
    let now = mall_server::db::now();
    let until = g["expiresAt"].as_i64().unwrap();
    assert!(
        (now + 86_400 - 5..=now + 86_400).contains(&until),
        "{until}"
    );
    let (_, wallet) = app
        .get("/api/member/coupons?status=gifting", Some(&giver))
        .await;
    assert_eq!(wallet[0]["id"], id);
    assert_eq!(wallet[0]["giftExpiresAt"], until);
    assert_eq!(
        wallet[0]["giftToken"],
        token.as_str(),
        "the owner can send the card again"
    );
    // The giver cannot accept their own gift; a second card is refused.
    let (s, v) = app
        .post(
            &format!("/api/gifts/{token}/accept"),
            Some(&giver),
            json!({}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("GIFT_OWN")));
    let (s, v) = gift(&app, &giver, id).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("COUPON_GIFTING")));
    let friend = app.login("friend").await;
    let (s, card) = app.get(&format!("/api/gifts/{token}"), Some(&friend)).await;
    assert_eq!(s, 200, "{card}");
    assert_eq!(card["state"], "gifting");
    assert_eq!(card["title"], "测试券");
    assert_eq!(card["mine"], false);
    assert_eq!(card["expiresAt"], until);
    let (s, got) = app
        .post(
            &format!("/api/gifts/{token}/accept"),
            Some(&friend),
            json!({}),
        )
        .await;
    assert_eq!(s, 201, "{got}");
    assert_eq!(got["templateId"], tpl);
    assert_eq!(got["received"], true);
    assert_eq!(status(&app, id).await, "gifted");
    let (_, card) = app.get(&format!("/api/gifts/{token}"), Some(&friend)).await;
    assert_eq!(card["state"], "accepted");
    // The received coupon keeps the original validity and is never gifted again.
    let (_, mine) = app.get("/api/member/coupons", Some(&giver)).await;
    assert_eq!(mine, json!([]));
    let received = got["id"].as_i64().unwrap();
    let (s, v) = gift(&app, &friend, received).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("COUPON_RECEIVED_AS_GIFT"))
    );
    let (s, v) = app
        .get("/api/gifts/cAAAAAAAAAAAAAAAAAAAAAAAA", Some(&friend))
        .await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")));
}

#[tokio::test]
async fn a_coupon_of_a_batch_not_transferable_cannot_be_gifted() {
    let app = spawn_app().await;
    let (t, id, _) = holder(&app, "keeper", json!({})).await;
    let (s, v) = gift(&app, &t, id).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("COUPON_NOT_TRANSFERABLE"))
    );
    assert_eq!(status(&app, id).await, "available");
}

async fn race(friends: usize) {
    let app = Arc::new(spawn_with(|c| c.db_max_connections = 16).await);
    let (giver, id, tpl) = holder(&app, "popular", json!({"transferable": true})).await;
    let (_, g) = gift(&app, &giver, id).await;
    let token = g["token"].as_str().unwrap().to_string();
    let mut tokens = Vec::new();
    for i in 0..friends {
        tokens.push(app.login(&format!("friend-{i}")).await);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for t in tokens {
        let (app, token) = (app.clone(), token.clone());
        tasks.spawn(async move {
            app.post(&format!("/api/gifts/{token}/accept"), Some(&t), json!({}))
                .await
        });
    }
    let (mut won, mut lost) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        let (s, v) = r.unwrap();
        match (s, v["code"].as_str()) {
            (201, _) => won += 1,
            (409, Some("GIFT_CLOSED")) => lost += 1,
            other => panic!("unexpected {other:?}: {v}"),
        }
    }
    assert_eq!((won, lost), (1, friends - 1));
    let children = count(
        &app,
        &format!("SELECT COUNT(*) FROM user_coupons WHERE parent_id = {id}"),
    )
    .await;
    let of_batch = count(
        &app,
        &format!("SELECT COUNT(*) FROM user_coupons WHERE template_id = {tpl}"),
    )
    .await;
    assert_eq!((children, of_batch), (1, 2));
    assert_eq!(status(&app, id).await, "gifted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_friends_accepting_one_gift_at_once_exactly_one_wins() {
    race(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_fifty_friends_accepting_one_gift_at_once_exactly_one_wins() {
    race(50).await;
}

#[tokio::test]
async fn a_coupon_being_gifted_is_out_of_checkout_until_taken_back() {
    let app = spawn_app().await;
    let (t, id, _) = holder(&app, "shopper", json!({"transferable": true})).await;
    let body = json!({"items": [{"skuId": JERKY_SPICY, "quantity": 1}], "delivery": pickup()});
    let (_, q) = app
        .post("/api/checkout/quote", Some(&t), body.clone())
        .await;
    assert_eq!(q["orderDiscount"], 500, "{q}");
    let (_, _) = gift(&app, &t, id).await;
    let (_, q) = app
        .post("/api/checkout/quote", Some(&t), body.clone())
        .await;
    assert_eq!(q["orderDiscount"], 0, "{q}");
    let mut manual = body.clone();
    manual["coupons"] = json!({"kind": "manual", "couponIds": [id.to_string()]});
    let (s, q) = app
        .post("/api/checkout/quote", Some(&t), manual.clone())
        .await;
    assert!(s != 200 || q["orderDiscount"] == 0, "{s} {q}");
    // Consuming it for an order is refused in the statement itself.
    let mut conn = app.server.state.db.pool.acquire().await.unwrap();
    let uid = crate::coupon_center::user_id(&app, &t).await;
    let used = mall_server::coupons::consume(&mut conn, uid, id, 1, mall_server::db::now())
        .await
        .unwrap();
    assert!(!used);
    drop(conn);
    let (s, c) = app
        .post(
            &format!("/api/member/coupons/{id}/gift/cancel"),
            Some(&t),
            json!({}),
        )
        .await;
    assert_eq!((s, c["status"].as_str()), (200, Some("available")), "{c}");
    let (_, q) = app.post("/api/checkout/quote", Some(&t), body).await;
    assert_eq!(q["orderDiscount"], 500, "{q}");
    let (s, v) = app
        .post(
            &format!("/api/member/coupons/{id}/gift/cancel"),
            Some(&t),
            json!({}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("GIFT_CLOSED")));
}

#[tokio::test]
async fn an_unaccepted_gift_returns_to_its_giver_exactly_once() {
    let app = spawn_app().await;
    let (t, id, _) = holder(&app, "forgetful", json!({"transferable": true})).await;
    let (_, g) = gift(&app, &t, id).await;
    let token = g["token"].as_str().unwrap().to_string();
    let closes = g["expiresAt"].as_i64().unwrap();
    let db = &app.server.state.db;
    use mall_server::coupons::gift::return_expired;
    assert_eq!(return_expired(db, closes - 1).await.unwrap(), 0);
    assert_eq!(status(&app, id).await, "gifting");
    assert_eq!(return_expired(db, closes).await.unwrap(), 1);
    assert_eq!(return_expired(db, closes + 60).await.unwrap(), 0);
    assert_eq!(status(&app, id).await, "available");
    let friend = app.login("too-late").await;
    let (s, v) = app
        .post(
            &format!("/api/gifts/{token}/accept"),
            Some(&friend),
            json!({}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("GIFT_CLOSED")));
    let (_, card) = app.get(&format!("/api/gifts/{token}"), Some(&friend)).await;
    assert_eq!(card["state"], "returned");
}

#[tokio::test]
async fn a_received_gift_counts_toward_the_friends_per_user_cap() {
    let app = spawn_app().await;
    let (giver, id, tpl) = holder(&app, "generous", json!({"transferable": true})).await;
    let friend = app.login("already-has-one").await;
    let (s, _) = app
        .post(
            &format!("/api/coupons/{tpl}/claim"),
            Some(&friend),
            json!({}),
        )
        .await;
    assert_eq!(s, 201);
    let (_, g) = gift(&app, &giver, id).await;
    let token = g["token"].as_str().unwrap();
    let (s, v) = app
        .post(
            &format!("/api/gifts/{token}/accept"),
            Some(&friend),
            json!({}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("COUPON_LIMIT_REACHED")));
    // Nothing changed: the gift is still open for someone else.
    assert_eq!(status(&app, id).await, "gifting");
    let other = app.login("has-none").await;
    let (s, _) = app
        .post(
            &format!("/api/gifts/{token}/accept"),
            Some(&other),
            json!({}),
        )
        .await;
    assert_eq!(s, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_giver_opening_thirty_gifts_at_once_opens_exactly_the_ten_a_day() {
    let app = Arc::new(spawn_with(|c| c.db_max_connections = 16).await);
    let tpl = batch(&app, 100, json!({"transferable": true, "perUserLimit": 31})).await;
    let t = app.login("santa").await;
    let mut ids = Vec::new();
    for _ in 0..31 {
        let (s, c) = app
            .post(&format!("/api/coupons/{tpl}/claim"), Some(&t), json!({}))
            .await;
        assert_eq!(s, 201, "{c}");
        ids.push(c["id"].as_i64().unwrap());
    }
    let spare = ids.pop().unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for id in ids {
        let (app, t) = (app.clone(), t.clone());
        tasks.spawn(async move { gift(&app, &t, id).await });
    }
    let (mut opened, mut capped) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        let (s, v) = r.unwrap();
        match (s, v["code"].as_str()) {
            (200, _) => opened += 1,
            (409, Some("GIFT_DAILY_LIMIT")) => capped += 1,
            other => panic!("unexpected {other:?}: {v}"),
        }
    }
    assert_eq!((opened, capped), (10, 20));
    let gifting = count(
        &app,
        &format!(
            "SELECT COUNT(*) FROM user_coupons WHERE template_id = {tpl} AND status = 'gifting'"
        ),
    )
    .await;
    assert_eq!(gifting, 10);
    // The next Beijing day opens again.
    let uid = crate::coupon_center::user_id(&app, &t).await;
    let tomorrow = mall_server::clock::beijing_day_start(mall_server::db::now()) + 86_400 + 60;
    mall_server::coupons::gift::open(&app.server.state.db, uid, spare, tomorrow)
        .await
        .unwrap();
}

/// The one-statement reads of the balances with the wallet (the buy-now
/// quote's, and the cart's with its lines) give what the order's two reads
/// give: every status the core never sees (used, gifting, gifted) left out,
/// an expired coupon kept (the core says why it is unusable), a shopper
/// without coupons an empty wallet, no shopper none.
#[tokio::test]
async fn the_wallet_read_with_the_balances_is_the_core_wallet() {
    let app = spawn_app().await;
    let db = &app.server.state.db;
    let t = app.login("wallet-reader").await;
    let uid = crate::coupon_center::user_id(&app, &t).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let tpl = batch(&app, 100, json!({})).await;
        let (s, c) = app
            .post(&format!("/api/coupons/{tpl}/claim"), Some(&t), json!({}))
            .await;
        assert_eq!(s, 201, "{c}");
        ids.push(c["id"].as_i64().unwrap());
    }
    let now = mall_server::db::now();
    for (id, status) in [(ids[1], "used"), (ids[2], "gifting"), (ids[3], "gifted")] {
        sqlx::query("UPDATE user_coupons SET status = $1 WHERE id = $2")
            .bind(status)
            .bind(id)
            .execute(&db.pool)
            .await
            .unwrap();
    }
    sqlx::query("UPDATE user_coupons SET valid_until = $1 WHERE id = $2")
        .bind(now - 60)
        .bind(ids[4])
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE users SET growth = 321, points = 45 WHERE id = $1")
        .bind(uid)
        .execute(&db.pool)
        .await
        .unwrap();

    let mut conn = db.pool.acquire().await.unwrap();
    let wallet = mall_server::coupons::core_wallet(&mut conn, uid, now)
        .await
        .unwrap();
    let ids_of = |w: &[mall_core::Coupon]| -> Vec<String> {
        w.iter().map(|c| c.coupon_id.clone()).collect()
    };
    assert_eq!(
        ids_of(&wallet),
        vec![ids[0].to_string(), ids[4].to_string()]
    );
    let holdings = mall_server::coupons::core_wallet_with_balances(&mut conn, uid, now)
        .await
        .unwrap()
        .expect("the shopper");
    assert_eq!((holdings.growth, holdings.points), (321, 45));
    assert_eq!(holdings.wallet, wallet);

    // The cart's one-statement read brings the same holdings, with an empty
    // cart and with lines (the lines in their order, each SKU's snapshot).
    let read = mall_server::cart::read_for_pricing(&mut conn, uid, now)
        .await
        .unwrap();
    assert!(read.items.is_empty());
    assert_eq!(read.holdings.as_ref(), Some(&holdings));
    for (sku, n) in [(NUTS_750G, 2), (TEE_WHITE_M, 1)] {
        let (s, v) = app
            .post(
                "/api/cart/items",
                Some(&t),
                json!({"skuId": sku, "quantity": n}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let read = mall_server::cart::read_for_pricing(&mut conn, uid, now)
        .await
        .unwrap();
    let lines: Vec<(i64, i64)> = read.items.iter().map(|i| (i.sku_id, i.quantity)).collect();
    assert_eq!(lines, vec![(NUTS_750G, 2), (TEE_WHITE_M, 1)]);
    assert_eq!(read.snapshot.skus.len(), 2);
    assert_eq!(
        read.snapshot.views[&NUTS_750G].title, "每日坚果礼盒",
        "the snapshot's columns line up after the cart's"
    );
    assert_eq!(read.holdings, Some(holdings));

    let other = app.login("wallet-reader-without-coupons").await;
    let other = crate::coupon_center::user_id(&app, &other).await;
    let empty = mall_server::coupons::core_wallet_with_balances(&mut conn, other, now)
        .await
        .unwrap()
        .expect("the shopper");
    assert!(empty.wallet.is_empty());
    let read = mall_server::cart::read_for_pricing(&mut conn, other, now)
        .await
        .unwrap();
    assert_eq!(read.holdings, Some(empty));
    assert!(
        mall_server::coupons::core_wallet_with_balances(&mut conn, 987_654_321, now)
            .await
            .unwrap()
            .is_none()
    );
    let none = mall_server::cart::read_for_pricing(&mut conn, 987_654_321, now)
        .await
        .unwrap();
    assert!(none.items.is_empty() && none.holdings.is_none());
}
