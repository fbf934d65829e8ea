//! Response bodies that several endpoints answer, typed so that the OpenAPI
//! document describes exactly what is sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use steward::{ActionId, ActionState};

/// What a finished action or built-in command answered.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "ActionResult")]
pub(crate) struct Finished {
    /// The result, as JSON (`null` for `trigger`).
    pub(crate) result: Value,
}

impl IntoResponse for Finished {
    fn into_response(self) -> Response {
        Json(self).into_response()
    }
}

/// An action accepted to run later: its record is at `href`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Accepted {
    /// The action's id.
    id: ActionId,
    /// Always `queued` when accepted.
    state: ActionState,
    /// Where its state and result can be read (`GET /api/actions/{id}`).
    href: String,
}

impl Accepted {
    /// The `202` for an action queued as `id`.
    pub(crate) fn queued(id: ActionId) -> Self {
        Self {
            id,
            state: ActionState::Queued,
            href: format!("/api/actions/{id}"),
        }
    }
}

impl IntoResponse for Accepted {
    fn into_response(self) -> Response {
        (StatusCode::ACCEPTED, Json(self)).into_response()
    }
}
