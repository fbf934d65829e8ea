//! The built-in commands every periodic service answers: `trigger`, `check-queue`
//! and `process-batch`.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The commands every periodic service answers, by name.
pub const BUILT_IN_COMMANDS: [&str; 3] = ["trigger", "check-queue", "process-batch"];

/// The `process-batch` command's parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ProcessBatch {
    /// At most this many items.
    #[serde(default)]
    pub batch_size: Option<usize>,
    /// Only items matching this (its meaning is the service's).
    #[serde(default)]
    pub filter: Option<String>,
}

impl ProcessBatch {
    /// A batch of at most `size` items.
    pub fn of(size: usize) -> Self {
        Self {
            batch_size: Some(size),
            filter: None,
        }
    }

    /// Only items matching `filter`.
    pub fn filter(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(filter.into());
        self
    }
}

/// The error a periodic service's default `check_queue` and `process_batch`, and a
/// continuous service's default `trigger`, return: the caller is told the service
/// does not implement the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotSupported(pub(crate) Command);

impl fmt::Display for NotSupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not implemented by this service", self.0)
    }
}

impl std::error::Error for NotSupported {}

/// A built-in command's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Command {
    Trigger,
    CheckQueue,
    ProcessBatch,
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Command::Trigger => "trigger",
            Command::CheckQueue => "check-queue",
            Command::ProcessBatch => "process-batch",
        })
    }
}
