//! 拼团 group buys end to end: a group opens when its leader pays, a joiner's
//! seat is held at order creation and filled by payment, the orders ship only
//! once the group formed, the sharer who brought a new user is rewarded once,
//! a group that fails at expiry refunds every paid member exactly once (to the
//! fen at the fake WeChat Pay), and hundreds of concurrent joiners never
//! overfill a group.

use std::sync::Arc;

use reqwest::Method;
use serde_json::{json, Value};

use crate::admin::owner;
use crate::helpers::*;

const GROUP_PRICE: i64 = 990;
const LEADER_PRICE: i64 = 890;

/// A group-buy activity on NUTS_750G; returns its id.
async fn activity(app: &TestApp, size: i64, extra: Value) -> String {
    let c = owner(app).await;
    let mut body = json!({"kind": "groupBuy", "title": "坚果拼团", "startsAt": 1_700_000_000i64,
        "endsAt": 4_000_000_000i64, "groupSize": size, "groupWindowHours": 2,
        "skus": [{"skuId": NUTS_750G, "price": GROUP_PRICE, "leaderPrice": LEADER_PRICE}]});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let (s, a) = c.post("/admin/api/marketing/activities", body).await;
    assert_eq!(s, 201, "{a}");
    a["id"].as_str().unwrap().to_string()
}

fn buy(activity: &str, group: Value) -> Value {
    json!({"items": [{"skuId": NUTS_750G, "quantity": 1, "activityId": activity}],
           "delivery": pickup(), "group": group})
}

/// A shopper opens a group and pays: (token, order id, group id).
async fn open_group(app: &TestApp, code: &str, activity: &str) -> (String, i64, i64) {
    let t = app.login(code).await;
    let (id, no, payable) = place(app, &t, buy(activity, json!({})), &format!("open-{code}")).await;
    assert_eq!(payable, LEADER_PRICE, "the leader pays the leader price");
    pay_now(app, &t, id, &no).await;
    let group = group_of(app, id).await;
    (t, id, group)
}

async fn group_of(app: &TestApp, order_id: i64) -> i64 {
    count(
        app,
        &format!("SELECT group_id FROM group_members WHERE order_id = {order_id}"),
    )
    .await
}

async fn join(app: &TestApp, t: &str, activity: &str, group: i64, key: &str) -> (u16, Value) {
    app.checkout(t, buy(activity, json!({"groupId": group})), key)
        .await
}

async fn status(app: &TestApp, order_id: i64) -> String {
    order(app, order_id).await["status"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn ship(app: &TestApp, order_id: i64) -> (u16, Value) {
    app.merchant(
        Method::POST,
        &format!("/api/merchant/orders/{order_id}/ship"),
        Some(json!({"carrier": "顺丰", "trackingNo": format!("SF{order_id}")})),
    )
    .await
}

#[tokio::test]
async fn a_two_person_group_forms_when_the_joiner_pays_ships_only_then_and_rewards_the_sharer_once()
{
    let app = spawn_app().await;
    let c = owner(&app).await;
    let (s, reward) = c
        .post(
            "/admin/api/marketing/coupons",
            json!({"title": "分享奖励10元", "kind": {"kind": "noThreshold", "amount": 1000},
                   "validDays": 7, "total": 100, "perUserLimit": 1}),
        )
        .await;
    assert_eq!(s, 201, "{reward}");
    let act = activity(&app, 2, json!({"shareRewardTemplateId": reward["id"]})).await;
    let (a, a_order, group) = open_group(&app, "leader-a", &act).await;
    // Paid, but the group has not formed: waiting, and not shippable.
    assert_eq!(status(&app, a_order).await, "grouping");
    let (s, v) = ship(&app, a_order).await;
    assert_eq!(s, 409, "{v}");
    // docs/metrics.md: a paid order waiting for its group is GMV, not yet to ship.
    let (_, overview) = c.get("/admin/api/overview").await;
    assert_eq!(overview["kpis"]["gmv"]["today"], LEADER_PRICE, "{overview}");
    assert_eq!(overview["kpis"]["paidOrders"]["today"], 1);
    assert_eq!(overview["counters"]["toShip"], 0);
    // A shares the group; B opens the link.
    let (s, share) = app
        .post(
            "/api/share",
            Some(&a),
            json!({"kind": "group", "targetId": group}),
        )
        .await;
    assert_eq!(s, 201, "{share}");
    let token = share["token"].as_str().unwrap().to_string();
    assert!(token.len() <= 32);
    let (s, again) = app
        .post(
            "/api/share",
            Some(&a),
            json!({"kind": "group", "targetId": group}),
        )
        .await;
    assert_eq!(
        (s, &again["token"]),
        (201, &share["token"]),
        "one token per sharer and thing"
    );
    let (s, opened) = app.get(&format!("/api/share/{token}"), None).await;
    assert_eq!(s, 200, "{opened}");
    assert_eq!(opened["kind"], "group");
    assert_eq!(
        opened["path"],
        format!("pkg-activity/group/index?id={group}&share={token}&ch=share")
    );
    let b = app.login("joiner-b").await;
    let (s, view) = app.get(&format!("/api/groups/{group}"), Some(&b)).await;
    assert_eq!(s, 200, "{view}");
    assert_eq!(view["canJoin"], true, "{view}");
    assert_eq!(view["progress"]["needed"], 1);
    assert_eq!(view["members"].as_array().unwrap().len(), 1);
    let (s, cards) = app
        .get(
            &format!("/api/products/{}/groups", product_of(&app).await),
            None,
        )
        .await;
    assert_eq!(s, 200, "{cards}");
    assert_eq!(cards[0]["groupId"], group, "{cards}");
    // B joins through A's token at the group price and pays: the group forms.
    let (s, o) = app
        .checkout(
            &b,
            buy(&act, json!({"groupId": group, "shareToken": token})),
            "join-b",
        )
        .await;
    assert_eq!(s, 201, "{o}");
    assert_eq!(o["payable"], GROUP_PRICE);
    let b_order = o["id"].as_i64().unwrap();
    pay_now(&app, &b, b_order, o["orderNo"].as_str().unwrap()).await;
    assert_eq!(status(&app, a_order).await, "paid");
    assert_eq!(status(&app, b_order).await, "paid");
    let (_, overview) = c.get("/admin/api/overview").await;
    assert_eq!(overview["counters"]["toShip"], 2, "{overview}");
    for id in [a_order, b_order] {
        let (s, v) = ship(&app, id).await;
        assert_eq!(s, 200, "{v}");
    }
    let (_, view) = app.get(&format!("/api/groups/{group}"), Some(&b)).await;
    assert_eq!(view["progress"]["status"], "success", "{view}");
    assert_eq!(view["myOrderId"], b_order);
    assert_eq!(view["joinRefusal"], "GROUP_ALREADY_JOINED");
    // Each member is told; the sharer's reward arrived once.
    let told = count(
        &app,
        "SELECT COUNT(*) FROM outbox WHERE event = 'group' AND dedupe_key LIKE 'group:%:true'",
    )
    .await;
    assert_eq!(told, 2);
    let rewards = count(
        &app,
        &format!(
            "SELECT COUNT(*) FROM user_coupons WHERE template_id = {}",
            reward["id"]
        ),
    )
    .await;
    assert_eq!(rewards, 1);
    let (_, wallet) = app.get("/api/member/coupons", Some(&a)).await;
    assert!(
        wallet
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["templateId"] == reward["id"]),
        "{wallet}"
    );
    let (_, mine) = app.get("/api/member/groups", Some(&a)).await;
    assert_eq!(mine["items"][0]["groupId"], group, "{mine}");
    let (_, listed) = c.get("/admin/api/groups?status=success").await;
    assert_eq!(listed["items"][0]["paid"], 2, "{listed}");
}

async fn product_of(app: &TestApp) -> i64 {
    count(
        app,
        &format!("SELECT product_id FROM skus WHERE id = {NUTS_750G}"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_joiners_of_a_three_person_group_leave_exactly_two_joined() {
    const N: usize = 200;
    let app = Arc::new(spawn_with(|c| c.db_max_connections = 16).await);
    let act = activity(&app, 3, json!({})).await;
    let (_, _, group) = open_group(&app, "leader", &act).await;
    let body = buy(&act, json!({"groupId": group}));
    let mut joiners = Vec::with_capacity(N);
    for i in 0..N {
        let t = app.login(&format!("joiner-{i}")).await;
        let (s, q) = app
            .post("/api/checkout/quote", Some(&t), body.clone())
            .await;
        assert_eq!(s, 200, "{q}");
        joiners.push((t, q["fingerprint"].clone()));
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(N));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, (t, fp)) in joiners.into_iter().enumerate() {
        let (app, barrier) = (app.clone(), barrier.clone());
        let mut place = body.clone();
        place["fingerprint"] = fp;
        place["idempotencyKey"] = json!(format!("k-{i}"));
        tasks.spawn(async move {
            barrier.wait().await;
            let (s, v) = app.post("/api/orders", Some(&t), place).await;
            (s, v, t)
        });
    }
    let (mut joined, mut full) = (Vec::new(), 0);
    while let Some(r) = tasks.join_next().await {
        let (s, v, t) = r.unwrap();
        match (s, v["code"].as_str()) {
            (201, _) => joined.push((t, v)),
            (409, Some("GROUP_FULL")) => full += 1,
            other => panic!("unexpected answer {other:?}: {v}"),
        }
    }
    assert_eq!(joined.len(), 2);
    assert_eq!(full, N - 2);
    let held = count(
        &app,
        &format!("SELECT held FROM buy_groups WHERE id = {group}"),
    )
    .await;
    assert_eq!(held, 3);
    let members = count(
        &app,
        &format!(
            "SELECT COUNT(*) FROM group_members WHERE group_id = {group} AND status <> 'released'"
        ),
    )
    .await;
    assert_eq!(members, 3);
    // Both pay: the group forms with exactly its three members.
    for (t, o) in &joined {
        pay_now(
            &app,
            t,
            o["id"].as_i64().unwrap(),
            o["orderNo"].as_str().unwrap(),
        )
        .await;
    }
    let (status, paid): (String, i64) =
        sqlx::query_as("SELECT status, paid FROM buy_groups WHERE id = $1")
            .bind(group)
            .fetch_one(&app.server.state.db.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), paid), ("success", 3));
}

#[tokio::test]
async fn a_failed_group_refunds_every_paid_member_exactly_once_to_the_fen() {
    let app = spawn_app().await;
    let act = activity(&app, 3, json!({})).await;
    let stock_before = app.stock(NUTS_750G).await;
    let (_, a_order, group) = open_group(&app, "leader", &act).await;
    let b = app.login("joiner-b").await;
    let (s, o) = join(&app, &b, &act, group, "b").await;
    assert_eq!(s, 201, "{o}");
    let b_order = o["id"].as_i64().unwrap();
    pay_now(&app, &b, b_order, o["orderNo"].as_str().unwrap()).await;
    // C takes the last seat but never pays.
    let cc = app.login("joiner-c").await;
    let (s, o) = join(&app, &cc, &act, group, "c").await;
    assert_eq!(s, 201, "{o}");
    let c_order = o["id"].as_i64().unwrap();
    let state = &app.server.state;
    let expiry = count(
        &app,
        &format!("SELECT expires_at FROM buy_groups WHERE id = {group}"),
    )
    .await;
    // At expiry the group waits for C's seat (C may still pay).
    assert_eq!(
        mall_server::jobs::group_expiry(state, expiry)
            .await
            .unwrap(),
        0
    );
    assert_eq!(status(&app, a_order).await, "grouping");
    // C's order expires unpaid: the seat is given back.
    app.exec(&format!(
        "UPDATE orders SET expires_at = 0 WHERE id = {c_order}"
    ))
    .await;
    assert_eq!(mall_server::jobs::expiry::sweep(state).await.unwrap(), 1);
    let held = count(
        &app,
        &format!("SELECT held FROM buy_groups WHERE id = {group}"),
    )
    .await;
    assert_eq!(held, 2);
    // Now the group fails: A and B are refunded what they paid, once.
    assert_eq!(
        mall_server::jobs::group_expiry(state, expiry)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        mall_server::jobs::group_expiry(state, expiry + 60)
            .await
            .unwrap(),
        0
    );
    let mut refunded = 0;
    for id in [a_order, b_order] {
        let o = order(&app, id).await;
        assert_eq!(o["status"], "refunded", "{o}");
        let at_wechat: i64 = fake(&app)
            .refunds_of(o["orderNo"].as_str().unwrap())
            .iter()
            .map(|r| r.amount.refund)
            .sum();
        assert_eq!(
            at_wechat,
            o["payable"].as_i64().unwrap(),
            "refunded to the fen"
        );
        assert_eq!(o["refundedAmount"], o["payable"]);
        refunded += at_wechat;
    }
    assert_eq!(refunded, LEADER_PRICE + GROUP_PRICE);
    let rows = count(&app, "SELECT COUNT(*) FROM refunds").await;
    assert_eq!(rows, 2);
    assert_eq!(app.stock(NUTS_750G).await, stock_before, "stock given back");
    let (s, view) = app.get(&format!("/api/groups/{group}"), Some(&b)).await;
    assert_eq!(s, 200);
    assert_eq!(view["progress"]["status"], "failed", "{view}");
    let told = count(
        &app,
        "SELECT COUNT(*) FROM outbox WHERE event = 'group' AND dedupe_key LIKE 'group:%:false'",
    )
    .await;
    assert_eq!(told, 2);
}

#[tokio::test]
async fn a_payment_for_a_released_seat_is_refunded_and_never_takes_the_seat_back() {
    let app = spawn_app().await;
    let act = activity(&app, 2, json!({})).await;
    let (_, a_order, group) = open_group(&app, "leader", &act).await;
    let b = app.login("joiner-b").await;
    let (s, o) = join(&app, &b, &act, group, "b").await;
    assert_eq!(s, 201, "{o}");
    let (b_order, b_no) = (
        o["id"].as_i64().unwrap(),
        o["orderNo"].as_str().unwrap().to_string(),
    );
    // B pays at WeChat, but cancels before the notification arrives.
    prepay(&app, &b, b_order).await;
    fake(&app).pay(&b_no).unwrap();
    let (s, v) = app
        .post(
            &format!("/api/orders/{b_order}/cancel"),
            Some(&b),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, _) = fake(&app)
        .notify_payment(
            &b_no,
            mall_server::wechat::pay::fake::KeyMode::PublicKey,
            mall_server::wechat::pay::fake::Tamper::None,
        )
        .await;
    assert_eq!(s, 204);
    assert_eq!(status(&app, b_order).await, "cancelled");
    let refunds = count(
        &app,
        &format!("SELECT COUNT(*) FROM refunds WHERE order_id = {b_order}"),
    )
    .await;
    assert_eq!(refunds, 1);
    let (held, paid): (i64, i64) =
        sqlx::query_as("SELECT held, paid FROM buy_groups WHERE id = $1")
            .bind(group)
            .fetch_one(&app.server.state.db.pool)
            .await
            .unwrap();
    assert_eq!((held, paid), (1, 1), "the released seat stays free");
    assert_eq!(status(&app, a_order).await, "grouping");
    // The seat is free for someone else (B may come back too).
    let (s, o) = join(&app, &b, &act, group, "b-again").await;
    assert_eq!(s, 201, "{o}");
}

#[tokio::test]
async fn at_expiry_a_group_with_enough_paid_seats_forms_as_it_is_with_real_members_only() {
    let app = spawn_app().await;
    let act = activity(&app, 3, json!({"groupAutoPercent": 60})).await;
    let (_, a_order, group) = open_group(&app, "leader", &act).await;
    let b = app.login("joiner-b").await;
    let (_, o) = join(&app, &b, &act, group, "b").await;
    let b_order = o["id"].as_i64().unwrap();
    pay_now(&app, &b, b_order, o["orderNo"].as_str().unwrap()).await;
    let expiry = count(
        &app,
        &format!("SELECT expires_at FROM buy_groups WHERE id = {group}"),
    )
    .await;
    let state = &app.server.state;
    assert_eq!(
        mall_server::jobs::group_expiry(state, expiry - 1)
            .await
            .unwrap(),
        0
    );
    assert_eq!(status(&app, a_order).await, "grouping");
    assert_eq!(
        mall_server::jobs::group_expiry(state, expiry)
            .await
            .unwrap(),
        0
    );
    assert_eq!(status(&app, a_order).await, "paid");
    assert_eq!(status(&app, b_order).await, "paid");
    let (_, view) = app.get(&format!("/api/groups/{group}"), Some(&b)).await;
    assert_eq!(view["autoFormed"], true, "{view}");
    assert_eq!(
        view["members"].as_array().unwrap().len(),
        2,
        "no invented members"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM refunds").await, 0);
}

#[tokio::test]
async fn the_group_price_is_only_for_group_seats_and_each_refusal_says_why() {
    let app = spawn_app().await;
    let act = activity(&app, 2, json!({})).await;
    let t = app.login("alone").await;
    // The group price without opening or joining a group.
    let body = json!({"items": [{"skuId": NUTS_750G, "quantity": 1, "activityId": act}], "delivery": pickup()});
    let (s, q) = app.post("/api/checkout/quote", Some(&t), body).await;
    assert_eq!(s, 200, "{q}");
    assert_eq!(
        q["invalidLines"][0]["error"]["code"], "GROUP_ROLE_INVALID",
        "{q}"
    );
    // A group whose leader has not paid cannot be joined.
    let (s, o) = app.checkout(&t, buy(&act, json!({})), "open").await;
    assert_eq!(s, 201, "{o}");
    let pending = group_of(&app, o["id"].as_i64().unwrap()).await;
    let other = app.login("other").await;
    let (s, v) = app
        .post(
            "/api/checkout/quote",
            Some(&other),
            buy(&act, json!({"groupId": pending})),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("GROUP_NOT_OPEN")),
        "{v}"
    );
    let (s, _) = app
        .get(&format!("/api/groups/{pending}"), Some(&other))
        .await;
    assert_eq!(s, 404, "a group that never opened is not shown to others");
    // The leader cannot take a second seat in their own group.
    let (_, _, open) = open_group(&app, "leader", &act).await;
    let leader = app.login("leader").await;
    let (s, v) = app
        .post(
            "/api/checkout/quote",
            Some(&leader),
            buy(&act, json!({"groupId": open})),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("GROUP_ALREADY_JOINED")),
        "{v}"
    );
    // Not a group of this activity, a bad share token, and a group from the cart.
    let (s, v) = app
        .post(
            "/api/checkout/quote",
            Some(&other),
            buy(&act, json!({"groupId": 999999})),
        )
        .await;
    assert_eq!(s, 404, "{v}");
    let (s, v) = app
        .post(
            "/api/checkout/quote",
            Some(&other),
            buy(&act, json!({"groupId": open, "shareToken": "50%off"})),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    let (s, v) = app
        .post(
            "/api/checkout/quote",
            Some(&other),
            json!({"group": {}, "delivery": pickup()}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("GROUP_ITEM_INVALID")),
        "{v}"
    );
    // The expiry closes the group to joiners.
    app.exec(&format!(
        "UPDATE buy_groups SET expires_at = 1 WHERE id = {open}"
    ))
    .await;
    let (s, v) = app
        .post(
            "/api/checkout/quote",
            Some(&other),
            buy(&act, json!({"groupId": open})),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("GROUP_EXPIRED")), "{v}");
}

#[tokio::test]
async fn group_settings_belong_to_group_buys_and_are_bounded() {
    let app = spawn_app().await;
    let c = owner(&app).await;
    let (s, v) = c
        .post(
            "/admin/api/marketing/activities",
            json!({"kind": "flashSale", "title": "秒杀", "startsAt": 1_700_000_000i64, "endsAt": 4_000_000_000i64,
                   "groupAutoPercent": 50, "skus": [{"skuId": NUTS_750G, "price": 100}]}),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("RULES_INCONSISTENT")),
        "{v}"
    );
    let (s, v) = c
        .post(
            "/admin/api/marketing/activities",
            json!({"kind": "groupBuy", "title": "拼团", "startsAt": 1_700_000_000i64, "endsAt": 4_000_000_000i64,
                   "groupSize": 2, "groupWindowHours": 0, "skus": [{"skuId": NUTS_750G, "price": 100}]}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    let (s, v) = c.get("/admin/api/groups?status=nope").await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    let id = activity(&app, 2, json!({"groupAutoPercent": 50})).await;
    let (_, list) = c.get("/admin/api/marketing/activities").await;
    let a = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == json!(id))
        .unwrap()
        .clone();
    assert_eq!(a["groupWindowHours"], 2, "{a}");
    assert_eq!(a["groupAutoPercent"], 50);
    assert_eq!(a["skus"][0]["leaderPrice"], LEADER_PRICE);
}

#[tokio::test]
async fn a_share_token_gets_its_mini_program_code_made_once_and_kept() {
    let app = spawn_app().await;
    let t = app.login("sharer").await;
    let product = product_of(&app).await;
    let (s, share) = app
        .post(
            "/api/share",
            Some(&t),
            json!({"kind": "product", "targetId": product, "channel": "poster"}),
        )
        .await;
    assert_eq!(s, 201, "{share}");
    let token = share["token"].as_str().unwrap().to_string();
    assert_eq!(
        share["path"],
        format!("pages/product/index?id={product}&share={token}&ch=poster")
    );
    let fake_wechat = app.server.fake_wechat.as_ref().unwrap();
    let mut images = Vec::new();
    for _ in 0..2 {
        let res = app
            .http
            .get(format!("{}/api/share/{token}/code", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/png");
        images.push(res.bytes().await.unwrap());
    }
    assert!(images[0].starts_with(b"\x89PNG"), "a PNG");
    assert_eq!(images[0], images[1]);
    assert_eq!(fake_wechat.codes_made(), 1, "made once, then kept");
    // What the code opens: the product page with the token.
    let (s, opened) = app.get(&format!("/api/share/{token}"), None).await;
    assert_eq!(s, 200);
    assert_eq!(
        (opened["kind"].as_str(), opened["channel"].as_str()),
        (Some("product"), Some("poster"))
    );
    let (s, v) = app.get("/api/share/NoSuchToken123/code", None).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")), "{v}");
    let (s, v) = app
        .get(&format!("/api/share/{}/code", "a".repeat(33)), None)
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")), "{v}");
    let (s, v) = app
        .post(
            "/api/share",
            Some(&t),
            json!({"kind": "group", "targetId": 424242}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (404, Some("NOT_FOUND")), "{v}");
}
