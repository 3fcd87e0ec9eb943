use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn profile_shows_level_growth_points_and_coupon_counts() {
    let app = spawn_app().await;
    let t = app.login("demo").await;
    let (s, me) = app.get("/api/member", Some(&t)).await;
    assert_eq!(s, 200);
    assert_eq!(me["points"], 5000);
    assert_eq!(me["member"]["growth"], 800);
    assert_eq!(me["member"]["level"]["name"], "白银会员");
    assert_eq!(me["member"]["next"]["name"], "黄金会员");
    assert_eq!(me["member"]["next"]["growthNeeded"], 1200);
    assert_eq!(
        me["coupons"],
        json!({"available": 4, "used": 0, "expired": 1})
    );
    let (_, fresh) = app
        .get("/api/member", Some(&app.login("newbie").await))
        .await;
    assert_eq!(fresh["member"]["level"]["levelId"], "normal");
}

#[tokio::test]
async fn the_wallet_lists_coupons_by_status() {
    let app = spawn_app().await;
    let t = app.login("demo").await;
    let (_, avail) = app
        .get("/api/member/coupons?status=available", Some(&t))
        .await;
    assert_eq!(avail.as_array().unwrap().len(), 4);
    let (_, expired) = app
        .get("/api/member/coupons?status=expired", Some(&t))
        .await;
    assert_eq!(expired.as_array().unwrap().len(), 1);
    assert_eq!(expired[0]["status"], "expired");
    let (_, used) = app.get("/api/member/coupons?status=used", Some(&t)).await;
    assert_eq!(used, json!([]));
    let (s, _) = app.get("/api/member/coupons?status=lost", Some(&t)).await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn claiming_a_coupon_adds_it_to_the_wallet_up_to_the_limit() {
    let app = spawn_app().await;
    let t = app.login("claimer").await;
    let (s, list) = app.get("/api/coupons", Some(&t)).await;
    assert_eq!(s, 200);
    let tpl = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "无门槛5元券")
        .unwrap()
        .clone();
    let id = tpl["id"].as_i64().unwrap();
    assert_eq!(tpl["perUserLimit"], 2);
    for _ in 0..2 {
        let (s, c) = app
            .post(&format!("/api/coupons/{id}/claim"), Some(&t), json!({}))
            .await;
        assert_eq!(s, 201, "{c}");
        assert_eq!(c["status"], "available");
        assert!(c["validUntil"].as_i64().unwrap() > c["validFrom"].as_i64().unwrap());
    }
    let (s, v) = app
        .post(&format!("/api/coupons/{id}/claim"), Some(&t), json!({}))
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("COUPON_LIMIT_REACHED")));
    let (_, list) = app.get("/api/coupons", Some(&t)).await;
    assert_eq!(
        list.as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()["claimed"],
        2
    );
    let (_, wallet) = app.get("/api/member/coupons", Some(&t)).await;
    assert_eq!(wallet.as_array().unwrap().len(), 2);
    // A claimed coupon is used by the core's best choice.
    let (_, q) = app
        .post(
            "/api/checkout/quote",
            Some(&t),
            json!({"items": [{"skuId": JERKY_SPICY, "quantity": 1}]}),
        )
        .await;
    assert_eq!(q["orderDiscount"], 500);
    let (s, v) = app
        .post("/api/coupons/9999/claim", Some(&t), json!({}))
        .await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")));
}

#[tokio::test]
async fn a_template_never_issues_more_than_its_total() {
    let app = spawn_app().await;
    app.exec("UPDATE coupon_templates SET total = issued + 1 WHERE title = '免邮券'")
        .await;
    let (_, list) = app.get("/api/coupons", None).await;
    let id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "免邮券")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let a = app.login("first").await;
    let b = app.login("second").await;
    let (s, _) = app
        .post(&format!("/api/coupons/{id}/claim"), Some(&a), json!({}))
        .await;
    assert_eq!(s, 201);
    let (s, v) = app
        .post(&format!("/api/coupons/{id}/claim"), Some(&b), json!({}))
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("COUPON_SOLD_OUT")));
}

/// The coupon reminder job: a coupon expiring within a day gets exactly one
/// outbox message; used, already reminded, expired or later coupons none.
#[tokio::test]
async fn a_coupon_about_to_expire_is_reminded_once_and_used_or_reminded_ones_never() {
    let app = spawn_app().await;
    app.login("reminded").await;
    let pool = &app.server.state.db.pool;
    let uid: i64 = sqlx::query_scalar("SELECT id FROM users WHERE openid = $1")
        .bind(mall_server::wechat::fake::openid_for_code("reminded"))
        .fetch_one(pool)
        .await
        .unwrap();
    let now = mall_server::db::now();
    let mut conn = pool.acquire().await.unwrap();
    let mut ids = Vec::new();
    // (template, valid until): due, used, reminded, later, expired.
    for (template, until) in [
        (1, now + 3600),
        (2, now + 3600),
        (3, now + 7200),
        (4, now + 3 * 86_400),
        (2, now - 60),
    ] {
        ids.push(
            mall_server::coupons::insert(&mut conn, uid, template, now - 86_400, until, now)
                .await
                .unwrap(),
        );
    }
    let [due, used, reminded, later, expired] = ids[..] else {
        unreachable!()
    };
    app.exec(&format!(
        "UPDATE user_coupons SET status = 'used', used_at = {now} WHERE id = {used}"
    ))
    .await;
    mall_server::notify::enqueue(
        &mut conn,
        &app.server.state.config.templates,
        uid,
        &mall_server::notify::Message::CouponExpiring {
            coupon_id: reminded,
            title: "earlier".into(),
            valid_until: now,
        },
        now - 600,
    )
    .await
    .unwrap();
    drop(conn);

    let state = &app.server.state;
    // 优惠券到期提醒 is a member campaign (on, 24 hours before, no holdout).
    let sent = |r: Vec<mall_server::member_campaigns::run::Report>| {
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].campaign_id, "couponExpiry");
        r[0].sent
    };
    let reminders = mall_server::member_campaigns::expiry::run_due;
    assert_eq!(sent(reminders(state, now).await.unwrap()), 1);
    // Again (the next tick): nothing new.
    assert_eq!(sent(reminders(state, now + 60).await.unwrap()), 0);
    let rows: Vec<(String, i64, String, String)> = sqlx::query_as(
        "SELECT dedupe_key, user_id, template_id, data FROM outbox WHERE event = 'couponExpiring' ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let keys: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        keys,
        [format!("coupon:{reminded}"), format!("coupon:{due}")],
        "one message for the due coupon; none for used {used}, later {later}, expired {expired}"
    );
    let (_, user, template, data) = &rows[1];
    assert_eq!((*user, template.as_str()), (uid, "tmpl-coupon-expiring"));
    let data: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(data["thing1"]["value"], "满100减10");
    assert_eq!(
        data["time2"]["value"],
        mall_server::clock::beijing_time(now + 3600)
    );
}

/// Place, pay and ship an order; returns its id and reward points.
async fn shipped_order(app: &TestApp, t: &str, addr: i64, key: &str) -> (i64, i64) {
    let (id, no, _) = place(
        app,
        t,
        json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "addressId": addr}),
        key,
    )
    .await;
    pay_now(app, t, id, &no).await;
    let (s, v) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/orders/{id}/ship"),
            Some(json!({"carrier": "顺丰", "trackingNo": key})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let reward = count(
        app,
        &format!("SELECT reward_points FROM orders WHERE id = {id}"),
    )
    .await;
    assert!(reward > 0);
    (id, reward)
}

async fn confirm(app: &TestApp, t: &str, id: i64) {
    let (s, v) = app
        .post(
            &format!("/api/orders/{id}/confirm-receipt"),
            Some(t),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
}

async fn balance(app: &TestApp, t: &str) -> (i64, i64) {
    let (s, me) = app.get("/api/member", Some(t)).await;
    assert_eq!(s, 200, "{me}");
    (
        me["points"].as_i64().unwrap(),
        me["pointsDebt"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn points_earned_later_first_pay_off_a_points_debt() {
    let app = spawn_app().await;
    let t = app.login("debtor").await;
    let addr = app.add_address(&t).await;
    assert_eq!(balance(&app, &t).await, (0, 0));
    let (first, reward1) = shipped_order(&app, &t, addr, "SF-D1").await;
    let (second, reward2) = shipped_order(&app, &t, addr, "SF-D2").await;
    let user = count(
        &app,
        &format!("SELECT user_id FROM orders WHERE id = {first}"),
    )
    .await;

    // A debt larger than the reward: the whole reward pays it off, the balance stays 0.
    app.exec(&format!(
        "UPDATE users SET points_debt = {} WHERE id = {user}",
        reward1 + 7
    ))
    .await;
    assert_eq!(balance(&app, &t).await, (0, reward1 + 7));
    confirm(&app, &t, first).await;
    assert_eq!(balance(&app, &t).await, (0, 7));

    // The next award pays the rest; the balance is what is left of it.
    confirm(&app, &t, second).await;
    assert_eq!(balance(&app, &t).await, (reward2 - 7, 0));

    // The ledger records each award and each payment of the debt.
    let debt_paid = |n: i64| {
        format!(
            "SELECT delta FROM points_ledger WHERE user_id = {user} AND reason = 'points debt' ORDER BY id LIMIT 1 OFFSET {n}"
        )
    };
    assert_eq!(count(&app, &debt_paid(0)).await, -reward1);
    assert_eq!(count(&app, &debt_paid(1)).await, -7);
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM points_ledger WHERE user_id = {user}")
        )
        .await,
        4
    );

    // Without a debt, an award is all balance.
    let (third, reward3) = shipped_order(&app, &t, addr, "SF-D3").await;
    confirm(&app, &t, third).await;
    assert_eq!(balance(&app, &t).await, (reward2 - 7 + reward3, 0));
}
