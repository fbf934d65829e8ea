//! `[journal] synchronous`: how far a file-backed journal's commits reach before
//! it answers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How far a file-backed journal's commits reach before it answers
/// [`accept`](crate::Journal::accept) or [`update`](crate::Journal::update)
/// (`[journal] synchronous`; SQLite's pragma of the same name). The memory
/// journal keeps nothing on disk and ignores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Synchronous {
    /// Every commit is synced to the disk before it is answered: an acknowledged
    /// action survives a crash of the process and a power cut (the default).
    #[default]
    Full,
    /// Every commit is handed to the operating system before it is answered, and
    /// synced to the disk later (at checkpoints): an acknowledged action survives a
    /// crash of the process, and a power cut or kernel crash may take back the
    /// last commits. Faster where a sync is slow; the file stays consistent either
    /// way.
    Normal,
}

impl Synchronous {
    /// The level's name in configuration (`full`, `normal`).
    pub fn as_str(self) -> &'static str {
        match self {
            Synchronous::Full => "full",
            Synchronous::Normal => "normal",
        }
    }
}

impl fmt::Display for Synchronous {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads `full` or `normal`, in any case (SQLite writes them `FULL`, `NORMAL`).
impl FromStr for Synchronous {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.eq_ignore_ascii_case("full") {
            Ok(Synchronous::Full)
        } else if text.eq_ignore_ascii_case("normal") {
            Ok(Synchronous::Normal)
        } else {
            Err(format!(
                "unknown synchronous level `{text}` (expected full, which survives a power cut, or normal, which survives a crash of the process)"
            ))
        }
    }
}

impl Serialize for Synchronous {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Synchronous {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
