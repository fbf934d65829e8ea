//! Cron expressions read in a time zone, on top of `croner`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds};

/// Why a schedule could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
    /// The cron expression does not parse.
    #[error("invalid cron expression `{expression}`: {reason}")]
    InvalidCron {
        /// The expression as given.
        expression: String,
        /// What the parser said.
        reason: String,
    },
    /// The time zone is not an IANA zone name.
    #[error("unknown time zone `{0}` (expected an IANA name such as `Europe/Berlin`)")]
    UnknownTimeZone(String),
}

/// A parsed cron expression and the time zone it is read in.
#[derive(Debug, Clone)]
pub struct CronSchedule {
    cron: Cron,
    expression: String,
    zone: Tz,
}

impl CronSchedule {
    pub(crate) fn parse(expression: &str) -> Result<Self, ScheduleError> {
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .build()
            .parse(expression)
            .map_err(|error| ScheduleError::InvalidCron {
                expression: expression.to_owned(),
                reason: error.to_string(),
            })?;
        Ok(Self {
            cron,
            expression: expression.to_owned(),
            zone: Tz::UTC,
        })
    }

    pub(crate) fn in_timezone(mut self, zone: &str) -> Result<Self, ScheduleError> {
        self.zone = Self::zone(zone)?;
        Ok(self)
    }

    pub(crate) fn zone(zone: &str) -> Result<Tz, ScheduleError> {
        Tz::from_str(zone).map_err(|_| ScheduleError::UnknownTimeZone(zone.to_owned()))
    }

    /// The expression as written.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The time zone's IANA name.
    pub fn timezone(&self) -> &str {
        self.zone.name()
    }

    /// The first fire strictly after `after`, or `None` when the expression never
    /// matches again.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = after.with_timezone(&self.zone);
        self.cron
            .find_next_occurrence(&local, false)
            .ok()
            .map(|next| next.with_timezone(&Utc))
    }
}

impl PartialEq for CronSchedule {
    fn eq(&self, other: &Self) -> bool {
        self.expression == other.expression && self.zone == other.zone
    }
}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cron `{}` ({})", self.expression, self.zone.name())
    }
}
