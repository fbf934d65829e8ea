//! Steward is a runtime for background services: the continuous, periodic and
//! start-up work that lives beside an application.
//!
//! Services are plain structs implementing [`Continuous`], [`Periodic`] or
//! [`Startup`]. A [`Host`] starts them in order, supervises them (restart policies,
//! exponential backoff with jitter, restart intensity, panic isolation), aggregates
//! their [`Health`], and stops them gracefully in reverse order.
//!
//! ```no_run
//! use std::time::Duration;
//! use steward::{Context, Continuous, Host, Periodic, Result, Schedule, continuous, periodic};
//!
//! struct Watcher;
//!
//! impl Continuous for Watcher {
//!     async fn run(&self, cx: &Context) -> Result {
//!         cx.cancelled().await; // watch something until asked to stop
//!         Ok(())
//!     }
//! }
//!
//! struct Cleanup;
//!
//! impl Periodic for Cleanup {
//!     fn schedule(&self) -> Schedule {
//!         Schedule::every(Duration::from_secs(3600)).run_on_startup()
//!     }
//!
//!     async fn tick(&self, _cx: &Context) -> Result {
//!         Ok(())
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> anyhow::Result<()> {
//!     Host::builder()
//!         .config_file("steward.toml")
//!         .service(continuous("watcher", Watcher).critical())
//!         .service(periodic("cleanup", Cleanup).depends_on(["watcher"]))
//!         .build()?
//!         .run()
//!         .await?;
//!     Ok(())
//! }
//! ```
//!
//! Services talk through one client, [`HostHandle`] (also [`Context::services`]):
//! [`HostHandle::of`] and [`HostHandle::named`] give a [`ServiceRef`] that sends
//! actions ([`ActionTable`], priorities, timeouts, retries, dead letters, a
//! [`Journal`]), subscribes to [`Event`]s and answers status, health and
//! [`ServiceInfo`] queries. With the `macros` feature (on by default),
//! `#[derive(Service)]`, `#[steward::actions]` and `#[derive(Event)]` write the
//! registration, the dispatch and typed client methods, and
//! [`HostBuilder::discover`] finds every derived service in the binary.
//!
//! | feature | default | what it adds |
//! | --- | --- | --- |
//! | `macros` | yes | `#[derive(Service)]`, `#[steward::actions]`, `#[derive(Event)]`, discovery |
//! | `yaml` | yes | YAML configuration files |
//! | `testing` | no | `steward::testing`: hosts on paused time, recorded transitions |
//!
//! The guarantees (ordering, restarts, shutdown, action delivery, event lag) are
//! written down in `docs/semantics.md`, included below.
//!
#![doc = include_str!("../../../docs/semantics.md")]
#![doc(test(attr(deny(warnings))))]

mod action;
mod client;
mod clock;
mod command;
mod config;
mod context;
mod discovery;
mod error;
mod event;
mod health;
mod host;
pub mod metrics;
mod restart;
mod schedule;
mod service;
mod span;
mod state;
mod status;
mod supervisor;
mod text;

#[cfg(feature = "testing")]
pub mod testing;

#[doc(hidden)]
pub mod __private;

/// The README's examples, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

pub use action::{
    ActionChange, ActionError, ActionId, ActionInfo, ActionRecord, ActionRequest, ActionSequence,
    ActionState, ActionTable, Actions, Backlog, BacklogCursor, BacklogPage, IfFull, Journal,
    JournalError, JournalFuture, MemoryJournal, Retry, TypedRequest,
};
pub use client::{QueueInfo, ServiceInfo, ServiceRef};
pub use command::{BUILT_IN_COMMANDS, NotSupported, ProcessBatch};
pub use config::duration;
pub use config::{
    Config, ConfigError, ConfigErrors, Environment, HostConfig, JournalConfig, JournalKind, Origin,
    RestartConfig, ServiceConfig, Synchronous,
};
pub use context::Context;
pub use discovery::{Registration, Service};
pub use error::{BoxError, ControlError, HostError, Result, ShutdownReport};
pub use event::{
    Emitted, Event, EventError, EventInfo, EventStream, FromEmitted, Stamped, Subscribe,
    Subscription, Subscriptions,
};
pub use health::{Health, HealthStatus, HostHealth, ServiceHealth};
pub use host::{Host, HostBuilder, HostHandle, RunningHost, ServiceHandle};
pub use restart::{Backoff, Restart, RestartPolicy};
pub use schedule::{CronSchedule, Schedule, ScheduleError};
pub use service::{
    BuiltinKind, Continuous, Periodic, ServiceDef, ServiceKind, Startup, TableKey, continuous,
    continuous_with, periodic, periodic_with, startup, startup_with,
};
pub use state::{State, Transition};
pub use status::{Outcome, RunStats, ServiceStatus};
#[cfg(feature = "macros")]
pub use steward_macros::{Event, Service, actions};
