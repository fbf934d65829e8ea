//! The route table: every endpoint, described once. [`router`](crate::router)
//! serves exactly these and the OpenAPI document lists exactly these, so no route
//! can exist without being documented.

mod endpoint;

use axum::http::{Method, StatusCode};
use schemars::{Schema, SchemaGenerator};
use serde_json::{Map, Value};
use steward::{
    ActionId, ActionRecord, Health, HostHealth, ProcessBatch, ServiceInfo, ServiceStatus,
};

pub(crate) use endpoint::{Content, Endpoint, SchemaFn, schema};

use crate::error::ErrorBody;
use crate::error::codes::*;
use crate::routes::actions::{self, HistoryOptions, SendOptions};
use crate::routes::answers::{Accepted, Finished};
use crate::routes::events::{self, Filter};
use crate::routes::services;
use crate::routes::{openapi, probes};

/// Where actions are sent; the document adds one concrete path per action beside it.
pub(crate) const SEND_ACTION: &str = "/api/services/{name}/actions/{action}";

const SERVICES: &str = "services";
const ACTIONS: &str = "actions";
const EVENTS: &str = "events";
const HEALTH: &str = "health";
const META: &str = "meta";

const OK: StatusCode = StatusCode::OK;
const ACCEPTED: StatusCode = StatusCode::ACCEPTED;
const UNAVAILABLE: StatusCode = StatusCode::SERVICE_UNAVAILABLE;
const EVENT_STREAM: &str = "text/event-stream";

/// Every endpoint, in the order the document lists them.
pub(crate) fn endpoints() -> Vec<Endpoint> {
    let mut endpoints = service_endpoints();
    endpoints.extend(action_endpoints());
    endpoints.extend(host_endpoints());
    endpoints
}

fn service_endpoints() -> Vec<Endpoint> {
    let lifecycle = [UNKNOWN_SERVICE, DISABLED, STARTUP_SERVICE, HOST_NOT_RUNNING];
    vec![
        Endpoint::get("/api/services", services::list)
            .doc("listServices", SERVICES, "Every service's status")
            .json(
                OK,
                "Every service, in start order.",
                schema::<Vec<ServiceStatus>>,
            ),
        Endpoint::get("/api/services/{name}", services::info)
            .doc("getService", SERVICES, "A service's description")
            .describe("Its schedule, actions with their schemas, events and configuration.")
            .json(OK, "The service.", schema::<ServiceInfo>)
            .errors(&[UNKNOWN_SERVICE]),
        Endpoint::get("/api/services/{name}/status", services::status)
            .doc(
                "getServiceStatus",
                SERVICES,
                "A service's state, health, restarts and runs",
            )
            .json(OK, "Its status.", schema::<ServiceStatus>)
            .errors(&[UNKNOWN_SERVICE]),
        Endpoint::get("/api/services/{name}/health", services::health)
            .doc("getServiceHealth", SERVICES, "A service's health")
            .json(OK, "Healthy or degraded.", schema::<Health>)
            .json(UNAVAILABLE, "Unhealthy.", schema::<Health>)
            .errors(&[UNKNOWN_SERVICE]),
        Endpoint::post("/api/services/{name}/start", services::start)
            .doc("startService", SERVICES, "Starts a stopped service")
            .body(ignored)
            .json(
                OK,
                "Its status once its start is under way.",
                schema::<ServiceStatus>,
            )
            .slow()
            .errors(&lifecycle),
        Endpoint::post("/api/services/{name}/stop", services::stop)
            .doc("stopService", SERVICES, "Stops a service")
            .body(ignored)
            .json(OK, "Its status once stopped.", schema::<ServiceStatus>)
            .slow()
            .errors(&lifecycle),
        Endpoint::post("/api/services/{name}/restart", services::restart)
            .doc("restartService", SERVICES, "Stops and starts a service")
            .body(ignored)
            .json(
                OK,
                "Its status once it has stopped and its new start is under way.",
                schema::<ServiceStatus>,
            )
            .slow()
            .errors(&lifecycle),
        Endpoint::post("/api/services/{name}/{command}", services::command)
            .doc("runCommand", SERVICES, "Runs a service's built-in command")
            .describe(
                "`trigger` runs a periodic service's tick now (or a continuous \
                 service's own trigger, such as an `exec` running its command), \
                 `check-queue` tells how much work waits, `process-batch` works \
                 through a batch (the body says which).",
            )
            .body(schema::<ProcessBatch>)
            .json(
                OK,
                "The command's result (`null` for `trigger`).",
                schema::<Finished>,
            )
            .slow()
            .errors(&[
                UNKNOWN_SERVICE,
                UNKNOWN_ACTION,
                NOT_SUPPORTED,
                BAD_PARAMETERS,
            ])
            .errors(&[NOT_RUNNING, ACTION_FAILED]),
    ]
}

fn action_endpoints() -> Vec<Endpoint> {
    let journal = [
        BAD_ACTION_ID,
        UNKNOWN_ACTION_ID,
        INTERNAL,
        JOURNAL_UNAVAILABLE,
    ];
    vec![
        Endpoint::post(SEND_ACTION, actions::send)
            .doc(
                "sendAction",
                ACTIONS,
                "Runs an action; the body is its parameters",
            )
            .query(schema::<SendOptions>)
            .body(schema::<Value>)
            .json(
                OK,
                "With `wait=true`: the action's result.",
                schema::<Finished>,
            )
            .json(
                ACCEPTED,
                "Accepted; its state and result are at `href`.",
                schema::<Accepted>,
            )
            .slow()
            .errors(&[
                UNKNOWN_SERVICE,
                UNKNOWN_ACTION,
                BAD_PARAMETERS,
                QUEUE_FULL,
                NOT_RUNNING,
            ])
            .errors(&[
                CANCELLED,
                ACTION_FAILED,
                DEAD_LETTERED,
                INTERNAL,
                SHUTTING_DOWN,
                JOURNAL_UNAVAILABLE,
            ])
            .errors(&[TIMED_OUT]),
        Endpoint::get("/api/services/{name}/actions", actions::history)
            .doc(
                "listServiceActions",
                ACTIONS,
                "A service's finished actions, the most recently finished first",
            )
            .describe(
                "Succeeded, failed, timed-out, cancelled and dead-lettered actions the \
                 journal still holds (see `[journal] keep_finished` and `keep_for`): who, \
                 what, when accepted, when the last attempt started (`started_at`) and \
                 when it finished (`updated_at`), attempts, outcome and error.",
            )
            .query(schema::<HistoryOptions>)
            .json(OK, "Their records.", schema::<Vec<ActionRecord>>)
            .errors(&[UNKNOWN_SERVICE, INTERNAL, JOURNAL_UNAVAILABLE]),
        Endpoint::get("/api/actions/{id}", actions::get)
            .doc(
                "getAction",
                ACTIONS,
                "An accepted action's state, attempts, result or error",
            )
            .json(OK, "Its record.", schema::<ActionRecord>)
            .errors(&journal),
        Endpoint::post("/api/actions/{id}/cancel", actions::cancel)
            .doc("cancelAction", ACTIONS, "Withdraws a queued action")
            .json(OK, "Its record, now cancelled.", schema::<ActionRecord>)
            .errors(&journal)
            .errors(&[NOT_CANCELLABLE]),
        Endpoint::get("/api/dead-letters", actions::dead_letters)
            .doc(
                "listDeadLetters",
                ACTIONS,
                "Actions that failed every attempt, oldest first",
            )
            .json(OK, "Their records.", schema::<Vec<ActionRecord>>)
            .errors(&[INTERNAL, JOURNAL_UNAVAILABLE]),
        Endpoint::post("/api/dead-letters/{id}/retry", actions::retry)
            .doc("retryDeadLetter", ACTIONS, "Queues a dead letter again")
            .json(ACCEPTED, "Queued again.", schema::<Accepted>)
            .errors(&journal)
            .errors(&[NOT_DEAD_LETTERED]),
        Endpoint::get("/api/events", events::stream)
            .doc(
                "streamEvents",
                EVENTS,
                "Server-sent events as services emit them",
            )
            .describe(
                "Each event's `data` is `{service, event, at, correlation_id, data}`; a \
                 `missed` event counts the events a slow client lost.",
            )
            .query(schema::<Filter>)
            .answer(
                OK,
                "The events, until the host stops.",
                Content::Text(EVENT_STREAM),
            )
            .errors(&[UNKNOWN_SERVICE]),
    ]
}

fn host_endpoints() -> Vec<Endpoint> {
    let metrics = Content::Text(steward::metrics::CONTENT_TYPE);
    vec![
        Endpoint::get("/api/system/health", probes::health)
            .doc(
                "getSystemHealth",
                HEALTH,
                "The host's health and every service's",
            )
            .json(OK, "Live and not unhealthy.", schema::<HostHealth>)
            .json(UNAVAILABLE, "Stopped or unhealthy.", schema::<HostHealth>),
        Endpoint::get("/api/openapi.json", openapi::document)
            .doc(
                "getOpenApi",
                META,
                "This document, with a path for each action",
            )
            .json(OK, "An OpenAPI 3.1 document.", schema::<Map<String, Value>>),
        Endpoint::get("/health", probes::health)
            .probe()
            .doc("getHealth", HEALTH, "The host's health, for probes")
            .json(OK, "Live and not unhealthy.", schema::<HostHealth>)
            .json(UNAVAILABLE, "Stopped or unhealthy.", schema::<HostHealth>),
        Endpoint::get("/health/live", probes::live)
            .probe()
            .doc("getLiveness", HEALTH, "Liveness: the host has not stopped")
            .json(OK, "Live.", schema::<HostHealth>)
            .json(UNAVAILABLE, "Stopped.", schema::<HostHealth>),
        Endpoint::get("/health/ready", probes::ready)
            .probe()
            .doc(
                "getReadiness",
                HEALTH,
                "Readiness: every service that must run is running",
            )
            .json(OK, "Ready.", schema::<HostHealth>)
            .json(UNAVAILABLE, "Not ready.", schema::<HostHealth>),
        Endpoint::get("/metrics", probes::metrics)
            .probe()
            .doc("getMetrics", META, "Metrics in the OpenMetrics text format")
            .answer(OK, "The metrics.", metrics),
    ]
}

/// Every method and path [`router`](crate::router) serves: the OpenAPI document's
/// `paths`, less the concrete paths it adds for each action.
///
/// ```
/// let routes = steward_http::routes();
/// assert!(routes.iter().any(|(method, path)| method == "GET" && *path == "/api/openapi.json"));
/// ```
pub fn routes() -> Vec<(Method, &'static str)> {
    endpoints()
        .into_iter()
        .map(|endpoint| (endpoint.method, endpoint.path))
        .collect()
}

/// What a `{placeholder}` in a path is, and its schema.
pub(crate) fn path_parameter(name: &str) -> (&'static str, SchemaFn) {
    match name {
        "name" => ("The service's name.", schema::<String>),
        "action" => ("The action's name.", schema::<String>),
        "id" => ("The action's id.", schema::<ActionId>),
        "command" => ("A built-in command.", commands),
        _ => ("", schema::<String>),
    }
}

/// The body of the error responses.
pub(crate) fn error_body(generator: &mut SchemaGenerator) -> Schema {
    schema::<ErrorBody<'static>>(generator)
}

fn commands(_: &mut SchemaGenerator) -> Schema {
    let mut schema = Schema::default();
    schema.insert("type".into(), "string".into());
    schema.insert("enum".into(), steward::BUILT_IN_COMMANDS.to_vec().into());
    schema
}

/// A body that is read but not used.
fn ignored(_: &mut SchemaGenerator) -> Schema {
    let mut schema = Schema::default();
    let about = "Not used; if sent, it must be JSON.";
    schema.insert("description".into(), about.into());
    schema
}
