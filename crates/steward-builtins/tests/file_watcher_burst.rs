//! A burst far beyond the kernel's event queue (`fs.inotify.max_queued_events`,
//! 16,384 by default): the watcher loses events, rescans, and still reports every
//! file exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

mod common;
use common::until;
use common::watch::{dir, next, table};
use steward::State;
use steward_builtins::file_watcher::FileCreated;

const FILES: usize = 100_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_100_000_files_overflows_the_queue_and_each_is_reported_once() {
    let (_tmp, inbox) = dir();
    let toml = table(&[&inbox], r#"recursive = false, poll_interval = "200ms""#);
    let host = common::host(&toml);
    let handle = host.handle();
    let mut events = handle
        .named("watcher")
        .on::<FileCreated>()
        .buffer(2 * FILES)
        .stream()
        .await
        .unwrap();
    // A brake: lossless with a small buffer, not read, and dropped once every
    // file is written. It holds the watcher back after a thousand reports, so
    // its own queue (65,536 events) fills, then the kernel's (16,384)
    // overflows: events are certainly lost. `events` has room for everything.
    let brake = handle
        .named("watcher")
        .on::<FileCreated>()
        .lossless()
        .buffer(1_000)
        .stream()
        .await
        .unwrap();
    let running = host.start().await.unwrap();
    let service = handle.service("watcher").unwrap();
    tokio::time::timeout(Duration::from_secs(10), service.wait_for(State::Running))
        .await
        .unwrap();

    let writer = inbox.clone();
    tokio::task::spawn_blocking(move || {
        for index in 0..FILES {
            // Empty files: the burst is about events, not disk space.
            std::fs::File::create(writer.join(format!("{index:06}.jpg"))).unwrap();
        }
    })
    .await
    .unwrap();
    drop(brake);

    let mut seen: HashSet<PathBuf> = HashSet::with_capacity(FILES);
    while seen.len() < FILES {
        let event = next(&mut events, Duration::from_secs(60)).await;
        assert!(seen.insert(event.path.clone()), "reported twice: {event:?}");
    }
    for index in 0..FILES {
        assert!(seen.contains(&inbox.join(format!("{index:06}.jpg"))));
    }

    // Nothing more about them before a file written afterwards.
    let mark = inbox.join("mark");
    std::fs::write(&mark, "mark").unwrap();
    let event = next(&mut events, Duration::from_secs(10)).await;
    assert_eq!(event.path, mark, "reported again: {event:?}");
    let metric = |series: &str| {
        let text = handle.metrics().encode();
        let value = text.lines().find_map(|line| {
            let value = line.strip_prefix(series)?.strip_prefix(' ')?;
            value.parse::<f64>().ok()
        });
        value.unwrap_or(-1.0)
    };
    let label = r#"{service="watcher"}"#;
    assert_eq!(
        metric(&format!("steward_file_watcher_files_total{label}")),
        100_001.0
    );
    assert!(metric(&format!("steward_file_watcher_overflows_total{label}")) >= 1.0);
    assert!(metric(&format!("steward_file_watcher_rescans_total{label}")) >= 1.0);
    until("everything is remembered and nothing waits", || {
        metric(&format!("steward_file_watcher_tracked_files{label}")) == 100_001.0
            && metric(&format!("steward_file_watcher_pending_files{label}")) == 0.0
    })
    .await;
    assert_eq!(events.missed(), 0);
    let report = running.shutdown().await;
    assert!(report.abandoned.is_empty(), "{report:?}");
}
