//! One measured figure, as the JSON lines carry it.

use serde::{Deserialize, Serialize};

/// One figure: a subject's value for a metric in a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Measurement {
    pub(crate) scenario: String,
    pub(crate) subject: String,
    pub(crate) metric: String,
    pub(crate) value: f64,
    pub(crate) unit: String,
}

impl Measurement {
    pub(crate) fn new(scenario: &str, subject: &str, metric: &str, value: f64, unit: &str) -> Self {
        Self {
            scenario: scenario.to_owned(),
            subject: subject.to_owned(),
            metric: metric.to_owned(),
            value,
            unit: unit.to_owned(),
        }
    }
}
