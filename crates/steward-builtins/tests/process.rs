//! The `process` built-in against real programs: `sh`, `sleep`, real signals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::json;

mod common;
use common::{alive, host, pid_in, shell, until};
use steward::{EventStream, HostHandle, RunningHost, State};
use steward_builtins::process::{ProcessExited, ProcessStarted};

async fn exits(handle: &HostHandle, name: &str) -> EventStream<ProcessExited> {
    handle
        .named(name)
        .on::<ProcessExited>()
        .stream()
        .await
        .unwrap()
}

async fn stop(running: RunningHost) {
    let report = running.shutdown().await;
    assert!(report.abandoned.is_empty(), "{report:?}");
}

#[tokio::test]
async fn runs_the_command_in_its_directory_with_its_environment() {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "[services.worker]\nkind = \"process\"\nsettings = {{ command = [\"sh\", \"-c\", \"echo $MODEL $(pwd) > seen.txt; exec sleep 60\"], cwd = {cwd}, env = {{ MODEL = \"yolo\" }} }}\n",
        cwd = json!(dir.path()),
    );
    let host = host(&toml);
    let handle = host.handle();
    let mut started = handle
        .named("worker")
        .on::<ProcessStarted>()
        .stream()
        .await
        .unwrap();
    let running = host.start().await.unwrap();
    let event = started.recv().await.unwrap();
    assert!(event.command.starts_with("sh -c echo"), "{event:?}");

    let seen = dir.path().join("seen.txt");
    until("the program writes seen.txt", || {
        std::fs::read_to_string(&seen).is_ok_and(|text| text.ends_with('\n'))
    })
    .await;
    let expected = format!("yolo {}\n", dir.path().canonicalize().unwrap().display());
    assert_eq!(std::fs::read_to_string(&seen).unwrap(), expected);
    let status = handle.service("worker").unwrap().status();
    assert_eq!(status.state, State::Running);
    assert_eq!(status.builtin, Some("process"));

    let mut exits = exits(&handle, "worker").await;
    stop(running).await;
    let exit = exits.recv().await.unwrap();
    assert_eq!(exit.pid, event.pid);
    assert!(exit.stopped);
    assert_eq!(exit.status, "killed by SIGTERM");
    assert!(!alive(i32::try_from(event.pid).unwrap()));
}

#[tokio::test]
async fn a_stop_kills_the_whole_group_including_grandchildren() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("grandchild.pid");
    let script = format!("sleep 60 & echo $! > {}; wait", pid_file.display());
    let running = host(&shell("parent", &script, "")).start().await.unwrap();
    let grandchild = pid_in(&pid_file).await;
    assert!(alive(grandchild));

    stop(running).await;
    until("the grandchild is gone", || !alive(grandchild)).await;
}

#[tokio::test]
async fn a_program_that_exits_leaves_no_children_behind() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("grandchild.pid");
    let script = format!("sleep 60 & echo $! > {}; exit 0", pid_file.display());
    let host = host(&shell(
        "leaver",
        &script,
        "restart = { policy = \"never\" }",
    ));
    let handle = host.handle();
    let running = host.start().await.unwrap();
    let service = handle.service("leaver").unwrap();
    tokio::time::timeout(Duration::from_secs(10), service.wait_for(State::Stopped))
        .await
        .expect("the program's exit ends the service");
    let grandchild = pid_in(&pid_file).await;
    until("the grandchild is gone", || !alive(grandchild)).await;
    assert_eq!(service.status().reason.as_deref(), Some("completed"));
    stop(running).await;
}

#[tokio::test]
async fn a_program_ignoring_the_stop_signal_is_killed_after_the_stop_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    let script = format!(
        "trap '' TERM; touch {}; while :; do sleep 0.05; done",
        ready.display()
    );
    let command = json!(["sh", "-c", script]);
    let toml = format!(
        "[services.stubborn]\nkind = \"process\"\nsettings = {{ command = {command}, stop_signal = \"TERM\", stop_timeout = \"300ms\" }}\n"
    );
    let host = host(&toml);
    let handle = host.handle();
    let running = host.start().await.unwrap();
    until("the program ignores SIGTERM", || ready.exists()).await;

    let mut exits = exits(&handle, "stubborn").await;
    let report = running.shutdown().await;
    let exit = exits.recv().await.unwrap();
    assert_eq!(exit.status, "killed by SIGKILL");
    assert!(exit.stopped);
    assert!(report.elapsed >= Duration::from_millis(300), "{report:?}");
    assert_eq!(
        report.stopped,
        ["stubborn"],
        "stopped, not abandoned: {report:?}"
    );
}

#[tokio::test]
async fn a_crashing_program_restarts_with_backoff_then_fails() {
    let restart = "restart = { policy = \"on-failure\", max_restarts = 2, window = \"1m\", backoff = \"20ms..40ms\" }";
    let host = host(&shell("crasher", "echo boom >&2; exit 3", restart));
    let handle = host.handle();
    let mut starts = handle
        .named("crasher")
        .on::<ProcessStarted>()
        .stream()
        .await
        .unwrap();
    let mut transitions = handle.transitions();
    let running = host.start().await.unwrap();
    let service = handle.service("crasher").unwrap();
    tokio::time::timeout(Duration::from_secs(10), service.wait_for(State::Failed))
        .await
        .expect("the service gives up");

    let status = service.status();
    assert_eq!(status.restarts, 2);
    assert_eq!(status.last_error.as_deref(), Some("exited with code 3"));
    assert!(
        status
            .reason
            .as_deref()
            .unwrap()
            .starts_with("restart intensity exceeded"),
        "{status:?}"
    );
    // One start and two restarts, each a program of its own.
    let mut pids = Vec::new();
    for _ in 0..3 {
        pids.push(starts.recv().await.unwrap().pid);
    }
    pids.dedup();
    assert_eq!(pids.len(), 3, "{pids:?}");
    let mut backed_off = 0;
    while let Ok(transition) = transitions.try_recv() {
        if transition.to == State::BackingOff {
            backed_off += 1;
        }
    }
    assert_eq!(backed_off, 2);
    stop(running).await;
}

#[tokio::test]
async fn a_program_that_cannot_start_fails_with_the_reason() {
    let toml = "[services.ghost]\nkind = \"process\"\nrestart = { policy = \"never\" }\nsettings = { command = [\"/nonexistent/program\"] }\n";
    let host = host(toml);
    let handle = host.handle();
    let running = host.start().await.unwrap();
    let service = handle.service("ghost").unwrap();
    tokio::time::timeout(Duration::from_secs(10), service.wait_for(State::Failed))
        .await
        .expect("the service fails");
    let error = service.status().last_error.unwrap();
    assert!(
        error.starts_with("cannot start `/nonexistent/program`: No such file or directory"),
        "{error}"
    );
    stop(running).await;
}
