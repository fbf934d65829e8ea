//! Keys of a `[services.NAME]` table that a service reads itself rather than the
//! host: `on = "batcher:batch.closed"` beside `kind = "exec"`.

use std::fmt;

use serde_json::{Map, Value};

use crate::config::ServiceConfig;

/// A key of a `[services.NAME]` table that the service reads itself, as if it
/// were in its `settings`: see [`ServiceDef::table_keys`](crate::ServiceDef::table_keys).
///
/// ```toml
/// [services.analyze]
/// kind = "exec"
/// on = "batcher:batch.closed"     # TableKey::On
/// settings = { command = ["python3", "analyze.py"] }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TableKey {
    /// `on = "SERVICE:EVENT"`: the other service's events it runs once per.
    /// A table gives `on` only to a service that reads it.
    On,
    /// `interval = "10m"`: for a continuous service that keeps a schedule of its
    /// own (a periodic service's `interval` is its schedule, read by the host).
    Interval,
    /// `cron = "0 3 * * *"`: as [`Interval`](Self::Interval), a cron expression.
    Cron,
}

impl TableKey {
    /// The key's name in the table (`on`).
    pub fn as_str(self) -> &'static str {
        match self {
            TableKey::On => "on",
            TableKey::Interval => "interval",
            TableKey::Cron => "cron",
        }
    }

    /// The key's value in `table`, as settings would hold it.
    fn value_in(self, table: &ServiceConfig) -> Option<Value> {
        match self {
            TableKey::On => table.on.clone().map(Value::String),
            // Written back the way durations are read, so the settings type reads
            // it as it would its own.
            TableKey::Interval => table
                .interval
                .map(|period| Value::String(humantime::format_duration(period).to_string())),
            TableKey::Cron => table.cron.clone().map(Value::String),
        }
    }
}

impl fmt::Display for TableKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A service's settings with the keys its table gave beside `kind`.
#[derive(Debug, PartialEq)]
pub(crate) struct Handed {
    pub(crate) settings: Option<Value>,
    /// The keys added to `settings`.
    pub(crate) keys: Vec<TableKey>,
}

/// The table's `settings` with the `keys` that the table gives added; a key given
/// both beside `kind` and inside `settings` is a problem, named by the key.
pub(crate) fn hand_over(
    keys: &[TableKey],
    table: &ServiceConfig,
) -> Result<Handed, Vec<(TableKey, String)>> {
    let given: Vec<(TableKey, Value)> = keys
        .iter()
        .filter_map(|&key| key.value_in(table).map(|value| (key, value)))
        .collect();
    if given.is_empty() {
        return Ok(Handed {
            settings: table.settings.clone(),
            keys: Vec::new(),
        });
    }
    let mut settings = match &table.settings {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(settings)) => settings.clone(),
        // Not a table: the settings type says what is wrong with it.
        Some(_) => {
            return Ok(Handed {
                settings: table.settings.clone(),
                keys: Vec::new(),
            });
        }
    };
    let mut problems = Vec::new();
    let mut added = Vec::with_capacity(given.len());
    for (key, value) in given {
        if settings.contains_key(key.as_str()) {
            let reason = format!("given twice, here and as `settings.{key}`; keep this one");
            problems.push((key, reason));
        } else {
            settings.insert(key.as_str().to_owned(), value);
            added.push(key);
        }
    }
    if problems.is_empty() {
        Ok(Handed {
            settings: Some(Value::Object(settings)),
            keys: added,
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;

    #[test]
    fn given_keys_join_the_settings_and_clashes_are_named() {
        let table = ServiceConfig {
            on: Some("batcher:batch.closed".to_owned()),
            interval: Some(Duration::from_secs(90)),
            settings: Some(json!({ "command": ["true"] })),
            ..ServiceConfig::default()
        };
        let keys = [TableKey::On, TableKey::Interval, TableKey::Cron];
        let handed = hand_over(&keys, &table).unwrap();
        assert_eq!(
            handed.settings,
            Some(
                json!({ "command": ["true"], "on": "batcher:batch.closed", "interval": "1m 30s" })
            )
        );
        assert_eq!(handed.keys, [TableKey::On, TableKey::Interval]);

        let twice = ServiceConfig {
            settings: Some(json!({ "on": "other:event" })),
            ..table
        };
        let problems = hand_over(&keys, &twice).unwrap_err();
        assert_eq!(
            problems,
            [(
                TableKey::On,
                "given twice, here and as `settings.on`; keep this one".to_owned()
            )]
        );
    }

    #[test]
    fn keys_the_service_does_not_read_stay_out_of_its_settings() {
        let table = ServiceConfig {
            on: Some("batcher:batch.closed".to_owned()),
            ..ServiceConfig::default()
        };
        let handed = hand_over(&[TableKey::Cron], &table).unwrap();
        assert_eq!(
            handed,
            Handed {
                settings: None,
                keys: Vec::new()
            }
        );
    }
}
