//! The `health-monitor` built-in against real targets: an HTTP server that goes
//! down and comes back, a TCP port, programs, and a `process` service it restarts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde_json::json;
use steward::{Emitted, EventStream, HealthStatus, HostHandle, State};
use steward_builtins::health_monitor::{TargetRecovered, TargetRemedied, TargetUnhealthy};
use steward_builtins::process::ProcessStarted;
use tokio::net::TcpListener;

mod common;
use common::http::Server;
use common::{alive, host, pid_in, until};

/// A TCP listener that accepts and drops connections, until it is dropped.
async fn tcp_listener(address: &str) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind(address).await.unwrap();
    let address = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            drop(socket);
        }
    });
    (address, task)
}

/// A `health-monitor` service called `monitor` with these targets, checking
/// every 20 ms.
fn monitor(targets: &str, extra: &str) -> String {
    format!(
        "[services.monitor]\nkind = \"health-monitor\"\nsettings = {{ interval = \"20ms\", timeout = \"2s\", {extra} targets = [{targets}] }}\n"
    )
}

async fn events<E: steward::Event>(handle: &HostHandle) -> EventStream<E> {
    handle.named("monitor").on::<E>().stream().await.unwrap()
}

/// Waits up to ten seconds for the next event.
async fn next<E>(stream: &mut EventStream<E>) -> E
where
    E: steward::FromEmitted,
{
    tokio::time::timeout(Duration::from_secs(10), stream.recv())
        .await
        .expect("an event within ten seconds")
        .expect("the host is running")
}

async fn monitor_health_becomes(handle: &HostHandle, status: HealthStatus, message: &str) {
    let service = handle.service("monitor").unwrap();
    until(
        &format!("the monitor is {status:?} with `{message}`"),
        || {
            let health = service.health();
            health.status == status && health.message.as_deref().unwrap_or("").contains(message)
        },
    )
    .await;
}

#[tokio::test]
async fn an_http_target_is_unhealthy_after_n_failures_and_recovered_after_m_successes() {
    let server = Server::start(200, "ok").await;
    let (steady, _accepting) = tcp_listener("127.0.0.1:0").await;
    let targets = format!(
        "{{ name = \"api\", http = \"{}\", failures = 3, successes = 2 }}, {{ name = \"steady\", tcp = \"{steady}\" }}",
        server.url
    );
    let host = host(&monitor(&targets, ""));
    let handle = host.handle();
    let mut unhealthy = events::<TargetUnhealthy>(&handle).await;
    let mut recovered = events::<TargetRecovered>(&handle).await;
    let running = host.start().await.unwrap();
    until("the api is checked", || server.served(200) >= 1).await;
    monitor_health_becomes(&handle, HealthStatus::Healthy, "").await;

    // It goes down: unhealthy once three checks in a row have failed.
    server.answer(503, "down");
    let event = next(&mut unhealthy).await;
    assert_eq!(event.target, "api");
    assert_eq!(event.failures, 3);
    assert!(
        event
            .reason
            .ends_with("/health answered 503 Service Unavailable"),
        "{event:?}"
    );
    assert!(server.served(503) >= 3);
    monitor_health_becomes(
        &handle,
        HealthStatus::Degraded,
        "1 of 2 targets unhealthy: api (",
    )
    .await;
    let details = handle.service("monitor").unwrap().health().details;
    assert_eq!(details["targets"]["api"]["status"], "unhealthy");
    assert_eq!(details["targets"]["steady"]["status"], "healthy");
    assert!(details["targets"]["api"]["failures"].as_u64().unwrap() >= 3);

    // It comes back: recovered once two checks in a row have passed.
    server.answer(200, "ok");
    let event = next(&mut recovered).await;
    assert_eq!(event.target, "api");
    assert_eq!(event.successes, 2);
    assert!(
        event.reason.ends_with("/health answered 200 OK"),
        "{event:?}"
    );
    assert!(server.served_since_other(200) >= 2);
    monitor_health_becomes(&handle, HealthStatus::Healthy, "").await;
    running.shutdown().await;
}

#[tokio::test]
async fn an_http_body_must_hold_the_expected_text() {
    let server = Server::start(200, "{\"status\": \"starting\"}").await;
    let target = format!(
        "{{ name = \"model\", http = \"{}\", body = \"ready\", failures = 1 }}",
        server.url
    );
    let host = host(&monitor(&target, ""));
    let handle = host.handle();
    let mut unhealthy = events::<TargetUnhealthy>(&handle).await;
    let mut recovered = events::<TargetRecovered>(&handle).await;
    let running = host.start().await.unwrap();

    let event = next(&mut unhealthy).await;
    assert!(
        event
            .reason
            .ends_with("answered 200 OK without `ready` in its body"),
        "{event:?}"
    );
    // The only target is down: the monitor is unhealthy.
    monitor_health_becomes(&handle, HealthStatus::Unhealthy, "target model (").await;
    server.answer(200, "{\"status\": \"ready\"}");
    let event = next(&mut recovered).await;
    assert!(
        event.reason.ends_with("answered 200 OK with `ready`"),
        "{event:?}"
    );
    running.shutdown().await;
}

#[tokio::test]
async fn a_tcp_target_follows_whether_its_port_accepts() {
    let (address, accepting) = tcp_listener("127.0.0.1:0").await;
    let target = format!("{{ name = \"db\", tcp = \"{address}\", failures = 2 }}");
    let host = host(&monitor(&target, ""));
    let handle = host.handle();
    let mut unhealthy = events::<TargetUnhealthy>(&handle).await;
    let mut recovered = events::<TargetRecovered>(&handle).await;
    let running = host.start().await.unwrap();
    monitor_health_becomes(&handle, HealthStatus::Healthy, "").await;

    accepting.abort();
    let event = next(&mut unhealthy).await;
    assert_eq!((event.target.as_str(), event.failures), ("db", 2));
    assert!(
        event.reason.starts_with(&format!("{address} refused: ")),
        "{event:?}"
    );

    // Listening again on the same port.
    let (_, _accepting) = tcp_listener(&address.to_string()).await;
    let event = next(&mut recovered).await;
    assert_eq!(event.reason, format!("{address} accepted a connection"));
    running.shutdown().await;
}

#[tokio::test]
async fn a_command_target_passes_on_exit_code_zero() {
    let dir = tempfile::tempdir().unwrap();
    let flag = dir.path().join("up");
    let command = json!([
        "sh",
        "-c",
        format!("test -e {} || {{ echo down >&2; exit 4; }}", flag.display())
    ]);
    let target = format!("{{ name = \"flag\", command = {command}, failures = 1 }}");
    let host = host(&monitor(&target, ""));
    let handle = host.handle();
    let mut unhealthy = events::<TargetUnhealthy>(&handle).await;
    let mut recovered = events::<TargetRecovered>(&handle).await;
    let running = host.start().await.unwrap();

    let event = next(&mut unhealthy).await;
    assert!(
        event.reason.ends_with("exited with code 4: down"),
        "{event:?}"
    );
    std::fs::write(&flag, "").unwrap();
    let event = next(&mut recovered).await;
    assert!(event.reason.ends_with("exited with code 0"), "{event:?}");
    running.shutdown().await;
}

#[tokio::test]
async fn a_command_that_overruns_the_timeout_fails_and_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("check.pid");
    let script = format!("echo $$ > {}; exec sleep 30", pid_file.display());
    let command = json!(["sh", "-c", script]);
    let toml = format!(
        "[services.monitor]\nkind = \"health-monitor\"\nsettings = {{ interval = \"1h\", timeout = \"100ms\", targets = [{{ name = \"slow\", command = {command}, failures = 1 }}] }}\n"
    );
    let host = host(&toml);
    let handle = host.handle();
    let mut unhealthy = events::<TargetUnhealthy>(&handle).await;
    let running = host.start().await.unwrap();
    let event = next(&mut unhealthy).await;
    assert!(
        event
            .reason
            .ends_with("did not finish within 100ms; it was killed"),
        "{event:?}"
    );
    let pid = pid_in(&pid_file).await;
    until("the check's program is gone", || !alive(pid)).await;
    running.shutdown().await;
}

/// A `process` service `app` running `sleep 300`, and a monitor whose target is
/// healthy while `flag` exists and whose remedy restarts `app`.
fn app_and_watchdog(flag: &Path) -> String {
    let check = json!(["test", "-e", flag]);
    format!(
        "[services.app]\nkind = \"process\"\nsettings = {{ command = [\"sleep\", \"300\"], stop_timeout = \"5s\" }}\n\n{}",
        monitor(
            &format!(
                "{{ name = \"app\", command = {check}, failures = 2, remedy = {{ restart = \"app\" }} }}"
            ),
            "remedy_backoff = \"200ms..10s\","
        )
    )
}

fn seconds_between(earlier: &Emitted, later: &Emitted) -> f64 {
    (later.at() - earlier.at()).as_seconds_f64()
}

#[tokio::test]
async fn a_restart_remedy_restarts_a_real_process_with_backoff_while_unhealthy() {
    let dir = tempfile::tempdir().unwrap();
    let flag = dir.path().join("up");
    let host = host(&app_and_watchdog(&flag));
    let handle = host.handle();
    let mut started = handle
        .named("app")
        .on::<ProcessStarted>()
        .stream()
        .await
        .unwrap();
    let mut unhealthy = handle
        .named("monitor")
        .on_named("target.unhealthy")
        .stream()
        .await
        .unwrap();
    let mut remedied = handle
        .named("monitor")
        .on_named("target.remedied")
        .stream()
        .await
        .unwrap();
    let mut recovered = events::<TargetRecovered>(&handle).await;
    let running = host.start().await.unwrap();
    let first = next(&mut started).await.pid;

    // Unhealthy from the start: the first remedy restarts the program.
    let became_unhealthy = next(&mut unhealthy).await;
    let remedy = next(&mut remedied).await;
    let event: TargetRemedied = serde_json::from_value(remedy.json().clone()).unwrap();
    assert_eq!(
        (
            event.target.as_str(),
            event.remedy.as_str(),
            event.attempt,
            event.error.as_deref()
        ),
        ("app", "restart `app`", 1, None)
    );
    let second = next(&mut started).await.pid;
    assert_ne!(second, first);
    assert!(!alive(i32::try_from(first).unwrap()));

    // Still unhealthy: again after the backoff's 200 ms, then after 400 ms more.
    let again = next(&mut remedied).await;
    assert_eq!(again.json()["attempt"], 2);
    // The backoff counts from each remedy's start, after the event that led to it;
    // a remedy may run a tenth of an interval (2 ms) early.
    assert!(seconds_between(&became_unhealthy, &again) >= 0.19);
    let third = next(&mut started).await.pid;
    assert_ne!(third, second);
    let once_more = next(&mut remedied).await;
    assert_eq!(once_more.json()["attempt"], 3);
    assert!(seconds_between(&became_unhealthy, &once_more) >= 0.59);

    std::fs::write(&flag, "").unwrap();
    let event = next(&mut recovered).await;
    assert_eq!(event.target, "app");
    assert_eq!(handle.service("app").unwrap().state(), State::Running);
    running.shutdown().await;
}

#[tokio::test]
async fn a_command_remedy_runs_until_the_target_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let flag = dir.path().join("up");
    let check = json!(["test", "-e", flag]);
    let fix = json!(["touch", flag]);
    let target = format!(
        "{{ name = \"flag\", command = {check}, failures = 2, remedy = {{ command = {fix}, timeout = \"5s\" }} }}"
    );
    let host = host(&monitor(&target, ""));
    let handle = host.handle();
    let mut remedied = events::<TargetRemedied>(&handle).await;
    let mut recovered = events::<TargetRecovered>(&handle).await;
    let running = host.start().await.unwrap();
    let event = next(&mut remedied).await;
    assert_eq!(event.remedy, format!("run `touch {}`", flag.display()));
    assert_eq!(event.error, None);
    let event = next(&mut recovered).await;
    assert_eq!(event.target, "flag");
    assert!(flag.exists());
    running.shutdown().await;
}

/// Why a monitor whose one target has this remedy failed to start.
async fn start_error(remedy: &str) -> String {
    let target = format!("{{ name = \"api\", tcp = \"127.0.0.1:9\", remedy = {remedy} }}");
    let toml = monitor(&target, "").replace(
        "kind = \"health-monitor\"\n",
        "kind = \"health-monitor\"\nrestart = { policy = \"never\" }\n",
    );
    let host = host(&toml);
    let handle = host.handle();
    let running = host.start().await.unwrap();
    let service = handle.service("monitor").unwrap();
    tokio::time::timeout(Duration::from_secs(10), service.wait_for(State::Failed))
        .await
        .expect("the monitor fails to start");
    running.shutdown().await;
    service.status().last_error.unwrap()
}

#[tokio::test]
async fn a_remedy_naming_no_service_or_the_monitor_fails_the_start() {
    assert_eq!(
        start_error("{ restart = \"ghost\" }").await,
        "target `api`: `remedy = { restart = \"ghost\" }` names no service of this host"
    );
    assert_eq!(
        start_error("{ restart = \"monitor\" }").await,
        "target `api`: a remedy cannot restart the monitor itself (`monitor`)"
    );
}
