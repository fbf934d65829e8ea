//! Wall-clock time as the host sees it.
//!
//! Cron schedules need the wall clock; tests need it to follow tokio's paused time.
//! A [`Clock`] is either the system clock or a wall-clock reading pinned to a tokio
//! instant, from which it advances exactly as tokio's (possibly paused) time does.

use std::cell::Cell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
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

/// How long from `began` to `ended`, zero if `ended` is earlier. Readings of one
/// day (nearly all) are compared by their times of day alone, which skips the
/// calendar arithmetic a difference of dates costs.
pub(crate) fn elapsed_between(began: DateTime<Utc>, ended: DateTime<Utc>) -> Duration {
    let (from, to) = (began.naive_utc(), ended.naive_utc());
    if from.date() != to.date() {
        return (ended - began).to_std().unwrap_or_default();
    }
    // Nanoseconds since midnight; a leap second's (`nanosecond` past a billion)
    // still sort after the second before it.
    let of_day = |time: NaiveDateTime| {
        u64::from(time.num_seconds_from_midnight()) * 1_000_000_000 + u64::from(time.nanosecond())
    };
    Duration::from_nanos(of_day(to).saturating_sub(of_day(from)))
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
    use std::time::Duration;

    use chrono::{DateTime, Utc};

    #[test]
    fn elapsed_time_is_the_same_within_a_day_and_across_midnight() -> Result<(), chrono::ParseError>
    {
        let at = |text: &str| text.parse::<DateTime<Utc>>();
        let cases = [
            (
                "2026-12-07T10:00:00.000001Z",
                "2026-12-07T10:00:00.250001Z",
                Duration::from_millis(250),
            ),
            (
                "2026-12-07T23:59:59.900Z",
                "2026-12-08T00:00:00.100Z",
                Duration::from_millis(200),
            ),
            (
                "2026-12-31T23:00:00Z",
                "2027-01-01T01:00:00Z",
                Duration::from_secs(7200),
            ),
            // A clock set back reads as no time at all, not a panic.
            (
                "2026-12-07T10:00:01Z",
                "2026-12-07T10:00:00Z",
                Duration::ZERO,
            ),
            (
                "2026-12-08T00:00:00Z",
                "2026-12-07T23:00:00Z",
                Duration::ZERO,
            ),
        ];
        for (began, ended, expected) in cases {
            assert_eq!(
                super::elapsed_between(at(began)?, at(ended)?),
                expected,
                "{began} → {ended}"
            );
        }
        Ok(())
    }

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
