//! The HTTP control plane of a [Steward](steward) host: a REST API over services,
//! actions and dead letters, health endpoints for probes, Prometheus `/metrics`,
//! and server-sent events.
//!
//! [`serve`] listens as the `[http]` section says and stops with the host;
//! [`router`] gives the same endpoints as an axum [`Router`](axum::Router) to mount in an app of
//! your own.
//!
//! ```no_run
//! use steward::Host;
//! use steward_http::HttpConfig;
//!
//! # async fn run() -> anyhow::Result<()> {
//! let host = Host::builder()
//!     .config_file("steward.toml")
//!     .config_section(steward_http::SECTION)
//!     .build()?;
//! let http = HttpConfig::from_config(host.config())?;
//! let running = host.start().await?;
//! let server = steward_http::serve(running.handle(), http).await?;
//! tracing::info!(address = %server.address(), "control plane listening");
//! running.shutdown_requested().await;
//! running.shutdown().await;
//! server.stopped().await?;
//! # Ok(())
//! # }
//! ```
//!
//! | method & path | does |
//! | --- | --- |
//! | `GET /api/services` | every service's status |
//! | `GET /api/services/{name}` | info: schedule, actions with schemas, events, config |
//! | `GET /api/services/{name}/status` · `/health` | status; health (503 when unhealthy) |
//! | `POST /api/services/{name}/trigger` · `/check-queue` · `/process-batch` | built-in commands |
//! | `POST /api/services/{name}/start` · `/stop` · `/restart` | lifecycle |
//! | `POST /api/services/{name}/actions/{action}` | body = parameters; `?wait=true` answers the result, else `202` with the id; also `priority`, `timeout`, `correlation_id`, `no_wait_for_room`, `retries` with `backoff` (`1s..30s`), `after` or `at` |
//! | `GET /api/actions/{id}` · `POST /api/actions/{id}/cancel` | an accepted action |
//! | `GET /api/services/{name}/actions?limit=N` | its finished actions, newest first (50 by default, 1 to 1000) |
//! | `GET /api/dead-letters` · `POST /api/dead-letters/{id}/retry` | dead letters |
//! | `GET /api/events?service=&event=` | server-sent events |
//! | `GET /health` · `/health/live` · `/health/ready` · `/api/system/health` | host health, 200 or 503 |
//! | `GET /metrics` | OpenMetrics text |
//! | `GET /api/openapi.json` | the OpenAPI 3.1 document of these endpoints, one path per action |
//!
//! Errors are `{"error": {"code": "...", "message": "..."}}`: 400 for malformed
//! JSON, 422 for parameters of the wrong shape (the message names the field), 404
//! for an unknown service, action or id, 413 for a body over `body_limit`, 401
//! without the token and 403 with a wrong one.
//!
//! The router and the OpenAPI document are both built from one route table, so
//! every endpoint is documented; [`routes`] lists them.

mod auth;
mod body;
mod config;
mod endpoints;
mod error;
mod openapi;
mod routes;
mod server;

pub use config::{HttpConfig, SECTION};
pub use endpoints::routes;
pub use error::ApiError;
pub use server::{HttpError, Server, router, serve};
