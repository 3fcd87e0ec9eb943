//! Every request body is read in full, up to [`MAX_BODY`] bytes, before any
//! handler or credential check runs. A request refused early (401, 403, 404)
//! has then still been consumed, so the client's keep-alive connection stays
//! usable; a larger body is answered 413 in the error shape with
//! `connection: close` (the rest of it is never read).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::error::ApiError;

/// The largest request body, JSON or WeChat Pay notification.
pub const MAX_BODY: usize = 1 << 20;

fn too_large() -> Response {
    let mut res = ApiError::PayloadTooLarge { limit: MAX_BODY }.into_response();
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

pub async fn read_bounded(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(e) => {
            if std::error::Error::source(&e).is_some_and(|s| s.to_string().contains("length limit"))
                || e.to_string().contains("length limit")
            {
                too_large()
            } else {
                let mut res =
                    ApiError::invalid("body", "the request body could not be read").into_response();
                res.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                res
            }
        }
    }
}
