//! Reads, on connections of their own beside the writer: WAL lets them see every
//! committed write while the writer goes on.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::Connection;
use steward::{ActionId, ActionRecord, JournalError};

use crate::connection::open_reader;
use crate::row::{Row, id_bytes, named, selected};
use crate::services;
use crate::state::{dead_lettered, finished, unfinished};

/// How many idle read connections are kept for the next reads.
const IDLE_READERS: usize = 4;

/// Read connections, opened as reads need them and kept for the next.
#[derive(Debug)]
pub(crate) struct Readers {
    path: PathBuf,
    busy_timeout: Duration,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    /// Readers of the journal at `path`, with one connection opened now (so a
    /// problem shows when the journal opens).
    pub(crate) fn new(path: PathBuf, busy_timeout: Duration) -> rusqlite::Result<Self> {
        let first = open_reader(&path, busy_timeout)?;
        Ok(Self {
            path,
            busy_timeout,
            idle: Mutex::new(vec![first]),
        })
    }

    /// Runs `read` on an idle connection (or a new one). Blocks: call it where
    /// blocking is fine.
    pub(crate) fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, String>,
    ) -> Result<T, JournalError> {
        let failed = |why: String| JournalError(format!("journal {}: {why}", self.path.display()));
        let idle = self.lock().pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open_reader(&self.path, self.busy_timeout)
                .map_err(|error| failed(format!("cannot open a reader: {error}")))?,
        };
        let answer = read(&conn).map_err(failed);
        let mut idle = self.lock();
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        answer
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One action by id.
const GET: &str = concat!("SELECT ", selected!(), " FROM ", named!(), " WHERE id = ?1");

// Each query names its states exactly as its partial index does, so SQLite uses
// the index (the schema tests check the plans).

/// Queued and running actions, oldest first: read along the backlog's index
/// (named, or SQLite walks the whole table in id order) and sorted.
pub(crate) const UNFINISHED: &str = concat!(
    "SELECT ",
    selected!(),
    " FROM steward_actions INDEXED BY steward_actions_backlog \
     LEFT JOIN steward_services USING (service) WHERE ",
    unfinished!(),
    " ORDER BY id"
);

/// Dead-lettered actions, oldest first.
pub(crate) const DEAD_LETTERS: &str = concat!(
    "SELECT ",
    selected!(),
    " FROM ",
    named!(),
    " WHERE ",
    dead_lettered!(),
    " ORDER BY id"
);

/// The finished actions (dead letters included) of the service numbered `?1`,
/// the most recently finished first, at most `?2`: newest first along the
/// history index, and its dead letters along theirs by service, the two pages
/// merged.
pub(crate) const SERVICE_HISTORY: &str = concat!(
    "SELECT * FROM (SELECT ",
    selected!(),
    " FROM ",
    named!(),
    " WHERE service = ?1 AND ",
    finished!(),
    " ORDER BY updated_at DESC, id DESC LIMIT ?2) UNION ALL SELECT * FROM (SELECT ",
    selected!(),
    " FROM ",
    named!(),
    " WHERE ",
    dead_lettered!(),
    " AND service = ?1 ORDER BY updated_at DESC, id DESC LIMIT ?2) \
     ORDER BY updated_at DESC, id DESC LIMIT ?2"
);

/// The action with `id`, if the journal holds it.
pub(crate) fn get(conn: &Connection, id: ActionId) -> Result<Option<ActionRecord>, String> {
    let mut statement = conn
        .prepare_cached(GET)
        .map_err(|error| error.to_string())?;
    let mut rows = statement
        .query([id_bytes(id)])
        .map_err(|error| error.to_string())?;
    match rows.next().map_err(|error| error.to_string())? {
        Some(row) => Row::read(row)
            .map_err(|error| error.to_string())?
            .into_record()
            .map(Some),
        None => Ok(None),
    }
}

/// Every action `query` selects, in its order.
pub(crate) fn all(conn: &Connection, query: &str) -> Result<Vec<ActionRecord>, String> {
    selected(conn, query, [])
}

/// The finished actions of `service`, the most recently finished first, at most
/// `limit`.
pub(crate) fn history(
    conn: &Connection,
    service: &str,
    limit: usize,
) -> Result<Vec<ActionRecord>, String> {
    let Some(number) = services::number(conn, service).map_err(|error| error.to_string())? else {
        // Never seen: no history.
        return Ok(Vec::new());
    };
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    selected(conn, SERVICE_HISTORY, rusqlite::params![number, limit])
}

pub(crate) fn selected(
    conn: &Connection,
    query: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<ActionRecord>, String> {
    let mut statement = conn
        .prepare_cached(query)
        .map_err(|error| error.to_string())?;
    let rows = statement
        .query_map(params, Row::read)
        .map_err(|error| error.to_string())?;
    rows.map(|row| row.map_err(|error| error.to_string())?.into_record())
        .collect()
}
