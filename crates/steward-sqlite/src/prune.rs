//! Forgetting finished actions: those older than the time kept, then the oldest
//! beyond the number kept. Unfinished and dead-lettered actions are never pruned.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, TransactionBehavior, params};

use crate::row::time;

mod schedule;

pub(crate) use schedule::Schedule;

/// How much finished history to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct History {
    pub(crate) keep_for: Duration,
    pub(crate) keep_finished: u64,
}

// Each query names finished history exactly as the `steward_actions_history` index
// does, so SQLite uses the index (the schema tests check the plans).

/// Finished actions last changed before `?1`, oldest first, at most `?2`.
pub(crate) const OLDER_THAN: &str = "DELETE FROM steward_actions WHERE rowid IN (
    SELECT rowid FROM steward_actions
    WHERE state NOT IN ('queued', 'running') AND state <> 'dead-lettered' AND updated_at < ?1
    ORDER BY updated_at, id LIMIT ?2)";

/// How many finished actions there are: counted in the history index, which
/// holds them all and nothing else (a service's index holds dead letters too, and
/// counting along it would read every row).
pub(crate) const COUNT: &str = "SELECT count(*) FROM steward_actions
    INDEXED BY steward_actions_history WHERE state NOT IN ('queued', 'running') AND state <> 'dead-lettered'";

/// The `?1` oldest finished actions.
pub(crate) const OLDEST: &str = "DELETE FROM steward_actions WHERE rowid IN (
    SELECT rowid FROM steward_actions
    WHERE state NOT IN ('queued', 'running') AND state <> 'dead-lettered'
    ORDER BY updated_at, id LIMIT ?1)";

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
    let mut deleted = 0;
    let cutoff = chrono::Duration::from_std(history.keep_for)
        .ok()
        .and_then(|keep| now.checked_sub_signed(keep));
    if let Some(cutoff) = cutoff {
        deleted = tx
            .prepare_cached(OLDER_THAN)?
            .execute(params![time(cutoff), limit])?;
    }
    let deleted = i64::try_from(deleted).unwrap_or(i64::MAX);
    let left = limit - deleted;
    let mut beyond = 0;
    if left > 0 {
        let finished: i64 = tx.prepare_cached(COUNT)?.query_row([], |row| row.get(0))?;
        let keep = i64::try_from(history.keep_finished).unwrap_or(i64::MAX);
        let excess = finished.saturating_sub(keep).clamp(0, left);
        if excess > 0 {
            beyond = tx.prepare_cached(OLDEST)?.execute([excess])?;
        }
    }
    tx.commit()?;
    let total = u64::try_from(deleted).unwrap_or(0) + beyond as u64;
    if total > 0 {
        tracing::debug!(
            by_age = deleted,
            by_count = beyond,
            "pruned finished actions"
        );
    }
    Ok(total)
}

#[cfg(test)]
mod tests;
