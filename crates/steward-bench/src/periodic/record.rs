//! Recording tick instants cheaply while services run, and judging them afterwards.
//!
//! A tick's lateness is its actual instant minus the ideal instant it answers: the
//! last one of the schedule's grid (`origin + k·period`) at or before it. A tick
//! more than a period late therefore shows as the fires it missed, which is what
//! a schedule that skips missed fires (Steward's, and the floor's
//! `MissedTickBehavior::Skip`) does anyway.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context as _;

/// One service's tick instants, pushed under an uncontended lock into a vector
/// sized for the whole run, so recording never allocates.
#[derive(Debug)]
pub(crate) struct Recorder<T> {
    origin: OnceLock<Instant>,
    ticks: Mutex<Vec<T>>,
}

impl<T> Recorder<T> {
    pub(crate) fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Self {
            origin: OnceLock::new(),
            ticks: Mutex::new(Vec::with_capacity(capacity)),
        })
    }

    /// Notes when the service's schedule began (its grid's origin).
    pub(crate) fn begin(&self, at: Instant) {
        let _ = self.origin.set(at);
    }

    pub(crate) fn tick(&self, at: T) {
        self.ticks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(at);
    }

    pub(crate) fn origin(&self) -> Option<Instant> {
        self.origin.get().copied()
    }

    pub(crate) fn take(&self) -> Vec<T> {
        std::mem::take(&mut *self.ticks.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// One service's ticks as offsets from its grid's origin, and the grid indices
/// (`first..=last`) that fall in the measured window.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub(crate) offsets: Vec<Duration>,
    pub(crate) first: u64,
    pub(crate) last: u64,
}

/// Series for services whose grid starts at their own recorded origin and whose
/// first fire is one period later: fires `1..=duration/period` are expected.
pub(crate) fn from_origins(
    recorders: &[Arc<Recorder<Instant>>],
    period: Duration,
    duration: Duration,
) -> anyhow::Result<Vec<Series>> {
    let last = (duration.as_nanos() / period.as_nanos()) as u64;
    recorders
        .iter()
        .map(|recorder| {
            let origin = recorder
                .origin()
                .context("a service never began its schedule")?;
            let offsets = recorder
                .take()
                .into_iter()
                .map(|at| at.saturating_duration_since(origin))
                .collect();
            Ok(Series {
                offsets,
                first: 1,
                last,
            })
        })
        .collect()
}

/// How far apart the first and the last service began their schedules.
pub(crate) fn origin_spread(recorders: &[Arc<Recorder<Instant>>]) -> Duration {
    let origins = recorders.iter().filter_map(|recorder| recorder.origin());
    let (first, last) = origins.fold(
        (None, None),
        |(first, last): (Option<Instant>, Option<Instant>), at| {
            (
                Some(first.map_or(at, |first| first.min(at))),
                Some(last.map_or(at, |last| last.max(at))),
            )
        },
    );
    match (first, last) {
        (Some(first), Some(last)) => last - first,
        _ => Duration::ZERO,
    }
}

/// All services' ticks, judged.
#[derive(Debug, Default)]
pub(crate) struct Judged {
    pub(crate) expected: u64,
    pub(crate) missed: u64,
    /// Lateness of every tick in the window, in nanoseconds.
    pub(crate) lateness: Vec<u64>,
}

impl Judged {
    /// Pools another round's ticks with these (the lateness stays unsorted).
    pub(crate) fn add(&mut self, other: Judged) {
        self.expected += other.expected;
        self.missed += other.missed;
        self.lateness.extend(other.lateness);
    }
}

/// Matches each tick with its ideal instant; the lateness comes back unsorted.
pub(crate) fn judge(series: &[Series], period: Duration) -> Judged {
    let period = period.as_nanos();
    let mut judged = Judged::default();
    for one in series {
        let span = (one.last + 1).saturating_sub(one.first) as usize;
        let mut seen = vec![false; span];
        for offset in &one.offsets {
            let offset = offset.as_nanos();
            let index = (offset / period) as u64;
            if index < one.first || index > one.last {
                continue;
            }
            seen[(index - one.first) as usize] = true;
            judged.lateness.push((offset % period) as u64);
        }
        judged.expected += span as u64;
        judged.missed += seen.iter().filter(|&&seen| !seen).count() as u64;
    }
    judged
}
