//! 领券中心: the total, per-user and per-day caps hold under concurrency (one
//! conditional statement each), a retried claim takes nothing again.

use std::sync::Arc;

use mall_server::coupons::{center, CouponError};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// A ¥5 no-threshold batch created through the console API; `extra` adds terms.
pub async fn batch(app: &TestApp, total: i64, extra: Value) -> i64 {
    let mut body = json!({"title": "测试券", "kind": {"kind": "noThreshold", "amount": 500},
                          "total": total, "validDays": 30, "perUserLimit": 1});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (s, v) = app
        .merchant(Method::POST, "/admin/api/marketing/coupons", Some(body))
        .await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_i64().unwrap()
}

pub async fn user_id(app: &TestApp, t: &str) -> i64 {
    let (_, m) = app.get("/api/member", Some(t)).await;
    m["userId"].as_i64().unwrap()
}

fn listed(list: &Value, id: i64) -> Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == id)
        .cloned()
        .unwrap_or(Value::Null)
}

/// `n` new shoppers (`prefix`-i) claim batch `tpl` at once: (won, refused
/// with `refusal`); any other answer fails the test.
async fn claim_at_once(
    app: &Arc<TestApp>,
    tpl: i64,
    prefix: &str,
    n: usize,
    refusal: &str,
) -> (usize, usize) {
    let mut shoppers = Vec::new();
    for i in 0..n {
        shoppers.push(app.login(&format!("{prefix}-{i}")).await);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for t in shoppers {
        let app = app.clone();
        tasks.spawn(async move {
            app.post(&format!("/api/coupons/{tpl}/claim"), Some(&t), json!({}))
                .await
        });
    }
    let (mut won, mut refused) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        let (s, v) = r.unwrap();
        match (s, v["code"].as_str()) {
            (201, _) => won += 1,
            (409, Some(code)) if code == refusal => refused += 1,
            other => panic!("unexpected {other:?}: {v}"),
        }
    }
    (won, refused)
}

/// (coupons held, the batch's issued count).
async fn held_and_issued(app: &TestApp, tpl: i64) -> (i64, i64) {
    let held = count(
        app,
        &format!("SELECT COUNT(*) FROM user_coupons WHERE template_id = {tpl}"),
    )
    .await;
    let issued = count(
        app,
        &format!("SELECT issued FROM coupon_templates WHERE id = {tpl}"),
    )
    .await;
    (held, issued)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_shoppers_racing_for_a_batch_of_fifty_get_exactly_fifty() {
    let app = Arc::new(spawn_with(|c| c.db_max_connections = 16).await);
    let tpl = batch(&app, 50, json!({})).await;
    let (won, sold_out) = claim_at_once(&app, tpl, "center", 200, "COUPON_SOLD_OUT").await;
    assert_eq!((won, sold_out), (50, 150));
    assert_eq!(held_and_issued(&app, tpl).await, (50, 50));
    let (_, list) = app.get("/api/coupons", None).await;
    assert_eq!(listed(&list, tpl)["remaining"], 0);
    assert_eq!(listed(&list, tpl)["canClaim"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_shopper_claiming_fifty_times_at_once_gets_exactly_the_per_user_cap_of_two() {
    let app = Arc::new(spawn_with(|c| c.db_max_connections = 16).await);
    let tpl = batch(&app, 1000, json!({"perUserLimit": 2})).await;
    let t = app.login("greedy-claimer").await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let (app, t) = (app.clone(), t.clone());
        tasks.spawn(async move {
            app.post(
                &format!("/api/coupons/{tpl}/claim"),
                Some(&t),
                json!({"requestId": format!("req-{i}")}),
            )
            .await
        });
    }
    let (mut won, mut capped) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        let (s, v) = r.unwrap();
        match (s, v["code"].as_str()) {
            (201, _) => won += 1,
            (409, Some("COUPON_LIMIT_REACHED")) => {
                assert_eq!(v["details"]["limit"], 2);
                capped += 1
            }
            other => panic!("unexpected {other:?}: {v}"),
        }
    }
    assert_eq!((won, capped), (2, 48));
    // Refused claims rolled back their `issued`.
    let issued = count(
        &app,
        &format!("SELECT issued FROM coupon_templates WHERE id = {tpl}"),
    )
    .await;
    assert_eq!(issued, 2);
    let (_, list) = app.get("/api/coupons", Some(&t)).await;
    let b = listed(&list, tpl);
    assert_eq!(
        (b["claimed"].clone(), b["remaining"].clone()),
        (json!(2), json!(998))
    );
    assert_eq!(b["canClaim"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_claim_with_the_same_request_id_answers_the_first_coupon() {
    let app = Arc::new(spawn_with(|c| c.db_max_connections = 16).await);
    let tpl = batch(&app, 100, json!({"perUserLimit": 5})).await;
    let t = app.login("retrier").await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (app, t) = (app.clone(), t.clone());
        tasks.spawn(async move {
            app.post(
                &format!("/api/coupons/{tpl}/claim"),
                Some(&t),
                json!({"requestId": "same-tap"}),
            )
            .await
        });
    }
    let mut ids = Vec::new();
    let mut created = 0;
    while let Some(r) = tasks.join_next().await {
        let (s, v) = r.unwrap();
        assert!(s == 201 || s == 200, "{s} {v}");
        created += usize::from(s == 201);
        ids.push(v["id"].as_i64().unwrap());
    }
    ids.dedup();
    assert_eq!((created, ids.len()), (1, 1));
    let issued = count(
        &app,
        &format!("SELECT issued FROM coupon_templates WHERE id = {tpl}"),
    )
    .await;
    assert_eq!(issued, 1);
    let (s, v) = app
        .post(
            &format!("/api/coupons/{tpl}/claim"),
            Some(&t),
            json!({"requestId": "bad id!"}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")));
}

#[tokio::test]
async fn a_daily_cap_closes_the_batch_until_beijing_midnight() {
    let app = spawn_app().await;
    let tpl = batch(&app, 100, json!({"perUserLimit": 10, "perDayLimit": 3})).await;
    let t = app.login("early-bird").await;
    let uid = user_id(&app, &t).await;
    let db = &app.server.state.db;
    // 2030-01-01 23:59:00 Beijing, then 00:01:00 the next Beijing day.
    let midnight = mall_server::clock::beijing_date_start("2030-01-02").unwrap();
    let before = midnight - 60;
    for _ in 0..3 {
        center::claim(db, uid, tpl, None, before).await.unwrap();
    }
    let refused = center::claim(db, uid, tpl, None, before).await.unwrap_err();
    assert!(
        matches!(refused, CouponError::DayLimit { limit: 3 }),
        "{refused:?}"
    );
    let (id, new) = center::claim(db, uid, tpl, None, midnight + 60)
        .await
        .unwrap();
    assert!(new && id > 0);
    let issued = count(
        &app,
        &format!("SELECT issued FROM coupon_templates WHERE id = {tpl}"),
    )
    .await;
    assert_eq!(issued, 4);
    // Over HTTP on today's clock: a cap of 1 a day refuses the second shopper.
    let one_a_day = batch(&app, 100, json!({"perDayLimit": 1})).await;
    let a = app.login("first-today").await;
    let b = app.login("second-today").await;
    let (s, _) = app
        .post(
            &format!("/api/coupons/{one_a_day}/claim"),
            Some(&a),
            json!({}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, v) = app
        .post(
            &format!("/api/coupons/{one_a_day}/claim"),
            Some(&b),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("COUPON_DAY_LIMIT_REACHED"))
    );
    let (_, list) = app.get("/api/coupons", Some(&b)).await;
    let row = listed(&list, one_a_day);
    assert_eq!(
        (row["remainingToday"].clone(), row["canClaim"].clone()),
        (json!(0), json!(false))
    );
}

#[tokio::test]
async fn the_console_sets_the_daily_cap_and_transferable_flag_within_bounds() {
    let app = spawn_app().await;
    let tpl = batch(&app, 10, json!({"transferable": true, "perDayLimit": 5})).await;
    let (_, list) = app
        .merchant(Method::GET, "/admin/api/marketing/coupons", None)
        .await;
    let t = listed(&list["items"], tpl);
    assert_eq!(
        (t["transferable"].clone(), t["perDayLimit"].clone()),
        (json!(true), json!(5))
    );
    let terms = json!({"title": "改名", "total": 10, "validDays": 30, "perDayLimit": 0});
    let (s, v) = app
        .merchant(
            Method::PUT,
            &format!("/admin/api/marketing/coupons/{tpl}"),
            Some(terms),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    let terms = json!({"title": "改名", "total": 10, "validDays": 30});
    let (s, v) = app
        .merchant(
            Method::PUT,
            &format!("/admin/api/marketing/coupons/{tpl}"),
            Some(terms),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["transferable"].clone(), v["perDayLimit"].clone()),
        (json!(false), Value::Null)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_shoppers_racing_under_a_daily_cap_of_thirty_get_exactly_thirty_today() {
    let app = Arc::new(spawn_with(|c| c.db_max_connections = 16).await);
    let tpl = batch(&app, 1000, json!({"perDayLimit": 30})).await;
    let (won, capped) = claim_at_once(&app, tpl, "daily", 100, "COUPON_DAY_LIMIT_REACHED").await;
    assert_eq!((won, capped), (30, 70));
    assert_eq!(held_and_issued(&app, tpl).await, (30, 30));
}
