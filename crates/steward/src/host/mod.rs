//! The host: owns the configuration and the services, starts them in order,
//! supervises them and shuts them down.

mod builder;
mod handle;
mod plan;
mod shared;
mod shutdown;
mod signals;

use std::sync::Arc;

pub use builder::HostBuilder;
pub use handle::{HostHandle, ServiceHandle};
pub(crate) use shared::{HostShared, Phase};

use crate::action::replay_backlog;
use crate::config::Config;
use crate::error::{HostError, ShutdownReport};
use crate::supervisor::{launch, run_startup};
use signals::Signals;

/// A built host, validated and not yet started.
///
/// [`run`](Self::run) is the whole life in one call: start, wait for SIGTERM or
/// SIGINT (or [`HostHandle::request_shutdown`]), shut down gracefully; a second
/// signal forces the exit. [`start`](Self::start) gives the pieces to embed the host
/// in a larger program.
pub struct Host {
    shared: Arc<HostShared>,
}

impl Host {
    /// A builder with no services, no file, and the `STEWARD` environment prefix.
    pub fn builder() -> HostBuilder {
        HostBuilder::default()
    }

    /// The effective configuration.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// A handle for status, health and control, usable before and after start.
    pub fn handle(&self) -> HostHandle {
        HostHandle::new(self.shared.clone())
    }

    /// Runs startup services in order, then launches the others in dependency
    /// order and returns; it does not wait for them to be running.
    ///
    /// A failing startup service aborts start-up (unless it or the host allows
    /// continuing) and nothing else is started. So does a journal that cannot list
    /// its unfinished actions or read a first page of them
    /// ([`HostError::Replay`]): no service is started, and what was not yet read
    /// stays in the journal. Replay reads the rest a page at a time after start.
    pub async fn start(self) -> Result<RunningHost, HostError> {
        let host = self.shared;
        host.phase.send_replace(Phase::Starting);
        if let Err(error) = replay_backlog(&host).await {
            tracing::error!(%error, "cannot read unfinished actions from the journal; not starting");
            // Actions sent before start stop waiting and are refused: nothing runs.
            host.close_mailboxes();
            host.accept_actions();
            host.phase.send_replace(Phase::Stopped);
            host.shutdown_requested.cancel();
            return Err(HostError::Replay(error));
        }
        host.accept_actions();
        tracing::info!(
            services = host.cells.len(),
            environment = %host.config.host.environment,
            "host starting"
        );
        let (startup, others) = host.cells.split_at(host.startup_count);
        for cell in startup {
            if cell.spec.disabled.is_some() {
                continue;
            }
            if let Err(reason) = run_startup(&host, cell).await {
                if !cell.spec.continue_on_failure {
                    host.phase.send_replace(Phase::Stopped);
                    // Whatever waits for the host's end (a control plane) stops too.
                    host.shutdown_requested.cancel();
                    return Err(HostError::StartupFailed {
                        service: cell.name.to_string(),
                        reason,
                    });
                }
                tracing::warn!(service = %cell.name, %reason, "startup service failed; continuing");
            }
        }
        for cell in others {
            if cell.spec.disabled.is_none() {
                launch(&host, cell);
            }
        }
        host.phase.send_replace(Phase::Running);
        tracing::info!("host started");
        host.shutdown_if_a_critical_service_failed();
        Ok(RunningHost { shared: host })
    }

    /// Starts, runs until SIGTERM/SIGINT or a shutdown request, then shuts down
    /// gracefully. A second signal during shutdown returns [`HostError::Forced`]
    /// at once, abandoning what is still stopping. However it returns, the
    /// host's shutdown counts as requested, so what waits on
    /// [`HostHandle::shutdown_requested`] (a control plane) ends too.
    pub async fn run(self) -> Result<ShutdownReport, HostError> {
        let handle = self.handle();
        let mut signals = match Signals::listen() {
            Ok(signals) => signals,
            Err(error) => {
                handle.request_shutdown();
                return Err(HostError::Signals(error));
            }
        };
        let running = tokio::select! {
            started = self.start() => started?,
            signal = signals.next() => {
                tracing::info!(signal, "signal during start-up; stopping");
                handle.request_shutdown();
                return Ok(ShutdownReport::default());
            }
        };
        tokio::select! {
            signal = signals.next() => tracing::info!(signal, "signal received; shutting down"),
            () = running.shutdown_requested() => tracing::info!("shutdown requested"),
        }
        tokio::select! {
            report = running.shutdown() => Ok(report),
            signal = signals.next() => {
                let left = handle.active_services();
                tracing::warn!(signal, left, "second signal; forcing exit");
                handle.abort_all();
                Err(HostError::Forced(left))
            }
        }
    }
}

/// A started host.
///
/// Dropping it without calling [`shutdown`](Self::shutdown) leaves the services
/// running until the runtime ends.
pub struct RunningHost {
    shared: Arc<HostShared>,
}

impl RunningHost {
    /// A handle for status, health and control.
    pub fn handle(&self) -> HostHandle {
        HostHandle::new(self.shared.clone())
    }

    /// Completes when someone asks the host to shut down (a handle, or a critical
    /// failure when `shutdown_on_critical_failure` is set).
    pub async fn shutdown_requested(&self) {
        self.shared.shutdown_requested.cancelled().await;
    }

    /// Stops every service in reverse start order, each within its stop timeout,
    /// all within the host's shutdown timeout.
    ///
    /// It returns as soon as every service has stopped; the host's own memory (and
    /// the service values in it, unless a [`HostHandle`] still holds the host) is
    /// released afterwards on a blocking thread, so that freeing thousands of
    /// services does not delay the caller.
    pub async fn shutdown(self) -> ShutdownReport {
        let report = shutdown::shutdown(&self.shared).await;
        let shared = self.shared;
        // Dropped here instead if no blocking thread can be had (a runtime
        // shutting down): the closure is dropped with the host in it.
        drop(tokio::task::spawn_blocking(move || drop(shared)));
        report
    }
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("services", &self.shared.cells.len())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for RunningHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningHost")
            .field("services", &self.shared.cells.len())
            .finish_non_exhaustive()
    }
}
