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
//! Up to [`DIR_HANDLES`] watched directories, counted over every watcher in the
//! process, are also held open (`O_PATH`, which reads nothing), so that a file
//! there is looked at by its name in the directory rather than by its whole
//! path: one lookup instead of one per component, and the file watcher's largest
//! cost per file after the wake-up. The rest are looked at by path.

use std::collections::BTreeMap;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
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

/// How many watched directories the process holds open at most: well within the
/// usual limit of 1,024 descriptors a process starts with, which the rest of the
/// host shares.
pub(crate) const DIR_HANDLES: usize = 256;

/// How many are held open now.
static HELD: AtomicUsize = AtomicUsize::new(0);

/// A watched directory held open, counted in [`HELD`] while it is.
#[derive(Debug)]
pub(crate) struct DirHandle(OwnedFd);

impl DirHandle {
    /// The directory at `path`, open for looking up names in it; `None` when as
    /// many are held as may be, or it cannot be opened (out of descriptors,
    /// say): its files are looked at by path.
    fn open(path: &Path) -> Option<Self> {
        let taken = HELD.fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
            (held < DIR_HANDLES).then_some(held + 1)
        });
        if taken.is_err() {
            return None;
        }
        let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        match nix::fcntl::open(path, flags, Mode::empty()) {
            Ok(fd) => Some(Self(fd)),
            Err(_) => {
                HELD.fetch_sub(1, Ordering::AcqRel);
                None
            }
        }
    }

    /// The open directory.
    pub(crate) fn fd(&self) -> &OwnedFd {
        &self.0
    }

    /// Which directory this is.
    // Conversions that are needless where these fields are 64 bits wide.
    #[allow(clippy::useless_conversion)]
    fn identity(&self) -> Option<Identity> {
        let stat = nix::sys::stat::fstat(&self.0).ok()?;
        Some((u64::from(stat.st_dev), u64::from(stat.st_ino)))
    }
}

impl Drop for DirHandle {
    fn drop(&mut self) {
        HELD.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Each watch descriptor's directory.
#[derive(Debug)]
pub(crate) struct Table {
    handle: inotify::Watches,
    /// By watch descriptor: small integers the kernel hands out, looked up for
    /// every event (an ordered map compares a few of them; a hashed one would
    /// hash each).
    dirs: BTreeMap<i32, Watched>,
    recursive: bool,
}

#[derive(Debug)]
struct Watched {
    path: PathBuf,
    wd: WatchDescriptor,
    /// Whether it is a watched directory itself, not one below.
    root: bool,
    /// The directory `path` led to when it was watched.
    identity: Option<Identity>,
    open: Option<Arc<DirHandle>>,
}

/// A directory's device and inode.
type Identity = (u64, u64);

/// Which directory `path` leads to now (following symbolic links, as watches do).
fn identity(path: &Path) -> Option<Identity> {
    let metadata = std::fs::metadata(path).ok()?;
    Some((metadata.dev(), metadata.ino()))
}

impl Watches {
    /// No watches yet on `inotify`'s instance; with `recursive`, directories
    /// created in watched ones are reported (and are to be watched).
    pub(crate) fn new(inotify: &Inotify, recursive: bool) -> Self {
        Self {
            table: Mutex::new(Table {
                handle: inotify.watches(),
                dirs: BTreeMap::new(),
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
    /// The directory watch descriptor `id` stands for, and the directory held
    /// open if it is.
    pub(crate) fn dir(&self, id: i32) -> Option<(&Path, Option<&Arc<DirHandle>>)> {
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
        let handle = DirHandle::open(path);
        let wd = self.handle.add(path, mask)?;
        let identity = identity(path);
        let open = handle
            .filter(|handle| identity.is_some() && handle.identity() == identity)
            .map(Arc::new);
        let watched = Watched {
            path: path.to_owned(),
            wd,
            root,
            identity,
            open,
        };
        self.dirs
            .insert(watched.wd.get_watch_descriptor_id(), watched);
        Ok(())
    }

    /// Whether the watched directory `root` is no longer the one its path leads
    /// to, though nothing said it moved: a directory above it was renamed, or a
    /// symbolic link on the way points elsewhere now. Its watch is still on the
    /// old one.
    pub(crate) fn moved(&self, root: &Path) -> bool {
        let Some(watched) = self
            .dirs
            .values()
            .find(|watched| watched.root && watched.path == root)
        else {
            return false;
        };
        watched.identity.is_some() && identity(root) != watched.identity
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
