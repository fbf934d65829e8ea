//! What a `file-watcher` service tells subscribers.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use steward::Event;

use super::tracker::Stamp;

/// A file is there, completely written: closed after writing or moved in (or,
/// found by a scan or a poll, unchanged for a `poll_interval`). Emitted once per
/// file; a file replaced or rewritten at the same path is a new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Event)]
#[event(name = "file.created")]
#[non_exhaustive]
pub struct FileCreated {
    /// The file's absolute path. In JSON, a path that is not UTF-8 is written
    /// with U+FFFD for the bytes that are not (typed subscribers get it exact).
    #[serde(serialize_with = "lossy")]
    pub path: PathBuf,
    /// The directory it is in (its path without the file name), as the
    /// batch-aggregator's `key = "{dir}"` uses it; in JSON like `path`.
    #[serde(serialize_with = "lossy")]
    pub dir: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// When it was last modified (RFC 3339 in JSON).
    pub modified: DateTime<Utc>,
}

impl FileCreated {
    pub(crate) fn new(path: PathBuf, stamp: &Stamp) -> Self {
        let dir = dir_of(&path);
        Self {
            path,
            dir,
            size: stamp.size,
            modified: utc(stamp.modified),
        }
    }
}

/// `path`'s directory, as `Path::parent` gives it: what comes before the last
/// `/`, split by bytes where `parent` takes the whole path apart, unless the
/// path ends in a way only `parent` reads right (a `.` or `..` or empty name, a
/// doubled `/` or a `.` before it, no `/` at all).
fn dir_of(path: &Path) -> PathBuf {
    let bytes = path.as_os_str().as_bytes();
    if let Some(at) = bytes.iter().rposition(|&byte| byte == b'/') {
        let (dir, name) = (&bytes[..at], &bytes[at + 1..]);
        let plain_name = !matches!(name, b"" | b"." | b"..");
        let plain_dir = !(dir.ends_with(b"/") || dir.ends_with(b"/.") || dir == b".");
        if plain_name && plain_dir {
            return match dir {
                b"" => PathBuf::from("/"),
                dir => PathBuf::from(OsStr::from_bytes(dir)),
            };
        }
    }
    path.parent().map(PathBuf::from).unwrap_or_default()
}

/// A file time as UTC; one outside chrono's range (hundreds of thousands of
/// years away) reads as the epoch.
fn utc(time: SystemTime) -> DateTime<Utc> {
    let (seconds, nanos) = match time.duration_since(UNIX_EPOCH) {
        Ok(after) => (i64::try_from(after.as_secs()).ok(), after.subsec_nanos()),
        Err(before) => {
            let before = before.duration();
            let seconds = i64::try_from(before.as_secs()).ok().map(|s| -s);
            match before.subsec_nanos() {
                0 => (seconds, 0),
                nanos => (seconds.map(|s| s - 1), 1_000_000_000 - nanos),
            }
        }
    };
    seconds
        .and_then(|seconds| DateTime::from_timestamp(seconds, nanos))
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// A path as text, whatever its bytes: a name that is not UTF-8 must not turn
/// the whole event into `null` for subscribers by name.
fn lossy<S: serde::Serializer>(path: &std::path::Path, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&path.to_string_lossy())
}
