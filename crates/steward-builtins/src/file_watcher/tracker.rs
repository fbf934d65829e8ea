//! When a file counts as completely written, and reporting each one once.
//!
//! The tracker remembers, for every file it reported and that is still there,
//! the [`Stamp`] it had: its inode, size and modification time. A file is
//! reported when it is complete and its stamp differs from the one reported at
//! its path, so a file is reported once, and again only if it is replaced (a new
//! inode) or rewritten. Entries leave when their files do, so the tracker holds
//! about one entry per matching file present in the watched directories.
//!
//! A file is complete when:
//! - the notifier says it was closed after writing, or moved in: it is reported
//!   at once ([`Tracker::complete`]);
//! - a scan or a poll found it, and two checks a `poll_interval` apart saw the
//!   same stamp ([`Tracker::check`]); with the notifier, a file whose inode has
//!   not changed for a `poll_interval` is complete at the first check.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::ffi::{OsStr, OsString};
use std::io;
#[cfg(target_os = "linux")]
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What identifies one version of a file at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub(crate) inode: u64,
    pub(crate) size: u64,
    pub(crate) modified: SystemTime,
}

/// A look at a file: its stamp, and when its inode last changed (a write, a
/// rename, a change of owner or times).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Observation {
    pub(crate) stamp: Stamp,
    pub(crate) changed: SystemTime,
}

impl Observation {
    /// The regular file at `path` (not following a symbolic link); `None` when
    /// there is none there now.
    pub(crate) fn of(path: &Path) -> io::Result<Option<Self>> {
        match std::fs::symlink_metadata(path) {
            Ok(metadata) => Ok(Self::from_metadata(&metadata)),
            Err(error) if is_gone(&error) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The regular file `name` in the directory open as `dir` (not following a
    /// symbolic link): as [`of`](Self::of) its path, with one lookup where the
    /// path takes one per component.
    #[cfg(target_os = "linux")]
    // Conversions that are needless where these fields are 64 bits wide.
    #[allow(clippy::useless_conversion)]
    pub(crate) fn in_dir(dir: &OwnedFd, name: &OsStr) -> io::Result<Option<Self>> {
        use nix::sys::stat::{SFlag, fstatat};
        match fstatat(dir, name, nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW).map_err(io::Error::from)
        {
            Ok(stat) => {
                let is_file =
                    SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT == SFlag::S_IFREG;
                Ok(is_file.then(|| {
                    Self::new(
                        u64::from(stat.st_ino),
                        u64::try_from(i64::from(stat.st_size)).unwrap_or(0),
                        (i64::from(stat.st_mtime), i64::from(stat.st_mtime_nsec)),
                        (i64::from(stat.st_ctime), i64::from(stat.st_ctime_nsec)),
                    )
                }))
            }
            Err(error) if is_gone(&error) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The observation `metadata` gives, if it is a regular file's.
    pub(crate) fn from_metadata(metadata: &std::fs::Metadata) -> Option<Self> {
        metadata.is_file().then(|| {
            Self::new(
                metadata.ino(),
                metadata.len(),
                (metadata.mtime(), metadata.mtime_nsec()),
                (metadata.ctime(), metadata.ctime_nsec()),
            )
        })
    }

    /// A regular file's observation from its inode, size, and modification and
    /// change times (seconds and nanoseconds since 1970): one place, whichever
    /// call looked, so that stamps compare.
    fn new(inode: u64, size: u64, modified: (i64, i64), changed: (i64, i64)) -> Self {
        Self {
            stamp: Stamp {
                inode,
                size,
                modified: system_time(modified),
            },
            changed: system_time(changed),
        }
    }

    /// Whether nothing changed the file during the last `window` (measured on
    /// this machine's clock, so only meaningful for local file systems).
    pub(crate) fn quiet_for(&self, window: Duration, now: SystemTime) -> bool {
        now.duration_since(self.changed)
            .is_ok_and(|since| since >= window)
    }
}

/// A file time given as seconds and nanoseconds since 1970; one that does not
/// fit reads as 1970.
fn system_time((seconds, nanos): (i64, i64)) -> SystemTime {
    let nanos = Duration::from_nanos(u64::try_from(nanos).unwrap_or(0));
    let whole = Duration::from_secs(seconds.unsigned_abs());
    let at = if seconds >= 0 {
        UNIX_EPOCH.checked_add(whole)
    } else {
        UNIX_EPOCH.checked_sub(whole)
    };
    at.and_then(|at| at.checked_add(nanos))
        .unwrap_or(UNIX_EPOCH)
}

/// Whether an error means that nothing is at the path any more.
pub(crate) fn is_gone(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// The files reported and the files waiting to be complete.
#[derive(Debug)]
pub(crate) struct Tracker {
    /// Each reported file still there, with the stamp it was reported with.
    reported: Files<Stamp>,
    /// Files found by a scan and not yet complete, with the stamp checks saw and
    /// since when (none before the first check).
    pending: Files<Option<(Stamp, Instant)>>,
    /// How long a file must keep its stamp to count as complete.
    window: Duration,
}

impl Tracker {
    /// A tracker for which a file that keeps its stamp for `window` is complete.
    pub(crate) fn new(window: Duration) -> Self {
        Self {
            reported: Files::default(),
            pending: Files::default(),
            window,
        }
    }

    /// How long a file must keep its stamp to count as complete.
    pub(crate) fn window(&self) -> Duration {
        self.window
    }

    /// The file at `path` is complete now (`now` is what is there): the stamp to
    /// report, unless this version was reported already.
    pub(crate) fn complete(&mut self, path: &Path, now: Option<Stamp>) -> Option<Stamp> {
        let Some(stamp) = now else {
            self.forget(path);
            return None;
        };
        self.pending.remove(path);
        self.report(path, stamp)
    }

    /// A check, `at` that instant, of a file that may still be written: the stamp
    /// to report once checks saw it unchanged for the window, or at once when
    /// `quiet` (nothing changed the file lately).
    pub(crate) fn check(
        &mut self,
        path: &Path,
        now: Option<Stamp>,
        at: Instant,
        quiet: bool,
    ) -> Option<Stamp> {
        let Some(stamp) = now else {
            self.forget(path);
            return None;
        };
        if self.reported.get(path) == Some(&stamp) {
            self.pending.remove(path);
            return None;
        }
        let stable = match self.pending.get_mut(path) {
            Some(Some((seen, since))) if *seen == stamp => {
                at.saturating_duration_since(*since) >= self.window
            }
            Some(last) => {
                *last = Some((stamp, at));
                false
            }
            None => {
                self.pending.insert(path.to_owned(), Some((stamp, at)));
                false
            }
        };
        if stable || quiet {
            self.pending.remove(path);
            self.report(path, stamp)
        } else {
            None
        }
    }

    /// A scan found the file at `path` with `stamp`: unless that version was
    /// reported, it waits for checks.
    pub(crate) fn found(&mut self, path: PathBuf, stamp: Stamp) {
        if self.reported.get(&path) != Some(&stamp) && !self.pending.contains(&path) {
            self.pending.insert(path, None);
        }
    }

    /// Whether a version of the file at `path` was reported.
    pub(crate) fn is_reported(&self, path: &Path) -> bool {
        self.reported.contains(path)
    }

    /// The file at `path` counts as reported with `stamp`, without a report (files
    /// already there when the service starts, with `initial_scan = false`).
    pub(crate) fn assume_reported(&mut self, path: PathBuf, stamp: Stamp) {
        self.pending.remove(&path);
        self.reported.insert(path, stamp);
    }

    /// The file at `path` is gone.
    pub(crate) fn forget(&mut self, path: &Path) {
        self.reported.remove(path);
        self.pending.remove(path);
    }

    /// The directory at `dir` is gone, with everything in it.
    pub(crate) fn forget_under(&mut self, dir: &Path) {
        self.reported.remove_under(dir);
        self.pending.remove_under(dir);
    }

    /// Every file reported or waiting.
    pub(crate) fn known(&self) -> impl Iterator<Item = &Path> {
        let reported = self.reported.keys();
        let pending = self
            .pending
            .keys()
            .filter(|path| !self.reported.contains(path));
        reported.chain(pending)
    }

    /// The files waiting to be complete.
    pub(crate) fn pending(&self) -> impl Iterator<Item = &Path> {
        self.pending.keys()
    }

    /// How many files are reported and still there.
    pub(crate) fn reported_len(&self) -> usize {
        self.reported.len()
    }

    /// How many files wait to be complete.
    pub(crate) fn pending_len(&self) -> usize {
        self.pending.len()
    }

    fn report(&mut self, path: &Path, stamp: Stamp) -> Option<Stamp> {
        // One search of the map: most reports are of files new to it, whose
        // path it takes anyway.
        match self.reported.entry(path) {
            Entry::Occupied(entry) if *entry.get() == stamp => None,
            Entry::Occupied(mut entry) => {
                entry.insert(stamp);
                Some(stamp)
            }
            Entry::Vacant(entry) => {
                entry.insert(stamp);
                Some(stamp)
            }
        }
    }
}

/// A map from paths, hashed by their bytes with std's seeded hash (the names
/// are others' to choose): one hash of the path, where an ordered map compared
/// the whole path, most of it the directory all share, at every step down its
/// tree. An empty map is not asked at all, as it would hash the path first.
#[derive(Debug)]
struct Files<V>(HashMap<OsString, V>);

impl<V> Default for Files<V> {
    fn default() -> Self {
        Self(HashMap::new())
    }
}

impl<V> Files<V> {
    fn get(&self, path: &Path) -> Option<&V> {
        if self.0.is_empty() {
            return None;
        }
        self.0.get(path.as_os_str())
    }

    fn get_mut(&mut self, path: &Path) -> Option<&mut V> {
        if self.0.is_empty() {
            return None;
        }
        self.0.get_mut(path.as_os_str())
    }

    fn contains(&self, path: &Path) -> bool {
        !self.0.is_empty() && self.0.contains_key(path.as_os_str())
    }

    fn entry(&mut self, path: &Path) -> Entry<'_, OsString, V> {
        self.0.entry(path.as_os_str().to_owned())
    }

    fn insert(&mut self, path: PathBuf, value: V) {
        self.0.insert(path.into_os_string(), value);
    }

    fn remove(&mut self, path: &Path) {
        if !self.0.is_empty() {
            self.0.remove(path.as_os_str());
        }
    }

    fn keys(&self) -> impl Iterator<Item = &Path> {
        self.0.keys().map(Path::new)
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    /// Removes the entries below `dir` (not `dir` itself), looking through all:
    /// only when a directory goes.
    fn remove_under(&mut self, dir: &Path) {
        let mut prefix = dir.as_os_str().as_encoded_bytes().to_vec();
        if !prefix.ends_with(b"/") {
            prefix.push(b'/');
        }
        self.0
            .retain(|path, _| !path.as_encoded_bytes().starts_with(&prefix));
    }
}
