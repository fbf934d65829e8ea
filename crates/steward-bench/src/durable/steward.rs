//! Steward: one continuous service with a no-op action on a `SqliteJournal` (at
//! the `synchronous` level of the subject),
//! submitted to through a kept `ServiceRef<Noop>`; a journal wrapper says when
//! every action's end is committed.

use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use steward::{Host, ServiceRef, State, continuous};
use steward_sqlite::{SqliteJournal, Synchronous};

use super::{Load, Round};
use crate::counted::Counted;
use crate::host::{self, Noop};

/// As many handlers as the mailbox holds actions (its default, 1,024): with one at
/// a time (the default), each action would wait for two commits before the next.
pub(crate) const HANDLERS: usize = 1024;

impl super::Submitter for ServiceRef<Noop> {
    async fn submit(&mut self) -> anyhow::Result<()> {
        self.act("noop", ()).submit().await?;
        Ok(())
    }
}

pub(super) async fn round(load: Load, synchronous: Synchronous) -> anyhow::Result<Round> {
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let journal = SqliteJournal::builder(dir.path().join("steward.db"))
        .synchronous(synchronous)
        .open()?;
    let journal = Arc::new(journal);
    let (counted, all_done) = Counted::new(journal.clone(), load.actions);
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
