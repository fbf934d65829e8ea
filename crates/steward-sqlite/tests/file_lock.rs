//! One journal per file: a second journal opened on a file another one holds is
//! refused by name, inspecting still looks, and the file is free again once the
//! first is closed or dropped.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{ids, journal_path, record};
use steward::Journal;
use steward_sqlite::{OpenError, SqliteJournal};

/// Opens a second journal on `path`, waiting `wait` at most for the file.
fn second(path: &std::path::Path, wait: Duration) -> Result<SqliteJournal, OpenError> {
    SqliteJournal::builder(path).busy_timeout(wait).open()
}

#[tokio::test]
async fn a_second_journal_on_a_held_file_is_refused_by_name_until_the_first_closes() {
    let (_dir, path) = journal_path();
    let first = SqliteJournal::open(&path).unwrap();
    first.accept(record(1)).await.unwrap();

    let began = Instant::now();
    let refused = second(&path, Duration::from_millis(100)).unwrap_err();
    assert!(began.elapsed() >= Duration::from_millis(100), "it waited");
    let message = refused.to_string();
    assert!(
        matches!(&refused, OpenError::InUse { path: named, .. } if *named == path),
        "{refused:?}"
    );
    assert!(
        message.contains(&format!("{} is in use", path.display())),
        "{message}"
    );
    assert!(message.contains("one host at a time"), "{message}");
    assert!(message.contains("steward.db.lock"), "{message}");

    // `steward check` only looks, and may while a host runs.
    assert_eq!(
        SqliteJournal::inspect(&path).unwrap(),
        Some(SqliteJournal::SCHEMA_VERSION)
    );
    // The refused opener touched nothing: the first goes on writing.
    first.accept(record(2)).await.unwrap();

    first.close().await.unwrap();
    let next = second(&path, Duration::ZERO).unwrap();
    assert_eq!(ids(&next.unfinished().await.unwrap()), [1, 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_journal_lets_go_of_the_file_once_its_writes_are_in() {
    let (_dir, path) = journal_path();
    let first = SqliteJournal::open(&path).unwrap();
    for n in 1..=100 {
        first.accept(record(n)).await.unwrap();
    }
    drop(first);
    // The default wait covers the writer finishing in the background.
    let next = SqliteJournal::open(&path).unwrap();
    assert_eq!(next.unfinished().await.unwrap().len(), 100);
    next.close().await.unwrap();
}
