//! What an `exec` service tells subscribers and callers.

use serde::{Deserialize, Serialize};
use steward::Event;

/// One run of the command, finished: the `run` action's result and the
/// `exec.completed` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Event)]
#[event(name = "exec.completed")]
#[non_exhaustive]
pub struct ExecCompleted {
    /// What started it.
    pub cause: Cause,
    /// Its exit code, when it exited rather than being killed.
    pub code: Option<i32>,
    /// The exit status in words (`exited with code 0`, `killed by SIGKILL`).
    pub status: String,
    /// Whether it ran past its timeout and was killed.
    pub timed_out: bool,
    /// Its standard output, up to `max_output` bytes.
    pub stdout: String,
    /// Its standard error, up to `max_output` bytes.
    pub stderr: String,
    /// How long it ran, in milliseconds.
    pub ran_ms: u64,
}

impl ExecCompleted {
    /// Whether it exited with code 0.
    pub fn succeeded(&self) -> bool {
        self.code == Some(0)
    }
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// An event of its `on` source.
    Event,
    /// Its `interval` or `cron`.
    Schedule,
    /// The `run` action.
    Action,
    /// The `trigger` command (`steward ctl trigger NAME`).
    Trigger,
}
