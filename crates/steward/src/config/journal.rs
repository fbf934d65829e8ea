//! The `[journal]` section: which journal keeps accepted actions, where, and how
//! much finished history it keeps.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use synchronous::Synchronous;

mod synchronous;

/// Which journal keeps accepted actions until they are done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum JournalKind {
    /// In memory: fast, and gone with the process (the default).
    #[default]
    Memory,
    /// An embedded SQLite file: accepted actions survive restarts and crashes.
    /// The core only names it; the journal itself comes from the `steward-sqlite`
    /// crate, which the `steward` binary wires in.
    Sqlite,
}

impl JournalKind {
    /// The kind's name in configuration (`sqlite`).
    pub fn as_str(self) -> &'static str {
        match self {
            JournalKind::Memory => "memory",
            JournalKind::Sqlite => "sqlite",
        }
    }
}

impl fmt::Display for JournalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JournalKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "memory" => Ok(JournalKind::Memory),
            "sqlite" => Ok(JournalKind::Sqlite),
            "nats" => Err(
                "the `nats` journal is not available in this build (expected memory or sqlite)"
                    .to_owned(),
            ),
            other => Err(format!(
                "unknown journal kind `{other}` (expected memory or sqlite)"
            )),
        }
    }
}

impl Serialize for JournalKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JournalKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The `[journal]` section.
///
/// ```toml
/// [journal]
/// kind = "sqlite"            # memory (the default) | sqlite
/// path = "data/steward.db"   # sqlite: the file, relative to the working directory
/// keep_finished = 100000     # finished actions kept for lookup and history, at most
/// keep_for = "7d"            # sqlite: how long finished actions are kept
/// synchronous = "full"       # sqlite: full (the default) | normal, see below
/// ```
///
/// A relative `path` is taken from the host's working directory, as every other
/// path in configuration is (`steward systemd-unit` sets it to the config file's
/// folder). Queued, running and dead-lettered actions are kept whatever the
/// history settings say. The core reads the section and builds the memory journal
/// itself; for `sqlite`, the program that builds the host opens the journal (see
/// [`HostBuilder::journal_from`](crate::HostBuilder::journal_from)).
///
/// `synchronous` says how far a commit reaches before an action is acknowledged:
/// `full` syncs it to the disk (it survives a power cut), `normal` hands it to the
/// operating system (it survives a crash of the process; a power cut may take back
/// the last commits). See [`Synchronous`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct JournalConfig {
    /// Which journal.
    pub kind: JournalKind,
    /// Where a file-backed journal keeps its file (`data/steward.db` by default).
    pub path: PathBuf,
    /// How many finished actions are kept at most, the most recent ones; `None`:
    /// the journal's own default (10,000 in memory, 100,000 in SQLite).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_finished: Option<u64>,
    /// How long finished actions are kept after they finished; `None`: the
    /// journal's own default (7 days in SQLite). The memory journal keeps by
    /// count only.
    #[serde(
        with = "super::duration::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub keep_for: Option<Duration>,
    /// How far a file-backed journal's commits reach before it answers: synced to
    /// the disk (`full`, the default) or handed to the operating system
    /// (`normal`). The memory journal ignores it.
    pub synchronous: Synchronous,
}

impl Default for JournalConfig {
    fn default() -> Self {
        Self {
            kind: JournalKind::default(),
            path: PathBuf::from("data/steward.db"),
            keep_finished: None,
            keep_for: None,
            synchronous: Synchronous::default(),
        }
    }
}

impl JournalConfig {
    /// Problems a type cannot express (an empty path).
    pub(crate) fn check(&self) -> Option<(&'static str, String)> {
        if self.kind == JournalKind::Sqlite && self.path.as_os_str().is_empty() {
            return Some((
                "path",
                "is empty; name the journal's file (such as \"data/steward.db\")".to_owned(),
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests;
