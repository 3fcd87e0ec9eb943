//! The HTTP/1 server loop (what `axum::serve` does), with a larger buffer for
//! the request head: hyper itself would answer an oversized header 431 with
//! an empty body, before the router could use the API's error shape. Heads
//! up to [`MAX_HEAD_BUFFER`] reach [`limit_head`], which answers 414 / 431 in
//! the error shape and closes the connection. (A request line past 65,534
//! bytes is still refused by the `http` crate's URI parser, which hyper
//! answers itself with an empty 414.)

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::http::error::ApiError;

/// hyper's read buffer for a request head.
pub const MAX_HEAD_BUFFER: usize = 1 << 20;
/// The longest URL (path and query) answered.
pub const MAX_URI: usize = 8 * 1024;
/// The most header bytes (names and values) answered.
pub const MAX_HEADERS: usize = 32 * 1024;

/// Refuse an oversized URL or header block in the error shape.
pub async fn limit_head(req: Request, next: Next) -> Response {
    let uri_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    let header_len: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    let refused = if uri_len > MAX_URI {
        Some(ApiError::UriTooLong { limit: MAX_URI })
    } else if header_len > MAX_HEADERS {
        Some(ApiError::HeadersTooLarge { limit: MAX_HEADERS })
    } else {
        None
    };
    match refused {
        None => next.run(req).await,
        Some(e) => {
            let mut res = e.into_response();
            res.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            res
        }
    }
}

/// Accept connections and serve `app` on each until the task is aborted.
pub async fn serve(listener: TcpListener, app: Router) -> std::io::Result<()> {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors and the like: pause, never exit.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let app = app.clone();
        tokio::spawn(async move {
            let service = TowerToHyperService::new(
                app.map_request(|req: Request<hyper::body::Incoming>| req.map(Body::new)),
            );
            let mut http = hyper::server::conn::http1::Builder::new();
            http.max_buf_size(MAX_HEAD_BUFFER);
            let conn = http.serve_connection(TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
}
