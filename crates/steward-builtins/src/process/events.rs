//! What a `process` service tells subscribers.

use serde::{Deserialize, Serialize};
use steward::Event;

/// The program started (again).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Event)]
#[event(name = "process.started")]
#[non_exhaustive]
pub struct ProcessStarted {
    /// Its process id, which is also its process group's.
    pub pid: u32,
    /// Its command line.
    pub command: String,
}

/// The program exited, by itself or because it was stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Event)]
#[event(name = "process.exited")]
#[non_exhaustive]
pub struct ProcessExited {
    /// Its process id.
    pub pid: u32,
    /// Its exit code, when it exited rather than being killed.
    pub code: Option<i32>,
    /// The exit status in words (`exited with code 1`, `killed by SIGKILL`).
    pub status: String,
    /// Whether the host asked it to stop.
    pub stopped: bool,
    /// How long it ran, in milliseconds.
    pub ran_ms: u64,
}
