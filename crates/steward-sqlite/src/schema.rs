//! The journal's tables and how a file is brought up to date: an ordered list of
//! steps, each leading to the next version, recorded in `PRAGMA user_version`.
//!
//! A later version adds one step at the end of [`MIGRATIONS`]; a step, once
//! released, is never edited.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use crate::connection::classify;
use crate::error::OpenError;

/// Marks a file as a Steward journal (`PRAGMA application_id`): "STWD".
pub(crate) const APPLICATION_ID: i32 = 0x5354_5744;

/// One step of the schema: the version it leads to, and the SQL that gets there
/// from the version before.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Migration {
    pub(crate) version: u32,
    pub(crate) sql: &'static str,
}

/// Every step, oldest first.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: V1,
    },
    Migration {
        version: 2,
        sql: V2,
    },
    Migration {
        version: 3,
        sql: V3,
    },
    Migration {
        version: 4,
        sql: V4,
    },
    Migration {
        version: 5,
        sql: V5,
    },
    Migration {
        version: 6,
        sql: V6,
    },
    Migration {
        version: 7,
        sql: V7,
    },
    Migration {
        version: 8,
        sql: V8,
    },
];

/// The schema version this crate writes.
pub(crate) const LATEST: u32 = latest(MIGRATIONS);

/// Version 1: one table of actions.
///
/// Ids are 32 lowercase hex digits, so they sort as the ids do (by acceptance);
/// params and result are JSON text; times are RFC 3339 in UTC with nanoseconds
/// (fixed width, so they sort as text); states are their kebab-case names. The
/// partial indexes serve [`unfinished`](steward::Journal::unfinished), dead
/// letters and pruning of history; `service, updated_at` serves a service's
/// history.
const V1: &str = "
CREATE TABLE steward_actions (
    id             TEXT PRIMARY KEY NOT NULL,
    service        TEXT NOT NULL,
    action         TEXT NOT NULL,
    params         TEXT NOT NULL,
    priority       INTEGER NOT NULL,
    timeout_ms     INTEGER,
    max_retries    INTEGER NOT NULL,
    correlation_id TEXT,
    state          TEXT NOT NULL,
    attempts       INTEGER NOT NULL,
    result         TEXT,
    error          TEXT,
    accepted_at    TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX steward_actions_unfinished ON steward_actions (id)
    WHERE state IN ('queued', 'running');
CREATE INDEX steward_actions_dead_letters ON steward_actions (id)
    WHERE state = 'dead-lettered';
CREATE INDEX steward_actions_history ON steward_actions (updated_at, id)
    WHERE state NOT IN ('queued', 'running', 'dead-lettered');
CREATE INDEX steward_actions_by_service ON steward_actions (service, updated_at);
";

/// Version 2: when an action may run next (scheduled for later, or a retry in
/// its backoff), in the same format as the other times; empty means at once.
const V2: &str = "
ALTER TABLE steward_actions ADD COLUMN not_before TEXT;
";

/// Version 3: the same indexes, cheaper to keep up on every write.
///
/// The history index's condition no longer holds a list of three states, which
/// SQLite evaluates through a temporary table on every insert and update (two
/// states it compares in place); a service's index holds only what a history read
/// asks for, finished actions, so accepting an action and marking it running no
/// longer touch it.
const V3: &str = "
DROP INDEX steward_actions_history;
CREATE INDEX steward_actions_history ON steward_actions (updated_at, id)
    WHERE state NOT IN ('queued', 'running') AND state <> 'dead-lettered';
DROP INDEX steward_actions_by_service;
CREATE INDEX steward_actions_by_service ON steward_actions (service, updated_at)
    WHERE state NOT IN ('queued', 'running');
";

/// Version 4: a retry's own backoff (both ends in milliseconds and the jitter),
/// so that an action replayed after a restart waits between retries as its
/// sender asked; empty for the default backoff.
const V4: &str = "
ALTER TABLE steward_actions ADD COLUMN backoff_min_ms INTEGER;
ALTER TABLE steward_actions ADD COLUMN backoff_max_ms INTEGER;
ALTER TABLE steward_actions ADD COLUMN backoff_jitter REAL;
";

/// Version 5: when an action's last attempt started, in the same format as the
/// other times, so that history tells how long it ran apart from how long it
/// waited; empty until an attempt starts (and for actions finished before this
/// version, whose start was not kept).
const V5: &str = "
ALTER TABLE steward_actions ADD COLUMN started_at TEXT;
";

/// Version 6: unfinished actions indexed as replay reads them, a page of one
/// service at a time in priority order, in place of the index by id alone (so
/// accepting an action still writes one index for it, not two).
const V6: &str = "
DROP INDEX steward_actions_unfinished;
CREATE INDEX steward_actions_backlog ON steward_actions (service, priority, id)
    WHERE state IN ('queued', 'running');
";

/// Version 7: ids and times as numbers rather than text, so rows and index
/// entries are about half the size and each commit writes fewer pages; and one
/// index of finished history, by service, where there were two (all history by
/// time, for pruning, and each service's with its dead letters, for reading), so
/// an action's outcome updates one fewer. Pruning goes service by service along
/// it; a service's history reads it and its dead letters, along an index of
/// their own by service (written only when an action is dead-lettered).
///
/// An id is its 16 bytes, big-endian (so they sort as the ids do); a time is
/// microseconds since 1970 in UTC (to the year 9999). The table is copied over,
/// each value converted; a row that does not convert fails the step, which
/// leaves the file at version 6.
///
/// The table keeps its rowid: without one, a row over about 490 bytes (of a
/// 2 KiB page) spills onto overflow pages that every write of the row rewrites,
/// which doubled the writer's time per commit for actions with 600 bytes of
/// parameters.
const V7: &str = "
CREATE TABLE steward_actions_v7 (
    id             BLOB PRIMARY KEY NOT NULL,
    service        TEXT NOT NULL,
    action         TEXT NOT NULL,
    params         TEXT NOT NULL,
    priority       INTEGER NOT NULL,
    timeout_ms     INTEGER,
    max_retries    INTEGER NOT NULL,
    correlation_id TEXT,
    state          TEXT NOT NULL,
    attempts       INTEGER NOT NULL,
    result         TEXT,
    error          TEXT,
    accepted_at    INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    not_before     INTEGER,
    backoff_min_ms INTEGER,
    backoff_max_ms INTEGER,
    backoff_jitter REAL,
    started_at     INTEGER
);
INSERT INTO steward_actions_v7
SELECT CASE
        -- A value that does not convert makes the id NULL, which fails the step.
        WHEN length(unhex(id)) IS NOT 16
            OR (not_before IS NOT NULL AND unixepoch(substr(not_before, 1, 19)) IS NULL)
            OR (started_at IS NOT NULL AND unixepoch(substr(started_at, 1, 19)) IS NULL)
        THEN NULL
        ELSE unhex(id)
    END,
    service, action, params, priority, timeout_ms, max_retries, correlation_id,
    state, attempts, result, error,
    unixepoch(substr(accepted_at, 1, 19)) * 1000000 + CAST(substr(accepted_at, 21, 6) AS INTEGER),
    unixepoch(substr(updated_at, 1, 19)) * 1000000 + CAST(substr(updated_at, 21, 6) AS INTEGER),
    unixepoch(substr(not_before, 1, 19)) * 1000000 + CAST(substr(not_before, 21, 6) AS INTEGER),
    backoff_min_ms, backoff_max_ms, backoff_jitter,
    unixepoch(substr(started_at, 1, 19)) * 1000000 + CAST(substr(started_at, 21, 6) AS INTEGER)
FROM steward_actions;
DROP TABLE steward_actions;
ALTER TABLE steward_actions_v7 RENAME TO steward_actions;
CREATE INDEX steward_actions_backlog ON steward_actions (service, priority, id)
    WHERE state IN ('queued', 'running');
CREATE INDEX steward_actions_dead_letters ON steward_actions (id)
    WHERE state = 'dead-lettered';
CREATE INDEX steward_actions_history ON steward_actions (service, updated_at, id)
    WHERE state NOT IN ('queued', 'running') AND state <> 'dead-lettered';
CREATE INDEX steward_actions_dead_letters_by_service ON steward_actions (service, updated_at, id)
    WHERE state = 'dead-lettered';
";

/// Version 8: states and services as small numbers rather than names, so that
/// SQLite compares integers where it compared strings on every write: each
/// partial index's condition is one comparison where it was up to three (see
/// `state.rs` for the codes), and every index begins with a service's number.
/// Together these were a fifth of the writer's work per action.
///
/// A service's number is its row in `steward_services`, which holds each name
/// once, numbered as first seen. The table is copied over, each state converted;
/// a state with no code fails the step, which leaves the file at version 7.
const V8: &str = "
CREATE TABLE steward_services (
    service INTEGER PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE
);
INSERT INTO steward_services (name)
SELECT service FROM steward_actions GROUP BY service ORDER BY min(rowid);
CREATE TABLE steward_actions_v8 (
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
    updated_at     INTEGER NOT NULL,
    not_before     INTEGER,
    backoff_min_ms INTEGER,
    backoff_max_ms INTEGER,
    backoff_jitter REAL,
    started_at     INTEGER
);
INSERT INTO steward_actions_v8
SELECT id, steward_services.service, action, params, priority, timeout_ms, max_retries,
    correlation_id,
    -- Any other text is NULL, which fails the step.
    CASE state
        WHEN 'queued' THEN 0
        WHEN 'running' THEN 1
        WHEN 'dead-lettered' THEN 2
        WHEN 'succeeded' THEN 3
        WHEN 'failed' THEN 4
        WHEN 'timed-out' THEN 5
        WHEN 'cancelled' THEN 6
    END,
    attempts, result, error, accepted_at, updated_at, not_before,
    backoff_min_ms, backoff_max_ms, backoff_jitter, started_at
FROM steward_actions JOIN steward_services ON steward_services.name = steward_actions.service
ORDER BY steward_actions.rowid;
DROP TABLE steward_actions;
ALTER TABLE steward_actions_v8 RENAME TO steward_actions;
CREATE INDEX steward_actions_backlog ON steward_actions (service, priority, id)
    WHERE state < 2;
CREATE INDEX steward_actions_dead_letters ON steward_actions (id)
    WHERE state = 2;
CREATE INDEX steward_actions_history ON steward_actions (service, updated_at, id)
    WHERE state > 2;
CREATE INDEX steward_actions_dead_letters_by_service ON steward_actions (service, updated_at, id)
    WHERE state = 2;
";

const fn latest(migrations: &[Migration]) -> u32 {
    match migrations.last() {
        Some(last) => last.version,
        None => 0,
    }
}

/// Checks, without writing, that the file is a journal this crate can use: ours at
/// a version it knows, or an empty database. Returns the file's version.
pub(crate) fn recognise(
    conn: &Connection,
    path: &Path,
    migrations: &[Migration],
) -> Result<u32, OpenError> {
    let sqlite = |source| classify(path, source);
    let application_id: i32 = conn
        .pragma_query_value(None, "application_id", |row| row.get(0))
        .map_err(sqlite)?;
    let version = user_version(conn).map_err(sqlite)?;
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
            [],
            |row| row.get(0),
        )
        .map_err(sqlite)?;
    let not_ours = |what: String| OpenError::NotAJournal {
        path: path.to_owned(),
        what,
    };
    match application_id {
        APPLICATION_ID => {}
        0 if version == 0 && tables == 0 => return Ok(0),
        0 => {
            return Err(not_ours(format!(
                "{tables} tables and user_version {version}, but no Steward mark"
            )));
        }
        other => return Err(not_ours(format!("application_id {other:#010x}"))),
    }
    refuse_newer(path, version, migrations)?;
    Ok(version)
}

/// A file at a version beyond the last of `migrations` is not ours to touch.
fn refuse_newer(path: &Path, version: u32, migrations: &[Migration]) -> Result<(), OpenError> {
    let supported = latest(migrations);
    if version > supported {
        return Err(OpenError::NewerSchema {
            path: path.to_owned(),
            found: version,
            supported,
        });
    }
    Ok(())
}

/// Brings the file up to the newest version, one step per transaction: a step
/// that fails leaves the file at the version before it.
pub(crate) fn migrate(
    conn: &mut Connection,
    path: &Path,
    migrations: &[Migration],
) -> Result<(), OpenError> {
    for step in migrations {
        let failed = |source| OpenError::Migrate {
            path: path.to_owned(),
            version: step.version,
            source,
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        // Read again under the write lock: another process may have got here first.
        let current = user_version(&tx).map_err(failed)?;
        if current >= step.version {
            continue;
        }
        tx.execute_batch(step.sql).map_err(failed)?;
        tx.pragma_update(None, "user_version", step.version)
            .map_err(failed)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(failed)?;
        tx.commit().map_err(failed)?;
        tracing::info!(path = %path.display(), from = current, to = step.version, "journal schema migrated");
    }
    // Newer than we know, written since `recognise` looked.
    let version = user_version(conn).map_err(|source| classify(path, source))?;
    refuse_newer(path, version, migrations)
}

/// The file's schema version.
pub(crate) fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    // Written by us, always in range; anything else reads as newer than known.
    Ok(u32::try_from(version).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests;
