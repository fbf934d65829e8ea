//! The writer's connection: the `synchronous` level it is opened with, read back
//! from SQLite itself.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use steward::Synchronous;

use super::{Setup, open_writer, synchronous};

fn setup(level: Synchronous) -> Setup {
    Setup {
        busy_timeout: Duration::from_secs(1),
        max_size: None,
        synchronous: level,
    }
}

#[test]
fn full_is_the_default_and_syncs_every_commit() {
    let dir = tempfile::tempdir().unwrap();
    let conn = open_writer(&dir.path().join("j.db"), &setup(Synchronous::default())).unwrap();
    assert_eq!(synchronous(&conn).unwrap(), 2, "FULL");
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn normal_sets_the_pragma() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.db");
    let conn = open_writer(&path, &setup(Synchronous::Normal)).unwrap();
    assert_eq!(synchronous(&conn).unwrap(), 1, "NORMAL");
    drop(conn);
    // A setting of the connection, not of the file: the next opening chooses again.
    let conn = open_writer(&path, &setup(Synchronous::Full)).unwrap();
    assert_eq!(synchronous(&conn).unwrap(), 2, "FULL");
}
