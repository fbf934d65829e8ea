use std::time::{Duration, Instant};

use super::{Schedule, WHILE_WRITTEN};

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn idle_a_pass_comes_every_tenth_of_the_time_kept_between_a_minute_and_an_hour() {
    let now = Instant::now();
    for (keep_for, every) in [
        (7 * 24 * HOUR, HOUR),
        (HOUR, 6 * MINUTE),
        (5 * MINUTE, MINUTE),
        (Duration::ZERO, MINUTE),
    ] {
        let schedule = Schedule::new(keep_for, now);
        assert_eq!(schedule.due(), now + every, "keeping {keep_for:?}");
        assert!(!schedule.is_due(now + every - Duration::from_millis(1)));
        assert!(schedule.is_due(now + every));
    }
}

#[test]
fn after_a_write_a_pass_comes_a_minute_after_the_last() {
    let start = Instant::now();
    let mut schedule = Schedule::new(7 * 24 * HOUR, start);
    schedule.wrote();
    assert_eq!(schedule.due(), start + WHILE_WRITTEN);

    // The pass forgets the write: idle again, the next is an hour later.
    let pass = start + WHILE_WRITTEN;
    schedule.pruned(pass, false);
    assert_eq!(schedule.due(), pass + HOUR);
}

#[test]
fn a_pass_that_stopped_at_its_limit_is_followed_at_once() {
    let start = Instant::now();
    let mut schedule = Schedule::new(HOUR, start);
    let pass = start + MINUTE;
    schedule.pruned(pass, true);
    assert_eq!(schedule.due(), pass);
    assert!(schedule.is_due(pass));
    schedule.pruned(pass + Duration::from_millis(5), false);
    assert_eq!(schedule.due(), pass + Duration::from_millis(5) + 6 * MINUTE);
}
