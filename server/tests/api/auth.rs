use mall_server::wechat::fake::phone_for_code;
use mall_server::wechat::SubscribeMessage;
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn login_gives_a_session_token_and_the_same_code_is_the_same_shopper() {
    let app = spawn_app().await;
    let (s, a) = app
        .post("/api/auth/login", None, json!({"code": "alice"}))
        .await;
    assert_eq!(s, 200);
    let (_, b) = app
        .post("/api/auth/login", None, json!({"code": "alice"}))
        .await;
    assert_eq!(a["userId"], b["userId"]);
    assert_ne!(a["token"], b["token"]);
    // Neither the openid nor WeChat's session_key reach the client.
    let text = a.to_string();
    assert!(!text.contains("session_key") && !text.contains("openid"));
    let (s, me) = app.get("/api/member", a["token"].as_str()).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["userId"], a["userId"]);
}

#[tokio::test]
async fn the_demo_code_logs_in_the_seeded_demo_shopper() {
    let app = spawn_app().await;
    let t = app.login("demo").await;
    let (_, me) = app.get("/api/member", Some(&t)).await;
    assert_eq!(me["nickname"], "演示用户");
    assert_eq!(me["member"]["level"]["levelId"], "silver");
}

#[tokio::test]
async fn a_bad_login_code_is_rejected() {
    let app = spawn_app().await;
    let (s, v) = app
        .post("/api/auth/login", None, json!({"code": "invalid-123"}))
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("LOGIN_CODE_INVALID")));
    assert_eq!(v["details"]["errcode"], 40029);
    let (s, v) = app.post("/api/auth/login", None, json!({"code": ""})).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("INVALID_INPUT")));
}

#[tokio::test]
async fn shopper_endpoints_need_a_valid_session() {
    let app = spawn_app().await;
    for path in ["/api/cart", "/api/addresses", "/api/orders", "/api/member"] {
        let (s, v) = app.get(path, None).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (401, Some("UNAUTHORIZED")),
            "{path}"
        );
        let (s, _) = app.get(path, Some("forged-token")).await;
        assert_eq!(s, 401, "{path}");
    }
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let t = app.login("bob").await;
    let (s, _) = app.post("/api/auth/logout", Some(&t), json!({})).await;
    assert_eq!(s, 200);
    let (s, _) = app.get("/api/cart", Some(&t)).await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn phone_number_is_bound_shown_masked_and_sealed_at_rest() {
    let app = spawn_app().await;
    let t = app.login("carol").await;
    let phone = phone_for_code("p1");
    let (s, v) = app
        .post("/api/auth/phone", Some(&t), json!({"code": "p1"}))
        .await;
    assert_eq!(s, 200, "{v}");
    let masked = format!("{}****{}", &phone[..3], &phone[7..]);
    assert_eq!(v["phone"], masked);
    let (_, me) = app.get("/api/member", Some(&t)).await;
    assert_eq!(me["phone"], masked);
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT phone_enc FROM users WHERE phone_enc IS NOT NULL")
            .fetch_one(&app.server.state.db.pool)
            .await
            .unwrap();
    assert!(!stored.windows(phone.len()).any(|w| w == phone.as_bytes()));
    let (s, v) = app
        .post("/api/auth/phone", Some(&t), json!({"code": "invalid"}))
        .await;
    assert_eq!((s, v["code"].as_str()), (409, Some("PHONE_CODE_INVALID")));
}

#[tokio::test]
async fn subscription_messages_go_through_the_fake_wechat_api() {
    let app = spawn_app().await;
    let msg = SubscribeMessage {
        touser: "o-someone".into(),
        template_id: "order-shipped".into(),
        page: Some("pages/order/detail?id=1".into()),
        data: json!({"thing1": {"value": "降噪真无线蓝牙耳机"}}),
    };
    app.server
        .state
        .wechat
        .send_subscribe_message(&msg)
        .await
        .unwrap();
    let fake = app.server.fake_wechat.as_ref().unwrap();
    assert_eq!(fake.sent_messages(), vec![msg.clone()]);
    let refused = SubscribeMessage {
        touser: "refuse-1".into(),
        ..msg
    };
    let err = app
        .server
        .state
        .wechat
        .send_subscribe_message(&refused)
        .await
        .unwrap_err();
    assert_eq!(err.errcode(), 43101);
}
