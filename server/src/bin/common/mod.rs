//! What the benchmark binaries share: one JSON POST with an optional bearer
//! token, answering (status, body), only the fields a caller reads, or no
//! body at all (`Prefer: return=minimal`).
#![allow(dead_code)] // each benchmark binary uses its own part

pub mod process;

use std::time::Duration;

use anyhow::bail;
use serde_json::Value;

use process::ServerProcess;

/// How long the load client waits for one answer. A run overruns its
/// duration by at most one checkout per worker, each of its calls bounded by
/// this, whatever the server does (a call that times out ends the checkout).
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// The load client: `idle` kept-alive connections, and no answer awaited
/// longer than [`ANSWER_TIMEOUT`] (a stuck request fails, counted as such).
pub fn client(idle: usize) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(idle)
        .timeout(ANSWER_TIMEOUT)
        .build()
}

pub async fn post(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: &Value,
) -> anyhow::Result<(u16, Value)> {
    let res = request(http, url, token, body).send().await?;
    let status = res.status().as_u16();
    Ok((status, res.json().await.unwrap_or(Value::Null)))
}

/// A JSON POST whose answer must have `status`; only the fields of `T` are
/// read from it (the load client parses no more than it uses: its CPU is
/// on the machine under test). Any other status fails with the answer.
pub async fn post_for<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: &Value,
    status: u16,
) -> anyhow::Result<T> {
    let bytes = answer(request(http, url, token, body), url, status).await?;
    Ok(serde_json::from_slice(&bytes)?)
}

/// A JSON POST asking for no answer body (`Prefer: return=minimal`, as the
/// mini-program's product page adds to the cart); it must answer 204.
pub async fn post_minimal(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: &Value,
) -> anyhow::Result<()> {
    let rb = request(http, url, token, body).header("prefer", "return=minimal");
    answer(rb, url, 204).await.map(drop)
}

/// The answer's body, which must come with `status`; any other fails with it.
async fn answer(
    rb: reqwest::RequestBuilder,
    url: &str,
    status: u16,
) -> anyhow::Result<axum::body::Bytes> {
    let res = rb.send().await?;
    let got = res.status().as_u16();
    let bytes = res.bytes().await?;
    if got != status {
        bail!("{url}: {got} {}", String::from_utf8_lossy(&bytes));
    }
    Ok(bytes)
}

fn request(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: &Value,
) -> reqwest::RequestBuilder {
    let rb = http.post(url).json(body);
    match token {
        Some(t) => rb.bearer_auth(t),
        None => rb,
    }
}

/// Wait (up to a minute) until the server at `base` answers /health.
pub async fn wait_healthy(http: &reqwest::Client, base: &str) {
    for _ in 0..600 {
        if http.get(format!("{base}/health")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A merchant API call (the `X-Merchant-Token` credential); its JSON answer.
pub async fn merchant(
    http: &reqwest::Client,
    s: &ServerProcess,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let res = http
        .request(method, format!("{}{path}", s.base))
        .header("x-merchant-token", &s.merchant_token)
        .json(&body)
        .send()
        .await?;
    let status = res.status();
    let v: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("{path}: {status} {v}");
    }
    Ok(v)
}

/// Give a SKU more stock than any run can sell (the merchant's stock call).
pub async fn unlimited_stock(
    http: &reqwest::Client,
    s: &ServerProcess,
    sku: i64,
) -> anyhow::Result<()> {
    merchant(
        http,
        s,
        reqwest::Method::PUT,
        &format!("/api/merchant/skus/{sku}/stock"),
        serde_json::json!({"stock": 1_000_000_000}),
    )
    .await?;
    Ok(())
}

/// Pay a prepay at the fake WeChat Pay (what `wx.requestPayment` leads to);
/// fails unless the server answered the signed notification with 204.
pub async fn pay_at_fake(
    http: &reqwest::Client,
    s: &ServerProcess,
    prepay_id: &str,
) -> anyhow::Result<()> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Confirmed {
        notify_status: u16,
    }
    let c: Confirmed = post_for(
        http,
        &format!("{}/fake/pay/confirm", s.fake),
        None,
        &serde_json::json!({ "prepayId": prepay_id }),
        200,
    )
    .await?;
    if c.notify_status != 204 {
        bail!("pay: the notification was answered {}", c.notify_status);
    }
    Ok(())
}
