//! Deleting a table's old rows in bounded batches (blocking calls, run on
//! `spawn_blocking`).
//!
//! A row is old when its column holds
//!
//! - an integer or a real below the cutoff in unix seconds, or
//! - text that SQLite's `julianday` reads (ISO-8601: `2026-11-01T10:00:00Z`,
//!   `2026-11-01 10:00:00`, with optional fractional seconds and UTC offset)
//!   as before the cutoff.
//!
//! Anything else (NULL, a blob, text that is not a time, unix seconds stored as
//! text) is kept. The integer comparison and a coarse text bound
//! (`column < 'YYYY-MM-DD'`) let an index on the column narrow the scan.

use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior, named_params};

use super::cutoff::Cutoff;
use super::error::CleanupError;
use super::settings::SqliteTarget;

/// How long a batch waits for another writer's lock before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// An open table, ready to delete batch after batch.
#[derive(Debug)]
pub(crate) struct Table {
    connection: Connection,
    delete: String,
    count: String,
    cutoff: Cutoff,
}

impl Table {
    /// Opens the target's database, which must exist (it is never created);
    /// read-only for a dry run.
    pub(crate) fn open(
        target: &SqliteTarget,
        cutoff: Cutoff,
        dry_run: bool,
    ) -> Result<Self, CleanupError> {
        if !target.database.is_file() {
            return Err(CleanupError::MissingDatabase {
                path: target.database.clone(),
            });
        }
        let mode = if dry_run {
            OpenFlags::SQLITE_OPEN_READ_ONLY
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        };
        let connection =
            Connection::open_with_flags(&target.database, mode | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        let table = target.table.quoted();
        let column = target.column.quoted();
        let old = format!(
            "(typeof({column}) IN ('integer', 'real') AND {column} < :unix) \
             OR ({column} < :bound AND typeof({column}) = 'text' \
                 AND julianday({column}) < julianday(:text))"
        );
        let delete = format!(
            "DELETE FROM {table} WHERE rowid IN \
             (SELECT rowid FROM {table} WHERE {old} LIMIT :limit)"
        );
        let count =
            format!("SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {old} LIMIT :limit)");
        // Checks the names now: a missing table or column fails here, clearly.
        connection.prepare(&delete)?;
        Ok(Self {
            connection,
            delete,
            count,
            cutoff,
        })
    }

    /// Deletes up to `limit` old rows in one transaction; answers how many.
    pub(crate) fn delete_batch(&mut self, limit: u32) -> Result<u64, CleanupError> {
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let deleted = transaction
            .prepare_cached(&self.delete)?
            .execute(named_params! {
                ":unix": self.cutoff.unix(),
                ":bound": self.cutoff.text_bound(),
                ":text": self.cutoff.sqlite_text(),
                ":limit": i64::from(limit),
            })?;
        transaction.commit()?;
        Ok(u64::try_from(deleted).unwrap_or(u64::MAX))
    }

    /// How many old rows there are, up to `limit` (all of them with `None`).
    pub(crate) fn count(&self, limit: Option<u32>) -> Result<u64, CleanupError> {
        let limit = limit.map_or(-1, i64::from);
        let count: i64 = self.connection.prepare_cached(&self.count)?.query_row(
            named_params! {
                ":unix": self.cutoff.unix(),
                ":bound": self.cutoff.text_bound(),
                ":text": self.cutoff.sqlite_text(),
                ":limit": limit,
            },
            |row| row.get(0),
        )?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}
