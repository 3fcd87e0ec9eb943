//! mall-server: the storefront API on axum + sqlx. It prices every cart and
//! order with `mall_core::quote`, the same call the mini-program makes, so the
//! shopper is charged exactly the total they saw.

pub mod after_sales;
pub mod bargains;
pub mod cart;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod coupons;
pub mod crypto;
pub mod db;
pub mod distribution;
pub mod events;
pub mod exports;
pub mod flash;
pub mod group_buy;
pub mod http;
pub mod jobs;
pub mod marketing;
pub mod media;
pub mod member_campaigns;
pub mod member_segments;
pub mod members;
pub mod notify;
pub mod orders;
pub mod paging;
pub mod payments;
pub mod recommend;
pub mod refunds;
pub mod reviews;
pub mod share;
pub mod shipping_info;
pub mod shop_rules;
pub mod signin;
pub mod staff;
pub mod state;
pub mod stats;
pub mod stock;
#[cfg(test)]
pub(crate) mod testing;
pub mod wechat;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::task::JoinHandle;

use crate::config::{Config, WeChatApi};
use crate::crypto::Keyring;
use crate::state::AppState;
#[cfg(feature = "demo")]
use crate::wechat::fake::FakeWeChat;
use crate::wechat::pay::{MerchantSigner, PayClient, PlatformVerifier};
use crate::wechat::WeChatClient;

pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    // A log line that cannot be written (a full disk) is dropped: reporting
    // that failure on stderr would panic the request that logged it.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .log_internal_errors(false)
        .try_init();
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    /// The in-process fake WeChat API, when configured (demo mode).
    #[cfg(feature = "demo")]
    pub fake_wechat: Option<FakeWeChat>,
    serve: JoinHandle<std::io::Result<()>>,
    expiry: JoinHandle<()>,
    jobs: Option<JoinHandle<()>>,
    /// Redis mode's reconciler.
    reconciler: Option<JoinHandle<()>>,
}

impl Server {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Run until the server fails or Ctrl-C / SIGTERM arrives.
    pub async fn wait_for_shutdown(mut self) -> anyhow::Result<()> {
        #[cfg(unix)]
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        #[cfg(unix)]
        let terminate = term.recv();
        #[cfg(not(unix))]
        let terminate = std::future::pending::<Option<()>>();
        tokio::select! {
            r = &mut self.serve => { r??; }
            _ = tokio::signal::ctrl_c() => { tracing::info!("shutting down"); }
            _ = terminate => { tracing::info!("terminated"); }
        }
        self.expiry.abort();
        if let Some(j) = &self.jobs {
            j.abort();
        }
        Ok(())
    }

    pub fn stop(&self) {
        self.serve.abort();
        self.expiry.abort();
        if let Some(j) = &self.jobs {
            j.abort();
        }
        if let Some(r) = &self.reconciler {
            r.abort();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Connect, migrate, seed the demo shop on an empty database, start the fake
/// WeChat API if configured, the unpaid-order expiry task and the HTTP server.
pub async fn start(config: Config) -> anyhow::Result<Server> {
    if let Some(t) = config.clock_start {
        clock::start_at(t);
    }
    let db = db::startup::open(
        &config.database_url,
        config.db_max_connections,
        config.seed_demo,
        config.demo_campaigns,
    )
    .await?;
    #[cfg(feature = "demo")]
    let fake_wechat = if config.wechat_api == WeChatApi::Fake || config.pay.api == WeChatApi::Fake {
        let pay_keys = match config.pay.api {
            WeChatApi::Fake => Some(
                config
                    .pay
                    .fake_keys
                    .clone()
                    .context("the fake WeChat Pay needs the demo keys")?,
            ),
            WeChatApi::Url(_) => None,
        };
        Some(
            wechat::fake::spawn(&config.wechat_appid, &config.wechat_secret, pay_keys)
                .await
                .context("starting the fake WeChat API")?,
        )
    } else {
        None
    };
    #[cfg(feature = "demo")]
    let base_of = |api: &WeChatApi| match (api, &fake_wechat) {
        (WeChatApi::Url(u), _) => u.clone(),
        (WeChatApi::Fake, Some(f)) => f.url(),
        (WeChatApi::Fake, None) => unreachable!("fake started above"),
    };
    #[cfg(not(feature = "demo"))]
    if config.wechat_api == WeChatApi::Fake || config.pay.api == WeChatApi::Fake {
        anyhow::bail!(
            "this build has no demo mode (no fake WeChat): configure {}",
            config::PRODUCTION_SETTINGS
        );
    }
    #[cfg(not(feature = "demo"))]
    let base_of = |api: &WeChatApi| match api {
        WeChatApi::Url(u) => u.clone(),
        WeChatApi::Fake => String::new(), // refused above
    };
    let wechat = WeChatClient::new(
        base_of(&config.wechat_api),
        &config.wechat_appid,
        &config.wechat_secret,
    );
    let keys = Keyring::new(&config.data_keys, &config.data_key_id)?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("binding {}", config.bind))?;
    let addr = listener.local_addr()?;
    let pay = {
        let p = &config.pay;
        let signer = MerchantSigner::new(&p.mchid, &p.merchant_serial, &p.merchant_key_pem)
            .context("the merchant's WeChat Pay key")?;
        let mut verifier = PlatformVerifier::new();
        for pem in &p.platform_cert_pems {
            verifier.add_certificate(pem)?;
        }
        if let Some((id, pem)) = &p.public_key {
            verifier.add_public_key(id, pem)?;
        }
        PayClient::new(
            base_of(&p.api),
            &config.wechat_appid,
            signer,
            verifier,
            &p.api_v3_key,
            p.notify_url
                .clone()
                .unwrap_or_else(|| format!("http://{addr}/api/pay/notify")),
            p.refund_notify_url
                .clone()
                .unwrap_or_else(|| format!("http://{addr}/api/pay/refund-notify")),
        )
        .with_transfer_notify_url(p.transfer_notify_url.clone())
        .with_public_key_id(p.public_key.as_ref().map(|(id, _)| id.clone()))
    };
    let media = Arc::new(media::LocalStore {
        dir: config.uploads_dir.clone(),
    });
    let mut gate = flash::FlashGate::new(config.flash.clone());
    let mut reconciler = None;
    if let Some(url) = &config.flash.redis_url {
        let redis = Arc::new(
            flash::redis::RedisStock::connect(url, &config.flash.redis_prefix)
                .await
                .with_context(|| format!("connecting to Redis at {url}"))?,
        );
        gate = gate.with_redis(redis.clone());
        reconciler = Some(redis);
    }
    let state = AppState {
        flash: Arc::new(gate),
        sessions: Arc::new(members::sessions::SessionCache::new(
            config.session_cache_ms,
        )),
        rules: Arc::new(shop_rules::RulesCache::new(config.rules_cache_ms)),
        media,
        db,
        config: Arc::new(config),
        keys: Arc::new(keys),
        wechat: Arc::new(wechat),
        pay: Arc::new(pay),
        recs: Arc::new(recommend::Cache::new()),
    };
    let reconciler = reconciler.map(|redis| {
        let db = state.db.clone();
        tokio::spawn(async move { redis.run(db).await })
    });
    let expiry = {
        let state = state.clone();
        let every = Duration::from_secs(state.config.expiry_sweep_secs.max(1));
        tokio::spawn(async move { jobs::expiry::run(state, every).await })
    };
    let jobs = (state.config.jobs_every_secs > 0).then(|| {
        let state = state.clone();
        let every = Duration::from_secs(state.config.jobs_every_secs);
        tokio::spawn(async move { jobs::run(state, every).await })
    });
    if staff::ensure_owner(&state.db, &state.config.owner_password, db::now()).await? {
        // Printed once, when the account is made (also kept in the secrets file
        // unless MALL_OWNER_PASSWORD or configured secrets gave it).
        println!(
            "console: http://{addr}/admin/  username: owner  password: {}",
            state.config.owner_password
        );
    }
    let app = http::router(state.clone());
    let serve = tokio::spawn(async move { http::serve::serve(listener, app).await });
    tracing::info!(%addr, backend = ?state.db.backend, "storefront API listening");
    Ok(Server {
        addr,
        state,
        #[cfg(feature = "demo")]
        fake_wechat,
        serve,
        expiry,
        reconciler,
        jobs,
    })
}
