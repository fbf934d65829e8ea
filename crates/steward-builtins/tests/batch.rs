//! The `batch-aggregator` built-in on paused time: batches close by window, idle
//! time and size, per key, and a stop flushes what is open, the source's last
//! events included.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;
use std::time::Duration;

use serde_json::json;
use steward::{Context, Continuous, EventStream, Host, RunningHost, State, continuous};

mod common;
use steward_builtins::batch::{BatchClosed, CloseReason};
use tokio::sync::mpsc;

/// Emits a `file.created` for every path it is sent, and `last.jpg` as it stops.
struct Camera {
    paths: Mutex<Option<mpsc::UnboundedReceiver<&'static str>>>,
}

impl Continuous for Camera {
    async fn run(&self, cx: &Context) -> steward::Result {
        let Some(mut paths) = self.paths.lock().unwrap().take() else {
            return Ok(());
        };
        while let Some(Some(path)) = cx.run_until_cancelled(paths.recv()).await {
            let dir = path.split('/').next().unwrap_or_default();
            cx.emit_json("file.created", json!({ "path": path, "dir": dir }))
                .await?;
        }
        cx.emit_json(
            "file.created",
            json!({ "path": "cam9/last.jpg", "dir": "cam9" }),
        )
        .await?;
        Ok(())
    }
}

struct Pipeline {
    running: RunningHost,
    files: mpsc::UnboundedSender<&'static str>,
    batches: EventStream<BatchClosed>,
}

async fn pipeline(settings: &str) -> Pipeline {
    let (files, paths) = mpsc::unbounded_channel();
    let camera = Camera {
        paths: Mutex::new(Some(paths)),
    };
    let toml = format!(
        "[services.batcher]\nkind = \"batch-aggregator\"\nsettings = {{ source = \"camera:file.created\", key = \"{{dir}}\", {settings} }}\n"
    );
    let host = Host::builder()
        .kinds(steward_builtins::kinds())
        .env_prefix(None)
        .service(continuous("camera", camera))
        .config_toml("steward.toml", toml)
        .build()
        .unwrap();
    let handle = host.handle();
    let batches = handle
        .named("batcher")
        .on::<BatchClosed>()
        .stream()
        .await
        .unwrap();
    let running = host.start().await.unwrap();
    handle
        .service("camera")
        .unwrap()
        .wait_for(State::Running)
        .await;
    Pipeline {
        running,
        files,
        batches,
    }
}

fn paths(batch: &BatchClosed) -> Vec<&str> {
    batch
        .items
        .iter()
        .map(|item| item["path"].as_str().unwrap())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_batch_closes_when_its_window_is_up() {
    let mut pipeline = pipeline(
        "window = \"10s\", idle_timeout = \"1h\", max_size = 1000, check_interval = \"1s\"",
    )
    .await;
    let began = tokio::time::Instant::now();
    for path in ["cam1/a.jpg", "cam1/b.jpg"] {
        pipeline.files.send(path).unwrap();
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    pipeline.files.send("cam1/c.jpg").unwrap();
    let batch = pipeline.batches.recv().await.unwrap();
    assert_eq!(batch.reason, CloseReason::Window);
    assert_eq!(batch.key, "cam1");
    assert_eq!(paths(&batch), ["cam1/a.jpg", "cam1/b.jpg", "cam1/c.jpg"]);
    let waited = began.elapsed();
    assert!(
        waited >= Duration::from_secs(10) && waited <= Duration::from_secs(11),
        "{waited:?}"
    );
    assert!(batch.closed > batch.opened);
    pipeline.running.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_batch_closes_when_no_event_joined_it_for_the_idle_timeout() {
    let mut pipeline = pipeline(
        "window = \"1h\", idle_timeout = \"5s\", max_size = 1000, check_interval = \"1s\"",
    )
    .await;
    let began = tokio::time::Instant::now();
    pipeline.files.send("cam1/a.jpg").unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    pipeline.files.send("cam1/b.jpg").unwrap();
    let batch = pipeline.batches.recv().await.unwrap();
    assert_eq!(batch.reason, CloseReason::Idle);
    assert_eq!(batch.size, 2);
    let waited = began.elapsed();
    assert!(
        waited >= Duration::from_secs(8) && waited <= Duration::from_secs(9),
        "{waited:?}"
    );
    pipeline.running.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_full_batch_closes_at_once_and_keys_keep_batches_apart() {
    let mut pipeline =
        pipeline("window = \"1h\", idle_timeout = \"1h\", max_size = 2, check_interval = \"1s\"")
            .await;
    for path in [
        "cam1/a.jpg",
        "cam2/a.jpg",
        "cam1/b.jpg",
        "cam2/b.jpg",
        "cam1/c.jpg",
    ] {
        pipeline.files.send(path).unwrap();
    }
    let first = pipeline.batches.recv().await.unwrap();
    let second = pipeline.batches.recv().await.unwrap();
    assert_eq!(
        (first.reason, second.reason),
        (CloseReason::Size, CloseReason::Size)
    );
    assert_eq!(paths(&first), ["cam1/a.jpg", "cam1/b.jpg"]);
    assert_eq!(paths(&second), ["cam2/a.jpg", "cam2/b.jpg"]);
    pipeline.running.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn stopping_flushes_open_batches_with_the_sources_last_events() {
    let mut pipeline = pipeline(
        "window = \"1h\", idle_timeout = \"1h\", max_size = 1000, check_interval = \"1s\"",
    )
    .await;
    pipeline.files.send("cam1/a.jpg").unwrap();
    let metrics = pipeline.running.handle().metrics().clone();
    let mut open = String::new();
    while !open.contains("steward_batch_open_items{service=\"batcher\"} 1") {
        tokio::time::sleep(Duration::from_millis(10)).await;
        open = metrics.encode();
    }
    let report = pipeline.running.shutdown().await;
    assert_eq!(
        report.stopped,
        ["camera", "batcher"],
        "the source stops first"
    );
    let mut flushed = Vec::new();
    while let Some(batch) = pipeline.batches.recv().await {
        assert_eq!(batch.reason, CloseReason::Shutdown);
        flushed.push((batch.key.clone(), paths(&batch).join(",")));
    }
    assert_eq!(
        flushed,
        [
            ("cam1".to_owned(), "cam1/a.jpg".to_owned()),
            ("cam9".to_owned(), "cam9/last.jpg".to_owned())
        ]
    );
    let text = metrics.encode();
    assert!(
        text.contains("steward_batch_open_items{service=\"batcher\"} 0"),
        "{text}"
    );
    assert!(
        text.contains("steward_batch_size_count{service=\"batcher\"} 2"),
        "{text}"
    );
}

fn problems(settings: &str) -> Vec<(String, String)> {
    common::problems(&common::table("batcher", "batch-aggregator", settings))
}

#[test]
fn settings_mistakes_name_their_key() {
    let bad_source = problems("{ source = \"watcher\" }");
    assert_eq!(bad_source[0].0, "services.batcher.settings.source");
    assert!(bad_source[0].1.contains("SERVICE:EVENT"), "{bad_source:?}");
    let empty = problems("{ source = \"a:b\", max_size = 0 }");
    assert_eq!(
        empty[0],
        (
            "services.batcher.settings.max_size".to_owned(),
            "must be at least 1".to_owned()
        )
    );
    let never = problems("{ source = \"a:b\", check_interval = \"0s\" }");
    assert_eq!(
        never[0],
        (
            "services.batcher.settings.check_interval".to_owned(),
            "must be longer than zero".to_owned()
        )
    );
    let key = problems("{ source = \"a:b\", key = \"{dir\" }");
    assert_eq!(key[0].0, "services.batcher.settings.key");
    let unknown = problems("{ source = \"ghost:file.created\" }");
    assert_eq!(
        unknown,
        [(
            "services.batcher.settings".to_owned(),
            "listens to `ghost`, which is not a service of this host".to_owned()
        )]
    );
}
