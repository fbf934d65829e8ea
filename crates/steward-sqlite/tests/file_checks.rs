//! Opening a file: folders are created, older schemas migrated, and anything that
//! is not a journal this version can use is refused by name and left untouched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ids, journal_path, record};
use rusqlite::Connection;
use steward::Journal;
use steward_sqlite::{OpenError, SqliteJournal};

fn bytes(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[tokio::test]
async fn a_new_file_and_its_folders_are_created_at_the_current_version() {
    let (_dir, path) = journal_path();
    assert!(!path.parent().unwrap().exists());
    let journal = SqliteJournal::open(&path).unwrap();
    journal.accept(record(1)).await.unwrap();
    journal.close().await.unwrap();
    assert_eq!(journal.path(), path);

    let raw = Connection::open(&path).unwrap();
    let version: u32 = raw
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, SqliteJournal::SCHEMA_VERSION);
    let mode: String = raw
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn an_empty_version_0_database_is_migrated_to_the_current_version() {
    let (_dir, path) = journal_path();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    {
        // A real SQLite file, version 0, no tables left.
        let raw = Connection::open(&path).unwrap();
        raw.execute_batch("CREATE TABLE scratch (x); DROP TABLE scratch;")
            .unwrap();
        let version: u32 = raw
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, 0);
    }
    assert!(bytes(&path).len() > 100);

    let journal = SqliteJournal::open(&path).unwrap();
    journal.accept(record(7)).await.unwrap();
    assert_eq!(ids(&journal.unfinished().await.unwrap()), [7]);
    journal.close().await.unwrap();
    let raw = Connection::open(&path).unwrap();
    let version: u32 = raw
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, SqliteJournal::SCHEMA_VERSION);
}

#[tokio::test]
async fn an_empty_file_is_taken_as_a_new_journal() {
    let (_dir, path) = journal_path();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"").unwrap();
    let journal = SqliteJournal::open(&path).unwrap();
    journal.accept(record(1)).await.unwrap();
    assert_eq!(ids(&journal.unfinished().await.unwrap()), [1]);
}

#[tokio::test]
async fn a_file_from_a_newer_version_is_refused_with_both_versions() {
    let (_dir, path) = journal_path();
    let journal = SqliteJournal::open(&path).unwrap();
    journal.accept(record(1)).await.unwrap();
    journal.close().await.unwrap();
    drop(journal);
    let newer = SqliteJournal::SCHEMA_VERSION + 1;
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", newer)
        .unwrap();
    let before = bytes(&path);

    let error = SqliteJournal::open(&path).unwrap_err();
    match &error {
        OpenError::NewerSchema {
            path: named,
            found,
            supported,
        } => {
            assert_eq!(named, &path);
            assert_eq!((*found, *supported), (newer, SqliteJournal::SCHEMA_VERSION));
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    let message = error.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains(&format!("schema version {newer}")),
        "{message}"
    );
    assert!(
        message.contains(&format!("version {}", SqliteJournal::SCHEMA_VERSION)),
        "{message}"
    );
    assert_eq!(bytes(&path), before, "the file is left as it was");
}

#[test]
fn garbage_is_refused_by_name_and_left_untouched() {
    let (_dir, path) = journal_path();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    for garbage in [
        b"not a database, just some notes\n".repeat(200),
        b"hello".to_vec(),
        // The right first bytes, then nonsense: SQLite itself tells.
        [b"SQLite format 3\0".as_slice(), &[0xff; 4000]].concat(),
    ] {
        std::fs::write(&path, &garbage).unwrap();
        let error = SqliteJournal::open(&path).unwrap_err();
        assert!(
            matches!(&error, OpenError::NotADatabase { path: named } if named == &path),
            "{error:?}"
        );
        assert!(
            error.to_string().contains(&path.display().to_string()),
            "{error}"
        );
        assert_eq!(bytes(&path), garbage, "the file is left as it was");
    }
}

#[test]
fn another_applications_database_is_refused_and_left_untouched() {
    let (_dir, path) = journal_path();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE events (id INTEGER PRIMARY KEY, created_at TEXT);")
        .unwrap();
    let before = bytes(&path);
    let error = SqliteJournal::open(&path).unwrap_err();
    assert!(matches!(error, OpenError::NotAJournal { .. }), "{error:?}");
    assert!(error.to_string().contains("another application"), "{error}");
    assert_eq!(bytes(&path), before);
}

#[tokio::test]
async fn inspecting_refuses_what_opening_would_and_creates_nothing() {
    let (_dir, path) = journal_path();
    assert_eq!(SqliteJournal::inspect(&path).unwrap(), None);
    assert!(!path.parent().unwrap().exists(), "nothing was created");

    let journal = SqliteJournal::open(&path).unwrap();
    journal.accept(record(1)).await.unwrap();
    journal.close().await.unwrap();
    drop(journal);
    assert_eq!(
        SqliteJournal::inspect(&path).unwrap(),
        Some(SqliteJournal::SCHEMA_VERSION)
    );

    let newer = SqliteJournal::SCHEMA_VERSION + 1;
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", newer)
        .unwrap();
    let before = bytes(&path);
    let error = SqliteJournal::inspect(&path).unwrap_err();
    assert!(
        matches!(error, OpenError::NewerSchema { found, .. } if found == newer),
        "{error:?}"
    );
    assert_eq!(bytes(&path), before);

    std::fs::write(&path, b"hello").unwrap();
    let error = SqliteJournal::inspect(&path).unwrap_err();
    assert!(matches!(error, OpenError::NotADatabase { .. }), "{error:?}");
    assert_eq!(bytes(&path), b"hello");
}
