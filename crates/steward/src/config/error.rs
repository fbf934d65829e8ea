//! Configuration errors that name where a value came from, the key and the reason.

use std::fmt;
use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde_json::Value;

/// Where a configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// A configuration file.
    File(PathBuf),
    /// An environment variable, by name.
    Env(String),
    /// Text handed to the builder, under a name of the caller's choosing.
    Text(String),
    /// The program's own code (a service definition or builder call).
    Code,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(path) => write!(f, "{}", path.display()),
            Origin::Env(name) => write!(f, "environment variable {name}"),
            Origin::Text(name) => f.write_str(name),
            Origin::Code => f.write_str("service definitions"),
        }
    }
}

/// One configuration problem: where, which key, and why.
///
/// Displays as `steward.toml: services.cleanup.interval: invalid duration …`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// Where the offending value came from.
    pub origin: Origin,
    /// The dotted key at fault (`services.cleanup.restart.policy`); empty for a file
    /// that could not be read or parsed at all.
    pub key: String,
    /// What is wrong, in words.
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.origin, self.reason)
        } else {
            write!(f, "{}: `{}`: {}", self.origin, self.key, self.reason)
        }
    }
}

/// Every problem found in a configuration, so all of them can be fixed in one go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// The problems, in the order they were found.
    pub fn iter(&self) -> impl Iterator<Item = &ConfigError> {
        self.0.iter()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "  {error}")?;
        }
        Ok(())
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(error: ConfigError) -> Self {
        Self(vec![error])
    }
}

/// A value that did not deserialize: the path inside it and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SettingsError {
    pub(crate) path: String,
    pub(crate) reason: String,
}

impl SettingsError {
    /// Deserializes `value`, keeping the path of the first problem.
    ///
    /// A key the type has no field for is a problem too, even when the type does
    /// not say `#[serde(deny_unknown_fields)]`: a misspelt setting would otherwise
    /// be dropped without a word.
    pub(crate) fn deserialize<T: DeserializeOwned>(value: Value) -> Result<T, SettingsError> {
        let mut ignored: Option<String> = None;
        let mut note = |path: serde_ignored::Path<'_>| {
            ignored.get_or_insert_with(|| path.to_string());
        };
        let deserializer = serde_ignored::Deserializer::new(value, &mut note);
        let typed: T = serde_path_to_error::deserialize(deserializer).map_err(|error| {
            let path = error.path().to_string();
            let path = if path == "." { String::new() } else { path };
            let reason = plain_types(&error.into_inner().to_string());
            explain_unknown_field(path, reason)
        })?;
        match ignored {
            Some(path) => Err(SettingsError {
                path,
                reason: "unknown key: nothing reads it".to_owned(),
            }),
            None => Ok(typed),
        }
    }

    /// The first key of the problem's path (`sqlite` of `sqlite[0].table`), if
    /// it has one.
    pub(crate) fn first_key(&self) -> Option<&str> {
        let end = self.path.find(['.', '[']).unwrap_or(self.path.len());
        Some(&self.path[..end]).filter(|key| !key.is_empty())
    }

    /// The full key under `prefix` (`services.x.settings` + `retention_days`).
    pub(crate) fn key_under(&self, prefix: &str) -> String {
        match (prefix.is_empty(), self.path.is_empty()) {
            (_, true) => prefix.to_owned(),
            (true, false) => self.path.clone(),
            (false, false) if self.path.starts_with('[') => format!("{prefix}{}", self.path),
            (false, false) => format!("{prefix}.{}", self.path),
        }
    }
}

/// serde names Rust types (`expected struct ServiceConfig`); a config file has tables.
fn plain_types(reason: &str) -> String {
    let Some(at) = reason.find("expected struct ") else {
        return reason.to_owned();
    };
    let rest = &reason[at + "expected struct ".len()..];
    let name_end = rest
        .find(|c: char| !c.is_alphanumeric() && c != '_')
        .unwrap_or(rest.len());
    format!("{}expected a table{}", &reason[..at], &rest[name_end..])
}

/// serde reports an unknown field at its parent's path; name the field itself and
/// suggest the closest known one.
fn explain_unknown_field(path: String, reason: String) -> SettingsError {
    let Some(rest) = reason.strip_prefix("unknown field `") else {
        return SettingsError { path, reason };
    };
    let Some((field, expected)) = rest.split_once('`') else {
        return SettingsError { path, reason };
    };
    let known: Vec<&str> = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|name| !name.is_empty())
        .collect();
    let named = path == field || path.ends_with(&format!(".{field}"));
    let path = match (path.is_empty(), named) {
        (true, _) => field.to_owned(),
        (false, true) => path,
        (false, false) => format!("{path}.{field}"),
    };
    let mut reason = String::from("unknown key");
    if let Some(best) = closest(field, &known) {
        reason.push_str(&format!("; did you mean `{best}`?"));
    }
    if !known.is_empty() {
        reason.push_str(&format!(" (expected one of: {})", known.join(", ")));
    }
    SettingsError { path, reason }
}

/// The known name nearest to `word`, if it is near enough to be a typo.
pub(crate) fn closest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|candidate| (strsim::jaro_winkler(word, candidate), *candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}
