//! The `health-monitor` watching a real HTTP server (`python3 -m http.server`)
//! that a `process` service runs: the server's process is killed, the monitor
//! finds the target unhealthy, restarts the service, and sees it recover.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::json;
use steward::{Event, EventStream, FromEmitted, HostHandle, ServiceHandle, State, Transition};
use steward_builtins::health_monitor::{TargetRecovered, TargetRemedied, TargetUnhealthy};
use steward_builtins::process::{ProcessExited, ProcessStarted};
use tokio::sync::broadcast;

mod common;
use common::{alive, host, until};

/// A loopback port nothing listens on (the server binds it with `SO_REUSEADDR`,
/// so the restarted one gets it back).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `web`, a `process` service serving `dir` on `port` that is never restarted by
/// its own policy, and `monitor`, which checks `/health` every 100 ms and restarts
/// `web` once three checks in a row have failed (and, within the test, only once).
fn server_and_monitor(dir: &Path, port: u16) -> String {
    let command = json!([
        "python3",
        "-m",
        "http.server",
        port.to_string(),
        "--bind",
        "127.0.0.1",
        "--directory",
        dir
    ]);
    format!(
        "[services.web]\nkind = \"process\"\nrestart = {{ policy = \"never\" }}\n\
         settings = {{ command = {command}, stop_timeout = \"5s\" }}\n\n\
         [services.monitor]\nkind = \"health-monitor\"\n\
         settings = {{ interval = \"100ms\", timeout = \"2s\", remedy_backoff = \"60s..120s\", \
         targets = [{{ name = \"web\", http = \"http://127.0.0.1:{port}/health\", failures = 3, successes = 1, remedy = {{ restart = \"web\" }} }}] }}\n"
    )
}

async fn subscribe<E: Event + FromEmitted>(handle: &HostHandle, service: &str) -> EventStream<E> {
    handle.named(service).on::<E>().stream().await.unwrap()
}

/// The next event, within ten seconds.
async fn next<E: FromEmitted>(stream: &mut EventStream<E>) -> E {
    tokio::time::timeout(Duration::from_secs(10), stream.recv())
        .await
        .expect("an event within ten seconds")
        .expect("the host is running")
}

/// The events already waiting in the stream, without waiting for more.
async fn waiting<E: FromEmitted>(stream: &mut EventStream<E>) -> Vec<E> {
    let mut events = Vec::new();
    while let Ok(Some(event)) = tokio::time::timeout(Duration::ZERO, stream.recv()).await {
        events.push(event);
    }
    events
}

/// Waits, up to ten seconds, for `service` to enter `state`; answers why it did.
async fn enters(
    transitions: &mut broadcast::Receiver<Transition>,
    service: &str,
    state: State,
) -> Option<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let transition = tokio::time::timeout_at(deadline, transitions.recv())
            .await
            .unwrap_or_else(|_| panic!("`{service}` is not {state:?} within ten seconds"))
            .expect("transitions are delivered");
        if &*transition.service == service && transition.to == state {
            return transition.reason;
        }
    }
}

/// The monitor's view of `web` (`unknown` before its first check).
fn web_status(monitor: &ServiceHandle) -> String {
    let details = monitor.health().details;
    let status = details
        .get("targets")
        .map(|targets| &targets["web"]["status"]);
    status
        .and_then(|status| status.as_str())
        .unwrap_or("unknown")
        .to_owned()
}

#[tokio::test]
async fn a_killed_http_server_is_found_unhealthy_restarted_by_the_remedy_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("health"), "ok\n").unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/health");
    let host = host(&server_and_monitor(dir.path(), port));
    let handle = host.handle();
    let mut started = subscribe::<ProcessStarted>(&handle, "web").await;
    let running = host.start().await.unwrap();

    // Steady: the server answers the monitor. (A slow first start may already
    // have been remedied once; the server running now is the last one started.)
    let monitor = handle.service("monitor").unwrap();
    until("the monitor finds the server healthy", || {
        web_status(&monitor) == "healthy"
    })
    .await;
    let server = waiting(&mut started)
        .await
        .pop()
        .expect("the server was started")
        .pid;
    let server = i32::try_from(server).unwrap();
    assert!(alive(server));
    let mut unhealthy = subscribe::<TargetUnhealthy>(&handle, "monitor").await;
    let mut remedied = subscribe::<TargetRemedied>(&handle, "monitor").await;
    let mut recovered = subscribe::<TargetRecovered>(&handle, "monitor").await;
    let mut exited = subscribe::<ProcessExited>(&handle, "web").await;
    let mut transitions = handle.transitions();

    kill(Pid::from_raw(server), Signal::SIGKILL).unwrap();

    // The program's death ends the service: its policy does not restart it.
    let exit = next(&mut exited).await;
    assert_eq!(i32::try_from(exit.pid).unwrap(), server);
    assert_eq!(exit.status, "killed by SIGKILL");
    assert!(!exit.stopped);
    let why = enters(&mut transitions, "web", State::Failed).await;
    assert_eq!(why.as_deref(), Some("killed by SIGKILL"));
    until("the killed server is gone", || !alive(server)).await;

    // Three refused checks in a row: unhealthy.
    let event = next(&mut unhealthy).await;
    assert_eq!((event.target.as_str(), event.failures), ("web", 3));
    assert!(
        event.reason.starts_with(&format!("{url} did not answer: ")),
        "{event:?}"
    );

    // The remedy restarts `web`: a new server, on the same port.
    let event = next(&mut remedied).await;
    assert_eq!(
        (
            event.target.as_str(),
            event.remedy.as_str(),
            event.attempt,
            event.error
        ),
        ("web", "restart `web`", 1, None)
    );
    let restarted = i32::try_from(next(&mut started).await.pid).unwrap();
    assert_ne!(restarted, server);
    enters(&mut transitions, "web", State::Running).await;

    // It answers again: recovered, and the service runs the new server.
    let event = next(&mut recovered).await;
    assert_eq!((event.target.as_str(), event.successes), ("web", 1));
    assert_eq!(event.reason, format!("{url} answered 200 OK"));
    let web = handle.service("web").unwrap();
    assert_eq!(web.state(), State::Running);
    assert!(alive(restarted));
    assert_eq!(web_status(&monitor), "healthy");

    // One remedy, one restart.
    assert!(waiting(&mut remedied).await.is_empty());
    assert!(waiting(&mut started).await.is_empty());
    running.shutdown().await;
    until("the restarted server is stopped", || !alive(restarted)).await;
}
