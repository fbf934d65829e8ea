//! How often a failed action is tried again.

use crate::restart::Backoff;

/// Retries for an action that fails, times out or panics: up to `max_retries` more
/// attempts, each after a backoff delay. When none is left the action is
/// dead-lettered (see [`HostHandle::dead_letters`](crate::HostHandle::dead_letters)).
///
/// ```
/// use std::time::Duration;
/// use steward::{Backoff, Retry};
///
/// let retry = Retry::times(3).backoff(Backoff::new(Duration::from_millis(100), Duration::from_secs(5)));
/// assert_eq!(retry.max_retries, 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Retry {
    /// How many attempts after the first.
    pub max_retries: u32,
    /// The delay before each retry.
    pub backoff: Backoff,
}

impl Retry {
    /// No retries: one attempt, then failed.
    pub fn never() -> Self {
        Self::times(0)
    }

    /// Up to `max_retries` retries with the default backoff (`1s..30s`, jittered).
    pub fn times(max_retries: u32) -> Self {
        Self {
            max_retries,
            backoff: Backoff::default(),
        }
    }

    /// Sets the delay before each retry.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }
}

impl Default for Retry {
    fn default() -> Self {
        Self::never()
    }
}
