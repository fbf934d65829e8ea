//! An `exec` run on request through the `trigger` command (as `steward ctl
//! trigger` and `POST /api/services/{name}/trigger` send it), and its runs in
//! the host's `/metrics`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::{Value, json};
use steward::{EventStream, HostHandle, State};
use steward_builtins::exec::{Cause, ExecCompleted};

mod common;
use common::{host, table};

/// Exits with the code it reads on stdin (0 when there is none), after
/// sleeping past its timeout when that code is 9.
const BY_STDIN: &str = r#"{ command = ["sh", "-c", "read code; [ \"$code\" = 9 ] && sleep 30; echo \"code ${code:-none}\"; exit ${code:-0}"], timeout = "500ms" }"#;

async fn runs(handle: &HostHandle, service: &str) -> EventStream<ExecCompleted> {
    handle
        .named(service)
        .on::<ExecCompleted>()
        .stream()
        .await
        .unwrap()
}

/// Waits, up to ten seconds, until every service named is running.
async fn running(handle: &HostHandle, names: &[&str]) {
    for name in names {
        let service = handle.service(name).unwrap();
        tokio::time::timeout(Duration::from_secs(10), service.wait_for(State::Running))
            .await
            .expect("the service runs");
    }
}

async fn next(runs: &mut EventStream<ExecCompleted>) -> ExecCompleted {
    tokio::time::timeout(Duration::from_secs(10), runs.recv())
        .await
        .expect("a run completes")
        .expect("the host is up")
}

/// The value of the sample `name{labels}` in the host's metrics.
fn sample(handle: &HostHandle, series: &str) -> f64 {
    let text = handle.metrics().encode();
    let prefix = format!("{series} ");
    let line = text
        .lines()
        .find(|line| line.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no `{series}` in:\n{text}"));
    line[prefix.len()..].parse().unwrap()
}

fn runs_total(handle: &HostHandle, service: &str, outcome: &str) -> f64 {
    let series = format!("steward_exec_runs_total{{service=\"{service}\",outcome=\"{outcome}\"}}");
    sample(handle, &series)
}

#[tokio::test]
async fn trigger_runs_the_command_once_with_nothing_on_stdin() {
    // Neither `on` nor a schedule: it runs only when asked.
    let host = host(&table("analyze", "exec", BY_STDIN));
    let handle = host.handle();
    let mut runs = runs(&handle, "analyze").await;
    let started = host.start().await.unwrap();
    running(&handle, &["analyze"]).await;

    handle.named("analyze").trigger().await.unwrap();
    let run = next(&mut runs).await;
    assert_eq!(run.cause, Cause::Trigger);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(0), "code none\n"),
        "stdin was empty"
    );
    // By name, as the HTTP API and `ctl` send it: answered with `null`.
    let answer = handle
        .named("analyze")
        .command("trigger", Value::Null)
        .await
        .unwrap();
    assert_eq!(answer, Value::Null);
    assert_eq!(next(&mut runs).await.cause, Cause::Trigger);
    assert!(
        tokio::time::timeout(Duration::from_millis(300), runs.recv())
            .await
            .is_err(),
        "one run per trigger, and none unasked"
    );
    started.shutdown().await;
}

#[tokio::test]
async fn a_triggered_run_that_fails_is_the_callers_error() {
    let settings = r#"{ command = ["sh", "-c", "echo broken >&2; exit 3"] }"#;
    let host = host(&table("analyze", "exec", settings));
    let handle = host.handle();
    let started = host.start().await.unwrap();
    running(&handle, &["analyze"]).await;
    let error = handle.named("analyze").trigger().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "service `analyze`, action `trigger`: failed: the command exited with code 3"
    );
    let health = handle.service("analyze").unwrap().health();
    assert_eq!(
        health.message.as_deref(),
        Some("the last run exited with code 3")
    );
    started.shutdown().await;
}

#[tokio::test]
async fn runs_are_counted_by_outcome_and_timed() {
    let toml = table("analyze", "exec", BY_STDIN)
        + &table(
            "broken",
            "exec",
            r#"{ command = ["/nonexistent/program"] }"#,
        );
    let host = host(&toml);
    let handle = host.handle();
    let started = host.start().await.unwrap();
    running(&handle, &["analyze", "broken"]).await;
    for outcome in ["success", "failure", "timeout", "error"] {
        assert_eq!(runs_total(&handle, "analyze", outcome), 0.0, "{outcome}");
    }

    handle.named("analyze").trigger().await.unwrap();
    let run = |input: Value| {
        let analyze = handle.named("analyze");
        async move {
            let run: ExecCompleted = analyze
                .act_json("run", json!({ "input": input }))
                .send()
                .await
                .unwrap();
            run
        }
    };
    assert_eq!(run(json!(3)).await.code, Some(3));
    assert!(run(json!(9)).await.timed_out);
    assert!(handle.named("broken").trigger().await.is_err());

    let counted = ["success", "failure", "timeout", "error"]
        .map(|outcome| runs_total(&handle, "analyze", outcome));
    assert_eq!(counted, [1.0, 1.0, 1.0, 0.0]);
    assert_eq!(runs_total(&handle, "broken", "error"), 1.0);
    assert_eq!(runs_total(&handle, "broken", "success"), 0.0);
    let timed = "steward_exec_run_duration_seconds_count{service=\"analyze\"}";
    assert_eq!(sample(&handle, timed), 3.0, "every run that ran is timed");
    let took = sample(
        &handle,
        "steward_exec_run_duration_seconds_sum{service=\"analyze\"}",
    );
    assert!(took >= 0.5, "the timed-out run alone took 500 ms: {took}");
    let never_ran = "steward_exec_run_duration_seconds_count{service=\"broken\"}";
    assert_eq!(sample(&handle, never_ran), 0.0);
    started.shutdown().await;
}
