//! A periodic service's tick history, written by its tick loop with plain atomic
//! stores (no lock on the hot path) and read into a [`RunStats`] on demand.
//!
//! Times are kept as nanoseconds from an origin on the monotonic clock and turned
//! into wall-clock times only when the status is read. A reader may see one tick's
//! fields mixed with the next's; each field is right on its own.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::triggers::{TickOutcome, Triggers};
use crate::clock::Clock;
use crate::status::{Outcome, RunStats};

/// "Not yet" for the nanosecond fields (stored as value + 1).
const NONE: u64 = 0;

/// Laid out in order: what every tick touches fits in the first cache line.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct TickStats {
    origin: Instant,
    last_run: AtomicU64,
    next_run: AtomicU64,
    last_duration: AtomicU64,
    succeeded: AtomicU64,
    skipped: AtomicU64,
    last_outcome: AtomicU8,
    has_error: AtomicBool,
    stop_requested: AtomicBool,
    trigger_requested: AtomicBool,
    // Touched for failures, cron fires and triggers only.
    failed: AtomicU64,
    next_wall: AtomicI64,
    last_error: Mutex<Option<String>>,
    pub(crate) triggers: Triggers,
}

impl TickStats {
    pub(crate) fn new() -> Self {
        Self {
            origin: Instant::now(),
            last_run: AtomicU64::new(NONE),
            next_run: AtomicU64::new(NONE),
            last_duration: AtomicU64::new(NONE),
            succeeded: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            last_outcome: AtomicU8::new(0),
            has_error: AtomicBool::new(false),
            stop_requested: AtomicBool::new(false),
            trigger_requested: AtomicBool::new(false),
            triggers: Triggers::default(),
            next_wall: AtomicI64::new(i64::MIN),
            last_error: Mutex::new(None),
        }
    }

    /// The next fire: an instant, and for cron fires the wall time they mean.
    pub(crate) fn set_next(&self, at: Instant, wall: Option<DateTime<Utc>>, skipped: u64) {
        if let Some(wall) = wall {
            let nanos = wall.timestamp_nanos_opt().unwrap_or(i64::MAX);
            self.next_wall.store(nanos, Relaxed);
        }
        self.next_run.store(self.offset(at), Relaxed);
        if skipped > 0 {
            bump(&self.skipped, skipped);
        }
    }

    /// Flags a stop before its token is cancelled: the tick loop then looks at
    /// the token, which it otherwise does only when woken by something else.
    pub(crate) fn request_stop(&self) {
        self.stop_requested.store(true, Relaxed);
    }

    pub(crate) fn stop_requested(&self) -> bool {
        self.stop_requested.load(Relaxed)
    }

    /// Asks for a tick now; the receiver hears its outcome (or is dropped if the
    /// service stops first).
    pub(crate) fn request_trigger(&self) -> tokio::sync::oneshot::Receiver<TickOutcome> {
        let outcome = self.triggers.request();
        self.trigger_requested.store(true, Relaxed);
        self.triggers.wake.notify_one();
        outcome
    }

    pub(crate) fn trigger_requested(&self) -> bool {
        self.trigger_requested.load(Relaxed)
    }

    /// Takes the trigger requests the coming tick serves.
    pub(crate) fn take_triggers(&self) -> Vec<tokio::sync::oneshot::Sender<TickOutcome>> {
        self.trigger_requested.store(false, Relaxed);
        self.triggers.take()
    }

    /// A new run: old stop requests are done with.
    pub(crate) fn clear_stop_request(&self) {
        self.stop_requested.store(false, Relaxed);
    }

    /// No further fires.
    pub(crate) fn clear_next(&self) {
        self.next_run.store(NONE, Relaxed);
        self.next_wall.store(i64::MIN, Relaxed);
    }

    /// One tick that began at `began` and took `took`.
    pub(crate) fn ticked(&self, began: Instant, took: Duration, result: Result<(), String>) {
        self.last_run.store(self.offset(began), Relaxed);
        self.last_duration
            .store(nanos(took).saturating_add(1), Relaxed);
        match result {
            Ok(()) => {
                bump(&self.succeeded, 1);
                self.last_outcome.store(1, Relaxed);
                if self.has_error.load(Relaxed) {
                    self.has_error.store(false, Relaxed);
                    *self.error() = None;
                }
            }
            Err(error) => {
                bump(&self.failed, 1);
                self.last_outcome.store(2, Relaxed);
                *self.error() = Some(error);
                self.has_error.store(true, Relaxed);
            }
        }
    }

    /// The last tick's error, if it failed.
    pub(crate) fn last_error(&self) -> Option<String> {
        if self.has_error.load(Relaxed) {
            self.error().clone()
        } else {
            None
        }
    }

    /// The public view, with instants read off `clock`.
    pub(crate) fn stats(&self, clock: &Clock) -> RunStats {
        let (now_wall, now) = (clock.now(), Instant::now());
        let wall_of = |stored: u64| {
            let at = self.origin + Duration::from_nanos(stored - 1);
            let ahead = chrono::Duration::from_std(at.saturating_duration_since(now));
            let behind = chrono::Duration::from_std(now.saturating_duration_since(at));
            now_wall + ahead.unwrap_or_default() - behind.unwrap_or_default()
        };
        let stored = |field: &AtomicU64| Some(field.load(Relaxed)).filter(|value| *value != NONE);
        let next_wall = self.next_wall.load(Relaxed);
        RunStats {
            last_run: stored(&self.last_run).map(wall_of),
            next_run: stored(&self.next_run).map(|next| match next_wall {
                i64::MIN => wall_of(next),
                nanos => DateTime::from_timestamp_nanos(nanos),
            }),
            last_duration: stored(&self.last_duration).map(|n| Duration::from_nanos(n - 1)),
            last_outcome: match self.last_outcome.load(Relaxed) {
                1 => Some(Outcome::Success),
                2 => Some(Outcome::Failure),
                _ => None,
            },
            last_error: self.last_error(),
            succeeded: self.succeeded.load(Relaxed),
            failed: self.failed.load(Relaxed),
            skipped: self.skipped.load(Relaxed),
        }
    }

    fn offset(&self, at: Instant) -> u64 {
        nanos(at.saturating_duration_since(self.origin)).saturating_add(1)
    }

    fn error(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Adds to a counter that only the tick loop writes: no locked read-modify-write.
fn bump(counter: &AtomicU64, by: u64) {
    counter.store(counter.load(Relaxed).saturating_add(by), Relaxed);
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX - 1)
}
