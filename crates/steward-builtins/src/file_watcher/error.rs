//! Why a file watcher could not watch.

use std::path::PathBuf;

/// Why a `file-watcher` service's start or run failed. A directory that does not
/// exist yet is no error: the service waits for it, degraded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileWatcherError {
    /// A configured path could not be made absolute.
    #[error("cannot resolve `{}` against the working directory", path.display())]
    Resolve {
        /// The path as configured.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A configured path is a file or something else, not a directory.
    #[error("`{}` is not a directory; a file watcher watches directories", path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// A configured directory cannot be inspected.
    #[error("cannot inspect `{}`", path.display())]
    Inspect {
        /// The directory.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The operating system's notifier could not be set up or read.
    #[error("the operating system's file notifier failed; set polling = true to do without")]
    Notifier(#[source] std::io::Error),
    /// The notifier refused to watch a directory.
    #[error("cannot watch `{}`", path.display())]
    Watch {
        /// The directory.
        path: PathBuf,
        /// What the notifier said.
        source: std::io::Error,
    },
    /// The system's limit on watched directories is reached.
    #[error(
        "cannot watch `{}`: the system's limit on watched directories is reached; raise fs.inotify.max_user_watches, or set polling = true",
        path.display()
    )]
    WatchLimit {
        /// The directory.
        path: PathBuf,
    },
    /// A scan of the directories ended abnormally.
    #[error("the scan of the watched directories ended abnormally")]
    Scan(#[source] std::io::Error),
}

impl FileWatcherError {
    /// The error a refusal to watch `path` means.
    #[cfg(target_os = "linux")]
    pub(crate) fn watch(path: PathBuf, source: std::io::Error) -> Self {
        if source.raw_os_error() == Some(nix::errno::Errno::ENOSPC as i32) {
            FileWatcherError::WatchLimit { path }
        } else {
            FileWatcherError::Watch { path, source }
        }
    }
}
