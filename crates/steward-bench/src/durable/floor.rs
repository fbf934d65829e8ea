//! The floor: rusqlite itself on the journal's pragmas (at the `synchronous` level
//! of the subject). One writer thread commits
//! every row waiting (up to 1,024) in one transaction, together with the deletes
//! of the rows the transaction before committed; callers build their rows and
//! wait for their commit.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, anyhow};
use chrono::Utc;
use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};
use steward_sqlite::Synchronous;
use tokio::sync::{mpsc, oneshot};

use super::{Load, Round};

/// The most rows one transaction inserts, as the journal's writer commits.
const GROUP_LIMIT: usize = 1024;

/// Rows that may wait for the writer, as for the journal's.
const QUEUE: usize = 4096;

/// The journal's columns, as it stores them (an id as 16 bytes, its service and
/// state as numbers, times as microseconds), keyed by id, with no other index.
const SCHEMA: &str = "CREATE TABLE actions (
    id             BLOB PRIMARY KEY NOT NULL,
    service        INTEGER NOT NULL,
    action         TEXT NOT NULL,
    params         TEXT NOT NULL,
    priority       INTEGER NOT NULL,
    timeout_ms     INTEGER,
    max_retries    INTEGER NOT NULL,
    correlation_id TEXT,
    state          INTEGER NOT NULL,
    attempts       INTEGER NOT NULL,
    result         TEXT,
    error          TEXT,
    accepted_at    INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
)";

const INSERT: &str = "INSERT INTO actions (id, service, action, params, priority, timeout_ms, \
    max_retries, correlation_id, state, attempts, result, error, accepted_at, updated_at) \
    VALUES (?1, 1, 'noop', 'null', 0, NULL, 0, NULL, 0, 0, NULL, NULL, ?2, ?2)";

const DELETE: &str = "DELETE FROM actions WHERE id = ?1";

/// A row as a caller builds it: a sortable id (16 bytes, as the journal's) and
/// the time it was accepted (microseconds since 1970, as the journal's).
struct Row {
    id: [u8; 16],
    at: i64,
}

type Request = (Row, oneshot::Sender<()>);

/// A caller: makes rows and waits for each to be committed.
pub(super) struct Caller {
    writer: mpsc::Sender<Request>,
    sequence: Arc<AtomicU64>,
}

impl super::Submitter for Caller {
    async fn submit(&mut self) -> anyhow::Result<()> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos() as u64);
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
        let row = Row {
            id: ((u128::from(nanos) << 64) | u128::from(sequence)).to_be_bytes(),
            at: Utc::now().timestamp_micros(),
        };
        let (committed, answer) = oneshot::channel();
        self.writer
            .send((row, committed))
            .await
            .map_err(|_| anyhow!("the floor's writer is gone"))?;
        answer.await.context("the floor's writer dropped a row")
    }
}

/// What the writer reports when every row is inserted and deleted.
struct Written {
    done: Instant,
    commits: u64,
}

pub(super) async fn round(load: Load, synchronous: Synchronous) -> anyhow::Result<Round> {
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let conn = open(&dir.path().join("floor.db"), synchronous)?;
    let (requests, inbox) = mpsc::channel::<Request>(QUEUE);
    let written = Arc::new(OnceLock::new());
    let writer = {
        let written = written.clone();
        std::thread::Builder::new()
            .name("floor-writer".to_owned())
            .spawn(move || write(conn, inbox, &written))
            .context("starting the floor's writer")?
    };
    let sequence = Arc::new(AtomicU64::new(0));
    let accepted = super::submit_all(load, |_| Caller {
        writer: requests.clone(),
        sequence: sequence.clone(),
    })
    .await;
    // The last sender: once it is gone the writer deletes what is left and ends.
    drop(requests);
    let joined = tokio::task::spawn_blocking(move || writer.join())
        .await
        .context("waiting for the floor's writer")?;
    joined
        .map_err(|_| anyhow!("the floor's writer panicked"))?
        .context("the floor's writer failed")?;
    let accepted = accepted?;
    let written = written.get().context("the floor's writer said nothing")?;
    Ok(Round::new(accepted, written.done, Some(written.commits)))
}

/// Opens the file as the journal does: 2 KiB pages, WAL, the same syncs, the
/// same WAL size limit.
fn open(path: &Path, synchronous: Synchronous) -> anyhow::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // The journal's page size for a new file, set before write-ahead logging.
    conn.pragma_update(None, "page_size", 2048)?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))?;
    anyhow::ensure!(
        mode.eq_ignore_ascii_case("wal"),
        "journal mode stays {mode}"
    );
    let level = match synchronous {
        Synchronous::Normal => "NORMAL",
        _ => "FULL",
    };
    conn.pragma_update(None, "synchronous", level)?;
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

/// The writer thread: each transaction inserts everything waiting (up to
/// [`GROUP_LIMIT`]) and deletes what the transaction before inserted; once every
/// caller is gone, a last one deletes the rest.
fn write(
    mut conn: Connection,
    mut inbox: mpsc::Receiver<Request>,
    written: &OnceLock<Written>,
) -> anyhow::Result<()> {
    let mut group: Vec<Request> = Vec::with_capacity(GROUP_LIMIT);
    let mut to_delete: Vec<[u8; 16]> = Vec::with_capacity(GROUP_LIMIT);
    let mut commits = 0;
    loop {
        let open = match inbox.blocking_recv() {
            Some(first) => {
                group.push(first);
                while group.len() < GROUP_LIMIT {
                    match inbox.try_recv() {
                        Ok(request) => group.push(request),
                        Err(_) => break,
                    }
                }
                true
            }
            None => false,
        };
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut insert = tx.prepare_cached(INSERT)?;
            for (row, _) in &group {
                insert.execute(params![row.id, row.at])?;
            }
            let mut delete = tx.prepare_cached(DELETE)?;
            for id in to_delete.drain(..) {
                delete.execute([id])?;
            }
        }
        tx.commit()?;
        commits += 1;
        for (row, committed) in group.drain(..) {
            to_delete.push(row.id);
            let _ = committed.send(());
        }
        if !open {
            let _ = written.set(Written {
                done: Instant::now(),
                commits,
            });
            return Ok(());
        }
    }
}
