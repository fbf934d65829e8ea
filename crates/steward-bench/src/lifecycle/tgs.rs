//! tokio-graceful-shutdown: one subsystem per service under one `Toplevel`.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use tokio_graceful_shutdown::{SubsystemBuilder, SubsystemHandle, Toplevel};
use tokio_util::sync::CancellationToken;

use super::Round;
use crate::probe::Started;
use crate::rss;

/// As generous as Steward's default host shutdown timeout.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) async fn round(services: usize) -> anyhow::Result<Round> {
    let rss_before = rss::resident_bytes()?;
    let began = Instant::now();
    let started = Started::new(services);
    let shutdown = CancellationToken::new();
    let spawner = started.clone();
    let toplevel: Toplevel = Toplevel::new_with_shutdown_token(
        async move |root: &mut SubsystemHandle| {
            for index in 0..services {
                let started = spawner.clone();
                root.start(SubsystemBuilder::new(
                    format!("svc-{index}"),
                    async move |subsys: &mut SubsystemHandle| {
                        started.arrive();
                        subsys.on_shutdown_requested().await;
                        Ok::<(), Infallible>(())
                    },
                ));
            }
        },
        shutdown.clone(),
    );
    let finished = tokio::spawn(toplevel.handle_shutdown_requests(SHUTDOWN_TIMEOUT));
    started.wait().await;
    let start = began.elapsed();
    let rss_running = rss::resident_bytes()?;

    let began = Instant::now();
    shutdown.cancel();
    finished.await??;
    let stop = began.elapsed();
    Ok(Round {
        start,
        stop,
        rss_growth: rss_running.saturating_sub(rss_before),
    })
}
