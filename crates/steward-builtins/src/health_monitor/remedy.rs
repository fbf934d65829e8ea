//! Carrying out a remedy: restarting a service of the host, or running a program.

use steward::{Context, ServiceKind};

use super::command;
use super::error::HealthMonitorError;
use super::events::TargetRemedied;
use super::settings::{Remedy, Target};

/// Checks, as the monitor starts, that every `restart` remedy names another
/// service of this host that can be restarted.
pub(crate) fn check_all(cx: &Context, targets: &[Target]) -> Result<(), HealthMonitorError> {
    for target in targets {
        let Some(Remedy::Restart(service)) = &target.remedy else {
            continue;
        };
        let (target, service) = (target.name.clone(), service.clone());
        if service == cx.name() {
            return Err(HealthMonitorError::RestartsItself { target, service });
        }
        match cx.host().service(&service) {
            Err(_) => return Err(HealthMonitorError::UnknownService { target, service }),
            Ok(handle) if handle.status().kind == ServiceKind::Startup => {
                return Err(HealthMonitorError::StartupService { target, service });
            }
            Ok(_) => {}
        }
    }
    Ok(())
}

/// Carries out `remedy` for `target`, then says how it went in a
/// [`TargetRemedied`] event. Stopping the monitor ends a remedy program (killing
/// it); a restart already asked for goes on.
pub(crate) async fn apply(cx: Context, target: String, remedy: Remedy, attempt: u32) {
    tracing::warn!(name = %target, attempt, "{remedy}");
    let stop = cx.child_token();
    let outcome = match stop.run_until_cancelled(carry_out(&cx, &remedy)).await {
        Some(outcome) => outcome,
        None => return,
    };
    let error = outcome.err();
    match &error {
        Some(error) => tracing::warn!(name = %target, attempt, %error, "the remedy failed"),
        None => tracing::info!(name = %target, attempt, "{remedy}: done"),
    }
    let event = TargetRemedied {
        target,
        remedy: remedy.to_string(),
        attempt,
        error,
    };
    if let Err(error) = cx.emit(event).await {
        tracing::debug!(%error, "could not emit target.remedied");
    }
}

async fn carry_out(cx: &Context, remedy: &Remedy) -> Result<(), String> {
    match remedy {
        Remedy::Restart(service) => {
            let handle = cx
                .host()
                .service(service)
                .map_err(|error| error.to_string())?;
            handle.restart().await.map_err(|error| error.to_string())
        }
        Remedy::Command { command, timeout } => {
            let finished = command::run(command, *timeout)
                .await
                .map_err(|error| error.to_string())?;
            if finished.status.success() {
                return Ok(());
            }
            let mut reason = format!("`{command}` {}", command::describe(finished.status));
            if let Some(line) = finished.said {
                reason.push_str(": ");
                reason.push_str(&line);
            }
            Err(reason)
        }
    }
}
