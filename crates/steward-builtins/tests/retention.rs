//! The `retention-cleanup` built-in against real SQLite files: both timestamp
//! styles, bounded batches, `process-batch`, `dry_run`, a missing database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rusqlite::types::Value;
use serde_json::json;
use steward::{HealthStatus, ProcessBatch, State};
use steward_builtins::retention::{Cause, TargetKind};

mod common;
use common::retention::{DAY, database, insert, iso, now, rows, start, toml_path};

/// `events` (TEXT, both ISO styles) and `logs` (no type: integers and text), with
/// 10 and 9 old rows and 6 and 7 that stay.
fn fill(path: &std::path::Path) -> rusqlite::Connection {
    let db = database(path, "events", "created_at", "TEXT");
    for t in [true, false] {
        for _ in 0..5 {
            insert(&db, "events", Value::Text(iso(40, t)));
        }
        for _ in 0..3 {
            insert(&db, "events", Value::Text(iso(1, t)));
        }
    }
    db.execute_batch("CREATE TABLE logs (id INTEGER PRIMARY KEY, at, body TEXT);")
        .unwrap();
    for _ in 0..7 {
        insert(&db, "logs", Value::Integer(now() - 40 * DAY));
    }
    for _ in 0..4 {
        insert(&db, "logs", Value::Integer(now() - DAY));
    }
    insert(&db, "logs", Value::Text(iso(31, true)));
    insert(&db, "logs", Value::Text(iso(400, false)));
    insert(&db, "logs", Value::Text(iso(29, false)));
    // Never deleted: no time, or not one SQLite reads.
    insert(&db, "logs", Value::Null);
    insert(&db, "logs", Value::Text("last tuesday".into()));
    // Fractions and offsets: 31 days ago at +05:00 is old, 29 days ago is not.
    let offset = |days: i64| {
        (chrono::Utc::now() - chrono::TimeDelta::seconds(days * DAY))
            .with_timezone(&chrono::FixedOffset::east_opt(5 * 3600).unwrap())
            .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
            .to_string()
    };
    insert(&db, "logs", Value::Text(offset(31)));
    insert(&db, "logs", Value::Text(offset(29)));
    db
}

fn tables(path: &std::path::Path) -> String {
    let db = toml_path(path);
    format!(
        "sqlite = [{{ database = {db}, table = \"events\", column = \"created_at\" }}, {{ database = {db}, table = \"logs\", column = \"at\" }}]"
    )
}

#[tokio::test]
async fn old_rows_of_both_timestamp_styles_are_deleted_and_new_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let db = fill(&path);
    let mut cleanup = start(&tables(&path)).await;

    let run = cleanup.run().await;
    assert_eq!(run.cause, Cause::Schedule);
    assert!(!run.dry_run);
    assert_eq!(run.errors, 0, "{run:?}");
    assert_eq!(run.targets.len(), 2);
    let events = &run.targets[0];
    assert_eq!(events.target, format!("{}:events", path.display()));
    assert_eq!(
        (events.kind, events.rows, events.more),
        (TargetKind::Sqlite, 10, false)
    );
    assert_eq!(run.targets[1].rows, 10);
    assert_eq!(run.rows, 20);
    assert_eq!(rows(&db, "events"), 6);
    assert_eq!(rows(&db, "logs"), 4 + 1 + 2 + 1);

    let metrics = cleanup.handle.metrics().encode();
    let line = format!(
        "steward_cleanup_rows_deleted_total{{service=\"cleanup\",target=\"{}:events\"}} 10",
        path.display()
    );
    assert!(metrics.contains(&line), "{metrics}");
    let service = cleanup.handle.service("cleanup").unwrap();
    assert_eq!(service.health().status, HealthStatus::Healthy);

    // Nothing old is left: the next run deletes nothing.
    let again = cleanup.run().await;
    assert_eq!(again.rows, 0);
    cleanup.running.shutdown().await;
}

#[tokio::test]
async fn a_run_deletes_every_old_row_in_batches_and_process_batch_only_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let db = database(&path, "events", "created_at", "INTEGER");
    for _ in 0..25 {
        insert(&db, "events", Value::Integer(now() - 40 * DAY));
    }
    insert(&db, "events", Value::Integer(now()));
    let settings = format!(
        "batch_size = 3, sqlite = [{{ database = {}, table = \"events\", column = \"created_at\" }}]",
        toml_path(&path)
    );
    let mut cleanup = start(&settings).await;

    // process-batch: at most `batch_size` (the command's, else the settings').
    let service = cleanup.handle.named("cleanup");
    let answer = service.process_batch(ProcessBatch::of(4)).await.unwrap();
    assert_eq!(answer["cause"], json!("process-batch"));
    assert_eq!(answer["rows"], json!(4));
    assert_eq!(answer["targets"][0]["more"], json!(true));
    assert_eq!(cleanup.next().await.rows, 4);
    assert_eq!(rows(&db, "events"), 22);
    let answer = service
        .process_batch(ProcessBatch::default().filter("events"))
        .await
        .unwrap();
    assert_eq!(answer["rows"], json!(3));
    cleanup.next().await;
    assert_eq!(rows(&db, "events"), 19);

    // A full run: batches of 3 until none is left.
    let run = cleanup.run().await;
    assert_eq!(run.rows, 18);
    assert!(!run.targets[0].more);
    assert_eq!(rows(&db, "events"), 1);

    // A filter that names no target is refused.
    let error = service
        .process_batch(ProcessBatch::of(1).filter("nope"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no target `nope`"), "{error}");
    cleanup.running.shutdown().await;
}

#[tokio::test]
async fn a_dry_run_counts_and_deletes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let db = fill(&path);
    let mut cleanup = start(&format!("dry_run = true, {}", tables(&path))).await;

    let run = cleanup.run().await;
    assert!(run.dry_run);
    assert_eq!(run.errors, 0, "{run:?}");
    assert_eq!((run.targets[0].rows, run.targets[1].rows), (10, 10));
    assert_eq!(rows(&db, "events"), 16);
    assert_eq!(rows(&db, "logs"), 18);
    let metrics = cleanup.handle.metrics().encode();
    let zero = format!(
        "steward_cleanup_rows_deleted_total{{service=\"cleanup\",target=\"{}:events\"}} 0\n",
        path.display()
    );
    assert!(metrics.contains(&zero), "{metrics}");
    let answer = cleanup
        .handle
        .named("cleanup")
        .process_batch(ProcessBatch::of(2))
        .await
        .unwrap();
    assert_eq!(answer["rows"], json!(4));
    assert_eq!(answer["dry_run"], json!(true));
    assert_eq!(rows(&db, "events"), 16);
    cleanup.running.shutdown().await;
}

#[tokio::test]
async fn a_missing_database_or_table_is_degraded_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let present = dir.path().join("app.db");
    let db = database(&present, "events", "created_at", "TEXT");
    insert(&db, "events", Value::Text(iso(40, true)));
    let settings = format!(
        "sqlite = [{{ database = {}, table = \"events\", column = \"created_at\" }}, {{ database = {p}, table = \"nothere\", column = \"created_at\" }}, {{ database = {p}, table = \"events\", column = \"created_at\" }}]",
        toml_path(&missing),
        p = toml_path(&present),
    );
    let mut cleanup = start(&settings).await;
    let run = cleanup.run().await;
    assert_eq!(run.errors, 2);
    let error = run.targets[0].error.as_deref().unwrap();
    assert!(error.contains("does not exist"), "{error}");
    assert!(error.contains("missing.db"), "{error}");
    let error = run.targets[1].error.as_deref().unwrap();
    assert!(error.contains("no such table: nothere"), "{error}");
    // The others are cleaned all the same, and the database is not created.
    assert_eq!(run.targets[2].rows, 1);
    assert!(!missing.exists());

    let service = cleanup.handle.service("cleanup").unwrap();
    let health = service.health();
    assert_eq!(health.status, HealthStatus::Degraded);
    let message = health.message.unwrap();
    assert!(
        message.starts_with("2 of 3 cleanup targets failed: "),
        "{message}"
    );
    assert!(message.contains("missing.db` does not exist"), "{message}");
    let status = service.status();
    assert_eq!(status.state, State::Running);
    assert_eq!(status.restarts, 0);
    assert_eq!(status.last_error, None);
    cleanup.running.shutdown().await;
}

#[tokio::test]
async fn flat_database_table_and_column_clean_that_one_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let db = database(&path, "events", "created_at", "TEXT");
    for _ in 0..3 {
        insert(&db, "events", Value::Text(iso(40, true)));
    }
    insert(&db, "events", Value::Text(iso(1, true)));
    let settings = format!(
        "database = {}, table = \"events\", column = \"created_at\"",
        toml_path(&path)
    );
    let mut cleanup = start(&settings).await;
    let run = cleanup.run().await;
    assert_eq!(run.errors, 0, "{run:?}");
    assert_eq!(run.targets.len(), 1);
    let target = &run.targets[0];
    assert_eq!(target.target, format!("{}:events", path.display()));
    assert_eq!((target.kind, target.rows), (TargetKind::Sqlite, 3));
    assert_eq!(rows(&db, "events"), 1);
    cleanup.running.shutdown().await;
}
