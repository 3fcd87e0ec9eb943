//! 分销 payouts and the leaderboard: withdrawals through the fake WeChat
//! Pay's 商家转账 (user-confirm mode) — paid on confirmation, returned exactly
//! once on failure, cancellation or unconfirmed expiry whatever reports it
//! (notifications twice, the query), never overdrawn by concurrent requests,
//! reviewed above the merchant's threshold — and the Beijing-month
//! leaderboard whose month-end rewards are granted once. Ends with the whole
//! flow: share → bind → buy → receive → available → withdraw, reconciled to
//! the fen. Each runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.

use mall_server::distribution::{account, leaderboard, withdrawals};
use mall_server::wechat::pay::fake::{KeyMode, Tamper};
use reqwest::Method;
use serde_json::{json, Value};

use crate::distribution::{bind, promoter, settings, shopper};
use crate::helpers::*;

/// Distribution on (everyone, 1 level at 10%) with these payout fields.
async fn payouts(app: &TestApp, extra: Value) {
    let mut body = json!({"enabled": true, "mode": "everyone", "levels": 1, "rates": ["0.1"],
                          "selfPurchase": false, "bindingDays": null, "frozenDays": 7,
                          "withdrawMin": 100, "withdrawDailyCap": 1_000_000, "reviewAbove": 200_000});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (s, v) = settings(app, body).await;
    assert_eq!(s, 200, "{v}");
}

/// An approved promoter with `fen` in their balance: (token, user id).
async fn funded(app: &TestApp, code: &str, fen: i64) -> (String, i64) {
    let (t, id, _) = promoter(app, code).await;
    let mut conn = app.server.state.db.pool.acquire().await.unwrap();
    account::credit(&mut conn, id, fen, mall_server::db::now())
        .await
        .unwrap();
    (t, id)
}

async fn withdraw(app: &TestApp, t: &str, amount: i64) -> (u16, Value) {
    app.post(
        "/api/distribution/withdrawals",
        Some(t),
        json!({"amount": amount}),
    )
    .await
}

async fn earnings(app: &TestApp, t: &str) -> Value {
    let (s, v) = app.get("/api/distribution/center", Some(t)).await;
    assert_eq!(s, 200, "{v}");
    v["earnings"].clone()
}

async fn state_of(app: &TestApp, no: &str) -> (String, Option<String>) {
    sqlx::query_as("SELECT state, fail_reason FROM withdrawals WHERE out_bill_no = $1")
        .bind(no)
        .fetch_one(&app.server.state.db.pool)
        .await
        .unwrap()
}

fn bill_no(v: &Value) -> String {
    v["withdrawal"]["outBillNo"].as_str().unwrap().to_string()
}

/// Created, the bill waits for the promoter; confirmed at WeChat Pay, the
/// notification ends it paid; a second notification changes nothing, and
/// forged or mismatched notifications are refused.
#[tokio::test]
async fn a_withdrawal_is_paid_when_the_promoter_confirms_it() {
    let app = spawn_app().await;
    payouts(&app, json!({})).await;
    let (t, _) = funded(&app, "payee", 10_000).await;
    let (s, v) = withdraw(&app, &t, 3000).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["withdrawal"]["state"], "WAIT_USER_CONFIRM", "{v}");
    let package = v["transfer"]["package"].as_str().unwrap();
    assert_eq!(v["withdrawal"]["packageInfo"], package);
    assert_eq!(v["transfer"]["appId"], app.server.state.pay.appid);
    let no = bill_no(&v);
    let bill = fake(&app).bill(&no).unwrap();
    assert_eq!(bill.bill.transfer_amount, Some(3000));
    assert_eq!(bill.bill.package_info.as_deref(), Some(package));
    assert!(bill.notify_url.ends_with("/api/pay/transfer-notify"));
    let e = earnings(&app, &t).await;
    assert_eq!(
        (e["available"].as_i64(), e["withdrawing"].as_i64()),
        (Some(7000), Some(3000))
    );
    // Refused: a forged signature, another amount, another merchant.
    fake(&app).set_bill_state(&no, "SUCCESS", None);
    for (tamper, want) in [
        (Tamper::ForgedSignature, 401),
        (Tamper::Amount(1), 400),
        (Tamper::Mchid("1900000000".into()), 400),
    ] {
        let (s, b) = fake(&app)
            .notify_transfer(&no, KeyMode::PublicKey, tamper)
            .await;
        assert_eq!(s, want, "{b}");
    }
    assert_eq!(state_of(&app, &no).await.0, "WAIT_USER_CONFIRM");
    for key in [KeyMode::PublicKey, KeyMode::PlatformCertificate] {
        let (s, b) = fake(&app).notify_transfer(&no, key, Tamper::None).await;
        assert_eq!(s, 204, "{b}");
    }
    assert_eq!(state_of(&app, &no).await.0, "SUCCESS");
    let e = earnings(&app, &t).await;
    assert_eq!(
        (
            e["available"].as_i64(),
            e["withdrawing"].as_i64(),
            e["withdrawn"].as_i64()
        ),
        (Some(7000), Some(0), Some(3000))
    );
    let (_, page) = app.get("/api/distribution/withdrawals", Some(&t)).await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["state"], "SUCCESS");
    assert_eq!(page["items"][0]["packageInfo"], Value::Null);
}

/// A transfer failing at WeChat Pay returns the amount exactly once: the
/// notification delivered twice, the job's query after it, and a bill
/// WeChat Pay refuses to create.
#[tokio::test]
async fn a_failed_transfer_returns_the_amount_once() {
    let app = spawn_app().await;
    payouts(&app, json!({})).await;
    let (t, _) = funded(&app, "unlucky", 10_000).await;
    let (_, v) = withdraw(&app, &t, 4000).await;
    let no = bill_no(&v);
    assert_eq!(earnings(&app, &t).await["available"], 6000);
    let (s, b) = fake(&app).fail_transfer(&no, "ACCOUNT_FROZEN").await;
    assert_eq!(s, 204, "{b}");
    let (s, b) = fake(&app)
        .notify_transfer(&no, KeyMode::PlatformCertificate, Tamper::None)
        .await;
    assert_eq!(s, 204, "{b}");
    let state = &app.server.state;
    let later = mall_server::db::now() + 3600;
    withdrawals::sync(state, later).await.unwrap();
    assert_eq!(
        state_of(&app, &no).await,
        ("FAIL".into(), Some("ACCOUNT_FROZEN".into()))
    );
    let e = earnings(&app, &t).await;
    assert_eq!(
        (
            e["available"].as_i64(),
            e["withdrawing"].as_i64(),
            e["withdrawn"].as_i64()
        ),
        (Some(10_000), Some(0), Some(0))
    );
    // WeChat Pay refuses the bill (the merchant's funds short): FAIL at once.
    *fake(&app).transfer_error.lock().unwrap() = Some("NOT_ENOUGH".into());
    let (s, v) = withdraw(&app, &t, 2500).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["withdrawal"]["state"], "FAIL", "{v}");
    assert_eq!(v["withdrawal"]["failReason"], "NOT_ENOUGH");
    assert_eq!(v["transfer"], Value::Null);
    assert_eq!(earnings(&app, &t).await["available"], 10_000);
    let returned = count(
        &app,
        "SELECT COUNT(*) FROM withdrawals WHERE returned_at IS NOT NULL",
    )
    .await;
    assert_eq!(returned, 2);
}

/// Cancelled at WeChat Pay, or never confirmed: the amount comes back once;
/// before the confirmation window ends the job leaves the bill waiting.
#[tokio::test]
async fn cancelled_and_unconfirmed_bills_return_the_amount() {
    let app = spawn_app().await;
    payouts(&app, json!({})).await;
    let (t, _) = funded(&app, "hesitant", 10_000).await;
    let (_, v) = withdraw(&app, &t, 1000).await;
    let cancelled = bill_no(&v);
    fake(&app).set_bill_state(&cancelled, "CANCELLED", Some("用户撤销"));
    for _ in 0..2 {
        let (s, b) = fake(&app)
            .notify_transfer(&cancelled, KeyMode::PublicKey, Tamper::None)
            .await;
        assert_eq!(s, 204, "{b}");
    }
    assert_eq!(state_of(&app, &cancelled).await.0, "CANCELLED");
    assert_eq!(earnings(&app, &t).await["available"], 10_000);

    let (_, v) = withdraw(&app, &t, 2000).await;
    let unconfirmed = bill_no(&v);
    let state = &app.server.state;
    let now = mall_server::db::now();
    withdrawals::sync(state, now + 3600).await.unwrap();
    assert_eq!(state_of(&app, &unconfirmed).await.0, "WAIT_USER_CONFIRM");
    assert_eq!(earnings(&app, &t).await["available"], 8000);
    let expired = now + withdrawals::CONFIRM_WINDOW_SECS + 120;
    withdrawals::sync(state, expired).await.unwrap();
    assert_eq!(state_of(&app, &unconfirmed).await.0, "CANCELLED");
    assert_eq!(
        fake(&app).bill(&unconfirmed).unwrap().bill.state,
        "CANCELLED"
    );
    // Again, and the late notification: nothing more comes back.
    withdrawals::sync(state, expired + 3600).await.unwrap();
    let (s, _) = fake(&app)
        .notify_transfer(&unconfirmed, KeyMode::PublicKey, Tamper::None)
        .await;
    assert_eq!(s, 204);
    let e = earnings(&app, &t).await;
    assert_eq!(
        (
            e["available"].as_i64(),
            e["withdrawing"].as_i64(),
            e["withdrawn"].as_i64()
        ),
        (Some(10_000), Some(0), Some(0))
    );
}

/// WeChat Pay unreachable (an unsigned error is no answer): the withdrawal
/// stays CREATING with its amount held; the job sends the bill again under
/// the same out_bill_no, which WeChat Pay treats as the same bill. A lost
/// notification is made up by the job's query.
#[tokio::test]
async fn an_unanswered_bill_is_sent_again_and_a_lost_notification_is_queried() {
    let app = spawn_app().await;
    payouts(&app, json!({})).await;
    let (t, _) = funded(&app, "patient", 10_000).await;
    let pay = fake(&app);
    *pay.transfer_error.lock().unwrap() = Some("SYSTEM_ERROR".into());
    pay.unsigned_errors
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let (s, v) = withdraw(&app, &t, 1500).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["withdrawal"]["state"], "CREATING", "{v}");
    assert_eq!(v["transfer"], Value::Null);
    let no = bill_no(&v);
    assert!(pay.bill(&no).is_none());
    assert_eq!(earnings(&app, &t).await["withdrawing"], 1500);
    *pay.transfer_error.lock().unwrap() = None;
    pay.unsigned_errors
        .store(false, std::sync::atomic::Ordering::Relaxed);
    let state = &app.server.state;
    let later = mall_server::db::now() + 120;
    withdrawals::sync(state, later).await.unwrap();
    let (_, page) = app.get("/api/distribution/withdrawals", Some(&t)).await;
    assert_eq!(page["items"][0]["state"], "WAIT_USER_CONFIRM", "{page}");
    let package = page["items"][0]["packageInfo"]
        .as_str()
        .unwrap()
        .to_string();
    let first = pay.bill(&no).unwrap().bill;
    assert_eq!(first.package_info.as_deref(), Some(package.as_str()));
    // The same out_bill_no again: the same bill.
    let openid = first.openid.clone().unwrap();
    let again = state
        .pay
        .create_transfer(&no, &openid, 1500, "推广佣金提现")
        .await
        .unwrap();
    assert_eq!(again.transfer_bill_no, first.transfer_bill_no);
    assert_eq!(pay.bills.lock().unwrap().len(), 1);
    // Confirmed, but the notification never arrives: the query settles it.
    pay.set_bill_state(&no, "SUCCESS", None);
    withdrawals::sync(state, later + 120).await.unwrap();
    assert_eq!(state_of(&app, &no).await.0, "SUCCESS");
    let e = earnings(&app, &t).await;
    assert_eq!(
        (
            e["available"].as_i64(),
            e["withdrawing"].as_i64(),
            e["withdrawn"].as_i64()
        ),
        (Some(8500), Some(0), Some(1500))
    );
}

/// 200 withdrawals of ¥3.00 at once against ¥100.00: exactly 33 pass, the
/// balance ends at ¥1.00, never below zero; the daily cap holds likewise.
#[tokio::test]
async fn two_hundred_concurrent_withdrawals_never_overdraw() {
    let app = std::sync::Arc::new(spawn_app().await);
    payouts(&app, json!({})).await;
    let (t, id) = funded(&app, "rush", 10_000).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let (app, t) = (app.clone(), t.clone());
        tasks.spawn(async move { withdraw(&app, &t, 300).await });
    }
    let mut answers = Vec::new();
    while let Some(r) = tasks.join_next().await {
        answers.push(r.unwrap());
    }
    let ok = answers.iter().filter(|(s, _)| *s == 201).count();
    let short = answers
        .iter()
        .filter(|(s, v)| *s == 409 && v["code"] == "WITHDRAW_INSUFFICIENT")
        .count();
    assert_eq!(
        (ok, short),
        (33, 167),
        "{:?}",
        answers.iter().find(|(s, _)| *s != 201 && *s != 409)
    );
    let rows = count(
        &app,
        &format!("SELECT COUNT(*) FROM withdrawals WHERE promoter_id = {id}"),
    )
    .await;
    let sum = count(
        &app,
        &format!("SELECT CAST(SUM(amount) AS BIGINT) FROM withdrawals WHERE promoter_id = {id}"),
    )
    .await;
    assert_eq!((rows, sum), (33, 9900));
    assert_eq!(fake(&app).bills.lock().unwrap().len(), 33);
    assert_eq!(earnings(&app, &t).await["available"], 100);

    // The daily cap: ¥10.00 a day, 6.00 then 6.00.
    payouts(&app, json!({"withdrawDailyCap": 1000})).await;
    let (t2, _) = funded(&app, "capped", 5000).await;
    let (s, v) = withdraw(&app, &t2, 600).await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = withdraw(&app, &t2, 600).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("WITHDRAW_DAILY_CAP")),
        "{v}"
    );
    assert_eq!(v["details"]["left"], 400);
    let (s, v) = withdraw(&app, &t2, 99).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("WITHDRAW_BELOW_MIN")),
        "{v}"
    );
    let (s, v) = withdraw(&app, &t2, 5).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
}

/// Above the threshold a withdrawal waits for the merchant: approved, its
/// bill is created; rejected, the amount returns; each decided once.
#[tokio::test]
async fn withdrawals_above_the_threshold_wait_for_review() {
    let app = spawn_app().await;
    payouts(&app, json!({"reviewAbove": 1000})).await;
    let (outsider, _) = shopper(&app, "outsider").await;
    let (s, v) = withdraw(&app, &outsider, 500).await;
    assert_eq!((s, v["code"].as_str()), (403, Some("NOT_PROMOTER")), "{v}");
    let (t, _) = funded(&app, "big", 10_000).await;
    let (s, v) = withdraw(&app, &t, 1000).await;
    assert_eq!(
        (s, v["withdrawal"]["state"].as_str()),
        (201, Some("WAIT_USER_CONFIRM")),
        "{v}"
    );
    let (s, v) = withdraw(&app, &t, 2000).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["withdrawal"]["state"], "REVIEWING");
    assert_eq!(v["transfer"], Value::Null);
    let first = v["withdrawal"]["id"].as_i64().unwrap();
    assert!(fake(&app).bill(&bill_no(&v)).is_none());
    let (_, v) = withdraw(&app, &t, 3000).await;
    let second = v["withdrawal"]["id"].as_i64().unwrap();
    assert_eq!(earnings(&app, &t).await["available"], 4000);
    let (_, page) = app
        .merchant(
            Method::GET,
            "/api/merchant/withdrawals?state=REVIEWING",
            None,
        )
        .await;
    assert_eq!(page["total"], 2, "{page}");
    let path = |id: i64, what: &str| format!("/api/merchant/withdrawals/{id}/{what}");
    let (s, v) = app
        .merchant(Method::POST, &path(first, "approve"), None)
        .await;
    assert_eq!(
        (s, v["state"].as_str()),
        (200, Some("WAIT_USER_CONFIRM")),
        "{v}"
    );
    assert!(v["packageInfo"].is_string());
    let (s, v) = app
        .merchant(Method::POST, &path(first, "approve"), None)
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("WITHDRAWAL_STATE")));
    let (s, v) = app
        .merchant(
            Method::POST,
            &path(first, "reject"),
            Some(json!({"reason": "太晚了"})),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("WITHDRAWAL_STATE")));
    let (s, v) = app
        .merchant(
            Method::POST,
            &path(second, "reject"),
            Some(json!({"reason": "信息有误"})),
        )
        .await;
    assert_eq!((s, v["state"].as_str()), (200, Some("REJECTED")), "{v}");
    let (s, _) = app
        .merchant(
            Method::POST,
            &path(second, "reject"),
            Some(json!({"reason": "again"})),
        )
        .await;
    assert_eq!(s, 409);
    assert_eq!(earnings(&app, &t).await["available"], 7000);
    let (s, v) = app
        .merchant(
            Method::POST,
            &path(second, "reject"),
            Some(json!({"reason": ""})),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")));
    let (s, v) = app
        .merchant(Method::POST, &path(99_999, "approve"), None)
        .await;
    assert_eq!(s, 404, "{v}");
}

/// A bound buyer's pickup order of 750g nuts, paid; its id.
async fn sale(app: &TestApp, code: &str, share: &str) -> i64 {
    let (tb, _) = shopper(app, code).await;
    assert_eq!(bind(app, &tb, share).await["bound"], true);
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "delivery": pickup()});
    let (id, no, _) = place(app, &tb, body, code).await;
    pay_now(app, &tb, id, &no).await;
    id
}

async fn paid_at(app: &TestApp, order: i64, t: i64) {
    sqlx::query("UPDATE orders SET paid_at = $1 WHERE id = $2")
        .bind(t)
        .bind(order)
        .execute(&app.server.state.db.pool)
        .await
        .unwrap();
}

async fn sales_of(app: &TestApp, order: i64) -> i64 {
    let (payable, shipping): (i64, i64) =
        sqlx::query_as("SELECT payable, shipping_fee FROM orders WHERE id = $1")
            .bind(order)
            .fetch_one(&app.server.state.db.pool)
            .await
            .unwrap();
    payable - shipping
}

fn beijing(date: &str) -> i64 {
    mall_server::clock::beijing_date_start(date).unwrap()
}

/// Sales paid in the last second of November, Beijing time (15:59:59 UTC),
/// rank in November; a second later, in December.
#[tokio::test]
async fn the_leaderboard_counts_sales_in_the_beijing_month() {
    let app = spawn_app().await;
    payouts(&app, json!({})).await;
    let (tp, p, share) = promoter(&app, "ranked").await;
    let nov = sale(&app, "nov-buyer", &share).await;
    let dec = sale(&app, "dec-buyer", &share).await;
    let midnight = beijing("2026-12-01");
    // 2026-12-01T00:00:00Z less 8 hours: 2026-11-30T16:00:00Z.
    assert_eq!(midnight, 1_796_083_200 - 8 * 3600);
    paid_at(&app, nov, midnight - 1).await;
    paid_at(&app, dec, midnight).await;
    let (nov_sales, dec_sales) = (sales_of(&app, nov).await, sales_of(&app, dec).await);
    for (month, want) in [("2026-11", nov_sales), ("2026-12", dec_sales)] {
        let (s, v) = app
            .merchant(
                Method::GET,
                &format!("/api/merchant/distribution/leaderboard?month={month}"),
                None,
            )
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["ranking"][0]["promoterId"], p, "{v}");
        assert_eq!(v["ranking"][0]["sales"], want, "{month}: {v}");
        assert_eq!(v["ranking"].as_array().unwrap().len(), 1);
    }
    let (s, v) = app
        .get("/api/distribution/leaderboard?month=2026-12", Some(&tp))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["items"][0]["me"], true);
    assert_eq!(v["items"][0]["sales"], dec_sales);
    let masked = v["items"][0]["nickname"].as_str().unwrap();
    assert!(masked == "*" || masked.ends_with("**"), "{v}");
    assert!(v["items"][0].get("promoterId").is_none(), "{v}");
    let (s, v) = app
        .get("/api/distribution/leaderboard?month=2026-13", Some(&tp))
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")));
}

/// The top 2 of October get ¥5.00 each when November begins; the job run
/// twice, and twice at once as two instances would, rewards them once.
#[tokio::test]
async fn the_month_end_job_run_twice_rewards_once() {
    let app = spawn_app().await;
    payouts(&app, json!({"leaderboardTop": 2, "leaderboardCash": 500})).await;
    let oct = beijing("2026-10-15");
    let mut promoters = Vec::new();
    for (i, orders) in [1usize, 3, 2].into_iter().enumerate() {
        let (t, p, share) = promoter(&app, &format!("top{i}")).await;
        for k in 0..orders {
            let id = sale(&app, &format!("top{i}-buyer{k}"), &share).await;
            paid_at(&app, id, oct).await;
        }
        promoters.push((t, p));
    }
    let state = &app.server.state;
    let nov = beijing("2026-11-01");
    // Still October: nothing yet.
    assert_eq!(leaderboard::month_end(&state.db, nov - 1).await.unwrap(), 0);
    mall_server::jobs::run_once(state, nov).await.unwrap();
    let (a, b) = tokio::join!(
        leaderboard::month_end(&state.db, nov + 60),
        leaderboard::grant(&state.db, "2026-10", nov + 60)
    );
    assert_eq!((a.unwrap(), b.unwrap()), (0, 0));
    mall_server::jobs::run_once(state, nov + 3600)
        .await
        .unwrap();
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM leaderboard_rewards").await,
        2
    );
    let (_, v) = app
        .merchant(
            Method::GET,
            "/api/merchant/distribution/leaderboard?month=2026-10",
            None,
        )
        .await;
    let winners: Vec<i64> = v["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["promoterId"].as_i64().unwrap())
        .collect();
    assert_eq!(winners, vec![promoters[1].1, promoters[2].1], "{v}");
    assert_eq!(v["rewards"][0]["cash"], 500);
    for (i, (t, _)) in promoters.iter().enumerate() {
        let want = if i == 0 { 0 } else { 500 };
        assert_eq!(earnings(&app, t).await["available"], want, "promoter {i}");
    }
}

/// The end-to-end flow: a promoter shares a product, a new shopper
/// opens the link (bound) and buys, the order is received, the job makes
/// the commission available after the window, the promoter withdraws it to
/// the fake WeChat Pay and confirms. The ledger reconciles to the fen:
/// Σ commission entries = withdrawn + balance.
#[tokio::test]
async fn end_to_end_share_buy_receive_and_withdraw_reconciles_to_the_fen() {
    let app = spawn_app().await;
    payouts(&app, json!({"withdrawMin": 100})).await;
    let (tp, p, share) = promoter(&app, "sharer").await;
    let (tb, _) = shopper(&app, "newcomer").await;
    assert_eq!(bind(&app, &tb, &share).await["outcome"], "BOUND");
    let addr = app.add_address(&tb).await;
    let (id, no, _) = place(
        &app,
        &tb,
        json!({"items": [{"skuId": TEE_WHITE_M, "quantity": 2}, {"skuId": NUTS_750G, "quantity": 1}],
               "addressId": addr}),
        "e2e",
    )
    .await;
    pay_now(&app, &tb, id, &no).await;
    let (s, v) = app
        .merchant(
            Method::POST,
            &format!("/api/merchant/orders/{id}/ship"),
            Some(json!({"carrier": "顺丰", "trackingNo": "SF-E2E-1"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(
            &format!("/api/orders/{id}/confirm-receipt"),
            Some(&tb),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let o = order(&app, id).await;
    let base: i64 = o["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["paid"].as_i64().unwrap())
        .sum();
    let commission = (base + 5) / 10;
    let e = earnings(&app, &tp).await;
    assert_eq!(
        (e["frozen"].as_i64(), e["available"].as_i64()),
        (Some(commission), Some(0)),
        "{e}"
    );
    let due = o["completedAt"].as_i64().unwrap() + 14 * 86_400;
    mall_server::jobs::run_once(&app.server.state, due)
        .await
        .unwrap();
    let e = earnings(&app, &tp).await;
    assert_eq!(e["available"], commission, "{e}");
    // Withdraw all but ¥1.00 (or all of it when smaller).
    let amount = if commission > 200 {
        commission - 100
    } else {
        commission
    };
    let (s, v) = withdraw(&app, &tp, amount).await;
    assert_eq!(s, 201, "{v}");
    let no = bill_no(&v);
    // What wx.requestMerchantTransfer leads to: the promoter confirms.
    let (s, b) = fake(&app).confirm_transfer(&no).await;
    assert_eq!(s, 204, "{b}");
    assert_eq!(state_of(&app, &no).await.0, "SUCCESS");
    let e = earnings(&app, &tp).await;
    let entries = count(
        &app,
        &format!("SELECT COALESCE(CAST(SUM(amount) AS BIGINT), 0) FROM commissions WHERE promoter_id = '{p}'"),
    )
    .await;
    let paid_out = count(
        &app,
        &format!("SELECT COALESCE(CAST(SUM(amount) AS BIGINT), 0) FROM withdrawals WHERE promoter_id = {p} AND state = 'SUCCESS'"),
    )
    .await;
    let fake_paid: i64 = fake(&app)
        .bills
        .lock()
        .unwrap()
        .values()
        .filter(|b| b.bill.state == "SUCCESS")
        .map(|b| b.bill.transfer_amount.unwrap())
        .sum();
    println!(
        "ledger of promoter {p}: lines paid {base} fen → commission entries Σ {entries} fen; \
         withdrawn {} fen (WeChat Pay paid {fake_paid}), balance {} fen, withdrawing {}, pending {}, frozen {}",
        e["withdrawn"], e["available"], e["withdrawing"], e["pending"], e["frozen"]
    );
    assert_eq!(entries, commission);
    assert_eq!((paid_out, fake_paid), (amount, amount));
    assert_eq!(e["withdrawn"], amount);
    assert_eq!(e["withdrawing"], 0);
    assert_eq!(
        entries,
        e["withdrawn"].as_i64().unwrap() + e["available"].as_i64().unwrap(),
        "{e}"
    );
}

/// A coupon reward: each of the month's top promoters gets one coupon of
/// the template, once.
#[tokio::test]
async fn a_coupon_reward_is_given_once_to_the_months_top_promoter() {
    let app = spawn_app().await;
    let template = count(
        &app,
        "SELECT id FROM coupon_templates WHERE title = '无门槛5元券'",
    )
    .await;
    payouts(
        &app,
        json!({"leaderboardTop": 1, "leaderboardCouponTemplateId": template}),
    )
    .await;
    let (_, p, share) = promoter(&app, "coupon-winner").await;
    let id = sale(&app, "coupon-buyer", &share).await;
    paid_at(&app, id, beijing("2026-08-31")).await;
    let state = &app.server.state;
    let sept = beijing("2026-09-01");
    let sql = format!(
        "SELECT COUNT(*) FROM user_coupons WHERE user_id = {p} AND template_id = {template}"
    );
    let before = count(&app, &sql).await;
    for _ in 0..2 {
        leaderboard::grant(&state.db, "2026-08", sept)
            .await
            .unwrap();
    }
    assert_eq!(count(&app, &sql).await, before + 1);
    let (_, v) = app
        .merchant(
            Method::GET,
            "/api/merchant/distribution/leaderboard?month=2026-08",
            None,
        )
        .await;
    assert_eq!(v["rewards"].as_array().unwrap().len(), 1, "{v}");
    assert!(v["rewards"][0]["couponId"].is_i64(), "{v}");
    assert_eq!(v["rewards"][0]["cash"], 0);
}

/// The payout and leaderboard settings are bounded like the others.
#[tokio::test]
async fn payout_settings_are_bounded() {
    let app = spawn_app().await;
    let base = json!({"enabled": true, "mode": "everyone", "levels": 1, "rates": ["0.1"],
                      "selfPurchase": false, "bindingDays": null, "frozenDays": 7});
    for (field, value) in [
        ("withdrawMin", json!(9)),
        ("withdrawMin", json!(200_001)),
        ("withdrawDailyCap", json!(9)),
        ("withdrawDailyCap", json!(1_000_001)),
        ("reviewAbove", json!(-1)),
        ("leaderboardTop", json!(101)),
        ("leaderboardCash", json!(1_000_001)),
        ("leaderboardCouponTemplateId", json!(0)),
    ] {
        let mut b = base.clone();
        b[field] = value;
        let (s, v) = settings(&app, b).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (400, Some("INVALID_INPUT")),
            "{field}: {v}"
        );
        assert_eq!(v["details"]["field"], field, "{v}");
    }
    // Within bounds each, but the cap below the minimum: a rule, 422.
    let mut b = base.clone();
    b["withdrawMin"] = json!(500);
    b["withdrawDailyCap"] = json!(400);
    let (s, v) = settings(&app, b).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("WITHDRAW_LIMITS_INVALID")),
        "{v}"
    );
    let mut b = base.clone();
    b["withdrawMin"] = Value::Null;
    let (s, v) = settings(&app, b).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    let (s, v) = settings(&app, base).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (
            v["withdrawMin"].as_i64(),
            v["withdrawDailyCap"].as_i64(),
            v["reviewAbove"].as_i64(),
            v["leaderboardTop"].as_i64()
        ),
        (Some(100), Some(100_000), Some(50_000), Some(10))
    );
}
