//! The statements a group runs, each taken from the connection's cache at most
//! once per group: the cache finds a statement by hashing its text, which for an
//! insert of 32 rows is over 3 KB.

use rusqlite::{CachedStatement, Connection, ToSql, params};

use super::order::{ROWS_PER_INSERT, accept_sql};
use crate::row::{ChangeRow, Row, id_from};
use crate::services::Numbers;

/// Sets what a change sets; a result, error or start time left out keeps the one
/// there.
pub(crate) const UPDATE: &str = "UPDATE steward_actions SET state = ?2, attempts = ?3, updated_at = ?4, \
    result = coalesce(?5, result), error = coalesce(?6, error), not_before = ?7, \
    started_at = coalesce(?8, started_at) WHERE id = ?1";

/// One group's statements, prepared as first needed.
pub(crate) struct Statements<'conn> {
    conn: &'conn Connection,
    services: &'conn mut Numbers,
    /// By the place of their size in [`ROWS_PER_INSERT`].
    inserts: [Option<CachedStatement<'conn>>; ROWS_PER_INSERT.len()],
    update: Option<CachedStatement<'conn>>,
}

impl<'conn> Statements<'conn> {
    /// Statements on `conn`, in the transaction under way, numbering services
    /// with `services`.
    pub(crate) fn new(conn: &'conn Connection, services: &'conn mut Numbers) -> Self {
        Self {
            conn,
            services,
            inserts: std::array::from_fn(|_| None),
            update: None,
        }
    }

    /// Inserts `rows`, as many as one of [`ROWS_PER_INSERT`], in one statement:
    /// all of them, or (an error) none.
    pub(crate) fn insert(&mut self, rows: &[&Row]) -> rusqlite::Result<()> {
        let Some(slot) = ROWS_PER_INSERT.iter().position(|&size| size == rows.len()) else {
            // Never asked: each row on its own, all in the statements' one
            // transaction.
            return rows.iter().try_for_each(|row| self.insert(&[row]));
        };
        let insert = match &mut self.inserts[slot] {
            Some(insert) => insert,
            empty => empty.insert(self.conn.prepare_cached(accept_sql(rows.len()))?),
        };
        let numbers = rows
            .iter()
            .map(|row| self.services.of(self.conn, row.service()))
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        let values: Vec<&dyn ToSql> = rows
            .iter()
            .zip(&numbers)
            .flat_map(|(row, number)| row.values(number))
            .collect();
        insert.execute(&values[..])?;
        Ok(())
    }

    /// Applies one change.
    pub(crate) fn update(&mut self, change: &ChangeRow) -> rusqlite::Result<()> {
        let update = match &mut self.update {
            Some(update) => update,
            empty => empty.insert(self.conn.prepare_cached(UPDATE)?),
        };
        let changed = update.execute(params![
            change.id,
            change.state,
            change.attempts,
            change.at,
            change.result,
            change.error,
            change.not_before,
            change.started_at,
        ])?;
        if changed == 0 {
            // Pruned already, or never accepted here: as an in-memory journal
            // would, the change is dropped.
            tracing::debug!(id = %id_from(change.id), state = change.state, "journal update for an action it does not hold");
        }
        Ok(())
    }
}
