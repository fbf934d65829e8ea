//! Every error code the API answers, each with its status: handlers answer them
//! and the OpenAPI document lists them from the same constants, so the two agree.

use std::time::Duration;

use axum::http::StatusCode;

/// A machine-readable error code and the status it is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ErrorCode {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    /// Sent as `Retry-After`: the cause is on the host's side and may pass.
    pub(crate) retry_after: Option<Duration>,
}

const fn code(status: StatusCode, code: &'static str) -> ErrorCode {
    ErrorCode {
        status,
        code,
        retry_after: None,
    }
}

pub(crate) const MALFORMED_JSON: ErrorCode = code(StatusCode::BAD_REQUEST, "malformed_json");
pub(crate) const BAD_QUERY: ErrorCode = code(StatusCode::BAD_REQUEST, "bad_query");
/// The body could not be read off the connection.
pub(crate) const UNREADABLE_BODY: ErrorCode = code(StatusCode::BAD_REQUEST, "unreadable_body");
pub(crate) const BAD_ACTION_ID: ErrorCode = code(StatusCode::BAD_REQUEST, "bad_action_id");
pub(crate) const NOT_SUPPORTED: ErrorCode = code(StatusCode::BAD_REQUEST, "not_supported");
pub(crate) const UNAUTHORIZED: ErrorCode = code(StatusCode::UNAUTHORIZED, "unauthorized");
pub(crate) const FORBIDDEN: ErrorCode = code(StatusCode::FORBIDDEN, "forbidden");
pub(crate) const NOT_FOUND: ErrorCode = code(StatusCode::NOT_FOUND, "not_found");
pub(crate) const UNKNOWN_SERVICE: ErrorCode = code(StatusCode::NOT_FOUND, "unknown_service");
pub(crate) const UNKNOWN_ACTION: ErrorCode = code(StatusCode::NOT_FOUND, "unknown_action");
pub(crate) const UNKNOWN_ACTION_ID: ErrorCode = code(StatusCode::NOT_FOUND, "unknown_action_id");
pub(crate) const NOT_RUNNING: ErrorCode = code(StatusCode::CONFLICT, "not_running");
pub(crate) const DISABLED: ErrorCode = code(StatusCode::CONFLICT, "disabled");
pub(crate) const STARTUP_SERVICE: ErrorCode = code(StatusCode::CONFLICT, "startup_service");
pub(crate) const CANCELLED: ErrorCode = code(StatusCode::CONFLICT, "cancelled");
pub(crate) const NOT_CANCELLABLE: ErrorCode = code(StatusCode::CONFLICT, "not_cancellable");
pub(crate) const NOT_DEAD_LETTERED: ErrorCode = code(StatusCode::CONFLICT, "not_dead_lettered");
pub(crate) const BODY_TOO_LARGE: ErrorCode = code(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
pub(crate) const BAD_PARAMETERS: ErrorCode =
    code(StatusCode::UNPROCESSABLE_ENTITY, "bad_parameters");
pub(crate) const QUEUE_FULL: ErrorCode = code(StatusCode::TOO_MANY_REQUESTS, "queue_full");
pub(crate) const ACTION_FAILED: ErrorCode =
    code(StatusCode::INTERNAL_SERVER_ERROR, "action_failed");
pub(crate) const DEAD_LETTERED: ErrorCode =
    code(StatusCode::INTERNAL_SERVER_ERROR, "dead_lettered");
pub(crate) const INTERNAL: ErrorCode = code(StatusCode::INTERNAL_SERVER_ERROR, "internal");
/// The host is shutting down, so the action will not run.
pub(crate) const SHUTTING_DOWN: ErrorCode = code(StatusCode::SERVICE_UNAVAILABLE, "shutting_down");
/// The host has not started or is stopping, so lifecycle requests cannot run.
pub(crate) const HOST_NOT_RUNNING: ErrorCode = code(StatusCode::SERVICE_UNAVAILABLE, "not_running");
pub(crate) const TIMED_OUT: ErrorCode = code(StatusCode::GATEWAY_TIMEOUT, "timed_out");
/// The journal could not write (a full disk, an I/O error) or read: nothing was
/// recorded, and the same request may succeed once the cause is gone. Clients
/// back off for the `Retry-After` it carries.
pub(crate) const JOURNAL_UNAVAILABLE: ErrorCode = ErrorCode {
    retry_after: Some(Duration::from_secs(5)),
    ..code(StatusCode::SERVICE_UNAVAILABLE, "journal_unavailable")
};
