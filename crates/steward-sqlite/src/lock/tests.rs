#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use super::{FileLock, lock_path};
use crate::error::OpenError;

#[test]
fn the_lock_file_sits_beside_the_journal() {
    let path = std::path::Path::new("data/steward.db");
    assert_eq!(
        lock_path(path),
        std::path::Path::new("data/steward.db.lock")
    );
}

#[test]
fn a_second_lock_waits_its_time_then_names_the_file_and_who_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("steward.db");
    let held = FileLock::take(&path, Duration::ZERO).unwrap();

    let began = Instant::now();
    let error = FileLock::take(&path, Duration::from_millis(50)).unwrap_err();
    assert!(began.elapsed() >= Duration::from_millis(50), "it waited");
    match &error {
        OpenError::InUse {
            path: named,
            lock,
            holder,
        } => {
            assert_eq!(named, &path);
            assert_eq!(lock, &dir.path().join("steward.db.lock"));
            assert_eq!(*holder, Some(std::process::id()));
        }
        other => panic!("{other}"),
    }
    let message = error.to_string();
    assert!(message.contains("steward.db is in use"), "{message}");
    assert!(message.contains("in this process"), "{message}");

    drop(held);
    FileLock::take(&path, Duration::ZERO).unwrap();
}

#[test]
fn a_lock_let_go_while_another_waits_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("steward.db");
    let held = FileLock::take(&path, Duration::ZERO).unwrap();
    let letting_go = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        drop(held);
    });
    FileLock::take(&path, Duration::from_secs(10)).unwrap();
    letting_go.join().unwrap();
}

#[test]
fn a_lock_file_that_cannot_be_created_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-folder").join("steward.db");
    let error = FileLock::take(&path, Duration::ZERO).unwrap_err();
    assert!(matches!(error, OpenError::Lock { .. }), "{error}");
    assert!(error.to_string().contains("steward.db.lock"), "{error}");
}
