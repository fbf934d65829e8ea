//! Durations in built-in settings that must not be zero (a poll or a window of no
//! length would spin).

use std::time::Duration;

use serde::Deserializer;

/// A duration (`5s`) longer than zero.
pub(crate) fn positive<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let duration = steward::duration::deserialize(deserializer)?;
    if duration.is_zero() {
        return Err(serde::de::Error::custom("must be longer than zero"));
    }
    Ok(duration)
}

/// A duration longer than zero, for an optional key.
pub(crate) fn some_positive<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    positive(deserializer).map(Some)
}
