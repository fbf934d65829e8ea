//! Handles to a host and its services: status, health, control.

use std::sync::Arc;

use tokio::sync::broadcast;

use super::shared::{HostShared, Phase};
use crate::action::{ActionError, ActionId, ActionRecord, cancel, read_record, retry_dead_letter};
use crate::client::ServiceRef;
use crate::config::Environment;
use crate::error::ControlError;
use crate::event::{Emitted, Subscribe, Subscriptions};
use crate::health::{HealthStatus, HostHealth, ServiceHealth};
use crate::service::ServiceKind;
use crate::state::{State, Transition};
use crate::status::ServiceStatus;
use crate::supervisor::{ServiceCell, launch, stop};

/// A cheap, cloneable handle to a host.
#[derive(Clone)]
pub struct HostHandle {
    host: Arc<HostShared>,
}

impl HostHandle {
    pub(crate) fn new(host: Arc<HostShared>) -> Self {
        Self { host }
    }

    /// A handle to one service by name.
    pub fn service(&self, name: &str) -> Result<ServiceHandle, ControlError> {
        let index = *self
            .host
            .by_name
            .get(name)
            .ok_or_else(|| ControlError::UnknownService(name.to_owned()))?;
        Ok(ServiceHandle {
            host: self.host.clone(),
            index,
        })
    }

    /// Every service's status, startup services first, then in start order.
    pub fn services(&self) -> Vec<ServiceStatus> {
        let clock = &self.host.clock;
        self.host
            .cells
            .iter()
            .map(|cell| cell.status(clock))
            .collect()
    }

    /// Liveness, readiness and every service's health.
    pub fn health(&self) -> HostHealth {
        let phase = self.host.phase();
        let mut ready = phase == Phase::Running;
        let mut status = HealthStatus::Healthy;
        let mut services = Vec::with_capacity(self.host.cells.len());
        for cell in &self.host.cells {
            let health = cell.health();
            let critical = cell.spec.critical;
            let counted = if critical {
                health.status
            } else {
                health.status.min(HealthStatus::Degraded)
            };
            status = status.max(counted);
            ready &= is_ready(&self.host, cell, critical);
            services.push(ServiceHealth {
                name: cell.name.to_string(),
                critical,
                health,
            });
        }
        HostHealth {
            live: phase != Phase::Stopped,
            ready,
            status,
            services,
        }
    }

    /// The one service of type `T`, for typed actions, events and queries.
    ///
    /// It is looked up when used: an error then says if no service, or several,
    /// are of that type.
    pub fn of<T: 'static>(&self) -> ServiceRef<T> {
        ServiceRef::of(self.host.clone())
    }

    /// The service named `name`, for actions, events and queries by name and JSON.
    pub fn named(&self, name: &str) -> ServiceRef {
        ServiceRef::named(self.host.clone(), name)
    }

    /// Every event any service emits.
    pub fn events(&self) -> Subscribe<Emitted> {
        Subscribe::new(self.host.clone(), Ok(None), None)
    }

    /// Several handlers for events of every service, started and ended together.
    pub fn subscribe(&self) -> Subscriptions {
        Subscriptions::new(self.host.clone(), Ok(None))
    }

    /// Events named `name`, from any service.
    pub fn on_named(&self, name: &str) -> Subscribe<Emitted> {
        Subscribe::new(self.host.clone(), Ok(None), Some(name.into()))
    }

    /// The host's metrics: Steward's own and any registered by services, for a
    /// `/metrics` endpoint ([`Metrics::encode`](crate::metrics::Metrics::encode)).
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.host.metrics
    }

    /// How many event subscriptions are open.
    pub fn subscribers(&self) -> usize {
        self.host.events.len()
    }

    /// An accepted action's record: state, attempts, result or error.
    pub async fn action(&self, id: ActionId) -> Result<ActionRecord, ActionError> {
        read_record(&self.host, id).await
    }

    /// Actions that failed every attempt their retry policy allowed, oldest first.
    pub async fn dead_letters(&self) -> Result<Vec<ActionRecord>, ActionError> {
        Ok(self.host.journal.dead_letters().await?)
    }

    /// Withdraws a queued action before it runs (`cancelled` in its record; a
    /// caller waiting for it gets [`ActionError::Cancelled`]), also one a previous
    /// run left that replay has not read back in yet. An action already running
    /// cannot be cancelled this way: give it a timeout. Before the host starts it
    /// waits for the start.
    pub async fn cancel(&self, id: ActionId) -> Result<(), ActionError> {
        cancel(&self.host, id).await
    }

    /// Queues a dead-lettered action again (once, with no further retries); its
    /// outcome is in its record. Before the host starts it waits for the start.
    pub async fn retry_dead_letter(&self, id: ActionId) -> Result<(), ActionError> {
        retry_dead_letter(&self.host, id).await
    }

    /// Every transition from now on. A receiver that falls more than 1,024
    /// transitions behind loses the oldest and is told how many it missed.
    pub fn transitions(&self) -> broadcast::Receiver<Transition> {
        self.host.transitions.subscribe()
    }

    /// Completes once start-up is over: `true` when the host is running (its
    /// services launched), `false` when it stopped or failed to start first.
    /// For a readiness signal such as systemd's `READY=1`.
    pub async fn started(&self) -> bool {
        let mut phase = self.host.phase.subscribe();
        let settled = phase
            .wait_for(|phase| !matches!(phase, Phase::Built | Phase::Starting))
            .await
            .map(|phase| *phase == Phase::Running);
        settled.unwrap_or(false)
    }

    /// Asks the host to shut down; [`Host::run`](crate::Host::run) and
    /// [`RunningHost::shutdown_requested`](crate::RunningHost::shutdown_requested) see it.
    pub fn request_shutdown(&self) {
        self.host.shutdown_requested.cancel();
    }

    /// Whether a shutdown has been requested (or is under way).
    pub fn is_shutdown_requested(&self) -> bool {
        self.host.shutdown_requested.is_cancelled()
    }

    /// Completes when a shutdown is requested.
    pub async fn shutdown_requested(&self) {
        self.host.shutdown_requested.cancelled().await;
    }

    /// The environment the host runs in.
    pub fn environment(&self) -> Environment {
        self.host.config.host.environment
    }

    /// Cancels every service, then aborts every supervisor task.
    pub(crate) fn abort_all(&self) {
        for (_, abort) in self.host.cancel_runs(|_| true) {
            abort.abort();
        }
    }

    /// How many services have a supervisor task alive.
    pub(crate) fn active_services(&self) -> usize {
        self.host
            .cells
            .iter()
            .filter(|cell| cell.is_active())
            .count()
    }
}

fn is_ready(host: &HostShared, cell: &ServiceCell, critical: bool) -> bool {
    if cell.spec.disabled.is_some() || cell.spec.kind == ServiceKind::Startup {
        return true;
    }
    let state = cell.current_state();
    if critical {
        return state == State::Running;
    }
    if cell.record().has_run || !matches!(state, State::Pending | State::Starting) {
        return true;
    }
    // Held back by a dependency that settled without running (failed, stopped):
    // it starts when that one runs again, which readiness does not wait for.
    state == State::Pending
        && cell
            .spec
            .depends_on
            .iter()
            .any(|&index| host.cells[index].current_state().is_settled())
}

/// A handle to one service: status, health, and start/stop/restart.
#[derive(Clone)]
pub struct ServiceHandle {
    host: Arc<HostShared>,
    index: usize,
}

impl ServiceHandle {
    /// The service's name.
    pub fn name(&self) -> &str {
        &self.cell().name
    }

    /// Its current state.
    pub fn state(&self) -> State {
        self.cell().current_state()
    }

    /// A snapshot of its status.
    pub fn status(&self) -> ServiceStatus {
        self.cell().status(&self.host.clock)
    }

    /// Its effective health.
    pub fn health(&self) -> crate::Health {
        self.cell().health()
    }

    /// Starts the service if it is not running; does nothing if it is.
    ///
    /// Control requests run on a task of their own: dropping the returned future
    /// does not leave a restart half done.
    pub async fn start(&self) -> Result<(), ControlError> {
        self.control(Control::Start).await
    }

    /// Stops the service within its stop timeout; does nothing if it is stopped.
    ///
    /// A service must not await its own stop: it would wait for itself until its
    /// stop timeout abandons it. To restart itself, a service returns an error.
    pub async fn stop(&self) -> Result<(), ControlError> {
        self.control(Control::Stop).await
    }

    /// Stops the service, then starts it again.
    pub async fn restart(&self) -> Result<(), ControlError> {
        self.control(Control::Restart).await
    }

    async fn control(&self, request: Control) -> Result<(), ControlError> {
        self.controllable()?;
        if request != Control::Stop {
            self.check_phase()?;
        }
        let handle = self.clone();
        let task = tokio::spawn(async move {
            let cell = handle.cell();
            let _serial = cell.control.lock().await;
            if request != Control::Start {
                stop(&handle.host, cell).await;
            }
            if request != Control::Stop {
                handle.check_phase()?;
                launch(&handle.host, cell);
            }
            Ok(())
        });
        task.await.unwrap_or(Err(ControlError::ShuttingDown))
    }

    /// Waits until the service is in `state`.
    pub async fn wait_for(&self, state: State) {
        self.cell().state.wait_for(|current| current == state).await;
    }

    fn cell(&self) -> &Arc<ServiceCell> {
        &self.host.cells[self.index]
    }

    fn controllable(&self) -> Result<&Arc<ServiceCell>, ControlError> {
        let cell = self.cell();
        if cell.spec.kind == ServiceKind::Startup {
            return Err(ControlError::StartupService(cell.name.to_string()));
        }
        if cell.spec.disabled.is_some() {
            return Err(ControlError::Disabled(cell.name.to_string()));
        }
        Ok(cell)
    }

    fn check_phase(&self) -> Result<(), ControlError> {
        match self.host.phase() {
            Phase::Built | Phase::Starting => Err(ControlError::NotStarted),
            Phase::Stopping | Phase::Stopped => Err(ControlError::ShuttingDown),
            Phase::Running => Ok(()),
        }
    }
}

/// A run-time control request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Start,
    Stop,
    Restart,
}

impl std::fmt::Debug for HostHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostHandle")
            .field("services", &self.host.cells.len())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ServiceHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceHandle")
            .field("name", &self.name())
            .field("state", &self.state())
            .finish()
    }
}
