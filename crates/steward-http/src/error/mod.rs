//! Errors as the API answers them: `{"error": {"code", "message"}}` with a status
//! that says whose fault it was.

pub(crate) mod codes;

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::Serialize;
use steward::{ActionError, ControlError};

use codes::ErrorCode;

/// An error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable, machine-readable code (`unknown_service`).
    pub code: &'static str,
    /// What went wrong, in words.
    pub message: String,
    /// How long the client should wait before it tries again, sent as
    /// `Retry-After` in whole seconds (at least 1); `None` sends no such header.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// An error with one of the codes the API documents.
    pub(crate) fn of(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            retry_after: code.retry_after,
            ..Self::new(code.status, code.code, message)
        }
    }
}

/// The body of every error response; the OpenAPI document's `Error` schema.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Error")]
pub(crate) struct ErrorBody<'a> {
    error: Detail<'a>,
}

/// What went wrong.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "ErrorDetail")]
struct Detail<'a> {
    /// A stable, machine-readable code (`unknown_service`).
    code: &'a str,
    /// What went wrong, in words.
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: Detail {
                code: self.code,
                message: &self.message,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(after) = self.retry_after {
            let seconds = after.as_secs().max(1);
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<ActionError> for ApiError {
    fn from(error: ActionError) -> Self {
        if let ActionError::Journal(reason) = &error {
            // The file and SQLite's words are for the operator's log, not the client.
            tracing::error!(%reason, "the journal failed; answered 503");
            return Self::of(
                codes::JOURNAL_UNAVAILABLE,
                "the journal cannot write or read actions now (the host's log says why); try again later",
            );
        }
        let code = match &error {
            ActionError::UnknownService(_) | ActionError::NoSuchType(_) => codes::UNKNOWN_SERVICE,
            ActionError::UnknownAction { .. } => codes::UNKNOWN_ACTION,
            ActionError::UnknownId(_) => codes::UNKNOWN_ACTION_ID,
            ActionError::BadId(_) => codes::BAD_ACTION_ID,
            ActionError::BadParameters { .. } => codes::BAD_PARAMETERS,
            ActionError::BadSchedule(_) => codes::BAD_QUERY,
            ActionError::NotSupported { .. } => codes::NOT_SUPPORTED,
            ActionError::QueueFull { .. } => codes::QUEUE_FULL,
            ActionError::NotRunning { .. } => codes::NOT_RUNNING,
            ActionError::Cancelled(_) => codes::CANCELLED,
            ActionError::NotCancellable { .. } => codes::NOT_CANCELLABLE,
            ActionError::NotDeadLettered { .. } => codes::NOT_DEAD_LETTERED,
            ActionError::ShuttingDown | ActionError::Abandoned(_) => codes::SHUTTING_DOWN,
            ActionError::TimedOut { .. } => codes::TIMED_OUT,
            ActionError::Failed { .. } | ActionError::ResultType { .. } => codes::ACTION_FAILED,
            ActionError::DeadLettered { .. } => codes::DEAD_LETTERED,
            _ => codes::INTERNAL,
        };
        Self::of(code, error.to_string())
    }
}

impl From<ControlError> for ApiError {
    fn from(error: ControlError) -> Self {
        let code = match &error {
            ControlError::UnknownService(_) => codes::UNKNOWN_SERVICE,
            ControlError::Disabled(_) => codes::DISABLED,
            ControlError::StartupService(_) => codes::STARTUP_SERVICE,
            ControlError::NotStarted | ControlError::ShuttingDown => codes::HOST_NOT_RUNNING,
            _ => codes::INTERNAL,
        };
        Self::of(code, error.to_string())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::of(codes::BAD_QUERY, rejection.body_text())
    }
}

/// The 404 for a path no route serves.
pub(crate) async fn no_route() -> ApiError {
    ApiError::of(codes::NOT_FOUND, "no such endpoint")
}

#[cfg(test)]
mod tests;
