//! The `retention-cleanup` built-in deletes in bounded transactions, read back
//! from a real SQLite file's write-ahead log: every transaction the cleanup
//! commits is seen, with the rows it deleted from each table.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use rusqlite::Connection;
use rusqlite::types::Value;
use serde_json::json;
use steward::ProcessBatch;
use steward_builtins::retention::Cause;

mod common;
use common::retention::{DAY, database, insert, now, rows, start, toml_path};
use common::wal;

const TABLES: [&str; 2] = ["events", "logs"];

/// Rows in each table.
fn counts(db: &Connection) -> [i64; 2] {
    TABLES.map(|table| rows(db, table))
}

/// The rows each transaction committed since the WAL's byte `from` deleted, per
/// table; `before` is what the tables held at `from`.
fn deleted_per_transaction(
    path: &Path,
    from: usize,
    before: [i64; 2],
    scratch: &Path,
) -> Vec<[i64; 2]> {
    let mut last = before;
    let mut deleted = Vec::new();
    for end in wal::commits(path).into_iter().filter(|end| *end > from) {
        let now = counts(&wal::as_of(path, end, scratch));
        deleted.push([last[0] - now[0], last[1] - now[1]]);
        last = now;
    }
    deleted
}

/// The end of the last committed transaction in the WAL (0 when it is empty).
fn wal_end(path: &Path) -> usize {
    wal::commits(path).last().copied().unwrap_or(0)
}

#[tokio::test]
async fn rows_go_in_transactions_of_at_most_batch_size_and_process_batch_runs_one() {
    let dir = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let db = database(&path, "events", "created_at", "INTEGER");
    let mode: String = db
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    db.execute_batch("CREATE TABLE logs (id INTEGER PRIMARY KEY, at INTEGER, body TEXT);")
        .unwrap();
    let old = Value::Integer(now() - 40 * DAY);
    for _ in 0..25 {
        insert(&db, "events", old.clone());
    }
    for _ in 0..7 {
        insert(&db, "logs", old.clone());
    }
    insert(&db, "events", Value::Integer(now()));
    insert(&db, "events", Value::Integer(now()));
    insert(&db, "logs", Value::Integer(now()));
    // Everything so far into the database file: the log holds the cleanup's
    // transactions only. This connection stays open, so none of the cleanup's
    // closes checkpoints the log away.
    db.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    assert!(wal::commits(&path).is_empty());

    let database_path = toml_path(&path);
    let settings = format!(
        "batch_size = 4, sqlite = [{{ database = {database_path}, table = \"events\", column = \"created_at\" }}, {{ database = {database_path}, table = \"logs\", column = \"at\" }}]"
    );
    let mut cleanup = start(&settings).await;
    let service = cleanup.handle.named("cleanup");

    // process-batch with the settings' size: one transaction of 4 per table.
    let answer = service
        .process_batch(ProcessBatch::default())
        .await
        .unwrap();
    assert_eq!(answer["cause"], json!("process-batch"));
    assert_eq!(answer["rows"], json!(8));
    assert_eq!(answer["targets"][0]["rows"], json!(4));
    assert_eq!(answer["targets"][1]["rows"], json!(4));
    assert_eq!(answer["targets"][0]["more"], json!(true));
    let event = cleanup.next().await;
    assert_eq!(event.cause, Cause::ProcessBatch);
    assert_eq!(
        deleted_per_transaction(&path, 0, [27, 8], scratch.path()),
        [[4, 0], [0, 4]]
    );
    assert_eq!(counts(&db), [23, 4]);

    // A larger batch for one table: still transactions of at most 4 rows.
    let mark = wal_end(&path);
    let answer = service
        .process_batch(ProcessBatch::of(6).filter("events"))
        .await
        .unwrap();
    assert_eq!(answer["rows"], json!(6));
    assert_eq!(answer["targets"].as_array().unwrap().len(), 1);
    cleanup.next().await;
    assert_eq!(
        deleted_per_transaction(&path, mark, [23, 4], scratch.path()),
        [[4, 0], [2, 0]]
    );

    // A full run: batch after batch until no old row is left, each one its own
    // transaction, so the write lock is never held longer than one batch.
    let mark = wal_end(&path);
    let run = cleanup.run().await;
    assert_eq!(run.cause, Cause::Schedule);
    assert_eq!(run.errors, 0, "{run:?}");
    let per_target: Vec<(u64, bool)> = run
        .targets
        .iter()
        .map(|target| (target.rows, target.more))
        .collect();
    assert_eq!(per_target, [(15, false), (3, false)]);
    assert_eq!(run.rows, 18);
    assert_eq!(
        deleted_per_transaction(&path, mark, [17, 4], scratch.path()),
        [[4, 0], [4, 0], [4, 0], [3, 0], [0, 3]]
    );
    assert_eq!(counts(&db), [2, 1]);
    // The log replays to the database as it is: nothing was checkpointed between.
    assert_eq!(
        counts(&wal::as_of(&path, wal_end(&path), scratch.path())),
        [2, 1]
    );

    // The counters hold every row deleted, per table.
    let metrics = cleanup.handle.metrics().encode();
    for (table, deleted) in [("events", 25), ("logs", 7)] {
        let line = format!(
            "steward_cleanup_rows_deleted_total{{service=\"cleanup\",target=\"{}:{table}\"}} {deleted}\n",
            path.display()
        );
        assert!(metrics.contains(&line), "no `{line}` in:\n{metrics}");
    }
    cleanup.running.shutdown().await;
}
