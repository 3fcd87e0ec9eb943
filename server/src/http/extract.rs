//! Extractors whose rejections use the API's error shape: malformed JSON,
//! unknown fields, bad query strings and bad path ids are `INVALID_INPUT`.
//! `AuthUser` resolves our session token; `Merchant` checks the merchant token.

use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use crate::crypto::sha256_hex;
use crate::db;
use crate::http::error::ApiError;
use crate::state::AppState;

pub struct ApiJson<T>(pub T);

/// `application/json` or `application/…+json`, parameters allowed.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Every JSON body of this API is an object: an array or a scalar is refused
/// before serde sees it (derived structs would otherwise accept `[1, 1]`).
impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::invalid(
                "content-type",
                "Expected request with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge {
                    limit: crate::http::body::MAX_BODY,
                }
            } else {
                ApiError::invalid("body", e.body_text())
            }
        })?;
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::invalid("body", "a JSON object"));
        }
        // JSON has one number type: `2.0` is the integer 2 (as JSON Schema and
        // the OpenAPI document read it), which serde would refuse for an i64.
        let bytes = whole_numbers_as_integers(&bytes).map_or(bytes, Bytes::from);
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(e) => Err(ApiError::invalid("body", e.body_text())),
        }
    }
}

/// `body` with every number written `<digits>.0…` (no exponent) outside
/// strings spelt without its zero fraction; `None` when there is none.
fn whole_numbers_as_integers(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len());
    let (mut in_string, mut escaped, mut changed) = (false, false, false);
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
        } else if c == b'"' {
            in_string = true;
        } else if c == b'.' && i > 0 && body[i - 1].is_ascii_digit() {
            let mut j = i + 1;
            while body.get(j) == Some(&b'0') {
                j += 1;
            }
            if j > i + 1 && !matches!(body.get(j), Some(b'0'..=b'9' | b'e' | b'E')) {
                changed = true;
                i = j;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::prefers_minimal;
    use super::whole_numbers_as_integers as whole;

    #[test]
    fn return_minimal_is_found_among_preferences() {
        for yes in [
            "return=minimal",
            "Return=Minimal",
            "respond-async, return=minimal",
            "return = \"minimal\"; foo=bar",
            "wait=10,return=minimal",
        ] {
            assert!(prefers_minimal(yes), "{yes}");
        }
        for no in [
            "",
            "return=representation",
            "return",
            "minimal",
            "return=minimalist",
            "x-return=minimal",
            "handling=lenient; return=minimal",
        ] {
            assert!(!prefers_minimal(no), "{no}");
        }
    }

    #[test]
    fn zero_fractions_are_dropped_outside_strings_only() {
        let w = |s: &str| whole(s.as_bytes()).map(|v| String::from_utf8(v).unwrap());
        assert_eq!(
            w(r#"{"a": 2.0, "b": [-7.00]}"#).as_deref(),
            Some(r#"{"a": 2, "b": [-7]}"#)
        );
        assert_eq!(w(r#"{"a": 2.5, "b": 1.0e3, "c": 0.05}"#), None);
        assert_eq!(w(r#"{"a": "2.0", "b": "\"3.0"}"#), None);
        assert_eq!(
            w(r#"{"a": 1903183007609887.0}"#).as_deref(),
            Some(r#"{"a": 1903183007609887}"#)
        );
    }
}

pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| ApiError::invalid("query", e.body_text()))
    }
}

pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e: PathRejection| ApiError::invalid("path", e.body_text()))
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The signed-in shopper.
#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    pub user_id: i64,
}

impl AuthUser {
    /// The session `token` belongs to, if it is live.
    pub async fn resolve(state: &AppState, token: &str) -> Result<AuthUser, ApiError> {
        let (hash, now) = (sha256_hex(token), db::now());
        if let Some(user_id) = state.sessions.get(&hash, now) {
            return Ok(AuthUser { user_id });
        }
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT user_id, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(&hash)
        .bind(now)
        .fetch_optional(&state.db.pool)
        .await?;
        let (user_id, expires_at) = row.ok_or(ApiError::Unauthorized)?;
        state.sessions.put(&hash, user_id, expires_at);
        Ok(AuthUser { user_id })
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or(ApiError::Unauthorized)?;
        AuthUser::resolve(state, token).await
    }
}

/// A session token, present but not yet looked up (a handler that can refuse
/// from memory does so before reading the session; see `flash::gate`).
pub struct Bearer(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        bearer(parts)
            .filter(|t| !t.is_empty())
            .map(|t| Bearer(t.to_string()))
            .ok_or(ApiError::Unauthorized)
    }
}

/// The shopper when signed in (search history), nobody otherwise: a missing
/// or expired token on a public endpoint is simply anonymous.
pub struct MaybeUser(pub Option<AuthUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if bearer(parts).is_none() {
            return Ok(MaybeUser(None));
        }
        match AuthUser::from_request_parts(parts, state).await {
            Ok(u) => Ok(MaybeUser(Some(u))),
            Err(ApiError::Unauthorized) => Ok(MaybeUser(None)),
            Err(e) => Err(e),
        }
    }
}

/// Whether the caller asked for no representation of what it wrote (RFC 7240
/// `Prefer: return=minimal`): the product page adds to the cart and shows a
/// toast, so it need not be sent the whole priced cart. Any other preference,
/// or none, is the full answer; a preference a route does not know is
/// ignored, as RFC 7240 asks.
pub struct PreferMinimal(pub bool);

/// The header a [`PreferMinimal`] answer carries.
pub const PREFERENCE_APPLIED: (&str, &str) = ("preference-applied", "return=minimal");

/// `return=minimal` among a `Prefer` header's comma-separated preferences
/// (parameters after `;` and quotes around the value allowed; the name and
/// value compared ignoring case).
fn prefers_minimal(value: &str) -> bool {
    value.split(',').any(|p| {
        let pref = p.split(';').next().unwrap_or("");
        let Some((name, value)) = pref.split_once('=') else {
            return false;
        };
        name.trim().eq_ignore_ascii_case("return")
            && value
                .trim()
                .trim_matches('"')
                .eq_ignore_ascii_case("minimal")
    })
}

impl<S: Send + Sync> FromRequestParts<S> for PreferMinimal {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PreferMinimal(
            parts
                .headers
                .get_all("prefer")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(prefers_minimal),
        ))
    }
}

/// A caller holding the merchant credential (`X-Merchant-Token`).
pub struct Merchant;

pub const MERCHANT_HEADER: &str = "x-merchant-token";

impl FromRequestParts<AppState> for Merchant {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let given = parts
            .headers
            .get(MERCHANT_HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::MerchantOnly)?;
        // Compare digests, so the comparison time says nothing about the token.
        if sha256_hex(given) == sha256_hex(&state.config.merchant_token) {
            Ok(Merchant)
        } else {
            Err(ApiError::MerchantOnly)
        }
    }
}
