//! How the host holds services of any type.
//!
//! Continuous and periodic services are wrapped in a [`Work`] adapter and kept as
//! `dyn Supervised`, whose one job is to spawn the supervision loop *for the
//! concrete type*: a periodic service's tick loop is then generic code in a small
//! task of its own, and ticks are direct calls. A continuous service's `run` future
//! is boxed (it is polled rarely, and idle services should be small). Startup
//! services run once and are simply boxed.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;
use tracing::Instrument;

use serde_json::Value;

use super::traits::{Continuous, Periodic, Startup};
use crate::command::ProcessBatch;
use crate::context::Context;
use crate::error::{Result, panic_message};
use crate::host::HostShared;
use crate::schedule::Schedule;
use crate::supervisor::{ServiceCell, TickStats, guarded, spawn_supervisor, tick_loop};

/// A built-in command with its parameters.
#[derive(Debug)]
pub(crate) enum CommandCall {
    /// A continuous service's own trigger (a periodic one's ticks instead).
    Trigger,
    CheckQueue,
    ProcessBatch(ProcessBatch),
}

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the supervision loop needs of a service: get ready, then do the work.
pub(crate) trait Work: Send + Sync + 'static {
    /// The user's service itself, for action handlers.
    fn service(&self) -> &(dyn Any + Send + Sync);

    fn start(&self, cx: &Context) -> impl Future<Output = Result> + Send;

    /// Runs until the work ends; an error or panic is the failure's message.
    fn run(
        self: &Arc<Self>,
        host: &Arc<HostShared>,
        cell: &Arc<ServiceCell>,
        cx: &Context,
    ) -> impl Future<Output = std::result::Result<(), String>> + Send;
}

/// A continuous service as [`Work`].
pub(crate) struct AsContinuous<S>(pub(crate) S);

impl<S: Continuous> Work for AsContinuous<S> {
    fn service(&self) -> &(dyn Any + Send + Sync) {
        &self.0
    }

    fn start(&self, cx: &Context) -> impl Future<Output = Result> + Send {
        self.0.start(cx)
    }

    async fn run(
        self: &Arc<Self>,
        _host: &Arc<HostShared>,
        _cell: &Arc<ServiceCell>,
        cx: &Context,
    ) -> std::result::Result<(), String> {
        // Boxed: a continuous service's `run` is polled rarely, and an idle service
        // should cost little memory. (A periodic service's tick loop stays inline,
        // where each tick is cheaper.)
        guarded(Box::pin(self.0.run(cx))).await
    }
}

/// A periodic service as [`Work`], with its tick history beside it: the tick loop
/// touches both on every tick. Aligned to a cache line of its own, so ticks of
/// services on other worker threads never write to the same line.
#[repr(C, align(64))]
pub(crate) struct AsPeriodic<S> {
    stats: TickStats,
    service: S,
}

impl<S> AsPeriodic<S> {
    pub(crate) fn new(service: S) -> Self {
        Self {
            service,
            stats: TickStats::new(),
        }
    }
}

impl<S: Periodic> Work for AsPeriodic<S> {
    fn service(&self) -> &(dyn Any + Send + Sync) {
        &self.service
    }

    fn start(&self, cx: &Context) -> impl Future<Output = Result> + Send {
        self.service.start(cx)
    }

    /// The tick loop runs as a task of its own, so that a tick touches only that
    /// task's small state, not the whole supervision loop's; it is aborted if the
    /// supervisor is.
    async fn run(
        self: &Arc<Self>,
        host: &Arc<HostShared>,
        cell: &Arc<ServiceCell>,
        cx: &Context,
    ) -> std::result::Result<(), String> {
        let schedule = (cell.spec.schedule.clone()).unwrap_or_else(|| self.service.schedule());
        let (work, host, cell, cx) = (self.clone(), host.clone(), cell.clone(), cx.clone());
        let tracker = host.tracker.clone();
        let ticks = async move {
            tick_loop(&host, &cell, &cx, &work.service, &work.stats, schedule).await;
        };
        let task = AbortOnDropHandle::new(tracker.spawn(ticks.in_current_span()));
        match task.await {
            Ok(()) => Ok(()),
            Err(error) if error.is_panic() => Err(panic_message(error.into_panic().as_ref())),
            Err(_) => Ok(()),
        }
    }
}

/// A continuous or periodic service, type erased.
pub(crate) trait Supervised: Send + Sync {
    /// The user's service itself.
    fn service(&self) -> &(dyn Any + Send + Sync);

    /// A periodic service's own schedule.
    fn schedule(&self) -> Option<Schedule>;

    /// A periodic service's tick history.
    fn tick_stats(&self) -> Option<&TickStats>;

    /// How long the service says it needs to stop.
    fn stop_timeout(&self) -> Option<Duration>;

    /// The services whose events it subscribes to.
    fn listens_to(&self) -> Vec<String>;

    /// Runs a built-in command; `None` for one the kind does not answer.
    fn command<'a>(
        &'a self,
        cx: &'a Context,
        command: CommandCall,
    ) -> Option<BoxFuture<'a, Result<Value>>>;

    /// Spawns the supervision loop for this service.
    fn spawn(
        self: Arc<Self>,
        host: Arc<HostShared>,
        cell: Arc<ServiceCell>,
        token: CancellationToken,
    ) -> JoinHandle<()>;
}

impl<S: Continuous> Supervised for AsContinuous<S> {
    fn service(&self) -> &(dyn Any + Send + Sync) {
        &self.0
    }

    fn schedule(&self) -> Option<Schedule> {
        None
    }

    fn tick_stats(&self) -> Option<&TickStats> {
        None
    }

    fn stop_timeout(&self) -> Option<Duration> {
        self.0.stop_timeout()
    }

    fn listens_to(&self) -> Vec<String> {
        self.0.listens_to()
    }

    fn command<'a>(
        &'a self,
        cx: &'a Context,
        command: CommandCall,
    ) -> Option<BoxFuture<'a, Result<Value>>> {
        match command {
            CommandCall::Trigger => Some(Box::pin(async move {
                self.0.trigger(cx).await.map(|()| Value::Null)
            })),
            CommandCall::CheckQueue | CommandCall::ProcessBatch(_) => None,
        }
    }

    fn spawn(
        self: Arc<Self>,
        host: Arc<HostShared>,
        cell: Arc<ServiceCell>,
        token: CancellationToken,
    ) -> JoinHandle<()> {
        spawn_supervisor(self, host, cell, token)
    }
}

impl<S: Periodic> Supervised for AsPeriodic<S> {
    fn service(&self) -> &(dyn Any + Send + Sync) {
        &self.service
    }

    fn schedule(&self) -> Option<Schedule> {
        Some(self.service.schedule())
    }

    fn tick_stats(&self) -> Option<&TickStats> {
        Some(&self.stats)
    }

    fn stop_timeout(&self) -> Option<Duration> {
        None
    }

    fn listens_to(&self) -> Vec<String> {
        self.service.listens_to()
    }

    fn command<'a>(
        &'a self,
        cx: &'a Context,
        command: CommandCall,
    ) -> Option<BoxFuture<'a, Result<Value>>> {
        Some(match command {
            // Ticks answer triggers, through the tick loop.
            CommandCall::Trigger => return None,
            CommandCall::CheckQueue => Box::pin(self.service.check_queue(cx)),
            CommandCall::ProcessBatch(batch) => Box::pin(self.service.process_batch(cx, batch)),
        })
    }

    fn spawn(
        self: Arc<Self>,
        host: Arc<HostShared>,
        cell: Arc<ServiceCell>,
        token: CancellationToken,
    ) -> JoinHandle<()> {
        spawn_supervisor(self, host, cell, token)
    }
}

pub(crate) trait ErasedStartup: Send + Sync {
    /// The user's service itself.
    fn service(&self) -> &(dyn Any + Send + Sync);

    fn run<'a>(&'a self, cx: &'a Context) -> BoxFuture<'a, Result>;
}

impl<S: Startup> ErasedStartup for S {
    fn service(&self) -> &(dyn Any + Send + Sync) {
        self
    }

    fn run<'a>(&'a self, cx: &'a Context) -> BoxFuture<'a, Result> {
        Box::pin(Startup::run(self, cx))
    }
}
