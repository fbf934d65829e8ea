//! A `file-watcher` service's settings, checked as they are read.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

pub use super::globs::Patterns;

/// `[services.NAME.settings]` of a `file-watcher` service.
///
/// ```toml
/// [services.watcher]
/// kind = "file-watcher"
/// settings = { paths = ["inbox"], recursive = true, include = ["*.jpg"], exclude = [], polling = false, poll_interval = "1s", initial_scan = true, coalesce = "8ms" }
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct FileWatcherSettings {
    /// The directories to watch, relative to the host's working directory.
    pub paths: WatchPaths,
    /// Whether files in subdirectories count too (yes by default).
    #[serde(default = "yes")]
    pub recursive: bool,
    /// Only files that one of these patterns matches (every file when empty).
    #[serde(default)]
    pub include: Patterns,
    /// No file that one of these patterns matches.
    #[serde(default)]
    pub exclude: Patterns,
    /// Whether to look for files every `poll_interval` instead of asking the
    /// operating system to tell (for network and container mounts, which do
    /// not tell).
    #[serde(default)]
    pub polling: bool,
    /// How often to look when polling; how long a file found by a scan must stay
    /// unchanged to count as written; how often to look for a missing directory.
    #[serde(default = "default_poll_interval", with = "positive")]
    pub poll_interval: Duration,
    /// Whether files already there when the service starts are reported (yes by
    /// default).
    #[serde(default = "yes")]
    pub initial_scan: bool,
    /// With the notifier, how long reads wait to take together the events of a
    /// steady stream or a burst (8 ms by default, at most 1 s; `"0s"` reads each
    /// at once). A file on its own is read at once either way; in a stream, a
    /// file is reported up to this much later, and the watcher wakes once for
    /// all that came meanwhile rather than once per file, which is most of what
    /// each file costs it.
    #[serde(default = "default_coalesce", with = "at_most_a_second")]
    pub coalesce: Duration,
}

fn yes() -> bool {
    true
}

fn default_poll_interval() -> Duration {
    Duration::from_secs(1)
}

fn default_coalesce() -> Duration {
    Duration::from_millis(8)
}

/// A duration of at most a second: a file waits that long to be reported.
mod at_most_a_second {
    use std::time::Duration;

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Duration, D::Error> {
        super::duration_where(
            deserializer,
            |duration| duration <= Duration::from_secs(1),
            "must be at most 1s, such as \"8ms\" (files wait this long to be reported)",
        )
    }
}

/// A duration that must be more than zero.
mod positive {
    use std::time::Duration;

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Duration, D::Error> {
        super::duration_where(
            deserializer,
            |duration| !duration.is_zero(),
            "must be more than zero, such as \"1s\" or \"500ms\"",
        )
    }
}

/// A duration as the configuration writes them, refused with `reason` unless
/// `fits` it.
fn duration_where<'de, D: Deserializer<'de>>(
    deserializer: D,
    fits: impl FnOnce(Duration) -> bool,
    reason: &str,
) -> Result<Duration, D::Error> {
    let duration = steward::duration::deserialize(deserializer)?;
    if !fits(duration) {
        return Err(serde::de::Error::custom(reason));
    }
    Ok(duration)
}

/// The directories a watcher watches: at least one, none empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchPaths(Vec<PathBuf>);

impl WatchPaths {
    /// The directories, as configured.
    pub fn as_slice(&self) -> &[PathBuf] {
        &self.0
    }
}

impl<'de> Deserialize<'de> for WatchPaths {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PathsVisitor)
    }
}

struct PathsVisitor;

impl<'de> Visitor<'de> for PathsVisitor {
    type Value = WatchPaths;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of directories, such as [\"inbox\"]")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<WatchPaths, E> {
        Err(E::custom(format!(
            "give a list of directories, such as [\"{text}\"]"
        )))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<WatchPaths, A::Error> {
        let mut paths = Vec::new();
        while let Some(path) = seq.next_element::<PathBuf>()? {
            if path.as_os_str().is_empty() {
                return Err(de::Error::custom(
                    "an empty path names no directory: write \".\" for the host's working directory",
                ));
            }
            paths.push(path);
        }
        if paths.is_empty() {
            return Err(de::Error::custom(
                "give at least one directory to watch, such as [\"inbox\"]",
            ));
        }
        Ok(WatchPaths(paths))
    }
}
