//! The supervision loop of a continuous or periodic service.
//!
//! The loop's future lives as long as the service, so the rarely used parts (the
//! dependency wait, the start hook under its timeout, the backoff sleep) are boxed:
//! an idle service then holds little more than its own `run` future.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::task::JoinHandle;
use tracing::Instrument;

use tokio_util::sync::CancellationToken;

use super::cell::ServiceCell;
use super::guard::guarded_within;
use crate::action::dispatch::beside;
use crate::context::Context;
use crate::error::panic_message;
use crate::host::HostShared;
use crate::restart::{Intensity, Verdict};
use crate::service::{ServiceKind, Work};
use crate::state::State;
use crate::status::Outcome;

/// Spawns the supervision loop of one service on the host's task tracker.
pub(crate) fn spawn_supervisor<W: Work>(
    work: Arc<W>,
    host: Arc<HostShared>,
    cell: Arc<ServiceCell>,
    token: CancellationToken,
) -> JoinHandle<()> {
    let span = crate::span::recorded(tracing::info_span!("service", name = %cell.name));
    let tracker = host.tracker.clone();
    let supervisor = supervise(work, host.clone(), cell.clone(), token);
    tracker.spawn(guard_supervisor(supervisor, host, cell).instrument(span))
}

/// A bug in the supervisor must not leave a service looking alive: a panic there
/// fails the service.
///
/// A combinator rather than an `async fn`: an `async fn` would keep its argument
/// and the future it awaits side by side, doubling every service's task.
fn guard_supervisor(
    supervisor: impl Future<Output = ()>,
    host: Arc<HostShared>,
    cell: Arc<ServiceCell>,
) -> impl Future<Output = ()> {
    AssertUnwindSafe(supervisor)
        .catch_unwind()
        .map(move |outcome| {
            if let Err(payload) = outcome {
                let reason = format!("supervisor {}", panic_message(payload.as_ref()));
                tracing::error!(service = %cell.name, %reason, "supervisor failed");
                host.transition(&cell, State::Failed, Some(reason));
            }
        })
}

/// Starts, runs and restarts one service until it is cancelled or gives up.
///
/// An `async` block, not an `async fn`: the block uses what it captures in place,
/// where an `async fn` would hold a second copy of its arguments.
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn would keep its arguments twice"
)]
fn supervise<W: Work>(
    work: Arc<W>,
    host: Arc<HostShared>,
    cell: Arc<ServiceCell>,
    token: CancellationToken,
) -> impl Future<Output = ()> {
    async move {
        let mut intensity = Intensity::new();
        loop {
            if !cell.spec.depends_on.is_empty()
                && !Box::pin(wait_for_dependencies(&host, &cell, &token)).await
            {
                break;
            }
            if !host.advance(&cell, State::Starting, None) {
                break;
            }
            // Boxed: the loop's future holds it for the service's whole life, and a
            // context is several words wide.
            let cx = Box::new(Context::new(host.clone(), cell.clone(), token.clone()));
            let start = guarded_within(cell.spec.timeout, "start", work.start(&cx));
            let ended = match Box::pin(start).await {
                Ok(()) if token.is_cancelled() => break,
                Ok(()) => {
                    cell.record().has_run = true;
                    if host.advance(&cell, State::Running, None) {
                        let run = work.run(&host, &cell, &cx);
                        let ended = match &cell.actions {
                            None => run.await,
                            // Boxed: services without actions should not carry its size.
                            Some(actions) => {
                                Box::pin(beside(run, &host, &cell, actions, work.service(), &cx))
                                    .await
                            }
                        };
                        // A periodic service's runs are its ticks, counted as they end; a
                        // run a stop ended has no outcome of its own (and a host stopping
                        // thousands of services should not register metrics meanwhile).
                        if cell.spec.kind == ServiceKind::Continuous && !token.is_cancelled() {
                            let since = cell.record().since;
                            let took =
                                since.and_then(|since| (host.clock.now() - since).to_std().ok());
                            cell.run_ended(
                                &host.metrics,
                                Outcome::of(&ended),
                                took.unwrap_or_default(),
                            );
                        }
                        ended
                    } else {
                        Ok(())
                    }
                }
                Err(error) => Err(error),
            };
            // Tasks the attempt spawned with `cx.child_token()` end with it.
            cx.end_attempt();
            if token.is_cancelled() {
                if let Err(error) = ended {
                    tracing::debug!(service = %cell.name, %error, "service ended with an error while stopping");
                }
                break;
            }
            match after_end(&host, &cell, &mut intensity, ended) {
                // No delay means at once: tokio's timer would round a zero sleep up to
                // its next millisecond tick. Yielding still lets other tasks run.
                Some(delay) if delay.is_zero() => tokio::task::yield_now().await,
                Some(delay) => {
                    let backoff = token.run_until_cancelled(tokio::time::sleep(delay));
                    if Box::pin(backoff).await.is_none() {
                        break;
                    }
                }
                // Settled by the policy, or a stop arrived meanwhile: finish it.
                None if cell.current_state().is_settled() => return,
                None => break,
            }
        }
        host.transition(&cell, State::Stopped, None);
    }
}

/// Applies the restart policy to a run that ended by itself; `Some(delay)` means
/// restart after backing off that long, `None` that the service has settled.
fn after_end(
    host: &HostShared,
    cell: &ServiceCell,
    intensity: &mut Intensity,
    ended: Result<(), String>,
) -> Option<Duration> {
    if let Err(error) = &ended {
        tracing::warn!(service = %cell.name, %error, "service failed");
        cell.record().last_error = Some(error.clone());
    }
    let restart = &cell.spec.restart;
    match intensity.after_end(restart, ended.is_err()) {
        Verdict::GiveUp => {
            let (to, reason) = match ended {
                Err(error) => (State::Failed, error),
                Ok(()) => (State::Stopped, "completed".to_owned()),
            };
            host.transition(cell, to, Some(reason));
            None
        }
        Verdict::Exceeded => {
            let reason = format!(
                "restart intensity exceeded: {} restarts within {}",
                restart.max_restarts,
                humantime::format_duration(restart.window)
            );
            host.transition(cell, State::Failed, Some(reason));
            None
        }
        Verdict::Restart(delay) => {
            cell.record().restarts += 1;
            let why = ended.err().unwrap_or_else(|| "completed".to_owned());
            let reason = format!("restarting in {}: {why}", format_delay(delay));
            host.advance(cell, State::BackingOff, Some(reason))
                .then_some(delay)
        }
    }
}

/// Waits until every dependency is running; false if cancelled first.
async fn wait_for_dependencies(
    host: &HostShared,
    cell: &ServiceCell,
    token: &CancellationToken,
) -> bool {
    for &index in &cell.spec.depends_on {
        let dependency = &host.cells[index];
        if dependency.current_state() == State::Running {
            continue;
        }
        tracing::debug!(service = %cell.name, dependency = %dependency.name, "waiting for dependency");
        let running = dependency.state.wait_for(|state| state == State::Running);
        if token.run_until_cancelled(running).await.is_none() {
            return false;
        }
    }
    !token.is_cancelled()
}

/// A backoff delay to the millisecond, for people.
fn format_delay(delay: Duration) -> String {
    let millis = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
    humantime::format_duration(Duration::from_millis(millis)).to_string()
}
