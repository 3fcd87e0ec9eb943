//! Delivery addresses. Name, phone and address are sealed together with
//! AES-256-GCM (associated data `address:<user id>`); only the owner, the key
//! id and the default flag are stored in the clear.

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::crypto::Keyring;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddressFields {
    pub name: String,
    pub phone: String,
    /// Administrative region code (e.g. "310115"); express fees are by region.
    pub region_code: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub id: i64,
    #[serde(flatten)]
    pub fields: AddressFields,
    pub is_default: bool,
}

fn aad(user_id: i64) -> String {
    format!("address:{user_id}")
}

pub async fn list(
    conn: &mut AnyConnection,
    keys: &Keyring,
    user_id: i64,
) -> anyhow::Result<Vec<Address>> {
    let rows: Vec<(i64, String, Vec<u8>, i64)> = sqlx::query_as(
        "SELECT id, key_id, sealed, is_default FROM addresses WHERE user_id = $1 ORDER BY is_default DESC, id DESC",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Address {
                id: r.0,
                fields: keys.open_json(&r.1, &aad(user_id), &r.2)?,
                is_default: r.3 != 0,
            })
        })
        .collect()
}

pub async fn get(
    conn: &mut AnyConnection,
    keys: &Keyring,
    user_id: i64,
    id: i64,
) -> anyhow::Result<Option<Address>> {
    Ok(list(conn, keys, user_id)
        .await?
        .into_iter()
        .find(|a| a.id == id))
}

async fn clear_default(conn: &mut AnyConnection, user_id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE addresses SET is_default = 0 WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn count(conn: &mut AnyConnection, user_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM addresses WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(conn)
        .await
}

pub async fn create(
    conn: &mut AnyConnection,
    keys: &Keyring,
    user_id: i64,
    fields: &AddressFields,
    make_default: bool,
    now: i64,
) -> anyhow::Result<i64> {
    let first = count(&mut *conn, user_id).await? == 0;
    let make_default = make_default || first;
    if make_default {
        clear_default(&mut *conn, user_id).await?;
    }
    let sealed = keys.seal_json(&aad(user_id), fields)?;
    let id = sqlx::query_scalar(
        "INSERT INTO addresses (user_id, key_id, sealed, is_default, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(user_id)
    .bind(&sealed.key_id)
    .bind(&sealed.blob)
    .bind(i64::from(make_default))
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn update(
    conn: &mut AnyConnection,
    keys: &Keyring,
    user_id: i64,
    id: i64,
    fields: &AddressFields,
    make_default: bool,
    now: i64,
) -> anyhow::Result<bool> {
    if make_default {
        let owned: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM addresses WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(user_id)
                .fetch_one(&mut *conn)
                .await?;
        if owned == 0 {
            return Ok(false);
        }
        clear_default(&mut *conn, user_id).await?;
    }
    let sealed = keys.seal_json(&aad(user_id), fields)?;
    let r = sqlx::query(
        "UPDATE addresses SET key_id = $1, sealed = $2, updated_at = $3,
             is_default = CASE WHEN $4 = 1 THEN 1 ELSE is_default END
         WHERE id = $5 AND user_id = $6",
    )
    .bind(&sealed.key_id)
    .bind(&sealed.blob)
    .bind(now)
    .bind(i64::from(make_default))
    .bind(id)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_default(conn: &mut AnyConnection, user_id: i64, id: i64) -> sqlx::Result<bool> {
    let owned: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM addresses WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .fetch_one(&mut *conn)
            .await?;
    if owned == 0 {
        return Ok(false);
    }
    clear_default(&mut *conn, user_id).await?;
    sqlx::query("UPDATE addresses SET is_default = 1 WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(true)
}

/// Delete; if it was the default, the newest remaining address becomes the default.
pub async fn delete(conn: &mut AnyConnection, user_id: i64, id: i64) -> sqlx::Result<bool> {
    let r = sqlx::query("DELETE FROM addresses WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    if r.rows_affected() == 0 {
        return Ok(false);
    }
    let defaults: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM addresses WHERE user_id = $1 AND is_default = 1")
            .bind(user_id)
            .fetch_one(&mut *conn)
            .await?;
    if defaults == 0 {
        sqlx::query(
            "UPDATE addresses SET is_default = 1 WHERE id = (SELECT MAX(id) FROM addresses WHERE user_id = $1)",
        )
        .bind(user_id)
        .execute(conn)
        .await?;
    }
    Ok(true)
}

/// Re-seal a value for an order (bound to the order, not the shopper's book).
pub fn seal_for_order(
    keys: &Keyring,
    order_no: &str,
    fields: &AddressFields,
) -> anyhow::Result<crate::crypto::Sealed> {
    keys.seal_json(&format!("order:{order_no}"), fields)
}

pub fn open_for_order(
    keys: &Keyring,
    order_no: &str,
    key_id: &str,
    blob: &[u8],
) -> anyhow::Result<AddressFields> {
    keys.open_json(key_id, &format!("order:{order_no}"), blob)
}
