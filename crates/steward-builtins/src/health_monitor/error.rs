//! Why a `health-monitor` cannot start.

pub(crate) use crate::error_chain::chain;

/// Why a `health-monitor` service could not start. Remedies are checked when it
/// starts, against the services of its host.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HealthMonitorError {
    /// A `restart` remedy names no service of this host.
    #[error(
        "target `{target}`: `remedy = {{ restart = \"{service}\" }}` names no service of this host"
    )]
    UnknownService {
        /// The target.
        target: String,
        /// The name given.
        service: String,
    },
    /// A `restart` remedy names the monitor itself, which cannot wait for its own stop.
    #[error("target `{target}`: a remedy cannot restart the monitor itself (`{service}`)")]
    RestartsItself {
        /// The target.
        target: String,
        /// The monitor's name.
        service: String,
    },
    /// A `restart` remedy names a startup service, which runs only during start-up.
    #[error("target `{target}`: `{service}` is a startup service, which cannot be restarted")]
    StartupService {
        /// The target.
        target: String,
        /// The startup service.
        service: String,
    },
    /// The HTTP client for `http` checks could not be made.
    #[error("cannot make an HTTP client")]
    Client(#[source] reqwest::Error),
}
