//! Many writers share one commit; a commit that cannot be written fails whole, and
//! the journal goes on once there is room again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::Utc;
use common::{big_record, ids, journal_path, record, within};
use steward::{ActionChange, ActionId, ActionState, Journal};
use steward_sqlite::SqliteJournal;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_accepts_all_commit_in_far_fewer_transactions() {
    let (_dir, path) = journal_path();
    let journal = Arc::new(SqliteJournal::open(&path).unwrap());
    let tasks: Vec<_> = (1..=1000)
        .map(|n| {
            let journal = journal.clone();
            tokio::spawn(async move { journal.accept(record(n)).await })
        })
        .collect();
    for task in tasks {
        within("an accept", task).await.unwrap().unwrap();
    }
    let commits = journal.commits();
    assert!(
        (1..100).contains(&commits),
        "1,000 accepts took {commits} transactions"
    );
    journal.close().await.unwrap();
    drop(journal);

    let reopened = SqliteJournal::open(&path).unwrap();
    let unfinished = reopened.unfinished().await.unwrap();
    assert_eq!(ids(&unfinished), (1..=1000).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_disk_fails_whole_groups_and_the_journal_works_once_there_is_room() {
    let (_dir, path) = journal_path();
    // A cap stands in for a full disk: writes past it fail as SQLITE_FULL.
    let journal = Arc::new(
        SqliteJournal::builder(&path)
            .max_size(256 * 1024)
            .keep_finished(0)
            .open()
            .unwrap(),
    );
    // Room for these, finished (and so history, to be pruned)…
    for n in 1..=10 {
        journal.accept(big_record(n)).await.unwrap();
        let done = ActionChange::new(ActionState::Succeeded, 1, Utc::now());
        journal.update(ActionId::from(n), done).await.unwrap();
    }
    // …and not for all of these: whole groups of them fail.
    let tasks: Vec<_> = (11..=110)
        .map(|n| {
            let journal = journal.clone();
            tokio::spawn(async move { (n, journal.accept(big_record(n)).await) })
        })
        .collect();
    let (mut written, mut refused) = (BTreeSet::new(), BTreeSet::new());
    for task in tasks {
        let (n, answer) = within("an accept", task).await.unwrap();
        match answer {
            Ok(()) => written.insert(n),
            Err(error) => {
                assert!(error.0.contains("none was written"), "{error}");
                refused.insert(n)
            }
        };
    }
    assert!(!refused.is_empty(), "all of {written:?} fit");
    // Nothing half-written: exactly the accepts that were answered `Ok` are there.
    let held: BTreeSet<u128> = ids(&journal.unfinished().await.unwrap())
        .into_iter()
        .collect();
    assert_eq!(held, written);
    for n in &refused {
        assert_eq!(journal.get(ActionId::from(*n)).await.unwrap(), None);
    }

    // Room again once the history is pruned: a refused one now fits.
    assert_eq!(journal.prune().await.unwrap(), 10);
    let again = *refused.first().unwrap();
    journal.accept(big_record(again)).await.unwrap();
    written.insert(again);
    let held: BTreeSet<u128> = ids(&journal.unfinished().await.unwrap())
        .into_iter()
        .collect();
    assert_eq!(held, written);
    journal.close().await.unwrap();
    drop(journal);

    let reopened = SqliteJournal::open(&path).unwrap();
    let held: BTreeSet<u128> = ids(&reopened.unfinished().await.unwrap())
        .into_iter()
        .collect();
    assert_eq!(held, written);
}
