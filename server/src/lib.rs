//! mall-server: the storefront API on axum + sqlx. It prices every cart and
//! order with `mall_core::quote`, the same call the mini-program makes, so the
//! shopper is charged exactly the total they saw.

pub mod config;
pub mod crypto;
pub mod db;
pub mod expiry;
pub mod http;
pub mod order;
pub mod state;
pub mod wechat;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::task::JoinHandle;

use crate::config::{Config, WeChatApi};
use crate::crypto::Keyring;
use crate::db::Db;
use crate::state::AppState;
use crate::wechat::fake::FakeWeChat;
use crate::wechat::WeChatClient;

pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    /// The in-process fake WeChat API, when configured.
    pub fake_wechat: Option<FakeWeChat>,
    serve: JoinHandle<std::io::Result<()>>,
    expiry: JoinHandle<()>,
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
        Ok(())
    }

    pub fn stop(&self) {
        self.serve.abort();
        self.expiry.abort();
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
    let db = Db::connect(&config.database_url, config.db_max_connections).await?;
    db.migrate().await?;
    if config.seed_demo {
        db::seed::seed_demo_if_empty(&db).await?;
    }
    let fake_wechat = match &config.wechat_api {
        WeChatApi::Fake => Some(
            wechat::fake::spawn(&config.wechat_appid, &config.wechat_secret)
                .await
                .context("starting the fake WeChat API")?,
        ),
        WeChatApi::Url(_) => None,
    };
    let base = match (&config.wechat_api, &fake_wechat) {
        (WeChatApi::Url(u), _) => u.clone(),
        (WeChatApi::Fake, Some(f)) => f.url(),
        (WeChatApi::Fake, None) => unreachable!("fake started above"),
    };
    let wechat = WeChatClient::new(base, &config.wechat_appid, &config.wechat_secret);
    let keys = Keyring::new(&config.data_keys, &config.data_key_id)?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("binding {}", config.bind))?;
    let addr = listener.local_addr()?;
    let state = AppState {
        db,
        config: Arc::new(config),
        keys: Arc::new(keys),
        wechat: Arc::new(wechat),
    };
    let expiry = {
        let state = state.clone();
        let every = Duration::from_secs(state.config.expiry_sweep_secs.max(1));
        tokio::spawn(async move { expiry::run(state, every).await })
    };
    let app = http::router(state.clone());
    let serve = tokio::spawn(async move { axum::serve(listener, app).await });
    tracing::info!(%addr, backend = ?state.db.backend, "storefront API listening");
    Ok(Server {
        addr,
        state,
        fake_wechat,
        serve,
        expiry,
    })
}
