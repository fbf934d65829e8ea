//! `/api/services…`: every service at a glance, one service's info, status and
//! health, its built-in commands, and start, stop and restart.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use steward::{Health, HostHandle, ServiceInfo, ServiceStatus};

use super::answers::Finished;
use super::probes;
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
    let ok = health.status != steward::HealthStatus::Unhealthy;
    Ok((probes::status(ok), Json(health)))
}

/// `POST /api/services/{name}/{command}`: runs a built-in command (`process-batch`
/// takes an optional `{batch_size, filter}`) and answers its result.
pub(crate) async fn command(
    State(host): State<HostHandle>,
    Path((name, command)): Path<(String, String)>,
    JsonBody(params): JsonBody,
) -> Result<Finished, ApiError> {
    let result = host.named(&name).command(&command, params).await?;
    Ok(Finished { result })
}

/// `POST /api/services/{name}/start`: answers the service's status once its start
/// is under way (it is `running` once its start hook returns; watch the status).
///
/// Lifecycle requests take no parameters, but a body, if sent, must still be JSON
/// within the size limit, as it always had to be.
pub(crate) async fn start(
    State(host): State<HostHandle>,
    Path(name): Path<String>,
    _: JsonBody,
) -> Result<Json<ServiceStatus>, ApiError> {
    let service = host.service(&name)?;
    service.start().await?;
    Ok(Json(service.status()))
}

/// `POST /api/services/{name}/stop`: answers the service's status once stopped.
pub(crate) async fn stop(
    State(host): State<HostHandle>,
    Path(name): Path<String>,
    _: JsonBody,
) -> Result<Json<ServiceStatus>, ApiError> {
    let service = host.service(&name)?;
    service.stop().await?;
    Ok(Json(service.status()))
}

/// `POST /api/services/{name}/restart`: answers the service's status once it has
/// stopped and its new start is under way.
pub(crate) async fn restart(
    State(host): State<HostHandle>,
    Path(name): Path<String>,
    _: JsonBody,
) -> Result<Json<ServiceStatus>, ApiError> {
    let service = host.service(&name)?;
    service.restart().await?;
    Ok(Json(service.status()))
}
