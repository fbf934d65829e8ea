//! Periodic services on a fixed period and on cron, on paused time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::{Ticker, secs};
use steward::testing::TestHost;
use steward::{Outcome, Schedule, State, periodic};

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_fixed_period_ticks_at_exact_multiples() {
    let ticker = Ticker::new(Schedule::every(secs(10)));
    let host = TestHost::builder()
        .service(periodic("beat", ticker.clone()))
        .start()
        .await
        .unwrap();
    host.advance(secs(35)).await;
    assert_eq!(ticker.offsets(), [secs(10), secs(20), secs(30)]);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn initial_delay_and_run_on_startup() {
    let ticker = Ticker::new(
        Schedule::every(secs(10))
            .initial_delay(secs(5))
            .run_on_startup(),
    );
    let host = TestHost::builder()
        .service(periodic("beat", ticker.clone()))
        .start()
        .await
        .unwrap();
    host.advance(secs(26)).await;
    assert_eq!(ticker.offsets(), [secs(5), secs(15), secs(25)]);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_overrunning_tick_skips_the_fires_it_missed() {
    let mut ticker = Ticker::new(Schedule::every(secs(10)));
    ticker.work = secs(25);
    let host = TestHost::builder()
        .service(periodic("slow", ticker.clone()))
        .start()
        .await
        .unwrap();
    host.advance(secs(75)).await;
    // 10 → runs to 35; 20 and 30 are skipped; 40 → 65; 50 and 60 skipped; 70.
    assert_eq!(ticker.offsets(), [secs(10), secs(40), secs(70)]);
    let runs = host
        .handle()
        .service("slow")
        .unwrap()
        .status()
        .runs
        .unwrap();
    assert_eq!(runs.skipped, 4);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn status_shows_last_and_next_run() {
    let mut ticker = Ticker::new(Schedule::every(secs(60)));
    ticker.work = Duration::from_millis(1500);
    ticker.fail_on = vec![2];
    let host = TestHost::builder()
        .service(periodic("report", ticker))
        .start()
        .await
        .unwrap();
    let start = host.started_at();
    host.advance(secs(62)).await;
    let status = host.handle().service("report").unwrap().status();
    assert_eq!(status.schedule.as_deref(), Some("every 1m"));
    let runs = status.runs.unwrap();
    assert_eq!(runs.last_run, Some(start + chrono::Duration::seconds(60)));
    assert_eq!(runs.next_run, Some(start + chrono::Duration::seconds(120)));
    assert_eq!(runs.last_duration, Some(Duration::from_millis(1500)));
    assert_eq!(runs.last_outcome, Some(Outcome::Success));
    assert_eq!((runs.succeeded, runs.failed), (1, 0));

    host.advance(secs(60)).await;
    let runs = host
        .handle()
        .service("report")
        .unwrap()
        .status()
        .runs
        .unwrap();
    assert_eq!(runs.last_outcome, Some(Outcome::Failure));
    assert_eq!(runs.last_error.as_deref(), Some("tick 2 failed"));
    assert_eq!((runs.succeeded, runs.failed), (1, 1));
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn config_replaces_the_schedule() {
    let ticker = Ticker::new(Schedule::every(secs(3600)));
    let host = TestHost::builder()
        .service(periodic("beat", ticker.clone()))
        .config_toml("[services.beat]\ninterval = \"5s\"\nrun_on_startup = true\n")
        .start()
        .await
        .unwrap();
    host.advance(secs(11)).await;
    assert_eq!(ticker.offsets(), [secs(0), secs(5), secs(10)]);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn cron_fires_on_wall_clock_instants() {
    let ticker = Ticker::new(Schedule::cron("*/15 * * * *").unwrap());
    let host = TestHost::builder()
        .wall_clock(utc("2026-05-01T10:07:30Z"))
        .service(periodic("quarterly", ticker.clone()))
        .start()
        .await
        .unwrap();
    host.advance(secs(40 * 60)).await;
    assert_eq!(
        ticker.walls(),
        [
            utc("2026-05-01T10:15:00Z"),
            utc("2026-05-01T10:30:00Z"),
            utc("2026-05-01T10:45:00Z"),
        ]
    );
    assert_eq!(ticker.offsets()[0], Duration::from_secs(7 * 60 + 30));
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn cron_with_seconds() {
    let ticker = Ticker::new(Schedule::cron("*/20 * * * * *").unwrap());
    let host = TestHost::builder()
        .wall_clock(utc("2026-05-01T10:00:05Z"))
        .service(periodic("fast", ticker.clone()))
        .start()
        .await
        .unwrap();
    host.advance(secs(60)).await;
    assert_eq!(
        ticker.walls(),
        [
            utc("2026-05-01T10:00:20Z"),
            utc("2026-05-01T10:00:40Z"),
            utc("2026-05-01T10:01:00Z"),
        ]
    );
    host.shutdown().await;
}

/// New York springs forward on 2026-03-08: 02:00 EST becomes 03:00 EDT. A daily
/// 03:00 job fires at 08:00 UTC before the change and 07:00 UTC after it.
#[tokio::test(start_paused = true)]
async fn a_daily_cron_follows_local_time_across_spring_forward() {
    let ticker = Ticker::new(
        Schedule::cron("0 3 * * *")
            .unwrap()
            .in_timezone("America/New_York")
            .unwrap(),
    );
    let host = TestHost::builder()
        .wall_clock(utc("2026-03-06T12:00:00Z"))
        .service(periodic("nightly", ticker.clone()))
        .start()
        .await
        .unwrap();
    host.advance(secs(4 * 24 * 3600)).await;
    assert_eq!(
        ticker.walls(),
        [
            utc("2026-03-07T08:00:00Z"),
            utc("2026-03-08T07:00:00Z"),
            utc("2026-03-09T07:00:00Z"),
            utc("2026-03-10T07:00:00Z"),
        ]
    );
    host.shutdown().await;
}

/// 02:30 does not exist on 2026-03-08 in New York; the job runs once that day,
/// right after the gap (03:00 EDT = 07:00 UTC), and at 02:30 local on other days.
#[tokio::test(start_paused = true)]
async fn a_cron_time_inside_the_dst_gap_runs_once_after_it() {
    let ticker = Ticker::new(
        Schedule::cron("30 2 * * *")
            .unwrap()
            .in_timezone("America/New_York")
            .unwrap(),
    );
    let host = TestHost::builder()
        .wall_clock(utc("2026-03-07T00:00:00Z"))
        .service(periodic("gap", ticker.clone()))
        .start()
        .await
        .unwrap();
    host.advance(secs(3 * 24 * 3600)).await;
    assert_eq!(
        ticker.walls(),
        [
            utc("2026-03-07T07:30:00Z"),
            utc("2026-03-08T07:00:00Z"),
            utc("2026-03-09T06:30:00Z"),
        ]
    );
    host.shutdown().await;
}

/// On 2026-11-01 New York falls back: 01:30 happens twice. A daily 01:30 job runs
/// once, at the first 01:30 (EDT, 05:30 UTC).
#[tokio::test(start_paused = true)]
async fn a_cron_time_in_the_repeated_hour_runs_once() {
    let ticker = Ticker::new(
        Schedule::cron("30 1 * * *")
            .unwrap()
            .in_timezone("America/New_York")
            .unwrap(),
    );
    let host = TestHost::builder()
        .wall_clock(utc("2026-10-31T00:00:00Z"))
        .service(periodic("fallback", ticker.clone()))
        .start()
        .await
        .unwrap();
    host.advance(secs(3 * 24 * 3600)).await;
    assert_eq!(
        ticker.walls(),
        [
            utc("2026-10-31T05:30:00Z"),
            utc("2026-11-01T05:30:00Z"),
            utc("2026-11-02T06:30:00Z"),
        ]
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn stopping_cancels_a_tick_in_progress() {
    struct Long;
    impl steward::Periodic for Long {
        fn schedule(&self) -> Schedule {
            Schedule::every(secs(10)).run_on_startup()
        }
        async fn tick(&self, cx: &steward::Context) -> steward::Result {
            cx.run_until_cancelled(tokio::time::sleep(secs(3600))).await;
            Ok(())
        }
    }
    let host = TestHost::builder()
        .service(periodic("long", Long))
        .start()
        .await
        .unwrap();
    host.advance(secs(1)).await;
    let began = tokio::time::Instant::now();
    let report = host.shutdown().await;
    assert_eq!(began.elapsed(), Duration::ZERO);
    assert_eq!(report.stopped, ["long"]);
}

#[tokio::test(start_paused = true)]
async fn a_panicking_tick_is_recorded_and_the_schedule_goes_on() {
    struct Panics;
    impl steward::Periodic for Panics {
        fn schedule(&self) -> Schedule {
            Schedule::every(secs(10))
        }
        async fn tick(&self, _cx: &steward::Context) -> steward::Result {
            panic!("index out of bounds");
        }
    }
    let host = TestHost::builder()
        .service(periodic("panics", Panics))
        .start()
        .await
        .unwrap();
    host.advance(secs(31)).await;
    let status = host.handle().service("panics").unwrap().status();
    assert_eq!(status.state, State::Running);
    let runs = status.runs.unwrap();
    assert_eq!(runs.failed, 3);
    assert_eq!(
        runs.last_error.as_deref(),
        Some("panicked: index out of bounds")
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_stop_during_a_tick_that_ignores_it_ends_the_loop_after_the_tick() {
    let mut ticker = Ticker::new(Schedule::every(secs(10)).run_on_startup());
    ticker.work = secs(5);
    let host = TestHost::builder()
        .service(periodic("slow", ticker.clone()).stop_timeout(secs(60)))
        .start()
        .await
        .unwrap();
    host.advance(secs(12)).await; // second tick runs from 10 s to 15 s
    let began = tokio::time::Instant::now();
    let report = host.shutdown().await;
    assert_eq!(began.elapsed(), secs(3), "waits for the tick, no longer");
    assert_eq!(report.stopped, ["slow"]);
    assert_eq!(ticker.offsets(), [secs(0), secs(10)]);
}

#[tokio::test(start_paused = true)]
async fn an_on_demand_schedule_ticks_only_when_triggered() {
    let ticker = Ticker::new(Schedule::on_demand());
    let eager = Ticker::new(Schedule::on_demand().run_on_startup());
    let host = TestHost::builder()
        .service(periodic("ticker", ticker.clone()))
        .service(periodic("eager", eager.clone()))
        .start()
        .await
        .unwrap();
    tokio::time::sleep(secs(24 * 3600)).await;
    assert!(ticker.offsets().is_empty(), "nothing in a day");
    assert_eq!(eager.offsets(), [secs(0)], "once at start, then nothing");
    let status = host.handle().service("ticker").unwrap().status();
    assert_eq!(status.schedule.as_deref(), Some("on demand"));
    host.handle().named("ticker").trigger().await.unwrap();
    assert_eq!(ticker.offsets(), [secs(24 * 3600)]);
    host.shutdown().await;
}
