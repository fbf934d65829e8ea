//! Reading a configuration: parse the file, lay the environment over it, check every
//! section and service table, and collect every problem.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::error::{ConfigError, ConfigErrors, Origin, SettingsError, closest};
use super::journal::JournalConfig;
use super::model::{Config, HostConfig, ServiceConfig};
use super::origin::Origins;

/// Where the configuration file's contents come from.
#[derive(Debug, Clone, Default)]
pub(crate) enum ConfigSource {
    /// No file: defaults and environment only.
    #[default]
    None,
    /// A file whose extension names its format.
    File(PathBuf),
    /// Text in a given format, named for error messages.
    Text {
        name: String,
        format: Format,
        text: String,
    },
}

/// A configuration file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Toml,
    Json,
    #[cfg(feature = "yaml")]
    Yaml,
}

impl Format {
    pub(crate) fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "toml" => Some(Format::Toml),
            "json" => Some(Format::Json),
            #[cfg(feature = "yaml")]
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }

    fn parse(self, text: &str) -> Result<Value, String> {
        match self {
            Format::Toml => toml::from_str(text).map_err(|error| error.to_string()),
            Format::Json => serde_json::from_str(text).map_err(|error| error.to_string()),
            #[cfg(feature = "yaml")]
            Format::Yaml => serde_yaml_ng::from_str(text).map_err(|error| error.to_string()),
        }
    }
}

/// Sections the core reads itself.
const CORE_SECTIONS: [&str; 3] = ["host", "journal", "services"];

/// Loads and validates a configuration.
/// What the configuration must fit: the services registered in code and the extra
/// sections adapters read.
pub(crate) struct Expected<'a> {
    pub(crate) services: &'a [&'a str],
    pub(crate) sections: &'a [String],
}

/// Loads a configuration. `Err` means nothing usable could be read (the file is
/// missing or does not parse); otherwise the configuration comes back with the
/// problems found in it, so that later checks can add theirs to the same report.
pub(crate) fn load(
    source: &ConfigSource,
    env: &[(String, String)],
    prefix: Option<&str>,
    expected: &Expected<'_>,
) -> Result<(Config, Vec<ConfigError>), ConfigErrors> {
    let extra_sections = expected.sections;
    let (mut tree, base) = read_source(source)?;
    let mut origins = Origins {
        base,
        ..Origins::default()
    };
    let mut misnamed = Vec::new();
    if let Some(prefix) = prefix {
        misnamed = overlay_env(&mut tree, env, prefix, expected.services, &mut origins);
    }
    let environment_named = tree
        .get("host")
        .and_then(|host| host.get("environment"))
        .is_some();
    let mut config = Config {
        origins,
        environment_named,
        ..Config::default()
    };
    let mut errors = misnamed;
    for (name, value) in tree {
        match name.as_str() {
            "host" => match SettingsError::deserialize::<HostConfig>(value) {
                Ok(host) => config.host = host,
                Err(error) => errors.push(config.error_at(error.key_under("host"), error.reason)),
            },
            "journal" => match SettingsError::deserialize::<JournalConfig>(value) {
                Ok(journal) => config.journal = journal,
                Err(error) => {
                    errors.push(config.error_at(error.key_under("journal"), error.reason));
                }
            },
            "services" => read_services(&mut config, value, &mut errors),
            _ if extra_sections.contains(&name) => {
                config.sections.insert(name, value);
            }
            _ => {
                let known: Vec<&str> = CORE_SECTIONS
                    .iter()
                    .copied()
                    .chain(extra_sections.iter().map(String::as_str))
                    .collect();
                let mut reason = format!("unknown section (expected one of: {})", known.join(", "));
                if let Some(best) = closest(&name, &known) {
                    reason = format!("unknown section; did you mean `{best}`?");
                }
                errors.push(config.error_at(name, reason));
            }
        }
    }
    for (key, reason) in config.host.restart.check() {
        errors.push(config.error_at(format!("host.restart.{key}"), reason));
    }
    if let Some((key, reason)) = config.journal.check() {
        errors.push(config.error_at(format!("journal.{key}"), reason));
    }
    Ok((config, errors))
}

fn read_source(source: &ConfigSource) -> Result<(Map<String, Value>, Origin), ConfigError> {
    let (origin, format, text) = match source {
        ConfigSource::None => return Ok((Map::new(), Origin::Code)),
        ConfigSource::File(path) => {
            let origin = Origin::File(path.clone());
            let fail = |reason: String| ConfigError {
                origin: origin.clone(),
                key: String::new(),
                reason,
            };
            let format = Format::from_path(path).ok_or_else(|| {
                fail("unsupported file type (expected .toml, .json, .yaml or .yml)".to_owned())
            })?;
            let text = std::fs::read_to_string(path)
                .map_err(|error| fail(format!("cannot read the file: {error}")))?;
            (origin, format, text)
        }
        ConfigSource::Text { name, format, text } => {
            (Origin::Text(name.clone()), *format, text.clone())
        }
    };
    let fail = |reason: String| ConfigError {
        origin: origin.clone(),
        key: String::new(),
        reason,
    };
    let tree = match format.parse(&text).map_err(fail)? {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        _ => return Err(fail("the top level must be a table of sections".to_owned())),
    };
    Ok((tree, origin))
}

fn read_services(config: &mut Config, value: Value, errors: &mut Vec<ConfigError>) {
    let Value::Object(tables) = value else {
        let reason = "expected a table of services, one `[services.NAME]` each".to_owned();
        errors.push(config.error_at("services".to_owned(), reason));
        return;
    };
    for (name, table) in tables {
        let key = format!("services.{name}");
        match SettingsError::deserialize::<ServiceConfig>(table) {
            Ok(service) => {
                let restart_problems = service.restart.as_ref().map(|r| r.check());
                for (field, reason) in restart_problems.into_iter().flatten() {
                    errors.push(config.error_at(format!("{key}.restart.{field}"), reason));
                }
                config.services.insert(name, service);
            }
            Err(error) => {
                errors.push(config.error_at(error.key_under(&key), error.reason));
                config.invalid_services.insert(name);
            }
        }
    }
}

/// Lays `PREFIX__A__B=value` variables over the tree, recording what they set;
/// returns the variables under the prefix whose names have an empty part.
fn overlay_env(
    tree: &mut Map<String, Value>,
    env: &[(String, String)],
    prefix: &str,
    services: &[&str],
    origins: &mut Origins,
) -> Vec<ConfigError> {
    let mut misnamed = Vec::new();
    let head = format!("{prefix}__");
    let mut vars: Vec<&(String, String)> = env
        .iter()
        .filter(|(name, _)| name.starts_with(&head))
        .collect();
    vars.sort();
    for (name, raw) in vars {
        let segments: Vec<String> = name[head.len()..]
            .split("__")
            .map(str::to_ascii_lowercase)
            .collect();
        if segments.iter().any(String::is_empty) {
            let key: Vec<&str> = segments
                .iter()
                .map(String::as_str)
                .filter(|s| !s.is_empty())
                .collect();
            misnamed.push(ConfigError {
                origin: Origin::Env(name.clone()),
                key: key.join("."),
                reason: format!(
                    "the name has an empty part: keys are joined by exactly two underscores ({prefix}__HOST__SHUTDOWN_TIMEOUT)"
                ),
            });
            continue;
        }
        let (path, created) = set_path(tree, &segments, raw, services);
        // Tables the variable brought into being are the variable's, too.
        if let Some(depth) = created {
            for end in depth + 1..path.len() {
                origins.created.push((path[..end].join("."), name.clone()));
            }
        }
        origins.env.push((path.join("."), name.clone()));
    }
    misnamed
}

/// Sets the value at `segments`, matching existing keys loosely. Returns the keys
/// used and the depth of the first table it had to create, if any.
fn set_path(
    tree: &mut Map<String, Value>,
    segments: &[String],
    raw: &str,
    services: &[&str],
) -> (Vec<String>, Option<usize>) {
    let mut used: Vec<String> = Vec::with_capacity(segments.len());
    let mut created = None;
    let mut table = tree;
    let Some((last, parents)) = segments.split_last() else {
        return (used, created);
    };
    for (depth, segment) in parents.iter().enumerate() {
        // Under `services`, a registered name counts as existing even without a table.
        let names: &[&str] = if used == ["services"] { services } else { &[] };
        let key = matching_key(table, segment, names);
        if !table.contains_key(&key) {
            created.get_or_insert(depth);
        }
        let slot = table
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        used.push(key);
        let Value::Object(next) = slot else {
            return (used, created);
        };
        table = next;
    }
    let key = matching_key(table, last, &[]);
    let value = typed_value(raw, table.get(&key));
    table.insert(key.clone(), value);
    used.push(key);
    (used, created)
}

/// The key `segment` names: an existing one, exactly or ignoring case and `-`/`_`,
/// else one of `names` the same way, else the segment itself.
fn matching_key(table: &Map<String, Value>, segment: &str, names: &[&str]) -> String {
    if table.contains_key(segment) {
        return segment.to_owned();
    }
    let wanted = normalize(segment);
    table
        .keys()
        .map(String::as_str)
        .chain(names.iter().copied())
        .find(|key| normalize(key) == wanted)
        .map_or_else(|| segment.to_owned(), str::to_owned)
}

fn normalize(key: &str) -> String {
    key.to_ascii_lowercase().replace('-', "_")
}

/// Reads an environment value as the type already at that key, or infers one.
fn typed_value(raw: &str, existing: Option<&Value>) -> Value {
    let parsed = || serde_json::from_str::<Value>(raw).ok();
    match existing {
        Some(Value::String(_)) => Value::String(raw.to_owned()),
        Some(Value::Bool(_)) => match raw.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Value::Bool(true),
            "false" | "0" | "no" | "off" => Value::Bool(false),
            _ => Value::String(raw.to_owned()),
        },
        Some(Value::Number(_)) => parsed()
            .filter(Value::is_number)
            .unwrap_or_else(|| Value::String(raw.to_owned())),
        Some(Value::Array(_) | Value::Object(_)) => {
            parsed().unwrap_or_else(|| Value::String(raw.to_owned()))
        }
        // `"123"` (quoted) is how to say that a number-like value is text.
        Some(Value::Null) | None => match parsed() {
            Some(value) if !value.is_null() => value,
            _ => Value::String(raw.to_owned()),
        },
    }
}
