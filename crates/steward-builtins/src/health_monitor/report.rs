//! The monitor's own health, from its targets'.

use serde_json::{Map, Value, json};
use steward::{Health, HealthStatus};

use super::settings::Target;
use super::tracker::Tracker;

/// Healthy while no target is unhealthy; degraded while some are, unhealthy when
/// all are. The details hold one entry per target.
pub(crate) fn health(targets: &[Target], trackers: &[&Tracker]) -> Health {
    let mut details = Map::new();
    let mut unhealthy = Vec::new();
    for (target, tracker) in targets.iter().zip(trackers) {
        let last = tracker.last().unwrap_or("not checked yet");
        if tracker.is_unhealthy() {
            unhealthy.push(format!("{} ({last})", target.name));
        }
        let entry = json!({
            "status": tracker.status(),
            "check": target.check.to_string(),
            "last": last,
            "failures": tracker.failures(),
            "successes": tracker.successes(),
            "remedies": tracker.remedies(),
        });
        details.insert(target.name.clone(), entry);
    }
    let status = match unhealthy.len() {
        0 => HealthStatus::Healthy,
        bad if bad == targets.len() => HealthStatus::Unhealthy,
        _ => HealthStatus::Degraded,
    };
    let mut health = match status {
        HealthStatus::Healthy => Health::healthy(),
        HealthStatus::Unhealthy if targets.len() == 1 => {
            Health::unhealthy(format!("target {} is unhealthy", unhealthy.join("")))
        }
        HealthStatus::Unhealthy => Health::unhealthy(format!(
            "every target is unhealthy: {}",
            unhealthy.join(", ")
        )),
        _ => Health::degraded(format!(
            "{} of {} targets unhealthy: {}",
            unhealthy.len(),
            targets.len(),
            unhealthy.join(", ")
        )),
    };
    health.details = Map::from_iter([("targets".to_owned(), Value::Object(details))]);
    health
}
