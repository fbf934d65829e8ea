//! The `[http]` section: where the control plane listens and who may use it.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;
use steward::{Config, ConfigError};

/// The section's name in the configuration file.
pub const SECTION: &str = "http";

/// The `[http]` section.
///
/// ```toml
/// [http]
/// bind = "127.0.0.1:8080"
/// token = "${STEWARD_TOKEN}"   # read from the environment; required off loopback
/// body_limit = 1048576        # bytes; larger bodies get 413
/// request_timeout = "30s"
/// protect_probes = false      # true: /health* and /metrics need the token too
/// ```
#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct HttpConfig {
    /// The address to listen on.
    pub bind: SocketAddr,
    /// The bearer token every `/api` request must carry; `${NAME}` reads it from
    /// the environment variable `NAME`.
    pub token: Option<String>,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// How long a request may take (an action run with `?wait=true` included).
    #[serde(with = "steward::duration")]
    pub request_timeout: Duration,
    /// Whether `/health*` and `/metrics` need the token too.
    pub protect_probes: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            token: None,
            body_limit: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            protect_probes: false,
        }
    }
}

impl HttpConfig {
    /// Reads the `[http]` section of a host's configuration (the defaults when it
    /// has none), with `${NAME}` tokens read from the environment. The host must
    /// have been built with [`HostBuilder::config_section`]`(SECTION)`.
    ///
    /// [`HostBuilder::config_section`]: steward::HostBuilder::config_section
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let mut http: Self = config.section(SECTION)?.unwrap_or_default();
        if let Some(token) = &http.token {
            http.token = Some(
                expand(token).map_err(|reason| config.error(format!("{SECTION}.token"), reason))?,
            );
        }
        if http.token.as_deref() == Some("") {
            return Err(config.error(
                format!("{SECTION}.token"),
                "is empty; remove it or give a token".to_owned(),
            ));
        }
        Ok(http)
    }

    /// Why this configuration must not be served, if it must not: a bind address
    /// other machines can reach needs a token.
    pub fn refusal(&self) -> Option<String> {
        if self.token.is_none() && !self.bind.ip().is_loopback() {
            return Some(format!(
                "refusing to listen on {} without a token: set `http.token` (for example \
                 token = \"${{STEWARD_TOKEN}}\") or bind to 127.0.0.1",
                self.bind
            ));
        }
        None
    }
}

/// `${NAME}` read from the environment; anything else as it is.
fn expand(token: &str) -> Result<String, String> {
    let Some(name) = token
        .strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
    else {
        return Ok(token.to_owned());
    };
    std::env::var(name).map_err(|_| format!("the environment variable `{name}` is not set"))
}

impl std::fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token never reaches a log.
        f.debug_struct("HttpConfig")
            .field("bind", &self.bind)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("body_limit", &self.body_limit)
            .field("request_timeout", &self.request_timeout)
            .field("protect_probes", &self.protect_probes)
            .finish()
    }
}
