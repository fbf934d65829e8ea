//! The `exec` built-in against real commands: once per event with the event on
//! stdin (the last ones too, at shutdown), on a schedule, on request, under a
//! time limit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;
use std::time::Duration;

use serde_json::json;
use steward::{Context, Continuous, EventStream, Host, HostHandle, RunningHost, continuous};
use steward_builtins::exec::{Cause, ExecCompleted};

mod common;
use tokio::sync::mpsc;

/// Emits a `batch.closed` for every key it is sent, and one with key `last` as it stops.
struct Batcher {
    keys: Mutex<Option<mpsc::UnboundedReceiver<&'static str>>>,
}

impl Continuous for Batcher {
    async fn run(&self, cx: &Context) -> steward::Result {
        let Some(mut keys) = self.keys.lock().unwrap().take() else {
            return Ok(());
        };
        while let Some(Some(key)) = cx.run_until_cancelled(keys.recv()).await {
            cx.emit_json("batch.closed", json!({ "key": key })).await?;
        }
        cx.emit_json("batch.closed", json!({ "key": "last" }))
            .await?;
        Ok(())
    }
}

struct Running {
    host: RunningHost,
    keys: mpsc::UnboundedSender<&'static str>,
    runs: EventStream<ExecCompleted>,
}

/// A host with the `batcher` above and `analyze`, an `exec` with these keys
/// beside `kind` (TOML lines) and these settings.
async fn start(keys: &str, settings: &str) -> Running {
    let (sender, receiver) = mpsc::unbounded_channel();
    let batcher = Batcher {
        keys: Mutex::new(Some(receiver)),
    };
    let toml = format!("[services.analyze]\nkind = \"exec\"\n{keys}\nsettings = {settings}\n");
    let host = Host::builder()
        .kinds(steward_builtins::kinds())
        .env_prefix(None)
        .service(continuous("batcher", batcher))
        .config_toml("steward.toml", toml)
        .build()
        .unwrap();
    let runs = host
        .handle()
        .named("analyze")
        .on::<ExecCompleted>()
        .stream()
        .await
        .unwrap();
    let host = host.start().await.unwrap();
    Running {
        host,
        keys: sender,
        runs,
    }
}

async fn next(runs: &mut EventStream<ExecCompleted>) -> ExecCompleted {
    tokio::time::timeout(Duration::from_secs(10), runs.recv())
        .await
        .expect("a run completes")
        .expect("the host is up")
}

fn health(handle: &HostHandle) -> steward::Health {
    handle.service("analyze").unwrap().health()
}

#[tokio::test]
async fn each_event_runs_the_command_once_with_the_event_on_stdin_even_at_shutdown() {
    let settings = r#"{ command = ["sh", "-c", "cat; echo; sleep 0.05"] }"#;
    let mut running = start(r#"on = "batcher:batch.closed""#, settings).await;
    for key in ["cam1", "cam2", "cam3"] {
        running.keys.send(key).unwrap();
    }
    let mut seen = Vec::new();
    for _ in 0..3 {
        let run = next(&mut running.runs).await;
        assert_eq!(run.cause, Cause::Event);
        assert!(run.succeeded(), "{run:?}");
        let input: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
        seen.push(input["key"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        seen,
        ["cam1", "cam2", "cam3"],
        "one run per event, in order"
    );
    let report = running.host.shutdown().await;
    assert_eq!(
        report.stopped,
        ["batcher", "analyze"],
        "the source stops first"
    );
    let last = next(&mut running.runs).await;
    assert!(
        last.stdout.contains("\"last\""),
        "the last event ran too: {last:?}"
    );
}

#[tokio::test]
async fn an_interval_runs_the_command_on_a_schedule() {
    let mut running = start(r#"interval = "50ms""#, r#"{ command = ["echo", "tick"] }"#).await;
    for _ in 0..2 {
        let run = next(&mut running.runs).await;
        assert_eq!(
            (run.cause, run.stdout.as_str()),
            (Cause::Schedule, "tick\n")
        );
    }
    running.host.shutdown().await;
}

#[tokio::test]
async fn the_run_action_answers_the_exit_code_and_output() {
    let settings = r#"{ command = ["sh", "-c", "cat; echo oops >&2; exit 3"] }"#;
    let running = start("", settings).await;
    let handle = running.host.handle();
    let run: ExecCompleted = handle
        .named("analyze")
        .act_json("run", json!({ "input": { "frame": 7 } }))
        .send()
        .await
        .unwrap();
    assert_eq!(run.cause, Cause::Action);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (Some(3), "{\"frame\":7}", "oops\n")
    );
    assert_eq!(run.status, "exited with code 3");
    let health = health(&handle);
    assert_eq!(health.status, steward::HealthStatus::Degraded);
    assert_eq!(
        health.message.as_deref(),
        Some("the last run exited with code 3")
    );
    // No parameters at all: nothing on stdin.
    let bare: ExecCompleted = handle
        .named("analyze")
        .act_json("run", serde_json::Value::Null)
        .send()
        .await
        .unwrap();
    assert_eq!(bare.stdout, "");
    running.host.shutdown().await;
}

#[tokio::test]
async fn a_run_past_its_timeout_is_killed() {
    let running = start("", r#"{ command = ["sleep", "30"], timeout = "200ms" }"#).await;
    let run: ExecCompleted = running
        .host
        .handle()
        .named("analyze")
        .act_json("run", json!({}))
        .send()
        .await
        .unwrap();
    assert!(run.timed_out);
    assert_eq!(run.status, "killed by SIGTERM");
    assert!(run.ran_ms >= 200 && run.ran_ms < 5_000, "{run:?}");
    running.host.shutdown().await;
}

fn problems(settings: &str) -> Vec<(String, String)> {
    common::problems(&common::table("analyze", "exec", settings))
}

#[test]
fn settings_mistakes_name_their_key() {
    let timeout = problems(r#"{ command = ["true"], timeout = "soon" }"#);
    assert_eq!(timeout[0].0, "services.analyze.settings.timeout");
    let command = problems(r#"{ command = [] }"#);
    assert_eq!(command[0].0, "services.analyze.settings.command");
}
