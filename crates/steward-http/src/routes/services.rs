//! `/api/services…`: every service at a glance, one service's info, status and
//! health, its built-in commands, and start, stop and restart.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use steward::{Health, HostHandle, ServiceInfo, ServiceStatus};

use crate::body::JsonBody;
use crate::error::ApiError;

/// `GET /api/services`: every service's status.
pub(crate) async fn list(State(host): State<HostHandle>) -> Json<Vec<ServiceStatus>> {
    Json(host.services())
}

/// `GET /api/services/{name}`: schedule, actions with their schemas, events, config.
pub(crate) async fn info(
    State(host): State<HostHandle>,
    Path(name): Path<String>,
) -> Result<Json<ServiceInfo>, ApiError> {
    Ok(Json(host.named(&name).info().await?))
}

/// `GET /api/services/{name}/status`.
pub(crate) async fn status(
    State(host): State<HostHandle>,
    Path(name): Path<String>,
) -> Result<Json<ServiceStatus>, ApiError> {
    Ok(Json(host.named(&name).status().await?))
}

/// `GET /api/services/{name}/health`: 200 unless the service is unhealthy.
pub(crate) async fn health(
    State(host): State<HostHandle>,
    Path(name): Path<String>,
) -> Result<(StatusCode, Json<Health>), ApiError> {
    let health = host.named(&name).health().await?;
    let status = if health.status == steward::HealthStatus::Unhealthy {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    Ok((status, Json(health)))
}

/// `POST /api/services/{name}/{verb}`: `start`, `stop` and `restart` answer the
/// service's status once done; the built-in commands `trigger`, `check-queue` and
/// `process-batch` (body `{batch_size, filter}`, optional) answer their result.
pub(crate) async fn verb(
    State(host): State<HostHandle>,
    Path((name, verb)): Path<(String, String)>,
    JsonBody(params): JsonBody,
) -> Result<Response, ApiError> {
    let service = host.service(&name)?;
    match verb.as_str() {
        "start" => service.start().await?,
        "stop" => service.stop().await?,
        "restart" => service.restart().await?,
        command => {
            let result = host.named(&name).command(command, params).await?;
            return Ok(Json(json!({ "result": result })).into_response());
        }
    }
    Ok(Json(service.status()).into_response())
}
