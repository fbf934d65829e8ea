//! A periodic service's tick history as the tick loop keeps it: monotonic instants,
//! turned into wall-clock times only when someone asks for the status.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use crate::clock::Clock;
use crate::status::{Outcome, RunStats};

/// When the next tick is due.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Due {
    /// A fixed period's fire, on the monotonic clock.
    At(Instant),
    /// A cron fire, on the wall clock.
    Wall(DateTime<Utc>),
}

#[derive(Debug, Default)]
pub(crate) struct TickRecord {
    pub(crate) last_run: Option<Instant>,
    pub(crate) next_run: Option<Due>,
    pub(crate) last_duration: Option<Duration>,
    pub(crate) last_outcome: Option<Outcome>,
    pub(crate) last_error: Option<String>,
    pub(crate) succeeded: u64,
    pub(crate) failed: u64,
    pub(crate) skipped: u64,
}

impl TickRecord {
    /// The public view, with instants read off `clock`.
    pub(crate) fn stats(&self, clock: &Clock) -> RunStats {
        let (now_wall, now) = (clock.now(), Instant::now());
        let wall_of = |at: Instant| {
            let ahead = chrono::Duration::from_std(at.saturating_duration_since(now));
            let behind = chrono::Duration::from_std(now.saturating_duration_since(at));
            now_wall + ahead.unwrap_or_default() - behind.unwrap_or_default()
        };
        RunStats {
            last_run: self.last_run.map(wall_of),
            next_run: self.next_run.map(|due| match due {
                Due::At(at) => wall_of(at),
                Due::Wall(wall) => wall,
            }),
            last_duration: self.last_duration,
            last_outcome: self.last_outcome,
            last_error: self.last_error.clone(),
            succeeded: self.succeeded,
            failed: self.failed,
            skipped: self.skipped,
        }
    }
}
