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

#[test]
fn a_new_file_has_small_pages_and_one_made_with_others_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let page_size = |conn: &rusqlite::Connection| -> i64 {
        conn.pragma_query_value(None, "page_size", |row| row.get(0))
            .unwrap()
    };
    let new = dir.path().join("new.db");
    let conn = open_writer(&new, &setup(Synchronous::default())).unwrap();
    assert_eq!(page_size(&conn), super::PAGE_SIZE);
    drop(conn);
    let conn = open_writer(&new, &setup(Synchronous::default())).unwrap();
    assert_eq!(page_size(&conn), super::PAGE_SIZE);
    drop(conn);

    // Made by an earlier version, with SQLite's default.
    let earlier = dir.path().join("earlier.db");
    let mut made = rusqlite::Connection::open(&earlier).unwrap();
    made.pragma_update(None, "page_size", 4096).unwrap();
    crate::schema::migrate(&mut made, &earlier, &crate::schema::MIGRATIONS[..6]).unwrap();
    drop(made);
    let conn = open_writer(&earlier, &setup(Synchronous::default())).unwrap();
    assert_eq!(page_size(&conn), 4096);
    assert_eq!(
        crate::schema::user_version(&conn).unwrap(),
        crate::schema::LATEST
    );
}
