//! Steward: one continuous service with a no-op action on a `SqliteJournal` (at
//! the `synchronous` level of the subject),
//! submitted to through a kept `ServiceRef<Noop>`; a journal wrapper says when
//! every action's end is committed.

use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use steward::{ServiceRef, State};
use steward_sqlite::{SqliteJournal, Synchronous};

use super::{Load, Round};
use crate::counted;
use crate::host::{self, Noop};

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
    let (running, all_done) = counted::start_noop(journal.clone(), load.actions).await?;
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
