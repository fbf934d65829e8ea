//! A journal wrapper that says when the last of a known number of actions has its
//! end committed, and the no-op host the durable scenarios run on it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use steward::{
    ActionChange, ActionId, ActionRecord, Backlog, BacklogPage, Host, Journal, JournalFuture,
    RunningHost, continuous,
};
use steward_sqlite::SqliteJournal;
use tokio::sync::oneshot;

use crate::host::{self, Noop};

/// As many handlers as the mailbox holds actions (its default, 1,024): with one at
/// a time (the default), each action would wait for two commits before the next.
pub(crate) const HANDLERS: usize = 1024;

/// Starts a host of the no-op service on `journal`, counting finishes; returns it
/// with the time the `expected`th finish was committed, once it is.
pub(crate) async fn start_noop(
    journal: Arc<SqliteJournal>,
    expected: usize,
) -> anyhow::Result<(RunningHost, oneshot::Receiver<Instant>)> {
    let (counted, all_done) = Counted::new(journal, expected);
    let def = continuous("noop", Noop)
        .actions(host::noop_actions())
        .max_concurrency(HANDLERS);
    let running = Host::builder()
        .env_prefix(None)
        .journal(counted)
        .service(def)
        .build()?
        .start()
        .await?;
    Ok((running, all_done))
}

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
    fn new(journal: Arc<SqliteJournal>, expected: usize) -> (Self, oneshot::Receiver<Instant>) {
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
