//! Graceful shutdown: reverse start order, stop timeouts, the host's timeout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Log, Probe, Stubborn, secs};
use steward::testing::TestHost;
use steward::{State, continuous};

#[tokio::test(start_paused = true)]
async fn services_stop_in_reverse_dependency_order() {
    let log = Log::default();
    let host = TestHost::builder()
        .service(continuous("db", Probe::new("db", &log)))
        .service(continuous("api", Probe::new("api", &log)).depends_on(["db"]))
        .service(continuous("web", Probe::new("web", &log)).depends_on(["api"]))
        .start()
        .await
        .unwrap();
    host.wait_for("web", State::Running).await.unwrap();

    let report = host.shutdown().await;
    assert_eq!(log.with_prefix("stop:"), ["web", "api", "db"]);
    assert_eq!(report.stopped, ["web", "api", "db"]);
    assert!(report.abandoned.is_empty());
}

#[tokio::test(start_paused = true)]
async fn services_stop_in_reverse_startup_order() {
    let log = Log::default();
    let host = TestHost::builder()
        .service(continuous("late", Probe::new("late", &log)).order(5))
        .service(continuous("early", Probe::new("early", &log)).order(1))
        .service(continuous("middle", Probe::new("middle", &log)).order(3))
        .start()
        .await
        .unwrap();
    for name in ["late", "early", "middle"] {
        host.wait_for(name, State::Running).await.unwrap();
    }
    host.shutdown().await;
    assert_eq!(log.with_prefix("stop:"), ["late", "middle", "early"]);
}

#[tokio::test(start_paused = true)]
async fn a_service_ignoring_cancellation_is_abandoned_after_its_stop_timeout() {
    let log = Log::default();
    let host = TestHost::builder()
        .service(continuous("db", Probe::new("db", &log)))
        .service(
            continuous("stubborn", Stubborn)
                .depends_on(["db"])
                .stop_timeout(secs(3)),
        )
        .start()
        .await
        .unwrap();
    host.wait_for("stubborn", State::Running).await.unwrap();
    let handle = host.handle();
    let began = tokio::time::Instant::now();

    let report = host.shutdown().await;
    assert_eq!(report.abandoned, ["stubborn"]);
    assert_eq!(report.stopped, ["db"]);
    assert_eq!(began.elapsed(), secs(3));
    // The dependency still stopped, after the abandoned dependent.
    assert_eq!(log.with_prefix("stop:"), ["db"]);
    let stubborn = handle.service("stubborn").unwrap().status();
    assert_eq!(stubborn.state, State::Stopped);
    assert_eq!(
        stubborn.reason.as_deref(),
        Some("abandoned after stop timeout")
    );
    assert!(!handle.health().live);
}

#[tokio::test(start_paused = true)]
async fn the_host_shutdown_timeout_bounds_the_whole_shutdown() {
    let host = TestHost::builder()
        .service(continuous("stubborn", Stubborn).stop_timeout(secs(600)))
        .config_toml("[host]\nshutdown_timeout = \"5s\"\n")
        .start()
        .await
        .unwrap();
    host.wait_for("stubborn", State::Running).await.unwrap();
    let handle = host.handle();
    let began = tokio::time::Instant::now();

    let report = host.shutdown().await;
    assert_eq!(began.elapsed(), secs(5));
    assert_eq!(report.abandoned, ["stubborn"]);
    let status = handle.service("stubborn").unwrap().status();
    assert_eq!(
        status.reason.as_deref(),
        Some("abandoned after host shutdown timeout")
    );
}

#[tokio::test(start_paused = true)]
async fn a_stuck_service_does_not_delay_unrelated_ones() {
    let log = Log::default();
    let host = TestHost::builder()
        .service(continuous("stubborn", Stubborn).stop_timeout(secs(10)))
        .service(continuous("other", Probe::new("other", &log)))
        .start()
        .await
        .unwrap();
    host.wait_for("other", State::Running).await.unwrap();
    let handle = host.handle();
    let shutdown = tokio::spawn(host.shutdown());
    handle
        .service("other")
        .unwrap()
        .wait_for(State::Stopped)
        .await;
    assert_eq!(log.with_prefix("stop:"), ["other"]);
    assert_eq!(handle.service("stubborn").unwrap().state(), State::Stopping);
    let report = shutdown.await.unwrap();
    assert_eq!(report.abandoned, ["stubborn"]);
}

#[tokio::test(start_paused = true)]
async fn timeouts_and_delays_too_long_for_the_clock_mean_never_not_a_panic() {
    use std::time::Duration;

    use common::Ticker;
    use steward::{Schedule, periodic};

    let log = Log::default();
    let ticker = Ticker::new(Schedule::every(secs(1)).initial_delay(Duration::MAX));
    let host = TestHost::builder()
        .config_toml("[host]\nshutdown_timeout = \"100y\"\ndrain_timeout = \"100y\"")
        .service(continuous("db", Probe::new("db", &log)).stop_timeout(Duration::MAX))
        .service(periodic("late", ticker.clone()))
        .start()
        .await
        .unwrap();
    host.wait_for("db", State::Running).await.unwrap();
    host.wait_for("late", State::Running).await.unwrap();
    host.advance(secs(3600)).await;
    assert!(
        ticker.offsets().is_empty(),
        "a fire far past the clock's range never comes"
    );

    let report = host.shutdown().await;
    assert_eq!(report.stopped.len(), 2, "{report:?}");
    assert!(report.abandoned.is_empty());
}
