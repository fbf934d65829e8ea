#![allow(clippy::unwrap_used)]

use axum::http::StatusCode;
use axum::response::IntoResponse;
use steward::{ActionError, JournalError};

use super::ApiError;

async fn answer(error: ApiError) -> (StatusCode, Option<String>, serde_json::Value) {
    let response = error.into_response();
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|value| value.to_str().unwrap().to_owned());
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    (status, retry_after, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn a_journal_that_cannot_write_is_503_with_retry_after_and_keeps_its_file_to_itself() {
    let full = JournalError(
        "journal /srv/data/steward.db: a commit of 3 writes failed and none was written: database or disk is full".to_owned(),
    );
    let (status, retry_after, body) = answer(ApiError::from(ActionError::from(full))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(retry_after.as_deref(), Some("5"));
    assert_eq!(body["error"]["code"], "journal_unavailable");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("try again later"), "{message}");
    assert!(!message.contains("/srv/data"), "{message}");
}

#[tokio::test]
async fn other_errors_send_no_retry_after() {
    for error in [
        ActionError::UnknownService("nobody".to_owned()),
        ActionError::ShuttingDown,
    ] {
        let (status, retry_after, _) = answer(ApiError::from(error)).await;
        assert!(status.is_client_error() || status.is_server_error());
        assert_eq!(retry_after, None, "{status}");
    }
}

#[tokio::test]
async fn retry_after_is_whole_seconds_never_zero() {
    let mut error = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "later");
    error.retry_after = Some(std::time::Duration::from_millis(200));
    let (_, retry_after, _) = answer(error).await;
    assert_eq!(retry_after.as_deref(), Some("1"));
}
