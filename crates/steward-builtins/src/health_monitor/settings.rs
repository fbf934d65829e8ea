//! A `health-monitor` service's settings, checked as they are read.

use crate::duration::positive;
use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use steward::Backoff;

use crate::process::{CommandLine, HealthUrl};

/// `[services.NAME.settings]` of a `health-monitor` service.
///
/// ```toml
/// [services.ai-health]
/// kind = "health-monitor"
/// settings = { interval = "15s", timeout = "5s", targets = [{ name = "detector", http = "http://127.0.0.1:9001/health", failures = 3, successes = 1, remedy = { restart = "detector" } }] }
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct HealthMonitorSettings {
    /// How often every target is checked.
    #[serde(default = "default_interval", deserialize_with = "positive")]
    pub interval: Duration,
    /// How long one check may take before it counts as failed.
    #[serde(default = "default_timeout", deserialize_with = "positive")]
    pub timeout: Duration,
    /// The least and most time between two remedies of a target that stays
    /// unhealthy (`"MIN..MAX"`); `interval..10×interval` when not set.
    #[serde(default)]
    pub remedy_backoff: Option<Backoff>,
    /// What to check; at least one, each with a name of its own.
    #[serde(deserialize_with = "targets")]
    pub targets: Vec<Target>,
}

impl HealthMonitorSettings {
    /// The backoff between remedies: `remedy_backoff`, or from `interval` doubling
    /// up to ten times `interval`.
    pub fn remedy_backoff(&self) -> Backoff {
        self.remedy_backoff
            .unwrap_or_else(|| Backoff::new(self.interval, self.interval.saturating_mul(10)))
    }
}

fn default_interval() -> Duration {
    Duration::from_secs(15)
}

fn default_timeout() -> Duration {
    Duration::from_secs(5)
}

/// One thing to check, how many results make it change state, and what to do
/// when it is unhealthy.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawTarget")]
#[non_exhaustive]
pub struct Target {
    /// Its name, in events and in the monitor's health.
    pub name: String,
    /// How it is checked.
    pub check: Check,
    /// Consecutive failed checks that make it unhealthy (3 by default).
    pub failures: u32,
    /// Consecutive passed checks that make an unhealthy target recovered (1 by default).
    pub successes: u32,
    /// What is done while it is unhealthy.
    pub remedy: Option<Remedy>,
}

/// How a target is checked.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Check {
    /// `http = "http://…"`: a 2xx answer (whose body contains `body`, if given).
    Http {
        /// The URL asked with `GET`.
        url: HealthUrl,
        /// Text the body must contain.
        body: Option<String>,
    },
    /// `tcp = "host:port"`: the address accepts a connection.
    Tcp(String),
    /// `command = ["program", "arg"]`: the program exits with code 0.
    Command(CommandLine),
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Check::Http { url, .. } => write!(f, "{url}"),
            Check::Tcp(address) => write!(f, "tcp {address}"),
            Check::Command(command) => write!(f, "`{command}`"),
        }
    }
}

/// What is done about an unhealthy target.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawRemedy")]
#[non_exhaustive]
pub enum Remedy {
    /// `{ restart = "service" }`: restarts a service of this host.
    Restart(String),
    /// `{ command = ["program", "arg"], timeout = "60s" }`: runs a program.
    Command {
        /// The program and its arguments.
        command: CommandLine,
        /// How long it may run before it is killed (60 s by default).
        timeout: Duration,
    },
}

impl fmt::Display for Remedy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Remedy::Restart(service) => write!(f, "restart `{service}`"),
            Remedy::Command { command, .. } => write!(f, "run `{command}`"),
        }
    }
}

/// A target as written, before its keys are checked against each other.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    name: String,
    #[serde(default)]
    http: Option<HealthUrl>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    tcp: Option<TcpAddress>,
    #[serde(default)]
    command: Option<CommandLine>,
    #[serde(default = "default_failures", deserialize_with = "at_least_one")]
    failures: u32,
    #[serde(default = "default_successes", deserialize_with = "at_least_one")]
    successes: u32,
    #[serde(default)]
    remedy: Option<Remedy>,
}

/// How long a remedy command may run unless its `timeout` says otherwise.
const DEFAULT_REMEDY_TIMEOUT: Duration = Duration::from_secs(60);

fn default_failures() -> u32 {
    3
}

fn default_successes() -> u32 {
    1
}

impl TryFrom<RawTarget> for Target {
    type Error = String;

    fn try_from(raw: RawTarget) -> Result<Self, Self::Error> {
        if raw.name.trim().is_empty() {
            return Err("a target's `name` must not be empty".to_owned());
        }
        let name = raw.name;
        let check = match (raw.http, raw.tcp, raw.command, raw.body) {
            (Some(url), None, None, body) => Check::Http { url, body },
            (None, Some(TcpAddress(address)), None, None) => Check::Tcp(address),
            (None, None, Some(command), None) => Check::Command(command),
            (None, None, None, _) => {
                return Err(format!(
                    "target `{name}` has nothing to check: give one of `http`, `tcp` or `command`"
                ));
            }
            (None, Some(_), None, Some(_)) | (None, None, Some(_), Some(_)) => {
                return Err(format!(
                    "target `{name}`: `body` applies only to an `http` check"
                ));
            }
            _ => {
                return Err(format!(
                    "target `{name}`: give only one of `http`, `tcp` or `command`"
                ));
            }
        };
        Ok(Self {
            name,
            check,
            failures: raw.failures,
            successes: raw.successes,
            remedy: raw.remedy,
        })
    }
}

/// A remedy as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRemedy {
    #[serde(default)]
    restart: Option<String>,
    #[serde(default)]
    command: Option<CommandLine>,
    #[serde(default, with = "steward::duration::option")]
    timeout: Option<Duration>,
}

impl TryFrom<RawRemedy> for Remedy {
    type Error = String;

    fn try_from(raw: RawRemedy) -> Result<Self, Self::Error> {
        match (raw.restart, raw.command) {
            (Some(_), Some(_)) => {
                Err("a remedy is either `restart` or `command`, not both".to_owned())
            }
            (None, None) => Err(
                "a remedy needs `restart = \"service\"` or `command = [\"program\", …]`".to_owned(),
            ),
            (Some(_), None) if raw.timeout.is_some() => {
                Err("a remedy's `timeout` applies only to a `command`".to_owned())
            }
            (Some(service), None) if service.trim().is_empty() => {
                Err("`restart` must name a service".to_owned())
            }
            (Some(service), None) => Ok(Remedy::Restart(service)),
            (None, Some(command)) => Ok(Remedy::Command {
                command,
                timeout: raw.timeout.unwrap_or(DEFAULT_REMEDY_TIMEOUT),
            }),
        }
    }
}

/// `host:port`, resolved at each check.
struct TcpAddress(String);

impl<'de> Deserialize<'de> for TcpAddress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let valid = text.rsplit_once(':').is_some_and(|(host, port)| {
            !host.is_empty() && port.parse::<u16>().is_ok_and(|port| port > 0)
        });
        if !valid {
            let reason = format!("`{text}` is not `host:port` (such as `127.0.0.1:9001`)");
            return Err(serde::de::Error::custom(reason));
        }
        Ok(Self(text))
    }
}

/// The targets: at least one, with names of their own.
fn targets<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Target>, D::Error> {
    let targets = Vec::<Target>::deserialize(deserializer)?;
    if targets.is_empty() {
        return Err(serde::de::Error::custom(
            "give at least one target, such as { name = \"api\", http = \"http://127.0.0.1:8080/health\" }",
        ));
    }
    let mut names = HashSet::new();
    for target in &targets {
        if !names.insert(target.name.as_str()) {
            let reason = format!("two targets are named `{}`", target.name);
            return Err(serde::de::Error::custom(reason));
        }
    }
    Ok(targets)
}

fn at_least_one<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let count = u32::deserialize(deserializer)?;
    if count == 0 {
        return Err(serde::de::Error::custom("must be at least 1"));
    }
    Ok(count)
}
