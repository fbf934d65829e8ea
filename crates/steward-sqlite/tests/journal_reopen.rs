//! What the journal holds survives the process: accepted, finished and
//! dead-lettered actions read back the same from a reopened file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ids, journal_path, now, record, result};
use steward::{ActionChange, ActionId, ActionState, Journal, MemoryJournal};
use steward_sqlite::SqliteJournal;

#[tokio::test]
async fn an_accepted_action_is_unfinished_after_reopening_the_file() {
    let (_dir, path) = journal_path();
    let journal = SqliteJournal::open(&path).unwrap();
    let accepted = record(1);
    journal.accept(accepted.clone()).await.unwrap();
    // No close: once `accept` answered, the action is in the file.
    drop(journal);

    let reopened = SqliteJournal::open(&path).unwrap();
    assert_eq!(reopened.unfinished().await.unwrap(), vec![accepted.clone()]);
    assert_eq!(reopened.get(accepted.id).await.unwrap(), Some(accepted));
}

#[tokio::test]
async fn a_succeeded_action_leaves_unfinished_and_keeps_its_result() {
    let (_dir, path) = journal_path();
    let journal = SqliteJournal::open(&path).unwrap();
    let accepted = record(1);
    let id = accepted.id;
    journal.accept(accepted).await.unwrap();
    journal
        .update(id, ActionChange::new(ActionState::Running, 1, now()))
        .await
        .unwrap();
    assert_eq!(ids(&journal.unfinished().await.unwrap()), [1]);
    let mut done = ActionChange::new(ActionState::Succeeded, 1, now());
    done.result = Some(result("one"));
    journal.update(id, done.clone()).await.unwrap();

    assert!(journal.unfinished().await.unwrap().is_empty());
    let read = journal.get(id).await.unwrap().unwrap();
    assert_eq!(
        (
            read.state,
            read.attempts,
            read.result.clone(),
            read.updated_at
        ),
        (ActionState::Succeeded, 1, Some(result("one")), done.at)
    );
    journal.close().await.unwrap();

    let reopened = SqliteJournal::open(&path).unwrap();
    assert!(reopened.unfinished().await.unwrap().is_empty());
    assert_eq!(reopened.get(id).await.unwrap(), Some(read));
}

#[tokio::test]
async fn dead_letters_survive_reopening_and_a_retry_makes_them_unfinished_again() {
    let (_dir, path) = journal_path();
    let journal = SqliteJournal::open(&path).unwrap();
    for n in 1..=3 {
        journal.accept(record(n)).await.unwrap();
    }
    let mut dead = ActionChange::new(ActionState::DeadLettered, 3, now());
    dead.error = Some("broke three times".to_owned());
    journal.update(ActionId::from(2), dead).await.unwrap();
    drop(journal);

    let reopened = SqliteJournal::open(&path).unwrap();
    let letters = reopened.dead_letters().await.unwrap();
    assert_eq!(ids(&letters), [2]);
    assert_eq!(letters[0].error.as_deref(), Some("broke three times"));
    assert_eq!(letters[0].attempts, 3);
    assert_eq!(ids(&reopened.unfinished().await.unwrap()), [1, 3]);

    // The host retries a dead letter by queueing it again.
    let retry = ActionChange::new(ActionState::Queued, 3, now());
    reopened.update(ActionId::from(2), retry).await.unwrap();
    assert!(reopened.dead_letters().await.unwrap().is_empty());
    let unfinished = reopened.unfinished().await.unwrap();
    assert_eq!(ids(&unfinished), [1, 2, 3]);
    assert_eq!(
        unfinished[1].error.as_deref(),
        Some("broke three times"),
        "a change without an error keeps the last one"
    );
}

#[tokio::test]
async fn after_close_writes_fail_reads_work_and_closing_again_is_fine() {
    let (_dir, path) = journal_path();
    let journal = SqliteJournal::open(&path).unwrap();
    journal.accept(record(1)).await.unwrap();
    journal.close().await.unwrap();

    let refused = journal.accept(record(2)).await.unwrap_err();
    assert!(refused.0.contains("closed"), "{refused}");
    assert!(refused.0.contains("steward.db"), "{refused}");
    assert_eq!(ids(&journal.unfinished().await.unwrap()), [1]);
    journal.close().await.unwrap();
}

#[tokio::test]
async fn an_unknown_id_reads_as_none_and_its_update_changes_nothing() {
    let (_dir, path) = journal_path();
    let journal = SqliteJournal::open(&path).unwrap();
    let stranger = ActionId::from(42);
    assert_eq!(journal.get(stranger).await.unwrap(), None);
    let change = ActionChange::new(ActionState::Running, 1, now());
    journal.update(stranger, change).await.unwrap();
    assert_eq!(journal.get(stranger).await.unwrap(), None);
    assert!(journal.unfinished().await.unwrap().is_empty());
}

/// The same story told to the in-memory journal and to the SQLite one reads back
/// the same from both.
#[tokio::test]
async fn it_answers_as_the_in_memory_journal_does() {
    let (_dir, path) = journal_path();
    let sqlite = SqliteJournal::open(&path).unwrap();
    let memory = MemoryJournal::new();
    let journals: [&dyn Journal; 2] = [&memory, &sqlite];
    let mut high = record(4);
    high.priority = 10;
    let records = [record(3), record(1), high, record(2), record(5)];
    let at = now();
    let mut failed = ActionChange::new(ActionState::Failed, 1, at);
    failed.error = Some("no".to_owned());
    let mut succeeded = ActionChange::new(ActionState::Succeeded, 2, at);
    succeeded.result = Some(result("yes"));
    let mut requeued = ActionChange::new(ActionState::Queued, 1, at);
    requeued.error = Some("retrying".to_owned());
    let changes = [
        (1, ActionChange::new(ActionState::Running, 1, at)),
        (1, succeeded),
        (2, ActionChange::new(ActionState::Running, 1, at)),
        (2, requeued),
        (3, failed),
        (5, ActionChange::new(ActionState::DeadLettered, 3, at)),
        (5, ActionChange::new(ActionState::Cancelled, 3, at)),
    ];
    for journal in journals {
        for record in records.clone() {
            journal.accept(record).await.unwrap();
        }
        for (id, change) in changes.clone() {
            journal.update(ActionId::from(id), change).await.unwrap();
        }
    }
    let mut answers = Vec::new();
    for journal in journals {
        let mut each = Vec::new();
        for id in 0..=6 {
            each.push(journal.get(ActionId::from(id)).await.unwrap());
        }
        let unfinished = journal.unfinished().await.unwrap();
        let dead = journal.dead_letters().await.unwrap();
        let history = [
            journal.history("worker", 10).await.unwrap(),
            journal.history("worker", 2).await.unwrap(),
            journal.history("nobody", 10).await.unwrap(),
        ];
        answers.push((each, unfinished, dead, history));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(ids(&answers[1].1), [2, 4]);
    // Finished at the same instant: the later id first.
    assert_eq!(ids(&answers[1].3[0]), [5, 3, 1]);
    assert_eq!(ids(&answers[1].3[1]), [5, 3]);
}
