//! The directories inotify watches for the notifier, and which directory each
//! watch descriptor stands for.
//!
//! One watch per directory: a recursive watch is one per directory of the tree,
//! added as the tree is walked and as directories appear. Each asks only for
//! what the watcher acts on — a file closed after writing, something moved in or
//! out or deleted, and, when recursive, something created (for new
//! directories) — and a watched directory's watch also for its own deletion or
//! move. The kernel reports an overflow of its queue to every instance.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use inotify::{Inotify, WatchDescriptor, WatchMask};

use super::error::FileWatcherError;
use super::tracker::is_gone;

/// The watches of one inotify instance, shared by the watcher's loop (which
/// reads the events) and its scans (which add watches).
#[derive(Debug)]
pub(crate) struct Watches {
    table: Mutex<Table>,
    recursive: bool,
}

/// Each watch descriptor's directory.
#[derive(Debug)]
pub(crate) struct Table {
    handle: inotify::Watches,
    dirs: HashMap<i32, Watched>,
    recursive: bool,
}

#[derive(Debug)]
struct Watched {
    path: PathBuf,
    wd: WatchDescriptor,
}

impl Watches {
    /// No watches yet on `inotify`'s instance; with `recursive`, directories
    /// created in watched ones are reported (and are to be watched).
    pub(crate) fn new(inotify: &Inotify, recursive: bool) -> Self {
        Self {
            table: Mutex::new(Table {
                handle: inotify.watches(),
                dirs: HashMap::new(),
                recursive,
            }),
            recursive,
        }
    }

    /// The table, for looking up or adding watches.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Watches the directory `top` (again), which is a watched directory itself
    /// when `root`; when recursive, every directory below it too. A
    /// subdirectory that goes away meanwhile is skipped.
    pub(crate) fn watch(&self, top: &Path, root: bool) -> Result<(), FileWatcherError> {
        self.lock()
            .add(top, root)
            .map_err(|error| FileWatcherError::watch(top.to_owned(), error))?;
        if !self.recursive {
            return Ok(());
        }
        // Each directory is watched before it is listed, so that a directory
        // made in it after the listing is reported by the watch.
        let mut dirs = subdirectories(top);
        while let Some(dir) = dirs.pop() {
            // Not locked while the directory is listed: the reader waits on it.
            let added = self.lock().add(&dir, false);
            match added {
                Ok(()) => dirs.extend(subdirectories(&dir)),
                Err(error) if is_gone(&error) => {}
                Err(error) => return Err(FileWatcherError::watch(dir, error)),
            }
        }
        Ok(())
    }

    /// Stops watching `dir` and everything below it, so as to watch afresh.
    pub(crate) fn unwatch(&self, dir: &Path) {
        self.lock().forget_under(dir);
    }
}

impl Table {
    /// The directory watch descriptor `id` stands for.
    pub(crate) fn dir(&self, id: i32) -> Option<&Path> {
        self.dirs.get(&id).map(|watched| watched.path.as_path())
    }

    /// Watches the directory `path` (once; the same directory watched again
    /// keeps its descriptor, now standing for `path`).
    pub(crate) fn add(&mut self, path: &Path, root: bool) -> io::Result<()> {
        let mut mask = WatchMask::CLOSE_WRITE
            | WatchMask::MOVED_TO
            | WatchMask::MOVED_FROM
            | WatchMask::DELETE
            | WatchMask::ONLYDIR
            | WatchMask::EXCL_UNLINK
            | WatchMask::MASK_ADD;
        if self.recursive {
            mask |= WatchMask::CREATE;
        }
        if root {
            mask |= WatchMask::DELETE_SELF | WatchMask::MOVE_SELF;
        }
        let wd = self.handle.add(path, mask)?;
        let path = path.to_owned();
        self.dirs
            .insert(wd.get_watch_descriptor_id(), Watched { path, wd });
        Ok(())
    }

    /// The directory `path` appeared in a watched one: when recursive, it is
    /// watched at once, so that nothing written in it from now on goes unseen.
    /// Whether that worked is up to the scan that follows, which watches what
    /// is below it (again) and lists it.
    pub(crate) fn appeared(&mut self, path: &Path) {
        if self.recursive {
            let _ = self.add(path, false);
        }
    }

    /// The kernel dropped watch `id` (its directory was deleted, or the watch
    /// removed).
    pub(crate) fn ignored(&mut self, id: i32) {
        self.dirs.remove(&id);
    }

    /// Stops watching `dir` and the directories below it (moved away, or to
    /// be watched afresh).
    pub(crate) fn forget_under(&mut self, dir: &Path) {
        let below: Vec<i32> = self
            .dirs
            .iter()
            .filter(|(_, watched)| watched.path.starts_with(dir))
            .map(|(&id, _)| id)
            .collect();
        for id in below {
            if let Some(watched) = self.dirs.remove(&id) {
                // Already gone with its directory is fine: the point is that
                // it is not watched.
                let _ = self.handle.remove(watched.wd);
            }
        }
    }
}

/// The directories in `dir` (not following symbolic links); none when it
/// cannot be read, which the scan that follows reports.
fn subdirectories(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
        .map(|entry| entry.path())
        .collect()
}
