//! The shop's own information (the console's 设置 → 店铺): its name, logo,
//! customer-service phone and a notice line, kept in `settings` and shown on
//! the mini-program's home page (`/api/home` → `shop`).

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

pub const KEY: &str = "shop_info";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShopInfo {
    pub name: String,
    #[serde(default)]
    pub logo: String,
    #[serde(default)]
    pub service_phone: String,
    #[serde(default)]
    pub notice: String,
}

impl Default for ShopInfo {
    fn default() -> Self {
        ShopInfo {
            name: "微信商城".into(),
            logo: String::new(),
            service_phone: String::new(),
            notice: String::new(),
        }
    }
}

pub async fn get(conn: &mut AnyConnection) -> anyhow::Result<ShopInfo> {
    let text = crate::db::setting(conn, KEY, "").await?;
    Ok(match text {
        Some(t) => serde_json::from_str(&t)?,
        None => ShopInfo::default(),
    })
}

/// Store it (one upsert).
pub async fn set(conn: &mut AnyConnection, info: &ShopInfo) -> anyhow::Result<()> {
    crate::db::put_setting(conn, KEY, &serde_json::to_string(info)?).await?;
    Ok(())
}
