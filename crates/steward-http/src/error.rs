//! Errors as the API answers them: `{"error": {"code", "message"}}` with a status
//! that says whose fault it was.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use steward::{ActionError, ControlError};

/// An error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable, machine-readable code (`unknown_service`).
    pub code: &'static str,
    /// What went wrong, in words.
    pub message: String,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

/// The body of every error response.
#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    code: &'a str,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Detail {
                code: self.code,
                message: &self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<ActionError> for ApiError {
    fn from(error: ActionError) -> Self {
        let message = error.to_string();
        let (status, code) = match &error {
            ActionError::UnknownService(_) | ActionError::NoSuchType(_) => {
                (StatusCode::NOT_FOUND, "unknown_service")
            }
            ActionError::UnknownAction { .. } => (StatusCode::NOT_FOUND, "unknown_action"),
            ActionError::UnknownId(_) => (StatusCode::NOT_FOUND, "unknown_action_id"),
            ActionError::BadId(_) => (StatusCode::BAD_REQUEST, "bad_action_id"),
            ActionError::BadParameters { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "bad_parameters")
            }
            ActionError::NotSupported { .. } => (StatusCode::BAD_REQUEST, "not_supported"),
            ActionError::QueueFull { .. } => (StatusCode::TOO_MANY_REQUESTS, "queue_full"),
            ActionError::NotRunning { .. } => (StatusCode::CONFLICT, "not_running"),
            ActionError::Cancelled(_) => (StatusCode::CONFLICT, "cancelled"),
            ActionError::NotCancellable { .. } => (StatusCode::CONFLICT, "not_cancellable"),
            ActionError::NotDeadLettered { .. } => (StatusCode::CONFLICT, "not_dead_lettered"),
            ActionError::ShuttingDown | ActionError::Abandoned(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "shutting_down")
            }
            ActionError::TimedOut { .. } => (StatusCode::GATEWAY_TIMEOUT, "timed_out"),
            ActionError::Failed { .. } | ActionError::ResultType { .. } => {
                (StatusCode::INTERNAL_SERVER_ERROR, "action_failed")
            }
            ActionError::DeadLettered { .. } => {
                (StatusCode::INTERNAL_SERVER_ERROR, "dead_lettered")
            }
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        Self::new(status, code, message)
    }
}

impl From<ControlError> for ApiError {
    fn from(error: ControlError) -> Self {
        let message = error.to_string();
        let (status, code) = match &error {
            ControlError::UnknownService(_) => (StatusCode::NOT_FOUND, "unknown_service"),
            ControlError::Disabled(_) => (StatusCode::CONFLICT, "disabled"),
            ControlError::StartupService(_) => (StatusCode::CONFLICT, "startup_service"),
            ControlError::NotStarted | ControlError::ShuttingDown => {
                (StatusCode::SERVICE_UNAVAILABLE, "not_running")
            }
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        Self::new(status, code, message)
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::bad_request("bad_query", rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::bad_request("bad_path", rejection.body_text())
    }
}

/// The 404 for a path no route serves.
pub(crate) async fn no_route() -> ApiError {
    ApiError::not_found("no such endpoint")
}
