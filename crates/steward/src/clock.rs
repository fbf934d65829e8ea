//! Wall-clock time as the host sees it.
//!
//! Cron schedules need the wall clock; tests need it to follow tokio's paused time.
//! A [`Clock`] is either the system clock or a wall-clock reading pinned to a tokio
//! instant, from which it advances exactly as tokio's (possibly paused) time does.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

/// The host's source of wall-clock time.
#[derive(Debug, Clone)]
pub(crate) enum Clock {
    /// The operating system's clock.
    System,
    /// `wall` at tokio instant `origin`, advancing with tokio time.
    Pinned {
        wall: DateTime<Utc>,
        origin: Instant,
    },
}

impl Clock {
    /// A clock that reads `wall` now and advances with tokio's time.
    pub(crate) fn pinned(wall: DateTime<Utc>) -> Self {
        Clock::Pinned {
            wall,
            origin: Instant::now(),
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Pinned { wall, origin } => {
                let elapsed = chrono::Duration::from_std(origin.elapsed()).unwrap_or_default();
                *wall + elapsed
            }
        }
    }

    /// The tokio instant at which this clock will read `at` (now, if `at` is past).
    pub(crate) fn instant_at(&self, at: DateTime<Utc>) -> Instant {
        let ahead = (at - self.now()).to_std().unwrap_or(Duration::ZERO);
        Instant::now() + ahead
    }
}
