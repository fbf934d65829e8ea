//! What a `health-monitor` service tells subscribers.

use serde::{Deserialize, Serialize};
use steward::Event;

/// A target failed `failures` checks in a row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Event)]
#[event(name = "target.unhealthy")]
#[non_exhaustive]
pub struct TargetUnhealthy {
    /// The target's name.
    pub target: String,
    /// Why the last check failed (`http://127.0.0.1:9001/health answered 503 Service Unavailable`).
    pub reason: String,
    /// The failed checks in a row.
    pub failures: u32,
}

/// An unhealthy target passed `successes` checks in a row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Event)]
#[event(name = "target.recovered")]
#[non_exhaustive]
pub struct TargetRecovered {
    /// The target's name.
    pub target: String,
    /// What the last check found (`127.0.0.1:9001 accepted a connection`).
    pub reason: String,
    /// The passed checks in a row.
    pub successes: u32,
}

/// A remedy for an unhealthy target was carried out, or tried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Event)]
#[event(name = "target.remedied")]
#[non_exhaustive]
pub struct TargetRemedied {
    /// The target's name.
    pub target: String,
    /// The remedy (`restart `detector``, `run `systemctl restart detector``).
    pub remedy: String,
    /// Which remedy of this unhealthy spell it was, from 1.
    pub attempt: u32,
    /// Why it failed, if it did.
    pub error: Option<String>,
}
