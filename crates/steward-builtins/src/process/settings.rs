//! A `process` service's settings, checked as they are read.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use nix::sys::signal::Signal;
use serde::{Deserialize, Deserializer};

/// `[services.NAME.settings]` of a `process` service.
///
/// ```toml
/// [services.detector]
/// kind = "process"
/// settings = { command = ["python3", "detector.py", "--port", "9001"], cwd = "services", env = { MODEL = "yolo" }, stop_signal = "SIGTERM", stop_timeout = "10s", health_url = "http://127.0.0.1:9001/health" }
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ProcessSettings {
    /// The program and its arguments; the program is looked up on `PATH`.
    pub command: CommandLine,
    /// The directory it runs in (the host's by default), relative to the host's.
    #[serde(default)]
    pub cwd: Option<PathBuf>,
    /// Variables added to the host's environment.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The signal that asks its process group to stop (`SIGTERM` by default).
    #[serde(default)]
    pub stop_signal: StopSignal,
    /// How long the group gets after the stop signal before `SIGKILL`.
    #[serde(default = "default_stop_timeout", with = "steward::duration")]
    pub stop_timeout: Duration,
    /// An `http://` URL whose 2xx answer means healthy.
    #[serde(default)]
    pub health_url: Option<HealthUrl>,
    /// An address whose accepting TCP connections means healthy.
    #[serde(default)]
    pub health_tcp: Option<SocketAddr>,
    /// How often health is checked.
    #[serde(default = "default_health_interval", with = "steward::duration")]
    pub health_interval: Duration,
    /// How long one check may take.
    #[serde(default = "default_health_timeout", with = "steward::duration")]
    pub health_timeout: Duration,
}

fn default_stop_timeout() -> Duration {
    Duration::from_secs(10)
}

fn default_health_interval() -> Duration {
    Duration::from_secs(5)
}

fn default_health_timeout() -> Duration {
    Duration::from_secs(2)
}

/// A program and its arguments, never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine {
    program: String,
    args: Vec<String>,
}

impl CommandLine {
    /// The program.
    pub fn program(&self) -> &str {
        &self.program
    }

    /// Its arguments.
    pub fn args(&self) -> &[String] {
        &self.args
    }
}

impl fmt::Display for CommandLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.program)?;
        for arg in &self.args {
            write!(f, " {arg}")?;
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for CommandLine {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut words = Vec::<String>::deserialize(deserializer)?.into_iter();
        let program = words
            .next()
            .filter(|program| !program.is_empty())
            .ok_or_else(|| {
                serde::de::Error::custom(
                    "give the program and its arguments, such as [\"python3\", \"app.py\"]",
                )
            })?;
        Ok(Self {
            program,
            args: words.collect(),
        })
    }
}

/// A signal by name: `SIGTERM`, `TERM`, `SIGINT`…
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopSignal(pub(crate) Signal);

impl Default for StopSignal {
    fn default() -> Self {
        Self(Signal::SIGTERM)
    }
}

impl FromStr for StopSignal {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let upper = text.trim().to_ascii_uppercase();
        let name = if upper.starts_with("SIG") {
            upper
        } else {
            format!("SIG{upper}")
        };
        match Signal::from_str(&name) {
            Ok(Signal::SIGKILL | Signal::SIGSTOP) => Err(format!(
                "`{text}` cannot be caught, so it cannot ask for a graceful stop; the stop timeout ends in SIGKILL anyway"
            )),
            Ok(signal) => Ok(Self(signal)),
            Err(_) => Err(format!(
                "unknown signal `{text}` (such as SIGTERM, SIGINT, SIGQUIT, SIGHUP)"
            )),
        }
    }
}

impl<'de> Deserialize<'de> for StopSignal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An `http://` URL to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthUrl(pub(crate) reqwest::Url);

impl<'de> Deserialize<'de> for HealthUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let url = reqwest::Url::parse(&text)
            .map_err(|error| serde::de::Error::custom(format!("`{text}` is not a URL: {error}")))?;
        if url.scheme() != "http" {
            let reason = format!("`{text}`: only http:// health URLs are supported");
            return Err(serde::de::Error::custom(reason));
        }
        Ok(Self(url))
    }
}

impl fmt::Display for HealthUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
