//! Why a target could not be cleaned.

pub(crate) use crate::error_chain::chain;

use std::path::PathBuf;

/// Why one target (a table or a directory) could not be cleaned, or a
/// `process-batch` could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CleanupError {
    /// The database file is not there (it is never created).
    #[error("database `{}` does not exist", path.display())]
    MissingDatabase {
        /// The database as written in the settings.
        path: PathBuf,
    },
    /// The directory is not there, or is not a directory.
    #[error("directory `{}` does not exist", path.display())]
    MissingDirectory {
        /// The directory as written in the settings.
        path: PathBuf,
    },
    /// SQLite refused (no such table or column, a locked database, …).
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Reading or deleting a file failed.
    #[error("`{}`: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A blocking call ended without an answer (it panicked or was cancelled).
    #[error("a blocking cleanup call did not complete: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// A `process-batch` asked for batches of nothing.
    #[error("`batch_size` must be at least 1")]
    EmptyBatch,
    /// A `process-batch` filter named no target.
    #[error("no target `{filter}`; targets are: {}", known.join(", "))]
    UnknownTarget {
        /// The filter given.
        filter: String,
        /// Every target's name.
        known: Vec<String>,
    },
}
