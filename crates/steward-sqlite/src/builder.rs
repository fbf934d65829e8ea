//! How a journal is opened: its file, how much history it keeps, its limits.

use std::path::PathBuf;
use std::time::Duration;

use steward::{JournalConfig, Synchronous};

use crate::SqliteJournal;
use crate::error::OpenError;

/// Opens a [`SqliteJournal`] with settings other than the defaults.
///
/// ```
/// use std::time::Duration;
/// use steward_sqlite::SqliteJournal;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("steward.db");
/// let journal = SqliteJournal::builder(path)
///     .keep_for(Duration::from_secs(24 * 3600))
///     .keep_finished(10_000)
///     .open()?;
/// # drop(journal);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `open` is called"]
pub struct SqliteJournalBuilder {
    pub(crate) path: PathBuf,
    pub(crate) keep_for: Duration,
    pub(crate) keep_finished: u64,
    pub(crate) max_size: Option<u64>,
    pub(crate) busy_timeout: Duration,
    pub(crate) synchronous: Synchronous,
}

impl SqliteJournalBuilder {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self {
            path,
            keep_for: Duration::from_secs(7 * 24 * 3600),
            keep_finished: 100_000,
            max_size: None,
            busy_timeout: Duration::from_secs(5),
            synchronous: Synchronous::Full,
        }
    }

    /// How long finished actions (succeeded, failed, timed out, cancelled) are kept
    /// after their last change: 7 days by default. Unfinished and dead-lettered
    /// actions are kept until they are done or retried, however old.
    pub fn keep_for(mut self, keep_for: Duration) -> Self {
        self.keep_for = keep_for;
        self
    }

    /// How many finished actions are kept at most, the most recently changed:
    /// 100,000 by default.
    pub fn keep_finished(mut self, count: u64) -> Self {
        self.keep_finished = count;
        self
    }

    /// Caps the file at about `bytes` (whole pages; never below its size when
    /// opened): a write that needs more fails with a
    /// [`JournalError`](steward::JournalError), as on a full disk, and nothing of
    /// its group is written. No cap by default.
    pub fn max_size(mut self, bytes: u64) -> Self {
        self.max_size = Some(bytes);
        self
    }

    /// How long a statement waits for a lock another process holds on the file
    /// before it fails, and how long opening waits for another journal on the file
    /// to let go of it (see [One journal per file](crate#durability)): 5 s by
    /// default.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// How far a commit reaches before a write is answered (see the crate's
    /// [Durability](crate#durability) section): [`Synchronous::Full`], the default,
    /// syncs it to the disk, so an acknowledged action survives a power cut;
    /// [`Synchronous::Normal`] hands it to the operating system, so it survives a
    /// crash of the process, and a power cut may take back the last commits.
    ///
    /// ```
    /// use steward_sqlite::{SqliteJournal, Synchronous};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("steward.db");
    /// let journal = SqliteJournal::builder(path)
    ///     .synchronous(Synchronous::Normal)
    ///     .open()?;
    /// assert_eq!(journal.synchronous(), Synchronous::Normal);
    /// # Ok(()) }
    /// ```
    pub fn synchronous(mut self, level: Synchronous) -> Self {
        self.synchronous = level;
        self
    }

    /// Opens the journal (see [`SqliteJournal::open`]).
    pub fn open(self) -> Result<SqliteJournal, OpenError> {
        SqliteJournal::with(self)
    }
}

/// The journal a `[journal]` section describes: its `path` and `synchronous`
/// level, and its `keep_finished` and `keep_for` where it gives them (the defaults
/// where it does not). The section's `kind` is the caller's to check.
///
/// ```
/// use steward::{Host, JournalKind};
/// use steward_sqlite::SqliteJournalBuilder;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("steward.db");
/// let toml = format!("[journal]\nkind = \"sqlite\"\npath = {path:?}\nkeep_for = \"1d\"\nsynchronous = \"normal\"");
/// let host = Host::builder()
///     .config_toml("steward.toml", toml)
///     .journal_from(|journal| match journal.kind {
///         JournalKind::Sqlite => SqliteJournalBuilder::from(journal).open().map(Some),
///         _ => Ok(None),
///     })
///     .build()?;
/// # drop(host);
/// # Ok(()) }
/// ```
impl From<&JournalConfig> for SqliteJournalBuilder {
    fn from(config: &JournalConfig) -> Self {
        let mut builder = Self::new(config.path.clone()).synchronous(config.synchronous);
        if let Some(keep_for) = config.keep_for {
            builder = builder.keep_for(keep_for);
        }
        if let Some(count) = config.keep_finished {
            builder = builder.keep_finished(count);
        }
        builder
    }
}
