//! 秒杀 stock buckets (`stock::buckets`): a flash sale saved with
//! `stockBuckets` sets its units aside from the SKU's stock in that many
//! rows; orders take them from the rows and never touch the SKU's; cancelled
//! orders give them back to the rows; when the sale ends what the rows hold
//! goes back to the SKU exactly once, with the units sold in its sales.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::admin::owner;
use crate::helpers::*;

const UNITS: i64 = 40;
const BUCKETS: i64 = 8;
const STOCK: i64 = 100;

fn sale(buckets: i64, units: Option<i64>) -> Value {
    json!({"kind": "flashSale", "title": "坚果整点秒杀", "startsAt": 1_700_000_000i64,
           "endsAt": 4_000_000_000i64, "perUserLimit": 1, "stockBuckets": buckets,
           "skus": [{"skuId": NUTS_750G, "price": 5900, "stock": units}]})
}

fn item(activity: &str) -> Value {
    json!({"items": [{"skuId": NUTS_750G, "quantity": 1, "activityId": activity}], "delivery": pickup()})
}

async fn buckets(app: &TestApp, activity: &str) -> (i64, i64, i64) {
    let (rows, stock, sold): (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(stock), 0) AS BIGINT), CAST(COALESCE(SUM(sold), 0) AS BIGINT)
         FROM activity_stock_buckets WHERE activity_id = $1",
    )
    .bind(activity)
    .fetch_one(&app.server.state.db.pool)
    .await
    .unwrap();
    (rows, stock, sold)
}

/// What saving `activity` with `stockBuckets` does to a SKU already in it:
/// `units` set aside from the SKU's stock in `buckets` rows.
pub(crate) async fn set_aside(
    db: &sqlx::AnyPool,
    activity: &str,
    sku: i64,
    units: i64,
    buckets: i64,
) {
    let mut set = vec![
        format!("UPDATE activities SET stock_buckets = {buckets} WHERE id = '{activity}'"),
        format!("UPDATE skus SET stock = stock - {units} WHERE id = {sku}"),
    ];
    for b in 0..buckets {
        let n = units / buckets + i64::from(b < units % buckets);
        set.push(format!(
            "INSERT INTO activity_stock_buckets (activity_id, sku_id, bucket, stock) VALUES ('{activity}', {sku}, {b}, {n})"
        ));
    }
    for sql in set {
        sqlx::query(&sql).execute(db).await.unwrap();
    }
}

async fn sales(app: &TestApp) -> i64 {
    count(
        app,
        &format!("SELECT sales FROM skus WHERE id = {NUTS_750G}"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sale_in_buckets_sells_exactly_its_units_without_touching_the_skus_row_and_returns_the_rest_once(
) {
    const N: usize = 200;
    let app = Arc::new(spawn_with(|c| c.db_max_connections = 16).await);
    app.set_stock(NUTS_750G, STOCK).await;
    let sales_before = sales(&app).await;
    let c = owner(&app).await;
    let (s, a) = c
        .post(
            "/admin/api/marketing/activities",
            sale(BUCKETS, Some(UNITS)),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let id = a["id"].as_str().unwrap().to_string();
    assert_eq!(
        (a["stockBuckets"].as_i64(), a["skus"][0]["stock"].as_i64()),
        (Some(BUCKETS), Some(UNITS)),
        "{a}"
    );
    // Set aside: the SKU keeps the rest, the rows hold the sale's units.
    assert_eq!(app.stock(NUTS_750G).await, STOCK - UNITS);
    assert_eq!(buckets(&app, &id).await, (BUCKETS, UNITS, 0));
    let ledger = count(
        &app,
        &format!("SELECT COUNT(*) FROM stock_ledger WHERE sku_id = {NUTS_750G} AND reason = '秒杀备货' AND before_stock = {STOCK} AND after_stock = {}", STOCK - UNITS),
    )
    .await;
    assert_eq!(ledger, 1);

    // 200 shoppers at once, each retrying 排队中.
    let mut buyers = Vec::with_capacity(N);
    for i in 0..N {
        let t = app.login(&format!("bucket-{i}")).await;
        let (s, q) = app.post("/api/checkout/quote", Some(&t), item(&id)).await;
        assert_eq!(s, 200, "{q}");
        let mut b = item(&id);
        b["fingerprint"] = q["fingerprint"].clone();
        b["idempotencyKey"] = json!(format!("b-{i}"));
        buyers.push((t, b));
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(N));
    let mut tasks = tokio::task::JoinSet::new();
    for (t, body) in buyers {
        let (app, barrier) = (app.clone(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            for _ in 0..400 {
                let (s, v) = app.post("/api/orders", Some(&t), body.clone()).await;
                if s == 429 {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    continue;
                }
                return (s, v, t);
            }
            panic!("still queued after 400 tries");
        });
    }
    let mut won = Vec::new();
    let mut sold_out = 0;
    while let Some(r) = tasks.join_next().await {
        match r.unwrap() {
            (201, v, t) => won.push((v["id"].as_i64().unwrap(), t)),
            (409, v, _) if v["code"] == "OUT_OF_STOCK" => sold_out += 1,
            other => panic!("unexpected answer {:?}", (other.0, other.1)),
        }
    }
    assert_eq!((won.len(), sold_out), (UNITS as usize, N - UNITS as usize));
    // The SKU's own stock and sales counter were not touched by the orders.
    assert_eq!(app.stock(NUTS_750G).await, STOCK - UNITS);
    assert_eq!(sales(&app).await, sales_before);
    assert_eq!(buckets(&app, &id).await, (BUCKETS, 0, UNITS));
    let (_, page) = app.get(&format!("/api/flash-sales/{id}"), None).await;
    assert_eq!(page["skus"][0]["unitsLeft"], 0, "{page}");

    // Three shoppers cancel: their units go back to the rows and sell again.
    for (order, t) in won.iter().take(3) {
        let (s, v) = app
            .post(&format!("/api/orders/{order}/cancel"), Some(t), json!({}))
            .await;
        assert_eq!(s, 200, "{v}");
    }
    assert_eq!(buckets(&app, &id).await, (BUCKETS, 3, UNITS - 3));
    let (_, page) = app.get(&format!("/api/flash-sales/{id}"), None).await;
    assert_eq!(page["skus"][0]["unitsLeft"], 3, "{page}");
    let late = app.login("bucket-late").await;
    let (s, q) = app
        .post("/api/checkout/quote", Some(&late), item(&id))
        .await;
    assert_eq!(s, 200, "{q}");
    let mut b = item(&id);
    b["fingerprint"] = q["fingerprint"].clone();
    b["idempotencyKey"] = json!("late");
    let (s, v) = app.post("/api/orders", Some(&late), b).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(buckets(&app, &id).await, (BUCKETS, 2, UNITS - 2));

    // The sale ends: two instances' jobs at once give the 2 units back once.
    app.exec(&format!(
        "UPDATE activities SET ends_at = 1700000001 WHERE id = '{id}'"
    ))
    .await;
    let now = mall_server::db::now();
    let (a, b) = tokio::join!(
        mall_server::stock::buckets::return_ended(&app.server.state.db, now),
        mall_server::stock::buckets::return_ended(&app.server.state.db, now),
    );
    assert_eq!(a.unwrap() + b.unwrap(), 2);
    assert_eq!(buckets(&app, &id).await, (0, 0, 0));
    assert_eq!(app.stock(NUTS_750G).await, STOCK - UNITS + 2);
    assert_eq!(sales(&app).await, sales_before + UNITS - 2);
    let left = count(
        &app,
        &format!("SELECT stock FROM activity_skus_left WHERE activity_id = '{id}'"),
    )
    .await;
    assert_eq!(left, 0);
    // An order of the sale cancelled after its end gives its unit to the SKU.
    let (order, t) = &won[3];
    let (s, v) = app
        .post(&format!("/api/orders/{order}/cancel"), Some(t), json!({}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(app.stock(NUTS_750G).await, STOCK - UNITS + 3);
    assert_eq!(sales(&app).await, sales_before + UNITS - 3);
    // Units in orders + units back with the SKU = what it had.
    let in_orders = count(
        &app,
        &format!("SELECT CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE l.sku_id = {NUTS_750G} AND o.status <> 'cancelled'"),
    )
    .await;
    assert_eq!(in_orders + app.stock(NUTS_750G).await, STOCK);
}

#[tokio::test]
async fn editing_a_sale_in_buckets_returns_the_old_units_before_setting_the_new_aside() {
    let app = spawn_app().await;
    app.set_stock(NUTS_750G, STOCK).await;
    let sales_before = sales(&app).await;
    let c = owner(&app).await;
    let (s, a) = c
        .post("/admin/api/marketing/activities", sale(4, Some(30)))
        .await;
    assert_eq!(s, 201, "{a}");
    let id = a["id"].as_str().unwrap().to_string();
    let t = app.login("edit-buyer").await;
    let (s, v) = app.checkout(&t, item(&id), "e-1").await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(buckets(&app, &id).await, (4, 29, 1));
    // 29 left come back, 10 go aside in 2 rows; the order's unit stays sold.
    let (s, a) = c
        .put(
            &format!("/admin/api/marketing/activities/{id}"),
            sale(2, Some(10)),
        )
        .await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(buckets(&app, &id).await, (2, 10, 0));
    assert_eq!(app.stock(NUTS_750G).await, STOCK - 1 - 10);
    // The old rows' sold unit is counted in the SKU's sales.
    assert_eq!(sales(&app).await, sales_before + 1);
    // Back to one bucket: the quota is a bound on the SKU's stock again.
    let (s, a) = c
        .put(
            &format!("/admin/api/marketing/activities/{id}"),
            sale(1, Some(10)),
        )
        .await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(buckets(&app, &id).await, (0, 0, 0));
    assert_eq!(app.stock(NUTS_750G).await, STOCK - 1);
}

#[tokio::test]
async fn bad_bucket_settings_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    app.set_stock(NUTS_750G, 20).await;
    let c = owner(&app).await;
    let activities = count(&app, "SELECT COUNT(*) FROM activities").await;
    let (s, v) = c
        .post("/admin/api/marketing/activities", sale(65, Some(10)))
        .await;
    assert_eq!(
        (s, v["details"]["field"].as_str()),
        (400, Some("stockBuckets")),
        "{v}"
    );
    let (s, v) = c
        .post("/admin/api/marketing/activities", sale(0, Some(10)))
        .await;
    assert_eq!(s, 400, "{v}");
    // Buckets need each SKU's units.
    let (s, v) = c
        .post("/admin/api/marketing/activities", sale(4, None))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("RULES_INCONSISTENT")),
        "{v}"
    );
    // Only a flash sale takes them.
    let mut group = sale(4, Some(10));
    group["kind"] = json!("groupBuy");
    group["groupSize"] = json!(2);
    let (s, v) = c.post("/admin/api/marketing/activities", group).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("RULES_INCONSISTENT")),
        "{v}"
    );
    // More units than the SKU has: refused, the SKU's stock as it was.
    let (s, v) = c
        .post("/admin/api/marketing/activities", sale(4, Some(21)))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("ACTIVITY_STOCK_SHORT")),
        "{v}"
    );
    assert_eq!(
        (
            v["details"]["skuId"].as_i64(),
            v["details"]["available"].as_i64()
        ),
        (Some(NUTS_750G), Some(20)),
        "{v}"
    );
    assert_eq!(app.stock(NUTS_750G).await, 20);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM activities").await,
        activities
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM activity_stock_buckets").await,
        0
    );
}
