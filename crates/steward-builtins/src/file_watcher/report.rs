//! Looking at a file now, deciding with the tracker, and emitting `file.created`.

#[cfg(target_os = "linux")]
use std::ffi::OsStr;
use std::io;
#[cfg(target_os = "linux")]
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use steward::Context;

use super::events::FileCreated;
use super::metrics::WatcherMetrics;
use super::tracker::{Observation, Stamp, Tracker, is_gone};

/// What both watching modes report through.
#[derive(Debug)]
pub(crate) struct Reporter<'a> {
    cx: &'a Context,
    metrics: &'a WatcherMetrics,
    pub(crate) tracker: &'a mut Tracker,
}

impl<'a> Reporter<'a> {
    pub(crate) fn new(
        cx: &'a Context,
        metrics: &'a WatcherMetrics,
        tracker: &'a mut Tracker,
    ) -> Self {
        Self {
            cx,
            metrics,
            tracker,
        }
    }

    /// The file at `path` is complete (closed after writing, moved in), and a
    /// look at it now saw `seen` (see [`look`]): reports it, unless this version
    /// was reported already.
    pub(crate) async fn complete(&mut self, path: PathBuf, seen: Option<Option<Observation>>) {
        let Some(now) = seen else { return };
        if let Some(stamp) = self.tracker.complete(&path, now.map(|seen| seen.stamp)) {
            self.emit(path, stamp).await;
        }
    }

    /// Checks the file at `path` now; with the notifier (`local`), a file that
    /// nothing changed for a poll interval is complete at once.
    pub(crate) async fn check(&mut self, path: &Path, local: bool) {
        let Some(now) = look(path) else { return };
        self.checked(path, now, local).await;
    }

    /// A check that saw `now` at the file at `path`.
    pub(crate) async fn checked(&mut self, path: &Path, now: Option<Observation>, local: bool) {
        let quiet = local
            && now.is_some_and(|seen| seen.quiet_for(self.tracker.window(), SystemTime::now()));
        let stamp = now.map(|seen| seen.stamp);
        if let Some(stamp) = self.tracker.check(path, stamp, Instant::now(), quiet) {
            self.emit(path.to_owned(), stamp).await;
        }
    }

    /// A scan of the notifier's directories found the file at `path` as `seen`,
    /// looked at after `listed` (a while ago: events may have come since). A
    /// file nothing changed for a poll interval before the scan, and of which no
    /// version was reported, is complete and reported at once; any other waits
    /// to be checked afresh.
    pub(crate) async fn found(&mut self, path: PathBuf, seen: Observation, listed: SystemTime) {
        let stamp = seen.stamp;
        if seen.quiet_for(self.tracker.window(), listed) && !self.tracker.is_reported(&path) {
            if let Some(stamp) = self.tracker.complete(&path, Some(stamp)) {
                self.emit(path, stamp).await;
            }
        } else {
            self.tracker.found(path, stamp);
        }
    }

    /// Forgets those of `paths` that are gone now: a scan did not list them,
    /// but a file may have come since.
    pub(crate) fn forget_gone(&mut self, paths: Vec<PathBuf>) {
        for path in paths {
            if let Some(None) = look(&path) {
                self.tracker.forget(&path);
            }
        }
    }

    /// Something at `path` left (deleted or moved away): forgets it, and, if it
    /// was a directory (`dir`), what was below it, unless something is there
    /// again.
    pub(crate) fn left(&mut self, path: &Path, dir: bool) {
        match std::fs::symlink_metadata(path) {
            Err(error) if is_gone(&error) => {
                self.tracker.forget(path);
                if dir {
                    self.tracker.forget_under(path);
                }
            }
            Ok(metadata) if !metadata.is_file() => self.tracker.forget(path),
            // A file is there again: its own events follow.
            Ok(_) | Err(_) => {}
        }
    }

    /// Updates the gauges.
    pub(crate) fn publish_sizes(&self) {
        self.metrics
            .sizes(self.tracker.reported_len(), self.tracker.pending_len());
    }

    /// Reports the file at `path` (which becomes the event's: most paths here
    /// were made for this file, and need not be copied).
    async fn emit(&self, path: PathBuf, stamp: Stamp) {
        self.metrics.reported();
        tracing::debug!(path = %path.display(), size = stamp.size, "file created");
        let event = FileCreated::new(path, &stamp);
        if let Err(error) = self.cx.emit(event).await {
            tracing::warn!(%error, "could not emit file.created");
        }
    }
}

/// What is at `path` now: `Some(None)` when no regular file is; `None` when it
/// cannot be told (logged).
pub(crate) fn look(path: &Path) -> Option<Option<Observation>> {
    seen(path, Observation::of(path))
}

/// What is at `path`, `name` in the directory open as `dir`, now: as [`look`].
#[cfg(target_os = "linux")]
pub(crate) fn look_in(dir: &OwnedFd, name: &OsStr, path: &Path) -> Option<Option<Observation>> {
    seen(path, Observation::in_dir(dir, name))
}

fn seen(path: &Path, look: io::Result<Option<Observation>>) -> Option<Option<Observation>> {
    match look {
        Ok(seen) => Some(seen),
        Err(error) => {
            tracing::debug!(path = %path.display(), %error, "cannot inspect a file");
            None
        }
    }
}
