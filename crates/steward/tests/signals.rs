//! Real termination signals: the first starts a graceful shutdown, a second forces
//! the exit. Signals go to this test process, so these tests live in their own file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Log, Probe, Stubborn, secs};
use nix::sys::signal::{Signal, raise};
use steward::{Host, HostError, State, continuous};

fn send(signal: Signal) {
    raise(signal).unwrap();
}

#[tokio::test]
async fn termination_signals_drive_shutdown() {
    // One test so the two scenarios do not send signals into each other.
    sigterm_stops_gracefully().await;
    a_second_signal_forces_the_exit().await;
}

async fn sigterm_stops_gracefully() {
    let log = Log::default();
    let host = Host::builder()
        .env_prefix(None)
        .service(continuous("db", Probe::new("db", &log)))
        .service(continuous("api", Probe::new("api", &log)).depends_on(["db"]))
        .build()
        .unwrap();
    let handle = host.handle();
    let run = tokio::spawn(host.run());
    handle
        .service("api")
        .unwrap()
        .wait_for(State::Running)
        .await;

    send(Signal::SIGTERM);
    let report = tokio::time::timeout(secs(30), run)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(report.stopped, ["api", "db"]);
    assert_eq!(log.with_prefix("stop:"), ["api", "db"]);
    assert!(!handle.health().live);
}

async fn a_second_signal_forces_the_exit() {
    let host = Host::builder()
        .env_prefix(None)
        .service(continuous("stubborn", Stubborn).stop_timeout(secs(3600)))
        .build()
        .unwrap();
    let handle = host.handle();
    let run = tokio::spawn(host.run());
    let stubborn = handle.service("stubborn").unwrap();
    stubborn.wait_for(State::Running).await;

    send(Signal::SIGINT);
    stubborn.wait_for(State::Stopping).await;
    send(Signal::SIGINT);
    let result = tokio::time::timeout(secs(30), run).await.unwrap().unwrap();
    assert!(matches!(result, Err(HostError::Forced(1))), "{result:?}");
}
