//! `GET /api/openapi.json`: the OpenAPI document of this control plane.

use axum::Json;
use axum::extract::State;
use serde_json::Value;

use crate::server::AppState;

/// The document, with a concrete path for each action of each service.
pub(crate) async fn document(State(state): State<AppState>) -> Json<Value> {
    Json(crate::openapi::with_actions(&state.openapi, &state.host).await)
}
