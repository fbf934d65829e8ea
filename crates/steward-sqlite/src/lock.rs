//! One journal per file: an exclusive advisory lock on a file beside the journal,
//! held while its writer runs, so that two hosts never replay the same actions.
//!
//! The lock is on `steward.db.lock`, not on `steward.db` itself. SQLite locks the
//! database with POSIX record locks, and POSIX drops every such lock a process
//! holds on a file when any of its descriptors for that file is closed: a
//! descriptor of our own on the database, closed with the journal, would take
//! away the locks of the reading connections still open. Where `flock` is
//! emulated with record locks (NFS), a lock on the database would also collide
//! with SQLite's own.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::OpenError;

/// How long opening waits between looks at a lock another journal holds.
const LOOK_EVERY: Duration = Duration::from_millis(10);

/// The lock on a journal file; let go when dropped (and by the kernel when the
/// process dies, however it dies).
#[derive(Debug)]
pub(crate) struct FileLock {
    /// `None` where the file system cannot lock files.
    _file: Option<File>,
}

/// The lock file of the journal at `path`: `steward.db.lock` beside `steward.db`.
pub(crate) fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl FileLock {
    /// Takes the lock of the journal at `path` (its folder must exist), waiting up
    /// to `wait` for a journal that holds it to close: one closing in this process
    /// lets go once its writer has written what it was sent.
    pub(crate) fn take(path: &Path, wait: Duration) -> Result<Self, OpenError> {
        let lock = lock_path(path);
        let failed = |source| OpenError::Lock {
            path: path.to_owned(),
            lock: lock.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock)
            .map_err(failed)?;
        let deadline = Instant::now().checked_add(wait);
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                        return Err(OpenError::InUse {
                            path: path.to_owned(),
                            lock,
                            holder: holder(&mut file),
                        });
                    }
                    std::thread::sleep(LOOK_EVERY);
                }
                Err(TryLockError::Error(error)) if error.kind() == ErrorKind::Unsupported => {
                    tracing::warn!(path = %path.display(), %error, "the journal's file system cannot lock files; nothing stops a second host from using the file");
                    return Ok(Self { _file: None });
                }
                Err(TryLockError::Error(source)) => return Err(failed(source)),
            }
        }
        sign(&mut file);
        Ok(Self { _file: Some(file) })
    }
}

/// Writes this process's id in the lock file, for an opener that finds it locked
/// to name. Only ever read for a message: a failure is no reason to refuse.
fn sign(file: &mut File) {
    let signed = file
        .set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| writeln!(file, "{}", std::process::id()));
    if let Err(error) = signed {
        tracing::debug!(%error, "cannot write the process id in the journal's lock file");
    }
}

/// The id of the process holding the lock, as it wrote it.
fn holder(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(32).read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests;
