//! Graceful shutdown: stop waves in reverse start order, under the host's timeout.

use std::sync::{Arc, Mutex, PoisonError};

use futures_util::future::join_all;
use tokio::time::Instant;

use super::shared::{HostShared, Phase};
use crate::error::ShutdownReport;
use crate::supervisor::{StopOutcome, stop};

pub(super) async fn shutdown(host: &Arc<HostShared>) -> ShutdownReport {
    let began = Instant::now();
    host.phase.send_replace(Phase::Stopping);
    host.shutdown_requested.cancel();
    tracing::info!("host shutting down");
    let report = Mutex::new(ShutdownReport::default());
    let note = |name: &str, outcome: StopOutcome| {
        let mut report = report.lock().unwrap_or_else(PoisonError::into_inner);
        match outcome {
            StopOutcome::Stopped => report.stopped.push(name.to_owned()),
            StopOutcome::Abandoned => report.abandoned.push(name.to_owned()),
            StopOutcome::NotRunning => {}
        }
    };
    let waves = async {
        for wave in &host.stop_waves {
            join_all(wave.iter().map(|&index| {
                let cell = &host.cells[index];
                async move { note(&cell.name, stop(host, cell).await) }
            }))
            .await;
        }
    };
    let limit = host.config.host.shutdown_timeout;
    if tokio::time::timeout(limit, waves).await.is_err() {
        tracing::warn!(timeout = %humantime::format_duration(limit), "host shutdown timed out; abandoning the rest");
        for cell in &host.cells {
            let abort = cell.run_handle().as_ref().map(|run| run.abort.clone());
            if let Some(abort) = abort.filter(|_| !cell.current_state().is_settled()) {
                crate::supervisor::abandon(host, cell, &abort, "host shutdown timeout");
                note(&cell.name, StopOutcome::Abandoned);
            }
        }
    }
    host.tracker.close();
    host.phase.send_replace(Phase::Stopped);
    let mut report = report.into_inner().unwrap_or_else(PoisonError::into_inner);
    report.elapsed = began.elapsed();
    tracing::info!(
        stopped = report.stopped.len(),
        abandoned = report.abandoned.len(),
        elapsed = ?report.elapsed,
        "host stopped"
    );
    report
}
