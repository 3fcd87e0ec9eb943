//! The state every handler shares.

use std::sync::Arc;

use crate::config::Config;
use crate::crypto::Keyring;
use crate::db::Db;
use crate::wechat::pay::PayClient;
use crate::wechat::WeChatClient;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub keys: Arc<Keyring>,
    pub wechat: Arc<WeChatClient>,
    pub pay: Arc<PayClient>,
    /// Uploaded images (a local directory unless configured otherwise).
    pub media: Arc<dyn crate::media::MediaStore>,
    /// Flash-sale admission in front of the database.
    pub flash: Arc<crate::flash::FlashGate>,
    /// The shop's rules as the cart page and the quote read them
    /// (`shop_rules::cache`).
    pub rules: Arc<crate::shop_rules::RulesCache>,
    /// Recent session lookups (`members::sessions`).
    pub sessions: Arc<crate::members::sessions::SessionCache>,
    /// This instance's copy of the recommendation model.
    pub recs: Arc<crate::recommend::Cache>,
}
