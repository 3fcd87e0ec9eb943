//! WeChat Pay over HTTP: the shopper's prepay (`wx.requestPayment`
//! parameters) and WeChat's payment and refund notifications. A notification
//! is verified (signature, serial, time, probe), decrypted and checked before
//! anything changes; success is `204` with no body, any refusal is 4xx/5xx
//! with `{"code":"FAIL","message":…}` (WeChat then retries).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::db;
use crate::distribution::withdrawals::{self, BillReject};
use crate::http::error::ApiResult;
use crate::http::extract::{ApiPath, AuthUser};
use crate::http::{Access, Api};
use crate::payments::{self, PayResponse, Reject};
use crate::state::AppState;
use crate::wechat::pay::client::{NotifyError, RefundInfo, Transaction, TransferBill};
use crate::wechat::pay::NotifyHeaders;

pub fn routes(api: Api) -> Api {
    api.post(
        "/api/orders/{id}/pay",
        Access::User,
        "WeChat Pay prepay for the order's payable: the wx.requestPayment parameters",
        prepay,
    )
    .post(
        "/api/pay/notify",
        Access::Public,
        "WeChat Pay payment notification (signed, encrypted; answered 204 or {code: FAIL})",
        notify,
    )
    .post(
        "/api/pay/refund-notify",
        Access::Public,
        "WeChat Pay refund notification (REFUND.SUCCESS / ABNORMAL / CLOSED)",
        refund_notify,
    )
    .post(
        "/api/pay/transfer-notify",
        Access::Public,
        "WeChat Pay 商家转账 notification (MCHTRANSFER.BILL.FINISHED): a withdrawal's bill ended",
        transfer_notify,
    )
}

async fn prepay(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<PayResponse>> {
    Ok(Json(
        payments::prepay(&state, id, user.user_id, db::now()).await?,
    ))
}

fn fail(status: u16, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        Json(json!({"code": "FAIL", "message": message, "details": {}})),
    )
        .into_response()
}

fn refused(e: NotifyError) -> Response {
    tracing::warn!(error = %e, "WeChat Pay notification refused");
    match e {
        NotifyError::Verify(_) => fail(401, "签名验证失败"),
        NotifyError::Malformed(_) | NotifyError::Decrypt(_) => fail(400, "报文无法解析"),
    }
}

fn rejected(e: Reject) -> Response {
    tracing::warn!(error = %e, "WeChat Pay notification not applied");
    match e {
        Reject::Internal(_) => fail(500, "系统繁忙"),
        e => fail(e.status(), &e.to_string()),
    }
}

/// Verify and open a notification of the expected kind.
fn open(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    prefix: &str,
    original_type: &str,
) -> Result<Option<Vec<u8>>, NotifyError> {
    let h = NotifyHeaders::from_headers(headers)?;
    let (n, plain) = state.pay.open_notification(&h, body, db::now())?;
    if n.resource.original_type != original_type {
        return Err(NotifyError::Malformed(format!(
            "original_type {}",
            n.resource.original_type
        )));
    }
    Ok(n.event_type.starts_with(prefix).then_some(plain))
}

async fn notify(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let plain = match open(&state, &headers, &body, "TRANSACTION.", "transaction") {
        Ok(Some(p)) => p,
        Ok(None) => return StatusCode::NO_CONTENT.into_response(),
        Err(e) => return refused(e),
    };
    let t: Transaction = match serde_json::from_slice(&plain) {
        Ok(t) => t,
        Err(e) => return refused(NotifyError::Malformed(e.to_string())),
    };
    match payments::apply_transaction(&state, &t, "wechat", db::now()).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => rejected(e),
    }
}

async fn refund_notify(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let plain = match open(&state, &headers, &body, "REFUND.", "refund") {
        Ok(Some(p)) => p,
        Ok(None) => return StatusCode::NO_CONTENT.into_response(),
        Err(e) => return refused(e),
    };
    let info: RefundInfo = match serde_json::from_slice(&plain) {
        Ok(i) => i,
        Err(e) => return refused(NotifyError::Malformed(e.to_string())),
    };
    match payments::apply_refund_notice(&state, &info, db::now()).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => rejected(e),
    }
}

async fn transfer_notify(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let plain = match open(&state, &headers, &body, "MCHTRANSFER.", "mch_payment") {
        Ok(Some(p)) => p,
        Ok(None) => return StatusCode::NO_CONTENT.into_response(),
        Err(e) => return refused(e),
    };
    let bill: TransferBill = match serde_json::from_slice(&plain) {
        Ok(b) => b,
        Err(e) => return refused(NotifyError::Malformed(e.to_string())),
    };
    match withdrawals::apply_bill(&state, &bill, db::now()).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "transfer notification not applied");
            match e {
                BillReject::Db(_) => fail(500, "系统繁忙"),
                BillReject::Unknown => fail(404, &e.to_string()),
                BillReject::Mismatch(_) => fail(400, &e.to_string()),
            }
        }
    }
}
