//! The `file-watcher` built-in with `polling = true`, as on network mounts: a
//! file is reported once two polls saw it unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::time::{Duration, Instant};

mod common;
use common::until;
use common::watch::{dir, table, watch};

#[tokio::test]
async fn polling_reports_a_file_only_once_its_size_is_stable() {
    let (_tmp, inbox) = dir();
    let settings = r#"polling = true, poll_interval = "400ms""#;
    let mut watched = watch(&table(&[&inbox], settings)).await;

    // Growing all along, faster than the polls: never the same size twice.
    let path = inbox.join("growing.bin");
    let mut file = std::fs::File::create(&path).unwrap();
    let began = Instant::now();
    let mut written = 0;
    let mut last_write = Instant::now();
    while began.elapsed() < Duration::from_millis(1200) {
        file.write_all(&[7; 100]).unwrap();
        last_write = Instant::now();
        written += 100;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Still open, but no longer growing: complete as far as polling can tell.
    let event = watched.next().await;
    assert!(
        last_write.elapsed() >= Duration::from_millis(400),
        "reported {:?} after the last write, before a poll interval",
        last_write.elapsed()
    );
    assert_eq!(event.path, path);
    assert_eq!(event.size, written);
    drop(file);

    let before = watched.mark(&inbox, "mark").await;
    assert!(before.is_empty(), "reported again: {before:?}");
    watched.stop().await;
}

#[tokio::test]
async fn polling_reports_existing_new_replaced_and_nested_files_once_each() {
    let (_tmp, inbox) = dir();
    std::fs::write(inbox.join("there.txt"), "1").unwrap();
    let settings = r#"polling = true, poll_interval = "100ms", exclude = ["*.tmp"]"#;
    let mut watched = watch(&table(&[&inbox], settings)).await;
    assert_eq!(watched.next().await.path, inbox.join("there.txt"));

    std::fs::create_dir(inbox.join("sub")).unwrap();
    std::fs::write(inbox.join("sub/new.txt"), "22").unwrap();
    std::fs::write(inbox.join("sub/skip.tmp"), "22").unwrap();
    let event = watched.next().await;
    assert_eq!((event.path, event.size), (inbox.join("sub/new.txt"), 2));

    // Replaced by a new file under the same name: reported again.
    std::fs::write(inbox.join("there.tmp"), "333").unwrap();
    std::fs::rename(inbox.join("there.tmp"), inbox.join("there.txt")).unwrap();
    let event = watched.next().await;
    assert_eq!((event.path, event.size), (inbox.join("there.txt"), 3));

    let before = watched.mark(&inbox, "mark").await;
    assert!(before.is_empty(), "{before:?}");
    let pending = r#"steward_file_watcher_pending_files{service="watcher"}"#;
    until("nothing waits", || watched.metric(pending) == Some(0.0)).await;
    watched.stop().await;
}

#[tokio::test]
async fn polling_without_the_initial_scan_skips_what_is_there() {
    let (_tmp, inbox) = dir();
    std::fs::write(inbox.join("old.txt"), "old").unwrap();
    let settings = r#"polling = true, poll_interval = "100ms", initial_scan = false"#;
    let mut watched = watch(&table(&[&inbox], settings)).await;
    std::fs::write(inbox.join("new.txt"), "new").unwrap();
    assert_eq!(watched.next().await.path, inbox.join("new.txt"));
    let before = watched.mark(&inbox, "mark").await;
    assert!(before.is_empty(), "{before:?}");
    watched.stop().await;
}
