//! 会员营销: the member campaigns decided by the core and acted on once per
//! (campaign, member, slot): 周三会员日 starts at 00:00 in Beijing while the
//! server runs in UTC, two instances racing grant once, holdout members never
//! receive, the dormant recall comes once per dormancy, the weekly cap holds
//! across campaigns, the dry run counts what the job then does, and the
//! effect is measured against the holdout.

use std::sync::Arc;

use mall_server::member_campaigns::{self, run};
use serde_json::{json, Value};

use crate::admin::owner;
use crate::helpers::*;

/// Wednesday 2026-12-09 00:00 +08:00 (= Tuesday 16:00 UTC).
const WED: i64 = 1_796_140_800 + 7 * 86_400;
const DAY: i64 = 86_400;

async fn coupon(app: &TestApp, total: i64) -> i64 {
    let c = owner(app).await;
    let (s, t) = c
        .post(
            "/admin/api/marketing/coupons",
            json!({"title": "满50减20", "kind": {"kind": "threshold", "threshold": 5000, "amount": 2000},
                   "validDays": 7, "total": total, "perUserLimit": 1}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    t["id"].as_i64().unwrap()
}

async fn user_id(app: &TestApp, code: &str) -> i64 {
    app.login(code).await;
    sqlx::query_scalar("SELECT id FROM users WHERE openid = $1")
        .bind(mall_server::wechat::fake::openid_for_code(code))
        .fetch_one(&app.server.state.db.pool)
        .await
        .unwrap()
}

async fn set_campaign(app: &TestApp, id: &str, body: Value) -> (u16, Value) {
    owner(app)
        .await
        .put(&format!("/admin/api/member-campaigns/{id}"), body)
        .await
}

async fn campaign(app: &TestApp, id: &str) -> member_campaigns::Campaign {
    let mut conn = app.server.state.db.pool.acquire().await.unwrap();
    member_campaigns::get(&mut conn, id).await.unwrap().unwrap()
}

/// A paid order of the shopper, then dated `at`.
async fn paid_at(app: &TestApp, code: &str, key: &str, at: i64) {
    let t = app.login(code).await;
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()});
    let (id, no, _) = place(app, &t, body, key).await;
    pay_now(app, &t, id, &no).await;
    app.exec(&format!("UPDATE orders SET paid_at = {at} WHERE id = {id}"))
        .await;
}

fn held_out(campaign: &str, user: i64, bps: u64) -> bool {
    mall_core::segments::holdout_bucket(campaign, &user.to_string()) < bps
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn member_day_starts_at_beijing_midnight_and_two_instances_grant_once() {
    let app = spawn_with(|c| c.db_max_connections = 8).await;
    let coupon = coupon(&app, 1000).await;
    let mut silver = Vec::new();
    for i in 0..40 {
        silver.push(user_id(&app, &format!("silver-{i}")).await);
    }
    for i in 0..10 {
        user_id(&app, &format!("plain-{i}")).await;
    }
    let ids: Vec<String> = silver.iter().map(|u| u.to_string()).collect();
    app.exec(&format!(
        "UPDATE users SET growth = 600 WHERE id IN ({})",
        ids.join(",")
    ))
    .await;
    // Anyone else (the seed's shoppers, the plain ones) is below 白银.
    let others = count(&app, "SELECT COUNT(*) FROM users").await as u64 - 40;
    app.exec(&format!(
        "UPDATE users SET growth = 0 WHERE id NOT IN ({})",
        ids.join(",")
    ))
    .await;
    let (s, v) = set_campaign(
        &app,
        "memberDay",
        json!({"enabled": true, "trigger": {"kind": "weekly", "weekday": 3, "hour": 0, "minute": 0},
               "audience": {"minLevel": 1}, "caps": {"perWeek": 2}, "holdoutBps": 2000,
               "couponTemplateId": coupon}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let c = campaign(&app, "memberDay").await;
    let db = &app.server.state.db;

    // Tuesday 23:59:59 in Beijing: last week's slot is past its day; nothing.
    let r = run::run_campaign(db, &app.server.state.config.templates, &c, WED - 1, false)
        .await
        .unwrap();
    assert_eq!((r.slot, r.sent, r.held_out), (None, 0, 0), "{r:?}");

    let expect_held = silver
        .iter()
        .filter(|u| held_out("memberDay", **u, 2000))
        .count() as u64;
    let dry = run::run_campaign(db, &app.server.state.config.templates, &c, WED + 60, true)
        .await
        .unwrap();
    assert_eq!(dry.slot, Some(WED));
    assert_eq!(
        (dry.sent, dry.held_out, dry.not_in_audience),
        (40 - expect_held, expect_held, others)
    );

    // Wednesday 00:01 in Beijing, two instances, four runs at once.
    let url = app.server.state.config.database_url.clone();
    let mut config = mall_server::config::Config::for_tests(url);
    config.db_max_connections = 8;
    let other = mall_server::start(config).await.expect("second instance");
    let states = [app.server.state.clone(), other.state.clone()];
    let c = Arc::new(c);
    let barrier = Arc::new(tokio::sync::Barrier::new(4));
    let mut tasks = tokio::task::JoinSet::new();
    for k in 0..4 {
        let (state, c, barrier) = (states[k % 2].clone(), c.clone(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            run::run_campaign(&state.db, &state.config.templates, &c, WED + 60, false)
                .await
                .unwrap()
        });
    }
    let mut sent = 0;
    let mut held = 0;
    while let Some(r) = tasks.join_next().await {
        let r = r.unwrap();
        sent += r.sent;
        held += r.held_out;
    }
    assert_eq!(
        (sent, held),
        (dry.sent, dry.held_out),
        "the dry run said what the runs did"
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM user_coupons WHERE template_id = {coupon}")
        )
        .await,
        (40 - expect_held) as i64,
        "one coupon per reached member, none twice"
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM user_coupons c JOIN member_campaign_sends s ON s.user_id = c.user_id
                 WHERE c.template_id = {coupon} AND s.decision = 'holdout'"
            )
        )
        .await,
        0,
        "holdout members never receive"
    );
    // The job claims the campaign for its window: a second tick does nothing.
    let first = run::run_due(db, &app.server.state.config.templates, WED + 120)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].sent, first[0].already), (0, 40));
    assert!(
        run::run_due(db, &app.server.state.config.templates, WED + 180)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_dormant_recall_comes_once_per_dormancy_and_its_effect_is_measured() {
    let app = spawn_app().await;
    let coupon = coupon(&app, 100).await;
    let now = mall_server::db::now();
    let a = user_id(&app, "dormant-a").await;
    let b = user_id(&app, "recent-b").await;
    let c = user_id(&app, "never-c").await;
    paid_at(&app, "dormant-a", "a1", now - 8 * DAY).await;
    paid_at(&app, "recent-b", "b1", now - 3 * DAY).await;
    app.exec(&format!(
        "UPDATE users SET created_at = {} WHERE id = {c}",
        now - 40 * DAY
    ))
    .await;
    let (s, v) = set_campaign(
        &app,
        "dormantRecall",
        json!({"enabled": true, "trigger": {"kind": "dormancy"},
               "audience": {"noOrderDays": 7, "segments": ["active", "atRisk", "dormant"]},
               "caps": {}, "holdoutBps": 0, "couponTemplateId": coupon}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let camp = campaign(&app, "dormantRecall").await;
    let db = &app.server.state.db;
    let r = run::run_campaign(db, &app.server.state.config.templates, &camp, now, false)
        .await
        .unwrap();
    assert_eq!(r.sent, 2, "{r:?}");
    let got = |u: i64| {
        let app = &app;
        async move {
            count(
                app,
                &format!("SELECT COUNT(*) FROM user_coupons WHERE user_id = {u} AND template_id = {coupon}"),
            )
            .await
        }
    };
    assert_eq!((got(a).await, got(b).await, got(c).await), (1, 0, 1));

    // A day later: the same dormancy, nothing more.
    let r = run::run_campaign(
        db,
        &app.server.state.config.templates,
        &camp,
        now + DAY,
        false,
    )
    .await
    .unwrap();
    assert_eq!((r.sent, r.already), (0, 2), "{r:?}");

    // A comes back two days after the recall, then lapses again: a second
    // recall; B, 13 days without an order by then, its first; C none.
    paid_at(&app, "dormant-a", "a2", now + 2 * DAY).await;
    let r = run::run_campaign(
        db,
        &app.server.state.config.templates,
        &camp,
        now + 10 * DAY,
        false,
    )
    .await
    .unwrap();
    assert_eq!(r.sent, 2, "{r:?}");
    assert_eq!((got(a).await, got(b).await, got(c).await), (2, 1, 1));

    // The effect: four recalls reached (A twice, B, C); A bought again within
    // 7 days of the first.
    let (s, list) = owner(&app).await.get("/admin/api/member-campaigns").await;
    assert_eq!(s, 200, "{list}");
    let e = &list
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "dormantRecall")
        .unwrap()["effect"];
    assert_eq!(e["reached"]["members"], 4, "{e}");
    assert_eq!(e["reached"]["buyers"], 1, "{e}");
    assert_eq!(e["reached"]["orders"], 1, "{e}");
    // A's order used the recall's 满50减20: ¥129.00 − ¥20.00
    assert_eq!(e["reached"]["gmv"], 10900, "{e}");
    assert_eq!(e["reached"]["repurchaseRate"], "25.00", "{e}");
    assert_eq!(e["holdout"]["members"], 0, "{e}");
    assert_eq!(e["incrementalRepurchase"], "0.00", "{e}");
    assert_eq!(
        (e["couponsGranted"].as_i64(), e["couponsUsed"].as_i64()),
        (Some(4), Some(1))
    );
}

/// A member of 白银 registered 60 days before [`WED`], who never ordered:
/// in the audience of 周三会员日 and of the dormant recall, both switched on
/// with the same coupon and a weekly cap of one; the seed's shoppers in
/// neither (below 白银, registered this week). The coupon's template.
async fn in_two_campaigns_capped_at_one_a_week(app: &TestApp, code: &str) -> i64 {
    let coupon = coupon(app, 100).await;
    let u = user_id(app, code).await;
    app.exec(&format!(
        "UPDATE users SET growth = 600, created_at = {} WHERE id = {u}",
        WED - 60 * DAY
    ))
    .await;
    // The seed's shoppers: below 白银 and registered this week (new, no recall).
    app.exec(&format!(
        "UPDATE users SET growth = 0, created_at = {WED} WHERE id <> {u}"
    ))
    .await;
    for (id, body) in [
        (
            "memberDay",
            json!({"enabled": true, "trigger": {"kind": "weekly", "weekday": 3, "hour": 0, "minute": 0},
            "audience": {"minLevel": 1}, "caps": {"perWeek": 1}, "holdoutBps": 0, "couponTemplateId": coupon}),
        ),
        (
            "dormantRecall",
            json!({"enabled": true, "trigger": {"kind": "dormancy"},
            "audience": {"noOrderDays": 7, "segments": ["active", "atRisk", "dormant"]},
            "caps": {"perWeek": 1}, "holdoutBps": 0, "couponTemplateId": coupon}),
        ),
    ] {
        let (s, v) = set_campaign(app, id, body).await;
        assert_eq!(s, 200, "{v}");
    }
    coupon
}

#[tokio::test]
async fn the_weekly_cap_holds_across_campaigns() {
    let app = spawn_app().await;
    in_two_campaigns_capped_at_one_a_week(&app, "capped").await;
    let db = &app.server.state.db;
    let day = run::run_campaign(
        db,
        &app.server.state.config.templates,
        &campaign(&app, "memberDay").await,
        WED + 60,
        false,
    )
    .await
    .unwrap();
    assert_eq!(day.sent, 1);
    let recall = run::run_campaign(
        db,
        &app.server.state.config.templates,
        &campaign(&app, "dormantRecall").await,
        WED + 120,
        false,
    )
    .await
    .unwrap();
    assert_eq!(
        (recall.sent, recall.weekly_cap_reached),
        (0, 1),
        "{recall:?}"
    );
    // Next Beijing week the recall may go.
    let recall = run::run_campaign(
        db,
        &app.server.state.config.templates,
        &campaign(&app, "dormantRecall").await,
        WED + 7 * DAY,
        false,
    )
    .await
    .unwrap();
    assert_eq!(recall.sent, 1, "{recall:?}");
}

/// The job decides every due campaign over one read of the members: on each
/// page the campaigns act one after another, so the weekly cap across
/// campaigns still holds within one run.
#[tokio::test]
async fn one_run_of_the_job_decides_all_due_campaigns_and_keeps_the_weekly_cap() {
    let app = spawn_app().await;
    let coupon = in_two_campaigns_capped_at_one_a_week(&app, "capped-once").await;
    let users = count(&app, "SELECT COUNT(*) FROM users").await as u64;
    let reports = run::run_due(
        &app.server.state.db,
        &app.server.state.config.templates,
        WED + 60,
    )
    .await
    .unwrap();
    let ids: Vec<&str> = reports.iter().map(|r| r.campaign_id.as_str()).collect();
    assert_eq!(ids, ["dormantRecall", "memberDay"], "{reports:?}");
    let (recall, day) = (&reports[0], &reports[1]);
    assert_eq!(
        (recall.sent, recall.not_in_audience),
        (1, users - 1),
        "{recall:?}"
    );
    assert_eq!(
        (day.sent, day.weekly_cap_reached, day.not_in_audience),
        (0, 1, users - 1),
        "{day:?}"
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM user_coupons WHERE template_id = {coupon}")
        )
        .await,
        1
    );
}

#[tokio::test]
async fn campaign_settings_are_bounded_audited_and_only_for_marketing_staff() {
    let app = spawn_app().await;
    let o = owner(&app).await;
    let good = json!({"enabled": false, "trigger": {"kind": "weekly", "weekday": 3, "hour": 0, "minute": 0},
        "audience": {"minLevel": 1}, "caps": {"perWeek": 2}, "holdoutBps": 1000, "couponTemplateId": null});
    for change in [json!({"enabled": true}), json!({"couponTemplateId": 99999})] {
        let mut body = good.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, v) = o.put("/admin/api/member-campaigns/memberDay", body).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (422, Some("CAMPAIGN_COUPON_INVALID")),
            "{v}"
        );
        assert_eq!(v["details"]["field"], "couponTemplateId", "{v}");
    }
    for (change, field) in [
        (
            json!({"trigger": {"kind": "weekly", "weekday": 8, "hour": 0, "minute": 0}}),
            "trigger",
        ),
        (json!({"holdoutBps": 6000}), "holdoutBps"),
        (
            json!({"audience": {"noOrderDays": 4000}}),
            "audience.noOrderDays",
        ),
    ] {
        let mut body = good.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, v) = o.put("/admin/api/member-campaigns/memberDay", body).await;
        assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
        assert_eq!(v["details"]["field"], field, "{v}");
    }
    let (s, v) = o
        .put(
            "/admin/api/member-campaigns/memberDay",
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    let (s, _) = o
        .put("/admin/api/member-campaigns/nope", good.clone())
        .await;
    assert_eq!(s, 404);
    let (s, v) = o
        .put("/admin/api/member-campaigns/memberDay", good.clone())
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'member_campaign.update' AND target = 'memberDay'").await,
        1
    );
    let (s, v) = o
        .post(
            "/admin/api/member-campaigns/memberDay/dry-run",
            good.clone(),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["slot"].is_i64(), "{v}");
    let (s, v) = o
        .post(
            "/admin/api/staff",
            json!({"username": "svc", "name": "svc", "role": "service", "password": "password-123"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let svc = crate::admin::sign_in(&app, "svc", "password-123").await;
    let (s, v) = svc.get("/admin/api/member-campaigns").await;
    assert_eq!((s, v["code"].as_str()), (403, Some("STAFF_FORBIDDEN")));
}

/// The demo shop (`MALL_DEMO_CAMPAIGNS`, on for the binary): the three
/// campaigns are on with member-only coupons (not in the coupon center); on
/// the next Wednesday the job decides the ten 黄金/钻石 demo members for the
/// member day and the recall, and never reaches the demo shopper (白银) or a
/// new shopper, whose checkout must not change.
#[tokio::test]
async fn the_demo_shops_campaigns_reach_its_demo_members_only() {
    let app = spawn_with(|c| c.demo_campaigns = true).await;
    let demo = user_id(&app, "demo").await;
    let fresh = user_id(&app, "fresh-shopper").await;
    let (s, list) = owner(&app).await.get("/admin/api/member-campaigns").await;
    assert_eq!(s, 200, "{list}");
    let list = list.as_array().unwrap();
    // 优惠券到期提醒 is a campaign too: on everywhere, a message, no coupon.
    let reminder = list.iter().find(|c| c["id"] == "couponExpiry").unwrap();
    assert_eq!(reminder["enabled"], true);
    assert_eq!(
        reminder["trigger"],
        json!({"kind": "couponExpiry", "hoursBefore": 24})
    );
    assert_eq!(reminder["couponTemplateId"], Value::Null);
    let list: Vec<&Value> = list.iter().filter(|c| c["id"] != "couponExpiry").collect();
    assert_eq!(list.len(), 3);
    let mut templates = Vec::new();
    for c in list {
        assert_eq!(c["enabled"], true, "{c}");
        assert_eq!(c["audience"]["minLevel"], 2, "{c}");
        templates.push(c["couponTemplateId"].as_i64().expect("a coupon"));
    }
    let token = app.login("demo").await;
    let (s, center) = app.get("/api/coupons", Some(&token)).await;
    assert_eq!(s, 200, "{center}");
    assert!(
        center
            .as_array()
            .unwrap()
            .iter()
            .all(|b| !templates.contains(&b["id"].as_i64().unwrap())),
        "member-only coupons are not claimable: {center}"
    );

    let now = mall_server::db::now();
    let wed = mall_core::beijing_week_slot(&mall_core::WeekSlotInput {
        now,
        weekday: 3,
        hour: 0,
        minute: 0,
    })
    .unwrap()
        + 7 * DAY;
    let users = count(&app, "SELECT COUNT(*) FROM users").await as u64;
    let reports = run::run_due(
        &app.server.state.db,
        &app.server.state.config.templates,
        wed + 60,
    )
    .await
    .unwrap();
    assert_eq!(reports.len(), 3, "{reports:?}");
    for r in &reports {
        let decided = r.sent + r.held_out;
        match r.campaign_id.as_str() {
            "memberDay" | "dormantRecall" => {
                assert_eq!((decided, r.not_in_audience), (10, users - 10), "{r:?}")
            }
            _ => assert_eq!((r.slot, decided), (None, 0), "Friday's slot: {r:?}"),
        }
    }
    let ids = templates
        .iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(",");
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM user_coupons WHERE user_id IN ({demo}, {fresh}) AND template_id IN ({ids})"
            )
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM member_campaign_sends WHERE user_id IN ({demo}, {fresh})"
            )
        )
        .await,
        0
    );
}

/// 优惠券到期提醒 under the campaign model: each coupon due is decided once
/// (four runs on two instances at once), held-out members get no message, the
/// dry run counts what the job then does, and the next tick adds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn coupon_expiry_reminders_go_once_per_coupon_and_never_to_the_holdout() {
    let app = spawn_with(|c| c.db_max_connections = 8).await;
    let now = mall_server::db::now();
    let template = coupon(&app, 1000).await;
    let mut users = Vec::new();
    for i in 0..30 {
        let code = format!("expiry-{i}");
        let id = user_id(&app, &code).await;
        let t = app.login(&code).await;
        let (s, v) = app
            .post(
                &format!("/api/coupons/{template}/claim"),
                Some(&t),
                json!({}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        users.push(id);
    }
    app.exec(&format!(
        "UPDATE user_coupons SET valid_until = {} WHERE template_id = {template}",
        now + 10 * 3_600
    ))
    .await;
    let body = json!({"enabled": true, "trigger": {"kind": "couponExpiry", "hoursBefore": 24},
                      "audience": {}, "caps": {}, "holdoutBps": 2000, "couponTemplateId": null});
    let (s, v) = set_campaign(&app, "couponExpiry", body.clone()).await;
    assert_eq!(s, 200, "{v}");
    let (s, bad) = set_campaign(
        &app,
        "couponExpiry",
        json!({"enabled": true, "trigger": {"kind": "couponExpiry", "hoursBefore": 169},
               "audience": {}, "caps": {}, "holdoutBps": 0, "couponTemplateId": null}),
    )
    .await;
    assert_eq!(s, 400, "{bad}");
    let held: Vec<i64> = users
        .iter()
        .copied()
        .filter(|u| held_out("couponExpiry", *u, 2000))
        .collect();
    let (s, dry) = owner(&app)
        .await
        .post("/admin/api/member-campaigns/couponExpiry/dry-run", body)
        .await;
    assert_eq!(s, 200, "{dry}");
    assert_eq!(dry["heldOut"], held.len() as i64, "{dry}");
    assert_eq!(dry["sent"], (30 - held.len()) as i64, "{dry}");

    let url = app.server.state.config.database_url.clone();
    let mut config = mall_server::config::Config::for_tests(url);
    config.db_max_connections = 8;
    let other = mall_server::start(config).await.expect("second instance");
    let states = [
        app.server.state.clone(),
        app.server.state.clone(),
        other.state.clone(),
        other.state.clone(),
    ];
    let runs: Vec<_> = states
        .into_iter()
        .map(|s| {
            tokio::spawn(
                async move { mall_server::member_campaigns::expiry::run_due(&s, now).await },
            )
        })
        .collect();
    for r in runs {
        r.await.unwrap().unwrap();
    }
    let messages = count(
        &app,
        "SELECT COUNT(*) FROM outbox WHERE event = 'couponExpiring'",
    )
    .await;
    assert_eq!(messages, dry["sent"].as_i64().unwrap());
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM member_campaign_sends WHERE campaign_id = 'couponExpiry'"
        )
        .await,
        30
    );
    for u in &held {
        assert_eq!(
            count(
                &app,
                &format!("SELECT COUNT(*) FROM outbox WHERE user_id = {u}")
            )
            .await,
            0,
            "held out {u}"
        );
    }
    let again = mall_server::member_campaigns::expiry::run_due(&app.server.state, now + 60)
        .await
        .unwrap();
    assert_eq!((again[0].sent, again[0].held_out), (0, 0));
}

/// A campaign's home banner and message: the members it reached see the banner
/// first on the home page for the effect window and get 券已到账; held-out members and guests never do; a link
/// that is not a mini-program page is refused.
#[tokio::test]
async fn a_campaign_banner_shows_first_for_the_members_it_reached() {
    let app = spawn_app().await;
    let coupon = coupon(&app, 100).await;
    let mut members = Vec::new();
    for i in 0..12 {
        let code = format!("banner-{i}");
        members.push((user_id(&app, &code).await, app.login(&code).await));
    }
    let banner = json!({"image": "https://img.example.com/vip.jpg", "url": "/pages/list/index?categoryId=1"});
    let body = |banner: Value| {
        json!({"enabled": true, "trigger": {"kind": "dormancy"}, "audience": {}, "caps": {},
               "holdoutBps": 5000, "couponTemplateId": coupon, "banner": banner, "notify": true})
    };
    let (s, v) = set_campaign(
        &app,
        "dormantRecall",
        body(json!({"image": "x.jpg", "url": "https://evil.example.com"})),
    )
    .await;
    assert_eq!(
        (s, &v["details"]["field"]),
        (400, &json!("banner.url")),
        "{v}"
    );
    let (s, v) = set_campaign(&app, "dormantRecall", body(banner.clone())).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["banner"], banner);
    let now = mall_server::db::now();
    run::run_due(
        &app.server.state.db,
        &app.server.state.config.templates,
        now,
    )
    .await
    .unwrap();
    let mut reached = 0;
    for (id, token) in &members {
        let (s, home) = app.get("/api/home", Some(token)).await;
        assert_eq!(s, 200, "{home}");
        let first = &home["banners"][0];
        if held_out("dormantRecall", *id, 5000) {
            assert!(
                home["banners"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|b| b != &banner),
                "held out {id}: {home}"
            );
        } else {
            assert_eq!(first, &banner, "reached {id}");
            reached += 1;
        }
    }
    assert!(reached > 0 && reached < 12, "{reached}");
    // notify: each coupon granted comes with 券已到账, queued with it; none for the holdout.
    let ids: Vec<String> = members.iter().map(|(id, _)| id.to_string()).collect();
    let granted = count(
        &app,
        &format!(
            "SELECT COUNT(*) FROM outbox WHERE event = 'couponGranted' AND user_id IN ({})",
            ids.join(",")
        ),
    )
    .await;
    assert_eq!(granted, reached);
    // Everyone the job reached (the seed's shoppers too) got one per coupon.
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM outbox WHERE event = 'couponGranted'").await,
        count(&app, "SELECT COUNT(*) FROM member_campaign_sends WHERE decision = 'send' AND coupon_id IS NOT NULL").await
    );
    for (id, _) in members
        .iter()
        .filter(|(id, _)| held_out("dormantRecall", *id, 5000))
    {
        assert_eq!(
            count(
                &app,
                &format!("SELECT COUNT(*) FROM outbox WHERE user_id = {id}")
            )
            .await,
            0
        );
    }
    let (_, guest) = app.get("/api/home", None).await;
    assert!(guest["banners"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b != &banner));
    // After the effect window it is gone.
    let mut conn = app.server.state.db.pool.acquire().await.unwrap();
    let later = now + (member_campaigns::effect::EFFECT_DAYS + 1) * 86_400;
    let reached_id = members
        .iter()
        .find(|(id, _)| !held_out("dormantRecall", *id, 5000))
        .unwrap()
        .0;
    assert!(member_campaigns::banners_for(&mut conn, reached_id, later)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        member_campaigns::banners_for(&mut conn, reached_id, now)
            .await
            .unwrap()
            .len(),
        1
    );
}
