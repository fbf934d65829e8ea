//! Checks of a service definition and its table that do not need the other
//! services: keys and options that fit the kind, names, schedules.

use std::collections::HashMap;

use crate::config::{Config, ConfigError, Origin, ServiceConfig};
use crate::schedule::Schedule;
use crate::service::{BuiltinKind, ServiceDef, ServiceKind, ServiceOptions, TableKey};

/// Every `[services.x]` table must name a registered service or a known kind.
pub(super) fn check_config_tables(
    defs: &[ServiceDef],
    config: &Config,
    kinds: &[BuiltinKind],
    errors: &mut Vec<ConfigError>,
) {
    if config.services.is_empty() {
        return;
    }
    let registered: HashMap<&str, Option<&str>> = defs
        .iter()
        .map(|def| (def.name.as_str(), def.builtin))
        .collect();
    let names: Vec<&str> = defs.iter().map(|def| def.name.as_str()).collect();
    for (name, table) in &config.services {
        if let Some(builtin) = registered.get(name.as_str()) {
            if table.kind.is_some() && table.kind.as_deref() != *builtin {
                let reason = format!("`{name}` is defined in code; remove `kind`");
                errors.push(config.error_at(format!("services.{name}.kind"), reason));
            }
            continue;
        }
        let key = format!("services.{name}");
        let reason = match &table.kind {
            Some(kind) => unknown_kind(kind, kinds),
            None => {
                let mut reason = format!("no service named `{name}` is registered");
                if let Some(best) = crate::config::closest(name, &names) {
                    reason.push_str(&format!("; did you mean `{best}`?"));
                } else if !names.is_empty() {
                    reason.push_str(&format!(" (registered: {})", names.join(", ")));
                }
                reason
            }
        };
        errors.push(config.error_at(key, reason));
    }
}

fn unknown_kind(kind: &str, kinds: &[BuiltinKind]) -> String {
    let known: Vec<&str> = kinds.iter().map(BuiltinKind::name).collect();
    let mut reason = format!("unknown service kind `{kind}`");
    if let Some(best) = crate::config::closest(kind, &known) {
        reason.push_str(&format!("; did you mean `{best}`?"));
    } else if known.is_empty() {
        reason.push_str(": no built-in service kinds are linked into this program");
    } else {
        reason.push_str(&format!(" (known kinds: {})", known.join(", ")));
    }
    reason
}

/// Schedule keys on a continuous service, `continue_on_failure` on a periodic one,
/// `on` on a service that does not read it…
pub(super) fn check_keys_fit_kind(
    def: &ServiceDef,
    table: &ServiceConfig,
    config: &Config,
    errors: &mut Vec<ConfigError>,
) {
    let (name, kind) = (def.name.as_str(), def.kind);
    let reads = |key: TableKey| def.table_keys.contains(&key);
    let own_schedule = reads(TableKey::Interval) || reads(TableKey::Cron);
    let schedule_keys = [
        (
            "interval",
            table.interval.is_some() && !reads(TableKey::Interval),
        ),
        ("cron", table.cron.is_some() && !reads(TableKey::Cron)),
        ("timezone", table.timezone.is_some()),
        ("initial_delay", table.initial_delay.is_some()),
        ("run_on_startup", table.run_on_startup.is_some()),
    ];
    let mut misplaced: Vec<(&str, String)> = Vec::new();
    if kind != ServiceKind::Periodic {
        for (field, present) in schedule_keys {
            if !present {
                continue;
            }
            let reason = if own_schedule {
                let own: Vec<String> = def
                    .table_keys
                    .iter()
                    .filter(|key| matches!(key, TableKey::Interval | TableKey::Cron))
                    .map(|key| format!("`{key}`"))
                    .collect();
                format!(
                    "`{name}` keeps a schedule of its own and reads only {}",
                    own.join(" and ")
                )
            } else {
                format!("only periodic services have a schedule; `{name}` is a {kind} service")
            };
            misplaced.push((field, reason));
        }
    }
    if table.on.is_some() && !reads(TableKey::On) {
        let what = match def.builtin {
            Some(builtin) => format!("kind `{builtin}`"),
            None => format!("a {kind} service"),
        };
        misplaced.push((
            "on",
            format!("`{name}` ({what}) does not run per event of another service; remove `on`"),
        ));
    }
    if kind != ServiceKind::Startup && table.continue_on_failure.is_some() {
        misplaced.push((
            "continue_on_failure",
            format!("only startup services have this; `{name}` is a {kind} service"),
        ));
    }
    if kind == ServiceKind::Startup {
        if table.depends_on.is_some() {
            misplaced.push((
                "depends_on",
                "startup services run one by one in `startup_order`; use that instead".to_owned(),
            ));
        }
        if table.restart.is_some() {
            misplaced.push((
                "restart",
                "startup services run once and are not restarted".to_owned(),
            ));
        }
    }
    if table.interval.is_some() && table.cron.is_some() {
        misplaced.push((
            "cron",
            "give either `interval` or `cron`, not both".to_owned(),
        ));
    }
    for (field, reason) in misplaced {
        errors.push(config.error_at(format!("services.{name}.{field}"), reason));
    }
}

/// Options set in code that the service's kind has no use for.
pub(super) fn check_options_fit_kind(
    name: &str,
    kind: ServiceKind,
    options: &ServiceOptions,
    errors: &mut Vec<ConfigError>,
) {
    let mut misplaced: Vec<(&str, &str)> = Vec::new();
    if kind == ServiceKind::Startup {
        if !options.depends_on.is_empty() {
            misplaced.push((
                "depends_on",
                "startup services run one by one in `startup_order`; use that instead",
            ));
        }
        if options.restart.is_some() {
            misplaced.push(("restart", "startup services run once and are not restarted"));
        }
    } else if options.continue_on_failure {
        misplaced.push(("continue_on_failure", "only startup services have this"));
    }
    if kind != ServiceKind::Periodic && options.schedule.is_some() {
        misplaced.push(("schedule", "only periodic services have a schedule"));
    }
    for (field, reason) in misplaced {
        errors.push(ConfigError {
            origin: Origin::Code,
            key: format!("services.{name}.{field}"),
            reason: format!("{reason} (`{name}` is a {kind} service)"),
        });
    }
}

/// A cron schedule with no fire after now would leave the service idle for good.
pub(super) fn never_fires(schedule: &Schedule) -> bool {
    schedule
        .as_cron()
        .is_some_and(|cron| cron.next_after(chrono::Utc::now()).is_none())
}

/// Why a service name cannot be used, if it cannot: names appear in keys, URLs and
/// environment variables.
pub(super) fn invalid_name(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("a service name cannot be empty".to_owned());
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    name.chars().find(|c| !allowed(*c)).map(|c| {
        format!("`{c}` is not allowed in a service name (use letters, digits, `-` and `_`)")
    })
}

/// Applies the schedule keys of a service table to the code's schedule.
pub(super) fn schedule_from(
    base: Schedule,
    table: &ServiceConfig,
) -> Result<Schedule, (&'static str, String)> {
    let base_zone = base.as_cron().map(|cron| cron.timezone().to_owned());
    let mut schedule = match (&table.interval, &table.cron) {
        (Some(period), _) => Schedule {
            trigger: crate::schedule::Trigger::Every(*period),
            ..base
        },
        (None, Some(expression)) => {
            let mut cron =
                Schedule::cron(expression).map_err(|error| ("cron", error.to_string()))?;
            // A new expression keeps the zone the code read its own in.
            if let Some(zone) = &base_zone {
                cron = cron
                    .in_timezone(zone)
                    .map_err(|error| ("cron", error.to_string()))?;
            }
            Schedule {
                trigger: cron.trigger,
                ..base
            }
        }
        (None, None) => base,
    };
    if let Some(zone) = &table.timezone {
        if let Some(period) = schedule.period() {
            let reason = format!(
                "a time zone applies only to cron schedules; this one ticks every {}",
                humantime::format_duration(period)
            );
            return Err(("timezone", reason));
        }
        schedule = schedule
            .in_timezone(zone)
            .map_err(|error| ("timezone", error.to_string()))?;
    }
    if let Some(delay) = table.initial_delay {
        schedule = schedule.initial_delay(delay);
    }
    if let Some(run) = table.run_on_startup {
        schedule = schedule.with_run_on_startup(run);
    }
    Ok(schedule)
}
