#![allow(clippy::unwrap_used)]

use rusqlite::Connection;

use super::{Numbers, name, number};
use crate::schema::{MIGRATIONS, migrate};

fn journal(path: &std::path::Path) -> Connection {
    let mut conn = Connection::open(path).unwrap();
    migrate(&mut conn, path, MIGRATIONS).unwrap();
    conn
}

#[test]
fn a_service_is_numbered_once_and_named_back() {
    let dir = tempfile::tempdir().unwrap();
    let conn = journal(&dir.path().join("journal.db"));
    let mut numbers = Numbers::default();
    let first = numbers.of(&conn, "camera").unwrap();
    let second = numbers.of(&conn, "batcher").unwrap();
    assert_ne!(first, second);
    assert_eq!(numbers.of(&conn, "camera").unwrap(), first);
    // Another writer's cache (a journal opened again) finds the same numbers.
    assert_eq!(Numbers::default().of(&conn, "batcher").unwrap(), second);
    assert_eq!(number(&conn, "camera").unwrap(), Some(first));
    assert_eq!(number(&conn, "nobody").unwrap(), None);
    assert_eq!(name(&conn, second).unwrap(), "batcher");
}

#[test]
fn a_number_added_in_a_transaction_that_rolled_back_is_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = journal(&dir.path().join("journal.db"));
    let mut numbers = Numbers::default();
    let kept = numbers.of(&conn, "kept").unwrap();

    let tx = conn.transaction().unwrap();
    numbers.of(&tx, "lost").unwrap();
    drop(tx);
    numbers.rolled_back();
    assert_eq!(number(&conn, "lost").unwrap(), None);
    assert_eq!(numbers.of(&conn, "kept").unwrap(), kept);
    // Numbered again, for real this time.
    let lost = numbers.of(&conn, "lost").unwrap();
    assert_eq!(number(&conn, "lost").unwrap(), Some(lost));
}
