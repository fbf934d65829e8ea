//! Testing your own services: a host on paused time that records every transition.
//!
//! Run tests with `#[tokio::test(start_paused = true)]` (enable this crate's
//! `testing` feature in `[dev-dependencies]`): time then stands still until every
//! task is idle and jumps straight to the next timer, so an hour of schedule takes
//! no real time and timings are exact.
//!
//! ```
//! use std::time::Duration;
//! use steward::testing::TestHost;
//! use steward::{Context, Periodic, Result, Schedule, State, periodic};
//!
//! struct Beat;
//!
//! impl Periodic for Beat {
//!     fn schedule(&self) -> Schedule {
//!         Schedule::every(Duration::from_secs(60))
//!     }
//!     async fn tick(&self, _cx: &Context) -> Result {
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> anyhow::Result<()> {
//! let host = TestHost::builder().service(periodic("beat", Beat)).start().await?;
//! host.wait_for("beat", State::Running).await?;
//! host.advance(Duration::from_secs(605)).await; // ticks at 60 s, 120 s, … 600 s
//! let runs = host.handle().service("beat")?.status().runs.unwrap();
//! assert_eq!(runs.succeeded, 10);
//! host.shutdown().await;
//! # Ok(()) }
//! ```

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::broadcast::error::RecvError;

use crate::config::Environment;
use crate::error::{ControlError, HostError, ShutdownReport};
use crate::host::{Host, HostBuilder, HostHandle, RunningHost};
use crate::service::ServiceDef;
use crate::state::{State, Transition};

/// How long (in paused time) [`TestHost::wait_for`] waits before giving up.
pub const WAIT_LIMIT: Duration = Duration::from_secs(24 * 3600);

/// Builds a [`TestHost`]: no process environment, the `testing` environment and
/// the wall clock pinned to 2026-01-01T00:00:00Z unless told otherwise.
#[must_use = "a builder does nothing until `start` is called"]
pub struct TestHostBuilder {
    builder: HostBuilder,
    wall_clock: DateTime<Utc>,
}

impl TestHostBuilder {
    /// Registers a service.
    pub fn service(mut self, def: ServiceDef) -> Self {
        self.builder = self.builder.service(def);
        self
    }

    /// Configuration as TOML text.
    pub fn config_toml(mut self, text: &str) -> Self {
        self.builder = self.builder.config_toml("test config", text);
        self
    }

    /// Environment variables to lay over the configuration.
    pub fn env_vars<K, V>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.builder = self.builder.env_vars(vars);
        self
    }

    /// The deployment environment.
    pub fn environment(mut self, environment: Environment) -> Self {
        self.builder = self.builder.environment(environment);
        self
    }

    /// What the host's wall clock reads at start (cron schedules follow it).
    pub fn wall_clock(mut self, now: DateTime<Utc>) -> Self {
        self.wall_clock = now;
        self
    }

    /// Anything else the [`HostBuilder`] offers.
    pub fn with(mut self, configure: impl FnOnce(HostBuilder) -> HostBuilder) -> Self {
        self.builder = configure(self.builder);
        self
    }

    /// Builds the host without starting it.
    pub fn build(self) -> Result<(Host, Recorder), HostError> {
        let recorder = Recorder::default();
        let log = recorder.log.clone();
        let host = self
            .builder
            .wall_clock_at(self.wall_clock)
            .on_transition(move |transition| {
                log.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(transition.clone());
            })
            .build()?;
        Ok((host, recorder))
    }

    /// Builds and starts the host.
    pub async fn start(self) -> Result<TestHost, HostError> {
        let started_at = self.wall_clock;
        let (host, recorder) = self.build()?;
        let running = host.start().await?;
        Ok(TestHost {
            handle: running.handle(),
            running,
            recorder,
            started_at,
        })
    }
}

/// Every transition of a host, in order.
#[derive(Clone, Default)]
pub struct Recorder {
    log: Arc<Mutex<Vec<Transition>>>,
}

impl Recorder {
    /// All transitions so far.
    pub fn transitions(&self) -> Vec<Transition> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many transitions there have been so far.
    fn count(&self) -> usize {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether `service` entered `state` in a transition after the first `skip`.
    fn entered_since(&self, skip: usize, service: &str, state: State) -> bool {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .skip(skip)
            .any(|transition| &*transition.service == service && transition.to == state)
    }

    /// The states `service` entered, in order.
    pub fn states(&self, service: &str) -> Vec<State> {
        self.transitions()
            .into_iter()
            .filter(|transition| &*transition.service == service)
            .map(|transition| transition.to)
            .collect()
    }
}

/// A started host under test.
pub struct TestHost {
    running: RunningHost,
    handle: HostHandle,
    recorder: Recorder,
    started_at: DateTime<Utc>,
}

/// Why [`TestHost::wait_for`] gave up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    /// No service has this name.
    #[error("no service named `{0}`")]
    UnknownService(String),
    /// The state did not come in time.
    #[error("`{service}` did not reach `{state}` within {limit:?}; its states were: {seen:?}")]
    Timeout {
        /// The service waited on.
        service: String,
        /// The state waited for.
        state: State,
        /// How long it waited.
        limit: Duration,
        /// The states it went through.
        seen: Vec<State>,
    },
}

impl TestHost {
    /// A [`TestHostBuilder`].
    pub fn builder() -> TestHostBuilder {
        TestHostBuilder {
            builder: Host::builder()
                .env_vars(Vec::<(String, String)>::new())
                .default_environment(Environment::Testing),
            wall_clock: DateTime::<Utc>::from_timestamp(1_767_225_600, 0).unwrap_or_default(),
        }
    }

    /// A handle to the host.
    pub fn handle(&self) -> HostHandle {
        self.handle.clone()
    }

    /// Lets `duration` of (paused) time pass, running everything that falls due
    /// before its end. Work due at exactly the end may not have run yet: advance a
    /// little past the instant you want to observe.
    pub async fn advance(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    /// Waits until `service` is in `state`: returns at once if it is in it now,
    /// else when it enters it, within [`WAIT_LIMIT`] of paused time. A state the
    /// service passes through without stopping (`running`, for a service whose
    /// `run` fails at once) counts as entered.
    pub async fn wait_for(&self, service: &str, state: State) -> Result<(), WaitError> {
        let handle = self
            .handle
            .service(service)
            .map_err(|_: ControlError| WaitError::UnknownService(service.to_owned()))?;
        let skip = self.recorder.count();
        let entered = async {
            // Subscribed before looking, so no transition falls between.
            let mut transitions = self.handle.transitions();
            loop {
                if handle.state() == state || self.recorder.entered_since(skip, service, state) {
                    return;
                }
                if let Err(RecvError::Closed) = transitions.recv().await {
                    return std::future::pending().await;
                }
            }
        };
        tokio::time::timeout(WAIT_LIMIT, entered)
            .await
            .map_err(|_| WaitError::Timeout {
                service: service.to_owned(),
                state,
                limit: WAIT_LIMIT,
                seen: self.recorder.states(service),
            })
    }

    /// All transitions so far, in order.
    pub fn transitions(&self) -> Vec<Transition> {
        self.recorder.transitions()
    }

    /// The states `service` entered, in order.
    pub fn states(&self, service: &str) -> Vec<State> {
        self.recorder.states(service)
    }

    /// Time from start to a transition.
    pub fn offset(&self, transition: &Transition) -> Duration {
        (transition.at - self.started_at)
            .to_std()
            .unwrap_or_default()
    }

    /// The wall clock at start.
    pub fn started_at(&self) -> DateTime<Utc> {
        self.started_at
    }

    /// Shuts the host down gracefully.
    pub async fn shutdown(self) -> ShutdownReport {
        self.running.shutdown().await
    }
}

impl std::fmt::Debug for TestHostBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestHostBuilder")
            .field("builder", &self.builder)
            .field("wall_clock", &self.wall_clock)
            .finish()
    }
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("transitions", &self.transitions().len())
            .finish()
    }
}

impl std::fmt::Debug for TestHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestHost")
            .field("started_at", &self.started_at)
            .field("recorder", &self.recorder)
            .finish_non_exhaustive()
    }
}
