//! `POST /api/events`: the mini-program's event batches (`events`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::db;
use crate::events::{self, Batch};
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, MaybeUser};
use crate::http::{Access, Api};
use crate::state::AppState;

pub fn routes(api: Api) -> Api {
    api.post(
        "/api/events",
        Access::OptionalUser,
        "Record shopper events (1 to 50; retries deduplicated by uuid; the signed-in user and the receive time are stamped by the server)",
        ingest,
    )
}

async fn ingest(
    State(state): State<AppState>,
    user: MaybeUser,
    ApiJson(batch): ApiJson<Batch>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let now = db::now();
    let checked = events::validate(batch, now)?;
    let done = events::ingest(&state.db, &checked, user.0.map(|u| u.user_id), now).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"accepted": done.accepted, "duplicates": done.duplicates})),
    ))
}
