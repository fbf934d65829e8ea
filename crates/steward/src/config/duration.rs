//! Durations in configuration: `"90s"`, `"5m"`, `"1h 30m"`, with errors that say
//! what was wrong with the text rather than only that it was not a duration.
//!
//! For a service's own settings, as the host's sections use it:
//!
//! ```
//! use std::time::Duration;
//!
//! #[derive(serde::Deserialize)]
//! struct Settings {
//!     #[serde(with = "steward::duration")]
//!     poll_interval: Duration,
//!     #[serde(default, with = "steward::duration::option")]
//!     timeout: Option<Duration>,
//! }
//!
//! let settings: Settings = serde_json::from_str(r#"{"poll_interval": "1m 30s"}"#).unwrap();
//! assert_eq!(settings.poll_interval, Duration::from_secs(90));
//! assert_eq!(settings.timeout, None);
//! ```

use std::fmt;
use std::time::Duration;

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// The longest duration a setting may be: beyond it, adding it to the time now
/// could overflow a clock.
const LONGEST: Duration = Duration::from_secs(100 * 366 * 24 * 3600);

const EXPECTED: &str = "a duration such as \"90s\", \"5m\" or \"1h 30m\"";

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Duration, E> {
        let duration = humantime::parse_duration(text)
            .map_err(|error| E::custom(format!("`{text}` is not {EXPECTED}: {error}")))?;
        if duration > LONGEST {
            return Err(E::custom(format!(
                "`{text}` is longer than a hundred years, the longest a setting may be"
            )));
        }
        Ok(duration)
    }
}

/// Reads a duration (`#[serde(with = "steward::duration")]`).
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    deserializer.deserialize_str(DurationVisitor)
}

/// Writes a duration the way it is read (`"1m 30s"`).
pub fn serialize<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&humantime::format_duration(*duration))
}

/// `#[serde(with = "duration::option")]` for an `Option<Duration>`.
pub mod option {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Reads an optional duration.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        #[derive(serde::Deserialize)]
        struct Wrapped(#[serde(with = "super")] Duration);
        Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|Wrapped(duration)| duration))
    }

    /// Writes an optional duration the way it is read.
    pub fn serialize<S: Serializer>(
        duration: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match duration {
            Some(duration) => super::serialize(duration, serializer),
            None => serializer.serialize_none(),
        }
    }
}
