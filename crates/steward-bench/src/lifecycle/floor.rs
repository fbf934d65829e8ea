//! The floor: a tokio task per service awaiting a child cancellation token, on a
//! task tracker — the primitives a supervisor is built from, and nothing else.

use std::time::Instant;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::Round;
use crate::probe::Started;
use crate::rss;

pub(super) async fn round(services: usize) -> anyhow::Result<Round> {
    let rss_before = rss::resident_bytes()?;
    let began = Instant::now();
    let started = Started::new(services);
    let tracker = TaskTracker::new();
    let root = CancellationToken::new();
    for _ in 0..services {
        let started = started.clone();
        let token = root.child_token();
        tracker.spawn(async move {
            started.arrive();
            token.cancelled().await;
        });
    }
    started.wait().await;
    let start = began.elapsed();
    let rss_running = rss::resident_bytes()?;

    let began = Instant::now();
    root.cancel();
    tracker.close();
    tracker.wait().await;
    let stop = began.elapsed();
    Ok(Round {
        start,
        stop,
        rss_growth: rss_running.saturating_sub(rss_before),
    })
}
