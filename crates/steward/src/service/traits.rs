//! The traits user services implement. Only the work itself is required; every other
//! hook has a default body.

use std::future::Future;
use std::time::Duration;

use serde_json::Value;

use crate::command::{Command, NotSupported, ProcessBatch};
use crate::context::Context;
use crate::error::Result;
use crate::schedule::Schedule;

/// A service that runs until it is cancelled: a watcher, a consumer loop, a server.
///
/// ```
/// use steward::{Context, Continuous, Result};
///
/// struct Heartbeat;
///
/// impl Continuous for Heartbeat {
///     async fn run(&self, cx: &Context) -> Result {
///         while cx.run_until_cancelled(tokio::time::sleep(std::time::Duration::from_secs(1)))
///             .await
///             .is_some()
///         {
///             tracing::debug!(service = cx.name(), "beat");
///         }
///         Ok(())
///     }
/// }
///
/// let def = steward::continuous("heartbeat", Heartbeat);
/// # let _ = def;
/// ```
///
/// The host calls [`start`](Self::start) (under the start timeout) and marks the
/// service `running` when it returns `Ok`; then it calls [`run`](Self::run) and waits.
/// `run` should return soon after [`Context::cancelled`] completes. Returning early,
/// with an error or by panicking, hands the service to its restart policy.
pub trait Continuous: Send + Sync + 'static {
    /// Gets ready to run (open files, bind sockets). The service counts as running,
    /// and its dependents may start, once this returns `Ok`.
    fn start(&self, cx: &Context) -> impl Future<Output = Result> + Send {
        let _ = cx;
        async { Ok(()) }
    }

    /// Does the work until `cx` is cancelled.
    fn run(&self, cx: &Context) -> impl Future<Output = Result> + Send;

    /// How long the service needs to stop once cancelled, when its settings know
    /// better than the host's default `stop_timeout`. A `stop_timeout` set in code
    /// or in the service's table still wins.
    fn stop_timeout(&self) -> Option<Duration> {
        None
    }

    /// The services whose events this one subscribes to, by name. Each of them
    /// starts once this one is running and stops before it, so that this one sees
    /// everything they emit, from their first event to their last at shutdown:
    /// subscribe in [`start`](Self::start), which they wait for. The host checks
    /// that they exist.
    fn listens_to(&self) -> Vec<String> {
        Vec::new()
    }

    /// Answers the `trigger` command (`steward ctl trigger NAME`, `POST
    /// /api/services/{name}/trigger`): does one unit of the service's work now
    /// and returns when it is done; an error is the caller's. The service keeps
    /// its own runs from overlapping. By default the caller is told the service
    /// does not answer it.
    fn trigger(&self, cx: &Context) -> impl Future<Output = Result> + Send {
        let _ = cx;
        async { Err(NotSupported(Command::Trigger).into()) }
    }
}

/// A service that does a unit of work, a *tick*, on a schedule.
///
/// ```
/// use std::time::Duration;
/// use steward::{Context, Periodic, Result, Schedule};
///
/// struct Cleanup;
///
/// impl Periodic for Cleanup {
///     fn schedule(&self) -> Schedule {
///         Schedule::every(Duration::from_secs(3600)).run_on_startup()
///     }
///
///     async fn tick(&self, cx: &Context) -> Result {
///         tracing::info!(service = cx.name(), "cleaning up");
///         Ok(())
///     }
/// }
///
/// let def = steward::periodic("cleanup", Cleanup);
/// # let _ = def;
/// ```
///
/// Ticks never overlap. A tick that fails (error or panic) is recorded as the
/// service's last error and makes it `degraded` until a tick succeeds; the schedule
/// goes on. Configuration may replace the schedule.
pub trait Periodic: Send + Sync + 'static {
    /// When to tick.
    fn schedule(&self) -> Schedule;

    /// Gets ready before the first tick; a failure here is handled like a continuous
    /// service's failure (restart policy, backoff).
    fn start(&self, cx: &Context) -> impl Future<Output = Result> + Send {
        let _ = cx;
        async { Ok(()) }
    }

    /// One unit of work. `cx` is cancelled when the service is asked to stop.
    fn tick(&self, cx: &Context) -> impl Future<Output = Result> + Send;

    /// Answers the `check-queue` command: how much work waits, in whatever shape
    /// suits the service. By default the caller is told it is not implemented.
    fn check_queue(&self, cx: &Context) -> impl Future<Output = Result<Value>> + Send {
        let _ = cx;
        async { Err(NotSupported(Command::CheckQueue).into()) }
    }

    /// Answers the `process-batch` command: work through up to `batch.batch_size`
    /// items matching `batch.filter` now. By default the caller is told it is not
    /// implemented.
    fn process_batch(
        &self,
        cx: &Context,
        batch: ProcessBatch,
    ) -> impl Future<Output = Result<Value>> + Send {
        let _ = (cx, batch);
        async { Err(NotSupported(Command::ProcessBatch).into()) }
    }

    /// The services whose events this one subscribes to (see
    /// [`Continuous::listens_to`]).
    fn listens_to(&self) -> Vec<String> {
        Vec::new()
    }
}

/// A service that runs once, in order, before continuous and periodic services start:
/// migrations, warm-up, checks.
///
/// ```
/// use steward::{Context, Result, Startup};
///
/// struct Migrate;
///
/// impl Startup for Migrate {
///     async fn run(&self, _cx: &Context) -> Result {
///         // apply migrations
///         Ok(())
///     }
/// }
///
/// let def = steward::startup("migrate", Migrate).order(1);
/// # let _ = def;
/// ```
pub trait Startup: Send + Sync + 'static {
    /// Does the one-off work. It is cancelled when its timeout passes.
    fn run(&self, cx: &Context) -> impl Future<Output = Result> + Send;
}
