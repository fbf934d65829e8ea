//! The dependency graph: resolving names, finding cycles, the start sequence and
//! the stop waves.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::sync::Arc;

use super::{Draft, Plan, origin_error};
use crate::config::{Config, ConfigError};
use crate::service::ServiceKind;
use crate::supervisor::ServiceCell;

pub(super) fn resolve_dependencies(
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
pub(super) fn find_cycle(drafts: &[Draft]) -> Option<Vec<usize>> {
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
pub(super) fn disable_dependents_of_disabled(drafts: &mut [Draft]) {
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
pub(super) fn order(drafts: Vec<Draft>, mut by_name: HashMap<Arc<str>, usize>) -> Plan {
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
    // Always the lowest (order, index) among the services ready to start. Those
    // ready from the outset are sorted once (usually already in order, so cheaply);
    // those freed by a dependency go through a heap, and the two are merged.
    let mut initial: Vec<(i32, usize)> = (0..count)
        .filter(|&index| drafts[index].spec.kind != ServiceKind::Startup && waiting[index] == 0)
        .map(|index| (drafts[index].spec.order, index))
        .collect();
    initial.sort_unstable();
    let mut initial = initial.into_iter().peekable();
    let mut freed: BinaryHeap<Reverse<(i32, usize)>> = BinaryHeap::new();
    let mut sequence = Vec::with_capacity(count);
    loop {
        let from_initial = match (initial.peek(), freed.peek()) {
            (Some(first), Some(Reverse(other))) => first <= other,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let next = if from_initial {
            initial.next()
        } else {
            freed.pop().map(|Reverse(next)| next)
        };
        let Some((_, index)) = next else { break };
        sequence.push(index);
        for &dependent in &dependents[index] {
            waiting[dependent] -= 1;
            if waiting[dependent] == 0 {
                freed.push(Reverse((drafts[dependent].spec.order, dependent)));
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

    // Cells are made in definition order and only their pointers are put in start
    // order: moving the drafts themselves would copy every one of them once more.
    let mut made: Vec<Option<Arc<ServiceCell>>> = drafts
        .into_iter()
        .map(|mut draft| {
            for dependency in &mut draft.spec.depends_on {
                *dependency = position[*dependency];
            }
            Some(Arc::new(ServiceCell::new(
                draft.name,
                draft.body,
                draft.spec,
                draft.depends_on,
                draft.actions,
            )))
        })
        .collect();
    let cells = final_order
        .iter()
        .filter_map(|&index| made[index].take())
        .collect();
    for index in by_name.values_mut() {
        *index = position[*index];
    }
    Plan {
        cells,
        by_name,
        startup_count: startup.len(),
        stop_waves,
    }
}

/// Groups for shutdown: higher effective order first (a service's effective order is
/// at least that of what it depends on), and within an order, dependents before
/// their dependencies. Services in one wave stop concurrently.
pub(super) fn stop_waves(
    drafts: &[Draft],
    sequence: &[usize],
    dependents: &[Vec<usize>],
) -> Vec<Vec<usize>> {
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
