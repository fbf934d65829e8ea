//! The instant before which rows and files are old, in the forms each target
//! compares with.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, TimeDelta, Utc};

/// `retention_days` before the start of a run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cutoff(DateTime<Utc>);

impl Cutoff {
    /// `days` before now.
    pub(crate) fn days_ago(days: u32) -> Self {
        let now = Utc::now();
        // Settings keep `days` within a century; beyond the calendar, nothing is old.
        let ago = TimeDelta::try_days(i64::from(days)).unwrap_or(TimeDelta::MAX);
        Self(
            now.checked_sub_signed(ago)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
        )
    }

    /// Unix seconds, for integer and real timestamps.
    pub(crate) fn unix(self) -> i64 {
        self.0.timestamp()
    }

    /// `YYYY-MM-DD HH:MM:SS.SSS`, a form SQLite's `julianday` reads.
    pub(crate) fn sqlite_text(self) -> String {
        self.0.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
    }

    /// A date two days after the cutoff, `YYYY-MM-DD`: every ISO-8601 text on
    /// or before the cutoff, whatever its UTC offset, sorts below it, so that
    /// an index on the column narrows the scan before `julianday` decides.
    pub(crate) fn text_bound(self) -> String {
        let bound = self
            .0
            .checked_add_signed(TimeDelta::days(2))
            .unwrap_or(self.0);
        bound.format("%Y-%m-%d").to_string()
    }

    /// RFC 3339, for the event.
    pub(crate) fn rfc3339(self) -> String {
        self.0.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    /// The same instant as a file time.
    pub(crate) fn system_time(self) -> SystemTime {
        match u64::try_from(self.0.timestamp()) {
            Ok(secs) => SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
            // Before 1970: nothing is that old.
            Err(_) => SystemTime::UNIX_EPOCH,
        }
    }
}
