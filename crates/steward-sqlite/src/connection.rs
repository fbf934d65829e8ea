//! Opening the file: the writer's connection (checked, set up and migrated) and the
//! readers' connections beside it.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};
use steward::Synchronous;

use crate::error::OpenError;
use crate::schema;

/// How the writer's connection is set up.
#[derive(Debug, Clone)]
pub(crate) struct Setup {
    pub(crate) busy_timeout: Duration,
    /// The largest the file may grow, in bytes.
    pub(crate) max_size: Option<u64>,
    /// How far a commit reaches before it is answered.
    pub(crate) synchronous: Synchronous,
}

/// The page size of a new file. A commit writes each page it changed whole to
/// the log, and a commit of actions changes a few bytes on each of a few pages (the
/// last of the table and of each index): half the usual 4 KiB cut the journal's
/// writer's time per action by about a sixth, while a quarter made more pages
/// change. A file keeps the size it was made with.
const PAGE_SIZE: i64 = 2048;

/// The WAL file is cut back to this after a checkpoint, so a burst does not leave a
/// large file behind.
const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// Creates the folder the journal file goes in, if need be.
pub(crate) fn create_folder(path: &Path) -> Result<(), OpenError> {
    match path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        Some(parent) => std::fs::create_dir_all(parent).map_err(|source| OpenError::CreateDir {
            path: path.to_owned(),
            source,
        }),
        None => Ok(()),
    }
}

/// Statements the writer's connection keeps prepared: its inserts (two shapes of
/// six sizes), its two updates, pruning's five and numbering services' two, with
/// room to spare; SQLite's default of 16 would prepare some again in each group.
const WRITER_STATEMENTS: usize = 32;

/// Opens (creating it if need be) the journal file for writing, in a folder that
/// exists: checks that it is a journal (or empty), switches it to WAL with the
/// syncs `setup` asks for and brings its schema up to date. Nothing in the file is
/// changed until it has been recognised.
pub(crate) fn open_writer(path: &Path, setup: &Setup) -> Result<Connection, OpenError> {
    refuse_foreign_bytes(path)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let sqlite = |source| classify(path, source);
    let mut conn = Connection::open_with_flags(path, flags).map_err(sqlite)?;
    conn.busy_timeout(setup.busy_timeout).map_err(sqlite)?;
    conn.set_prepared_statement_cache_capacity(WRITER_STATEMENTS);
    // Read first: a file that is not ours is refused before anything is written.
    let version = schema::recognise(&conn, path, schema::MIGRATIONS)?;
    if version == 0 {
        // A new file: set while it is empty, before write-ahead logging.
        conn.pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(sqlite)?;
    }
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))
        .map_err(sqlite)?;
    if !mode.eq_ignore_ascii_case("wal") {
        let reason = format!("it cannot use write-ahead logging (journal mode stays {mode})");
        return Err(OpenError::NotAJournal {
            path: path.to_owned(),
            what: reason,
        });
    }
    set_synchronous(&conn, path, setup.synchronous)?;
    conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)
        .map_err(sqlite)?;
    schema::migrate(&mut conn, path, schema::MIGRATIONS)?;
    if let Some(bytes) = setup.max_size {
        limit_size(&conn, bytes).map_err(sqlite)?;
    }
    Ok(conn)
}

/// SQLite's numbers for the `synchronous` levels.
const SYNC_FULL: i64 = 2;
const SYNC_NORMAL: i64 = 1;

/// Sets how far a commit reaches, and reads it back: FULL syncs the log on every
/// commit; NORMAL, in WAL mode, syncs it only at checkpoints, so a commit is in
/// the operating system's hands (safe from a crash of the process, not from a
/// power cut) when it returns.
fn set_synchronous(conn: &Connection, path: &Path, level: Synchronous) -> Result<(), OpenError> {
    let (name, number) = match level {
        Synchronous::Normal => ("NORMAL", SYNC_NORMAL),
        // FULL for anything else: the safe side.
        _ => ("FULL", SYNC_FULL),
    };
    let sqlite = |source| classify(path, source);
    conn.pragma_update(None, "synchronous", name)
        .map_err(sqlite)?;
    let set = synchronous(conn).map_err(sqlite)?;
    if set == number {
        Ok(())
    } else {
        Err(OpenError::Setting {
            path: path.to_owned(),
            pragma: "synchronous",
            wanted: name,
            found: set.to_string(),
        })
    }
}

/// The connection's `synchronous` setting, as SQLite numbers it (2 is FULL, 1
/// NORMAL).
pub(crate) fn synchronous(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "synchronous", |row| row.get(0))
}

/// Looks at the journal file at `path` without creating or changing it: `None`
/// when there is none yet, else its schema version, once it is known to be a
/// journal this crate can open.
pub(crate) fn inspect(path: &Path, busy_timeout: Duration) -> Result<Option<u32>, OpenError> {
    match std::fs::metadata(path) {
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(OpenError::Read {
                path: path.to_owned(),
                source,
            });
        }
    }
    refuse_foreign_bytes(path)?;
    let conn = open_reader(path, busy_timeout).map_err(|source| classify(path, source))?;
    schema::recognise(&conn, path, schema::MIGRATIONS).map(Some)
}

/// Every SQLite database starts with these bytes.
const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Refuses a file that has bytes and does not start as a database does. SQLite
/// itself would take a file shorter than a page for an empty database and write
/// over it.
fn refuse_foreign_bytes(path: &Path) -> Result<(), OpenError> {
    let mut head = Vec::with_capacity(MAGIC.len());
    match std::fs::File::open(path) {
        Ok(file) => {
            use std::io::Read;
            let read = file.take(MAGIC.len() as u64).read_to_end(&mut head);
            if let Err(source) = read {
                return Err(OpenError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        }
        // SQLite creates it, or says why it cannot.
        Err(_) => return Ok(()),
    }
    if head.is_empty() || head == MAGIC {
        Ok(())
    } else {
        Err(OpenError::NotADatabase {
            path: path.to_owned(),
        })
    }
}

/// Opens the connection that copies the log into the file beside the writer
/// (the file is open already), syncing as the writer does.
pub(crate) fn open_checkpointer(path: &Path, setup: &Setup) -> Result<Connection, OpenError> {
    let conn = open_beside(path, setup.busy_timeout).map_err(|source| classify(path, source))?;
    set_synchronous(&conn, path, setup.synchronous)?;
    Ok(conn)
}

/// Opens a connection that only reads, beside the writer (WAL lets it read while
/// the writer commits).
pub(crate) fn open_reader(path: &Path, busy_timeout: Duration) -> rusqlite::Result<Connection> {
    let conn = open_beside(path, busy_timeout)?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

/// Opens another connection to the file the writer made.
fn open_beside(path: &Path, busy_timeout: Duration) -> rusqlite::Result<Connection> {
    // No `CREATE`: the writer made the file; no `URI`: the path is taken as it is.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(busy_timeout)?;
    Ok(conn)
}

/// Caps the file at `bytes` (rounded down to whole pages, at least one): a write
/// that needs more fails as a full disk would.
fn limit_size(conn: &Connection, bytes: u64) -> rusqlite::Result<()> {
    let page_size: i64 = conn.pragma_query_value(None, "page_size", |row| row.get(0))?;
    let pages = bytes / u64::try_from(page_size.max(1)).unwrap_or(4096);
    let pages = i64::try_from(pages.max(1)).unwrap_or(i64::MAX);
    // SQLite answers with the limit it set (never below the file's current size).
    let set: i64 = conn.pragma_update_and_check(None, "max_page_count", pages, |row| row.get(0))?;
    tracing::debug!(pages = set, "journal size capped");
    Ok(())
}

/// An SQLite error on opening, with the one that means "not a database" told apart.
pub(crate) fn classify(path: &Path, source: rusqlite::Error) -> OpenError {
    if source.sqlite_error_code() == Some(ErrorCode::NotADatabase) {
        OpenError::NotADatabase {
            path: path.to_owned(),
        }
    } else {
        OpenError::Sqlite {
            path: path.to_owned(),
            source,
        }
    }
}

#[cfg(test)]
mod tests;
