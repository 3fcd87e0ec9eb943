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

fn too_large(limit: usize) -> Response {
    let mut res = ApiError::PayloadTooLarge { limit }.into_response();
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

/// An image upload's body: the largest image plus the multipart framing.
pub const MAX_UPLOAD_BODY: usize = crate::media::MAX_BYTES + (64 << 10);
/// The one route that takes it.
pub const UPLOAD_PATH: &str = "/admin/api/uploads";

pub async fn read_bounded(req: Request, next: Next) -> Response {
    let limit = if req.uri().path() == UPLOAD_PATH {
        MAX_UPLOAD_BODY
    } else {
        MAX_BODY
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(limit);
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(e) => {
            if std::error::Error::source(&e).is_some_and(|s| s.to_string().contains("length limit"))
                || e.to_string().contains("length limit")
            {
                too_large(limit)
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
