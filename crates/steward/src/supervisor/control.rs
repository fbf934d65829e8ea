//! Starting and stopping one service's supervisor task.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::cell::{RunHandle, ServiceCell};
use super::run::supervise;
use crate::host::HostShared;
use crate::state::State;

/// How a stop went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopOutcome {
    /// It was not running.
    NotRunning,
    /// It stopped within its stop timeout.
    Stopped,
    /// It ignored cancellation past its stop timeout and was abandoned.
    Abandoned,
}

/// Spawns the service's supervisor unless one is alive already.
pub(crate) fn launch(host: &Arc<HostShared>, cell: &Arc<ServiceCell>) {
    let mut run = cell.run_handle();
    if run.as_ref().is_some_and(|run| !run.abort.is_finished()) {
        return;
    }
    host.transition(cell, State::Pending, None);
    let token = CancellationToken::new();
    let task = host
        .tracker
        .spawn(supervise(host.clone(), cell.clone(), token.clone()));
    *run = Some(RunHandle {
        token,
        abort: task.abort_handle(),
    });
}

/// Cancels the service and waits up to its stop timeout; abandons it after that.
pub(crate) async fn stop(host: &HostShared, cell: &ServiceCell) -> StopOutcome {
    let Some(run) = cell.run_handle().clone() else {
        return StopOutcome::NotRunning;
    };
    if run.abort.is_finished() {
        return StopOutcome::NotRunning;
    }
    host.transition_unless_settled(cell, State::Stopping);
    run.token.cancel();
    let mut state = cell.state.subscribe();
    let settled = tokio::time::timeout(
        cell.spec.stop_timeout,
        state.wait_for(|state| state.is_settled()),
    )
    .await;
    if matches!(settled, Ok(Ok(_))) {
        return StopOutcome::Stopped;
    }
    abandon(host, cell, &run, "stop timeout");
    StopOutcome::Abandoned
}

/// Gives up on a service that ignores cancellation: aborts its task at its next
/// await point and marks it stopped.
pub(crate) fn abandon(host: &HostShared, cell: &ServiceCell, run: &RunHandle, why: &str) {
    run.abort.abort();
    tracing::warn!(service = %cell.name, "service ignored cancellation; abandoned after {why}");
    host.transition(cell, State::Stopped, Some(format!("abandoned after {why}")));
}
