//! A service's effective configuration: what it runs with after code, the file
//! and the environment, written as a `[services.NAME]` table would be.

use serde_json::Value;

use crate::config::{RestartConfig, ServiceConfig};
use crate::host::HostShared;
use crate::schedule::Trigger;
use crate::service::ServiceKind;
use crate::supervisor::ServiceCell;

/// The table `cell` runs with: every option, whether code, the file or the
/// environment set it, or it kept its default.
pub(super) fn effective_config(host: &HostShared, cell: &ServiceCell) -> Value {
    let table = host.config.services.get(&*cell.name);
    let spec = &cell.spec;
    let restart = &spec.restart;
    let mut config = ServiceConfig {
        kind: spec.builtin.map(str::to_owned),
        enabled: Some(spec.disabled.is_none()),
        environments: table.and_then(|table| table.environments.clone()),
        critical: Some(spec.critical),
        startup_order: Some(spec.order),
        depends_on: Some(
            spec.depends_on
                .iter()
                .map(|&index| host.cells[index].name.to_string())
                .collect(),
        ),
        timeout: Some(spec.timeout),
        stop_timeout: Some(spec.stop_timeout),
        restart: Some(RestartConfig {
            policy: Some(restart.policy),
            max_restarts: Some(restart.max_restarts),
            window: Some(restart.window),
            backoff: Some(restart.backoff),
            jitter: Some(restart.backoff.jitter),
        }),
        max_concurrency: cell.actions.as_ref().map(|actions| actions.max_concurrency),
        mailbox: cell
            .actions
            .as_ref()
            .map(|actions| actions.mailbox.capacity()),
        settings: table.and_then(|table| table.settings.clone()),
        // Keys the service reads itself (the host has checked that it does).
        on: table.and_then(|table| table.on.clone()),
        ..ServiceConfig::default()
    };
    if spec.kind == ServiceKind::Startup {
        config.continue_on_failure = Some(spec.continue_on_failure);
    }
    if let Some(schedule) = &spec.schedule {
        match &schedule.trigger {
            Trigger::Every(period) => config.interval = Some(*period),
            Trigger::Cron(cron) => {
                config.cron = Some(cron.expression().to_owned());
                config.timezone = Some(cron.timezone().to_owned());
            }
            Trigger::OnDemand => {}
        }
        config.initial_delay = Some(schedule.initial_delay);
        config.run_on_startup = Some(schedule.run_on_startup);
    } else if let Some(table) = table {
        // A continuous service that keeps a schedule of its own.
        config.interval = table.interval;
        config.cron = table.cron.clone();
    }
    serde_json::to_value(config).unwrap_or_else(|_| Value::Object(Default::default()))
}
