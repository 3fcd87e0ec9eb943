//! Configuration from the environment, with defaults that make `scripts/run.sh`
//! start a demo shop with nothing set. Secrets that are not given (data keys, the
//! merchant token) are generated once and kept in a local file next to the
//! database (`data/secrets.json`, never committed: the data dir gets its own
//! `.gitignore`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// Where the WeChat HTTP API is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WeChatApi {
    /// Start the bundled fake on a loopback port (demo and tests).
    Fake,
    /// A base URL such as `https://api.weixin.qq.com`.
    Url(String),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: String,
    pub db_max_connections: u32,
    pub wechat_api: WeChatApi,
    pub wechat_appid: String,
    pub wechat_secret: String,
    /// Data-encryption keys (AES-256) by key id; `data_key_id` encrypts new data.
    pub data_keys: BTreeMap<String, [u8; 32]>,
    pub data_key_id: String,
    pub merchant_token: String,
    pub session_ttl_secs: i64,
    /// Unpaid orders are cancelled (stock, coupons, points released) after this.
    pub order_ttl_secs: i64,
    pub expiry_sweep_secs: u64,
    pub seed_demo: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SecretsFile {
    data_key_id: String,
    data_keys: BTreeMap<String, String>,
    merchant_token: String,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_parse<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T> {
    match env(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| anyhow::anyhow!("{name}={v:?} is not valid")),
    }
}

pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

pub fn random_key() -> [u8; 32] {
    let mut k = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut k);
    k
}

pub fn parse_key(b64: &str) -> anyhow::Result<[u8; 32]> {
    let raw = B64.decode(b64.trim()).context("data key is not base64")?;
    raw.try_into()
        .map_err(|_| anyhow::anyhow!("a data key must be 32 bytes (AES-256)"))
}

/// `id1:base64,id2:base64`
fn parse_keys(s: &str) -> anyhow::Result<BTreeMap<String, [u8; 32]>> {
    let mut out = BTreeMap::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (id, key) = part
            .split_once(':')
            .context("MALL_DATA_KEYS entries are id:base64key")?;
        out.insert(id.to_string(), parse_key(key)?);
    }
    Ok(out)
}

impl Config {
    /// A configuration for tests and tools: fresh keys, the fake WeChat, port 0.
    pub fn for_tests(database_url: impl Into<String>) -> Config {
        let mut keys = BTreeMap::new();
        keys.insert("k1".to_string(), random_key());
        Config {
            bind: "127.0.0.1:0".parse().expect("literal address"),
            database_url: database_url.into(),
            db_max_connections: 8,
            wechat_api: WeChatApi::Fake,
            wechat_appid: "wx-test-app".into(),
            wechat_secret: "test-secret".into(),
            data_keys: keys,
            data_key_id: "k1".into(),
            merchant_token: random_token(24),
            session_ttl_secs: 7 * 24 * 3600,
            order_ttl_secs: 1800,
            expiry_sweep_secs: 30,
            seed_demo: true,
        }
    }

    /// Read the environment. Missing secrets come from (or are generated into)
    /// `MALL_SECRETS_FILE` (default `<data dir>/secrets.json`).
    pub fn from_env() -> anyhow::Result<Config> {
        let data_dir = PathBuf::from(env("MALL_DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = env("DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("mall.db").display()));
        let secrets_path = env("MALL_SECRETS_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("secrets.json"));
        let wechat_api = match env("WECHAT_API_BASE").as_deref() {
            None | Some("fake") => WeChatApi::Fake,
            Some(url) => WeChatApi::Url(url.trim_end_matches('/').to_string()),
        };
        let env_keys = env("MALL_DATA_KEYS").map(|s| parse_keys(&s)).transpose()?;
        let env_merchant = env("MALL_MERCHANT_TOKEN");
        let (data_keys, data_key_id, merchant_token) = match (env_keys, env_merchant) {
            (Some(keys), Some(token)) => {
                let id = env("MALL_DATA_KEY_ID")
                    .or_else(|| keys.keys().next_back().cloned())
                    .context("MALL_DATA_KEYS is empty")?;
                (keys, id, token)
            }
            (keys, token) => {
                let file = load_or_create_secrets(&secrets_path)?;
                let mut all = parse_keys(
                    &file
                        .data_keys
                        .iter()
                        .map(|(k, v)| format!("{k}:{v}"))
                        .collect::<Vec<_>>()
                        .join(","),
                )?;
                let mut id = file.data_key_id;
                if let Some(keys) = keys {
                    all.extend(keys);
                    if let Some(k) = env("MALL_DATA_KEY_ID") {
                        id = k;
                    }
                }
                (all, id, token.unwrap_or(file.merchant_token))
            }
        };
        if !data_keys.contains_key(&data_key_id) {
            bail!("MALL_DATA_KEY_ID {data_key_id} is not among the data keys");
        }
        Ok(Config {
            bind: env_parse("MALL_BIND", "127.0.0.1:8080".parse()?)?,
            database_url,
            db_max_connections: env_parse("MALL_DB_MAX_CONNECTIONS", 10)?,
            wechat_api,
            wechat_appid: env("WECHAT_APPID").unwrap_or_else(|| "wx-demo-app".into()),
            wechat_secret: env("WECHAT_SECRET").unwrap_or_else(|| "demo-secret".into()),
            data_keys,
            data_key_id,
            merchant_token,
            session_ttl_secs: env_parse("MALL_SESSION_TTL_SECS", 7 * 24 * 3600)?,
            order_ttl_secs: env_parse("MALL_ORDER_TTL_SECS", 1800)?,
            expiry_sweep_secs: env_parse("MALL_EXPIRY_SWEEP_SECS", 30)?,
            seed_demo: env_parse("MALL_SEED_DEMO", true)?,
        })
    }
}

fn load_or_create_secrets(path: &Path) -> anyhow::Result<SecretsFile> {
    if path.exists() {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        return serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(&ignore, "# local data: database and generated secrets\n*\n")?;
    }
    let mut keys = BTreeMap::new();
    keys.insert("k1".to_string(), B64.encode(random_key()));
    let file = SecretsFile {
        data_key_id: "k1".into(),
        data_keys: keys,
        merchant_token: random_token(24),
    };
    std::fs::write(path, serde_json::to_string_pretty(&file)?)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    tracing::info!(path = %path.display(), "generated data key and merchant token");
    Ok(file)
}
