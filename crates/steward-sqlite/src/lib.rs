//! A durable [`Journal`](steward::Journal) for Steward on an embedded SQLite file:
//! accepted actions survive restarts and crashes, and are replayed when the next
//! host starts.
//!
//! ```
//! use steward::Host;
//! use steward_sqlite::SqliteJournal;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("data/steward.db");
//! // `[journal] kind = "sqlite", path = "data/steward.db"` in configuration.
//! let journal = SqliteJournal::open(path)?;
//! let host = Host::builder().journal(journal).build()?;
//! # drop(host);
//! # Ok(()) }
//! ```
//!
//! A host built from configuration opens the journal its `[journal]` section
//! names with [`HostBuilder::journal_from`](steward::HostBuilder::journal_from) and
//! [`SqliteJournalBuilder::from`] (the `steward` binary does this itself);
//! [`SqliteJournal::inspect`] checks a file without touching it.
//!
//! # Durability
//!
//! - **When [`accept`](steward::Journal::accept) returns `Ok`, the action is
//!   committed**, in WAL mode, at the [`Synchronous`] level the journal was
//!   opened with ([`SqliteJournalBuilder::synchronous`], `[journal] synchronous`).
//!   The same holds for [`update`](steward::Journal::update).
//!   - `full` (the default): the log was synced to the disk before the commit
//!     returned, so a crash of the process, of the kernel, or a power cut after
//!     that keeps the action.
//!   - `normal`: the commit was written to the log through the operating system
//!     and not synced (SQLite syncs the log when it copies it into the file, at
//!     checkpoints, about every 1,000 pages written). A crash of the process keeps
//!     the action, since the operating system has it; a power cut or a kernel
//!     crash before the next sync may take back the last commits, actions
//!     already acknowledged with `202` among them. The file itself stays
//!     consistent either way: what a power cut takes back is whole commits, the
//!     latest ones.
//! - **Writes are committed in groups.** One writer thread owns the write
//!   connection; callers send it their writes over a bounded queue (a caller waits
//!   when the queue is full, so memory stays bounded whatever the backlog) and it
//!   commits everything waiting, up to 1,024 writes, in one transaction: many
//!   callers share one sync. [`SqliteJournal::commits`] counts the transactions.
//! - **Checkpoints happen beside the writer.** SQLite copies its log into the
//!   file (and syncs the file) at a *checkpoint*. By itself it does so on the
//!   committing connection, every 1,000 pages or so, and the writer would sit on
//!   that sync while callers' writes queued. Here a thread of its own copies the log
//!   once it has grown by 1,000 pages, and the writer then copies only what was
//!   committed meanwhile, so that the log starts over and stays a few MB; should a
//!   reader hold an old snapshot, the log is copied again every further 1,000 pages.
//!   Closing the journal waits for a copy under way.
//! - **A group is written whole or not at all.** If its commit fails (a full disk,
//!   an I/O error), every caller in it gets a [`JournalError`](steward::JournalError)
//!   and none of its writes is in the file; later writes are tried afresh, so the
//!   journal works again once the cause goes away.
//! - **Delivery is at least once.** Actions queued or running when a process stops
//!   (or crashes) are [`unfinished`](steward::Journal::unfinished) in the file, and
//!   the next host replays them: a handler may see an action again if the process
//!   died after the handler's work but before its outcome was committed.
//! - **Replay takes a page of memory, whatever the backlog.** The host reads the
//!   [`backlog`](steward::Journal::backlog) (one seek per service) and then each
//!   service's actions a [page](steward::Journal::backlog_page) at a time as its
//!   mailbox has room, highest priority first, along an index of unfinished actions
//!   by service, priority and id: each page is a seek, as cheap at the end of a
//!   million queued actions as at the start.
//! - **History is bounded.** Finished actions are kept for a time and up to a
//!   number ([`SqliteJournalBuilder::keep_for`],
//!   [`keep_finished`](SqliteJournalBuilder::keep_finished); 7 days and 100,000 by
//!   default) and pruned by the writer itself, a bounded batch at a time: when the
//!   journal opens, about once a minute while it is written to, and while nothing
//!   is written every tenth of `keep_for` (at least a minute apart, at most an
//!   hour), so that an idle host forgets on time too; or at once with
//!   [`SqliteJournal::prune`]. Queued, running and dead-lettered actions are never
//!   pruned.
//! - **One journal per file.** Two hosts on one file would both replay its
//!   unfinished actions, so opening takes an exclusive lock on a file beside it
//!   (`steward.db.lock` for `steward.db`), held until the journal is closed or
//!   dropped and its writer has stopped (the kernel lets go of it when the process
//!   dies, however it dies). A second journal on the file waits for it up to the
//!   [`busy_timeout`](SqliteJournalBuilder::busy_timeout) (5 s), as one closing in
//!   the same process does, then is refused with [`OpenError::InUse`], naming the
//!   file and the process that holds it. [`SqliteJournal::inspect`] takes no lock.
//!
//! # The file
//!
//! A table `steward_actions`, one row per action: ids as their 16 bytes
//! (big-endian, so they sort as ids do), times as microseconds since 1970 in UTC
//! (a time is kept to the microsecond), parameters and results as JSON text,
//! states as small numbers (0 queued, 1 running, 2 dead-lettered, 3 succeeded,
//! 4 failed, 5 timed out, 6 cancelled), and services by number, each named once in
//! a table `steward_services`. Its schema version is in
//! `PRAGMA user_version` and each new version is reached by one more migration step
//! when the file is opened. A file written by a newer version, a file that is not
//! an SQLite database, or another application's database is refused with an
//! [`OpenError`] and left untouched.
#![doc(test(attr(deny(warnings))))]

mod backlog;
mod builder;
mod connection;
mod error;
mod journal;
mod lock;
mod prune;
mod read;
mod row;
mod schema;
mod services;
mod state;
mod writer;

pub use builder::SqliteJournalBuilder;
pub use error::OpenError;
pub use journal::SqliteJournal;
/// How far a commit reaches before a write is answered (from the core, where
/// `[journal] synchronous` is read).
pub use steward::Synchronous;
