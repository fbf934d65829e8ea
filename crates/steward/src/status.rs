//! What a service looks like from outside: a snapshot of its state and history.

use std::time::Duration;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use crate::client::QueueInfo;
use crate::health::Health;
use crate::service::ServiceKind;
use crate::state::State;

/// A snapshot of one service.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct ServiceStatus {
    /// The service's name.
    pub name: String,
    /// Continuous, periodic or startup.
    pub kind: ServiceKind,
    /// The configured kind it is an instance of (`process`), if it is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub builtin: Option<&'static str>,
    /// Its current state.
    pub state: State,
    /// When it entered that state.
    pub since: Option<DateTime<Utc>>,
    /// Why it is in that state, when there is more to say.
    pub reason: Option<String>,
    /// Whether its health decides the host's.
    pub critical: bool,
    /// Its effective health (failed and backing-off services are unhealthy).
    pub health: Health,
    /// Restarts since the host started.
    pub restarts: u32,
    /// The last error of its start hook, run or tick.
    pub last_error: Option<String>,
    /// The services it waits for.
    pub depends_on: Vec<String>,
    /// A periodic service's schedule, in words.
    pub schedule: Option<String>,
    /// A periodic service's tick history.
    pub runs: Option<RunStats>,
    /// Its mailbox, if it has actions.
    pub queue: Option<QueueInfo>,
}

/// How a tick ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Outcome {
    /// It returned `Ok`.
    Success,
    /// It returned an error or panicked.
    Failure,
}

impl Outcome {
    /// How a run that returned `result` ended.
    pub(crate) fn of<T, E>(result: &Result<T, E>) -> Self {
        if result.is_ok() {
            Outcome::Success
        } else {
            Outcome::Failure
        }
    }

    /// The outcome's name (`failure`), as used in metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// A periodic service's tick history.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct RunStats {
    /// When the last tick started.
    pub last_run: Option<DateTime<Utc>>,
    /// When the next tick is due.
    pub next_run: Option<DateTime<Utc>>,
    /// How long the last tick took.
    #[serde(serialize_with = "crate::config::duration::option::serialize")]
    #[schemars(with = "Option<String>")]
    pub last_duration: Option<Duration>,
    /// How the last tick ended.
    pub last_outcome: Option<Outcome>,
    /// The last tick's error, cleared by a successful tick.
    pub last_error: Option<String>,
    /// Ticks that succeeded.
    pub succeeded: u64,
    /// Ticks that failed.
    pub failed: u64,
    /// Scheduled fires skipped because a tick was still running.
    pub skipped: u64,
}
