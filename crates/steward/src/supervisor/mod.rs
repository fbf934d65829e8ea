//! Supervision: one task per started service that starts it, watches it, restarts
//! it by policy, and stops it on request.

mod cell;
mod control;
mod guard;
mod run;
mod startup;
mod state_cell;
mod tick_stats;
mod ticks;
mod triggers;

pub(crate) use cell::{ServiceCell, Spec};
pub(crate) use control::{StopOutcome, abandon, launch, stop, stop_all};
pub(crate) use guard::guarded;
pub(crate) use run::spawn_supervisor;
pub(crate) use startup::run_startup;
pub(crate) use ticks::{TickStats, tick_loop};
