//! Steward: one continuous no-op service behind its HTTP control plane,
//! `steward_http::serve` on a free loopback port.

use std::net::{Ipv4Addr, SocketAddr};

use anyhow::Context as _;
use axum::body::Bytes;
use steward::{RunningHost, continuous};
use steward_http::{HttpConfig, Server};

use super::{Load, Round, SERVICE};
use crate::host::{self, Idle};

/// The host with its one service running, and its control plane listening.
async fn start() -> anyhow::Result<(RunningHost, Server)> {
    let running = host::start_one(continuous(SERVICE, Idle)).await?;
    let handle = running.handle();
    let mut config = HttpConfig::default();
    config.bind = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let server = steward_http::serve(handle, config).await?;
    Ok((running, server))
}

/// Shuts the host down, which stops its control plane too.
async fn stop(running: RunningHost, server: Server) -> anyhow::Result<()> {
    let report = running.shutdown().await;
    server.stopped().await.context("the control plane failed")?;
    host::stopped_cleanly(&report, 1)
}

pub(super) async fn round(load: Load) -> anyhow::Result<Round> {
    let (running, server) = start().await?;
    let round = super::drive(server.address(), load).await;
    stop(running, server).await?;
    round
}

/// The status body the control plane answers, for the floor to answer too.
pub(super) async fn status_body() -> anyhow::Result<Bytes> {
    let (running, server) = start().await?;
    let body = super::fetch(server.address()).await;
    stop(running, server).await?;
    body
}
