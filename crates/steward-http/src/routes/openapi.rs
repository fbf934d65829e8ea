//! `GET /api/openapi.json`: the OpenAPI document of this control plane.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

use crate::server::AppState;

/// The document, with a concrete path for each action of each service.
pub(crate) async fn document(State(state): State<AppState>) -> impl IntoResponse {
    let openapi = &state.openapi;
    let served = openapi
        .served
        .get_or_init(|| async {
            let document = crate::openapi::with_actions(&openapi.base, &state.host).await;
            // A `Value` always serializes.
            serde_json::to_vec(&document).unwrap_or_default().into()
        })
        .await;
    ([(CONTENT_TYPE, "application/json")], served.clone())
}
