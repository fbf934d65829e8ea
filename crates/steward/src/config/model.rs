//! The configuration's shape: the `[host]` and `[journal]` sections and one table
//! per service.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{ConfigError, SettingsError};
use super::journal::JournalConfig;
use super::origin::Origins;
use crate::restart::{Backoff, Restart, RestartPolicy};

/// The deployment environment; services may be gated on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// A developer's machine (the default).
    #[default]
    Development,
    /// The real thing.
    Production,
    /// Automated tests.
    Testing,
}

impl Environment {
    /// The environment's name (`production`).
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Production => "production",
            Environment::Testing => "testing",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Environment {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Environment::deserialize(Value::String(text.to_owned())).map_err(|_| {
            format!("unknown environment `{text}` (expected development, production or testing)")
        })
    }
}

/// The `[host]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HostConfig {
    /// The deployment environment.
    pub environment: Environment,
    /// The longest a graceful shutdown may take before remaining services are abandoned.
    #[serde(with = "super::duration")]
    pub shutdown_timeout: Duration,
    /// The default time a service gets to stop.
    #[serde(with = "super::duration")]
    pub stop_timeout: Duration,
    /// How long a shutdown lets running services work through their queued
    /// actions before stopping them; what is left stays in the journal.
    #[serde(with = "super::duration")]
    pub drain_timeout: Duration,
    /// The default time a startup service may run, and a `start` hook may take.
    #[serde(with = "super::duration")]
    pub start_timeout: Duration,
    /// A failing startup service aborts start-up unless it has `continue_on_failure`.
    /// When false, every startup failure is logged and start-up goes on.
    pub fail_fast_on_startup_failure: bool,
    /// A critical service that ends in `failed` starts a host shutdown.
    pub shutdown_on_critical_failure: bool,
    /// The default restart settings of every service.
    pub restart: RestartConfig,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            environment: Environment::default(),
            shutdown_timeout: Duration::from_secs(30),
            stop_timeout: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(10),
            start_timeout: Duration::from_secs(60),
            fail_fast_on_startup_failure: true,
            shutdown_on_critical_failure: false,
            restart: RestartConfig::default(),
        }
    }
}

/// A `restart = { … }` table; absent keys keep the value underneath.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestartConfig {
    /// `never`, `on-failure` or `always`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<RestartPolicy>,
    /// Restarts allowed within `window`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_restarts: Option<u32>,
    /// The window restarts are counted in.
    #[serde(
        default,
        with = "super::duration::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub window: Option<Duration>,
    /// `"MIN..MAX"`, such as `"1s..30s"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Backoff>,
    /// The largest random fraction taken off a backoff delay (0.0–1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter: Option<f64>,
}

impl RestartConfig {
    /// `base` with this table's keys applied.
    pub(crate) fn apply_to(&self, base: &Restart) -> Restart {
        let mut restart = base.clone();
        if let Some(policy) = self.policy {
            restart.policy = policy;
        }
        if let Some(max) = self.max_restarts {
            restart.max_restarts = max;
        }
        if let Some(window) = self.window {
            restart.window = window;
        }
        if let Some(backoff) = self.backoff {
            restart.backoff.min = backoff.min;
            restart.backoff.max = backoff.max;
        }
        if let Some(jitter) = self.jitter {
            restart.backoff = restart.backoff.jitter(jitter);
        }
        restart
    }

    /// Problems a type cannot express (a jitter outside 0–1, an empty window),
    /// every one of them.
    pub(crate) fn check(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if let Some(jitter) = self.jitter.filter(|jitter| !(0.0..=1.0).contains(jitter)) {
            problems.push((
                "jitter",
                format!("must be between 0.0 and 1.0, found {jitter}"),
            ));
        }
        if self.window.is_some_and(|window| window.is_zero()) {
            problems.push((
                "window",
                "must be longer than zero (restarts are counted within it)".to_owned(),
            ));
        }
        problems
    }
}

/// One `[services.NAME]` table. Every key is optional and overrides what the
/// service's code says.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// A built-in service kind; absent for a service defined in Rust.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Switches the service on or off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Runs the service only in these environments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environments: Option<Vec<Environment>>,
    /// Makes the service critical (or not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical: Option<bool>,
    /// Start order, lower first (`order` is accepted too).
    #[serde(default, alias = "order", skip_serializing_if = "Option::is_none")]
    pub startup_order: Option<i32>,
    /// Services that must be running before this one starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<Vec<String>>,
    /// Another service's events, `SERVICE:EVENT`, that this one runs once per;
    /// only for a service that reads it (see [`TableKey::On`](crate::TableKey::On)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<String>,
    /// A fixed period for a periodic service, or for a continuous one that keeps
    /// its own schedule.
    #[serde(
        default,
        with = "super::duration::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub interval: Option<Duration>,
    /// A cron expression for a periodic service, or for a continuous one that
    /// keeps its own schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    /// The IANA time zone the cron expression is read in (UTC by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Delay before a periodic schedule begins.
    #[serde(
        default,
        with = "super::duration::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub initial_delay: Option<Duration>,
    /// Tick once as soon as the schedule begins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_on_startup: Option<bool>,
    /// A startup service's time limit, or a `start` hook's.
    #[serde(
        default,
        with = "super::duration::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout: Option<Duration>,
    /// A startup service whose failure does not abort start-up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continue_on_failure: Option<bool>,
    /// How long a stop waits before abandoning the service.
    #[serde(
        default,
        with = "super::duration::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub stop_timeout: Option<Duration>,
    /// Restart settings over the host's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<RestartConfig>,
    /// How many of its actions may run at once (a service with actions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<usize>,
    /// How many of its actions may wait (a service with actions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<usize>,
    /// The service's own settings, bound to its settings type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Value>,
}

/// A loaded and validated configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The `[host]` section.
    pub host: HostConfig,
    /// The `[journal]` section: where accepted actions are kept.
    pub journal: JournalConfig,
    /// One table per service, by name.
    pub services: BTreeMap<String, ServiceConfig>,
    pub(crate) sections: BTreeMap<String, Value>,
    pub(crate) origins: Origins,
    /// Service tables that did not deserialize (already reported).
    pub(crate) invalid_services: std::collections::BTreeSet<String>,
    /// Whether the file or the environment named `host.environment`.
    pub(crate) environment_named: bool,
}

impl Config {
    /// Reads an extra top-level section (such as `[http]`) that an adapter registered
    /// with [`HostBuilder::config_section`](crate::HostBuilder::config_section); `None`
    /// when the file does not have it.
    pub fn section<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, ConfigError> {
        let Some(value) = self.sections.get(name) else {
            return Ok(None);
        };
        SettingsError::deserialize(value.clone())
            .map(Some)
            .map_err(|error| self.error_at(error.key_under(name), error.reason))
    }

    /// An error about the dotted `key` (`http.token`), attributed to the file or
    /// environment variable its value came from: for adapters that check the
    /// sections they read.
    pub fn error(&self, key: impl Into<String>, reason: impl Into<String>) -> ConfigError {
        self.error_at(key.into(), reason.into())
    }

    /// An error about `key`, attributed to where that key's value came from.
    pub(crate) fn error_at(&self, key: String, reason: String) -> ConfigError {
        ConfigError {
            origin: self.origins.locate(&key),
            key,
            reason,
        }
    }
}
