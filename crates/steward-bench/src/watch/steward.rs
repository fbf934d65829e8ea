//! Steward: a host with a `file-watcher` and a task taking its `file.created`
//! events. It watches either what the floor watches (each subdirectory, not
//! recursive), or the scratch directory recursively, which also asks the kernel
//! for an event per file created (to see new subdirectories).

use anyhow::Context as _;
use steward::{EventStream, Host, State};
use steward_builtins::file_watcher::FileCreated;

use super::scratch::Scratch;
use super::tally::{Meter, Tally, Wait};
use super::writer::Writer;
use super::{Observed, Shape, Workload, series};
use crate::host;

/// What the watcher is told to watch.
#[derive(Debug, Clone, Copy)]
pub(super) enum WatchSet {
    /// Each subdirectory, as the floor does.
    Subdirectories,
    /// The scratch directory and everything below it.
    Recursive,
}

pub(super) async fn round(
    scratch: &Scratch,
    workload: &Workload,
    shape: &Shape,
    set: WatchSet,
) -> anyhow::Result<Observed> {
    let (paths, recursive) = match set {
        WatchSet::Subdirectories => (serde_json::json!(scratch.dirs), false),
        WatchSet::Recursive => (serde_json::json!([scratch.root]), true),
    };
    let toml = format!(
        "[services.watcher]\nkind = \"file-watcher\"\nsettings = {{ paths = {paths}, recursive = {recursive}, polling = false, initial_scan = false }}\n"
    );
    let host = Host::builder()
        .kinds(steward_builtins::kinds())
        .env_prefix(None)
        .config_toml("steward.toml", toml)
        .build()?;
    let handle = host.handle();
    // Room for every event (and some to spare): a subscriber that falls behind
    // loses nothing, and what it would lose is counted (`dropped`).
    let events = handle
        .named("watcher")
        .on::<FileCreated>()
        .buffer(workload.files.saturating_mul(2).max(1024))
        .stream()
        .await?;
    let running = host.start().await?;
    handle.service("watcher")?.wait_for(State::Running).await;

    let tally = Tally::new(&scratch.paths);
    let meter = Meter::start()?;
    let writer = Writer::start(scratch.paths.clone(), shape.file_bytes, workload.pace)?;
    let wait = Wait::new(tally, meter, writer.done(), shape.settle);
    let (wait, events) = tokio::spawn(take(events, wait))
        .await
        .context("the subscriber task panicked")??;
    let written = writer.join()?;
    let (tally, reading) = wait.finish()?;

    let metrics = handle.metrics().encode();
    let label = r#"{service="watcher"}"#;
    let overflows = series(
        &metrics,
        &format!("steward_file_watcher_overflows_total{label}"),
    )?;
    let rescans = series(
        &metrics,
        &format!("steward_file_watcher_rescans_total{label}"),
    )?;
    let dropped = events.missed();
    drop(events);
    let report = running.shutdown().await;
    host::stopped_cleanly(&report, 1)?;
    Ok(Observed {
        tally,
        written,
        reading,
        overflows: overflows as u64,
        extra: vec![
            ("rescans", rescans, "times"),
            ("dropped", dropped as f64, "events"),
        ],
    })
}

/// Takes events until the wait is over.
async fn take(
    mut events: EventStream<FileCreated>,
    mut wait: Wait,
) -> anyhow::Result<(Wait, EventStream<FileCreated>)> {
    let Some(first) = wait.next_look()? else {
        return Ok((wait, events));
    };
    let look = tokio::time::sleep_until(first.into());
    tokio::pin!(look);
    loop {
        tokio::select! {
            biased;
            event = events.recv() => {
                let event = event.context("the host stopped sending events")?;
                wait.reported(&event.path)?;
            }
            () = &mut look => match wait.next_look()? {
                Some(next) => look.as_mut().reset(next.into()),
                None => return Ok((wait, events)),
            },
        }
    }
}
