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
    /// The demo seed also switches the three member campaigns on, with their
    /// member-only coupons and a few 黄金/钻石 demo members for them to reach
    /// (`MALL_DEMO_CAMPAIGNS`, default on; off in the in-process tests).
    pub demo_campaigns: bool,
    pub pay: PayConfig,
    /// Shipped orders are confirmed received after this many days.
    pub auto_confirm_days: i64,
    /// How often the background jobs run (settle unpaid orders by query,
    /// auto-confirm, refund retries, subscription-message outbox); 0 = never
    /// (tests call each job with their own `now`).
    pub jobs_every_secs: u64,
    /// Subscription-message template ids by event (paid, shipped, refund, couponExpiring).
    pub templates: BTreeMap<String, String>,
    /// The console owner's password, used once: when the database has no staff
    /// yet, the account `owner` is created with it (`MALL_OWNER_PASSWORD`, or
    /// generated into the secrets file).
    pub owner_password: String,
    /// Start the shop's clock at this unix second (`MALL_CLOCK_START`, demo
    /// builds only: the browser tests pin their seeds to a known instant).
    pub clock_start: Option<i64>,
    /// Where uploaded images are kept (`MALL_UPLOADS_DIR`, default `<data dir>/uploads`).
    pub uploads_dir: PathBuf,
    /// The mini-program version 小程序码 open (`WECHAT_CODE_ENV`: release,
    /// trial or develop; default release).
    pub code_env_version: String,
    /// Flash-sale admission (`MALL_FLASH_*`).
    pub flash: crate::flash::FlashConfig,
    /// How long a session lookup is remembered (`MALL_SESSION_CACHE_MS`,
    /// default 1000, 0 = never; `members::sessions`).
    pub session_cache_ms: u64,
    /// How long the cart page and the quote keep the shop's rules
    /// (`MALL_RULES_CACHE_MS`, default 1000, 0 = never; `shop_rules::cache`).
    pub rules_cache_ms: u64,
}

/// WeChat Pay v3, merchant side. Demo and tests: generated keys and the fake.
#[derive(Debug, Clone)]
pub struct PayConfig {
    pub mchid: String,
    pub merchant_serial: String,
    /// The merchant's API key (`apiclient_key.pem`, PKCS#8).
    pub merchant_key_pem: String,
    /// Platform certificates (PEM); each is selected by its serial.
    pub platform_cert_pems: Vec<String>,
    /// The WeChat Pay public key: (`PUB_KEY_ID_…`, SPKI PEM).
    pub public_key: Option<(String, String)>,
    /// The 32-character APIv3 key.
    pub api_v3_key: String,
    /// Default: `http://<bind address>/api/pay/notify` (and `/api/pay/refund-notify`).
    pub notify_url: Option<String>,
    pub refund_notify_url: Option<String>,
    /// Where 商家转账 results go (`WECHATPAY_TRANSFER_NOTIFY_URL`, optional).
    /// Default: the notify URL's sibling, its last segment replaced by
    /// `transfer-notify`.
    pub transfer_notify_url: Option<String>,
    /// `Fake` serves WeChat Pay from the fake WeChat API; else e.g. `https://api.mch.weixin.qq.com`.
    pub api: WeChatApi,
    /// WeChat's side of the demo keys, for the fake.
    pub fake_keys: Option<crate::wechat::pay::keys::DemoPayKeys>,
}

impl PayConfig {
    pub fn demo(keys: crate::wechat::pay::keys::DemoPayKeys, api: WeChatApi) -> PayConfig {
        PayConfig {
            mchid: keys.mchid.clone(),
            merchant_serial: keys.merchant_serial.clone(),
            merchant_key_pem: keys.merchant_key_pem.clone(),
            platform_cert_pems: vec![keys.platform_cert_pem.clone()],
            public_key: Some((keys.public_key_id.clone(), keys.public_key_pem.clone())),
            api_v3_key: keys.api_v3_key.clone(),
            notify_url: None,
            refund_notify_url: None,
            transfer_notify_url: None,
            fake_keys: (api == WeChatApi::Fake).then_some(keys),
            api,
        }
    }
}

pub fn default_templates() -> BTreeMap<String, String> {
    [
        ("paid", "tmpl-order-paid"),
        ("shipped", "tmpl-order-shipped"),
        ("refund", "tmpl-refund-result"),
        ("couponExpiring", "tmpl-coupon-expiring"),
        ("group", "tmpl-group-result"),
        ("couponGranted", "tmpl-coupon-granted"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SecretsFile {
    data_key_id: String,
    data_keys: BTreeMap<String, String>,
    merchant_token: String,
    /// Demo WeChat Pay keys (both sides), generated on first start.
    #[serde(default)]
    pay: Option<crate::wechat::pay::keys::DemoPayKeys>,
    /// The console owner's first password (the account `owner`).
    #[serde(default)]
    owner_password: Option<String>,
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

/// Threads of the server's async runtime: `MALL_WORKER_THREADS` (1–256), else
/// [`default_worker_threads`] for this machine and the configured database.
pub fn worker_threads(c: &Config) -> anyhow::Result<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let sqlite = c.database_url.starts_with("sqlite:");
    let n = env_parse("MALL_WORKER_THREADS", default_worker_threads(cores, sqlite))?;
    anyhow::ensure!(
        (1..=256).contains(&n),
        "MALL_WORKER_THREADS={n} is not between 1 and 256"
    );
    Ok(n)
}

/// On SQLite the statements run on sqlx's own thread per connection, beside
/// the runtime: one core is left to them (`mall-checkout-bench` on 2 cores,
/// 16 workers: 277 checkouts/s at 3.44 ms of server CPU each with one runtime
/// thread against 244–255 at 3.74–3.90 ms with two). PostgreSQL's driver
/// runs on the runtime itself, which then takes every core (one thread there
/// measured 213–220 checkouts/s against 244–260).
pub fn default_worker_threads(cores: usize, sqlite: bool) -> usize {
    if sqlite {
        cores.saturating_sub(1).max(1)
    } else {
        cores.max(1)
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

/// The owner's password in [`Config::for_tests`].
#[cfg(feature = "demo")]
pub const TEST_OWNER_PASSWORD: &str = "owner-test-password";

impl Config {
    /// A configuration for tests and tools: fresh keys, the fake WeChat, port 0.
    #[cfg(feature = "demo")]
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
            demo_campaigns: false,
            pay: PayConfig::demo(
                crate::wechat::pay::keys::DemoPayKeys::for_tests(),
                WeChatApi::Fake,
            ),
            auto_confirm_days: 7,
            jobs_every_secs: 0,
            templates: default_templates(),
            owner_password: TEST_OWNER_PASSWORD.into(),
            clock_start: None,
            uploads_dir: std::env::temp_dir().join(format!("mall-uploads-{}", random_token(6))),
            code_env_version: "release".into(),
            flash: crate::flash::FlashConfig::defaults(),
            session_cache_ms: 1000,
            rules_cache_ms: 1000,
        }
    }

    /// Read the environment. Missing secrets come from (or are generated into)
    /// `MALL_SECRETS_FILE` (default `<data dir>/secrets.json`).
    pub fn from_env() -> anyhow::Result<Config> {
        check_production_settings()?;
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
        let real_pay = env("WECHATPAY_MCHID").is_some();
        let (data_keys, data_key_id, merchant_token, mut demo_pay, file_owner) =
            match (env_keys, env_merchant) {
                (Some(keys), Some(token)) => {
                    let id = env("MALL_DATA_KEY_ID")
                        .or_else(|| keys.keys().next_back().cloned())
                        .context("MALL_DATA_KEYS is empty")?;
                    (keys, id, token, None, None)
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
                    (
                        all,
                        id,
                        token.unwrap_or(file.merchant_token),
                        file.pay,
                        file.owner_password,
                    )
                }
            };
        // Configured secrets (no file): a generated owner password is printed
        // once, when the account is created.
        let owner_password = env("MALL_OWNER_PASSWORD")
            .or(file_owner)
            .unwrap_or_else(|| random_token(12));
        let clock_start = if cfg!(feature = "demo") {
            env("MALL_CLOCK_START")
                .map(|v| v.parse::<i64>().context("MALL_CLOCK_START is unix seconds"))
                .transpose()?
        } else {
            None
        };
        if demo_pay.is_none() && !real_pay {
            demo_pay = load_or_create_secrets(&secrets_path)?.pay;
        }
        if !data_keys.contains_key(&data_key_id) {
            bail!("MALL_DATA_KEY_ID {data_key_id} is not among the data keys");
        }
        let db_max_connections = env_parse(
            "MALL_DB_MAX_CONNECTIONS",
            default_db_connections(&database_url),
        )?;
        let flash = {
            let d = crate::flash::FlashConfig::defaults();
            crate::flash::FlashConfig {
                max_in_flight: env_parse("MALL_FLASH_MAX_IN_FLIGHT", d.max_in_flight)?,
                rate_per_sec: env_parse("MALL_FLASH_RATE", d.rate_per_sec)?,
                user_burst: env_parse("MALL_FLASH_USER_BURST", d.user_burst)?,
                user_per_sec: env_parse("MALL_FLASH_USER_RATE", d.user_per_sec)?,
                recheck_ms: env_parse("MALL_FLASH_RECHECK_MS", d.recheck_ms)?,
                activity_ttl_ms: env_parse("MALL_FLASH_ACTIVITY_TTL_MS", d.activity_ttl_ms)?,
                redis_url: env("REDIS_URL").filter(|u| !u.is_empty()),
                redis_prefix: env("MALL_REDIS_PREFIX").unwrap_or(d.redis_prefix),
            }
        };
        Ok(Config {
            flash,
            session_cache_ms: env_parse("MALL_SESSION_CACHE_MS", 1000)?,
            rules_cache_ms: env_parse("MALL_RULES_CACHE_MS", 1000)?,
            bind: env_parse("MALL_BIND", "127.0.0.1:8080".parse()?)?,
            database_url,
            db_max_connections,
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
            demo_campaigns: env_parse("MALL_DEMO_CAMPAIGNS", true)?,
            pay: pay_from_env(demo_pay)?,
            auto_confirm_days: env_parse("MALL_AUTO_CONFIRM_DAYS", 7)?,
            jobs_every_secs: env_parse("MALL_JOBS_EVERY_SECS", 30)?,
            owner_password,
            clock_start,
            uploads_dir: env("MALL_UPLOADS_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("uploads")),
            code_env_version: match env("WECHAT_CODE_ENV").as_deref() {
                None => "release".into(),
                Some(v @ ("release" | "trial" | "develop")) => v.to_string(),
                Some(other) => {
                    anyhow::bail!("WECHAT_CODE_ENV must be release, trial or develop, not {other}")
                }
            },
            templates: {
                let mut t = default_templates();
                for (k, var) in [
                    ("paid", "WECHAT_TMPL_PAID"),
                    ("shipped", "WECHAT_TMPL_SHIPPED"),
                    ("refund", "WECHAT_TMPL_REFUND"),
                    ("couponExpiring", "WECHAT_TMPL_COUPON_EXPIRING"),
                    ("group", "WECHAT_TMPL_GROUP"),
                    ("couponGranted", "WECHAT_TMPL_COUPON_GRANTED"),
                ] {
                    if let Some(v) = env(var) {
                        t.insert(k.to_string(), v);
                    }
                }
                t
            },
        })
    }
}

/// A real merchant's notification URLs are the public `https://` addresses
/// WeChat Pay calls (it refuses anything else); the loopback defaults of the
/// demo would never receive a payment. The transfer URL is optional (its
/// default derives from the payment one) but, when set, held to the same rule.
fn check_notify_urls(pay: &PayConfig) -> anyhow::Result<()> {
    for (var, url, required) in [
        ("WECHATPAY_NOTIFY_URL", &pay.notify_url, true),
        ("WECHATPAY_REFUND_NOTIFY_URL", &pay.refund_notify_url, true),
        (
            "WECHATPAY_TRANSFER_NOTIFY_URL",
            &pay.transfer_notify_url,
            false,
        ),
    ] {
        match url {
            None if required => bail!("{var} is required with WECHATPAY_MCHID: the public https:// URL WeChat Pay notifies"),
            None => {}
            Some(u) if !u.starts_with("https://") => {
                bail!("{var} must be an https:// URL (WeChat Pay only notifies https), not {u}")
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn read(path: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {path}"))
}

/// A real merchant sets `WECHATPAY_MCHID` and its keys; otherwise the demo keys
/// (generated into the secrets file) and the fake WeChat Pay.
fn pay_from_env(demo: Option<crate::wechat::pay::keys::DemoPayKeys>) -> anyhow::Result<PayConfig> {
    let api = match env("WECHATPAY_API_BASE").as_deref() {
        None | Some("fake") => WeChatApi::Fake,
        Some(url) => WeChatApi::Url(url.trim_end_matches('/').to_string()),
    };
    let mut pay = match env("WECHATPAY_MCHID") {
        Some(mchid) => {
            let need =
                |v: &str| env(v).with_context(|| format!("{v} is required with WECHATPAY_MCHID"));
            let public_key = match (
                env("WECHATPAY_PUBLIC_KEY_ID"),
                env("WECHATPAY_PUBLIC_KEY_PATH"),
            ) {
                (Some(id), Some(path)) => Some((id, read(&path)?)),
                (None, None) => None,
                _ => bail!("WECHATPAY_PUBLIC_KEY_ID and WECHATPAY_PUBLIC_KEY_PATH go together"),
            };
            let certs = env("WECHATPAY_PLATFORM_CERT_PATHS")
                .map(|s| {
                    s.split(',')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(read)
                        .collect::<anyhow::Result<Vec<_>>>()
                })
                .transpose()?
                .unwrap_or_default();
            if certs.is_empty() && public_key.is_none() {
                bail!(
                    "configure WECHATPAY_PLATFORM_CERT_PATHS and/or WECHATPAY_PUBLIC_KEY_ID/_PATH"
                );
            }
            PayConfig {
                mchid,
                merchant_serial: need("WECHATPAY_MERCHANT_SERIAL")?,
                merchant_key_pem: read(&need("WECHATPAY_MERCHANT_KEY_PATH")?)?,
                platform_cert_pems: certs,
                public_key,
                api_v3_key: need("WECHATPAY_API_V3_KEY")?,
                notify_url: None,
                refund_notify_url: None,
                transfer_notify_url: None,
                api,
                fake_keys: None,
            }
        }
        None => PayConfig::demo(
            demo.context("the secrets file has no demo WeChat Pay keys")?,
            api,
        ),
    };
    pay.notify_url = env("WECHATPAY_NOTIFY_URL");
    pay.refund_notify_url = env("WECHATPAY_REFUND_NOTIFY_URL");
    pay.transfer_notify_url = env("WECHATPAY_TRANSFER_NOTIFY_URL");
    if env("WECHATPAY_MCHID").is_some() {
        check_notify_urls(&pay)?;
    }
    if pay.api_v3_key.len() != 32 {
        bail!("the APIv3 key must be 32 characters");
    }
    Ok(pay)
}

/// Both sides' WeChat Pay keys for demo mode; a build without the `demo`
/// feature has none (and no fake to use them).
#[cfg(feature = "demo")]
fn generate_demo_keys() -> anyhow::Result<Option<crate::wechat::pay::keys::DemoPayKeys>> {
    Ok(Some(crate::wechat::pay::keys::DemoPayKeys::generate(
        "1900000109",
    )?))
}

#[cfg(not(feature = "demo"))]
fn generate_demo_keys() -> anyhow::Result<Option<crate::wechat::pay::keys::DemoPayKeys>> {
    Ok(None)
}

/// What a build without demo mode needs before it starts.
pub const PRODUCTION_SETTINGS: &str = "WECHAT_API_BASE (https://api.weixin.qq.com), WECHAT_APPID, \
WECHAT_SECRET, WECHATPAY_API_BASE (https://api.mch.weixin.qq.com), WECHATPAY_MCHID with \
WECHATPAY_MERCHANT_SERIAL, WECHATPAY_MERCHANT_KEY_PATH, WECHATPAY_API_V3_KEY, \
WECHATPAY_PLATFORM_CERT_PATHS and/or WECHATPAY_PUBLIC_KEY_ID/_PATH, WECHATPAY_NOTIFY_URL, \
WECHATPAY_REFUND_NOTIFY_URL";

/// Without the `demo` feature there is no fake: every WeChat setting must
/// point at WeChat.
fn check_production_settings() -> anyhow::Result<()> {
    if cfg!(feature = "demo") {
        return Ok(());
    }
    let missing: Vec<&str> = [
        "WECHAT_API_BASE",
        "WECHAT_APPID",
        "WECHAT_SECRET",
        "WECHATPAY_API_BASE",
        "WECHATPAY_MCHID",
    ]
    .into_iter()
    .filter(|v| env(v).is_none_or(|x| x == "fake"))
    .collect();
    if !missing.is_empty() {
        bail!(
            "this build has no demo mode (built without the `demo` feature; scripts/run.sh builds the demo) \
             and these WeChat settings are missing: {}. A production server needs: {PRODUCTION_SETTINGS}",
            missing.join(", ")
        );
    }
    Ok(())
}

fn load_or_create_secrets(path: &Path) -> anyhow::Result<SecretsFile> {
    if path.exists() {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut file: SecretsFile =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        if file.owner_password.is_none() {
            // A secrets file from before the console: add the owner's password once.
            file.owner_password = Some(random_token(12));
            write_secrets(path, &file)?;
        }
        if file.pay.is_none() {
            // A secrets file from before WeChat Pay: add the demo pay keys once.
            file.pay = generate_demo_keys()?;
            if file.pay.is_some() {
                write_secrets(path, &file)?;
                tracing::info!(path = %path.display(), "generated demo WeChat Pay keys");
            }
        }
        return Ok(file);
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
        pay: generate_demo_keys()?,
        owner_password: Some(random_token(12)),
    };
    write_secrets(path, &file)?;
    tracing::info!(path = %path.display(), "generated data key, merchant token and demo WeChat Pay keys");
    Ok(file)
}

fn write_secrets(path: &Path, file: &SecretsFile) -> anyhow::Result<()> {
    std::fs::write(path, serde_json::to_string_pretty(file)?)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// Pool size when `MALL_DB_MAX_CONNECTIONS` is not set, from this machine's
/// cores (see [`db_connections_for`]).
pub fn default_db_connections(database_url: &str) -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
    db_connections_for(cores, database_url.starts_with("sqlite:"))
}

/// SQLite has one writer (the rest only read) and every statement crosses to
/// its connection's own thread, so more connections than twice the cores only
/// add thread switches (checkout benchmark, 2 cores, 16 workers: 183
/// checkouts/s and 5.6 ms of server CPU each with 10 connections, 210/s and
/// 4.7 ms with 3 or 4). PostgreSQL runs a process per connection: past a few
/// per core they contend for the same cores rather than add work done (same
/// benchmark with PostgreSQL on the machine: 316–328 checkouts/s with 10
/// connections, 348–371 with 4, 356–361 with 6, 329–338 with 3); two more
/// than SQLite's leave room for a database a network hop away.
pub fn db_connections_for(cores: u32, sqlite: bool) -> u32 {
    if sqlite {
        (2 * cores).clamp(4, 16)
    } else {
        (2 * cores + 2).clamp(6, 32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_leaves_a_core_to_its_connection_threads_and_postgresql_takes_all() {
        assert_eq!(default_worker_threads(1, true), 1);
        assert_eq!(default_worker_threads(2, true), 1);
        assert_eq!(default_worker_threads(8, true), 7);
        assert_eq!(default_worker_threads(2, false), 2);
        assert_eq!(default_worker_threads(0, false), 1);
    }

    #[test]
    fn pools_follow_the_cores() {
        for (cores, sqlite, postgres) in [(1, 4, 6), (2, 4, 6), (4, 8, 10), (64, 16, 32)] {
            assert_eq!(db_connections_for(cores, true), sqlite, "{cores} cores");
            assert_eq!(db_connections_for(cores, false), postgres, "{cores} cores");
        }
        let n = default_db_connections("sqlite://data/mall.db");
        assert!((4..=16).contains(&n), "{n}");
        let n = default_db_connections("postgres://u@h/db");
        assert!((6..=32).contains(&n), "{n}");
    }

    #[test]
    #[cfg(feature = "demo")]
    fn a_real_merchant_needs_https_notification_urls() {
        let mut pay = PayConfig::demo(
            crate::wechat::pay::keys::DemoPayKeys::for_tests(),
            WeChatApi::Fake,
        );
        let err = check_notify_urls(&pay).unwrap_err().to_string();
        assert!(err.contains("WECHATPAY_NOTIFY_URL is required"), "{err}");
        pay.notify_url = Some("http://shop.example.com/api/pay/notify".into());
        pay.refund_notify_url = Some("https://shop.example.com/api/pay/refund-notify".into());
        let err = check_notify_urls(&pay).unwrap_err().to_string();
        assert!(err.contains("must be an https:// URL"), "{err}");
        pay.notify_url = Some("https://shop.example.com/api/pay/notify".into());
        check_notify_urls(&pay).unwrap();
    }

    /// WECHATPAY_TRANSFER_NOTIFY_URL is optional; when set it is https:// like
    /// the others, and the pay client sends it instead of the derived one.
    #[test]
    #[cfg(feature = "demo")]
    fn the_transfer_notification_url_is_optional_https_and_replaces_the_derived_one() {
        let mut pay = PayConfig::demo(
            crate::wechat::pay::keys::DemoPayKeys::for_tests(),
            WeChatApi::Fake,
        );
        pay.notify_url = Some("https://shop.example.com/api/pay/notify".into());
        pay.refund_notify_url = Some("https://shop.example.com/api/pay/refund-notify".into());
        check_notify_urls(&pay).unwrap();
        pay.transfer_notify_url = Some("http://payouts.example.com/transfer".into());
        let err = check_notify_urls(&pay).unwrap_err().to_string();
        assert!(
            err.contains("WECHATPAY_TRANSFER_NOTIFY_URL must be an https:// URL"),
            "{err}"
        );
        pay.transfer_notify_url = Some("https://payouts.example.com/transfer".into());
        check_notify_urls(&pay).unwrap();

        let client = |transfer: Option<String>| {
            let keys = crate::wechat::pay::keys::DemoPayKeys::for_tests();
            crate::wechat::pay::client::PayClient::new(
                "https://api.mch.weixin.qq.com".into(),
                "wxappid",
                crate::wechat::pay::sign::MerchantSigner::new(
                    &keys.mchid,
                    &keys.merchant_serial,
                    &keys.merchant_key_pem,
                )
                .unwrap(),
                crate::wechat::pay::verify::PlatformVerifier::new(),
                &keys.api_v3_key,
                "https://shop.example.com/api/pay/notify".into(),
                "https://shop.example.com/api/pay/refund-notify".into(),
            )
            .with_transfer_notify_url(transfer)
        };
        assert_eq!(
            client(None).transfer_notify_url,
            "https://shop.example.com/api/pay/transfer-notify"
        );
        assert_eq!(
            client(pay.transfer_notify_url.clone()).transfer_notify_url,
            "https://payouts.example.com/transfer"
        );
    }
}
