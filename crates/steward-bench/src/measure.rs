//! One measured figure, as the JSON lines carry it.

use serde::{Deserialize, Deserializer, Serialize};

/// One figure: a subject's value for a metric in a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Measurement {
    pub(crate) scenario: String,
    pub(crate) subject: String,
    pub(crate) metric: String,
    /// NaN (`null` in JSON) when the subject could not be measured.
    #[serde(deserialize_with = "number_or_null")]
    pub(crate) value: f64,
    pub(crate) unit: String,
    /// Why the subject could not be measured (a peer that is not installed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) unavailable: Option<String>,
}

impl Measurement {
    pub(crate) fn new(scenario: &str, subject: &str, metric: &str, value: f64, unit: &str) -> Self {
        Self {
            scenario: scenario.to_owned(),
            subject: subject.to_owned(),
            metric: metric.to_owned(),
            value,
            unit: unit.to_owned(),
            unavailable: None,
        }
    }

    /// A figure the subject could not produce, and why.
    pub(crate) fn unavailable(
        scenario: &str,
        subject: &str,
        metric: &str,
        unit: &str,
        why: &str,
    ) -> Self {
        Self {
            unavailable: Some(why.to_owned()),
            ..Self::new(scenario, subject, metric, f64::NAN, unit)
        }
    }
}

/// serde_json writes a NaN as `null`; read it back as one.
fn number_or_null<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
}
