//! The router with its layers, and a server that stops with the host.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use serde_json::Value;
use steward::HostHandle;
use tokio::net::TcpListener;
use tokio::sync::OnceCell;
use tokio::task::JoinHandle;
use tower_http::timeout::TimeoutLayer;

use crate::auth::{Token, require_token};
use crate::config::HttpConfig;
use crate::endpoints::endpoints;
use crate::error::no_route;
use crate::openapi;

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

/// What every handler can reach: the host, and its OpenAPI document.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) host: HostHandle,
    pub(crate) openapi: Arc<OpenApi>,
}

/// The document without the host's actions, and the whole document as served,
/// made on the first request: a host's services never change once it is built.
pub(crate) struct OpenApi {
    pub(crate) base: Value,
    pub(crate) served: OnceCell<Bytes>,
}

impl FromRef<AppState> for HostHandle {
    fn from_ref(state: &AppState) -> Self {
        state.host.clone()
    }
}

/// Every endpoint, for `host`, with the token, body limit and request timeout of
/// `config`; mount it in an axum app of your own, or let [`serve`] run it.
pub fn router(host: HostHandle, config: &HttpConfig) -> Router {
    let endpoints = endpoints();
    let openapi = Arc::new(OpenApi {
        base: openapi::document(&endpoints, config),
        served: OnceCell::new(),
    });
    let (mut locked, mut open) = (Router::new(), Router::new());
    for endpoint in endpoints {
        if endpoint.access.needs_token(config) {
            locked = locked.route(endpoint.path, endpoint.route);
        } else {
            open = open.route(endpoint.path, endpoint.route);
        }
    }
    if let Some(token) = &config.token {
        let token = Token(Arc::from(token.as_str()));
        locked = locked.layer(from_fn_with_state(token, require_token));
    }
    locked
        .merge(open)
        .fallback(no_route)
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .with_state(AppState { host, openapi })
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
