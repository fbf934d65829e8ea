//! Turns service definitions and configuration into cells in start order, checking
//! everything first: unknown services, misplaced keys, settings, dependencies, cycles.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::action::Mailbox;
use crate::action::dispatch::ServiceActions;
use crate::config::{Config, ConfigError, ConfigErrors, Environment, Origin, ServiceConfig};
use crate::restart::{Restart, RestartPolicy};
use crate::schedule::Schedule;
use crate::service::{Body, BuiltinKind, ServiceDef, ServiceKind, TableKey, hand_over};
use crate::supervisor::{ServiceCell, Spec};

mod graph;
mod validate;

use graph::{disable_dependents_of_disabled, find_cycle, order, resolve_dependencies};
use validate::{
    check_config_tables, check_keys_fit_kind, check_options_fit_kind, invalid_name, never_fires,
    schedule_from,
};

/// Cells in their final order and the orders derived from the dependency graph.
pub(crate) struct Plan {
    pub(crate) cells: Vec<Arc<ServiceCell>>,
    pub(crate) by_name: HashMap<Arc<str>, usize>,
    /// How many of `cells` (the first ones) are startup services.
    pub(crate) startup_count: usize,
    pub(crate) stop_waves: Vec<Vec<usize>>,
}

/// One definition on its way to becoming a cell.
struct Draft {
    name: Arc<str>,
    body: Body,
    spec: Spec,
    depends_on: Vec<String>,
    depends_from_config: bool,
    /// Services whose events it subscribes to: they depend on it.
    listens_to: Vec<String>,
    /// Where its table names them: `on`, or somewhere in its settings.
    listens_at: &'static str,
    actions: Option<Box<ServiceActions>>,
}

pub(crate) fn plan(
    defs: Vec<ServiceDef>,
    config: &Config,
    environment: Environment,
    kinds: &[BuiltinKind],
) -> Result<Plan, ConfigErrors> {
    let mut errors = Vec::new();
    check_config_tables(&defs, config, kinds, &mut errors);
    let base_restart = config.host.restart.apply_to(&Restart::default());
    let empty = ServiceConfig::default();
    let mut drafts = Vec::with_capacity(defs.len());
    let mut by_name: HashMap<Arc<str>, usize> = HashMap::with_capacity(defs.len());
    // Services not built because of errors already reported; naming them is no error.
    let mut unbuilt: HashSet<Arc<str>> = HashSet::new();
    for def in defs {
        let name: Arc<str> = Arc::from(def.name.as_str());
        if let Some(reason) = invalid_name(&name) {
            errors.push(code_error(&name, &reason));
            continue;
        }
        if by_name.contains_key(&name) || unbuilt.contains(&name) {
            errors.push(code_error(
                &name,
                "a service with this name is registered twice",
            ));
            continue;
        }
        if config.invalid_services.contains(&*name) {
            unbuilt.insert(name);
            continue;
        }
        let table = config.services.get(&*name).unwrap_or(&empty);
        let context = DraftContext {
            config,
            environment,
            base_restart: &base_restart,
        };
        match draft(def, name.clone(), table, &context, &mut errors) {
            Some(draft) => {
                by_name.insert(name, drafts.len());
                drafts.push(draft);
            }
            None => {
                unbuilt.insert(name);
            }
        }
    }
    order_listeners_first(&mut drafts, &by_name, &unbuilt, config, &mut errors);
    resolve_dependencies(&mut drafts, &by_name, &unbuilt, config, &mut errors);
    if errors.is_empty()
        && let Some(mut cycle) = find_cycle(&drafts)
    {
        // Told from the first member whose dependencies the configuration set,
        // if any: that is where the cycle can be mended without a rebuild.
        cycle.pop();
        let from_config = cycle
            .iter()
            .position(|&index| drafts[index].depends_from_config);
        cycle.rotate_left(from_config.unwrap_or(0));
        let first = cycle[0];
        cycle.push(first);
        let names: Vec<&str> = cycle.iter().map(|&index| &*drafts[index].name).collect();
        let key = format!("services.{}.depends_on", drafts[first].name);
        let reason = format!("dependency cycle: {}", names.join(" → "));
        errors.push(origin_error(
            config,
            key,
            reason,
            drafts[first].depends_from_config,
        ));
    }
    if !errors.is_empty() {
        return Err(ConfigErrors(errors));
    }
    disable_dependents_of_disabled(&mut drafts);
    Ok(order(drafts, by_name))
}

/// What every draft needs besides its own definition and table.
struct DraftContext<'a> {
    config: &'a Config,
    environment: Environment,
    base_restart: &'a Restart,
}

fn draft(
    def: ServiceDef,
    name: Arc<str>,
    table: &ServiceConfig,
    context: &DraftContext<'_>,
    errors: &mut Vec<ConfigError>,
) -> Option<Draft> {
    let DraftContext {
        config,
        environment,
        base_restart,
    } = *context;
    let key = |field: &str| format!("services.{name}.{field}");
    let before = errors.len();
    check_keys_fit_kind(&def, table, config, errors);
    check_options_fit_kind(&name, def.kind, &def.options, errors);
    for reason in &def.misused {
        errors.push(code_error(&name, reason));
    }

    let body = match hand_over(&def.table_keys, table) {
        Ok(handed) => match def.factory.make(handed.settings) {
            Ok(body) => Some(body),
            Err(error) => {
                // A problem with a key the table gave is told at that key.
                let at = match error.first_key() {
                    Some(first) if handed.keys.iter().any(|key| key.as_str() == first) => {
                        error.key_under(&format!("services.{name}"))
                    }
                    _ => error.key_under(&key("settings")),
                };
                errors.push(config.error_at(at, error.reason));
                None
            }
        },
        Err(problems) => {
            for (field, reason) in problems {
                errors.push(config.error_at(key(field.as_str()), reason));
            }
            None
        }
    };
    let action_keys = [
        ("max_concurrency", table.max_concurrency),
        ("mailbox", table.mailbox),
    ];
    if def.actions.is_none() {
        for (field, value) in action_keys {
            if value.is_some() {
                let reason = format!("`{name}` has no actions, so nothing to set here");
                errors.push(config.error_at(key(field), reason));
            }
        }
    }
    for (field, value) in action_keys {
        if value == Some(0) {
            errors.push(config.error_at(key(field), "must be at least 1".to_owned()));
        }
    }
    let actions = def.actions.and_then(|actions| {
        let body = body.as_ref()?;
        if def.kind == ServiceKind::Startup {
            errors.push(code_error(&name, "startup services take no actions"));
            return None;
        }
        if actions.table.service_type() != body.service().type_id() {
            let reason = format!(
                "its actions are for `{}`, which is not the service's type",
                actions.type_name
            );
            errors.push(code_error(&name, &reason));
            return None;
        }
        // Boxed: most services have no actions and should not carry a mailbox's size.
        let capacity = table.mailbox.unwrap_or(actions.capacity);
        let max_concurrency = table.max_concurrency.unwrap_or(actions.max_concurrency);
        Some(Box::new(ServiceActions::new(
            actions.table,
            Mailbox::new(capacity),
            max_concurrency,
        )))
    });
    let options = def.options;
    let emits = def.emits.into_boxed_slice();
    let schedule = match &body {
        Some(Body::Supervised(service)) if def.kind == ServiceKind::Periodic => {
            let base = options
                .schedule
                .clone()
                .or_else(|| service.schedule())
                .unwrap_or_else(|| Schedule::every(std::time::Duration::ZERO));
            match schedule_from(base, table) {
                Ok(schedule) if schedule.period().is_some_and(|period| period.is_zero()) => {
                    let field = if table.interval.is_some() {
                        "interval"
                    } else {
                        "schedule"
                    };
                    errors.push(origin_error(
                        config,
                        key(field),
                        "the period must be longer than zero".to_owned(),
                        table.interval.is_some(),
                    ));
                    None
                }
                Ok(schedule) if never_fires(&schedule) => {
                    let field = if table.cron.is_some() {
                        "cron"
                    } else {
                        "schedule"
                    };
                    let reason = "this cron expression matches no future time".to_owned();
                    errors.push(origin_error(
                        config,
                        key(field),
                        reason,
                        table.cron.is_some(),
                    ));
                    None
                }
                Ok(schedule) => Some(schedule),
                Err((field, reason)) => {
                    errors.push(config.error_at(key(field), reason));
                    None
                }
            }
        }
        _ => None,
    };
    let environments = table.environments.clone().or(options.environments);
    let enabled = table.enabled.unwrap_or(!options.disabled);
    let disabled = if !enabled {
        Some("disabled by configuration".to_owned())
    } else {
        environments
            .filter(|allowed| !allowed.contains(&environment))
            .map(|_| format!("not enabled in the `{environment}` environment"))
    };
    let restart = table
        .restart
        .as_ref()
        .map(|restart| restart.apply_to(options.restart.as_ref().unwrap_or(base_restart)))
        .or(options.restart)
        .unwrap_or_else(|| base_restart.clone());
    let window_in_config = table.restart.as_ref().and_then(|r| r.window).is_some()
        || config.host.restart.window.is_some();
    if restart.window.is_zero() && restart.policy != RestartPolicy::Never && !window_in_config {
        let reason = "the restart window must be longer than zero".to_owned();
        errors.push(code_error(&name, &reason));
    }
    let host = &config.host;
    let spec = Spec {
        kind: def.kind,
        builtin: def.builtin,
        disabled,
        critical: table.critical.unwrap_or(options.critical),
        order: table.startup_order.unwrap_or(options.order),
        depends_on: Vec::new(),
        restart,
        stop_timeout: table
            .stop_timeout
            .or(options.stop_timeout)
            .or_else(|| match &body {
                Some(Body::Supervised(service)) => service.stop_timeout(),
                _ => None,
            })
            .unwrap_or(host.stop_timeout),
        timeout: table
            .timeout
            .or(options.timeout)
            .unwrap_or(host.start_timeout),
        continue_on_failure: table
            .continue_on_failure
            .unwrap_or(options.continue_on_failure)
            || !host.fail_fast_on_startup_failure,
        schedule,
        emits,
    };
    let listens_to = match &body {
        Some(Body::Supervised(service)) => service.listens_to(),
        _ => Vec::new(),
    };
    let listens_at = if table.on.is_some() && def.table_keys.contains(&TableKey::On) {
        "on"
    } else {
        "settings"
    };
    let depends_from_config = table.depends_on.is_some();
    let depends_on = table.depends_on.clone().unwrap_or(options.depends_on);
    if errors.len() > before {
        return None;
    }
    Some(Draft {
        name,
        body: body?,
        spec,
        depends_on,
        depends_from_config,
        listens_to,
        listens_at,
        actions,
    })
}

/// A service that listens to another's events must be running before that one
/// starts, and stop after it: the source depends on its listeners. A disabled
/// listener holds nothing up.
fn order_listeners_first(
    drafts: &mut [Draft],
    by_name: &HashMap<Arc<str>, usize>,
    unbuilt: &HashSet<Arc<str>>,
    config: &Config,
    errors: &mut Vec<ConfigError>,
) {
    let mut edges = Vec::new();
    for draft in drafts.iter() {
        let key = || format!("services.{}.{}", draft.name, draft.listens_at);
        for source in &draft.listens_to {
            match by_name.get(source.as_str()) {
                Some(_) if *source == *draft.name => {
                    let reason = "a service cannot listen to its own events".to_owned();
                    errors.push(config.error_at(key(), reason));
                }
                Some(_) if draft.spec.disabled.is_some() => {}
                Some(&index) => edges.push((index, draft.name.to_string())),
                None if unbuilt.contains(source.as_str()) => {}
                None => {
                    let reason =
                        format!("listens to `{source}`, which is not a service of this host");
                    errors.push(config.error_at(key(), reason));
                }
            }
        }
    }
    for (source, listener) in edges {
        if !drafts[source].depends_on.contains(&listener) {
            drafts[source].depends_on.push(listener);
        }
    }
}

fn code_error(name: &str, reason: &str) -> ConfigError {
    ConfigError {
        origin: Origin::Code,
        key: format!("services.{name}"),
        reason: reason.to_owned(),
    }
}

fn origin_error(config: &Config, key: String, reason: String, from_config: bool) -> ConfigError {
    if from_config {
        config.error_at(key, reason)
    } else {
        ConfigError {
            origin: Origin::Code,
            key,
            reason,
        }
    }
}
