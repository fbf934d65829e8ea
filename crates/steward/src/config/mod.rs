//! Configuration: defaults ← file (TOML, JSON or YAML) ← environment, validated up front.
//!
//! ```toml
//! [host]
//! environment = "production"
//! shutdown_timeout = "30s"
//!
//! [journal]
//! kind = "sqlite"
//! path = "data/steward.db"
//!
//! [services.cleanup]
//! interval = "1h"
//! restart = { policy = "on-failure", max_restarts = 5, window = "60s", backoff = "1s..30s" }
//! settings = { retention_days = 30 }
//! ```
//!
//! Any key can be overridden from the environment as `STEWARD__SECTION__KEY`, a double
//! underscore for each level: `STEWARD__SERVICES__CLEANUP__INTERVAL=10m`. A single
//! underscore in a service name may stand for a hyphen (`AI_HEALTH` finds `ai-health`).

pub mod duration;
mod error;
mod journal;
mod load;
mod model;
mod origin;

pub use error::{ConfigError, ConfigErrors, Origin};
pub(crate) use error::{SettingsError, closest};
pub use journal::{JournalConfig, JournalKind, Synchronous};
pub(crate) use load::{ConfigSource, Expected, Format, load};
pub use model::{Config, Environment, HostConfig, RestartConfig, ServiceConfig};

#[cfg(test)]
mod tests;
