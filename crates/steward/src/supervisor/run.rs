//! The supervision loop of a continuous or periodic service.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::cell::ServiceCell;
use super::guard::{guarded, guarded_within};
use super::ticks::tick_loop;
use crate::context::Context;
use crate::host::HostShared;
use crate::restart::{Intensity, Verdict};
use crate::service::Body;
use crate::state::State;

/// Starts, runs and restarts one service until it is cancelled or gives up.
pub(super) async fn supervise(
    host: Arc<HostShared>,
    cell: Arc<ServiceCell>,
    token: CancellationToken,
) {
    let mut intensity = Intensity::new();
    loop {
        if !wait_for_dependencies(&host, &cell, &token).await {
            break;
        }
        host.transition(&cell, State::Starting, None);
        let cx = Context::new(host.clone(), cell.clone(), token.clone());
        let ended = match start(&cell, &cx).await {
            Ok(()) if token.is_cancelled() => break,
            Ok(()) => {
                cell.record().has_run = true;
                host.transition(&cell, State::Running, None);
                run(&host, &cell, &cx).await
            }
            Err(error) => Err(error),
        };
        if token.is_cancelled() {
            if let Err(error) = ended {
                tracing::debug!(service = %cell.name, %error, "service ended with an error while stopping");
            }
            break;
        }
        if let Err(error) = &ended {
            tracing::warn!(service = %cell.name, %error, "service failed");
            cell.record().last_error = Some(error.clone());
        }
        let failed = ended.is_err();
        match intensity.after_end(&cell.spec.restart, failed) {
            Verdict::GiveUp => {
                let (to, reason) = match ended {
                    Err(error) => (State::Failed, error),
                    Ok(()) => (State::Stopped, "completed".to_owned()),
                };
                host.transition(&cell, to, Some(reason));
                return;
            }
            Verdict::Exceeded => {
                let restart = &cell.spec.restart;
                let reason = format!(
                    "restart intensity exceeded: {} restarts within {}",
                    restart.max_restarts,
                    humantime::format_duration(restart.window)
                );
                host.transition(&cell, State::Failed, Some(reason));
                return;
            }
            Verdict::Restart(delay) => {
                cell.record().restarts += 1;
                let why = ended.err().unwrap_or_else(|| "completed".to_owned());
                let reason = format!("restarting in {}: {why}", format_delay(delay));
                host.transition(&cell, State::BackingOff, Some(reason));
                if token
                    .run_until_cancelled(tokio::time::sleep(delay))
                    .await
                    .is_none()
                {
                    break;
                }
            }
        }
    }
    host.transition(&cell, State::Stopped, None);
}

async fn start(cell: &ServiceCell, cx: &Context) -> Result<(), String> {
    let limit = cell.spec.timeout;
    match &cell.body {
        Body::Continuous(service) => guarded_within(limit, "start", service.start(cx)).await,
        Body::Periodic(service) => guarded_within(limit, "start", service.start(cx)).await,
        Body::Startup(_) => Ok(()),
    }
}

async fn run(host: &HostShared, cell: &ServiceCell, cx: &Context) -> Result<(), String> {
    match &cell.body {
        Body::Continuous(service) => guarded(service.run(cx)).await,
        Body::Periodic(service) => {
            let schedule = cell
                .spec
                .schedule
                .clone()
                .unwrap_or_else(|| service.schedule());
            tick_loop(host, cell, cx, service.as_ref(), schedule).await;
            Ok(())
        }
        Body::Startup(_) => Ok(()),
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
        let mut state = dependency.state.subscribe();
        if *state.borrow() == State::Running {
            continue;
        }
        tracing::debug!(service = %cell.name, dependency = %dependency.name, "waiting for dependency");
        let running = token
            .run_until_cancelled(state.wait_for(|state| *state == State::Running))
            .await;
        if !matches!(running, Some(Ok(_))) {
            return false;
        }
    }
    !token.is_cancelled()
}

fn format_delay(delay: std::time::Duration) -> String {
    let millis = delay.as_millis();
    humantime::format_duration(std::time::Duration::from_millis(millis as u64)).to_string()
}
