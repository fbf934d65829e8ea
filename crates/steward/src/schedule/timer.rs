//! Turns a [`Schedule`] into a sequence of fire instants.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::{Schedule, Trigger};
use crate::clock::{Clock, instant_after, wall_after};

/// Stops a cron search that keeps landing in the past from looping for long.
const MAX_SKIPPED_SEARCH: u64 = 10_000;

/// The next time a periodic service is due.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fire {
    /// When to tick, on tokio's clock.
    pub(crate) at: Instant,
    /// When to tick on the wall clock, for cron fires (what cron means). Fixed
    /// periods run on the monotonic clock alone.
    pub(crate) wall: Option<DateTime<Utc>>,
    /// Scheduled fires that passed while the previous tick was still running.
    pub(crate) skipped: u64,
}

/// Walks a schedule forward from the instant a service started.
#[derive(Debug)]
pub(crate) struct Timer {
    schedule: Schedule,
    clock: Clock,
    begin: Instant,
    begin_wall: DateTime<Utc>,
    /// Index of the next fixed-period fire.
    next_index: u64,
    /// The last cron fire handed out (croner wants the exact previous value back).
    last_cron: Option<DateTime<Utc>>,
    /// Whether a fire was handed out: only fires after a tick can be missed.
    fired: bool,
}

impl Timer {
    /// A timer for a service that starts now.
    pub(crate) fn start(schedule: Schedule, clock: Clock) -> Self {
        let begin = instant_after(Instant::now(), schedule.initial_delay);
        let begin_wall = wall_after(clock.now(), schedule.initial_delay);
        let next_index = u64::from(!schedule.run_on_startup);
        Self {
            schedule,
            clock,
            begin,
            begin_wall,
            next_index,
            last_cron: None,
            fired: false,
        }
    }

    /// The next fire, or `None` when the schedule has ended (a cron expression that
    /// matches no future instant).
    ///
    /// Called after a tick: fires that fell due while it ran are skipped and the
    /// next fire is the first at or after now. The first fire is never skipped,
    /// however late the service got to it.
    pub(crate) fn next_fire(&mut self, now: Instant) -> Option<Fire> {
        let skip_missed = std::mem::replace(&mut self.fired, true);
        match &self.schedule.trigger {
            Trigger::Every(period) => Some(self.next_every(*period, now, skip_missed)),
            Trigger::Cron(_) => self.next_cron(skip_missed),
            // The one fire on startup, if asked for; then none.
            Trigger::OnDemand => (!skip_missed && self.schedule.run_on_startup).then_some(Fire {
                at: self.begin,
                wall: None,
                skipped: 0,
            }),
        }
    }

    fn next_every(&mut self, period: Duration, now: Instant, skip_missed: bool) -> Fire {
        let mut at = self.every_fire(period, self.next_index);
        let mut skipped = 0;
        if skip_missed && at < now && !period.is_zero() {
            let behind = now.duration_since(at).as_nanos();
            let missed = behind.div_ceil(period.as_nanos());
            skipped = u64::try_from(missed).unwrap_or(u64::MAX);
            self.next_index = self.next_index.saturating_add(skipped);
            at = self.every_fire(period, self.next_index);
        }
        self.next_index = self.next_index.saturating_add(1);
        Fire {
            at,
            wall: None,
            skipped,
        }
    }

    fn every_fire(&self, period: Duration, index: u64) -> Instant {
        let nanos = period.as_nanos().saturating_mul(u128::from(index));
        let offset = u64::try_from(nanos).map_or(Duration::MAX, Duration::from_nanos);
        // Beyond what the clock can represent: as good as never.
        instant_after(self.begin, offset)
    }

    fn next_cron(&mut self, skip_missed: bool) -> Option<Fire> {
        let Trigger::Cron(cron) = &self.schedule.trigger else {
            return None;
        };
        let now = self.clock.now();
        let mut wall = match self.last_cron {
            None if self.schedule.run_on_startup => self.begin_wall,
            None => cron.next_after(self.begin_wall)?,
            Some(last) => cron.next_after(last)?,
        };
        let mut skipped = 0;
        while skip_missed && wall < now && skipped < MAX_SKIPPED_SEARCH {
            skipped += 1;
            wall = cron.next_after(wall)?;
        }
        if skip_missed && wall < now {
            // Hopelessly behind (the clock jumped far ahead): resume from now.
            wall = cron.next_after(now)?;
        }
        self.last_cron = Some(wall);
        let at = self.clock.instant_at(wall);
        Some(Fire {
            at,
            wall: Some(wall),
            skipped,
        })
    }

    /// The host's clock, for checking that a cron fire's wall time has come.
    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }
}
