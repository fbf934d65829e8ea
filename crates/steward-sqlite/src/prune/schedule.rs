//! When the writer prunes history: about once a minute while it is written to, and
//! on a slower beat while it is not, so that a host nobody sends actions to still
//! forgets what it no longer keeps.

use std::time::{Duration, Instant};

/// The time between passes while the journal is written to.
pub(crate) const WHILE_WRITTEN: Duration = Duration::from_secs(60);

/// The time between passes while nothing is written: a tenth of the time finished
/// actions are kept, so none outstays it by more than a tenth, within these bounds.
const IDLE_AT_LEAST: Duration = Duration::from_secs(60);
const IDLE_AT_MOST: Duration = Duration::from_secs(3600);

/// When the next pass is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Schedule {
    /// Between passes while written to.
    busy: Duration,
    /// Between passes while nothing is written.
    idle: Duration,
    /// When the last pass ran (or the schedule began).
    last: Instant,
    /// Something was written since.
    written: bool,
    /// The last pass stopped at its limit: the next one is due at once.
    more: bool,
}

impl Schedule {
    /// The schedule of a journal that keeps finished actions for `keep_for`,
    /// beginning at `now`.
    pub(crate) fn new(keep_for: Duration, now: Instant) -> Self {
        let idle = (keep_for / 10).clamp(IDLE_AT_LEAST, IDLE_AT_MOST);
        Self::every(WHILE_WRITTEN, idle, now)
    }

    /// A schedule with these times between passes (an hour at most), beginning
    /// at `now`.
    pub(crate) fn every(busy: Duration, idle: Duration, now: Instant) -> Self {
        Self {
            busy: busy.min(IDLE_AT_MOST),
            idle: idle.min(IDLE_AT_MOST),
            last: now,
            written: false,
            more: false,
        }
    }

    /// Something was written.
    pub(crate) fn wrote(&mut self) {
        self.written = true;
    }

    /// A pass ran at `now`; `more` when it stopped at its limit with more due.
    pub(crate) fn pruned(&mut self, now: Instant, more: bool) {
        self.last = now;
        self.written = false;
        self.more = more;
    }

    /// When the next pass is due.
    pub(crate) fn due(&self) -> Instant {
        if self.more {
            return self.last;
        }
        let after = if self.written { self.busy } else { self.idle };
        // An hour on from a reading of the clock does not overflow.
        self.last.checked_add(after).unwrap_or(self.last)
    }

    /// Whether a pass is due at `now`.
    pub(crate) fn is_due(&self, now: Instant) -> bool {
        now >= self.due()
    }
}

#[cfg(test)]
mod tests;
