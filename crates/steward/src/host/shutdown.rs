//! Graceful shutdown: stop waves in reverse start order, under the host's timeout.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::time::Instant;

use super::shared::{HostShared, Phase};
use crate::clock::instant_after;
use crate::error::ShutdownReport;
use crate::state::State;
use crate::supervisor::{StopOutcome, abandon, stop_all};

/// Lets the wave's running services finish their queued actions, until the
/// deadline; what is left stays queued (and in the journal).
async fn drain(host: &HostShared, wave: &[usize], deadline: Instant) {
    let draining = wave.iter().filter_map(|&index| {
        let cell = &host.cells[index];
        let actions = cell.actions.as_ref()?;
        (cell.current_state() == State::Running).then(|| actions.drained())
    });
    let draining = futures_util::future::join_all(draining);
    if tokio::time::timeout_at(deadline, draining).await.is_err() {
        tracing::warn!("drain timeout reached; queued actions stay in the journal");
    }
}

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
    host.close_mailboxes();
    let drain_deadline = instant_after(began, host.config.host.drain_timeout);
    let waves = async {
        for wave in &host.stop_waves {
            drain(host, wave, drain_deadline).await;
            let cells = wave.iter().map(|&index| &*host.cells[index]);
            stop_all(host, cells, |cell, outcome| note(&cell.name, outcome)).await;
        }
    };
    let limit = host.config.host.shutdown_timeout;
    let deadline = instant_after(began, limit);
    if tokio::time::timeout_at(deadline, waves).await.is_err() {
        tracing::warn!(timeout = %humantime::format_duration(limit), "host shutdown timed out; abandoning the rest");
        let running = host.cancel_runs(|cell| !cell.current_state().is_settled());
        for (cell, abort) in running {
            abandon(host, cell, &abort, "host shutdown timeout");
            note(&cell.name, StopOutcome::Abandoned);
        }
    }
    host.tracker.close();
    // Aborted tasks end at their next await; give them until the deadline.
    let _ = tokio::time::timeout_at(deadline, host.tracker.wait()).await;
    // Nothing will take actions from here again: their callers hear so (the actions
    // stay in the journal), and event streams end.
    for cell in &host.cells {
        if let Some(actions) = &cell.actions {
            actions.mailbox.abandon_all();
        }
    }
    host.events.close();
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
