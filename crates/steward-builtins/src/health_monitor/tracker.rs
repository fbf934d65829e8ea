//! One target's state: consecutive results, the threshold crossings they make,
//! and when its next remedy is due.

use std::time::Duration;

use steward::Backoff;
use tokio::time::Instant;

use super::check::Outcome;

/// A threshold crossing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// `failures` checks failed in a row; the last one for this reason.
    Unhealthy { reason: String, failures: u32 },
    /// `successes` checks passed in a row while unhealthy.
    Recovered { reason: String, successes: u32 },
}

/// One target's results so far.
///
/// A target starts healthy. It becomes unhealthy after `failures` failed checks
/// in a row, and recovers after `successes` passed checks in a row. While it is
/// unhealthy, a remedy is due at once, then again only after both `failures`
/// more failed checks (the remedy gets a chance to work) and the backoff's delay
/// for the remedies made so far (from its minimum, doubling, up to its maximum).
#[derive(Debug)]
pub(crate) struct Tracker {
    failures_needed: u32,
    successes_needed: u32,
    unhealthy: bool,
    /// Failed checks in a row.
    failures: u32,
    /// Passed checks in a row.
    successes: u32,
    /// Failed checks since the last remedy.
    failed_since_remedy: u32,
    /// Remedies in this unhealthy spell.
    remedies: u32,
    last_remedy: Option<Instant>,
    last: Option<Outcome>,
}

impl Tracker {
    pub(crate) fn new(failures_needed: u32, successes_needed: u32) -> Self {
        Self {
            failures_needed: failures_needed.max(1),
            successes_needed: successes_needed.max(1),
            unhealthy: false,
            failures: 0,
            successes: 0,
            failed_since_remedy: 0,
            remedies: 0,
            last_remedy: None,
            last: None,
        }
    }

    /// Counts one check's outcome; says if it crossed a threshold.
    pub(crate) fn record(&mut self, outcome: Outcome) -> Option<Change> {
        let change = match &outcome {
            Ok(said) => {
                self.successes = self.successes.saturating_add(1);
                self.failures = 0;
                if self.unhealthy && self.successes >= self.successes_needed {
                    self.unhealthy = false;
                    self.remedies = 0;
                    self.last_remedy = None;
                    self.failed_since_remedy = 0;
                    Some(Change::Recovered {
                        reason: said.clone(),
                        successes: self.successes,
                    })
                } else {
                    None
                }
            }
            Err(reason) => {
                self.failures = self.failures.saturating_add(1);
                self.successes = 0;
                if self.unhealthy {
                    self.failed_since_remedy = self.failed_since_remedy.saturating_add(1);
                    None
                } else if self.failures >= self.failures_needed {
                    self.unhealthy = true;
                    Some(Change::Unhealthy {
                        reason: reason.clone(),
                        failures: self.failures,
                    })
                } else {
                    None
                }
            }
        };
        self.last = Some(outcome);
        change
    }

    /// Whether a remedy is due at `now`.
    pub(crate) fn remedy_due(&self, now: Instant, backoff: &Backoff) -> bool {
        if !self.unhealthy {
            return false;
        }
        match self.last_remedy {
            None => true,
            Some(at) => {
                self.failed_since_remedy >= self.failures_needed
                    && now.saturating_duration_since(at) >= self.backoff(backoff)
            }
        }
    }

    /// The least time after the last remedy before the next.
    pub(crate) fn backoff(&self, backoff: &Backoff) -> Duration {
        backoff.base_delay(self.remedies)
    }

    /// A remedy starts at `now`; returns its number in this unhealthy spell.
    pub(crate) fn remedied(&mut self, now: Instant) -> u32 {
        self.remedies = self.remedies.saturating_add(1);
        self.last_remedy = Some(now);
        self.failed_since_remedy = 0;
        self.remedies
    }

    pub(crate) fn is_unhealthy(&self) -> bool {
        self.unhealthy
    }

    /// `unknown` before the first check, then `healthy`, `failing` (failed, not yet
    /// unhealthy), `unhealthy` or `recovering` (passed, not yet recovered).
    pub(crate) fn status(&self) -> &'static str {
        match (&self.last, self.unhealthy) {
            (None, _) => "unknown",
            (Some(Ok(_)), false) => "healthy",
            (Some(Err(_)), false) => "failing",
            (Some(Err(_)), true) => "unhealthy",
            (Some(Ok(_)), true) => "recovering",
        }
    }

    /// What the last check found or why it failed.
    pub(crate) fn last(&self) -> Option<&str> {
        self.last.as_ref().map(|outcome| match outcome {
            Ok(said) | Err(said) => said.as_str(),
        })
    }

    pub(crate) fn failures(&self) -> u32 {
        self.failures
    }

    pub(crate) fn successes(&self) -> u32 {
        self.successes
    }

    pub(crate) fn remedies(&self) -> u32 {
        self.remedies
    }
}
