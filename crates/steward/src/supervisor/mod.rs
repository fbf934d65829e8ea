//! Supervision: one task per started service that starts it, watches it, restarts
//! it by policy, and stops it on request.

mod cell;
mod control;
mod guard;
mod run;
mod startup;
mod state_cell;
mod tick_record;
mod ticks;

pub(crate) use cell::{ServiceCell, Spec};
pub(crate) use control::{StopOutcome, abandon, launch, stop, stop_all};
pub(crate) use startup::run_startup;
pub(crate) use ticks::tick_loop;
