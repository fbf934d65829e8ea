//! Turns service definitions and configuration into cells in start order, checking
//! everything first: unknown services, misplaced keys, settings, dependencies, cycles.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::sync::Arc;

use crate::config::{Config, ConfigError, ConfigErrors, Environment, Origin, ServiceConfig};
use crate::restart::{Restart, RestartPolicy};
use crate::schedule::Schedule;
use crate::service::{Body, ServiceDef, ServiceKind, ServiceOptions};
use crate::supervisor::{ServiceCell, Spec};

/// Cells in their final order and the orders derived from the dependency graph.
pub(crate) struct Plan {
    pub(crate) cells: Vec<Arc<ServiceCell>>,
    pub(crate) by_name: HashMap<Arc<str>, usize>,
    pub(crate) startup: Vec<usize>,
    pub(crate) sequence: Vec<usize>,
    pub(crate) stop_waves: Vec<Vec<usize>>,
}

/// One definition on its way to becoming a cell.
struct Draft {
    name: Arc<str>,
    body: Body,
    spec: Spec,
    depends_on: Vec<String>,
    depends_from_config: bool,
}

pub(crate) fn plan(
    defs: Vec<ServiceDef>,
    config: &Config,
    environment: Environment,
) -> Result<Plan, ConfigErrors> {
    let mut errors = Vec::new();
    check_config_tables(&defs, config, &mut errors);
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
    resolve_dependencies(&mut drafts, &by_name, &unbuilt, config, &mut errors);
    if errors.is_empty() {
        if let Some(cycle) = find_cycle(&drafts) {
            let names: Vec<&str> = cycle.iter().map(|&index| &*drafts[index].name).collect();
            let first = cycle[0];
            let key = format!("services.{}.depends_on", drafts[first].name);
            let reason = format!("dependency cycle: {}", names.join(" → "));
            errors.push(origin_error(
                config,
                key,
                reason,
                drafts[first].depends_from_config,
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ConfigErrors(errors));
    }
    disable_dependents_of_disabled(&mut drafts);
    Ok(order(drafts, by_name))
}

/// Every `[services.x]` table must name a registered service.
fn check_config_tables(defs: &[ServiceDef], config: &Config, errors: &mut Vec<ConfigError>) {
    if config.services.is_empty() {
        return;
    }
    let registered: HashSet<&str> = defs.iter().map(|def| def.name.as_str()).collect();
    let names: Vec<&str> = defs.iter().map(|def| def.name.as_str()).collect();
    for (name, table) in &config.services {
        if registered.contains(name.as_str()) {
            if table.kind.is_some() {
                let reason = format!("`{name}` is defined in code; remove `kind`");
                errors.push(config.error_at(format!("services.{name}.kind"), reason));
            }
            continue;
        }
        let key = format!("services.{name}");
        let reason = match &table.kind {
            Some(kind) => format!(
                "unknown service kind `{kind}`: no built-in service of that kind is linked into this program"
            ),
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
    check_keys_fit_kind(&name, def.kind, table, config, errors);
    check_options_fit_kind(&name, def.kind, &def.options, errors);

    let body = match (def.factory)(table.settings.clone()) {
        Ok(body) => Some(body),
        Err(error) => {
            errors.push(config.error_at(error.key_under(&key("settings")), error.reason));
            None
        }
    };
    let options = def.options;
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
        disabled,
        critical: table.critical.unwrap_or(options.critical),
        order: table.startup_order.unwrap_or(options.order),
        depends_on: Vec::new(),
        restart,
        stop_timeout: table
            .stop_timeout
            .or(options.stop_timeout)
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
    })
}

/// Schedule keys on a continuous service, `continue_on_failure` on a periodic one…
fn check_keys_fit_kind(
    name: &str,
    kind: ServiceKind,
    table: &ServiceConfig,
    config: &Config,
    errors: &mut Vec<ConfigError>,
) {
    let schedule_keys = [
        ("interval", table.interval.is_some()),
        ("cron", table.cron.is_some()),
        ("timezone", table.timezone.is_some()),
        ("initial_delay", table.initial_delay.is_some()),
        ("run_on_startup", table.run_on_startup.is_some()),
    ];
    let mut misplaced: Vec<(&str, String)> = Vec::new();
    if kind != ServiceKind::Periodic {
        for (field, present) in schedule_keys {
            if present {
                misplaced.push((
                    field,
                    format!("only periodic services have a schedule; `{name}` is a {kind} service"),
                ));
            }
        }
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
fn check_options_fit_kind(
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
fn never_fires(schedule: &Schedule) -> bool {
    schedule
        .as_cron()
        .is_some_and(|cron| cron.next_after(chrono::Utc::now()).is_none())
}

/// Why a service name cannot be used, if it cannot: names appear in keys, URLs and
/// environment variables.
fn invalid_name(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("a service name cannot be empty".to_owned());
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    name.chars().find(|c| !allowed(*c)).map(|c| {
        format!("`{c}` is not allowed in a service name (use letters, digits, `-` and `_`)")
    })
}

/// Applies the schedule keys of a service table to the code's schedule.
fn schedule_from(
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

fn resolve_dependencies(
    drafts: &mut [Draft],
    by_name: &HashMap<Arc<str>, usize>,
    unbuilt: &HashSet<Arc<str>>,
    config: &Config,
    errors: &mut Vec<ConfigError>,
) {
    let kinds: Vec<ServiceKind> = drafts.iter().map(|draft| draft.spec.kind).collect();
    for draft in drafts.iter_mut() {
        for dependency in &draft.depends_on {
            let problem = match by_name.get(dependency.as_str()) {
                None if unbuilt.contains(dependency.as_str()) => None,
                None => Some(format!("unknown service `{dependency}`")),
                Some(&index) if kinds[index] == ServiceKind::Startup => Some(format!(
                    "`{dependency}` is a startup service; every startup service finishes before other services start"
                )),
                Some(&index) => {
                    draft.spec.depends_on.push(index);
                    None
                }
            };
            if let Some(reason) = problem {
                let key = format!("services.{}.depends_on", draft.name);
                errors.push(origin_error(config, key, reason, draft.depends_from_config));
            }
        }
    }
}

/// A dependency cycle as indices, first repeated at the end, if there is one.
fn find_cycle(drafts: &[Draft]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        at: usize,
        drafts: &[Draft],
        marks: &mut [Mark],
        path: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        marks[at] = Mark::Open;
        path.push(at);
        for &next in &drafts[at].spec.depends_on {
            match marks[next] {
                Mark::Open => {
                    let start = path.iter().position(|&index| index == next).unwrap_or(0);
                    let mut cycle = path[start..].to_vec();
                    cycle.push(next);
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(cycle) = visit(next, drafts, marks, path) {
                        return Some(cycle);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks[at] = Mark::Done;
        None
    }
    let mut marks = vec![Mark::New; drafts.len()];
    let mut path = Vec::new();
    (0..drafts.len()).find_map(|start| {
        if marks[start] == Mark::New {
            visit(start, drafts, &mut marks, &mut path)
        } else {
            None
        }
    })
}

/// A service cannot run without its dependencies: disable it with them.
fn disable_dependents_of_disabled(drafts: &mut [Draft]) {
    loop {
        let mut changed = false;
        for index in 0..drafts.len() {
            if drafts[index].spec.disabled.is_some() {
                continue;
            }
            let off = drafts[index]
                .spec
                .depends_on
                .iter()
                .find(|&&dependency| drafts[dependency].spec.disabled.is_some())
                .map(|&dependency| drafts[dependency].name.clone());
            if let Some(dependency) = off {
                drafts[index].spec.disabled =
                    Some(format!("depends on disabled service `{dependency}`"));
                changed = true;
            }
        }
        if !changed {
            return;
        }
    }
}

/// Startup services by order; the others topologically, lower order first; stop waves.
fn order(drafts: Vec<Draft>, mut by_name: HashMap<Arc<str>, usize>) -> Plan {
    let count = drafts.len();
    let mut startup: Vec<usize> = (0..count)
        .filter(|&index| drafts[index].spec.kind == ServiceKind::Startup)
        .collect();
    startup.sort_by_key(|&index| (drafts[index].spec.order, index));

    let mut dependents = vec![Vec::new(); count];
    let mut waiting = vec![0usize; count];
    for (index, draft) in drafts.iter().enumerate() {
        waiting[index] = draft.spec.depends_on.len();
        for &dependency in &draft.spec.depends_on {
            dependents[dependency].push(index);
        }
    }
    let mut ready: BinaryHeap<Reverse<(i32, usize)>> = (0..count)
        .filter(|&index| drafts[index].spec.kind != ServiceKind::Startup && waiting[index] == 0)
        .map(|index| Reverse((drafts[index].spec.order, index)))
        .collect();
    let mut sequence = Vec::with_capacity(count);
    while let Some(Reverse((_, index))) = ready.pop() {
        sequence.push(index);
        for &dependent in &dependents[index] {
            waiting[dependent] -= 1;
            if waiting[dependent] == 0 {
                ready.push(Reverse((drafts[dependent].spec.order, dependent)));
            }
        }
    }

    // Final positions: startup services first, then the start sequence.
    let final_order: Vec<usize> = startup.iter().chain(&sequence).copied().collect();
    let mut position = vec![0usize; count];
    for (at, &index) in final_order.iter().enumerate() {
        position[index] = at;
    }
    let stop_waves = stop_waves(&drafts, &sequence, &dependents)
        .into_iter()
        .map(|wave| wave.into_iter().map(|index| position[index]).collect())
        .collect();

    let mut slots: Vec<Option<Draft>> = drafts.into_iter().map(Some).collect();
    let cells = final_order
        .iter()
        .filter_map(|&index| slots[index].take())
        .map(|mut draft| {
            let names = draft.depends_on.clone();
            draft.spec.depends_on = draft
                .spec
                .depends_on
                .iter()
                .map(|&index| position[index])
                .collect();
            Arc::new(ServiceCell::new(draft.name, draft.body, draft.spec, names))
        })
        .collect();
    for index in by_name.values_mut() {
        *index = position[*index];
    }
    Plan {
        cells,
        by_name,
        startup: (0..startup.len()).collect(),
        sequence: (startup.len()..count).collect(),
        stop_waves,
    }
}

/// Groups for shutdown: higher effective order first (a service's effective order is
/// at least that of what it depends on), and within an order, dependents before
/// their dependencies. Services in one wave stop concurrently.
fn stop_waves(drafts: &[Draft], sequence: &[usize], dependents: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut effective = vec![i32::MIN; drafts.len()];
    for &index in sequence {
        let inherited = drafts[index]
            .spec
            .depends_on
            .iter()
            .map(|&dependency| effective[dependency])
            .max();
        effective[index] = inherited.map_or(drafts[index].spec.order, |order| {
            order.max(drafts[index].spec.order)
        });
    }
    // Height: 0 for a service nothing in its group depends on; dependents stop first.
    let mut height = vec![0usize; drafts.len()];
    for &index in sequence.iter().rev() {
        height[index] = dependents[index]
            .iter()
            .filter(|&&dependent| effective[dependent] == effective[index])
            .map(|&dependent| height[dependent] + 1)
            .max()
            .unwrap_or(0);
    }
    let mut waves: BTreeMap<(Reverse<i32>, usize), Vec<usize>> = BTreeMap::new();
    for &index in sequence {
        waves
            .entry((Reverse(effective[index]), height[index]))
            .or_default()
            .push(index);
    }
    waves.into_values().collect()
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
