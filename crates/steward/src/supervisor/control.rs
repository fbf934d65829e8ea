//! Starting and stopping services' supervisor tasks.

use std::sync::Arc;

use tokio::task::{AbortHandle, JoinHandle};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::cell::{RunHandle, ServiceCell};
use crate::clock::instant_after;
use crate::host::{HostShared, Phase};
use crate::service::Body;
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
    let mut run = cell.run_handle();
    if run.as_ref().is_some_and(|run| !run.abort.is_finished()) {
        return;
    }
    host.transition(cell, State::Pending, None);
    let Body::Supervised(work) = &cell.body else {
        return;
    };
    let token = CancellationToken::new();
    // A new run: stop requests for the last one are done with.
    if let Some(ticks) = cell.ticks() {
        ticks.clear_stop_request();
    }
    let task = work
        .clone()
        .spawn(host.clone(), cell.clone(), token.clone());
    *run = Some(RunHandle {
        token: token.clone(),
        abort: task.abort_handle(),
        join: Some(task),
    });
    drop(run);
    // Checked after the handle is in place: a shutdown that began meanwhile either
    // sees the handle in its stop waves, or is seen here.
    if matches!(host.phase(), Phase::Stopping | Phase::Stopped) {
        cell.cancel(&token);
    }
}

/// Stops one service: see [`stop_all`].
pub(crate) async fn stop(host: &HostShared, cell: &ServiceCell) -> StopOutcome {
    let mut outcome = StopOutcome::NotRunning;
    stop_all(host, [cell], |_, stopped| outcome = stopped).await;
    outcome
}

/// A service being stopped: what to wait for, and until when.
struct Stopping<'a> {
    cell: &'a ServiceCell,
    wait: Wait,
    deadline: Instant,
}

/// How a stop learns that the service ended.
enum Wait {
    /// The first stop waits for the task itself (and can abort it through it).
    Task(JoinHandle<()>),
    /// A second, concurrent stop watches the state.
    State(AbortHandle),
}

/// Stops services together: cancels every one of them first, then waits for each
/// up to its own stop timeout (counted from now) and abandons those that overrun.
/// `note` hears how each stop went, in order.
pub(crate) async fn stop_all<'a>(
    host: &HostShared,
    cells: impl IntoIterator<Item = &'a ServiceCell>,
    mut note: impl FnMut(&'a ServiceCell, StopOutcome),
) {
    let now = Instant::now();
    let mut stopping = Vec::new();
    for cell in cells {
        let mut run = cell.run_handle();
        let wait = match run.as_mut() {
            // A supervisor that settled by itself (completed, or failed) is ending.
            Some(_) if cell.current_state().is_settled() => None,
            Some(run) => match run.join.take() {
                Some(join) => Some((run, Wait::Task(join))),
                None if run.abort.is_finished() => None,
                None => {
                    let abort = run.abort.clone();
                    Some((run, Wait::State(abort)))
                }
            },
            None => None,
        };
        let Some((run, wait)) = wait else {
            note(cell, StopOutcome::NotRunning);
            continue;
        };
        host.transition_unless_settled(cell, State::Stopping);
        cell.cancel(&run.token);
        stopping.push(Stopping {
            cell,
            wait,
            deadline: instant_after(now, cell.spec.stop_timeout),
        });
    }
    for Stopping {
        cell,
        wait,
        deadline,
    } in stopping
    {
        let ended = match wait {
            // Waiting for the task, not the state, so that its last words are said.
            Wait::Task(mut join) => {
                let ended = tokio::time::timeout_at(deadline, &mut join).await.is_ok();
                if !ended {
                    join.abort();
                }
                ended
            }
            Wait::State(abort) => {
                let settled = cell.state.wait_for(State::is_settled);
                let ended = tokio::time::timeout_at(deadline, settled).await.is_ok();
                if !ended {
                    abort.abort();
                }
                ended
            }
        };
        if ended {
            note(cell, StopOutcome::Stopped);
        } else {
            abandoned(host, cell, "stop timeout");
            note(cell, StopOutcome::Abandoned);
        }
    }
}

/// Gives up on a service that ignores cancellation: aborts its task at its next
/// await point and marks it stopped.
pub(crate) fn abandon(host: &HostShared, cell: &ServiceCell, abort: &AbortHandle, why: &str) {
    abort.abort();
    abandoned(host, cell, why);
}

/// Marks a service whose task was aborted as stopped.
fn abandoned(host: &HostShared, cell: &ServiceCell, why: &str) {
    // The task may take a moment to notice: a start after this must not wait for it.
    cell.run_handle().take();
    tracing::warn!(service = %cell.name, "service ignored cancellation; abandoned after {why}");
    host.transition(cell, State::Stopped, Some(format!("abandoned after {why}")));
}
