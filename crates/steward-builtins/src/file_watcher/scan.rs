//! Scans: listing what the watched directories hold, at start, after the
//! notifier lost events, when a directory appears, and at every poll.
//!
//! A scan runs on a blocking thread and only reads; the watcher then compares
//! what it found with what it reported ([`Tracker`](super::tracker::Tracker)).

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use super::error::FileWatcherError;
use super::scope::Scope;
use super::tracker::{Observation, is_gone};

/// One file a scan found.
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) path: PathBuf,
    pub(crate) seen: Observation,
}

/// What a scan of a directory tree found.
#[derive(Debug)]
pub(crate) struct Listing {
    /// When the listing began: each file was looked at after this.
    pub(crate) began: SystemTime,
    /// The files in scope.
    pub(crate) files: Vec<Found>,
    /// Directories that could not be read, and why: what they hold is unknown.
    pub(crate) unreadable: Vec<(PathBuf, io::Error)>,
}

impl Default for Listing {
    fn default() -> Self {
        Self {
            began: SystemTime::now(),
            files: Vec::new(),
            unreadable: Vec::new(),
        }
    }
}

impl Listing {
    /// Of the `known` files below `root`, those this listing shows are gone (it
    /// read their directory and they were not there).
    pub(crate) fn gone<'k>(
        &self,
        root: &Path,
        known: impl Iterator<Item = &'k Path>,
    ) -> Vec<PathBuf> {
        let listed: HashSet<&OsStr> = self
            .files
            .iter()
            .map(|file| file.path.as_os_str())
            .collect();
        known
            .filter(|path| !listed.contains(path.as_os_str()) && path.starts_with(root))
            .filter(|path| !self.unreadable.iter().any(|(dir, _)| path.starts_with(dir)))
            .map(Path::to_path_buf)
            .collect()
    }
}

/// What a scan of one watched directory found.
#[derive(Debug)]
pub(crate) enum RootScan {
    /// It does not exist (yet).
    Missing,
    /// It holds these files.
    Listed(Listing),
}

/// Set when the service stops, so that a scan under way ends early.
#[derive(Debug, Clone, Default)]
pub(crate) struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    pub(crate) fn stop(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn is_stopped(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Whether the watched directory `root` is there: `Ok(false)` when it does not
/// exist (yet), an error when it is not a directory or cannot be inspected.
pub(crate) fn exists(root: &Path) -> Result<bool, FileWatcherError> {
    match std::fs::metadata(root) {
        Ok(metadata) if metadata.is_dir() => Ok(true),
        Ok(_) => Err(FileWatcherError::NotADirectory {
            path: root.to_owned(),
        }),
        Err(error) if is_gone(&error) => Ok(false),
        Err(source) => Err(FileWatcherError::Inspect {
            path: root.to_owned(),
            source,
        }),
    }
}

/// Scans the watched directory `root`.
pub(crate) fn root(
    scope: &Scope,
    root: &Path,
    stop: &StopFlag,
) -> Result<RootScan, FileWatcherError> {
    if !exists(root)? {
        return Ok(RootScan::Missing);
    }
    let listing = list(scope, root, stop);
    // The directory itself disappearing under the scan reads as missing.
    if listing
        .unreadable
        .iter()
        .any(|(dir, error)| dir == root && is_gone(error))
    {
        return Ok(RootScan::Missing);
    }
    Ok(RootScan::Listed(listing))
}

/// The files in scope in `dir` and, when the scope is recursive, below it.
/// Symbolic links are not followed; only regular files count.
pub(crate) fn list(scope: &Scope, start: &Path, stop: &StopFlag) -> Listing {
    let mut listing = Listing::default();
    let mut dirs = vec![start.to_owned()];
    while let Some(dir) = dirs.pop() {
        if stop.is_stopped() {
            break;
        }
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            // A subdirectory deleted since it was listed: nothing left in it.
            Err(error) if is_gone(&error) && dir != start => continue,
            Err(error) => {
                listing.unreadable.push((dir, error));
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    listing.unreadable.push((dir.clone(), error));
                    break;
                }
            };
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                if scope.covers_dir(&path) {
                    dirs.push(path);
                }
            } else if kind.is_file() && scope.wants_file(&path) {
                match entry.metadata() {
                    Ok(metadata) => {
                        if let Some(seen) = Observation::from_metadata(&metadata) {
                            listing.files.push(Found { path, seen });
                        }
                    }
                    // Deleted since it was listed.
                    Err(error) if is_gone(&error) => {}
                    Err(error) => listing.unreadable.push((path, error)),
                }
            }
        }
    }
    listing
}
