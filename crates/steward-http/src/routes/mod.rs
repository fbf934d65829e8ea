//! The endpoints, one file per area.

pub(crate) mod actions;
pub(crate) mod answers;
pub(crate) mod events;
pub(crate) mod openapi;
pub(crate) mod probes;
pub(crate) mod services;
