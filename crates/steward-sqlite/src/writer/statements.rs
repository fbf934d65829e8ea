//! The statements a group runs, each taken from the connection's cache at most
//! once per group (the cache finds a statement by hashing its text, which for an
//! insert of 32 rows is over 3 KB), with each value bound as its own type.

use rusqlite::{CachedStatement, Connection};

use super::order::{ROWS_PER_INSERT, accept_sql};
use crate::row::{ChangeRow, Row, Shape, id_from};
use crate::services::Numbers;

/// Sets what a change sets; a result, error or start time left out keeps the one
/// there.
pub(crate) const UPDATE: &str = "UPDATE steward_actions SET state = ?2, attempts = ?3, updated_at = ?4, \
    result = coalesce(?5, result), error = coalesce(?6, error), not_before = ?7, \
    started_at = coalesce(?8, started_at) WHERE id = ?1";

/// [`UPDATE`] for a change with no error, later start or attempt started (an
/// outcome, most often): three values fewer to bind.
pub(crate) const OUTCOME: &str = "UPDATE steward_actions SET state = ?2, attempts = ?3, \
    updated_at = ?4, result = coalesce(?5, result), not_before = NULL WHERE id = ?1";

/// One group's statements, prepared as first needed.
pub(crate) struct Statements<'conn> {
    conn: &'conn Connection,
    services: &'conn mut Numbers,
    /// By shape ([`Shape::Full`] first), then by the place of their size in
    /// [`ROWS_PER_INSERT`].
    inserts: [[Option<CachedStatement<'conn>>; ROWS_PER_INSERT.len()]; 2],
    update: Option<CachedStatement<'conn>>,
    outcome: Option<CachedStatement<'conn>>,
}

impl<'conn> Statements<'conn> {
    /// Statements on `conn`, in the transaction under way, numbering services
    /// with `services`.
    pub(crate) fn new(conn: &'conn Connection, services: &'conn mut Numbers) -> Self {
        Self {
            conn,
            services,
            inserts: std::array::from_fn(|_| std::array::from_fn(|_| None)),
            update: None,
            outcome: None,
        }
    }

    /// Inserts `rows`, as many as one of [`ROWS_PER_INSERT`] and each of
    /// `shape`, in one statement: all of them, or (an error) none.
    pub(crate) fn insert(&mut self, rows: &[&Row], shape: Shape) -> rusqlite::Result<()> {
        let Some(size) = ROWS_PER_INSERT.iter().position(|&size| size == rows.len()) else {
            // Never asked: each row on its own, all in the statements' one
            // transaction.
            return rows.iter().try_for_each(|row| self.insert(&[row], shape));
        };
        let numbers = rows
            .iter()
            .map(|row| self.services.of(self.conn, row.service()))
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        let by_shape = match shape {
            Shape::Full => 0,
            Shape::Plain => 1,
        };
        let insert = match &mut self.inserts[by_shape][size] {
            Some(insert) => insert,
            empty => empty.insert(self.conn.prepare_cached(accept_sql(rows.len(), shape))?),
        };
        let mut next = 1;
        for (row, number) in rows.iter().zip(numbers) {
            next = row.bind(insert, next, number, shape)?;
        }
        insert.raw_execute()?;
        Ok(())
    }

    /// Applies one change.
    pub(crate) fn update(&mut self, change: &ChangeRow) -> rusqlite::Result<()> {
        let outcome =
            change.error.is_none() && change.not_before.is_none() && change.started_at.is_none();
        let (slot, sql) = if outcome {
            (&mut self.outcome, OUTCOME)
        } else {
            (&mut self.update, UPDATE)
        };
        let update = match slot {
            Some(update) => update,
            empty => empty.insert(self.conn.prepare_cached(sql)?),
        };
        update.raw_bind_parameter(1, change.id)?;
        update.raw_bind_parameter(2, change.state)?;
        update.raw_bind_parameter(3, change.attempts)?;
        update.raw_bind_parameter(4, change.at)?;
        update.raw_bind_parameter(5, &change.result)?;
        if !outcome {
            update.raw_bind_parameter(6, &change.error)?;
            update.raw_bind_parameter(7, change.not_before)?;
            update.raw_bind_parameter(8, change.started_at)?;
        }
        let changed = update.raw_execute()?;
        if changed == 0 {
            // Pruned already, or never accepted here: as an in-memory journal
            // would, the change is dropped.
            tracing::debug!(id = %id_from(change.id), state = change.state, "journal update for an action it does not hold");
        }
        Ok(())
    }
}
