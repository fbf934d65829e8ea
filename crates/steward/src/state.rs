//! Service states and the transitions between them.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where a service is in its life.
///
/// The normal path is `pending → starting → running → stopping → stopped`. A failure
/// moves a running service to `backing-off` and then back to `starting`; once the
/// restart intensity is exceeded it ends in `failed`. A service switched off by
/// configuration or environment is `disabled` and never starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum State {
    /// Registered, not started yet (or waiting for its dependencies).
    Pending,
    /// Its `start` hook (or a startup service's `run`) is in progress.
    Starting,
    /// Started and doing its work.
    Running,
    /// Failed and waiting out its backoff before the next start.
    BackingOff,
    /// Asked to stop; waiting for its work to finish.
    Stopping,
    /// Not running: stopped on request, completed, or a startup service that finished.
    Stopped,
    /// Gave up: restart intensity exceeded, restart policy `never`, or a startup failure.
    Failed,
    /// Switched off by configuration or environment gating.
    Disabled,
}

impl State {
    /// The state's name as it appears in logs, JSON and metrics (`backing-off`).
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Starting => "starting",
            State::Running => "running",
            State::BackingOff => "backing-off",
            State::Stopping => "stopping",
            State::Stopped => "stopped",
            State::Failed => "failed",
            State::Disabled => "disabled",
        }
    }

    /// True when no work of the service is in progress and none will start by itself.
    pub fn is_settled(self) -> bool {
        matches!(self, State::Stopped | State::Failed | State::Disabled)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One state change of one service, as logged and broadcast by the host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    /// The service's name.
    pub service: Arc<str>,
    /// The state it left.
    pub from: State,
    /// The state it entered.
    pub to: State,
    /// When, by the host's clock.
    pub at: DateTime<Utc>,
    /// Why, when there is more to say than the states (an error, a backoff delay).
    pub reason: Option<String>,
}
