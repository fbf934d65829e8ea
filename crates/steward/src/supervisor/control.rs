//! Starting and stopping one service's supervisor task.

use std::sync::Arc;

use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

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
///
/// Callers serialise launches of one service (its control lock, or start-up).
pub(crate) fn launch(host: &Arc<HostShared>, cell: &Arc<ServiceCell>) {
    if cell.is_active() {
        return;
    }
    host.transition(cell, State::Pending, None);
    let token = CancellationToken::new();
    let span = tracing::info_span!("service", name = %cell.name);
    let supervisor = supervise(host.clone(), cell.clone(), token.clone()).instrument(span);
    let task = host.tracker.spawn(supervisor);
    *cell.run_handle() = Some(RunHandle {
        token,
        abort: task.abort_handle(),
        join: Some(task),
    });
}

/// Cancels the service and waits up to its stop timeout; abandons it after that.
pub(crate) async fn stop(host: &HostShared, cell: &ServiceCell) -> StopOutcome {
    let (token, abort, join) = {
        let mut run = cell.run_handle();
        let Some(run) = run.as_mut() else {
            return StopOutcome::NotRunning;
        };
        (run.token.clone(), run.abort.clone(), run.join.take())
    };
    if abort.is_finished() {
        return StopOutcome::NotRunning;
    }
    host.transition_unless_settled(cell, State::Stopping);
    token.cancel();
    let limit = cell.spec.stop_timeout;
    let ended = match join {
        // Waiting for the task, not the state, so that its last words are said.
        Some(join) => tokio::time::timeout(limit, join).await.is_ok(),
        // Someone else is stopping it too: wait for the outcome.
        None => {
            let mut state = cell.state.subscribe();
            let settled = state.wait_for(|state| state.is_settled());
            matches!(tokio::time::timeout(limit, settled).await, Ok(Ok(_)))
        }
    };
    if ended {
        return StopOutcome::Stopped;
    }
    abandon(host, cell, &abort, "stop timeout");
    StopOutcome::Abandoned
}

/// Gives up on a service that ignores cancellation: aborts its task at its next
/// await point and marks it stopped.
pub(crate) fn abandon(host: &HostShared, cell: &ServiceCell, abort: &AbortHandle, why: &str) {
    abort.abort();
    tracing::warn!(service = %cell.name, "service ignored cancellation; abandoned after {why}");
    host.transition(cell, State::Stopped, Some(format!("abandoned after {why}")));
}
