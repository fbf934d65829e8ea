//! The floor: a bare axum handler on the same route, served by `axum::serve`,
//! answering a static body — the bytes Steward answered — as JSON.

use std::net::{Ipv4Addr, SocketAddr};

use anyhow::Context as _;
use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::{Load, Round};

/// The route Steward's status is served on.
const ROUTE: &str = "/api/services/{name}/status";

pub(super) async fn round(load: Load, body: Bytes) -> anyhow::Result<Round> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
    let address = listener.local_addr()?;
    let app = Router::new().route(
        ROUTE,
        get(move || {
            let body = body.clone();
            async move {
                (
                    [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
                    body,
                )
            }
        }),
    );
    let stop = CancellationToken::new();
    let serving = axum::serve(listener, app).with_graceful_shutdown(stop.clone().cancelled_owned());
    let server = tokio::spawn(async move { serving.await });
    let round = super::drive(address, load).await;
    stop.cancel();
    server
        .await
        .context("the axum server panicked")?
        .context("the axum server failed")?;
    round
}
