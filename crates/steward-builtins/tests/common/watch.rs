//! What the `file-watcher` tests share: a watcher over a temporary directory, and
//! waiting for its events with a deadline.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;
use steward::{EventStream, HostHandle, RunningHost, State};
use steward_builtins::file_watcher::FileCreated;

/// A running host with one `file-watcher` called `watcher`, and its events.
pub struct Watched {
    pub running: RunningHost,
    pub handle: HostHandle,
    pub events: EventStream<FileCreated>,
}

/// The `[services.watcher]` table watching `paths` with these extra settings
/// (`recursive = false, …`).
pub fn table(paths: &[&Path], settings: &str) -> String {
    let paths = json!(paths);
    let comma = if settings.is_empty() { "" } else { ", " };
    format!(
        "[services.watcher]\nkind = \"file-watcher\"\nsettings = {{ paths = {paths}{comma}{settings} }}\n"
    )
}

/// Starts a host with the watcher `table` describes, subscribed to its events
/// before it starts, and waits until it watches.
pub async fn watch(table: &str) -> Watched {
    let host = super::host(table);
    let handle = host.handle();
    let events = handle
        .named("watcher")
        .on::<FileCreated>()
        .buffer(200_000)
        .stream()
        .await
        .expect("the watcher exists");
    let running = host.start().await.expect("the host starts");
    let service = handle.service("watcher").expect("the watcher exists");
    tokio::time::timeout(Duration::from_secs(10), service.wait_for(State::Running))
        .await
        .expect("the watcher is running within 10 s");
    Watched {
        running,
        handle,
        events,
    }
}

impl Watched {
    /// The next event, within ten seconds.
    pub async fn next(&mut self) -> FileCreated {
        next(&mut self.events, Duration::from_secs(10)).await
    }

    /// Events up to and including the one for `path`, within ten seconds.
    pub async fn until(&mut self, path: &Path) -> Vec<FileCreated> {
        let mut seen = Vec::new();
        loop {
            let event = self.next().await;
            let last = event.path == path;
            seen.push(event);
            if last {
                return seen;
            }
        }
    }

    /// Writes a file called `name` in `dir` and waits for its event: every event
    /// before it is returned, showing what the watcher reported in the meantime.
    pub async fn mark(&mut self, dir: &Path, name: &str) -> Vec<PathBuf> {
        let path = dir.join(name);
        std::fs::write(&path, name).expect("the mark is written");
        let mut before: Vec<PathBuf> = self
            .until(&path)
            .await
            .into_iter()
            .map(|event| event.path)
            .collect();
        before.pop();
        before
    }

    /// The value of the metric `series` (`name{labels}`) now.
    pub fn metric(&self, series: &str) -> Option<f64> {
        let text = self.handle.metrics().encode();
        text.lines().find_map(|line| {
            let value = line.strip_prefix(series)?.strip_prefix(' ')?;
            value.parse().ok()
        })
    }

    /// Stops the host; nothing may be left behind.
    pub async fn stop(self) {
        let report = self.running.shutdown().await;
        assert!(report.abandoned.is_empty(), "{report:?}");
    }
}

/// The next event of `events`, within `limit`.
pub async fn next(events: &mut EventStream<FileCreated>, limit: Duration) -> FileCreated {
    tokio::time::timeout(limit, events.recv())
        .await
        .unwrap_or_else(|_| panic!("no file.created within {limit:?}"))
        .expect("the host is running")
}

/// The canonical form of a temporary directory, as the watcher reports it (the
/// system's temporary directory may be reached through a symbolic link).
pub fn dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().canonicalize().expect("it exists");
    (dir, path)
}
