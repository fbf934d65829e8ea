//! Actions over HTTP: run one (wait for its result, or get `202` and its id), look
//! an accepted one up, cancel a queued one, list a service's finished ones, list
//! and retry dead letters.

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use steward::{ActionId, ActionRecord, Backoff, HostHandle, IfFull, Retry};

use super::answers::{Accepted, Finished};
use crate::body::JsonBody;
use crate::error::{ApiError, codes};

/// How many finished actions a history answers when no `limit` is given.
const HISTORY_DEFAULT: u32 = 50;

/// The most finished actions one history request may ask for.
const HISTORY_MAX: u32 = 1000;

/// How to send an action, from the query string.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SendOptions {
    /// Wait for the result (`true`) or answer `202` with the action's id at once.
    #[serde(default)]
    wait: bool,
    /// Higher runs first.
    #[serde(default)]
    priority: i32,
    /// The handler's time limit, such as `30s`.
    #[serde(default, with = "steward::duration::option")]
    #[schemars(with = "Option<String>")]
    timeout: Option<Duration>,
    /// Ties the action and the events its handler emits together.
    correlation_id: Option<String>,
    /// Answer `429` at once when the mailbox is full, instead of waiting for room.
    #[serde(default)]
    no_wait_for_room: bool,
    /// Run it this long after it is accepted, such as `10m`, rather than now.
    #[serde(default, with = "steward::duration::option")]
    #[schemars(with = "Option<String>")]
    after: Option<Duration>,
    /// Run it at this time (RFC 3339, such as `2026-03-01T03:00:00Z`) rather than now.
    at: Option<DateTime<Utc>>,
    /// Retries after a failure, timeout or panic before the action is dead-lettered.
    #[serde(default)]
    retries: u32,
    /// The delay before each retry, `MIN..MAX` such as `1s..30s`: the first, doubling
    /// up to the second, jittered (`1s..30s` unless given; needs `retries`).
    #[schemars(with = "Option<String>")]
    backoff: Option<Backoff>,
}

/// `POST /api/services/{name}/actions/{action}`: the body is the parameters.
pub(crate) async fn send(
    State(host): State<HostHandle>,
    Path((name, action)): Path<(String, String)>,
    options: Result<Query<SendOptions>, QueryRejection>,
    JsonBody(params): JsonBody,
) -> Result<Response, ApiError> {
    let Query(options) = options?;
    if options.after.is_some() && options.at.is_some() {
        let message = "give `after` or `at`, not both".to_owned();
        return Err(ApiError::of(codes::BAD_QUERY, message));
    }
    if options.backoff.is_some() && options.retries == 0 {
        let message = "`backoff` needs `retries` (how many) above 0".to_owned();
        return Err(ApiError::of(codes::BAD_QUERY, message));
    }
    let mut request = host
        .named(&name)
        .act_json(&action, params)
        .priority(options.priority);
    if let Some(timeout) = options.timeout {
        request = request.timeout(timeout);
    }
    if let Some(id) = options.correlation_id {
        request = request.correlation_id(id);
    }
    if options.no_wait_for_room {
        request = request.if_full(IfFull::Fail);
    }
    if let Some(delay) = options.after {
        request = request.after(delay);
    }
    if let Some(time) = options.at {
        request = request.at(time);
    }
    if options.retries > 0 {
        let retry = Retry::times(options.retries);
        request = request.retry(match options.backoff {
            Some(backoff) => retry.backoff(backoff),
            None => retry,
        });
    }
    if options.wait {
        let result: Value = request.send().await?;
        return Ok(Finished { result }.into_response());
    }
    let id = request.submit().await?;
    Ok(Accepted::queued(id).into_response())
}

/// Which of a service's finished actions to list, from the query string.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HistoryOptions {
    /// How many, the most recently finished first: 1 to 1000 (50 by default).
    #[schemars(range(min = 1, max = 1000))]
    limit: Option<u32>,
}

/// `GET /api/services/{name}/actions?limit=N`: the service's finished actions,
/// the most recently finished first.
pub(crate) async fn history(
    State(host): State<HostHandle>,
    Path(name): Path<String>,
    options: Result<Query<HistoryOptions>, QueryRejection>,
) -> Result<Json<Vec<ActionRecord>>, ApiError> {
    let Query(options) = options?;
    let limit = options.limit.unwrap_or(HISTORY_DEFAULT);
    if !(1..=HISTORY_MAX).contains(&limit) {
        let message = format!("`limit` must be from 1 to {HISTORY_MAX}, found {limit}");
        return Err(ApiError::of(codes::BAD_QUERY, message));
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    Ok(Json(host.named(&name).history(limit).await?))
}

/// `GET /api/actions/{id}`: an accepted action's state, attempts, result or error.
pub(crate) async fn get(
    State(host): State<HostHandle>,
    Path(id): Path<String>,
) -> Result<Json<ActionRecord>, ApiError> {
    let id: ActionId = id.parse()?;
    Ok(Json(host.action(id).await?))
}

/// `POST /api/actions/{id}/cancel`: withdraws a queued action.
pub(crate) async fn cancel(
    State(host): State<HostHandle>,
    Path(id): Path<String>,
) -> Result<Json<ActionRecord>, ApiError> {
    let id: ActionId = id.parse()?;
    host.cancel(id).await?;
    Ok(Json(host.action(id).await?))
}

/// `GET /api/dead-letters`: actions that failed every attempt, oldest first.
pub(crate) async fn dead_letters(
    State(host): State<HostHandle>,
) -> Result<Json<Vec<ActionRecord>>, ApiError> {
    Ok(Json(host.dead_letters().await?))
}

/// `POST /api/dead-letters/{id}/retry`: queues a dead letter again.
pub(crate) async fn retry(
    State(host): State<HostHandle>,
    Path(id): Path<String>,
) -> Result<Accepted, ApiError> {
    let id: ActionId = id.parse()?;
    host.retry_dead_letter(id).await?;
    Ok(Accepted::queued(id))
}
