//! mall-fake-wechat: the fake WeChat API and WeChat Pay as a process of their
//! own (demo feature), with the demo keys of the data dir's secrets file
//! (`MALL_DATA_DIR`, the same the server reads). A server pointed at it
//! (`WECHAT_API_BASE` and `WECHATPAY_API_BASE` set to its URL) then does only
//! its own work, which is what the checkout benchmark measures.
//!
//!   MALL_DATA_DIR=data MALL_FAKE_BIND=127.0.0.1:9100 mall-fake-wechat

use anyhow::Context;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    mall_server::init_tracing();
    // The fake's side of the configuration: WECHAT(PAY)_API_BASE unset means
    // "fake", which gives the demo keys (generated into the secrets file once).
    std::env::remove_var("WECHAT_API_BASE");
    std::env::remove_var("WECHATPAY_API_BASE");
    let config = mall_server::config::Config::from_env()?;
    let keys = config
        .pay
        .fake_keys
        .clone()
        .context("no demo WeChat Pay keys (WECHATPAY_MCHID is set?)")?;
    let bind = std::env::var("MALL_FAKE_BIND").unwrap_or_else(|_| "127.0.0.1:0".into());
    let fake = mall_server::wechat::fake::spawn_at(
        &bind,
        &config.wechat_appid,
        &config.wechat_secret,
        Some(keys),
    )
    .await?;
    println!("fake WeChat API listening addr={}", fake.addr);
    tokio::signal::ctrl_c().await?;
    Ok(())
}
