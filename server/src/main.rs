//! `mall-server`: the storefront API. Configuration is the environment (see
//! server/README.md); with nothing set it starts the demo shop on
//! http://127.0.0.1:8080 with an embedded SQLite file.

fn main() -> anyhow::Result<()> {
    mall_server::init_tracing();
    let config = mall_server::config::Config::from_env()?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(mall_server::config::worker_threads(&config)?)
        .enable_all()
        .build()?
        .block_on(async {
            let server = mall_server::start(config).await?;
            server.wait_for_shutdown().await
        })
}
