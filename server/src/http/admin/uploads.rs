//! Image uploads for the product editor (multipart field `file`): the media
//! capability checks the content, stores the image and its thumbnail; the
//! answer is their URLs. Stored files are served at `/uploads/{name}`.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::{page, Staff};
use crate::http::codes::Code;
use crate::http::error::{ApiError, ApiResult};
use crate::http::{Access, Api};
use crate::media::{self, Stored};
use crate::staff::{audit, Page};
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    api.post(
        crate::http::body::UPLOAD_PATH,
        Access::Staff(Page::Products),
        "Upload a product image (multipart field `file`; PNG, JPEG, GIF or WebP by content, at most 5 MiB and 8000 px a side); answers its URL and a 320 px thumbnail's",
        upload,
    )
}

async fn upload(
    State(state): State<AppState>,
    who: Staff<page::Products>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<Stored>)> {
    let mut multipart = multipart.map_err(|_| {
        ApiError::invalid("content-type", "multipart/form-data with a `file` field")
    })?;
    let mut bytes = None;
    // A body that does not read as multipart holds no image either.
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        ApiError::with_details(Code::UploadNotImage, json!({"reason": e.body_text()}))
    };
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        if field.name() == Some("file") {
            bytes = Some(field.bytes().await.map_err(unreadable)?);
            break;
        }
    }
    let bytes = bytes.ok_or_else(|| ApiError::invalid("file", "a `file` field is required"))?;
    let store = state.media.clone();
    let stored = tokio::task::spawn_blocking(move || media::store_image(store.as_ref(), &bytes))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("image task: {e}")))??;
    let mut conn = state.db.pool.acquire().await?;
    let after = json!({"url": stored.url, "width": stored.width, "height": stored.height});
    audit::record(
        &mut conn,
        &who,
        "media.upload",
        &stored.url,
        None,
        Some(&after),
        crate::db::now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// `GET /uploads/{name}`: a stored image, cached for a year (names are content hashes).
pub async fn serve(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    if !media::valid_name(&name) {
        return ApiError::NotFound("file").into_response();
    }
    match state.media.get(&name) {
        Ok(Some(bytes)) => {
            let mut r = bytes.into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(media::content_type(&name)),
            );
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            );
            h.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            r
        }
        Ok(None) => ApiError::NotFound("file").into_response(),
        Err(e) => ApiError::Internal(e).into_response(),
    }
}
