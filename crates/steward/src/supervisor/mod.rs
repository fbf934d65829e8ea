//! Supervision: one task per started service that starts it, watches it, restarts
//! it by policy, and stops it on request.

mod cell;
mod control;
mod guard;
mod run;
mod startup;
mod ticks;

pub(crate) use cell::{ServiceCell, Spec};
pub(crate) use control::{StopOutcome, abandon, launch, stop};
pub(crate) use startup::run_startup;
