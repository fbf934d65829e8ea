#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::json;
use steward::{ActionChange, ActionId, ActionRecord, ActionState, JournalError};
use tokio::sync::oneshot;

use super::{Checkpoints, Message, Reply, Stats, Write, Writer};
use crate::connection::{Setup, open_checkpointer, open_writer};
use crate::lock::FileLock;
use crate::prune::{History, Schedule};
use crate::read::{self, Readers};
use crate::row::{ChangeRow, Row};
use crate::services::Numbers;

fn writer(path: &std::path::Path, max_size: Option<u64>) -> Writer {
    let setup = Setup {
        busy_timeout: Duration::from_secs(1),
        max_size,
        synchronous: steward::Synchronous::Full,
    };
    let conn = open_writer(path, &setup).unwrap();
    let checkpointer = open_checkpointer(path, &setup).unwrap();
    Writer {
        checkpoints: Checkpoints::start(&conn, checkpointer, path).unwrap(),
        conn,
        path: path.to_owned(),
        stats: Arc::new(Stats::default()),
        history: History {
            keep_for: Duration::from_secs(3600),
            keep_finished: 100,
        },
        schedule: Schedule::new(Duration::from_secs(3600), Instant::now()),
        services: Numbers::default(),
    }
}

fn record(n: u128, padding: usize) -> ActionRecord {
    let params = json!({ "padding": "x".repeat(padding) });
    ActionRecord::queued(ActionId::from(n), "worker", "work", params, Utc::now())
}

type Answer = oneshot::Receiver<Result<(), JournalError>>;

fn group(writes: Vec<Write>) -> (Vec<(Write, Reply<()>)>, Vec<Answer>) {
    writes
        .into_iter()
        .map(|write| {
            let (reply, answer) = oneshot::channel();
            ((write, reply), answer)
        })
        .unzip()
}

fn accept(n: u128, padding: usize) -> Write {
    Write::Accept(Box::new(Row::from_record(&record(n, padding)).unwrap()))
}

fn held(path: &std::path::Path) -> Vec<u128> {
    let readers = Readers::new(path.to_owned(), Duration::from_secs(1)).unwrap();
    readers
        .read(|conn| read::all(conn, read::UNFINISHED))
        .unwrap()
        .iter()
        .map(|record| record.id.as_u128())
        .collect()
}

#[test]
fn a_group_is_one_transaction_answered_write_by_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut writer = writer(&path, None);
    let change = ActionChange::new(ActionState::Running, 1, Utc::now());
    let (mut writes, answers) = group(vec![
        accept(1, 10),
        accept(2, 10),
        Write::Update(ChangeRow::new(ActionId::from(1), &change).unwrap()),
    ]);
    writer.commit(&mut writes);
    assert!(writes.is_empty());
    for mut answer in answers {
        assert_eq!(answer.try_recv().unwrap(), Ok(()));
    }
    assert_eq!(
        writer
            .stats
            .commits
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    let readers = Readers::new(path.clone(), Duration::from_secs(1)).unwrap();
    let first = readers
        .read(|conn| read::get(conn, ActionId::from(1)))
        .unwrap()
        .unwrap();
    assert_eq!((first.state, first.attempts), (ActionState::Running, 1));
}

#[test]
fn a_group_that_does_not_fit_fails_whole_and_the_next_one_commits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut writer = writer(&path, Some(64 * 1024));
    // The first two would fit; the group as a whole does not.
    let (mut writes, answers) = group(vec![accept(1, 8_000), accept(2, 8_000), accept(3, 60_000)]);
    writer.commit(&mut writes);
    for mut answer in answers {
        let error = answer.try_recv().unwrap().unwrap_err();
        assert!(error.0.contains("none was written"), "{error}");
        assert!(error.0.contains("journal.db"), "{error}");
    }
    assert_eq!(
        held(&path),
        Vec::<u128>::new(),
        "nothing of the group was written"
    );
    assert_eq!(
        writer
            .stats
            .commits
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );

    let (mut writes, answers) = group(vec![accept(1, 8_000), accept(2, 8_000)]);
    writer.commit(&mut writes);
    for mut answer in answers {
        assert_eq!(answer.try_recv().unwrap(), Ok(()));
    }
    assert_eq!(held(&path), [1, 2]);
}

#[test]
fn an_idle_writer_prunes_history_as_it_ages_with_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut writer = writer(&path, None);
    // Finished actions are kept for 200 ms; a pass comes every 10 ms.
    writer.history.keep_for = Duration::from_millis(200);
    let every = Duration::from_millis(10);
    writer.schedule = Schedule::every(every, every, Instant::now());
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    let lock = FileLock::take(&path, Duration::ZERO).unwrap();
    let thread = writer.spawn(receiver, lock).unwrap();

    let made = Instant::now();
    let mut finished = record(1, 0);
    finished.state = ActionState::Succeeded;
    let mut waiting = record(2, 0);
    waiting.updated_at -= chrono::Duration::days(30);
    for record in [finished, waiting] {
        let (reply, answer) = oneshot::channel();
        let write = Write::Accept(Box::new(Row::from_record(&record).unwrap()));
        sender.blocking_send(Message::Write(write, reply)).unwrap();
        answer.blocking_recv().unwrap().unwrap();
    }
    let written = Instant::now();

    // Nothing more is sent. The passes after the writes found nothing old enough;
    // the finished one goes once it is 200 ms old, the queued one stays.
    let readers = Readers::new(path.clone(), Duration::from_secs(1)).unwrap();
    let held = |id: u128| {
        readers
            .read(|conn| read::get(conn, ActionId::from(id)))
            .unwrap()
            .is_some()
    };
    while held(1) {
        assert!(
            written.elapsed() < Duration::from_secs(10),
            "an idle writer never pruned an expired action"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        made.elapsed() >= Duration::from_millis(200),
        "pruned before its time"
    );
    assert!(held(2), "a queued action was pruned");
    drop(sender);
    thread.join().unwrap();
}

fn state_of(path: &std::path::Path, n: u128) -> Option<(ActionState, u32)> {
    let readers = Readers::new(path.to_owned(), Duration::from_secs(1)).unwrap();
    readers
        .read(|conn| read::get(conn, ActionId::from(n)))
        .unwrap()
        .map(|record| (record.state, record.attempts))
}

fn change(n: u128, state: ActionState, attempts: u32) -> Write {
    let change = ActionChange::new(state, attempts, Utc::now());
    Write::Update(ChangeRow::new(ActionId::from(n), &change).unwrap())
}

#[test]
fn interleaved_accepts_and_outcomes_all_land_as_sent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut writer = writer(&path, None);
    // 45 accepts (inserted 32, 8, 4 and 1 at a time), each followed by the
    // outcome of the one before it.
    let mut writes = Vec::new();
    for n in 1..=45 {
        writes.push(accept(n, 10));
        if n > 1 {
            writes.push(change(n - 1, ActionState::Succeeded, 1));
        }
    }
    let (mut writes, answers) = group(writes);
    writer.commit(&mut writes);
    for mut answer in answers {
        assert_eq!(answer.try_recv().unwrap(), Ok(()));
    }
    for n in 1..45 {
        assert_eq!(
            state_of(&path, n),
            Some((ActionState::Succeeded, 1)),
            "action {n}"
        );
    }
    assert_eq!(state_of(&path, 45), Some((ActionState::Queued, 0)));
    assert_eq!(held(&path), [45]);
}

#[test]
fn an_action_changed_then_accepted_again_in_one_group_ends_as_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut writer = writer(&path, None);
    let (mut writes, _) = group(vec![accept(1, 10)]);
    writer.commit(&mut writes);
    let (mut writes, answers) = group(vec![
        change(1, ActionState::DeadLettered, 3),
        accept(2, 10),
        accept(1, 10),
    ]);
    writer.commit(&mut writes);
    for mut answer in answers {
        assert_eq!(answer.try_recv().unwrap(), Ok(()));
    }
    assert_eq!(state_of(&path, 1), Some((ActionState::Queued, 0)));
    assert_eq!(held(&path), [1, 2]);
}

#[test]
fn an_accept_that_breaks_a_constraint_fails_alone_among_those_inserted_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut writer = writer(&path, None);
    // A constraint only the third action breaks.
    writer
        .conn
        .execute_batch(
            "CREATE TRIGGER refuse_third BEFORE INSERT ON steward_actions
             WHEN NEW.id = X'00000000000000000000000000000003'
             BEGIN SELECT RAISE(ABORT, 'the third is refused'); END",
        )
        .unwrap();
    let (mut writes, answers) = group((1..=8).map(|n| accept(n, 10)).collect());
    writer.commit(&mut writes);
    for (n, mut answer) in (1..).zip(answers) {
        let answer = answer.try_recv().unwrap();
        if n == 3 {
            let error = answer.unwrap_err();
            assert!(error.0.contains("the third is refused"), "{error}");
            assert!(error.0.contains("journal.db"), "{error}");
        } else {
            assert_eq!(answer, Ok(()), "action {n}");
        }
    }
    assert_eq!(held(&path), [1, 2, 4, 5, 6, 7, 8]);
}

/// A record with every optional field set.
fn full(n: u128) -> ActionRecord {
    let at = Utc::now();
    let mut record = record(n, 10);
    record.timeout = Some(Duration::from_millis(1500));
    record.max_retries = 4;
    record.retry_backoff = Some(
        steward::Backoff::new(Duration::from_millis(250), Duration::from_secs(90)).jitter(0.5),
    );
    record.correlation_id = Some(Arc::from("req-9"));
    record.state = ActionState::TimedOut;
    record.attempts = 2;
    record.result = Some(json!({"partial": true}));
    record.error = Some("took too long".to_owned());
    record.started_at = Some(at);
    record.not_before = Some(at + chrono::Duration::seconds(120));
    record
}

/// `record` as the journal gives it back (times to the microsecond).
fn stored(record: &ActionRecord) -> ActionRecord {
    Row::from_record(record).unwrap().into_record().unwrap()
}

#[test]
fn plain_and_full_accepts_in_one_group_are_each_stored_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut writer = writer(&path, None);
    // Plain ones, and ones each with one of the columns a plain insert leaves
    // out, interleaved.
    let mut records = Vec::new();
    for n in 0..6_u128 {
        records.push(record(2 * n + 1, 10));
        let mut other = full(2 * n + 2);
        match n {
            0 => {}
            1 => {
                (
                    other.result,
                    other.error,
                    other.not_before,
                    other.retry_backoff,
                ) = (None, None, None, None)
            }
            2 => (other.error, other.not_before, other.retry_backoff) = (None, None, None),
            3 => (other.result, other.not_before, other.retry_backoff) = (None, None, None),
            4 => (other.result, other.error, other.retry_backoff) = (None, None, None),
            _ => (other.result, other.error, other.not_before) = (None, None, None),
        }
        records.push(other);
    }
    let writes = records
        .iter()
        .map(|record| Write::Accept(Box::new(Row::from_record(record).unwrap())))
        .collect();
    let (mut writes, answers) = group(writes);
    writer.commit(&mut writes);
    for mut answer in answers {
        assert_eq!(answer.try_recv().unwrap(), Ok(()));
    }
    let readers = Readers::new(path.clone(), Duration::from_secs(1)).unwrap();
    for record in &records {
        let back = readers.read(|conn| read::get(conn, record.id)).unwrap();
        assert_eq!(back.as_ref(), Some(&stored(record)), "{}", record.id);
    }
}

#[test]
fn an_outcome_keeps_the_error_and_start_already_there_and_clears_a_later_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut writer = writer(&path, None);
    let accepted = full(1);
    let (mut writes, _) = group(vec![Write::Accept(Box::new(
        Row::from_record(&accepted).unwrap(),
    ))]);
    writer.commit(&mut writes);
    let mut change = ActionChange::new(ActionState::Succeeded, 3, Utc::now());
    change.result = Some(json!("done"));
    let (mut writes, _) = group(vec![Write::Update(
        ChangeRow::new(ActionId::from(1), &change).unwrap(),
    )]);
    writer.commit(&mut writes);
    let readers = Readers::new(path.clone(), Duration::from_secs(1)).unwrap();
    let back = readers
        .read(|conn| read::get(conn, ActionId::from(1)))
        .unwrap()
        .unwrap();
    let before = stored(&accepted);
    assert_eq!((back.state, back.attempts), (ActionState::Succeeded, 3));
    assert_eq!(back.result, Some(json!("done")));
    assert_eq!(back.error, before.error);
    assert_eq!(back.started_at, before.started_at);
    assert_eq!(back.not_before, None);
}
