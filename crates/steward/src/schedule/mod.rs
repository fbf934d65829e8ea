//! When periodic services tick: a fixed period or a cron expression.

mod cron;
mod timer;

use std::fmt;
use std::time::Duration;

pub use cron::{CronSchedule, ScheduleError};
pub(crate) use timer::Timer;

/// A periodic service's schedule.
///
/// ```
/// use std::time::Duration;
/// use steward::Schedule;
///
/// // Every hour, the first tick ten seconds after start.
/// let hourly = Schedule::every(Duration::from_secs(3600))
///     .initial_delay(Duration::from_secs(10))
///     .run_on_startup();
///
/// // Every night at three, Berlin time, across DST changes.
/// let nightly = Schedule::cron("0 3 * * *")?.in_timezone("Europe/Berlin")?;
///
/// assert_eq!(hourly.to_string(), "every 1h, first after 10s, on startup");
/// assert_eq!(nightly.to_string(), "cron `0 3 * * *` (Europe/Berlin)");
/// # Ok::<(), steward::ScheduleError>(())
/// ```
///
/// Ticks never overlap: a tick still running when the next is due makes the schedule
/// *skip* the fires it missed, and the next tick runs at the first scheduled instant
/// after it finished. Skipped fires are counted in the service's status.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub(crate) trigger: Trigger,
    pub(crate) initial_delay: Duration,
    pub(crate) run_on_startup: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Trigger {
    Every(Duration),
    Cron(Box<CronSchedule>),
    /// Only when asked: a trigger, or an event the service answers.
    OnDemand,
}

impl Schedule {
    /// Ticks every `period`, counted from the service's start.
    ///
    /// A zero period is refused when the host is built.
    pub fn every(period: Duration) -> Self {
        Self::with_trigger(Trigger::Every(period))
    }

    /// Ticks at the instants a cron expression names, in UTC unless
    /// [`in_timezone`](Self::in_timezone) says otherwise. Five fields
    /// (`min hour dom month dow`) or six with seconds first.
    pub fn cron(expression: &str) -> Result<Self, ScheduleError> {
        let cron = CronSchedule::parse(expression)?;
        Ok(Self::with_trigger(Trigger::Cron(Box::new(cron))))
    }

    /// Never on its own: the service ticks when triggered (`steward ctl trigger`)
    /// and, with [`run_on_startup`](Self::run_on_startup), once at start.
    /// Configuration may still give it an `interval` or a `cron`.
    ///
    /// ```
    /// let schedule = steward::Schedule::on_demand();
    /// assert_eq!(schedule.to_string(), "on demand");
    /// ```
    pub fn on_demand() -> Self {
        Self::with_trigger(Trigger::OnDemand)
    }

    /// Reads a cron schedule in an IANA time zone (`"America/New_York"`).
    ///
    /// For a fixed period the zone is checked and has no effect.
    pub fn in_timezone(mut self, zone: &str) -> Result<Self, ScheduleError> {
        match self.trigger {
            Trigger::Cron(cron) => self.trigger = Trigger::Cron(Box::new(cron.in_timezone(zone)?)),
            Trigger::Every(_) | Trigger::OnDemand => {
                CronSchedule::zone(zone)?;
            }
        }
        Ok(self)
    }

    /// Waits this long after the service starts before the schedule begins.
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// Ticks once as soon as the schedule begins (after any initial delay), then
    /// follows the schedule.
    pub fn run_on_startup(mut self) -> Self {
        self.run_on_startup = true;
        self
    }

    /// Sets [`run_on_startup`](Self::run_on_startup) from a flag.
    pub fn with_run_on_startup(mut self, run: bool) -> Self {
        self.run_on_startup = run;
        self
    }

    /// The fixed period, when this is one.
    pub fn period(&self) -> Option<Duration> {
        match &self.trigger {
            Trigger::Every(period) => Some(*period),
            Trigger::Cron(_) | Trigger::OnDemand => None,
        }
    }

    /// The cron schedule, when this is one.
    pub fn as_cron(&self) -> Option<&CronSchedule> {
        match &self.trigger {
            Trigger::Every(_) | Trigger::OnDemand => None,
            Trigger::Cron(cron) => Some(cron),
        }
    }

    fn with_trigger(trigger: Trigger) -> Self {
        Self {
            trigger,
            initial_delay: Duration::ZERO,
            run_on_startup: false,
        }
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.trigger {
            Trigger::Every(period) => write!(f, "every {}", humantime::format_duration(*period))?,
            Trigger::Cron(cron) => write!(f, "{cron}")?,
            Trigger::OnDemand => f.write_str("on demand")?,
        }
        if !self.initial_delay.is_zero() {
            write!(
                f,
                ", first after {}",
                humantime::format_duration(self.initial_delay)
            )?;
        }
        if self.run_on_startup {
            f.write_str(", on startup")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
