//! Request bodies: JSON read leniently (no content type needed, empty means
//! `null`), with errors that say where the JSON broke.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde_json::Value;

use crate::error::ApiError;
use crate::error::codes::{BODY_TOO_LARGE, MALFORMED_JSON, UNREADABLE_BODY};

/// A request body as JSON; an empty body is `null`.
pub(crate) struct JsonBody(pub(crate) Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(too_large_or_unreadable)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(Value::Null));
        }
        serde_json::from_slice(&bytes)
            .map(Self)
            .map_err(|error| ApiError::of(MALFORMED_JSON, format!("the body is not JSON: {error}")))
    }
}

fn too_large_or_unreadable(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::of(
            BODY_TOO_LARGE,
            "the body is larger than the server accepts (`http.body_limit`)",
        );
    }
    ApiError::of(UNREADABLE_BODY, rejection.body_text())
}
