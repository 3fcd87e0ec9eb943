//! 签到: one reward per Beijing day however often (and however concurrently)
//! the shopper taps, streak bonuses from the merchant's rule across Beijing
//! midnight, a missed day resets, growth raises the member level.

use std::sync::Arc;

use mall_server::signin::sign_in;
use reqwest::Method;
use serde_json::json;

use crate::coupon_center::user_id;
use crate::helpers::*;

async fn points(app: &TestApp, t: &str) -> i64 {
    let (_, m) = app.get("/api/member", Some(t)).await;
    m["points"].as_i64().unwrap()
}

async fn set_rule(app: &TestApp, rule: serde_json::Value) {
    let (s, v) = app
        .merchant(Method::PUT, "/admin/api/marketing/signin", Some(rule))
        .await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn signing_in_twice_the_same_day_earns_once() {
    let app = spawn_app().await;
    let t = app.login("daily").await;
    let before = points(&app, &t).await;
    let (s, first) = app.post("/api/signin", Some(&t), json!({})).await;
    assert_eq!(s, 200, "{first}");
    assert_eq!(
        (first["streak"].clone(), first["already"].clone()),
        (json!(1), json!(false))
    );
    // The default rule: 5 points a day, the day-3 bonus two days ahead.
    assert_eq!(first["points"], 5);
    assert_eq!(first["nextBonus"]["daysLeft"], 2);
    let (s, again) = app.post("/api/signin", Some(&t), json!({})).await;
    assert_eq!(s, 200);
    assert_eq!(again["already"], true);
    assert_eq!(
        (again["points"].clone(), again["date"].clone()),
        (json!(5), first["date"].clone())
    );
    assert_eq!(points(&app, &t).await, before + 5);
    let uid = user_id(&app, &t).await;
    let ledger = count(
        &app,
        &format!("SELECT COUNT(*) FROM points_ledger WHERE user_id = {uid} AND reason = 'signin'"),
    )
    .await;
    assert_eq!(ledger, 1);
    let (s, cal) = app.get("/api/signin", Some(&t)).await;
    assert_eq!(s, 200, "{cal}");
    assert_eq!(cal["signedToday"], true);
    assert_eq!(cal["streak"], 1);
    assert_eq!(cal["days"][0]["date"], first["date"]);
    let (s, v) = app.get("/api/signin?month=2025-13", Some(&t)).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_sign_ins_the_same_day_earn_one_reward() {
    let app = Arc::new(spawn_with(|c| c.db_max_connections = 16).await);
    let t = app.login("eager").await;
    let before = points(&app, &t).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (app, t) = (app.clone(), t.clone());
        tasks.spawn(async move { app.post("/api/signin", Some(&t), json!({})).await });
    }
    let mut fresh = 0;
    while let Some(r) = tasks.join_next().await {
        let (s, v) = r.unwrap();
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["points"], 5);
        fresh += usize::from(v["already"] == false);
    }
    assert_eq!(fresh, 1);
    assert_eq!(points(&app, &t).await, before + 5);
    let uid = user_id(&app, &t).await;
    let rows = count(
        &app,
        &format!("SELECT COUNT(*) FROM signins WHERE user_id = {uid}"),
    )
    .await;
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn a_seven_day_streak_across_beijing_midnights_earns_the_bonuses_and_a_missed_day_resets() {
    let app = spawn_app().await;
    set_rule(
        &app,
        json!({"pointsPerDay": 2, "growthPerDay": 1,
               "bonuses": [{"day": 3, "points": 3}, {"day": 7, "points": 20, "growth": 4}], "cycle": false}),
    )
    .await;
    let t = app.login("streaker").await;
    let uid = user_id(&app, &t).await;
    let before = points(&app, &t).await;
    let db = &app.server.state.db;
    let midnight = mall_server::clock::beijing_date_start("2030-03-01").unwrap();
    // 23:59:30 on Feb 28, then 00:00:10 on Mar 1 (40 seconds later), then daily.
    let mut times = vec![midnight - 30, midnight + 10];
    for d in 1..5 {
        times.push(midnight + d * 86_400 + 3600 * d);
    }
    let mut got = Vec::new();
    for at in &times {
        let s = sign_in(db, uid, *at).await.unwrap();
        assert!(!s.already);
        got.push((s.streak, s.points, s.growth));
    }
    assert_eq!(
        got,
        vec![
            (1, 2, 1),
            (2, 2, 1),
            (3, 5, 1),
            (4, 2, 1),
            (5, 2, 1),
            (6, 2, 1)
        ]
    );
    let seventh = sign_in(db, uid, midnight + 5 * 86_400 + 1).await.unwrap();
    assert_eq!(
        (
            seventh.streak,
            seventh.points,
            seventh.growth,
            seventh.bonus_day
        ),
        (7, 22, 5, Some(7))
    );
    assert!(seventh.next_bonus.is_none());
    // Signing again at 23:59:59 the same Beijing day earns nothing.
    let again = sign_in(db, uid, midnight + 6 * 86_400 - 1).await.unwrap();
    assert!(again.already);
    // Day 8 is skipped: day 9 starts again at 1.
    let reset = sign_in(db, uid, midnight + 7 * 86_400 + 60).await.unwrap();
    assert_eq!((reset.streak, reset.points), (1, 2));
    // Eight daily rewards of 2, the day-3 bonus 3 and the day-7 bonus 20.
    assert_eq!(points(&app, &t).await, before + 2 * 8 + 3 + 20);
    let (_, cal) = app.get("/api/signin?month=2030-03", Some(&t)).await;
    assert_eq!(cal["days"].as_array().unwrap().len(), 7, "{cal}");
    assert_eq!(cal["days"][5]["streak"], 7);
    let (_, feb) = app.get("/api/signin?month=2030-02", Some(&t)).await;
    assert_eq!(feb["days"][0]["date"], "2030-02-28");
}

#[tokio::test]
async fn sign_in_growth_raises_the_member_level() {
    let app = spawn_app().await;
    set_rule(&app, json!({"pointsPerDay": 0, "growthPerDay": 600})).await;
    let t = app.login("climber").await;
    let (_, m) = app.get("/api/member", Some(&t)).await;
    assert_eq!(m["member"]["level"]["levelId"], "normal", "{m}");
    let (s, v) = app.post("/api/signin", Some(&t), json!({})).await;
    assert_eq!((s, v["growth"].clone()), (200, json!(600)));
    let (_, m) = app.get("/api/member", Some(&t)).await;
    assert_eq!(m["member"]["level"]["levelId"], "silver", "{m}");
}

#[tokio::test]
async fn the_console_rule_is_checked_and_a_refused_one_changes_nothing() {
    let app = spawn_app().await;
    let (s, rule) = app
        .merchant(Method::GET, "/admin/api/marketing/signin", None)
        .await;
    assert_eq!(s, 200);
    let bad =
        json!({"pointsPerDay": 1, "bonuses": [{"day": 7, "points": 1}, {"day": 3, "points": 1}]});
    let (s, v) = app
        .merchant(Method::PUT, "/admin/api/marketing/signin", Some(bad))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("RULES_INCONSISTENT")),
        "{v}"
    );
    let (s, v) = app
        .merchant(
            Method::PUT,
            "/admin/api/marketing/signin",
            Some(json!({"pointsPerDay": 1_000_001})),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    let (_, now) = app
        .merchant(Method::GET, "/admin/api/marketing/signin", None)
        .await;
    assert_eq!(now, rule);
    set_rule(&app, json!({"enabled": false})).await;
    let t = app.login("too-bad").await;
    let (s, v) = app.post("/api/signin", Some(&t), json!({})).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("SIGNIN_DISABLED")));
}
