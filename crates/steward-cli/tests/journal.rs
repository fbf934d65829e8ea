//! `steward run` and `check` with `[journal] kind = "sqlite"`: the file is opened
//! relative to the working directory, `ctl actions`, `ctl dead-letters` and
//! `ctl retry` read and drive it, and a file this version cannot use stops the
//! host before it starts, by name, untouched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Stdio;

use chrono::Utc;
use serde_json::Value;
use steward::{ActionChange, ActionId, ActionRecord, ActionState, Journal};
use steward_sqlite::SqliteJournal;

use common::{Running, eventually, steward, text};

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
            max_retries: 2,
            ..ActionRecord::queued(id, "job", "run", Value::Null, at)
        };
        journal.accept(record).await.unwrap();
        let mut dead = ActionChange::new(ActionState::DeadLettered, 3, at);
        dead.error = Some("the disk was full".to_owned());
        journal.update(id, dead).await.unwrap();
        journal.close().await.unwrap();
        id
    })
}

/// `steward run -c steward.toml` in `dir`.
fn run_in(dir: &Path) -> Running {
    let mut command = steward();
    command
        .current_dir(dir)
        .args(["run", "-c", "steward.toml"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    Running::spawn(command)
}

#[test]
fn ctl_lists_history_and_dead_letters_from_the_journal_and_retries_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("steward.toml"), CONFIG).unwrap();
    let file = dir.path().join("data").join("steward.db");
    let dead = journal_with_a_dead_letter(&file).to_string();

    let mut host = run_in(dir.path());
    host.wait_state("job", "running");
    let letters = host.ctl_ok(&["dead-letters"]);
    assert!(letters.starts_with("ID"), "{letters}");
    for expected in [
        dead.as_str(),
        "job",
        "run",
        "dead-lettered",
        "the disk was full",
    ] {
        assert!(letters.contains(expected), "no {expected:?} in\n{letters}");
    }

    host.ctl_ok(&["act", "job", "run", "--wait"]);
    let queued = host.ctl_ok(&["retry", &dead]);
    assert_eq!(queued.trim(), format!("queued again: {dead}"));
    let history: Value = eventually("the retried action has succeeded", || {
        let out = host.ctl_ok(&["actions", "job", "--json"]);
        let history: Value = serde_json::from_str(&out).unwrap();
        let done = history
            .as_array()
            .unwrap()
            .iter()
            .any(|record| record["id"] == dead.as_str() && record["state"] == "succeeded");
        done.then_some(history)
    });
    assert_eq!(history.as_array().unwrap().len(), 2, "{history}");
    assert_eq!(history[0]["id"], dead.as_str(), "newest first: {history}");
    let table = host.ctl_ok(&["actions", "job", "--limit", "1"]);
    assert_eq!(
        table.lines().count(),
        2,
        "a header and one action:\n{table}"
    );
    assert!(
        table.contains("succeeded") && table.contains(&dead),
        "{table}"
    );
    assert_eq!(host.ctl_ok(&["dead-letters"]).trim(), "no dead letters");

    let again = host.ctl(&["retry", &dead]);
    let (_, err) = text(&again);
    assert_eq!(again.status.code(), Some(1), "{err}");
    assert!(err.contains("not_dead_lettered"), "{err}");
    let unknown = host.ctl(&["actions", "nobody"]);
    let (_, err) = text(&unknown);
    assert_eq!(unknown.status.code(), Some(1), "{err}");
    assert!(err.contains("unknown_service"), "{err}");
    let bad = host.ctl(&["actions", "job", "--limit", "0"]);
    let (_, err) = text(&bad);
    assert_eq!(bad.status.code(), Some(1), "{err}");
    assert!(err.contains("`limit`"), "{err}");

    let exit = host.signal_and_wait(nix::sys::signal::Signal::SIGTERM);
    assert!(exit.success(), "{exit}");
    // Everything is in the file the next process opens.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let kept = runtime.block_on(async {
        let journal = SqliteJournal::open(&file).unwrap();
        journal.history("job", 10).await.unwrap()
    });
    assert_eq!(kept.len(), 2);
    assert!(
        kept.iter()
            .all(|record| record.state == ActionState::Succeeded)
    );
}

#[test]
fn a_second_host_on_the_same_journal_is_refused_by_name_and_check_still_looks() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("steward.toml"), CONFIG).unwrap();
    let mut first = run_in(dir.path());
    first.wait_state("job", "running");

    let second = steward()
        .current_dir(dir.path())
        .args(["run", "-c", "steward.toml"])
        .output()
        .unwrap();
    let (_, err) = text(&second);
    assert_eq!(second.status.code(), Some(1), "{err}");
    let holder = format!("pid {}", first.child.id());
    for expected in [
        "data/steward.db is in use",
        holder.as_str(),
        "one host at a time",
    ] {
        assert!(err.contains(expected), "no {expected:?} in\n{err}");
    }
    // `check` only looks, so it may while a host runs.
    let check = steward()
        .current_dir(dir.path())
        .args(["check", "-c", "steward.toml"])
        .output()
        .unwrap();
    assert!(check.status.success(), "{:?}", text(&check));
    first.ctl_ok(&["act", "job", "run", "--wait"]);

    // Once the first has stopped, the file is free.
    let exit = first.signal_and_wait(nix::sys::signal::Signal::SIGTERM);
    assert!(exit.success(), "{exit}");
    let mut next = run_in(dir.path());
    next.wait_state("job", "running");
    let history = next.ctl_ok(&["actions", "job"]);
    assert!(history.contains("succeeded"), "{history}");
    let exit = next.signal_and_wait(nix::sys::signal::Signal::SIGTERM);
    assert!(exit.success(), "{exit}");
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
