//! [`SqliteJournal`]: the handle callers hold, and how it talks to the writer
//! thread and the readers.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use steward::{
    ActionChange, ActionId, ActionRecord, Backlog, BacklogPage, Journal, JournalError,
    JournalFuture, Synchronous,
};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot};

use crate::backlog;
use crate::builder::SqliteJournalBuilder;
use crate::connection::{Setup, classify, create_folder, inspect, open_checkpointer, open_writer};
use crate::error::OpenError;
use crate::lock::FileLock;
use crate::prune::{History, Schedule};
use crate::read::{self, Readers};
use crate::row::{ChangeRow, Row};
use crate::schema;
use crate::services::Numbers;
use crate::writer::{Checkpoints, Message, Stats, Write, Writer};

/// How many requests may wait for the writer; callers beyond wait for room.
const QUEUE: usize = 4096;

/// A durable [`Journal`] on an embedded SQLite file.
///
/// Writes ([`accept`](Journal::accept), [`update`](Journal::update)) go to one
/// writer thread, which commits everything waiting in one transaction (a *group
/// commit*) and answers once it is on disk; reads run on connections of their own,
/// on Tokio's blocking pool. See the [crate documentation](crate) for what is
/// promised when.
///
/// Dropping the journal lets the writer finish what was sent and stop in the
/// background; [`close`](Self::close) waits for it.
pub struct SqliteJournal {
    path: Arc<Path>,
    sender: mpsc::Sender<Message>,
    readers: Arc<Readers>,
    stats: Arc<Stats>,
    synchronous: Synchronous,
}

impl SqliteJournal {
    /// The schema version this crate writes (in the file's `PRAGMA user_version`).
    pub const SCHEMA_VERSION: u32 = schema::LATEST;

    /// Opens the journal at `path` with the default settings, creating the file
    /// and its folders if need be and bringing an older schema up to date.
    ///
    /// A file that is not an SQLite database, belongs to another application, or
    /// was written by a newer version of this crate is refused with an
    /// [`OpenError`] that names it, and left as it is. Opening blocks while it
    /// reads the file: call it before the host starts, or on a blocking thread.
    ///
    /// ```
    /// use steward::Host;
    /// use steward_sqlite::SqliteJournal;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("data/steward.db");
    /// let host = Host::builder()
    ///     .journal(SqliteJournal::open(path)?)
    ///     .build()?;
    /// # drop(host);
    /// # Ok(()) }
    /// ```
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, OpenError> {
        Self::builder(path).open()
    }

    /// A builder for a journal at `path` with settings of its own: how much
    /// history to keep, a size cap.
    pub fn builder(path: impl Into<PathBuf>) -> SqliteJournalBuilder {
        SqliteJournalBuilder::new(path.into())
    }

    /// Checks the file at `path` the way [`open`](Self::open) would, without
    /// creating, migrating or otherwise changing it: `Ok(None)` when there is no
    /// file yet (opening will create it), else `Ok(Some(version))` with its schema
    /// version, one that this crate opens (bringing it up to date if it is older).
    /// A file [`open`](Self::open) would refuse is refused with the same
    /// [`OpenError`]. For `steward check`, and for tools that look before they
    /// start a host.
    ///
    /// ```
    /// use steward_sqlite::SqliteJournal;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("steward.db");
    /// assert_eq!(SqliteJournal::inspect(&path)?, None);
    /// SqliteJournal::open(&path)?;
    /// assert_eq!(SqliteJournal::inspect(&path)?, Some(SqliteJournal::SCHEMA_VERSION));
    /// # Ok(()) }
    /// ```
    pub fn inspect(path: impl AsRef<Path>) -> Result<Option<u32>, OpenError> {
        let defaults = SqliteJournalBuilder::new(PathBuf::new());
        inspect(path.as_ref(), defaults.busy_timeout)
    }

    pub(crate) fn with(builder: SqliteJournalBuilder) -> Result<Self, OpenError> {
        let path = builder.path;
        let setup = Setup {
            busy_timeout: builder.busy_timeout,
            max_size: builder.max_size,
            synchronous: builder.synchronous,
        };
        create_folder(&path)?;
        // Before the file is read: another host may be migrating or replaying it.
        let lock = FileLock::take(&path, builder.busy_timeout)?;
        let conn = open_writer(&path, &setup)?;
        let checkpoints = Checkpoints::start(&conn, open_checkpointer(&path, &setup)?, &path)?;
        let readers = Readers::new(path.clone(), builder.busy_timeout)
            .map_err(|source| classify(&path, source))?;
        let stats = Arc::new(Stats::default());
        let (sender, receiver) = mpsc::channel(QUEUE);
        let writer = Writer {
            conn,
            path: path.clone(),
            stats: stats.clone(),
            history: History {
                keep_for: builder.keep_for,
                keep_finished: builder.keep_finished,
            },
            schedule: Schedule::new(builder.keep_for, Instant::now()),
            checkpoints,
            services: Numbers::default(),
        };
        writer
            .spawn(receiver, lock)
            .map_err(|source| OpenError::Thread {
                path: path.clone(),
                source,
            })?;
        tracing::info!(path = %path.display(), synchronous = %builder.synchronous, "journal opened");
        Ok(Self {
            path: path.into(),
            sender,
            readers: Arc::new(readers),
            stats,
            synchronous: builder.synchronous,
        })
    }

    /// The journal's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How far each commit reaches before a write is answered: the level the
    /// writer's connection was set to, and read back from SQLite, when the journal
    /// opened ([`SqliteJournalBuilder::synchronous`]).
    pub fn synchronous(&self) -> Synchronous {
        self.synchronous
    }

    /// How many transactions have committed writes since the journal opened. Each
    /// holds every write that was waiting when it began (up to 1,024), so under
    /// load this grows far more slowly than the number of writes.
    pub fn commits(&self) -> u64 {
        self.stats.commits.load(Ordering::Relaxed)
    }

    /// Deletes now the finished actions the journal no longer keeps (the writer
    /// also does this by itself, a bounded batch at a time, when the journal
    /// opens, about once a minute while it is written to, and every tenth of
    /// `keep_for` while it is not); returns how many it deleted. Writes sent
    /// meanwhile wait until it is done.
    pub async fn prune(&self) -> Result<u64, JournalError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Message::Prune(reply))
            .await
            .map_err(|_| self.closed())?;
        answer.await.map_err(|_| self.closed())?
    }

    /// Writes everything already sent, then stops the writer; waits until it has.
    /// Later writes fail with a [`JournalError`]; reads go on working. Closing a
    /// closed journal does nothing.
    ///
    /// Keep an [`Arc`] to close the journal once the host that uses it has stopped:
    ///
    /// ```
    /// use std::sync::Arc;
    /// use steward::Host;
    /// use steward_sqlite::SqliteJournal;
    ///
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let journal = Arc::new(SqliteJournal::open(dir.path().join("steward.db"))?);
    /// let host = Host::builder().journal(journal.clone()).build()?;
    /// let running = host.start().await?;
    /// // … until it is time to stop …
    /// running.shutdown().await;
    /// journal.close().await?;
    /// # Ok(()) }
    /// ```
    pub async fn close(&self) -> Result<(), JournalError> {
        let (reply, answer) = oneshot::channel();
        if self.sender.send(Message::Close(reply)).await.is_err() {
            return Ok(());
        }
        answer.await.map_err(|_| {
            JournalError(format!(
                "journal {}: the writer stopped before it could close",
                self.path.display()
            ))
        })?
    }

    fn closed(&self) -> JournalError {
        JournalError(format!("journal {} is closed", self.path.display()))
    }

    /// Sends a write to the writer and waits for its group to commit.
    ///
    /// The write is handed over when this is called, not when the future is first
    /// polled, and a caller that gives up while the queue is full still has it
    /// sent: an action the host queued is recorded even if its caller went away.
    fn write(&self, write: Write) -> JournalFuture<'_, ()> {
        let (reply, answer) = oneshot::channel();
        let unsent = match self.sender.try_send(Message::Write(write, reply)) {
            Ok(()) => None,
            Err(TrySendError::Closed(_)) => return JournalFuture::ready(Err(self.closed())),
            Err(TrySendError::Full(message)) => Some(Unsent {
                message: Some(message),
                sender: self.sender.clone(),
            }),
        };
        JournalFuture::new(async move {
            if let Some(mut unsent) = unsent {
                let permit = unsent.sender.reserve().await.map_err(|_| self.closed())?;
                if let Some(message) = unsent.message.take() {
                    permit.send(message);
                }
            }
            answer.await.map_err(|_| {
                JournalError(format!(
                    "journal {}: closed before the write was committed",
                    self.path.display()
                ))
            })?
        })
    }

    /// Runs a read on Tokio's blocking pool.
    fn read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&rusqlite::Connection) -> Result<T, String> + Send + 'static,
    ) -> JournalFuture<'_, T> {
        let readers = self.readers.clone();
        JournalFuture::new(async move {
            let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
                JournalError("the SQLite journal reads on a Tokio runtime; none is running".into())
            })?;
            runtime
                .spawn_blocking(move || readers.read(read))
                .await
                .map_err(|error| JournalError(format!("journal read did not finish: {error}")))?
        })
    }
}

impl Journal for SqliteJournal {
    fn accept(&self, record: ActionRecord) -> JournalFuture<'_, ()> {
        match Row::from_record(&record) {
            Ok(row) => self.write(Write::Accept(Box::new(row))),
            Err(error) => {
                JournalFuture::ready(Err(JournalError(format!("action {}: {error}", record.id))))
            }
        }
    }

    fn update(&self, id: ActionId, change: ActionChange) -> JournalFuture<'_, ()> {
        match ChangeRow::new(id, &change) {
            Ok(row) => self.write(Write::Update(row)),
            Err(error) => JournalFuture::ready(Err(JournalError(format!("action {id}: {error}")))),
        }
    }

    fn get(&self, id: ActionId) -> JournalFuture<'_, Option<ActionRecord>> {
        self.read(move |conn| read::get(conn, id))
    }

    /// Queued and running actions, oldest first (by id), all at once: for
    /// inspection. Replay reads them a page at a time.
    fn unfinished(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        self.read(|conn| read::all(conn, read::UNFINISHED))
    }

    /// One seek per service along the backlog's index, and one for the newest id.
    fn backlog(&self) -> JournalFuture<'_, Backlog> {
        self.read(backlog::outline)
    }

    /// Seeks to the page along the backlog's index: as cheap at the end of a long
    /// backlog as at its start.
    fn backlog_page(&self, page: BacklogPage) -> JournalFuture<'_, Vec<ActionRecord>> {
        self.read(move |conn| backlog::page(conn, &page))
    }

    fn dead_letters(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        self.read(|conn| read::all(conn, read::DEAD_LETTERS))
    }

    /// Read newest first along the service's index, so a short history of a
    /// long-lived service costs no more than its length.
    fn history(&self, service: &str, limit: usize) -> JournalFuture<'_, Vec<ActionRecord>> {
        let service = service.to_owned();
        self.read(move |conn| read::history(conn, &service, limit))
    }
}

impl fmt::Debug for SqliteJournal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteJournal")
            .field("path", &self.path)
            .field("synchronous", &self.synchronous)
            .field("commits", &self.commits())
            .finish_non_exhaustive()
    }
}

/// A write still waiting for room in the queue. Dropped with the write unsent (its
/// caller gave up), it hands the write to a task that waits for room instead.
struct Unsent {
    message: Option<Message>,
    sender: mpsc::Sender<Message>,
}

impl Drop for Unsent {
    fn drop(&mut self) {
        let Some(message) = self.message.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let sender = self.sender.clone();
                runtime.spawn(async move {
                    let _ = sender.send(message).await;
                });
            }
            Err(_) => tracing::warn!("journal write abandoned with no runtime to send it"),
        }
    }
}
