//! `kind = "process"`: supervise an external program.
//!
//! The program runs as the leader of a process group of its own. Its stdout and
//! stderr go, line by line, into the host's log under the service's name. When it
//! exits by itself the host's restart policy decides what happens next (a non-zero
//! exit or a signal is a failure); whatever it started is killed with it. A stop
//! sends `stop_signal` to the whole group, waits `stop_timeout`, then sends
//! `SIGKILL`. Health comes from `health_url` or `health_tcp` when set, and is
//! healthy while the program runs otherwise. Each start and exit is an event
//! ([`ProcessStarted`], [`ProcessExited`]).
//!
//! ```toml
//! [services.detector]
//! kind = "process"
//! restart = { policy = "always", backoff = "1s..30s" }
//! settings = { command = ["python3", "detector.py", "--port", "9001"], cwd = "services", env = { MODEL = "yolo" }, stop_signal = "SIGTERM", stop_timeout = "10s", health_url = "http://127.0.0.1:9001/health" }
//! ```

mod error;
mod events;
pub(crate) mod group;
mod health;
mod output;
mod settings;

use std::convert::Infallible;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use steward::{Context, Continuous, Health, ServiceDef};

pub use error::ProcessError;
pub(crate) use error::describe;
pub use events::{ProcessExited, ProcessStarted};
pub use settings::{CommandLine, HealthUrl, ProcessSettings, StopSignal};

use group::Group;
use health::Probe;
use output::{Stream, forward};

/// Time to collect the program's last output once it has exited.
const OUTPUT_GRACE: Duration = Duration::from_secs(1);

/// Time a stop needs beyond `stop_timeout`: the `SIGKILL` and the reaping.
const KILL_GRACE: Duration = Duration::from_secs(2);

/// A supervised external program.
#[derive(Debug)]
pub struct Process {
    settings: ProcessSettings,
}

impl Process {
    /// A service that runs the program these settings describe.
    pub fn new(settings: ProcessSettings) -> Self {
        Self { settings }
    }
}

/// The definition of a `process` service called `name`, built from its settings.
pub fn define(name: &str) -> ServiceDef {
    steward::continuous_with(name, Process::new)
        .emits::<ProcessStarted>()
        .emits::<ProcessExited>()
}

/// How one run of the program ended.
struct Exit {
    status: ExitStatus,
    stopped: bool,
}

impl Continuous for Process {
    async fn run(&self, cx: &Context) -> steward::Result {
        let settings = &self.settings;
        let mut group = Group::spawn(settings)?;
        let pid = group.pid();
        let started = Instant::now();
        let output = [
            group
                .child
                .stdout
                .take()
                .map(|pipe| forward(pipe, Stream::Stdout, pid)),
            group
                .child
                .stderr
                .take()
                .map(|pipe| forward(pipe, Stream::Stderr, pid)),
        ];
        tracing::info!(pid, command = %settings.command, "program started");
        let command = settings.command.to_string();
        emit(cx, ProcessStarted { pid, command }).await;

        let health = async {
            match Probe::from_settings(settings) {
                Some(probe) => {
                    let (interval, timeout) = (settings.health_interval, settings.health_timeout);
                    probe.watch(cx, interval, timeout).await;
                }
                None => cx.set_health(Health::healthy()),
            }
            std::future::pending::<Infallible>().await
        };
        let exit = tokio::select! {
            status = group.child.wait() => status.map(|status| Exit { status, stopped: false }),
            () = cx.cancelled() => {
                let stop = group.stop(settings.stop_signal.0, settings.stop_timeout);
                stop.await.map(|status| Exit { status, stopped: true })
            }
            never = health => match never {},
        };
        group.sweep();
        for task in output.into_iter().flatten() {
            // Output held open by a program outside the group is not waited for.
            if tokio::time::timeout(OUTPUT_GRACE, task).await.is_err() {
                tracing::debug!(
                    pid,
                    "the program's output is still open; no longer reading it"
                );
            }
        }
        let Exit { status, stopped } = exit.map_err(ProcessError::Wait)?;
        let description = error::describe(status);
        tracing::info!(pid, status = %description, stopped, "program ended");
        let ran_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let code = status.code();
        emit(
            cx,
            ProcessExited {
                pid,
                code,
                status: description,
                stopped,
                ran_ms,
            },
        )
        .await;
        if status.success() || stopped {
            Ok(())
        } else {
            Err(ProcessError::Exited(status).into())
        }
    }

    fn stop_timeout(&self) -> Option<Duration> {
        Some(self.settings.stop_timeout + KILL_GRACE)
    }
}

async fn emit<E: steward::Event>(cx: &Context, event: E) {
    if let Err(error) = cx.emit(event).await {
        tracing::debug!(%error, "could not emit a process event");
    }
}
