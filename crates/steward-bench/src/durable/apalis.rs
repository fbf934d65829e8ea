//! apalis: one worker on `SqliteStorage` (apalis-sqlite), set up as its README
//! does: a pool whose connections report inserts through SQLite's update hook, so
//! the worker wakes when a job is pushed; `SqliteStorage::setup` for its pragmas
//! and tables. Each caller pushes through a storage clone of its own.
//!
//! With 16 pushers and the worker on one file, a push can wait longer than sqlx's
//! busy timeout (5 s) for the write lock and fail with `SQLITE_BUSY` ("database is
//! locked"), having written nothing: the caller then pushes again, counted, and
//! the wait stays in its latency.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};
use apalis::prelude::{BoxDynError, TaskSink as _, TaskSinkError, WorkerBuilder};
use apalis_sqlite::{SqlitePool, SqliteStorage};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, oneshot};

use super::{Load, Round};

/// How long the worker may take to stop before the round fails.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the file is asked how many jobs are done, once the handler has run
/// them all.
const DONE_POLL: Duration = Duration::from_millis(1);

/// The job: nothing to do.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Noop;

/// Jobs the handler ran, and a wake-up once it has run them all.
struct Handled {
    expected: usize,
    count: AtomicUsize,
    all: Notify,
}

/// A caller: its own storage clone, and the count of pushes refused as locked.
struct Pusher {
    storage: SqliteStorage<Noop>,
    locked: Arc<AtomicU64>,
}

impl super::Submitter for Pusher {
    async fn submit(&mut self) -> anyhow::Result<()> {
        loop {
            match self.storage.push(Noop).await {
                Ok(()) => return Ok(()),
                Err(error) if is_locked(&error) => {
                    self.locked.fetch_add(1, Ordering::Relaxed);
                }
                Err(error) => return Err(anyhow!("apalis push failed: {error}")),
            }
        }
    }
}

/// Whether a push failed on `SQLITE_BUSY` (or one of its extended codes), which
/// rolls back what it wrote.
fn is_locked(error: &TaskSinkError<apalis_sqlite::Error>) -> bool {
    let TaskSinkError::PushError(apalis_sqlite::Error::Database(sqlx::Error::Database(error))) =
        error
    else {
        return false;
    };
    error
        .code()
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| code & 0xff == 5)
}

pub(super) async fn round(load: Load) -> anyhow::Result<Round> {
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("apalis.db").display()
    );
    let (pool, hook) = SqliteStorage::connect_with_callback(&url)?;
    SqliteStorage::setup(&pool).await?;
    let storage = SqliteStorage::<Noop>::new(&pool);
    let handled = Arc::new(Handled {
        expected: load.actions,
        count: AtomicUsize::new(0),
        all: Notify::new(),
    });
    let worker = {
        let handled = handled.clone();
        WorkerBuilder::new("durable")
            .backend(storage.clone().with_callback(hook))
            .build(move |_job: Noop| {
                let handled = handled.clone();
                async move {
                    if handled.count.fetch_add(1, Ordering::Relaxed) + 1 == handled.expected {
                        handled.all.notify_one();
                    }
                    Ok::<(), BoxDynError>(())
                }
            })
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let mut running = tokio::spawn(worker.run_until(async move {
        let _ = stopped.await;
        Ok::<(), apalis::prelude::WorkerError>(())
    }));

    let locked = Arc::new(AtomicU64::new(0));
    let accepted = super::submit_all(load, |_| Pusher {
        storage: storage.clone(),
        locked: locked.clone(),
    })
    .await;
    let mut ended = None;
    let done = match &accepted {
        Ok(_) => {
            super::completion("apalis", async {
                tokio::select! {
                    done = async {
                        handled.all.notified().await;
                        all_done(&pool, load.actions).await
                    } => done,
                    early = &mut running => {
                        ended = Some(early);
                        Err(anyhow!("the apalis worker ended before every job was done"))
                    }
                }
            })
            .await
        }
        Err(_) => Err(anyhow!("not every job was pushed")),
    };
    let _ = stop.send(());
    let ended = match ended {
        Some(ended) => ended,
        None => tokio::time::timeout(STOP_TIMEOUT, running)
            .await
            .map_err(|_| anyhow!("the apalis worker did not stop"))?,
    };
    ended
        .context("the apalis worker panicked")?
        .map_err(|error| anyhow!("the apalis worker failed: {error}"))?;
    pool.close().await;
    let mut round = Round::new(accepted?, done?, None);
    round.locked = Some(locked.load(Ordering::Relaxed));
    Ok(round)
}

/// Asks the file until every job is `Done`; returns when it first was.
async fn all_done(pool: &SqlitePool, jobs: usize) -> anyhow::Result<Instant> {
    loop {
        let done: i64 = sqlx::query_scalar("SELECT count(*) FROM Jobs WHERE status = 'Done'")
            .fetch_one(pool)
            .await?;
        if usize::try_from(done).is_ok_and(|done| done >= jobs) {
            return Ok(Instant::now());
        }
        tokio::time::sleep(DONE_POLL).await;
    }
}
