//! Copying the log into the file off the writer's thread.
//!
//! In WAL mode every commit appends pages to the log, and a *checkpoint* copies
//! them into the database file and syncs it, so that the log can start over. SQLite
//! checkpoints on the committing connection by itself, about every 1,000 pages;
//! for the journal that put the writer to sleep on a disk sync while callers'
//! writes queued (about a third of its time under load). Here the writer's
//! connection does not checkpoint by itself: a thread of its own copies the log
//! when it has grown by [`LOG_PAGES`], and then the writer copies only what was
//! committed meanwhile (a few pages, with a short sync), after which SQLite starts
//! the log over at the next commit. The log stays about as small as before.

use std::cell::Cell;
use std::ffi::c_int;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

use rusqlite::Connection;
use rusqlite::hooks::Wal;

use crate::connection::classify;
use crate::error::OpenError;

/// How many pages the log grows by before it is copied: SQLite's own default.
pub(crate) const LOG_PAGES: u32 = 1000;

thread_local! {
    /// The pages in the log after the last commit on this thread's connection, as
    /// SQLite's log hook reports them (it takes a plain function, so it cannot
    /// hold state of its own; the writer commits on one thread).
    static LOG_SIZE: Cell<u32> = const { Cell::new(0) };
}

fn note_log_size(_: &Wal, pages: c_int) -> rusqlite::Result<()> {
    LOG_SIZE.set(u32::try_from(pages).unwrap_or(0));
    Ok(())
}

/// What the writer does after a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Nothing,
    /// Ask the checkpointing thread for a pass.
    Ask,
    /// The pass asked for is done: copy what was committed since, here.
    CatchUp,
}

/// When the writer asks for a pass and when it catches up, from the log's size
/// after each commit and the passes the thread has finished.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pacing {
    /// The log's size after the commit before.
    last: u32,
    /// The size at which the next pass is asked for.
    next_at: u32,
    /// The passes finished when the one being waited for was asked.
    asked: Option<u64>,
}

impl Default for Pacing {
    fn default() -> Self {
        Self {
            last: 0,
            next_at: LOG_PAGES,
            asked: None,
        }
    }
}

impl Pacing {
    pub(crate) fn after_commit(&mut self, pages: u32, passes: u64) -> Step {
        if pages < self.last {
            // The log started over.
            self.next_at = LOG_PAGES;
        }
        self.last = pages;
        match self.asked {
            None if pages >= self.next_at => {
                self.asked = Some(passes);
                Step::Ask
            }
            Some(before) if passes > before => {
                self.asked = None;
                // Should the log not start over (a reader still on an old
                // snapshot holds it), the next pass is due after as many pages
                // again, so the log is still copied as it grows.
                self.next_at = pages.saturating_add(LOG_PAGES);
                Step::CatchUp
            }
            _ => Step::Nothing,
        }
    }

    /// The log was copied here at `pages`, with no pass asked of the thread.
    pub(crate) fn copied(&mut self, pages: u32) {
        self.asked = None;
        self.next_at = pages.saturating_add(LOG_PAGES);
    }
}

/// The writer's side: the thread, and when to ask it.
#[derive(Debug)]
pub(crate) struct Checkpoints {
    path: PathBuf,
    pacing: Pacing,
    ask: Option<SyncSender<()>>,
    passes: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpoints {
    /// Stops `writer` (the connection that commits) from checkpointing by itself
    /// and starts the thread, on `conn`, a connection of its own to the same file.
    pub(crate) fn start(
        writer: &Connection,
        conn: Connection,
        path: &Path,
    ) -> Result<Self, OpenError> {
        // The pragma replaces the log hook with SQLite's own: set it first.
        writer
            .pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(|source| classify(path, source))?;
        writer.wal_hook(Some(note_log_size));
        let (ask, asked) = sync_channel(1);
        let passes = Arc::new(AtomicU64::new(0));
        let thread = {
            let (passes, path) = (passes.clone(), path.to_owned());
            std::thread::Builder::new()
                .name("steward-sqlite-checkpoint".to_owned())
                .spawn(move || checkpoint(&conn, &path, &asked, &passes))
        };
        let thread = thread.map_err(|source| OpenError::Thread {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self {
            path: path.to_owned(),
            pacing: Pacing::default(),
            ask: Some(ask),
            passes,
            thread: Some(thread),
        })
    }

    /// After the writer committed on `writer`: asks for a pass, or catches up.
    pub(crate) fn committed(&mut self, writer: &Connection) {
        let passes = self.passes.load(Ordering::Acquire);
        match self.pacing.after_commit(LOG_SIZE.get(), passes) {
            Step::Nothing => {}
            Step::Ask => {
                let asked = self.ask.as_ref().map(|ask| ask.try_send(()));
                // Full means a pass is asked for already.
                if let Some(Err(TrySendError::Disconnected(()))) = asked {
                    // The thread is gone (it never should be): the writer copies
                    // the log itself from now on.
                    tracing::warn!(path = %self.path.display(), "the journal's checkpointing thread stopped; the writer copies its log itself");
                    self.ask = None;
                }
                if self.ask.is_none() {
                    self.catch_up(writer);
                    self.pacing.copied(LOG_SIZE.get());
                }
            }
            Step::CatchUp => self.catch_up(writer),
        }
    }

    /// Copies what of the log is not in the file yet, here on the writer's thread.
    fn catch_up(&self, writer: &Connection) {
        if let Err(error) = passive(writer) {
            tracing::warn!(path = %self.path.display(), %error, "cannot copy the journal's log into its file");
        }
    }
}

impl Drop for Checkpoints {
    /// Waits for a pass under way: the file's lock is let go only once nothing
    /// of this journal writes to it.
    fn drop(&mut self) {
        drop(self.ask.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The thread: a pass each time one is asked for, until the writer is gone.
fn checkpoint(conn: &Connection, path: &Path, asked: &Receiver<()>, passes: &AtomicU64) {
    while asked.recv().is_ok() {
        if let Err(error) = passive(conn) {
            tracing::warn!(path = %path.display(), %error, "cannot copy the journal's log into its file");
        }
        passes.fetch_add(1, Ordering::Release);
    }
}

/// Copies into the file what of the log no reader still needs, without waiting
/// for anyone (a pass under way elsewhere makes this one do nothing).
fn passive(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}

#[cfg(test)]
mod tests;
