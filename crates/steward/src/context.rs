//! What a running service gets from the host: its name, cancellation, health
//! reporting and the host's clock.

use std::future::Future;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

use crate::health::Health;
use crate::host::{HostHandle, HostShared};
use crate::supervisor::ServiceCell;

/// A service's view of the host for one attempt (a `start` and `run`, or the
/// ticks between two restarts).
///
/// Cheap to clone; clones share the same cancellation.
#[derive(Clone)]
pub struct Context {
    inner: Arc<Inner>,
}

struct Inner {
    host: Arc<HostShared>,
    cell: Arc<ServiceCell>,
    /// Cancelled when the service is asked to stop.
    stop: CancellationToken,
    /// Parent of the tokens handed out by `child_token`, cancelled when this attempt
    /// ends; made on first use, as most services never ask.
    attempt: OnceLock<CancellationToken>,
}

impl Context {
    pub(crate) fn new(
        host: Arc<HostShared>,
        cell: Arc<ServiceCell>,
        stop: CancellationToken,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                host,
                cell,
                stop,
                attempt: OnceLock::new(),
            }),
        }
    }

    /// Ends the attempt: cancels the tokens handed out by [`child_token`](Self::child_token).
    pub(crate) fn end_attempt(&self) {
        if let Some(attempt) = self.inner.attempt.get() {
            attempt.cancel();
        }
    }

    /// The token cancelled when the service is asked to stop.
    pub(crate) fn stop_token(&self) -> &CancellationToken {
        &self.inner.stop
    }

    /// The service's name.
    pub fn name(&self) -> &str {
        &self.inner.cell.name
    }

    /// Completes when the service is asked to stop.
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        self.inner.stop.cancelled()
    }

    /// Whether the service has been asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.inner.stop.is_cancelled()
    }

    /// Runs `work` until it completes (`Some`) or the service is asked to stop (`None`).
    pub async fn run_until_cancelled<F: Future>(&self, work: F) -> Option<F::Output> {
        self.inner.stop.run_until_cancelled(work).await
    }

    /// A token for tasks the service spawns itself: cancelled when the service is
    /// asked to stop, and when this attempt ends (the service failed and is about
    /// to be restarted), so helpers never outlive the run that started them.
    pub fn child_token(&self) -> CancellationToken {
        self.inner
            .attempt
            .get_or_init(|| self.inner.stop.child_token())
            .child_token()
    }

    /// Reports the service's health; it stands until the next report or restart.
    ///
    /// Failed and backing-off services are unhealthy whatever they reported.
    pub fn set_health(&self, health: Health) {
        self.inner.cell.set_reported_health(health);
    }

    /// The host's wall-clock time (follows tokio's paused time under test).
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.host.clock.now()
    }

    /// A handle to the host: other services' status, health and control.
    pub fn host(&self) -> HostHandle {
        HostHandle::new(self.inner.host.clone())
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("service", &self.inner.cell.name)
            .field("cancelled", &self.inner.stop.is_cancelled())
            .finish()
    }
}
