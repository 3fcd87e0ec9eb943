//! `db::Batch` on the test's database (SQLite, or PostgreSQL with
//! TEST_DATABASE_URL): each statement answers its own changed rows, and a
//! failing statement fails the batch, whose transaction then rolls back the
//! statements before it.

use mall_server::db::Batch;

use crate::helpers::spawn_app;

async fn rows(app: &crate::helpers::TestApp) -> Vec<(i64, i64)> {
    sqlx::query_as("SELECT id, n FROM batch_probe ORDER BY id")
        .fetch_all(&app.server.state.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_batch_answers_each_statements_changed_rows() {
    let app = spawn_app().await;
    let db = &app.server.state.db;
    sqlx::query("CREATE TABLE batch_probe (id BIGINT PRIMARY KEY, n BIGINT NOT NULL, note TEXT)")
        .execute(&db.pool)
        .await
        .unwrap();

    let mut tx = db.begin_write().await.unwrap();
    let mut b = Batch::new();
    for (id, n) in [(1i64, 10i64), (2, 20), (3, 30)] {
        b.push("INSERT INTO batch_probe (id, n, note) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(n)
            .bind(format!("row '{id}' $1"));
    }
    b.push("INSERT INTO batch_probe (id, n) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
        .bind(9i64)
        .bind(90i64);
    assert_eq!(b.run(&mut tx).await.unwrap(), vec![1, 1, 1, 1]);
    tx.commit().await.unwrap();
    assert_eq!(rows(&app).await, vec![(1, 10), (2, 20), (3, 30), (9, 90)]);

    // Conditional statements: each one's count is its own.
    let mut tx = db.begin_write().await.unwrap();
    let mut b = Batch::new();
    b.push("UPDATE batch_probe SET n = n - $1 WHERE n >= $1 AND id < $2")
        .bind(15i64)
        .bind(9i64);
    b.push("DELETE FROM batch_probe WHERE id = $1").bind(7i64);
    b.push("INSERT INTO batch_probe (id, n) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
        .bind(9i64)
        .bind(0i64);
    b.push("DELETE FROM batch_probe WHERE id IN ($1, $2)")
        .bind(1i64)
        .bind(9i64);
    assert_eq!(b.run(&mut tx).await.unwrap(), vec![2, 0, 0, 2]);
    tx.commit().await.unwrap();
    assert_eq!(rows(&app).await, vec![(2, 5), (3, 15)]);

    // A failing statement (a duplicate key) fails the batch; rolling back
    // undoes the statement before it.
    let mut tx = db.begin_write().await.unwrap();
    let mut b = Batch::new();
    b.push("UPDATE batch_probe SET n = 0 WHERE id = $1")
        .bind(2i64);
    b.push("INSERT INTO batch_probe (id, n) VALUES ($1, $2)")
        .bind(3i64)
        .bind(0i64);
    assert!(b.run(&mut tx).await.is_err());
    tx.rollback().await.unwrap();
    assert_eq!(rows(&app).await, vec![(2, 5), (3, 15)]);

    // One statement, and none.
    let mut conn = db.pool.acquire().await.unwrap();
    let mut b = Batch::new();
    b.push("UPDATE batch_probe SET n = n + 1 WHERE id = $1")
        .bind(3i64);
    assert_eq!(b.run(&mut conn).await.unwrap(), vec![1]);
    assert_eq!(
        Batch::new().run(&mut conn).await.unwrap(),
        Vec::<u64>::new()
    );
    assert_eq!(rows(&app).await, vec![(2, 5), (3, 16)]);
}

/// `Db::write_one`: one statement, in the writer's batch on SQLite, on a
/// connection of its own (no transaction) on PostgreSQL; its answer and its
/// error come back, and a refused statement changes nothing.
#[tokio::test]
async fn a_write_of_one_statement_answers_and_fails_like_a_transaction_of_its_own() {
    let app = spawn_app().await;
    let db = &app.server.state.db;
    sqlx::query("CREATE TABLE one_probe (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)")
        .execute(&db.pool)
        .await
        .unwrap();
    let before = db.writer_stats();
    let insert = |id: i64, n: i64| {
        db.write_one(move |conn| {
            Box::pin(async move {
                let r = sqlx::query("INSERT INTO one_probe (id, n) VALUES ($1, $2)")
                    .bind(id)
                    .bind(n)
                    .execute(conn)
                    .await?;
                Ok::<_, anyhow::Error>(r.rows_affected())
            })
        })
    };
    assert_eq!(insert(1, 10).await.unwrap(), 1);
    assert_eq!(insert(2, 20).await.unwrap(), 1);
    // The primary key refuses the second row 1; nothing of it stays.
    assert!(insert(1, 99).await.is_err());
    let rows: Vec<(i64, i64)> = sqlx::query_as("SELECT id, n FROM one_probe ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(rows, vec![(1, 10), (2, 20)]);
    let after = db.writer_stats();
    match db.backend {
        mall_server::db::Backend::Sqlite => assert_eq!(after.writes - before.writes, 3),
        mall_server::db::Backend::Postgres => assert_eq!(after, before),
    }
}
