//! `kind = "health-monitor"`: check other services from outside, and remedy them.
//!
//! Every `interval` the monitor checks each target, all at once, each within
//! `timeout`:
//!
//! - `http = "http://…"`: a `GET` answered with a 2xx status (and, with
//!   `body = "text"`, a body containing that text); plain `http://` only, never
//!   through a proxy;
//! - `tcp = "host:port"`: the address accepts a connection;
//! - `command = ["program", "arg"]`: the program exits with code 0 (it runs in a
//!   process group of its own, killed when its time is up).
//!
//! ```toml
//! [services.ai-health]
//! kind = "health-monitor"
//! settings = { interval = "15s", timeout = "5s", targets = [{ name = "detector", http = "http://127.0.0.1:9001/health", failures = 3, successes = 1, remedy = { restart = "detector" } }] }
//! ```
//!
//! A target becomes unhealthy after `failures` failed checks in a row (3 by
//! default), and recovers after `successes` passed checks in a row (1 by default);
//! each crossing is an event, [`TargetUnhealthy`] (`target.unhealthy`) and
//! [`TargetRecovered`] (`target.recovered`), with the target's name and the
//! reason.
//!
//! **Remedies.** `remedy = { restart = "detector" }` restarts a service of this
//! host (as `steward ctl restart detector` would); `remedy = { command = […],
//! timeout = "60s" }` runs a program (killed after its `timeout`, 60 s by
//! default). A remedy runs as soon as its target becomes unhealthy; while the
//! target stays unhealthy it runs again only once both `failures` more checks have
//! failed since the last one (so a slow-starting service gets a chance to come
//! up) and the backoff has passed: `remedy_backoff = "MIN..MAX"`, by default
//! `interval..10×interval`, doubling from the minimum after each remedy (a remedy
//! due within a tenth of `interval` runs at that check rather than a whole
//! interval later, so that timer jitter does not add an interval). With the
//! settings above (every 15 s, 3 failures) remedies run at the third failed check,
//! then 45 s, 45 s, 60 s, 120 s and 150 s apart. Each remedy is a
//! [`TargetRemedied`] event (`target.remedied`) with its attempt number and error,
//! if any. Recovery resets the backoff.
//!
//! A `restart` remedy must name another continuous or periodic service of the
//! same host: the monitor checks this **when it starts**, and fails to start with a
//! [`HealthMonitorError`] that names the target and the service otherwise (after
//! which the restart policy applies, as for any start failure).
//!
//! **Health.** The monitor is `healthy` while no target is unhealthy, `degraded`
//! while some are and `unhealthy` when all are, with a message naming them and
//! the reasons; `details.targets` holds, per target, its status (`unknown`,
//! `healthy`, `failing`, `unhealthy`, `recovering`), the last result, the
//! consecutive failures and successes, and the remedies made.
//!
//! **Metrics.** `steward_health_monitor_checks_total{service,target,outcome}`
//! counts checks by outcome (`success`, `failure`), and
//! `steward_health_monitor_target_healthy{service,target}` is 1 while a target is
//! healthy (a check may have failed, but fewer than `failures` in a row) and 0
//! while it is unhealthy, from its first check on.
//!
//! The service is periodic: `steward ctl trigger ai-health` checks now, and the
//! table's own `interval` or `cron` replaces the settings' `interval`.

mod check;
mod command;
mod error;
mod events;
mod metrics;
mod remedy;
mod report;
mod settings;
mod tracker;

#[cfg(test)]
mod tests;

use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use steward::{Backoff, Context, Health, Periodic, Schedule, ServiceDef};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use tracing::Instrument;

pub use error::HealthMonitorError;
pub use events::{TargetRecovered, TargetRemedied, TargetUnhealthy};
pub use settings::{Check, HealthMonitorSettings, Remedy, Target};

use check::Outcome;
use metrics::MonitorMetrics;
use tracker::{Change, Tracker};

/// A service that checks targets and remedies the unhealthy ones.
#[derive(Debug)]
pub struct HealthMonitor {
    settings: HealthMonitorSettings,
    backoff: Backoff,
    /// Made when the service first starts.
    client: OnceLock<reqwest::Client>,
    /// In the order of `settings.targets`.
    targets: Mutex<Vec<Watched>>,
    /// Registered when the service first starts.
    metrics: OnceLock<MonitorMetrics>,
}

/// One target's tracker and the remedy it may have running.
#[derive(Debug)]
struct Watched {
    tracker: Tracker,
    remedy: Option<JoinHandle<()>>,
}

impl Watched {
    /// Every target, unchecked, in the settings' order.
    fn all(settings: &HealthMonitorSettings) -> Vec<Self> {
        let watch = |target: &Target| Self {
            tracker: Tracker::new(target.failures, target.successes),
            remedy: None,
        };
        settings.targets.iter().map(watch).collect()
    }

    fn remedy_running(&self) -> bool {
        self.remedy.as_ref().is_some_and(|task| !task.is_finished())
    }
}

impl HealthMonitor {
    /// A monitor of the targets these settings list.
    pub fn new(settings: HealthMonitorSettings) -> Self {
        let targets = Mutex::new(Watched::all(&settings));
        Self {
            backoff: settings.remedy_backoff(),
            settings,
            client: OnceLock::new(),
            targets,
            metrics: OnceLock::new(),
        }
    }

    fn metrics(&self, cx: &Context) -> &MonitorMetrics {
        self.metrics.get_or_init(|| {
            let targets = self.settings.targets.iter().map(|target| &*target.name);
            MonitorMetrics::new(cx.metrics(), cx.name(), targets)
        })
    }

    /// Checks every target at once.
    async fn check_all(&self, client: &reqwest::Client) -> Vec<Outcome> {
        let timeout = self.settings.timeout;
        let mut checks = JoinSet::new();
        for (index, target) in self.settings.targets.iter().enumerate() {
            let run = check::run(target.check.clone(), client.clone(), timeout);
            checks.spawn(async move { (index, run.await) });
        }
        let mut outcomes: Vec<Outcome> = self
            .settings
            .targets
            .iter()
            .map(|target| Err(format!("the check of {} did not complete", target.check)))
            .collect();
        while let Some(done) = checks.join_next().await {
            if let Ok((index, outcome)) = done
                && let Some(slot) = outcomes.get_mut(index)
            {
                *slot = outcome;
            }
        }
        outcomes
    }

    fn health(&self, targets: &[Watched]) -> Health {
        let trackers: Vec<&Tracker> = targets.iter().map(|watched| &watched.tracker).collect();
        report::health(&self.settings.targets, &trackers)
    }

    fn targets(&self) -> MutexGuard<'_, Vec<Watched>> {
        self.targets.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What one round of checks leads to, done once the lock is released.
enum Step {
    Unhealthy(TargetUnhealthy),
    Recovered(TargetRecovered),
}

impl Periodic for HealthMonitor {
    fn schedule(&self) -> Schedule {
        Schedule::every(self.settings.interval).run_on_startup()
    }

    async fn start(&self, cx: &Context) -> steward::Result {
        remedy::check_all(cx, &self.settings.targets)?;
        self.metrics(cx);
        if self.client.get().is_none() {
            let client = reqwest::Client::builder()
                .timeout(self.settings.timeout)
                .no_proxy()
                .build()
                .map_err(HealthMonitorError::Client)?;
            let _ = self.client.set(client);
        }
        // A restarted monitor starts counting afresh.
        let mut targets = self.targets();
        for task in targets.iter().filter_map(|watched| watched.remedy.as_ref()) {
            task.abort();
        }
        *targets = Watched::all(&self.settings);
        Ok(())
    }

    async fn tick(&self, cx: &Context) -> steward::Result {
        let Some(client) = self.client.get() else {
            return Ok(());
        };
        let outcomes = self.check_all(client).await;
        let metrics = self.metrics(cx);
        // Timers fire a little late or early: a remedy due within a tenth of an
        // interval is due now rather than a whole interval later.
        let now = Instant::now() + self.settings.interval / 10;
        let mut steps = Vec::new();
        let mut due = Vec::new();
        let health = {
            let mut targets = self.targets();
            let checked = self.settings.targets.iter().zip(outcomes);
            for (index, ((target, outcome), watched)) in checked.zip(targets.iter_mut()).enumerate()
            {
                let passed = outcome.is_ok();
                let change = watched.tracker.record(outcome);
                metrics.checked(&target.name, passed, !watched.tracker.is_unhealthy());
                match change {
                    Some(Change::Unhealthy { reason, failures }) => {
                        tracing::warn!(name = %target.name, failures, "unhealthy: {reason}");
                        steps.push(Step::Unhealthy(TargetUnhealthy {
                            target: target.name.clone(),
                            reason,
                            failures,
                        }));
                    }
                    Some(Change::Recovered { reason, successes }) => {
                        tracing::info!(name = %target.name, successes, "recovered: {reason}");
                        steps.push(Step::Recovered(TargetRecovered {
                            target: target.name.clone(),
                            reason,
                            successes,
                        }));
                    }
                    None => {}
                }
                let Some(remedy) = &target.remedy else {
                    continue;
                };
                if watched.tracker.remedy_due(now, &self.backoff) && !watched.remedy_running() {
                    due.push((index, target.name.clone(), remedy.clone()));
                }
            }
            self.health(&targets)
        };
        cx.set_health(health);
        for step in steps {
            let emitted = match step {
                Step::Unhealthy(event) => cx.emit(event).await,
                Step::Recovered(event) => cx.emit(event).await,
            };
            if let Err(error) = emitted {
                tracing::debug!(%error, "could not emit a target event");
            }
        }
        if due.is_empty() {
            return Ok(());
        }
        // After the events, so that a remedy comes after its target's news; its
        // backoff counts from now.
        let mut targets = self.targets();
        for (index, target, remedy) in due {
            let Some(watched) = targets.get_mut(index) else {
                continue;
            };
            let attempt = watched.tracker.remedied(Instant::now());
            let apply = remedy::apply(cx.clone(), target, remedy, attempt);
            watched.remedy = Some(tokio::spawn(apply.in_current_span()));
        }
        cx.set_health(self.health(&targets));
        Ok(())
    }
}

/// The definition of a `health-monitor` service called `name`, built from its settings.
pub fn define(name: &str) -> ServiceDef {
    steward::periodic_with(name, HealthMonitor::new)
        .emits::<TargetUnhealthy>()
        .emits::<TargetRecovered>()
        .emits::<TargetRemedied>()
}
