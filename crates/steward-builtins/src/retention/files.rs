//! Deleting a directory's old files (blocking calls, run on `spawn_blocking`).
//!
//! The walk goes down every subdirectory but never follows a symbolic link:
//! links (to files or directories) are neither followed nor deleted, so nothing
//! outside the directory is ever touched. A regular file whose modification
//! time is before the cutoff is deleted; a subdirectory that this emptied is
//! removed too (one that was empty already is left alone, as is the directory
//! itself).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::error::CleanupError;

/// How deep the walk goes below the directory.
const MAX_DEPTH: usize = 64;

/// What a walk did.
#[derive(Debug, Default)]
pub(crate) struct Swept {
    /// Files deleted (or that would be).
    pub(crate) files: u64,
    /// Bytes they held.
    pub(crate) bytes: u64,
    /// Whether it stopped at its limit with old files perhaps left.
    pub(crate) more: bool,
    /// Entries it could not read or delete.
    pub(crate) failures: u64,
    /// The first of those failures.
    pub(crate) first_failure: Option<CleanupError>,
}

/// A walk of one directory.
#[derive(Debug)]
pub(crate) struct Sweep {
    cutoff: SystemTime,
    /// At most this many files.
    limit: Option<u64>,
    dry_run: bool,
    swept: Swept,
}

impl Sweep {
    pub(crate) fn new(cutoff: SystemTime, limit: Option<u64>, dry_run: bool) -> Self {
        Self {
            cutoff,
            limit,
            dry_run,
            swept: Swept::default(),
        }
    }

    /// Deletes `root`'s old files; fails only when `root` is not a directory.
    pub(crate) fn run(mut self, root: &Path) -> Result<Swept, CleanupError> {
        // The directory itself may be a link (the operator's choice); below it,
        // links are never followed.
        match fs::metadata(root) {
            Ok(metadata) if metadata.is_dir() => {}
            Ok(_) => {
                return Err(CleanupError::MissingDirectory {
                    path: root.to_owned(),
                });
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Err(CleanupError::MissingDirectory {
                    path: root.to_owned(),
                });
            }
            Err(source) => {
                return Err(CleanupError::Io {
                    path: root.to_owned(),
                    source,
                });
            }
        }
        self.walk(root, 0);
        Ok(self.swept)
    }

    fn full(&self) -> bool {
        self.limit.is_some_and(|limit| self.swept.files >= limit)
    }

    /// Walks `dir`; answers whether it deleted anything in it.
    fn walk(&mut self, dir: &Path, depth: usize) -> bool {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(source) => {
                self.failed(dir.to_owned(), source);
                return false;
            }
        };
        let mut deleted_any = false;
        for entry in entries {
            if self.full() {
                self.swept.more = true;
                break;
            }
            let entry = match entry {
                Ok(entry) => entry,
                Err(source) => {
                    self.failed(dir.to_owned(), source);
                    continue;
                }
            };
            let path = entry.path();
            // `file_type` does not follow links.
            let kind = match entry.file_type() {
                Ok(kind) => kind,
                Err(source) => {
                    self.failed(path, source);
                    continue;
                }
            };
            if kind.is_dir() {
                if depth < MAX_DEPTH && self.walk(&path, depth + 1) {
                    deleted_any = true;
                    self.remove_if_empty(&path);
                }
            } else if kind.is_file() {
                deleted_any |= self.file(&entry, path);
            }
        }
        deleted_any
    }

    /// Deletes one file if it is old; answers whether it did (or would).
    fn file(&mut self, entry: &fs::DirEntry, path: PathBuf) -> bool {
        let metadata = match entry.metadata() {
            Ok(metadata) => metadata,
            Err(source) => {
                self.failed(path, source);
                return false;
            }
        };
        let modified = match metadata.modified() {
            Ok(modified) => modified,
            Err(source) => {
                self.failed(path, source);
                return false;
            }
        };
        if modified >= self.cutoff {
            return false;
        }
        if !self.dry_run
            && let Err(source) = fs::remove_file(&path)
        {
            if source.kind() != io::ErrorKind::NotFound {
                self.failed(path, source);
            }
            return false;
        }
        self.swept.files += 1;
        self.swept.bytes += metadata.len();
        true
    }

    fn remove_if_empty(&mut self, dir: &Path) {
        if self.dry_run {
            return;
        }
        let empty = fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none());
        if empty
            && let Err(source) = fs::remove_dir(dir)
            && !matches!(
                source.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::DirectoryNotEmpty
            )
        {
            self.failed(dir.to_owned(), source);
        }
    }

    fn failed(&mut self, path: PathBuf, source: io::Error) {
        self.swept.failures += 1;
        if self.swept.first_failure.is_none() {
            self.swept.first_failure = Some(CleanupError::Io { path, source });
        }
    }
}
