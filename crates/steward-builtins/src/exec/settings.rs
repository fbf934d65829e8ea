//! An `exec` service's settings.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use steward::CronSchedule;

use crate::process::CommandLine;
use crate::source::EventSource;

/// `[services.NAME.settings]` of an `exec` service.
///
/// ```toml
/// [services.analyze]
/// kind = "exec"
/// settings = { on = "batcher:batch.closed", command = ["python3", "analyze.py"], timeout = "60s" }
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ExecSettings {
    /// The program and its arguments.
    pub command: CommandLine,
    /// Run once per event of this `SERVICE:EVENT`, the event's JSON on stdin.
    #[serde(default)]
    pub on: Option<EventSource>,
    /// Run this often.
    #[serde(default, with = "steward::duration::option")]
    pub interval: Option<Duration>,
    /// Run at the instants this cron expression names (UTC).
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
