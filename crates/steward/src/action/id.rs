//! Action ids: unique across hosts and restarts, ordered by creation time.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

/// Identifies one accepted action: 48 bits of milliseconds since the Unix epoch,
/// then 80 bits that are random per process and counted within it, so ids from
/// different hosts never collide and ids from one host sort by acceptance.
///
/// Shown as 32 lowercase hex digits.
///
/// ```
/// let id: steward::ActionId = "0192a5e3c1f07d2b9a4e000000000001".parse()?;
/// assert_eq!(id.to_string(), "0192a5e3c1f07d2b9a4e000000000001");
/// # Ok::<(), steward::ActionError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActionId {
    // Two halves rather than a `u128`: 8-byte alignment keeps the things that
    // carry an id (every action's context among them) small.
    high: u64,
    low: u64,
}

impl ActionId {
    /// A fresh id.
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Self::at(chrono::Utc::now())
    }

    /// A fresh id for an action accepted at `now`, after every id passed to
    /// [`issue_after`](Self::issue_after).
    pub(crate) fn at(now: chrono::DateTime<chrono::Utc>) -> Self {
        static SEED: std::sync::OnceLock<u128> = std::sync::OnceLock::new();
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let seed = *SEED.get_or_init(|| u128::from(fastrand::u64(..)) << 32);
        let now = u64::try_from(now.timestamp_millis()).unwrap_or(0);
        let millis = u128::from(now.max(FLOOR.load(Ordering::Relaxed)));
        let count = u128::from(COUNTER.fetch_add(1, Ordering::Relaxed));
        let low = (seed + count) & ((1 << 80) - 1);
        Self::from(((millis & ((1 << 48) - 1)) << 80) | low)
    }

    /// From now on, ids of this process are newer than `id`: replay reads no
    /// action newer than the journal's newest at start, and an action accepted
    /// since must not be among them, however far the clock went back meanwhile.
    pub(crate) fn issue_after(id: Self) {
        let millis = u64::try_from(id.as_u128() >> 80).unwrap_or(u64::MAX);
        FLOOR.fetch_max(millis.saturating_add(1), Ordering::Relaxed);
    }

    /// The id as a number.
    pub fn as_u128(self) -> u128 {
        (u128::from(self.high) << 64) | u128::from(self.low)
    }
}

/// The milliseconds no new id goes below (see [`ActionId::issue_after`]).
static FLOOR: AtomicU64 = AtomicU64::new(0);

impl From<u128> for ActionId {
    fn from(value: u128) -> Self {
        Self {
            high: (value >> 64) as u64,
            low: value as u64,
        }
    }
}

impl fmt::Display for ActionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}{:016x}", self.high, self.low)
    }
}

impl FromStr for ActionId {
    type Err = super::ActionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.len() != 32 {
            return Err(super::ActionError::BadId(text.to_owned()));
        }
        u128::from_str_radix(text, 16)
            .map(Self::from)
            .map_err(|_| super::ActionError::BadId(text.to_owned()))
    }
}

impl serde::Serialize for ActionId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ActionId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for ActionId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ActionId".into()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        concat!(module_path!(), "::ActionId").into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        // As `Display` writes it and `FromStr` reads it.
        let mut schema = schemars::Schema::default();
        schema.insert("type".into(), "string".into());
        schema.insert("pattern".into(), "^[0-9a-fA-F]{32}$".into());
        let about = "An accepted action's id: 32 hex digits, ordered by acceptance.";
        schema.insert("description".into(), about.into());
        schema
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::ActionId;

    #[test]
    fn ids_issued_after_a_journals_newest_are_newer_even_with_the_clock_behind() {
        let an_hour_ahead = chrono::Utc::now() + chrono::Duration::hours(1);
        let newest = ActionId::at(an_hour_ahead);
        ActionId::issue_after(newest);
        let now = ActionId::at(chrono::Utc::now());
        assert!(now > newest);
        assert!(ActionId::at(chrono::Utc::now()) > now);
    }

    #[test]
    fn ids_are_unique_and_ordered_within_a_process() {
        let first = ActionId::new();
        let second = ActionId::new();
        assert!(second > first);
        let round_trip: ActionId = second.to_string().parse().unwrap();
        assert_eq!(round_trip, second);
    }

    #[test]
    fn a_malformed_id_is_an_error() {
        assert!("xyz".parse::<ActionId>().is_err());
        assert!("g".repeat(32).parse::<ActionId>().is_err());
    }
}
