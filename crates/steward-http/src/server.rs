//! The router with its layers, and a server that stops with the host.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use steward::HostHandle;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower_http::timeout::TimeoutLayer;

use crate::auth::{Token, require_token};
use crate::config::HttpConfig;
use crate::error::no_route;
use crate::routes::{actions, events, probes, services};

/// Why the control plane could not serve.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The configuration must not be served as it is (see [`HttpConfig::refusal`]).
    #[error("{0}")]
    Refused(String),
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address in `http.bind`.
        address: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The server stopped with an error.
    #[error("the HTTP server failed: {0}")]
    Serve(#[source] std::io::Error),
}

/// Every endpoint, for `host`, with the token, body limit and request timeout of
/// `config`; mount it in an axum app of your own, or let [`serve`] run it.
pub fn router(host: HostHandle, config: &HttpConfig) -> Router {
    let api = Router::new()
        .route("/api/services", get(services::list))
        .route("/api/services/{name}", get(services::info))
        .route("/api/services/{name}/status", get(services::status))
        .route("/api/services/{name}/health", get(services::health))
        .route("/api/services/{name}/{verb}", post(services::verb))
        .route("/api/services/{name}/actions/{action}", post(actions::send))
        .route("/api/actions/{id}", get(actions::get))
        .route("/api/actions/{id}/cancel", post(actions::cancel))
        .route("/api/dead-letters", get(actions::dead_letters))
        .route("/api/dead-letters/{id}/retry", post(actions::retry))
        .route("/api/events", get(events::stream))
        .route("/api/system/health", get(probes::health));
    let probes = Router::new()
        .route("/health", get(probes::health))
        .route("/health/live", get(probes::live))
        .route("/health/ready", get(probes::ready))
        .route("/metrics", get(probes::metrics));
    let (api, probes) = match &config.token {
        Some(token) => {
            let token = Token(Arc::from(token.as_str()));
            let guard = from_fn_with_state(token, require_token);
            let probes = if config.protect_probes {
                probes.layer(guard.clone())
            } else {
                probes
            };
            (api.layer(guard), probes)
        }
        None => (api, probes),
    };
    api.merge(probes)
        .fallback(no_route)
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .with_state(host)
}

/// A running control plane.
#[derive(Debug)]
pub struct Server {
    address: SocketAddr,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// The address it listens on (the port is the real one when `bind` asked for
    /// port 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Completes when the server has stopped: after the host's shutdown was
    /// requested and open requests finished.
    pub async fn stopped(self) -> Result<(), HttpError> {
        match self.task.await {
            Ok(result) => result.map_err(HttpError::Serve),
            Err(error) => Err(HttpError::Serve(std::io::Error::other(error))),
        }
    }
}

/// Listens on `config.bind` and serves [`router`] until the host's shutdown is
/// requested. Refuses a bind address other machines can reach when no token is
/// set.
pub async fn serve(host: HostHandle, config: HttpConfig) -> Result<Server, HttpError> {
    if let Some(reason) = config.refusal() {
        return Err(HttpError::Refused(reason));
    }
    let bind_error = |source| HttpError::Bind {
        address: config.bind,
        source,
    };
    let listener = TcpListener::bind(config.bind).await.map_err(bind_error)?;
    let address = listener.local_addr().map_err(bind_error)?;
    let app = router(host.clone(), &config);
    let stop = async move { host.shutdown_requested().await };
    let serving = axum::serve(listener, app).with_graceful_shutdown(stop);
    let task = tokio::spawn(async move { serving.await });
    Ok(Server { address, task })
}
