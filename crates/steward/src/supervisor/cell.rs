//! The host's record of one service: its definition, state and history.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::{AbortHandle, JoinHandle};
use tokio_util::sync::CancellationToken;

use super::state_cell::StateCell;
use super::tick_stats::TickStats;
use crate::action::dispatch::ServiceActions;
use crate::clock::Clock;
use crate::event::EventInfo;
use crate::health::{Health, HealthStatus};
use crate::metrics::{Metrics, RunMetrics};
use crate::restart::Restart;
use crate::schedule::Schedule;
use crate::service::{Body, ServiceKind};
use crate::state::State;
use crate::status::Outcome;
use crate::status::ServiceStatus;

/// A service's effective options, after configuration.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub(crate) kind: ServiceKind,
    /// The configured kind it is an instance of (`process`).
    pub(crate) builtin: Option<&'static str>,
    pub(crate) disabled: Option<String>,
    pub(crate) critical: bool,
    pub(crate) order: i32,
    pub(crate) depends_on: Vec<usize>,
    pub(crate) restart: Restart,
    pub(crate) stop_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) continue_on_failure: bool,
    pub(crate) schedule: Option<Schedule>,
    /// The events it declares it emits.
    pub(crate) emits: Box<[EventInfo]>,
}

/// The running part of a started service.
#[derive(Debug)]
pub(crate) struct RunHandle {
    pub(crate) token: CancellationToken,
    pub(crate) abort: AbortHandle,
    /// Taken by the first stop, which waits for the task to end.
    pub(crate) join: Option<JoinHandle<()>>,
}

/// Mutable facts about a service, under one lock.
#[derive(Debug, Default)]
pub(crate) struct Record {
    pub(crate) reported: Health,
    pub(crate) restarts: u32,
    pub(crate) last_error: Option<String>,
    pub(crate) since: Option<DateTime<Utc>>,
    pub(crate) reason: Option<String>,
    pub(crate) has_run: bool,
}

/// One service as the host holds it.
pub(crate) struct ServiceCell {
    pub(crate) name: Arc<str>,
    pub(crate) body: Body,
    pub(crate) spec: Spec,
    pub(crate) dependency_names: Vec<String>,
    pub(crate) state: StateCell,
    pub(crate) record: Mutex<Record>,
    pub(crate) run: Mutex<Option<RunHandle>>,
    /// Held while a transition is applied and announced, to keep them in order.
    announcing: Mutex<()>,
    /// Serialises start, stop and restart requests.
    pub(crate) control: tokio::sync::Mutex<()>,
    /// Its actions' table and mailbox, if it has actions.
    pub(crate) actions: Option<Box<ServiceActions>>,
    /// Its run metrics, looked up in the host's registry when it first runs.
    runs: OnceLock<RunMetrics>,
}

impl ServiceCell {
    pub(crate) fn new(
        name: Arc<str>,
        body: Body,
        spec: Spec,
        dependency_names: Vec<String>,
        actions: Option<Box<ServiceActions>>,
    ) -> Self {
        Self {
            name,
            body,
            spec,
            dependency_names,
            state: StateCell::new(State::Pending),
            record: Mutex::new(Record::default()),
            run: Mutex::new(None),
            announcing: Mutex::new(()),
            control: tokio::sync::Mutex::new(()),
            actions,
            runs: OnceLock::new(),
        }
    }

    /// Records a run (or tick) that ended.
    pub(crate) fn run_ended(&self, metrics: &Metrics, outcome: Outcome, took: Duration) {
        self.run_metrics(metrics).ended(outcome, took);
    }

    /// Its run metrics, if it has run.
    pub(crate) fn run_counts(&self) -> Option<&RunMetrics> {
        self.runs.get()
    }

    /// Its run metrics, registered when first asked for.
    pub(crate) fn run_metrics(&self, metrics: &Metrics) -> &RunMetrics {
        self.runs.get_or_init(|| metrics.runs(&self.name))
    }

    /// A periodic service's tick history, kept beside the service itself.
    pub(crate) fn ticks(&self) -> Option<&TickStats> {
        match &self.body {
            Body::Supervised(work) => work.tick_stats(),
            Body::Startup(_) => None,
        }
    }

    /// Asks the run that `token` belongs to to stop. A tick loop is flagged first:
    /// it looks at its token only when something wakes it, and a cancel that
    /// lands during a tick wakes nothing.
    pub(crate) fn cancel(&self, token: &CancellationToken) {
        if let Some(ticks) = self.ticks() {
            ticks.request_stop();
        }
        token.cancel();
    }

    pub(crate) fn current_state(&self) -> State {
        self.state.get()
    }

    /// The record, even if a panic elsewhere poisoned its lock (it holds plain data).
    pub(crate) fn record(&self) -> MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn announcing(&self) -> MutexGuard<'_, ()> {
        self.announcing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn run_handle(&self) -> MutexGuard<'_, Option<RunHandle>> {
        self.run.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn set_reported_health(&self, health: Health) {
        self.record().reported = health;
    }

    /// Whether a supervisor task for this service is alive.
    pub(crate) fn is_active(&self) -> bool {
        self.run_handle()
            .as_ref()
            .is_some_and(|run| !run.abort.is_finished())
    }

    pub(crate) fn status(&self, clock: &Clock) -> ServiceStatus {
        let state = self.current_state();
        let record = self.record();
        ServiceStatus {
            name: self.name.to_string(),
            kind: self.spec.kind,
            builtin: self.spec.builtin,
            state,
            since: record.since,
            reason: record.reason.clone(),
            critical: self.spec.critical,
            health: self.effective_health(state, &record),
            restarts: record.restarts,
            last_error: (self.ticks().and_then(|ticks| ticks.last_error()))
                .or_else(|| record.last_error.clone()),
            depends_on: self.dependency_names.clone(),
            schedule: self.spec.schedule.as_ref().map(ToString::to_string),
            runs: self.ticks().map(|ticks| ticks.stats(clock)),
            queue: self.actions.as_ref().map(|actions| actions.queue()),
        }
    }

    pub(crate) fn health(&self) -> Health {
        let state = self.current_state();
        let record = self.record();
        self.effective_health(state, &record)
    }

    /// Health from state first, then from what the service reported.
    fn effective_health(&self, state: State, record: &Record) -> Health {
        let why = || {
            record
                .last_error
                .clone()
                .unwrap_or_else(|| state.to_string())
        };
        match state {
            State::Failed => Health::unhealthy(format!("failed: {}", why())),
            State::BackingOff => Health::unhealthy(format!("restarting after: {}", why())),
            State::Disabled => Health::healthy().with_detail("disabled", true),
            State::Stopped if self.spec.kind == ServiceKind::Startup => Health::healthy(),
            State::Pending | State::Starting | State::Stopping | State::Stopped => {
                Health::degraded(state.to_string())
            }
            State::Running => {
                let reported = record.reported.clone();
                match self.ticks().and_then(|ticks| ticks.last_error()) {
                    Some(error) if reported.status == HealthStatus::Healthy => {
                        Health::degraded(format!("last tick failed: {error}"))
                    }
                    _ => reported,
                }
            }
        }
    }
}
