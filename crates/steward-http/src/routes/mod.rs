//! The endpoints, one file per area.

pub(crate) mod actions;
pub(crate) mod events;
pub(crate) mod probes;
pub(crate) mod services;
