//! The directories inotify watches for the notifier, and which directory each
//! watch descriptor stands for.
//!
//! One watch per directory: a recursive watch is one per directory of the tree,
//! added as the tree is walked and as directories appear. Each asks only for
//! what the watcher acts on — a file closed after writing, something moved in or
//! out or deleted, and, when recursive, something created (for new
//! directories) — and a watched directory's watch also for its own deletion or
//! move. The kernel reports an overflow of its queue to every instance.
//!
//! The first [`DIR_HANDLES`] watched directories are also held open (`O_PATH`,
//! which reads nothing), so that a file there is looked at by its name in the
//! directory rather than by its whole path: one lookup instead of one per
//! component, and the file watcher's largest cost per file after the wake-up.
//! The rest are looked at by path.

use std::collections::HashMap;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use inotify::{Inotify, WatchDescriptor, WatchMask};
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

use super::error::FileWatcherError;
use super::tracker::is_gone;

/// The watches of one inotify instance, shared by the watcher's loop (which
/// reads the events) and its scans (which add watches).
#[derive(Debug)]
pub(crate) struct Watches {
    table: Mutex<Table>,
    recursive: bool,
}

/// How many watched directories are held open at most: well within the usual
/// limit of 1,024 descriptors a process starts with, which the rest of the host
/// shares.
pub(crate) const DIR_HANDLES: usize = 256;

/// Each watch descriptor's directory.
#[derive(Debug)]
pub(crate) struct Table {
    handle: inotify::Watches,
    dirs: HashMap<i32, Watched>,
    recursive: bool,
    /// How many of `dirs` hold their directory open.
    open: usize,
}

#[derive(Debug)]
struct Watched {
    path: PathBuf,
    wd: WatchDescriptor,
    open: Option<Arc<OwnedFd>>,
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
                open: 0,
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
    /// The directory watch descriptor `id` stands for, and the directory held
    /// open if it is.
    pub(crate) fn dir(&self, id: i32) -> Option<(&Path, Option<&Arc<OwnedFd>>)> {
        self.dirs
            .get(&id)
            .map(|watched| (watched.path.as_path(), watched.open.as_ref()))
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
        // Opened before the watch is added, and kept only if the path still
        // leads to it after: otherwise names would be looked up in another
        // directory than the one the events are about.
        let handle = (self.open < DIR_HANDLES).then(|| open_dir(path)).flatten();
        let wd = self.handle.add(path, mask)?;
        let open = handle.filter(|handle| same_dir(handle, path)).map(Arc::new);
        let path = path.to_owned();
        let watched = Watched { path, wd, open };
        self.open += usize::from(watched.open.is_some());
        if let Some(old) = self
            .dirs
            .insert(watched.wd.get_watch_descriptor_id(), watched)
        {
            self.open -= usize::from(old.open.is_some());
        }
        Ok(())
    }

    fn remove(&mut self, id: i32) -> Option<Watched> {
        let watched = self.dirs.remove(&id)?;
        self.open -= usize::from(watched.open.is_some());
        Some(watched)
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
        self.remove(id);
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
            if let Some(watched) = self.remove(id) {
                // Already gone with its directory is fine: the point is that
                // it is not watched.
                let _ = self.handle.remove(watched.wd);
            }
        }
    }
}

/// The directory at `path`, open for looking up names in it; `None` when it
/// cannot be opened (out of descriptors, say): its files are looked at by path.
fn open_dir(path: &Path) -> Option<OwnedFd> {
    let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    nix::fcntl::open(path, flags, Mode::empty()).ok()
}

/// Whether `path` leads to the directory open as `handle`.
fn same_dir(handle: &OwnedFd, path: &Path) -> bool {
    let (Ok(open), Ok(now)) = (nix::sys::stat::fstat(handle), std::fs::metadata(path)) else {
        return false;
    };
    open.st_dev == now.dev() && open.st_ino == now.ino()
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
