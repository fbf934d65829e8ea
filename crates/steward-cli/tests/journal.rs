//! `steward run` and `check` with `[journal] kind = "sqlite"`: a file this
//! version cannot use stops the host before it starts, by name, untouched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use serde_json::Value;
use steward::{ActionChange, ActionId, ActionRecord, ActionState, Journal};
use steward_sqlite::SqliteJournal;

use common::{steward, text};

const CONFIG: &str = r#"[http]
bind = "127.0.0.1:0"

[journal]
kind = "sqlite"
path = "data/steward.db"

[services.job]
kind = "exec"
settings = { command = ["true"] }
"#;

/// Writes a journal at `path` holding one dead-lettered `job` `run` action.
fn journal_with_a_dead_letter(path: &Path) -> ActionId {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let journal = SqliteJournal::open(path).unwrap();
        let id = ActionId::from(0x0192_a5e3_c1f0_7d2b_9a4e_0000_0000_0001);
        let at = Utc::now();
        let record = ActionRecord {
            id,
            service: Arc::from("job"),
            action: Arc::from("run"),
            params: Value::Null,
            priority: 0,
            timeout: None,
            max_retries: 2,
            correlation_id: None,
            state: ActionState::Queued,
            attempts: 0,
            result: None,
            error: None,
            accepted_at: at,
            updated_at: at,
        };
        journal.accept(record).await.unwrap();
        let mut dead = ActionChange::new(ActionState::DeadLettered, 3, at);
        dead.error = Some("the disk was full".to_owned());
        journal.update(id, dead).await.unwrap();
        journal.close().await.unwrap();
        id
    })
}

#[test]
fn a_journal_from_a_newer_version_stops_check_and_run_by_name_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("steward.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let file = dir.path().join("data").join("steward.db");

    // No file yet: `check` is happy and creates nothing.
    let check = steward()
        .current_dir(dir.path())
        .args(["check", "-c", "steward.toml"])
        .output()
        .unwrap();
    assert!(check.status.success(), "{:?}", text(&check));
    assert!(!file.exists());

    journal_with_a_dead_letter(&file);
    let newer = SqliteJournal::SCHEMA_VERSION + 1;
    rusqlite::Connection::open(&file)
        .unwrap()
        .pragma_update(None, "user_version", newer)
        .unwrap();
    let before = std::fs::read(&file).unwrap();
    for verb in ["check", "run"] {
        let output = steward()
            .current_dir(dir.path())
            .args([verb, "-c", "steward.toml"])
            .env("STEWARD__HTTP__BIND", "127.0.0.1:0")
            .output()
            .unwrap();
        let (_, err) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{verb}: {err}");
        assert!(err.contains("data/steward.db"), "{verb}: {err}");
        assert!(
            err.contains(&format!("schema version {newer}")),
            "{verb}: {err}"
        );
        assert_eq!(
            std::fs::read(&file).unwrap(),
            before,
            "{verb} left it as it was"
        );
    }

    std::fs::write(&file, b"these are my notes").unwrap();
    let output = steward()
        .current_dir(dir.path())
        .args(["run", "-c", "steward.toml"])
        .output()
        .unwrap();
    let (_, err) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("not an SQLite database"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), b"these are my notes");
}
