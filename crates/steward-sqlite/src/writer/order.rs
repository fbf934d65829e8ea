//! The order a group's writes run in: every accept first, several rows of one
//! [`Shape`] to a statement, then the updates in the order they came.
//!
//! SQLite spends about as much starting and finishing a statement (opening and
//! closing a cursor on the table and on each of its indexes) as inserting the row
//! itself; an insert of eight rows pays that once. Accepts and outcomes arrive
//! interleaved, so the accepts are taken out of the group and inserted together.
//! Within one transaction that changes nothing anyone can see, unless an update
//! comes before an accept of the same action (an action accepted again, replacing
//! its row, after a change to it in the same group): such a group runs in the
//! order it came.

use std::sync::LazyLock;

use super::Write;
use crate::row::{IdBytes, Row, Shape};

/// How many rows one insert takes, largest first: a group's accepts are cut
/// into statements of these sizes, the largest that fits each time.
pub(crate) const ROWS_PER_INSERT: [usize; 6] = [32, 16, 8, 4, 2, 1];

/// The accepts of `group` with their places in it, if they may run first: no
/// update in the group comes before an accept of the same action, and no action
/// is accepted twice (the accepts of each [`Shape`] go together, so a second
/// accept could come before the first).
pub(crate) fn accepts_first<'a>(
    group: impl IntoIterator<Item = &'a Write>,
) -> Option<Vec<(usize, &'a Row)>> {
    let mut accepts = Vec::new();
    let mut updates: Vec<(&IdBytes, usize)> = Vec::new();
    for (at, write) in group.into_iter().enumerate() {
        match write {
            Write::Accept(row) => accepts.push((at, &**row)),
            Write::Update(change) => updates.push((&change.id, at)),
        }
    }
    // By id, then place: each id's first update leads its run.
    updates.sort_unstable();
    let changed_before = |id: &IdBytes, at: usize| {
        let first = updates.partition_point(|(updated, _)| *updated < id);
        updates
            .get(first)
            .is_some_and(|&(updated, place)| updated == id && place < at)
    };
    if accepts
        .iter()
        .any(|&(at, row)| changed_before(row.id(), at))
    {
        return None;
    }
    let mut ids: Vec<&IdBytes> = accepts.iter().map(|(_, row)| row.id()).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|pair| pair[0] == pair[1]) {
        return None;
    }
    Some(accepts)
}

/// The largest of [`ROWS_PER_INSERT`] no larger than `left` (at least one).
pub(crate) fn next_insert(left: usize) -> usize {
    ROWS_PER_INSERT
        .into_iter()
        .find(|&rows| rows <= left)
        .unwrap_or(1)
}

/// Inserts (or replaces, as an in-memory journal would) `rows` accepted
/// actions of `shape`, `rows` one of [`ROWS_PER_INSERT`].
pub(crate) fn accept_sql(rows: usize, shape: Shape) -> &'static str {
    static FULL: LazyLock<[String; ROWS_PER_INSERT.len()]> =
        LazyLock::new(|| ROWS_PER_INSERT.map(|rows| insert_of(rows, Shape::Full)));
    static PLAIN: LazyLock<[String; ROWS_PER_INSERT.len()]> =
        LazyLock::new(|| ROWS_PER_INSERT.map(|rows| insert_of(rows, Shape::Plain)));
    let at = ROWS_PER_INSERT
        .iter()
        .position(|&size| size == rows)
        .unwrap_or(ROWS_PER_INSERT.len() - 1);
    match shape {
        Shape::Full => &FULL[at],
        Shape::Plain => &PLAIN[at],
    }
}

/// The insert of `rows` rows, each row's columns numbered after the row's before.
fn insert_of(rows: usize, shape: Shape) -> String {
    let columns = shape.count();
    let mut sql = format!(
        "INSERT OR REPLACE INTO steward_actions ({}) VALUES ",
        shape.columns()
    );
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 1..=columns {
            if column > 1 {
                sql.push_str(", ");
            }
            sql.push('?');
            sql.push_str(&(row * columns + column).to_string());
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests;
