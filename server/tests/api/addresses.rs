use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn address_book_crud_with_one_default() {
    let app = spawn_app().await;
    let t = app.login("addr").await;
    let (s, a) = app
        .post(
            "/api/addresses",
            Some(&t),
            address_body("张三", "13812345678", "幸福路88号"),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["isDefault"], true, "the first address is the default");
    assert_eq!(a["phone"], "13812345678");
    let a_id = a["id"].as_i64().unwrap();
    let mut second = address_body("李四", "13900000000", "人民路1号");
    second["isDefault"] = json!(true);
    let (_, b) = app.post("/api/addresses", Some(&t), second).await;
    let b_id = b["id"].as_i64().unwrap();
    let (_, list) = app.get("/api/addresses", Some(&t)).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], b_id, "default first");
    assert_eq!(list.iter().filter(|a| a["isDefault"] == true).count(), 1);
    let (s, v) = app
        .put(
            &format!("/api/addresses/{a_id}"),
            Some(&t),
            address_body("张三", "13812345678", "幸福路99号"),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["detail"], "幸福路99号");
    let (_, v) = app
        .post(
            &format!("/api/addresses/{a_id}/default"),
            Some(&t),
            json!({}),
        )
        .await;
    assert_eq!(v["isDefault"], true);
    let (_, v) = app.get(&format!("/api/addresses/{b_id}"), Some(&t)).await;
    assert_eq!(v["isDefault"], false);
    // Deleting the default promotes the remaining address.
    let (s, _) = app
        .delete(&format!("/api/addresses/{a_id}"), Some(&t))
        .await;
    assert_eq!(s, 204);
    let (_, v) = app.get(&format!("/api/addresses/{b_id}"), Some(&t)).await;
    assert_eq!(v["isDefault"], true);
    let (s, _) = app.get(&format!("/api/addresses/{a_id}"), Some(&t)).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn invalid_addresses_are_rejected() {
    let app = spawn_app().await;
    let t = app.login("addr2").await;
    let (s, v) = app
        .post(
            "/api/addresses",
            Some(&t),
            address_body("张三", "call me", "x"),
        )
        .await;
    assert_eq!((s, v["details"]["field"].as_str()), (400, Some("phone")));
    let (s, v) = app
        .post(
            "/api/addresses",
            Some(&t),
            address_body("", "13800000000", "x"),
        )
        .await;
    assert_eq!((s, v["details"]["field"].as_str()), (400, Some("name")));
}

#[tokio::test]
async fn no_plaintext_phone_or_address_in_the_database() {
    let app = spawn_app().await;
    let t = app.login("private").await;
    app.post(
        "/api/addresses",
        Some(&t),
        address_body("王小明", "13712349876", "秘密花园路77号"),
    )
    .await;
    let id = app.add_address(&t).await;
    // An order keeps its own sealed copy of the address.
    let (s, o) = app
        .checkout(
            &t,
            json!({"items": [{"skuId": NUTS_750G, "quantity": 1}], "addressId": id}),
            "k-private",
        )
        .await;
    assert_eq!(s, 201, "{o}");
    assert_eq!(o["address"]["detail"], "幸福路88号");
    let secrets = [
        "13712349876",
        "秘密花园路77号",
        "王小明",
        "13812345678",
        "幸福路88号",
    ];
    match &app.sqlite_path {
        Some(path) => {
            app.exec("PRAGMA wal_checkpoint(TRUNCATE)").await;
            let mut bytes = std::fs::read(path).unwrap();
            if let Ok(wal) = std::fs::read(path.with_extension("db-wal")) {
                bytes.extend(wal);
            }
            for s in secrets {
                assert!(
                    !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                    "{s} found in the database file"
                );
            }
        }
        None => {
            // PostgreSQL: no column of any table holds the values.
            for (table, cols) in [("addresses", "sealed"), ("orders", "address_sealed")] {
                let rows: Vec<Vec<u8>> = sqlx::query_scalar(&format!(
                    "SELECT {cols} FROM {table} WHERE {cols} IS NOT NULL"
                ))
                .fetch_all(&app.server.state.db.pool)
                .await
                .unwrap();
                for r in rows {
                    for s in secrets {
                        assert!(!r.windows(s.len()).any(|w| w == s.as_bytes()));
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn data_keys_rotate_and_rows_sealed_with_the_old_key_still_open() {
    let app = spawn_app().await;
    let t = app.login("rotator").await;
    let old = app.add_address(&t).await;
    // Restart on the same database with a second key, now the active one.
    let mut config = (*app.server.state.config).clone();
    config
        .data_keys
        .insert("k2".into(), mall_server::config::random_key());
    config.data_key_id = "k2".into();
    app.server.stop();
    let second = mall_server::start(config).await.unwrap();
    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        let t = t.clone();
        async move {
            http.get(path)
                .bearer_auth(&t)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let v = get(format!("{}/api/addresses/{old}", second.url())).await;
    assert_eq!(v["detail"], "幸福路88号", "{v}");
    let res = http
        .post(format!("{}/api/addresses", second.url()))
        .bearer_auth(&t)
        .json(&address_body("新", "13900000001", "新地址1号"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let keys: Vec<String> = sqlx::query_scalar("SELECT key_id FROM addresses ORDER BY id")
        .fetch_all(&second.state.db.pool)
        .await
        .unwrap();
    assert_eq!(keys, vec!["k1", "k2"]);
}
