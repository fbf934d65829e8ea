//! What probes and scrapers read: host health for liveness and readiness, and the
//! metrics in Prometheus' text format.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use steward::{HealthStatus, HostHandle, HostHealth};

/// `GET /health` and `/api/system/health`: 200 while the host is live and not
/// unhealthy, else 503; the body has every service's health.
pub(crate) async fn health(State(host): State<HostHandle>) -> (StatusCode, Json<HostHealth>) {
    let health = host.health();
    let ok = health.live && health.status != HealthStatus::Unhealthy;
    (status(ok), Json(health))
}

/// `GET /health/live`: 200 until the host has stopped.
pub(crate) async fn live(State(host): State<HostHandle>) -> (StatusCode, Json<HostHealth>) {
    let health = host.health();
    (status(health.live), Json(health))
}

/// `GET /health/ready`: 200 once every service that must be running is.
pub(crate) async fn ready(State(host): State<HostHandle>) -> (StatusCode, Json<HostHealth>) {
    let health = host.health();
    (status(health.ready), Json(health))
}

/// `GET /metrics`.
pub(crate) async fn metrics(State(host): State<HostHandle>) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, steward::metrics::CONTENT_TYPE)],
        host.metrics().encode(),
    )
}

/// 200 when `ok`, else 503.
pub(crate) fn status(ok: bool) -> StatusCode {
    if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}
