//! `kind = "exec"`: run a command to completion, per event, on a schedule, or
//! when asked.
//!
//! What starts a run is said beside `kind`, as for any service's schedule:
//!
//! - `on = "SERVICE:EVENT"`: once per event, the event's JSON on stdin. No event
//!   is dropped: while a run is in progress the source waits, and the source
//!   starts after this service and stops before it, so its last events still run.
//! - `interval = "10m"` or `cron = "0 3 * * *"` (UTC): on a schedule, nothing on
//!   stdin.
//! - none of them: only when asked.
//!
//! Whatever the table says, it also runs when asked: the `trigger` command
//! (`steward ctl trigger analyze`, `POST /api/services/analyze/trigger`) runs it
//! once with nothing on stdin and answers once it is done, with an error if it
//! failed; the `run` action (`steward ctl act analyze run --params '{"input": …}'
//! --wait`) runs it with `input` on stdin and answers the exit code and the
//! output.
//!
//! Runs never overlap. Each runs in a process group of its own, killed when its
//! `timeout` is up; its output is logged line by line and kept (up to
//! `max_output` bytes per stream) in the [`ExecCompleted`] result, also emitted as
//! `exec.completed`. A failed run makes the service `degraded` until one succeeds.
//! `steward_exec_runs_total{service,outcome}` counts runs by outcome (`success`,
//! `failure`, `timeout`, `error`) and `steward_exec_run_duration_seconds{service}`
//! times them.
//!
//! ```toml
//! [services.analyze]
//! kind = "exec"
//! on = "batcher:batch.closed"
//! settings = { command = ["python3", "analyze.py"], timeout = "60s" }
//! ```

mod error;
mod events;
mod metrics;
mod run;
mod settings;

use crate::source::Subscription;
use std::sync::OnceLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use steward::{ActionTable, Context, Continuous, Emitted, Health, ServiceDef, TableKey};
use tokio::time::Instant;

pub use error::ExecError;
pub use events::{Cause, ExecCompleted};
pub use settings::ExecSettings;

use crate::process::ProcessError;
use metrics::ExecMetrics;

/// How many of the source's events may wait before it is held back.
const BUFFER: usize = 1024;

/// Runs a command per event, per schedule or per request.
#[derive(Debug)]
pub struct Exec {
    settings: ExecSettings,
    /// Subscribed in `start`, so that the source's first event is seen.
    events: Subscription,
    /// Held for each run: runs never overlap.
    running: tokio::sync::Mutex<()>,
    /// Registered with the first start or run.
    metrics: OnceLock<ExecMetrics>,
}

/// The `run` action's parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunParams {
    /// JSON for the command's stdin.
    #[serde(default)]
    pub input: Option<Value>,
}

/// The definition of an `exec` service called `name`.
pub fn define(name: &str) -> ServiceDef {
    let actions = ActionTable::new().action(
        "run",
        "Runs the command now, with `input` (JSON) on its stdin; answers its exit code and output",
        |exec: &Exec, cx, params: Option<RunParams>| {
            let input = params.and_then(|params| params.input);
            Box::pin(async move { Ok(exec.execute(cx, Cause::Action, input).await?) })
        },
    );
    steward::continuous_with(name, Exec::new)
        .table_keys([TableKey::On, TableKey::Interval, TableKey::Cron])
        .actions(actions)
        .emits::<ExecCompleted>()
}

impl Exec {
    /// A service with these settings.
    pub fn new(settings: ExecSettings) -> Self {
        Self {
            settings,
            events: Subscription::default(),
            running: tokio::sync::Mutex::new(()),
            metrics: OnceLock::new(),
        }
    }

    fn metrics(&self, cx: &Context) -> &ExecMetrics {
        self.metrics
            .get_or_init(|| ExecMetrics::new(cx.metrics(), cx.name()))
    }

    /// One run, recorded in health and as an event.
    async fn execute(
        &self,
        cx: &Context,
        cause: Cause,
        input: Option<Value>,
    ) -> Result<ExecCompleted, ProcessError> {
        let _one_at_a_time = self.running.lock().await;
        let input = input.map(|value| value.to_string().into_bytes());
        match run::run_once(&self.settings, cause, input).await {
            Ok(completed) => {
                self.metrics(cx).ran(&completed);
                if completed.succeeded() {
                    cx.set_health(Health::healthy());
                } else {
                    cx.set_health(Health::degraded(format!(
                        "the last run {}",
                        completed.status
                    )));
                }
                if let Err(error) = cx.emit(completed.clone()).await {
                    tracing::debug!(%error, "could not emit a completed run");
                }
                Ok(completed)
            }
            Err(error) => {
                self.metrics(cx).could_not_run();
                tracing::warn!(%error, "the command could not run");
                cx.set_health(Health::unhealthy(error.to_string()));
                Err(error)
            }
        }
    }

    /// When the schedule next runs the command, if it has one.
    fn next_run(&self) -> Option<Instant> {
        let now = Instant::now();
        let by_interval = self.settings.interval.map(|period| now + period);
        let by_cron = self.settings.cron.as_ref().and_then(|cron| {
            let wall = chrono::Utc::now();
            let next = cron.next_after(wall)?;
            Some(now + (next - wall).to_std().unwrap_or(Duration::ZERO))
        });
        match (by_interval, by_cron) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    async fn on_event(&self, cx: &Context, event: &Emitted) {
        // A failure is logged and in the service's health; the next event still runs.
        let _ = self
            .execute(cx, Cause::Event, Some(event.json().clone()))
            .await;
    }
}

impl Continuous for Exec {
    async fn start(&self, cx: &Context) -> steward::Result {
        // Its series show, at 0, before the first run.
        self.metrics(cx);
        match &self.settings.on {
            Some(source) => self.events.open(cx, source, BUFFER).await,
            None => Ok(()),
        }
    }

    async fn run(&self, cx: &Context) -> steward::Result {
        let mut events = self.events.take();
        let mut next = self.next_run();
        loop {
            let event = async {
                match events.as_mut() {
                    Some(events) => events.recv().await,
                    None => std::future::pending().await,
                }
            };
            let due = async {
                match next {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                () = cx.cancelled() => break,
                received = event => match received {
                    Some(event) => self.on_event(cx, &event).await,
                    None => events = None,
                },
                () = due => {
                    let _ = self.execute(cx, Cause::Schedule, None).await;
                    next = self.next_run();
                }
            }
        }
        // The source stopped first: its last events are waiting here.
        if let Some(events) = events.as_mut() {
            while let Ok(Some(event)) = tokio::time::timeout(Duration::ZERO, events.recv()).await {
                self.on_event(cx, &event).await;
            }
        }
        Ok(())
    }

    fn listens_to(&self) -> Vec<String> {
        self.settings
            .on
            .iter()
            .map(|source| source.service.clone())
            .collect()
    }

    /// One run now, nothing on stdin; a failed run is the caller's error.
    async fn trigger(&self, cx: &Context) -> steward::Result {
        let completed = self.execute(cx, Cause::Trigger, None).await?;
        if completed.succeeded() {
            return Ok(());
        }
        Err(ExecError::Failed {
            status: completed.status,
            timed_out: completed.timed_out,
        }
        .into())
    }

    fn stop_timeout(&self) -> Option<Duration> {
        // A run in progress finishes, or is killed at its timeout.
        Some(self.settings.timeout + Duration::from_secs(5))
    }
}
