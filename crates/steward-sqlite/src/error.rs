//! Why a journal file could not be opened.

use std::path::PathBuf;

/// A journal file could not be opened. Every variant names the file; none of them
/// leaves the file changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The folder the file goes in could not be created.
    #[error("cannot create the folder of journal {}: {source}", path.display())]
    CreateDir {
        /// The journal file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file exists and could not be read.
    #[error("cannot read journal {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file exists and is not an SQLite database (it is left untouched).
    #[error(
        "journal {} is not an SQLite database; it was left untouched (move it away or point [journal] path at another file)",
        path.display()
    )]
    NotADatabase {
        /// The file.
        path: PathBuf,
    },
    /// The file is an SQLite database that belongs to something else (it is left
    /// untouched).
    #[error(
        "journal {} is another application's SQLite database ({what}); it was left untouched (point [journal] path at a file of its own)",
        path.display()
    )]
    NotAJournal {
        /// The file.
        path: PathBuf,
        /// What gave it away.
        what: String,
    },
    /// The file was written by a newer version of this crate, whose schema this
    /// version does not know.
    #[error(
        "journal {} has schema version {found}, newer than version {supported} that this Steward knows; upgrade Steward or point [journal] path at another file",
        path.display()
    )]
    NewerSchema {
        /// The file.
        path: PathBuf,
        /// The version the file has.
        found: u32,
        /// The newest version this crate knows.
        supported: u32,
    },
    /// A step bringing the schema up to date failed; the file keeps the version
    /// it had before that step.
    #[error("cannot migrate journal {} to schema version {version}: {source}", path.display())]
    Migrate {
        /// The file.
        path: PathBuf,
        /// The version the failed step leads to.
        version: u32,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// SQLite refused to open or set up the file.
    #[error("cannot open journal {}: {source}", path.display())]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// SQLite did not take a setting the journal needs (it read back another
    /// value).
    #[error("cannot set up journal {}: PRAGMA {pragma} = {wanted} left it at {found}", path.display())]
    Setting {
        /// The file.
        path: PathBuf,
        /// The pragma.
        pragma: &'static str,
        /// The value asked for.
        wanted: &'static str,
        /// The value read back.
        found: String,
    },
    /// Another journal holds the file: a host in another process (or another
    /// journal in this one) runs on it, and two would replay the same actions.
    /// The file is left untouched.
    #[error(
        "journal {} is in use{}: one journal file serves one host at a time (the lock on {} is held); stop that host or point [journal] path at another file",
        path.display(),
        held_by(*holder),
        lock.display()
    )]
    InUse {
        /// The file.
        path: PathBuf,
        /// The lock file beside it.
        lock: PathBuf,
        /// The id of the process that holds it, when it could be read.
        holder: Option<u32>,
    },
    /// The lock file beside the journal could not be created or locked.
    #[error("cannot lock journal {} (lock file {}): {source}", path.display(), lock.display())]
    Lock {
        /// The file.
        path: PathBuf,
        /// The lock file beside it.
        lock: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// One of the journal's threads (its writer, or the one that copies its log
    /// into the file) could not be started.
    #[error("cannot start a thread for journal {}: {source}", path.display())]
    Thread {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Who holds a journal's lock, as a message says it.
fn held_by(holder: Option<u32>) -> String {
    match holder {
        Some(pid) if pid == std::process::id() => " by another journal in this process".to_owned(),
        Some(pid) => format!(" by another process (pid {pid})"),
        None => " by another process".to_owned(),
    }
}
