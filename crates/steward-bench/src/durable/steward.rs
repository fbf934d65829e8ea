//! Steward: one continuous service with a no-op action on a `SqliteJournal` (at
//! the `synchronous` level of the subject),
//! submitted to through a kept `ServiceRef<Noop>`; a journal wrapper says when
//! every action's end is committed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use anyhow::{Context as _, anyhow};
use steward::{
    ActionChange, ActionId, ActionRecord, Host, Journal, JournalFuture, ServiceRef, State,
    continuous,
};
use steward_sqlite::{SqliteJournal, Synchronous};
use tokio::sync::oneshot;

use super::{Load, Round};
use crate::host::{self, Noop};

/// As many handlers as the mailbox holds actions (its default, 1,024): with one at
/// a time (the default), each action would wait for two commits before the next.
const HANDLERS: usize = 1024;

impl super::Submitter for ServiceRef<Noop> {
    async fn submit(&mut self) -> anyhow::Result<()> {
        self.act("noop", ()).submit().await?;
        Ok(())
    }
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
struct Counted {
    journal: Arc<SqliteJournal>,
    tally: Arc<Tally>,
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

    fn dead_letters(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        self.journal.dead_letters()
    }

    fn history(&self, service: &str, limit: usize) -> JournalFuture<'_, Vec<ActionRecord>> {
        self.journal.history(service, limit)
    }
}

pub(super) async fn round(load: Load, synchronous: Synchronous) -> anyhow::Result<Round> {
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let journal = SqliteJournal::builder(dir.path().join("steward.db"))
        .synchronous(synchronous)
        .open()?;
    let journal = Arc::new(journal);
    let (done, all_done) = oneshot::channel();
    let tally = Arc::new(Tally {
        expected: load.actions as u64,
        finished: AtomicU64::new(0),
        done: Mutex::new(Some(done)),
    });
    let def = continuous("noop", Noop)
        .actions(host::noop_actions())
        .max_concurrency(HANDLERS);
    let running = Host::builder()
        .env_prefix(None)
        .journal(Counted {
            journal: journal.clone(),
            tally: tally.clone(),
        })
        .service(def)
        .build()?
        .start()
        .await?;
    let handle = running.handle();
    handle.service("noop")?.wait_for(State::Running).await;

    let service = handle.of::<Noop>();
    let accepted = super::submit_all(load, |_| service.clone()).await;
    let done = match &accepted {
        Ok(_) => {
            super::completion("steward", async {
                all_done.await.map_err(|_| anyhow!("the tally was dropped"))
            })
            .await
        }
        Err(_) => Err(anyhow!("not every action was accepted")),
    };
    let report = running.shutdown().await;
    journal.close().await?;
    let (accepted, done) = (accepted?, done?);
    host::stopped_cleanly(&report, 1)?;
    Ok(Round::new(accepted, done, Some(journal.commits())))
}
