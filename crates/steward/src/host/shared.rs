//! State the host shares with every supervisor task and handle.

use crate::metrics::Metrics;
use std::any::TypeId;
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Notify, broadcast, watch};
use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::action::{ActionError, Journal};
use crate::clock::Clock;
use crate::config::Config;
use crate::event::EventBus;
use crate::health::Health;
use crate::state::{State, Transition};
use crate::supervisor::ServiceCell;

/// Where the host is in its own life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Built,
    Starting,
    Running,
    Stopping,
    Stopped,
}

/// A synchronous observer of transitions; never misses one.
pub(crate) type Observer = Arc<dyn Fn(&Transition) + Send + Sync>;

/// How many transitions a lagging broadcast receiver may fall behind.
pub(crate) const TRANSITION_BUFFER: usize = 1024;

pub(crate) struct HostShared {
    /// Startup services in run order, then the others in start order.
    pub(crate) cells: Vec<Arc<ServiceCell>>,
    pub(crate) by_name: HashMap<Arc<str>, usize>,
    /// How many of `cells` (the first ones) are startup services.
    pub(crate) startup_count: usize,
    /// Groups of services that stop together, in stop order.
    pub(crate) stop_waves: Vec<Vec<usize>>,
    pub(crate) config: Config,
    pub(crate) clock: Clock,
    pub(crate) transitions: broadcast::Sender<Transition>,
    pub(crate) observers: Vec<Observer>,
    pub(crate) tracker: TaskTracker,
    pub(crate) shutdown_requested: CancellationToken,
    pub(crate) phase: watch::Sender<Phase>,
    pub(crate) journal: Arc<dyn Journal>,
    pub(crate) events: EventBus,
    pub(crate) metrics: Metrics,
    /// Set once replay has begun: it knows the newest action it will read, and
    /// each service's first page of unfinished actions is back in line.
    pub(crate) accepting: AtomicBool,
    pub(crate) accepting_now: Notify,
}

impl HostShared {
    pub(crate) fn phase(&self) -> Phase {
        *self.phase.borrow()
    }

    /// Cancels the running services that `pick` picks, every one before the caller
    /// aborts any, and hands back their abort handles.
    pub(crate) fn cancel_runs(
        &self,
        pick: impl Fn(&ServiceCell) -> bool,
    ) -> Vec<(&Arc<ServiceCell>, AbortHandle)> {
        let mut running = Vec::new();
        for cell in self.cells.iter().filter(|cell| pick(cell)) {
            if let Some(run) = cell.run_handle().as_ref() {
                cell.cancel(&run.token);
                running.push((cell, run.abort.clone()));
            }
        }
        running
    }

    /// Completes once the host accepts actions (once replay has begun).
    pub(crate) async fn until_accepting(&self) {
        if self.accepting.load(Ordering::Acquire) {
            return;
        }
        loop {
            let now = self.accepting_now.notified();
            tokio::pin!(now);
            now.as_mut().enable();
            if self.accepting.load(Ordering::Acquire) {
                return;
            }
            now.await;
        }
    }

    /// Whether the host accepts actions now.
    pub(crate) fn accepting_now(&self) -> bool {
        self.accepting.load(Ordering::Acquire)
    }

    /// Closes every mailbox: from now on actions are refused as the host shutting down.
    pub(crate) fn close_mailboxes(&self) {
        for cell in &self.cells {
            if let Some(actions) = &cell.actions {
                actions.mailbox.close();
            }
        }
    }

    /// Opens the mailboxes to new actions.
    pub(crate) fn accept_actions(&self) {
        self.accepting.store(true, Ordering::Release);
        self.accepting_now.notify_waiters();
    }

    /// The index of the service named `name`.
    pub(crate) fn find_name(&self, name: &str) -> Result<usize, ActionError> {
        self.by_name
            .get(name)
            .copied()
            .ok_or_else(|| ActionError::UnknownService(name.to_owned()))
    }

    /// The index of the one service whose type is `type_id`.
    pub(crate) fn find_type(&self, type_id: TypeId, type_name: &str) -> Result<usize, ActionError> {
        let mut found = self
            .cells
            .iter()
            .enumerate()
            .filter(|(_, cell)| cell.body.service().type_id() == type_id);
        match (found.next(), found.next()) {
            (Some((index, _)), None) => Ok(index),
            (None, _) => Err(ActionError::NoSuchType(format!(
                "no service of type `{type_name}` is registered"
            ))),
            (Some((_, first)), Some((_, second))) => Err(ActionError::NoSuchType(format!(
                "several services are of type `{type_name}` (`{}`, `{}`, …): address one by name",
                first.name, second.name
            ))),
        }
    }

    /// Moves a service to `to`, then logs and announces the change.
    pub(crate) fn transition(&self, cell: &ServiceCell, to: State, reason: Option<String>) {
        let _in_order = cell.announcing();
        let from = cell.state.replace(to);
        if from != to {
            self.announce(cell, from, to, reason);
        }
    }

    /// The supervisor's own progress (starting, running, backing-off): does nothing
    /// once a stop is under way or done, so it never undoes a stop request.
    /// Returns whether the state changed.
    pub(crate) fn advance(&self, cell: &ServiceCell, to: State, reason: Option<String>) -> bool {
        let _in_order = cell.announcing();
        let from = cell
            .state
            .replace_unless(|state| state == State::Stopping || state.is_settled(), to);
        if let Some(from) = from {
            self.announce(cell, from, to, reason);
        }
        from.is_some()
    }

    /// Moves a service to `to` unless it has already settled (stopped, failed,
    /// disabled): a stop request must not undo a stop that already happened.
    pub(crate) fn transition_unless_settled(&self, cell: &ServiceCell, to: State) {
        let _in_order = cell.announcing();
        if let Some(from) = cell.state.replace_unless(State::is_settled, to) {
            self.announce(cell, from, to, None);
        }
    }

    /// Records, logs and broadcasts one change. Called with the cell's announcing
    /// lock held, so everyone hears a service's transitions in the order they happened.
    fn announce(&self, cell: &ServiceCell, from: State, to: State, mut reason: Option<String>) {
        let at = self.clock.now();
        match (&reason, to) {
            (Some(reason), State::Failed | State::BackingOff) => {
                tracing::warn!(service = %cell.name, %from, %to, %reason, "service state changed");
            }
            (Some(reason), _) => {
                tracing::info!(service = %cell.name, %from, %to, %reason, "service state changed");
            }
            (None, _) => tracing::info!(service = %cell.name, %from, %to, "service state changed"),
        }
        let heard = !self.observers.is_empty() || self.transitions.receiver_count() > 0;
        {
            let mut record = cell.record();
            record.since = Some(at);
            record.reason = if heard { reason.clone() } else { reason.take() };
            if to == State::Starting {
                // A fresh start owes nothing to what the last attempt reported.
                record.reported = Health::default();
            }
        }
        if heard {
            let transition = Transition {
                service: cell.name.clone(),
                from,
                to,
                at,
                reason,
            };
            for observer in &self.observers {
                let call = AssertUnwindSafe(|| observer(&transition));
                if std::panic::catch_unwind(call).is_err() {
                    tracing::error!(service = %cell.name, "a transition observer panicked");
                }
            }
            if self.transitions.receiver_count() > 0 {
                let _ = self.transitions.send(transition);
            }
        }
        if to == State::Failed && self.phase() == Phase::Running {
            self.shutdown_on_critical_failure(cell);
        }
    }

    /// After start-up: a critical service that failed while the others were still
    /// being launched asked for a shutdown the host could not act on yet.
    pub(crate) fn shutdown_if_a_critical_service_failed(&self) {
        let failed = self
            .cells
            .iter()
            .find(|cell| cell.current_state() == State::Failed && cell.spec.critical);
        if let Some(cell) = failed {
            self.shutdown_on_critical_failure(cell);
        }
    }

    fn shutdown_on_critical_failure(&self, cell: &ServiceCell) {
        if cell.spec.critical && self.config.host.shutdown_on_critical_failure {
            tracing::error!(service = %cell.name, "critical service failed; shutting the host down");
            self.shutdown_requested.cancel();
        }
    }
}
