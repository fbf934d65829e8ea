//! A `batch-aggregator` service's settings.

use crate::duration::positive;
use std::borrow::Cow;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

pub use crate::source::EventSource;

/// `[services.NAME.settings]` of a `batch-aggregator` service.
///
/// ```toml
/// [services.batcher]
/// kind = "batch-aggregator"
/// settings = { source = "watcher:file.created", key = "{dir}", window = "90s", idle_timeout = "30s", max_size = 100, check_interval = "5s" }
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct BatchSettings {
    /// The events to group: `SERVICE:EVENT`.
    pub source: EventSource,
    /// What groups events into one batch: text with `{field}` placeholders taken
    /// from the event (`{dir}`, `{camera.id}`); one batch at a time when absent.
    #[serde(default)]
    pub key: KeyTemplate,
    /// A batch closes this long after it opened.
    #[serde(default = "default_window", with = "steward::duration")]
    pub window: Duration,
    /// A batch closes when no event joined it for this long.
    #[serde(default = "default_idle_timeout", with = "steward::duration")]
    pub idle_timeout: Duration,
    /// A batch closes as soon as it holds this many events.
    #[serde(default = "default_max_size", deserialize_with = "at_least_one")]
    pub max_size: usize,
    /// How often open batches are checked against `window` and `idle_timeout`.
    #[serde(default = "default_check_interval", deserialize_with = "positive")]
    pub check_interval: Duration,
}

fn default_window() -> Duration {
    Duration::from_secs(90)
}

fn default_idle_timeout() -> Duration {
    Duration::from_secs(30)
}

fn default_max_size() -> usize {
    100
}

fn default_check_interval() -> Duration {
    Duration::from_secs(5)
}

fn at_least_one<'de, D: Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    match usize::deserialize(deserializer)? {
        0 => Err(serde::de::Error::custom("must be at least 1")),
        size => Ok(size),
    }
}

/// Text with `{field}` placeholders, filled from an event's JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyTemplate {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    /// A dotted path into the event.
    Field(Vec<String>),
}

impl KeyTemplate {
    /// The key of one event: each placeholder replaced by the field's value (text
    /// as is, other values as JSON, a missing field as nothing).
    pub fn render(&self, event: &Value) -> String {
        let mut key = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => key.push_str(text),
                Part::Field(path) => {
                    let value = path.iter().try_fold(event, |value, step| value.get(step));
                    match value {
                        Some(Value::String(text)) => key.push_str(text),
                        Some(Value::Null) | None => {}
                        Some(other) => key.push_str(&other.to_string()),
                    }
                }
            }
        }
        key
    }

    /// The same as [`render`](Self::render), borrowed from the event when the
    /// template is one field holding text (`{dir}`): no allocation per event.
    pub(crate) fn key<'a>(&self, event: &'a Value) -> Cow<'a, str> {
        let field = match self.parts.as_slice() {
            [Part::Field(path)] => path.iter().try_fold(event, |value, step| value.get(step)),
            _ => None,
        };
        match field {
            Some(Value::String(text)) => Cow::Borrowed(text),
            _ => Cow::Owned(self.render(event)),
        }
    }

    fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 1..];
            let close = after
                .find('}')
                .ok_or_else(|| format!("`{text}`: a `{{` with no `}}`"))?;
            let field = after[..close].trim();
            if field.is_empty() || field.split('.').any(str::is_empty) {
                return Err(format!("`{text}`: `{{{field}}}` names no field"));
            }
            parts.push(Part::Field(field.split('.').map(str::to_owned).collect()));
            rest = &after[close + 1..];
        }
        if rest.contains('}') {
            return Err(format!("`{text}`: a `}}` with no `{{`"));
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Self { parts })
    }
}

impl<'de> Deserialize<'de> for KeyTemplate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_fill_placeholders_from_the_event() {
        let event = json!({"dir": "cam1", "camera": {"id": 7}, "none": null});
        let key = |text: &str| KeyTemplate::parse(text).map(|key| key.render(&event));
        assert_eq!(key("{dir}"), Ok("cam1".to_owned()));
        assert_eq!(key("cam-{camera.id}/{dir}!"), Ok("cam-7/cam1!".to_owned()));
        assert_eq!(key("{missing}{none}"), Ok(String::new()));
        assert_eq!(key(""), Ok(String::new()));
        assert!(key("{dir").unwrap_err().contains("no `}`"));
        assert!(key("dir}").unwrap_err().contains("no `{`"));
        assert!(key("{}").unwrap_err().contains("names no field"));
        assert!(key("{a..b}").unwrap_err().contains("names no field"));
    }

    #[test]
    fn a_borrowed_key_is_the_rendered_key() {
        let event = json!({"dir": "cam1", "camera": {"id": 7, "name": "gate"}, "none": null});
        for text in [
            "{dir}",
            "{camera.name}",
            "{camera.id}",
            "{camera}",
            "{none}",
            "{missing}",
            "x{dir}",
            "",
        ] {
            let template = KeyTemplate::parse(text).unwrap();
            assert_eq!(template.key(&event), template.render(&event), "{text}");
        }
        let borrowed = KeyTemplate::parse("{camera.name}").unwrap();
        assert!(matches!(borrowed.key(&event), Cow::Borrowed("gate")));
    }
}
