//! The log is copied into the file beside the writer, and still starts over: it
//! stays small under a long run of commits, and nothing committed is lost.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{big_record, ids, journal_path, within};
use steward::Journal;
use steward_sqlite::{SqliteJournal, Synchronous};

/// The log's file beside the journal's.
fn log_of(path: &Path) -> PathBuf {
    let mut log = path.as_os_str().to_owned();
    log.push("-wal");
    PathBuf::from(log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_log_stays_small_under_a_long_run_of_commits_and_loses_nothing() {
    let (_dir, path) = journal_path();
    let journal = Arc::new(
        SqliteJournal::builder(&path)
            .synchronous(Synchronous::Normal)
            .open()
            .unwrap(),
    );
    // Pages each (past SQLite's overflow size), in waves of 16 so that each wave
    // is a commit of its own: many times what the log holds before it is copied.
    let mut largest_log = 0;
    for wave in 0..250u128 {
        let accepts: Vec<_> = (1..=16)
            .map(|n| {
                let journal = journal.clone();
                let record = big_record(wave * 16 + n);
                tokio::spawn(async move { journal.accept(record).await })
            })
            .collect();
        for accept in accepts {
            within("an accept", accept).await.unwrap().unwrap();
        }
        largest_log = largest_log.max(std::fs::metadata(log_of(&path)).unwrap().len());
    }
    assert!(journal.commits() >= 250, "{} commits", journal.commits());
    // Copied at about 1,000 pages and then started over: a log that was never
    // copied would hold every page (over 24 MB).
    let most = 3 * 1000 * 4096 + 64 * 1024;
    assert!(
        largest_log <= most,
        "the log grew to {largest_log} bytes (at most {most} expected)"
    );
    journal.close().await.unwrap();
    drop(journal);

    let reopened = SqliteJournal::open(&path).unwrap();
    let unfinished = reopened.unfinished().await.unwrap();
    assert_eq!(ids(&unfinished), (1..=4000).collect::<Vec<_>>());
}
