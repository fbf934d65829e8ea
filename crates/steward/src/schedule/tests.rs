//! Unit tests of [`Schedule`], [`CronSchedule`] and the [`Timer`] that walks them.
//!
//! Cron fire instants are asserted as exact UTC instants. Around daylight-saving
//! changes the schedule follows what `croner` 4 documents ("Daylight Saving Time (DST)
//! Handling" in its README), for America/New_York in 2026:
//!
//! * spring forward, 2026-03-08: at 02:00 EST (07:00Z) the clocks jump to 03:00 EDT, so
//!   local 02:00–02:59 does not exist. A *fixed-time* job (specific second, minute and
//!   hour, such as `0 30 2 * * *`) runs at the first valid instant after the gap on the
//!   same day, 03:00 EDT = 07:00Z. An *interval/wildcard* job (`*/30 * * * *`) skips the
//!   fires inside the gap and goes on at the next matching wall time (03:00 EDT).
//! * fall back, 2026-11-01: at 02:00 EDT (06:00Z) the clocks go back to 01:00 EST, so
//!   local 01:00–01:59 happens twice. A fixed-time job (`0 30 1 * * *`) runs once, at
//!   the first occurrence (01:30 EDT = 05:30Z); a wildcard job runs at every matching
//!   wall time of both passes (01:00 EDT, 01:30 EDT, 01:00 EST, 01:30 EST).
//! * searches move in real time, so the value a search returned must be handed back
//!   exactly to find the next one; the timer does that (`last_cron`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::timer::Fire;
use super::*;
use crate::clock::Clock;

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn mins(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

fn new_york(expression: &str) -> CronSchedule {
    CronSchedule::parse(expression)
        .unwrap()
        .in_timezone("America/New_York")
        .unwrap()
}

/// The first `count` fires strictly after `from`, each search starting from the last
/// fire returned.
fn fires_after(cron: &CronSchedule, from: &str, count: usize) -> Vec<DateTime<Utc>> {
    let mut at = utc(from);
    let mut fires = Vec::with_capacity(count);
    for _ in 0..count {
        at = cron.next_after(at).expect("the expression fires again");
        fires.push(at);
    }
    fires
}

fn utcs(texts: &[&str]) -> Vec<DateTime<Utc>> {
    texts.iter().map(|text| utc(text)).collect()
}

/// Sleeps (in paused time) until the fire is due, as the tick loop does.
async fn wait(fire: &Fire) {
    tokio::time::sleep_until(fire.at).await;
}

// ---------------------------------------------------------------------------------
// Schedule values

#[test]
fn every_builds_a_fixed_period_schedule() {
    let schedule = Schedule::every(Duration::from_secs(3600))
        .initial_delay(secs(10))
        .run_on_startup();
    assert_eq!(schedule.period(), Some(Duration::from_secs(3600)));
    assert!(schedule.as_cron().is_none());
    assert_eq!(schedule.initial_delay, secs(10));
    assert!(schedule.run_on_startup);
    assert_eq!(
        schedule.to_string(),
        "every 1h, first after 10s, on startup"
    );
    assert_eq!(Schedule::every(mins(5)).to_string(), "every 5m");
}

#[test]
fn with_run_on_startup_sets_and_clears_the_flag() {
    let on = Schedule::every(secs(1)).with_run_on_startup(true);
    assert!(on.run_on_startup);
    let off = on.with_run_on_startup(false);
    assert!(!off.run_on_startup);
    assert_eq!(off.to_string(), "every 1s");
}

#[test]
fn cron_schedule_is_utc_until_given_a_zone() {
    let schedule = Schedule::cron("0 3 * * *").unwrap();
    assert_eq!(schedule.period(), None);
    let cron = schedule.as_cron().unwrap();
    assert_eq!(cron.expression(), "0 3 * * *");
    assert_eq!(cron.timezone(), "UTC");
    assert_eq!(schedule.to_string(), "cron `0 3 * * *` (UTC)");

    let berlin = schedule.in_timezone("Europe/Berlin").unwrap();
    assert_eq!(berlin.as_cron().unwrap().timezone(), "Europe/Berlin");
    assert_eq!(
        berlin.initial_delay(mins(1)).to_string(),
        "cron `0 3 * * *` (Europe/Berlin), first after 1m"
    );
}

#[test]
fn cron_schedules_compare_by_expression_and_zone() {
    let a = CronSchedule::parse("0 3 * * *").unwrap();
    let b = CronSchedule::parse("0 3 * * *").unwrap();
    assert_eq!(a, b);
    assert_ne!(a.clone(), b.in_timezone("Europe/Berlin").unwrap());
    assert_ne!(a, CronSchedule::parse("0 4 * * *").unwrap());
}

#[test]
fn an_invalid_cron_expression_is_refused_with_the_parser_reason() {
    let error = Schedule::cron("61 * * * *").unwrap_err();
    assert_eq!(
        error,
        ScheduleError::InvalidCron {
            expression: "61 * * * *".to_owned(),
            reason: "Component error: Number out of bounds.".to_owned(),
        }
    );
    assert_eq!(
        error.to_string(),
        "invalid cron expression `61 * * * *`: Component error: Number out of bounds."
    );
    for bad in ["", "* * *", "not a cron", "0 0 0 0 0 0 0"] {
        assert!(
            matches!(Schedule::cron(bad), Err(ScheduleError::InvalidCron { ref expression, .. }) if expression == bad),
            "`{bad}` should be refused"
        );
    }
}

#[test]
fn an_unknown_time_zone_is_refused() {
    let error = Schedule::cron("0 3 * * *")
        .unwrap()
        .in_timezone("Mars/Olympus")
        .unwrap_err();
    assert_eq!(
        error,
        ScheduleError::UnknownTimeZone("Mars/Olympus".to_owned())
    );
    assert_eq!(
        error.to_string(),
        "unknown time zone `Mars/Olympus` (expected an IANA name such as `Europe/Berlin`)"
    );
}

#[test]
fn a_time_zone_on_a_fixed_period_has_no_effect() {
    // Documented on `Schedule::in_timezone`: accepted, and ignored.
    let every = Schedule::every(mins(1));
    assert_eq!(every.clone().in_timezone("Europe/Berlin").unwrap(), every);
}

// ---------------------------------------------------------------------------------
// Cron next-fire computation

#[test]
fn five_field_cron_fires_strictly_after_the_given_instant() {
    let cron = CronSchedule::parse("0 3 * * *").unwrap();
    assert_eq!(
        cron.next_after(utc("2026-01-01T00:00:00Z")),
        Some(utc("2026-01-01T03:00:00Z"))
    );
    // Strictly after: from a fire, the next is a day later.
    assert_eq!(
        cron.next_after(utc("2026-01-01T03:00:00Z")),
        Some(utc("2026-01-02T03:00:00Z"))
    );
    assert_eq!(
        cron.next_after(utc("2026-01-01T02:59:59.999Z")),
        Some(utc("2026-01-01T03:00:00Z"))
    );
}

#[test]
fn six_field_cron_has_seconds_first() {
    let every_15s = CronSchedule::parse("*/15 * * * * *").unwrap();
    assert_eq!(
        fires_after(&every_15s, "2026-01-01T00:00:00Z", 4),
        utcs(&[
            "2026-01-01T00:00:15Z",
            "2026-01-01T00:00:30Z",
            "2026-01-01T00:00:45Z",
            "2026-01-01T00:01:00Z",
        ])
    );
    let at_3h_30s = CronSchedule::parse("30 0 3 * * *").unwrap();
    assert_eq!(
        fires_after(&at_3h_30s, "2026-01-01T00:00:00Z", 2),
        utcs(&["2026-01-01T03:00:30Z", "2026-01-02T03:00:30Z"])
    );
    // Six fields with a zero second mean the same as five fields.
    let five = CronSchedule::parse("0 3 * * *").unwrap();
    let six = CronSchedule::parse("0 0 3 * * *").unwrap();
    assert_eq!(
        fires_after(&five, "2026-01-01T00:00:00Z", 3),
        fires_after(&six, "2026-01-01T00:00:00Z", 3)
    );
}

#[test]
fn an_expression_that_never_matches_has_no_next_fire() {
    let february_31 = CronSchedule::parse("0 0 31 2 *").unwrap();
    assert_eq!(february_31.next_after(utc("2026-01-01T00:00:00Z")), None);
}

#[test]
fn cron_in_a_zone_follows_its_offset_through_the_year() {
    // Europe/Berlin: CET (UTC+1) until 2026-03-29 02:00, CEST (UTC+2) after.
    let cron = CronSchedule::parse("0 3 * * *")
        .unwrap()
        .in_timezone("Europe/Berlin")
        .unwrap();
    assert_eq!(
        fires_after(&cron, "2026-03-27T12:00:00Z", 3),
        utcs(&[
            "2026-03-28T02:00:00Z",
            "2026-03-29T01:00:00Z",
            "2026-03-30T01:00:00Z",
        ])
    );
}

#[test]
fn spring_forward_fixed_time_in_the_gap_runs_right_after_the_gap() {
    // 02:30 does not exist in New York on 2026-03-08: croner runs the job at the first
    // valid instant after the gap, 03:00 EDT (07:00Z); the next days are 02:30 EDT.
    let cron = new_york("0 30 2 * * *");
    assert_eq!(
        fires_after(&cron, "2026-03-07T12:00:00Z", 3),
        utcs(&[
            "2026-03-08T07:00:00Z",
            "2026-03-09T06:30:00Z",
            "2026-03-10T06:30:00Z",
        ])
    );
    // The day before, 02:30 EST is 07:30Z.
    assert_eq!(
        cron.next_after(utc("2026-03-06T12:00:00Z")),
        Some(utc("2026-03-07T07:30:00Z"))
    );
}

#[test]
fn spring_forward_wildcard_skips_the_missing_hour() {
    // 01:00 EST, 01:30 EST, then the clocks jump: 02:00 and 02:30 never happen, and
    // the next fire is 03:00 EDT, only 30 real minutes after 01:30 EST.
    let cron = new_york("*/30 * * * *");
    assert_eq!(
        fires_after(&cron, "2026-03-08T05:45:00Z", 4),
        utcs(&[
            "2026-03-08T06:00:00Z",
            "2026-03-08T06:30:00Z",
            "2026-03-08T07:00:00Z",
            "2026-03-08T07:30:00Z",
        ])
    );
}

#[test]
fn fall_back_fixed_time_in_the_repeated_hour_runs_once() {
    // 01:30 happens twice on 2026-11-01: at 05:30Z (EDT) and at 06:30Z (EST). A
    // fixed-time job runs only at the first; the next fire is the next day, in EST.
    let cron = new_york("0 30 1 * * *");
    assert_eq!(
        fires_after(&cron, "2026-10-31T12:00:00Z", 3),
        utcs(&[
            "2026-11-01T05:30:00Z",
            "2026-11-02T06:30:00Z",
            "2026-11-03T06:30:00Z",
        ])
    );
    // Searching from inside the second pass does not find the second 01:30 either.
    assert_eq!(
        cron.next_after(utc("2026-11-01T06:15:00Z")),
        Some(utc("2026-11-02T06:30:00Z"))
    );
}

#[test]
fn fall_back_fixed_time_after_the_repeated_hour_is_unaffected() {
    // 02:30 exists once (EST, UTC-5) on 2026-11-01.
    let cron = new_york("0 30 2 * * *");
    assert_eq!(
        fires_after(&cron, "2026-10-31T12:00:00Z", 2),
        utcs(&["2026-11-01T07:30:00Z", "2026-11-02T07:30:00Z"])
    );
}

#[test]
fn fall_back_wildcard_fires_in_both_passes_of_the_repeated_hour() {
    // Local 01:00, 01:30 (EDT), 01:00, 01:30 (EST), 02:00, 02:30: every 30 real minutes.
    let cron = new_york("*/30 * * * *");
    assert_eq!(
        fires_after(&cron, "2026-11-01T04:45:00Z", 6),
        utcs(&[
            "2026-11-01T05:00:00Z",
            "2026-11-01T05:30:00Z",
            "2026-11-01T06:00:00Z",
            "2026-11-01T06:30:00Z",
            "2026-11-01T07:00:00Z",
            "2026-11-01T07:30:00Z",
        ])
    );
}

// ---------------------------------------------------------------------------------
// Timer: fixed periods

#[tokio::test(start_paused = true)]
async fn interval_fires_one_period_after_start_then_every_period() {
    let wall = utc("2026-01-01T00:00:00Z");
    let start = Instant::now();
    let mut timer = Timer::start(Schedule::every(secs(60)), Clock::pinned(wall));
    for n in 1..=4u32 {
        let fire = timer.next_fire(Instant::now()).unwrap();
        assert_eq!(fire.at, start + secs(60) * n);
        assert_eq!(fire.wall, None);
        assert_eq!(fire.skipped, 0);
        wait(&fire).await;
    }
}

#[tokio::test(start_paused = true)]
async fn run_on_startup_fires_at_once_then_every_period() {
    let wall = utc("2026-01-01T00:00:00Z");
    let start = Instant::now();
    let mut timer = Timer::start(
        Schedule::every(secs(60)).run_on_startup(),
        Clock::pinned(wall),
    );
    let offsets: Vec<Duration> = {
        let mut offsets = Vec::new();
        for _ in 0..3 {
            let fire = timer.next_fire(Instant::now()).unwrap();
            assert_eq!(fire.skipped, 0);
            assert_eq!(fire.wall, None);
            offsets.push(fire.at - start);
            wait(&fire).await;
        }
        offsets
    };
    assert_eq!(offsets, [secs(0), secs(60), secs(120)]);
}

#[tokio::test(start_paused = true)]
async fn initial_delay_postpones_the_whole_schedule() {
    let start = Instant::now();
    let mut timer = Timer::start(
        Schedule::every(secs(60)).initial_delay(secs(10)),
        Clock::pinned(utc("2026-01-01T00:00:00Z")),
    );
    let mut offsets = Vec::new();
    for _ in 0..3 {
        let fire = timer.next_fire(Instant::now()).unwrap();
        offsets.push(fire.at - start);
        wait(&fire).await;
    }
    // Without run_on_startup the first tick is one period after the delay.
    assert_eq!(offsets, [secs(70), secs(130), secs(190)]);
}

#[tokio::test(start_paused = true)]
async fn initial_delay_with_run_on_startup_fires_when_the_delay_ends() {
    let wall = utc("2026-01-01T00:00:00Z");
    let start = Instant::now();
    let mut timer = Timer::start(
        Schedule::every(secs(60))
            .initial_delay(secs(10))
            .run_on_startup(),
        Clock::pinned(wall),
    );
    let first = timer.next_fire(Instant::now()).unwrap();
    assert_eq!(first.at, start + secs(10));
    assert_eq!(first.wall, None);
    wait(&first).await;
    let second = timer.next_fire(Instant::now()).unwrap();
    assert_eq!(second.at, start + secs(70));
    assert_eq!(second.wall, None);
}

#[tokio::test(start_paused = true)]
async fn an_overrunning_tick_skips_the_fires_it_missed() {
    let start = Instant::now();
    let mut timer = Timer::start(
        Schedule::every(secs(10)),
        Clock::pinned(utc("2026-01-01T00:00:00Z")),
    );
    let first = timer.next_fire(Instant::now()).unwrap();
    assert_eq!((first.at - start, first.skipped), (secs(10), 0));
    wait(&first).await;

    // The tick runs 25 s (until 35 s): the fires at 20 s and 30 s are skipped, and the
    // next one is the first on the grid after the tick ended.
    tokio::time::advance(secs(25)).await;
    let second = timer.next_fire(Instant::now()).unwrap();
    assert_eq!(second.at - start, secs(40));
    assert_eq!(second.skipped, 2);
    assert_eq!(second.wall, None);
    wait(&second).await;

    // A tick that ends exactly on the next fire skips nothing: it runs at once.
    tokio::time::advance(secs(10)).await;
    let third = timer.next_fire(Instant::now()).unwrap();
    assert_eq!((third.at - start, third.skipped), (secs(50), 0));
    assert_eq!(third.at, Instant::now());
    wait(&third).await;

    // Ending exactly on a later fire skips the ones before it and fires on time.
    tokio::time::advance(secs(20)).await;
    let fourth = timer.next_fire(Instant::now()).unwrap();
    assert_eq!((fourth.at - start, fourth.skipped), (secs(70), 1));
}

#[tokio::test(start_paused = true)]
async fn the_first_fire_is_never_skipped_however_late() {
    let start = Instant::now();
    let mut timer = Timer::start(
        Schedule::every(secs(60)),
        Clock::pinned(utc("2026-01-01T00:00:00Z")),
    );
    // The service gets to its first fire 150 s after the timer started.
    tokio::time::advance(secs(150)).await;
    let first = timer.next_fire(Instant::now()).unwrap();
    assert_eq!((first.at - start, first.skipped), (secs(60), 0));
    // After that tick, the fire at 120 s was missed; the next is at 180 s.
    let second = timer.next_fire(Instant::now()).unwrap();
    assert_eq!((second.at - start, second.skipped), (secs(180), 1));
}

#[tokio::test(start_paused = true)]
async fn a_tick_shorter_than_the_period_skips_nothing() {
    let start = Instant::now();
    let mut timer = Timer::start(
        Schedule::every(secs(10)),
        Clock::pinned(utc("2026-01-01T00:00:00Z")),
    );
    for n in 1..=5u32 {
        let fire = timer.next_fire(Instant::now()).unwrap();
        assert_eq!((fire.at - start, fire.skipped), (secs(10) * n, 0));
        wait(&fire).await;
        tokio::time::advance(Duration::from_millis(9_999)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_short_period_keeps_advancing_after_u32_max_periods() {
    let start = Instant::now();
    let mut timer = Timer::start(
        Schedule::every(Duration::from_millis(1)),
        Clock::pinned(utc("2026-01-01T00:00:00Z")),
    );
    let first = timer.next_fire(Instant::now()).unwrap();
    assert_eq!(first.at - start, Duration::from_millis(1));
    wait(&first).await;
    // A tick that runs 2^32 ms: more than u32::MAX periods have passed.
    tokio::time::advance(Duration::from_millis(u64::from(u32::MAX) + 10)).await;
    let now = Instant::now();
    let fire = timer.next_fire(Instant::now()).unwrap();
    assert!(fire.at >= now, "the next fire must not lie in the past");
    assert_eq!(fire.at - start, now - start);
}

// ---------------------------------------------------------------------------------
// Timer: cron

#[tokio::test(start_paused = true)]
async fn cron_timer_fires_at_wall_clock_instants() {
    let start = Instant::now();
    let mut timer = Timer::start(
        Schedule::cron("0 3 * * *").unwrap(),
        Clock::pinned(utc("2026-01-01T00:00:00Z")),
    );
    let first = timer.next_fire(Instant::now()).unwrap();
    assert_eq!(first.wall.unwrap(), utc("2026-01-01T03:00:00Z"));
    assert_eq!(first.at - start, Duration::from_secs(3 * 3600));
    assert_eq!(first.skipped, 0);
    wait(&first).await;
    let second = timer.next_fire(Instant::now()).unwrap();
    assert_eq!(second.wall.unwrap(), utc("2026-01-02T03:00:00Z"));
    assert_eq!(second.at - start, Duration::from_secs(27 * 3600));
}

#[tokio::test(start_paused = true)]
async fn cron_timer_with_seconds_skips_fires_missed_by_an_overrun() {
    let start = Instant::now();
    let mut timer = Timer::start(
        Schedule::cron("*/10 * * * * *").unwrap(),
        Clock::pinned(utc("2026-01-01T00:00:00Z")),
    );
    let first = timer.next_fire(Instant::now()).unwrap();
    assert_eq!(
        (first.wall.unwrap(), first.skipped),
        (utc("2026-01-01T00:00:10Z"), 0)
    );
    wait(&first).await;
    tokio::time::advance(secs(25)).await;
    let second = timer.next_fire(Instant::now()).unwrap();
    assert_eq!(second.wall.unwrap(), utc("2026-01-01T00:00:40Z"));
    assert_eq!(second.skipped, 2);
    assert_eq!(second.at - start, secs(40));
}

#[tokio::test(start_paused = true)]
async fn cron_timer_honours_initial_delay_and_run_on_startup() {
    let start = Instant::now();
    let clock = Clock::pinned(utc("2026-01-01T00:00:00Z"));
    let hourly = Schedule::cron("0 * * * *").unwrap().initial_delay(mins(90));

    let mut delayed = Timer::start(hourly.clone(), clock.clone());
    let fire = delayed.next_fire(Instant::now()).unwrap();
    assert_eq!(fire.wall.unwrap(), utc("2026-01-01T02:00:00Z"));
    assert_eq!(fire.at - start, mins(120));

    let mut eager = Timer::start(hourly.run_on_startup(), clock);
    let first = eager.next_fire(Instant::now()).unwrap();
    assert_eq!(first.wall.unwrap(), utc("2026-01-01T01:30:00Z"));
    assert_eq!(first.at - start, mins(90));
    wait(&first).await;
    let second = eager.next_fire(Instant::now()).unwrap();
    assert_eq!(second.wall.unwrap(), utc("2026-01-01T02:00:00Z"));
    assert_eq!(second.at - start, mins(120));
}

#[tokio::test(start_paused = true)]
async fn cron_timer_ends_when_the_expression_never_fires() {
    let mut timer = Timer::start(
        Schedule::cron("0 0 31 2 *").unwrap(),
        Clock::pinned(utc("2026-01-01T00:00:00Z")),
    );
    assert_eq!(timer.next_fire(Instant::now()), None);
}

/// Walks a timer, sleeping to each fire, and returns (wall, offset from start).
async fn walk(timer: &mut Timer, start: Instant, count: usize) -> Vec<(DateTime<Utc>, Duration)> {
    let mut fires = Vec::with_capacity(count);
    for _ in 0..count {
        let fire = timer.next_fire(Instant::now()).unwrap();
        assert_eq!(fire.skipped, 0);
        fires.push((fire.wall.unwrap(), fire.at - start));
        wait(&fire).await;
    }
    fires
}

#[tokio::test(start_paused = true)]
async fn cron_timer_across_spring_forward_in_new_york() {
    let start = Instant::now();
    let schedule = Schedule::cron("*/30 * * * *")
        .unwrap()
        .in_timezone("America/New_York")
        .unwrap();
    // 00:45 EST.
    let mut timer = Timer::start(schedule, Clock::pinned(utc("2026-03-08T05:45:00Z")));
    assert_eq!(
        walk(&mut timer, start, 4).await,
        [
            (utc("2026-03-08T06:00:00Z"), mins(15)),  // 01:00 EST
            (utc("2026-03-08T06:30:00Z"), mins(45)),  // 01:30 EST
            (utc("2026-03-08T07:00:00Z"), mins(75)),  // 03:00 EDT: 02:xx never happens
            (utc("2026-03-08T07:30:00Z"), mins(105)), // 03:30 EDT
        ]
    );

    let start = Instant::now();
    let daily = Schedule::cron("0 30 2 * * *")
        .unwrap()
        .in_timezone("America/New_York")
        .unwrap();
    // 2026-03-07 19:00 EST.
    let mut timer = Timer::start(daily, Clock::pinned(utc("2026-03-08T00:00:00Z")));
    assert_eq!(
        walk(&mut timer, start, 2).await,
        [
            (utc("2026-03-08T07:00:00Z"), mins(7 * 60)), // 02:30 is in the gap: 03:00 EDT
            (utc("2026-03-09T06:30:00Z"), mins(30 * 60 + 30)), // 02:30 EDT
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn cron_timer_across_fall_back_in_new_york() {
    let start = Instant::now();
    let schedule = Schedule::cron("*/30 * * * *")
        .unwrap()
        .in_timezone("America/New_York")
        .unwrap();
    // 00:45 EDT.
    let mut timer = Timer::start(schedule, Clock::pinned(utc("2026-11-01T04:45:00Z")));
    assert_eq!(
        walk(&mut timer, start, 5).await,
        [
            (utc("2026-11-01T05:00:00Z"), mins(15)),  // 01:00 EDT
            (utc("2026-11-01T05:30:00Z"), mins(45)),  // 01:30 EDT
            (utc("2026-11-01T06:00:00Z"), mins(75)),  // 01:00 EST, second pass
            (utc("2026-11-01T06:30:00Z"), mins(105)), // 01:30 EST, second pass
            (utc("2026-11-01T07:00:00Z"), mins(135)), // 02:00 EST
        ]
    );

    let start = Instant::now();
    let daily = Schedule::cron("0 30 1 * * *")
        .unwrap()
        .in_timezone("America/New_York")
        .unwrap();
    let mut timer = Timer::start(daily, Clock::pinned(utc("2026-11-01T04:45:00Z")));
    assert_eq!(
        walk(&mut timer, start, 2).await,
        [
            (utc("2026-11-01T05:30:00Z"), mins(45)), // 01:30 EDT, once
            (utc("2026-11-02T06:30:00Z"), mins(25 * 60 + 45)), // next day, 01:30 EST
        ]
    );
}
