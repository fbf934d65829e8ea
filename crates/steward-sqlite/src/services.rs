//! Services by number: `steward_services` holds each service's name once, and
//! the actions table and its indexes hold the number, so that an index seek
//! compares integers where it compared strings (schema version 8).

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension};

/// The number of the service named `?1`.
const NUMBER: &str = "SELECT service FROM steward_services WHERE name = ?1";

/// The name of the service numbered `?1`.
const NAME: &str = "SELECT name FROM steward_services WHERE service = ?1";

/// Numbers a service not seen before.
const ADD: &str = "INSERT INTO steward_services (name) VALUES (?1) ON CONFLICT (name) DO NOTHING";

/// The number of the service named `name`, if the journal has ever held one of
/// its actions.
pub(crate) fn number(conn: &Connection, name: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(NUMBER)?
        .query_row([name], |row| row.get(0))
        .optional()
}

/// The name of the service numbered `number`.
pub(crate) fn name(conn: &Connection, number: i64) -> rusqlite::Result<String> {
    conn.prepare_cached(NAME)?
        .query_row([number], |row| row.get(0))
}

/// The writer's numbers for the services it has written, learnt as it goes.
#[derive(Debug, Default)]
pub(crate) struct Numbers {
    known: HashMap<String, i64>,
}

impl Numbers {
    /// The number of the service named `name`, added in the transaction under
    /// way on `conn` if the journal has none for it yet.
    pub(crate) fn of(&mut self, conn: &Connection, name: &str) -> rusqlite::Result<i64> {
        if let Some(&number) = self.known.get(name) {
            return Ok(number);
        }
        conn.prepare_cached(ADD)?.execute([name])?;
        let number = number(conn, name)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
        self.known.insert(name.to_owned(), number);
        Ok(number)
    }

    /// The transaction under way rolled back, and perhaps a number it added:
    /// every number is looked up again (rollbacks are rare, services few).
    pub(crate) fn rolled_back(&mut self) {
        self.known.clear();
    }
}

#[cfg(test)]
mod tests;
