//! What the benchmark binaries share: one JSON POST with an optional bearer
//! token, answering (status, body).

pub mod process;

use serde_json::Value;

pub async fn post(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: &Value,
) -> anyhow::Result<(u16, Value)> {
    let mut rb = http.post(url).json(body);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    let res = rb.send().await?;
    let status = res.status().as_u16();
    Ok((status, res.json().await.unwrap_or(Value::Null)))
}
