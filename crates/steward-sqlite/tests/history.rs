//! Finished actions are kept for a time and up to a number; unfinished and
//! dead-lettered ones are kept however old. A service's history lists its
//! finished ones, the most recently finished first.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use common::{ids, journal_path, record_at};
use steward::{ActionChange, ActionId, ActionState, Journal};
use steward_sqlite::SqliteJournal;

const DAY: Duration = Duration::from_secs(24 * 3600);

/// Accepts action `n` at `at` and, unless `state` is queued, moves it to `state`
/// at the same time.
async fn action(journal: &SqliteJournal, n: u128, state: ActionState, at: DateTime<Utc>) {
    journal.accept(record_at(n, at)).await.unwrap();
    if state != ActionState::Queued {
        journal
            .update(ActionId::from(n), ActionChange::new(state, 1, at))
            .await
            .unwrap();
    }
}

async fn held(journal: &SqliteJournal, range: std::ops::RangeInclusive<u128>) -> Vec<u128> {
    let mut held = Vec::new();
    for n in range {
        if journal.get(ActionId::from(n)).await.unwrap().is_some() {
            held.push(n);
        }
    }
    held
}

#[tokio::test]
async fn beyond_the_number_kept_the_oldest_finished_go() {
    let (_dir, path) = journal_path();
    let journal = SqliteJournal::builder(&path)
        .keep_finished(3)
        .keep_for(30 * DAY)
        .open()
        .unwrap();
    let start = Utc::now() - chrono::Duration::hours(1);
    // Finished in order 1, 2, … 10 (a second apart); 11 queued and 12
    // dead-lettered before all of them.
    for n in 1..=10 {
        let at = start + chrono::Duration::seconds(i64::try_from(n).unwrap());
        action(&journal, n, ActionState::Succeeded, at).await;
    }
    action(&journal, 11, ActionState::Queued, start).await;
    action(&journal, 12, ActionState::DeadLettered, start).await;

    assert_eq!(journal.prune().await.unwrap(), 7);
    assert_eq!(held(&journal, 1..=12).await, [8, 9, 10, 11, 12]);
    assert_eq!(journal.prune().await.unwrap(), 0);
}

#[tokio::test]
async fn older_than_the_time_kept_finished_actions_go() {
    let (_dir, path) = journal_path();
    let journal = SqliteJournal::builder(&path)
        .keep_for(7 * DAY)
        .keep_finished(1_000)
        .open()
        .unwrap();
    let now = Utc::now();
    let days_ago = |days: i64| now - chrono::Duration::days(days);
    action(&journal, 1, ActionState::Succeeded, days_ago(8)).await;
    action(&journal, 2, ActionState::Failed, days_ago(9)).await;
    action(&journal, 3, ActionState::TimedOut, days_ago(30)).await;
    action(&journal, 4, ActionState::Cancelled, days_ago(6)).await;
    action(&journal, 5, ActionState::Succeeded, days_ago(1)).await;
    // However old, these stay.
    action(&journal, 6, ActionState::Queued, days_ago(40)).await;
    action(&journal, 7, ActionState::Running, days_ago(40)).await;
    action(&journal, 8, ActionState::DeadLettered, days_ago(40)).await;

    assert_eq!(journal.prune().await.unwrap(), 3);
    assert_eq!(held(&journal, 1..=8).await, [4, 5, 6, 7, 8]);
    assert_eq!(ids(&journal.unfinished().await.unwrap()), [6, 7]);
    assert_eq!(ids(&journal.dead_letters().await.unwrap()), [8]);
}

#[tokio::test]
async fn a_reopened_journal_prunes_by_itself_before_its_first_write() {
    let (_dir, path) = journal_path();
    let journal = SqliteJournal::open(&path).unwrap();
    let long_ago = Utc::now() - chrono::Duration::days(60);
    for n in 1..=20 {
        action(&journal, n, ActionState::Succeeded, long_ago).await;
    }
    journal.close().await.unwrap();
    drop(journal);

    // Nobody asks it to prune: the writer does so when it starts.
    let reopened = SqliteJournal::builder(&path)
        .keep_for(30 * DAY)
        .open()
        .unwrap();
    action(&reopened, 21, ActionState::Queued, Utc::now()).await;
    assert_eq!(held(&reopened, 1..=21).await, [21]);
}

#[tokio::test]
async fn a_services_history_is_its_finished_actions_newest_first_after_reopening() {
    let (_dir, path) = journal_path();
    let journal = SqliteJournal::open(&path).unwrap();
    // To the microsecond, as the journal keeps times.
    let start = (Utc::now() - chrono::Duration::hours(1)).trunc_subsecs(6);
    let second = |n: i64| start + chrono::Duration::seconds(n);
    // Accepted in order 1…6, finished out of order: 3 first, then 1, then 2.
    action(&journal, 3, ActionState::Failed, second(1)).await;
    action(&journal, 1, ActionState::Succeeded, second(2)).await;
    action(&journal, 2, ActionState::DeadLettered, second(3)).await;
    action(&journal, 4, ActionState::Queued, second(4)).await;
    action(&journal, 5, ActionState::Running, second(5)).await;
    let mut other = record_at(6, second(6));
    other.service = "other".into();
    journal.accept(other).await.unwrap();
    journal
        .update(
            ActionId::from(6),
            ActionChange::new(ActionState::Succeeded, 1, second(6)),
        )
        .await
        .unwrap();
    drop(journal);

    let journal = SqliteJournal::open(&path).unwrap();
    assert_eq!(
        ids(&journal.history("worker", 10).await.unwrap()),
        [2, 1, 3]
    );
    assert_eq!(ids(&journal.history("worker", 2).await.unwrap()), [2, 1]);
    assert!(journal.history("worker", 0).await.unwrap().is_empty());
    assert_eq!(ids(&journal.history("other", 10).await.unwrap()), [6]);
    assert!(journal.history("nobody", 10).await.unwrap().is_empty());
    let newest = &journal.history("worker", 1).await.unwrap()[0];
    assert_eq!(
        (newest.state, newest.updated_at),
        (ActionState::DeadLettered, second(3))
    );
}
