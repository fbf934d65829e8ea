//! Bearer-token checks: 401 without a token, 403 with a wrong one, compared in
//! constant time.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::error::codes::{FORBIDDEN, UNAUTHORIZED};

/// The token requests must carry.
#[derive(Clone)]
pub(crate) struct Token(pub(crate) Arc<str>);

/// Lets a request through only with `Authorization: Bearer <token>`.
pub(crate) async fn require_token(
    State(token): State<Token>,
    request: Request,
    next: Next,
) -> Response {
    let given = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match given {
        None => {
            let error = ApiError::of(
                UNAUTHORIZED,
                "this endpoint needs `Authorization: Bearer <token>`",
            );
            let mut response = error.into_response();
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
        Some(given) if bool::from(given.as_bytes().ct_eq(token.0.as_bytes())) => {
            next.run(request).await
        }
        Some(_) => ApiError::of(FORBIDDEN, "the token is not valid").into_response(),
    }
}
