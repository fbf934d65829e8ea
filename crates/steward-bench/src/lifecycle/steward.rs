//! Steward: one idle continuous service per service.

use std::sync::Arc;
use std::time::Instant;

use steward::{Context, Continuous, Host, continuous};

use super::Round;
use crate::host;
use crate::probe::Started;
use crate::rss;

/// Says it started, then waits to be stopped.
struct Idle {
    started: Arc<Started>,
}

impl Continuous for Idle {
    async fn run(&self, cx: &Context) -> steward::Result {
        self.started.arrive();
        cx.cancelled().await;
        Ok(())
    }
}

pub(super) async fn round(services: usize) -> anyhow::Result<Round> {
    let rss_before = rss::resident_bytes()?;
    let began = Instant::now();
    let started = Started::new(services);
    let defs = (0..services).map(|index| {
        let started = started.clone();
        continuous(format!("svc-{index}"), Idle { started })
    });
    let host = Host::builder().env_prefix(None).services(defs).build()?;
    let running = host.start().await?;
    started.wait().await;
    let start = began.elapsed();
    let rss_running = rss::resident_bytes()?;

    let began = Instant::now();
    let report = running.shutdown().await;
    let stop = began.elapsed();
    host::stopped_cleanly(&report, services)?;
    Ok(Round {
        start,
        stop,
        rss_growth: rss_running.saturating_sub(rss_before),
    })
}
