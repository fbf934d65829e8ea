//! Forgetting finished actions: those older than the time kept, then the oldest
//! beyond the number kept. Unfinished and dead-lettered actions are never pruned.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::row::time;
use crate::state::finished;

mod schedule;

pub(crate) use schedule::Schedule;

/// How much finished history to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct History {
    pub(crate) keep_for: Duration,
    pub(crate) keep_finished: u64,
}

// Each query names finished history exactly as the `steward_actions_history` index
// does, so SQLite uses the index (the schema tests check the plans). The index is
// by service: pruning goes service by service.

/// The first service after `?1` with finished history: one seek along the index.
pub(crate) const NEXT_SERVICE: &str = concat!(
    "SELECT service FROM steward_actions WHERE ",
    finished!(),
    " AND service > ?1 ORDER BY service LIMIT 1"
);

/// The finished actions of the service numbered `?1` last changed before `?2`, oldest first, at
/// most `?3`.
pub(crate) const OLDER_THAN: &str = concat!(
    "DELETE FROM steward_actions WHERE rowid IN (SELECT rowid FROM steward_actions WHERE ",
    finished!(),
    " AND service = ?1 AND updated_at < ?2 ORDER BY updated_at, id LIMIT ?3)"
);

/// How many finished actions there are: counted in the history index, which
/// holds them all and nothing else.
pub(crate) const COUNT: &str = concat!(
    "SELECT count(*) FROM steward_actions INDEXED BY steward_actions_history WHERE ",
    finished!()
);

/// The `?2` oldest finished actions of the service numbered `?1`: when, id and
/// row.
pub(crate) const OLDEST: &str = concat!(
    "SELECT updated_at, id, rowid FROM steward_actions WHERE ",
    finished!(),
    " AND service = ?1 ORDER BY updated_at, id LIMIT ?2"
);

const DELETE_ROW: &str = "DELETE FROM steward_actions WHERE rowid = ?1";

/// Deletes up to `limit` finished actions that `history` no longer keeps, as of
/// `now`, in one transaction; returns how many. Fewer than `limit` means no more
/// are due.
pub(crate) fn prune(
    conn: &mut Connection,
    history: History,
    now: DateTime<Utc>,
    limit: u64,
) -> rusqlite::Result<u64> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let services = services(&tx)?;
    let cutoff = chrono::Duration::from_std(history.keep_for)
        .ok()
        .and_then(|keep| now.checked_sub_signed(keep))
        .map(time);
    let mut by_age = 0;
    if let Some(cutoff) = cutoff {
        let mut older_than = tx.prepare_cached(OLDER_THAN)?;
        for service in &services {
            let left = limit - by_age;
            if left <= 0 {
                break;
            }
            let deleted = older_than.execute(params![service, cutoff, left])?;
            by_age += i64::try_from(deleted).unwrap_or(i64::MAX);
        }
    }
    let left = limit - by_age;
    let mut by_count = 0;
    if left > 0 {
        let finished: i64 = tx.prepare_cached(COUNT)?.query_row([], |row| row.get(0))?;
        let keep = i64::try_from(history.keep_finished).unwrap_or(i64::MAX);
        let excess = finished.saturating_sub(keep).clamp(0, left);
        if excess > 0 {
            by_count = delete_oldest(&tx, &services, excess)?;
        }
    }
    tx.commit()?;
    let total = u64::try_from(by_age).unwrap_or(0) + by_count;
    if total > 0 {
        tracing::debug!(by_age, by_count, "pruned finished actions");
    }
    Ok(total)
}

/// Every service with finished history, by number.
fn services(conn: &Connection) -> rusqlite::Result<Vec<i64>> {
    let mut next = conn.prepare_cached(NEXT_SERVICE)?;
    let mut services: Vec<i64> = Vec::new();
    loop {
        let after = services.last().copied().unwrap_or(i64::MIN);
        match next.query_row([after], |row| row.get(0)).optional()? {
            Some(service) => services.push(service),
            None => return Ok(services),
        }
    }
}

/// Deletes the `count` oldest finished actions of all `services`: the oldest of
/// each, merged.
fn delete_oldest(conn: &Connection, services: &[i64], count: i64) -> rusqlite::Result<u64> {
    let mut oldest = conn.prepare_cached(OLDEST)?;
    let mut candidates: Vec<(i64, Vec<u8>, i64)> = Vec::new();
    for service in services {
        let rows = oldest.query_map(params![service, count], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
        for row in rows {
            candidates.push(row?);
        }
    }
    candidates.sort_unstable();
    candidates.truncate(usize::try_from(count).unwrap_or(usize::MAX));
    let mut delete = conn.prepare_cached(DELETE_ROW)?;
    let mut deleted = 0;
    for (_, _, rowid) in candidates {
        deleted += delete.execute([rowid])? as u64;
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests;
