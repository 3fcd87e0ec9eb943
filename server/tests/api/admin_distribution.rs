//! 分销 in the console (`/admin/api/distribution/*`): only the roles of the
//! 分销 page get in, the merchant API's bounds hold at the edge, an
//! application is approved once, a withdrawal under review is approved or
//! rejected once, and every write is in the audit log with CSRF required.

use mall_server::distribution::account;
use serde_json::{json, Value};

use crate::admin::{owner, sign_in, Console};
use crate::distribution::shopper;
use crate::helpers::*;

const SETTINGS: &str = "/admin/api/distribution/settings";

fn approval(extra: Value) -> Value {
    let mut b = json!({"enabled": true, "mode": "approval", "levels": 2, "rates": ["0.10", "0.05"],
                       "selfPurchase": false, "bindingDays": 30, "frozenDays": 7, "reviewAbove": 1000});
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    b
}

async fn staff<'a>(c: &Console<'a>, role: &str) -> Console<'a> {
    let username = format!("dist-{role}");
    let (s, v) = c
        .post(
            "/admin/api/staff",
            json!({"username": username, "role": role, "password": "password-123"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    sign_in(c.app, &username, "password-123").await
}

async fn audited(c: &Console<'_>, action: &str) -> Vec<Value> {
    let (s, v) = c.get("/admin/api/audit?pageSize=100").await;
    assert_eq!(s, 200, "{v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == action)
        .cloned()
        .collect()
}

#[tokio::test]
async fn distribution_is_the_owners_and_operators_page_only() {
    let app = spawn_app().await;
    let c = owner(&app).await;
    let operator = staff(&c, "operator").await;
    let (s, v) = operator.get(SETTINGS).await;
    assert_eq!((s, v["levels"].as_i64()), (200, Some(1)), "{v}");
    for role in ["service", "finance"] {
        let other = staff(&c, role).await;
        for path in [
            SETTINGS,
            "/admin/api/distribution/promoters",
            "/admin/api/distribution/withdrawals",
        ] {
            let (s, v) = other.get(path).await;
            assert_eq!(
                (s, v["code"].as_str()),
                (403, Some("STAFF_FORBIDDEN")),
                "{v}"
            );
        }
        let (s, v) = other.put(SETTINGS, approval(json!({}))).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (403, Some("STAFF_FORBIDDEN")),
            "{v}"
        );
    }
    let (_, me) = operator.get("/admin/api/me").await;
    assert!(me["pages"]
        .as_array()
        .unwrap()
        .contains(&json!("distribution")));
    // A write without the session's CSRF token is refused.
    let res = app
        .http
        .put(format!("{}{SETTINGS}", app.url))
        .header("cookie", &c.cookie)
        .json(&approval(json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "STAFF_CSRF");
}

#[tokio::test]
async fn distribution_settings_keep_the_merchant_apis_bounds() {
    let app = spawn_app().await;
    let c = owner(&app).await;
    let cases = [
        (
            json!({"levels": 3, "rates": ["0.1", "0.05", "0.01"]}),
            422,
            "TOO_MANY_COMMISSION_LEVELS",
        ),
        (
            json!({"rates": ["0.6", "0.5"]}),
            422,
            "COMMISSION_RATES_INVALID",
        ),
        (json!({"rates": ["0.1"]}), 422, "COMMISSION_RATES_INVALID"),
        (
            json!({"withdrawMin": 5000, "withdrawDailyCap": 1000}),
            422,
            "WITHDRAW_LIMITS_INVALID",
        ),
        (json!({"rates": ["0.12345", "0"]}), 400, "INVALID_INPUT"),
        (json!({"frozenDays": 366}), 400, "INVALID_INPUT"),
        (json!({"bindingDays": 0}), 400, "INVALID_INPUT"),
        (json!({"leaderboardTop": 101}), 400, "INVALID_INPUT"),
        (json!({"mode": "paid"}), 400, "INVALID_INPUT"),
    ];
    for (extra, status, code) in cases {
        let (s, v) = c.put(SETTINGS, approval(extra.clone())).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (status, Some(code)),
            "{extra}: {v}"
        );
    }
    let (_, v) = c
        .put(SETTINGS, approval(json!({"rates": ["0.6", "0.5"]})))
        .await;
    assert_eq!(v["details"]["field"], "rates", "{v}");
    // Nothing was saved; then a good one is, with the audit's before and after.
    let (_, v) = c.get(SETTINGS).await;
    assert_eq!(v["enabled"], false);
    let (s, v) = c.put(SETTINGS, approval(json!({}))).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["rates"], json!(["0.1", "0.05"]));
    let (_, v) = c.get(SETTINGS).await;
    assert_eq!(
        (v["mode"].as_str(), v["levels"].as_i64()),
        (Some("approval"), Some(2))
    );
    let entries = audited(&c, "distribution.settings").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["before"]["enabled"], false);
    assert_eq!(entries[0]["after"]["levels"], 2);
    for path in [
        "/admin/api/distribution/promoters?status=nope",
        "/admin/api/distribution/withdrawals?state=nope",
        "/admin/api/distribution/leaderboard?month=2025-13",
        "/admin/api/distribution/promoters?pageSize=0",
        "/admin/api/distribution/promoters?other=1",
    ] {
        let (s, v) = c.get(path).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (400, Some("INVALID_INPUT")),
            "{path}: {v}"
        );
    }
}

#[tokio::test]
async fn an_application_is_approved_in_the_console_once() {
    let app = spawn_app().await;
    let c = owner(&app).await;
    let (s, v) = c.put(SETTINGS, approval(json!({}))).await;
    assert_eq!(s, 200, "{v}");
    let (t, id) = shopper(&app, "applicant").await;
    let (t2, id2) = shopper(&app, "second").await;
    for tok in [&t, &t2] {
        let (s, v) = app
            .post("/api/distribution/promoter", Some(tok), json!({}))
            .await;
        assert_eq!((s, v["status"].as_str()), (200, Some("applied")), "{v}");
    }
    let (_, page) = c
        .get("/admin/api/distribution/promoters?status=applied")
        .await;
    assert_eq!(page["total"], 2, "{page}");
    let decide = |who: i64| format!("/admin/api/distribution/promoters/{who}/decide");
    let (s, v) = c.post(&decide(id), json!({"approve": true})).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("approved")), "{v}");
    let (s, v) = c.post(&decide(id), json!({"approve": false})).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("PROMOTER_STATE")),
        "{v}"
    );
    let (s, v) = c.post(&decide(id2), json!({"approve": false})).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("rejected")), "{v}");
    let (s, v) = c.post(&decide(999_999), json!({"approve": true})).await;
    assert_eq!(s, 404, "{v}");
    let (s, v) = c.post(&decide(id2), json!({"approve": "yes"})).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    let (_, page) = c
        .get("/admin/api/distribution/promoters?status=approved")
        .await;
    assert_eq!(page["items"][0]["userId"], id, "{page}");
    let (_, center) = app.get("/api/distribution/center", Some(&t)).await;
    assert_eq!(center["promoter"]["status"], "approved", "{center}");
    let (s, ledger) = c
        .get(&format!("/admin/api/distribution/promoters/{id}/ledger"))
        .await;
    assert_eq!(
        (s, ledger["balances"]["available"].as_i64()),
        (200, Some(0)),
        "{ledger}"
    );
    assert_eq!(audited(&c, "promoter.approve").await.len(), 1);
    let rejected = audited(&c, "promoter.reject").await;
    assert_eq!(rejected[0]["target"], format!("promoter:{id2}"));
    assert_eq!(rejected[0]["after"]["status"], "rejected");
}

#[tokio::test]
async fn a_withdrawal_under_review_is_decided_in_the_console_once() {
    let app = spawn_app().await;
    let c = owner(&app).await;
    let (s, v) = c
        .put(
            SETTINGS,
            approval(json!({"mode": "everyone", "levels": 1, "rates": ["0.1"]})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (t, id) = shopper(&app, "payee").await;
    let (s, v) = app
        .post("/api/distribution/promoter", Some(&t), json!({}))
        .await;
    assert_eq!(s, 200, "{v}");
    let mut conn = app.server.state.db.pool.acquire().await.unwrap();
    account::credit(&mut conn, id, 10_000, mall_server::db::now())
        .await
        .unwrap();
    drop(conn);
    let mut ids = Vec::new();
    for amount in [2000, 3000] {
        let (s, v) = app
            .post(
                "/api/distribution/withdrawals",
                Some(&t),
                json!({"amount": amount}),
            )
            .await;
        assert_eq!(
            (s, v["withdrawal"]["state"].as_str()),
            (201, Some("REVIEWING")),
            "{v}"
        );
        ids.push(v["withdrawal"]["id"].as_i64().unwrap());
    }
    let (_, page) = c
        .get("/admin/api/distribution/withdrawals?state=REVIEWING")
        .await;
    assert_eq!(page["total"], 2, "{page}");
    assert_eq!(page["items"][0]["amount"], 3000);
    let path = |id: i64, what: &str| format!("/admin/api/distribution/withdrawals/{id}/{what}");
    let (s, v) = c.post(&path(ids[0], "approve"), json!({})).await;
    assert_eq!(
        (s, v["state"].as_str()),
        (200, Some("WAIT_USER_CONFIRM")),
        "{v}"
    );
    let (s, v) = c.post(&path(ids[0], "approve"), json!({})).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("WITHDRAWAL_STATE")),
        "{v}"
    );
    let (s, v) = c.post(&path(ids[1], "reject"), json!({"reason": ""})).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    let (s, v) = c
        .post(&path(ids[1], "reject"), json!({"reason": "信息有误"}))
        .await;
    assert_eq!((s, v["state"].as_str()), (200, Some("REJECTED")), "{v}");
    let (s, v) = c
        .post(&path(ids[1], "reject"), json!({"reason": "again"}))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("WITHDRAWAL_STATE")),
        "{v}"
    );
    let (s, _) = c.post(&path(999_999, "approve"), json!({})).await;
    assert_eq!(s, 404);
    let (_, center) = app.get("/api/distribution/center", Some(&t)).await;
    assert_eq!(center["earnings"]["available"], 8000, "{center}");
    let approved = audited(&c, "withdrawal.approve").await;
    assert_eq!(approved.len(), 1, "{approved:?}");
    assert_eq!(approved[0]["before"]["state"], "REVIEWING");
    assert_eq!(approved[0]["after"]["state"], "WAIT_USER_CONFIRM");
    assert_eq!(audited(&c, "withdrawal.reject").await.len(), 1);
    // Approved while WeChat Pay does not answer: approved all the same (the
    // job sends the bill again), and so in the audit log.
    let (_, v) = app
        .post(
            "/api/distribution/withdrawals",
            Some(&t),
            json!({"amount": 1500}),
        )
        .await;
    let third = v["withdrawal"]["id"].as_i64().unwrap();
    let pay = fake(&app);
    *pay.transfer_error.lock().unwrap() = Some("SYSTEM_ERROR".into());
    pay.unsigned_errors
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let (s, v) = c.post(&path(third, "approve"), json!({})).await;
    assert_eq!((s, v["state"].as_str()), (200, Some("CREATING")), "{v}");
    let (_, page) = c
        .get("/admin/api/distribution/withdrawals?state=CREATING")
        .await;
    assert_eq!(page["items"][0]["id"], third, "{page}");
    let approved = audited(&c, "withdrawal.approve").await;
    assert_eq!(approved.len(), 2, "{approved:?}");
    assert_eq!(approved[0]["after"]["state"], "CREATING");
    let (s, board) = c.get("/admin/api/distribution/leaderboard").await;
    assert_eq!(s, 200, "{board}");
    assert!(board["ranking"].as_array().unwrap().is_empty(), "{board}");
}
