//! 会员分层与标签 (issue 16): the job puts each member in the core's segment,
//! records each change once (also with several instances recomputing at
//! once), the member list filters and shows segments and tags, tags are
//! bounded, audited and usable as a campaign's audience.

use mall_server::member_segments;
use serde_json::json;

use crate::admin::owner;
use crate::helpers::*;

const DAY: i64 = 86_400;

async fn member(app: &TestApp, code: &str, registered: i64) -> (String, i64) {
    let t = app.login(code).await;
    let id = sqlx::query_scalar("SELECT id FROM users WHERE openid = $1")
        .bind(mall_server::wechat::fake::openid_for_code(code))
        .fetch_one(&app.server.state.db.pool)
        .await
        .unwrap();
    app.exec(&format!(
        "UPDATE users SET created_at = {registered} WHERE id = {id}"
    ))
    .await;
    (t, id)
}

/// A paid order of the shopper, then dated `at`.
async fn paid_at(app: &TestApp, t: &str, key: &str, at: i64) {
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()});
    let (id, no, _) = place(app, t, body, key).await;
    pay_now(app, t, id, &no).await;
    app.exec(&format!("UPDATE orders SET paid_at = {at} WHERE id = {id}"))
        .await;
}

async fn segment_of(app: &TestApp, user: i64) -> String {
    sqlx::query_scalar("SELECT segment FROM member_segments WHERE user_id = $1")
        .bind(user)
        .fetch_one(&app.server.state.db.pool)
        .await
        .unwrap()
}

async fn all_segments(app: &TestApp) -> std::collections::BTreeMap<i64, String> {
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT user_id, segment FROM member_segments")
        .fetch_all(&app.server.state.db.pool)
        .await
        .unwrap();
    rows.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn segments_follow_the_orders_and_each_change_is_recorded_once() {
    let app = spawn_with(|c| c.db_max_connections = 8).await;
    let now = mall_server::db::now();
    let (_, fresh) = member(&app, "seg-new", now - DAY).await;
    let (_, old_idle) = member(&app, "seg-idle", now - 40 * DAY).await;
    let (t, active) = member(&app, "seg-active", now - 200 * DAY).await;
    paid_at(&app, &t, "a1", now - 10 * DAY).await;
    let (t, frequent) = member(&app, "seg-frequent", now - 200 * DAY).await;
    for i in 0..5 {
        paid_at(&app, &t, &format!("f{i}"), now - (i + 1) * DAY).await;
    }
    let (t, risk) = member(&app, "seg-risk", now - 200 * DAY).await;
    paid_at(&app, &t, "r1", now - 60 * DAY).await;
    let (t, gone) = member(&app, "seg-gone", now - 300 * DAY).await;
    paid_at(&app, &t, "g1", now - 100 * DAY).await;

    // Two instances' jobs at once: one claims the window.
    let state = app.server.state.clone();
    let runs: Vec<_> = (0..10)
        .map(|_| {
            let state = state.clone();
            tokio::spawn(async move { member_segments::recompute_due(&state.db, now).await })
        })
        .collect();
    let mut claimed = Vec::new();
    for r in runs {
        if let Some(rep) = r.await.unwrap().unwrap() {
            claimed.push(rep);
        }
    }
    assert_eq!(claimed.len(), 1);
    let members = count(&app, "SELECT COUNT(*) FROM users").await as usize;
    assert_eq!(claimed[0].members, members);
    assert_eq!(claimed[0].changed, members);
    for (user, seg) in [
        (fresh, "new"),
        (old_idle, "dormant"),
        (active, "active"),
        (frequent, "highFrequency"),
        (risk, "atRisk"),
        (gone, "dormant"),
    ] {
        assert_eq!(segment_of(&app, user).await, seg, "member {user}");
    }
    // The same moment again: nothing changes, nothing recorded.
    let again = member_segments::recompute(&state.db, now).await.unwrap();
    assert_eq!(again.changed, 0);

    // 35 days later, eight recomputations at once: the active and the
    // frequent member are at risk, the new and the at-risk one dormant; each
    // of these four changes recorded once.
    let later = now + 35 * DAY;
    let before = all_segments(&app).await;
    let runs: Vec<_> = (0..8)
        .map(|_| {
            let db = state.db.clone();
            tokio::spawn(async move { member_segments::recompute(&db, later).await })
        })
        .collect();
    let mut changed = 0;
    for r in runs {
        changed += r.await.unwrap().unwrap().changed;
    }
    assert_eq!(segment_of(&app, active).await, "atRisk");
    assert_eq!(segment_of(&app, frequent).await, "atRisk");
    assert_eq!(segment_of(&app, risk).await, "dormant");
    assert_eq!(segment_of(&app, fresh).await, "dormant");
    let history = count(&app, "SELECT COUNT(*) FROM member_segment_history").await as usize;
    assert_eq!(history, members + changed);
    let after = all_segments(&app).await;
    let differ = before.iter().filter(|(u, seg)| after[u] != **seg).count();
    assert_eq!(changed, differ);
    assert!(differ >= 4, "{differ}");
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM member_segment_history WHERE user_id = {active}")
        )
        .await,
        2
    );

    // The console: the list filtered by segment, a member's history.
    let c = owner(&app).await;
    let (s, v) = c.get("/admin/api/members?segment=atRisk&pageSize=50").await;
    assert_eq!(s, 200, "{v}");
    let ids: Vec<i64> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&active) && ids.contains(&frequent), "{v}");
    assert!(v["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["segment"] == "atRisk"));
    let (s, v) = c.get(&format!("/admin/api/members/{active}")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["segment"], "atRisk");
    assert_eq!(v["segmentHistory"][0]["segment"], "atRisk");
    assert_eq!(v["segmentHistory"][0]["previous"], "active");
    assert_eq!(v["segmentHistory"][1]["previous"], serde_json::Value::Null);
    // The profile: one nuts order 10 days ago → 零食 (weight 5), its unit price both ends.
    let unit = count(
        &app,
        &format!("SELECT l.unit_price FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.user_id = {active}"),
    )
    .await;
    assert_eq!(v["profile"]["paidOrders"], 1);
    assert_eq!(v["profile"]["region"], serde_json::Value::Null); // no address
    assert_eq!(v["profile"]["priceBand"], json!([unit, unit]));
    assert_eq!(v["profile"]["preferredCategories"][0]["name"], "零食");
    assert_eq!(v["profile"]["preferredCategories"][0]["weight"], 5);
    let (s, v) = c.get("/admin/api/member-segments").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v.as_array().unwrap().len(), 5);
    let total: i64 = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["members"].as_i64().unwrap())
        .sum();
    assert_eq!(total as usize, members);
}

#[tokio::test]
async fn tags_are_bounded_audited_filtered_and_reach_a_campaign_audience() {
    let app = spawn_app().await;
    let now = mall_server::db::now();
    let (ta, a) = member(&app, "tag-a", now - 60 * DAY).await;
    app.add_address(&ta).await;
    let (_, b) = member(&app, "tag-b", now - 60 * DAY).await;
    let c = owner(&app).await;
    let (s, v) = c
        .put(
            &format!("/admin/api/members/{a}/tags"),
            json!({"tags": [" 团长 ", "高价值", "团长"]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["tags"], json!(["团长", "高价值"]));
    let (s, _) = c
        .put(
            &format!("/admin/api/members/{b}/tags"),
            json!({"tags": ["高价值"]}),
        )
        .await;
    assert_eq!(s, 200);
    for (body, field) in [
        (json!({"tags": ["一二三四五六七八九十一"]}), "tags[0]"),
        (json!({"tags": ["ok", "   "]}), "tags[1]"),
        (json!({"tags": ["a,b"]}), "tags[0]"),
        (json!({"tags": vec!["x"; 21]}), "tags"),
    ] {
        let (s, v) = c.put(&format!("/admin/api/members/{a}/tags"), body).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (422, Some("MEMBER_TAG_INVALID")),
            "{v}"
        );
        assert_eq!(v["details"]["field"], field);
    }
    let (s, v) = c
        .put("/admin/api/members/999999/tags", json!({"tags": ["x"]}))
        .await;
    assert_eq!(s, 404, "{v}");
    // Refusals changed nothing.
    let (_, v) = c.get(&format!("/admin/api/members/{a}")).await;
    assert_eq!(v["tags"], json!(["团长", "高价值"]));
    // The profile's region: province and city of the default address, nothing more.
    assert_eq!(v["profile"]["region"], "上海市 上海市");
    let (_, v) = c.get("/admin/api/member-tags").await;
    assert_eq!(
        v,
        json!([{"tag": "高价值", "members": 2}, {"tag": "团长", "members": 1}])
    );
    let (_, v) = c.get("/admin/api/members?tag=%E5%9B%A2%E9%95%BF").await;
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["items"][0]["id"], a);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'member.tags'"
        )
        .await,
        2
    );

    // A campaign for 团长 only: its dry run reaches a and nobody else.
    let (s, coupon) = c
        .post(
            "/admin/api/marketing/coupons",
            json!({"title": "团长专享", "kind": {"kind": "noThreshold", "amount": 500},
                   "validDays": 7, "total": 100, "perUserLimit": 1}),
        )
        .await;
    assert_eq!(s, 201, "{coupon}");
    let (s, v) = c
        .post(
            "/admin/api/member-campaigns/dormantRecall/dry-run",
            json!({"enabled": true, "trigger": {"kind": "dormancy"},
                   "audience": {"tags": ["团长"]}, "caps": {"perWeek": 2}, "holdoutBps": 0,
                   "couponTemplateId": coupon["id"]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["sent"], 1, "{v}");
}
