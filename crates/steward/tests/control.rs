//! Starting, stopping and restarting one service while the host runs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::Ordering;

use common::{Log, Probe, Step, secs};
use steward::testing::TestHost;
use steward::{ControlError, State, continuous, startup};

#[tokio::test(start_paused = true)]
async fn stop_and_start_twice_are_harmless() {
    let log = Log::default();
    let probe = Probe::new("worker", &log);
    let runs = probe.runs.clone();
    let host = TestHost::builder()
        .service(continuous("worker", probe))
        .start()
        .await
        .unwrap();
    let worker = host.handle().service("worker").unwrap();
    worker.wait_for(State::Running).await;

    worker.stop().await.unwrap();
    worker.stop().await.unwrap();
    assert_eq!(worker.state(), State::Stopped);
    assert_eq!(log.with_prefix("stop:"), ["worker"]);

    worker.start().await.unwrap();
    worker.start().await.unwrap();
    worker.wait_for(State::Running).await;
    host.advance(secs(1)).await;
    assert_eq!(
        runs.load(Ordering::SeqCst),
        2,
        "one run per start, not per call"
    );
    assert_eq!(
        host.states("worker"),
        [
            State::Starting,
            State::Running,
            State::Stopping,
            State::Stopped,
            State::Pending,
            State::Starting,
            State::Running,
        ]
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn restart_stops_then_starts_again() {
    let log = Log::default();
    let probe = Probe::new("worker", &log);
    let runs = probe.runs.clone();
    let host = TestHost::builder()
        .service(continuous("worker", probe))
        .start()
        .await
        .unwrap();
    let worker = host.handle().service("worker").unwrap();
    worker.wait_for(State::Running).await;
    worker.restart().await.unwrap();
    worker.wait_for(State::Running).await;
    host.advance(secs(1)).await;
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert_eq!(
        log.entries(),
        ["start:worker", "stop:worker", "start:worker"]
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn control_refuses_what_cannot_be_controlled() {
    let log = Log::default();
    let host = TestHost::builder()
        .service(startup("migrate", Step::ok("migrate", &log)))
        .service(continuous("off", Probe::new("off", &log)).disabled())
        .start()
        .await
        .unwrap();
    let handle = host.handle();
    assert_eq!(
        handle.service("nope").err(),
        Some(ControlError::UnknownService("nope".into()))
    );
    let migrate = handle.service("migrate").unwrap();
    assert_eq!(
        migrate.start().await,
        Err(ControlError::StartupService("migrate".into()))
    );
    let off = handle.service("off").unwrap();
    assert_eq!(off.start().await, Err(ControlError::Disabled("off".into())));
    assert_eq!(off.state(), State::Disabled);
    host.shutdown().await;
    assert!(log.entries().iter().all(|entry| !entry.ends_with(":off")));
}

#[tokio::test(start_paused = true)]
async fn a_service_stopped_by_hand_is_not_stopped_again_at_shutdown() {
    let log = Log::default();
    let host = TestHost::builder()
        .service(continuous("worker", Probe::new("worker", &log)))
        .start()
        .await
        .unwrap();
    let worker = host.handle().service("worker").unwrap();
    worker.wait_for(State::Running).await;
    worker.stop().await.unwrap();
    let report = host.shutdown().await;
    assert!(report.stopped.is_empty());
    assert_eq!(log.with_prefix("stop:"), ["worker"]);
}

#[tokio::test(start_paused = true)]
async fn started_tells_whether_start_up_succeeded() {
    let log = Log::default();
    let (host, _) = TestHost::builder()
        .service(startup("warm-up", Step::ok("warm-up", &log).slow(secs(5))))
        .service(continuous("worker", Probe::new("worker", &log)))
        .build()
        .unwrap();
    let handle = host.handle();
    let started = tokio::spawn(async move { handle.started().await });
    let running = host.start().await.unwrap();
    assert!(started.await.unwrap(), "start-up finished");

    let (failing, _) = TestHost::builder()
        .service(startup("migrate", Step::failing("migrate", &log)))
        .build()
        .unwrap();
    let handle = failing.handle();
    assert!(failing.start().await.is_err());
    assert!(!handle.started().await, "start-up failed");
    running.shutdown().await;
}
