//! Health reports of services and of the host.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// How well something works, from best to worst.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum HealthStatus {
    /// Working as intended.
    Healthy,
    /// Working, but not fully (a fallback, a slow dependency, a failed tick).
    Degraded,
    /// Not working.
    Unhealthy,
}

impl HealthStatus {
    /// The status's name as it appears in JSON (`degraded`).
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Healthy => "healthy",
            HealthStatus::Degraded => "degraded",
            HealthStatus::Unhealthy => "unhealthy",
        }
    }
}

impl fmt::Display for HealthStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A health report: a status, an optional message and free-form details.
///
/// ```
/// use steward::Health;
///
/// let report = Health::degraded("GPU not found, using the CPU")
///     .with_detail("device", "cpu");
/// assert_eq!(report.details["device"], "cpu");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Health {
    /// The verdict.
    pub status: HealthStatus,
    /// A sentence for people, when the status needs explaining.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Machine-readable facts behind the verdict.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub details: Map<String, Value>,
}

impl Health {
    /// A healthy report with no message.
    pub fn healthy() -> Self {
        Self::new(HealthStatus::Healthy, None)
    }

    /// A degraded report with a message.
    pub fn degraded(message: impl Into<String>) -> Self {
        Self::new(HealthStatus::Degraded, Some(message.into()))
    }

    /// An unhealthy report with a message.
    pub fn unhealthy(message: impl Into<String>) -> Self {
        Self::new(HealthStatus::Unhealthy, Some(message.into()))
    }

    /// Adds one detail.
    pub fn with_detail(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.details.insert(key.into(), value.into());
        self
    }

    fn new(status: HealthStatus, message: Option<String>) -> Self {
        Self {
            status,
            message,
            details: Map::new(),
        }
    }
}

impl Default for Health {
    fn default() -> Self {
        Self::healthy()
    }
}

/// The host's aggregated health: liveness, readiness and one report per service.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct HostHealth {
    /// The host's supervisor is running (false once shutdown has completed).
    pub live: bool,
    /// Start-up has finished, no shutdown is under way, every critical service is
    /// running and no other service is still on its first start.
    pub ready: bool,
    /// The worst of the critical services' health; a non-critical service that is
    /// unhealthy makes the host at most `degraded`.
    pub status: HealthStatus,
    /// Each service's effective health, in start order.
    pub services: Vec<ServiceHealth>,
}

/// One service's line in [`HostHealth`].
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ServiceHealth {
    /// The service's name.
    pub name: String,
    /// Whether its health decides the host's.
    pub critical: bool,
    /// Its effective health report.
    pub health: Health,
}
