//! An `exec` service's settings.

use crate::duration::some_positive;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use steward::CronSchedule;

use crate::process::CommandLine;
use crate::source::EventSource;

/// An `exec` service's settings: `[services.NAME.settings]`, with the table's
/// own `on`, `interval` and `cron`, which the host hands over.
///
/// ```toml
/// [services.analyze]
/// kind = "exec"
/// on = "batcher:batch.closed"     # or interval = "10m", or cron = "0 3 * * *"
/// settings = { command = ["python3", "analyze.py"], timeout = "60s" }
/// ```
///
/// `on`, `interval` and `cron` are also read inside `settings`, as files written
/// before they moved beside `kind` have them; giving one in both places is an
/// error.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ExecSettings {
    /// The program and its arguments.
    pub command: CommandLine,
    /// Run once per event of this `SERVICE:EVENT`, the event's JSON on stdin
    /// (the table's `on`).
    #[serde(default)]
    pub on: Option<EventSource>,
    /// Run this often (the table's `interval`).
    #[serde(default, deserialize_with = "some_positive")]
    pub interval: Option<Duration>,
    /// Run at the instants this cron expression names, in UTC (the table's
    /// `cron`).
    #[serde(default, deserialize_with = "cron")]
    pub cron: Option<CronSchedule>,
    /// How long one run may take before its process group is killed.
    #[serde(default = "default_timeout", with = "steward::duration")]
    pub timeout: Duration,
    /// The directory it runs in.
    #[serde(default)]
    pub cwd: Option<PathBuf>,
    /// Variables added to the host's environment.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// How much of each of stdout and stderr is kept in the result, in bytes.
    #[serde(default = "default_max_output")]
    pub max_output: usize,
}

fn default_timeout() -> Duration {
    Duration::from_secs(60)
}

fn default_max_output() -> usize {
    64 * 1024
}

fn cron<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<CronSchedule>, D::Error> {
    let expression = String::deserialize(deserializer)?;
    steward::Schedule::cron(&expression)
        .map(|schedule| schedule.as_cron().cloned())
        .map_err(serde::de::Error::custom)
}
