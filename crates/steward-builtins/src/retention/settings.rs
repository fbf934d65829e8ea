//! A `retention-cleanup` service's settings, checked as they are read.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer};

/// `[services.NAME.settings]` of a `retention-cleanup` service.
///
/// ```toml
/// [services.cleanup]
/// kind = "retention-cleanup"
/// interval = "1h"
/// settings = { retention_days = 30, batch_size = 1000, dry_run = false, sqlite = [{ database = "data/app.db", table = "events", column = "created_at" }], directories = ["inbox"] }
/// ```
///
/// One table may also be given with flat keys, which is the same as a `sqlite`
/// list of that one table:
///
/// ```toml
/// settings = { retention_days = 30, database = "data/app.db", table = "events", column = "created_at" }
/// ```
///
/// The flat keys go together (all three or none), and not with `sqlite`: a
/// configuration that gives both is refused, naming the keys.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawSettings")]
#[non_exhaustive]
pub struct RetentionSettings {
    /// Rows and files older than this many days are deleted (at least 1).
    pub retention_days: u32,
    /// At most this many rows are deleted per transaction (at least 1); a
    /// `process-batch` without a `batch_size` deletes at most this many rows or
    /// files per target.
    pub batch_size: u32,
    /// Count what would be deleted, delete nothing.
    pub dry_run: bool,
    /// Tables whose old rows are deleted (the flat `database`, `table` and
    /// `column` keys make a list of one).
    pub sqlite: Vec<SqliteTarget>,
    /// Directories whose old files are deleted (recursively).
    pub directories: Vec<PathBuf>,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            retention_days: default_retention_days(),
            batch_size: default_batch_size(),
            dry_run: false,
            sqlite: Vec::new(),
            directories: Vec::new(),
        }
    }
}

/// One SQLite table to clean: `{ database = "data/app.db", table = "events", column = "created_at" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SqliteTarget {
    /// The database file; it must exist (it is never created).
    pub database: PathBuf,
    /// The table.
    pub table: Identifier,
    /// The column holding each row's time: ISO-8601 text or unix seconds.
    pub column: Identifier,
}

impl SqliteTarget {
    /// A target for `table.column` in `database`.
    pub fn new(database: impl Into<PathBuf>, table: Identifier, column: Identifier) -> Self {
        Self {
            database: database.into(),
            table,
            column,
        }
    }

    /// The target's name in events, metrics and `process-batch` filters:
    /// `DATABASE:TABLE`, the database as written in the settings.
    pub fn name(&self) -> String {
        format!("{}:{}", self.database.display(), self.table)
    }
}

/// A plain SQL identifier: ASCII letters, digits and `_`, not starting with a
/// digit, at most 128 characters. Anything else is refused when the settings are
/// read, so no name can smuggle SQL in; names are also quoted where used.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identifier(String);

impl Identifier {
    /// `name`, if it is a plain identifier.
    pub fn new(name: &str) -> Result<Self, String> {
        let mut chars = name.chars();
        let starts_well = chars
            .next()
            .is_some_and(|first| first.is_ascii_alphabetic() || first == '_');
        let rest_well = chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if starts_well && rest_well && name.len() <= 128 {
            Ok(Self(name.to_owned()))
        } else {
            Err(format!(
                "`{name}` is not a plain SQL identifier (ASCII letters, digits and `_`, not starting with a digit)"
            ))
        }
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name in double quotes, ready for a statement.
    pub(crate) fn quoted(&self) -> String {
        format!("\"{}\"", self.0)
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Identifier {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Identifier::new(&name).map_err(serde::de::Error::custom)
    }
}

/// The settings as written, before the flat table keys and `sqlite` are merged.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    #[serde(
        default = "default_retention_days",
        deserialize_with = "retention_days"
    )]
    retention_days: u32,
    #[serde(default = "default_batch_size", deserialize_with = "at_least_one")]
    batch_size: u32,
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    sqlite: Option<Vec<SqliteTarget>>,
    #[serde(default)]
    directories: Vec<PathBuf>,
    #[serde(default)]
    database: Option<PathBuf>,
    #[serde(default)]
    table: Option<Identifier>,
    #[serde(default)]
    column: Option<Identifier>,
}

impl TryFrom<RawSettings> for RetentionSettings {
    type Error = String;

    fn try_from(raw: RawSettings) -> Result<Self, Self::Error> {
        let flat = match (raw.database, raw.table, raw.column) {
            (None, None, None) => None,
            (Some(database), Some(table), Some(column)) => {
                Some(SqliteTarget::new(database, table, column))
            }
            (database, table, column) => {
                let missing: Vec<&str> = [
                    ("`database`", database.is_none()),
                    ("`table`", table.is_none()),
                    ("`column`", column.is_none()),
                ]
                .into_iter()
                .filter_map(|(key, absent)| absent.then_some(key))
                .collect();
                let verb = if missing.len() == 1 { "is" } else { "are" };
                return Err(format!(
                    "`database`, `table` and `column` name one table together: {} {verb} missing",
                    missing.join(" and ")
                ));
            }
        };
        let sqlite = match (raw.sqlite, flat) {
            (Some(_), Some(_)) => {
                return Err(
                    "`sqlite` and the flat `database`, `table` and `column` both name \
                     tables: give one table with the flat keys, or list every table in `sqlite`"
                        .to_owned(),
                );
            }
            (Some(tables), None) => tables,
            (None, Some(table)) => vec![table],
            (None, None) => Vec::new(),
        };
        Ok(Self {
            retention_days: raw.retention_days,
            batch_size: raw.batch_size,
            dry_run: raw.dry_run,
            sqlite,
            directories: raw.directories,
        })
    }
}

fn default_retention_days() -> u32 {
    30
}

fn default_batch_size() -> u32 {
    1000
}

/// The longest retention: a hundred years, well inside what dates can hold.
const MAX_RETENTION_DAYS: u32 = 36_500;

fn retention_days<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let days = at_least_one(deserializer)?;
    if days > MAX_RETENTION_DAYS {
        return Err(serde::de::Error::custom(format!(
            "must be at most {MAX_RETENTION_DAYS} (a hundred years)"
        )));
    }
    Ok(days)
}

fn at_least_one<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let value = u32::deserialize(deserializer)?;
    if value == 0 {
        return Err(serde::de::Error::custom("must be at least 1"));
    }
    Ok(value)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn days(value: u64) -> Result<u32, String> {
        let json = serde_json::json!({ "retention_days": value });
        serde_json::from_value::<RetentionSettings>(json)
            .map(|settings| settings.retention_days)
            .map_err(|error| error.to_string())
    }

    #[test]
    fn retention_days_is_between_one_day_and_a_hundred_years() {
        assert_eq!(days(30), Ok(30));
        assert_eq!(days(36_500), Ok(36_500));
        assert!(days(0).unwrap_err().contains("must be at least 1"));
        let error = days(4_000_000_000).unwrap_err();
        assert!(error.contains("must be at most 36500"), "{error}");
    }
}
