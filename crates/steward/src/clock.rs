//! Wall-clock time as the host sees it.
//!
//! Cron schedules need the wall clock; tests need it to follow tokio's paused time.
//! A [`Clock`] is either the system clock or a wall-clock reading pinned to a tokio
//! instant, from which it advances exactly as tokio's (possibly paused) time does.

use std::cell::Cell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use tokio::time::Instant;

/// How far ahead "as good as never" lies: far enough that nothing waits that long,
/// near enough that adding it to now cannot overflow a clock.
pub(crate) const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

/// `at` plus `after`, with any duration past [`FAR_FUTURE`] taken as that: a
/// timeout or delay too long for the clock means "never", not a panic.
pub(crate) fn instant_after(at: Instant, after: Duration) -> Instant {
    at.checked_add(after.min(FAR_FUTURE)).unwrap_or(at)
}

/// [`instant_after`] on the wall clock.
pub(crate) fn wall_after(at: DateTime<Utc>, after: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(after.min(FAR_FUTURE))
        .ok()
        .and_then(|after| at.checked_add_signed(after))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

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
            Clock::System => system_now(),
            Clock::Pinned { wall, origin } => {
                let elapsed = chrono::Duration::from_std(origin.elapsed()).unwrap_or_default();
                *wall + elapsed
            }
        }
    }

    /// The tokio instant at which this clock will read `at` (now, if `at` is past).
    pub(crate) fn instant_at(&self, at: DateTime<Utc>) -> Instant {
        let ahead = (at - self.now()).to_std().unwrap_or(Duration::ZERO);
        instant_after(Instant::now(), ahead)
    }
}

/// `Utc::now()`, with the calendar date worked out once a day per thread rather
/// than on every reading (the host stamps every transition and action).
fn system_now() -> DateTime<Utc> {
    thread_local! {
        static TODAY: Cell<Option<(u64, NaiveDate)>> = const { Cell::new(None) };
    }
    let Ok(since) = SystemTime::now().duration_since(UNIX_EPOCH) else {
        return Utc::now();
    };
    let (secs, nanos) = (since.as_secs(), since.subsec_nanos());
    let day = secs / SECONDS_PER_DAY;
    let date = match TODAY.get() {
        Some((cached, date)) if cached == day => Some(date),
        _ => i32::try_from(day)
            .ok()
            .and_then(|day| day.checked_add(DAYS_FROM_CE_TO_EPOCH))
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .inspect(|&date| TODAY.set(Some((day, date)))),
    };
    let seconds_today = u32::try_from(secs % SECONDS_PER_DAY).unwrap_or(0);
    let time = NaiveTime::from_num_seconds_from_midnight_opt(seconds_today, nanos);
    match (date, time) {
        (Some(date), Some(time)) => NaiveDateTime::new(date, time).and_utc(),
        _ => Utc::now(),
    }
}

const SECONDS_PER_DAY: u64 = 86_400;

/// Days from 0001-01-01 (day 1 in chrono's count) to 1970-01-01.
const DAYS_FROM_CE_TO_EPOCH: i32 = 719_163;

#[cfg(test)]
mod tests {
    use chrono::Utc;

    #[test]
    fn the_system_clock_reads_what_chrono_reads() {
        for _ in 0..3 {
            let before = Utc::now();
            let ours = super::system_now();
            let after = Utc::now();
            assert!(
                before <= ours && ours <= after,
                "{before} ≤ {ours} ≤ {after}"
            );
        }
    }
}
