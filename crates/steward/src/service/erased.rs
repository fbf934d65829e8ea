//! Object-safe mirrors of the service traits, so the host can hold services of any type.

use std::future::Future;
use std::pin::Pin;

use super::traits::{Continuous, Periodic, Startup};
use crate::context::Context;
use crate::error::Result;
use crate::host::HostShared;
use crate::schedule::Schedule;
use crate::supervisor::{ServiceCell, tick_loop};

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub(crate) trait ErasedContinuous: Send + Sync {
    fn start<'a>(&'a self, cx: &'a Context) -> BoxFuture<'a, Result>;
    fn run<'a>(&'a self, cx: &'a Context) -> BoxFuture<'a, Result>;
}

impl<S: Continuous> ErasedContinuous for S {
    fn start<'a>(&'a self, cx: &'a Context) -> BoxFuture<'a, Result> {
        Box::pin(Continuous::start(self, cx))
    }

    fn run<'a>(&'a self, cx: &'a Context) -> BoxFuture<'a, Result> {
        Box::pin(Continuous::run(self, cx))
    }
}

pub(crate) trait ErasedPeriodic: Send + Sync {
    fn schedule(&self) -> Schedule;
    fn start<'a>(&'a self, cx: &'a Context) -> BoxFuture<'a, Result>;
    /// The whole tick loop, built for the concrete type: ticks are direct calls.
    fn tick_loop<'a>(
        &'a self,
        host: &'a HostShared,
        cell: &'a ServiceCell,
        cx: &'a Context,
        schedule: Schedule,
    ) -> BoxFuture<'a, ()>;
}

impl<S: Periodic> ErasedPeriodic for S {
    fn schedule(&self) -> Schedule {
        Periodic::schedule(self)
    }

    fn start<'a>(&'a self, cx: &'a Context) -> BoxFuture<'a, Result> {
        Box::pin(Periodic::start(self, cx))
    }

    fn tick_loop<'a>(
        &'a self,
        host: &'a HostShared,
        cell: &'a ServiceCell,
        cx: &'a Context,
        schedule: Schedule,
    ) -> BoxFuture<'a, ()> {
        Box::pin(tick_loop(host, cell, cx, self, schedule))
    }
}

pub(crate) trait ErasedStartup: Send + Sync {
    fn run<'a>(&'a self, cx: &'a Context) -> BoxFuture<'a, Result>;
}

impl<S: Startup> ErasedStartup for S {
    fn run<'a>(&'a self, cx: &'a Context) -> BoxFuture<'a, Result> {
        Box::pin(Startup::run(self, cx))
    }
}
