//! A journal wrapper that says when the last of a known number of actions has its
//! end committed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use steward::{ActionChange, ActionId, ActionRecord, Backlog, BacklogPage, Journal, JournalFuture};
use steward_sqlite::SqliteJournal;
use tokio::sync::oneshot;

/// Counts the actions whose end the journal committed, and says when the last
/// one was.
struct Tally {
    expected: u64,
    finished: AtomicU64,
    done: Mutex<Option<oneshot::Sender<Instant>>>,
}

impl Tally {
    fn finished_one(&self) {
        if self.finished.fetch_add(1, Ordering::Relaxed) + 1 == self.expected {
            let done = self
                .done
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            if let Some(done) = done {
                let _ = done.send(Instant::now());
            }
        }
    }
}

/// The SQLite journal, counting finishes once they are committed.
pub(crate) struct Counted {
    journal: Arc<SqliteJournal>,
    tally: Arc<Tally>,
}

impl Counted {
    /// `journal`, and the time the `expected`th finish was committed, once it is.
    pub(crate) fn new(
        journal: Arc<SqliteJournal>,
        expected: usize,
    ) -> (Self, oneshot::Receiver<Instant>) {
        let (done, all_done) = oneshot::channel();
        let tally = Arc::new(Tally {
            expected: expected as u64,
            finished: AtomicU64::new(0),
            done: Mutex::new(Some(done)),
        });
        (Self { journal, tally }, all_done)
    }
}

impl Journal for Counted {
    fn accept(&self, record: ActionRecord) -> JournalFuture<'_, ()> {
        self.journal.accept(record)
    }

    fn update(&self, id: ActionId, change: ActionChange) -> JournalFuture<'_, ()> {
        let finished = change.state.is_finished();
        let write = self.journal.update(id, change);
        if !finished {
            return write;
        }
        JournalFuture::new(async move {
            write.await?;
            self.tally.finished_one();
            Ok(())
        })
    }

    fn get(&self, id: ActionId) -> JournalFuture<'_, Option<ActionRecord>> {
        self.journal.get(id)
    }

    fn unfinished(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        self.journal.unfinished()
    }

    fn backlog(&self) -> JournalFuture<'_, Backlog> {
        self.journal.backlog()
    }

    fn backlog_page(&self, page: BacklogPage) -> JournalFuture<'_, Vec<ActionRecord>> {
        self.journal.backlog_page(page)
    }

    fn dead_letters(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        self.journal.dead_letters()
    }

    fn history(&self, service: &str, limit: usize) -> JournalFuture<'_, Vec<ActionRecord>> {
        self.journal.history(service, limit)
    }
}
