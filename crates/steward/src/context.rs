//! What a running service gets from the host: its name, cancellation, health
//! reporting and the host's clock.

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

use crate::health::Health;
use crate::host::{HostHandle, HostShared};
use crate::supervisor::ServiceCell;

/// A service's view of the host for one run (a `start`, `run` or `tick`).
///
/// Cheap to clone; clones share the same cancellation.
#[derive(Clone)]
pub struct Context {
    host: Arc<HostShared>,
    cell: Arc<ServiceCell>,
    token: CancellationToken,
}

impl Context {
    pub(crate) fn new(
        host: Arc<HostShared>,
        cell: Arc<ServiceCell>,
        token: CancellationToken,
    ) -> Self {
        Self { host, cell, token }
    }

    /// The service's name.
    pub fn name(&self) -> &str {
        &self.cell.name
    }

    /// Completes when the service is asked to stop.
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        self.token.cancelled()
    }

    /// Whether the service has been asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Runs `work` until it completes (`Some`) or the service is asked to stop (`None`).
    pub async fn run_until_cancelled<F: Future>(&self, work: F) -> Option<F::Output> {
        self.token.run_until_cancelled(work).await
    }

    /// A token cancelled with the service, for tasks the service spawns itself.
    pub fn child_token(&self) -> CancellationToken {
        self.token.child_token()
    }

    /// Reports the service's health; it stands until the next report.
    ///
    /// Failed and backing-off services are unhealthy whatever they reported.
    pub fn set_health(&self, health: Health) {
        self.cell.set_reported_health(health);
    }

    /// The host's wall-clock time (follows tokio's paused time under test).
    pub fn now(&self) -> DateTime<Utc> {
        self.host.clock.now()
    }

    /// A handle to the host: other services' status, health and control.
    pub fn host(&self) -> HostHandle {
        HostHandle::new(self.host.clone())
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("service", &self.cell.name)
            .field("cancelled", &self.token.is_cancelled())
            .finish()
    }
}
