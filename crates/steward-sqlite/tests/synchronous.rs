//! `[journal] synchronous`: the level a configuration names reaches the writer's
//! connection, and a level there is not stops the host before it starts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::{journal_path, record};
use steward::{Host, HostError, Journal, JournalKind, Origin, Synchronous};
use steward_sqlite::{OpenError, SqliteJournal, SqliteJournalBuilder};

/// Builds a host from `toml`, opening its journal as the `steward` binary does,
/// and hands back the journal it opened.
fn build(toml: String) -> Result<Option<Arc<SqliteJournal>>, HostError> {
    let opened: Arc<Mutex<Option<Arc<SqliteJournal>>>> = Arc::default();
    let slot = opened.clone();
    let host = Host::builder()
        .env_prefix(None)
        .config_toml("steward.toml", toml)
        .journal_from(move |journal| match journal.kind {
            JournalKind::Sqlite => {
                let journal = Arc::new(SqliteJournalBuilder::from(journal).open()?);
                *slot.lock().unwrap() = Some(journal.clone());
                Ok(Some(journal))
            }
            _ => Ok::<_, OpenError>(None),
        })
        .build()?;
    drop(host);
    let journal = opened.lock().unwrap().take();
    Ok(journal)
}

#[tokio::test]
async fn normal_from_configuration_reaches_the_writer_and_commits() {
    let (_dir, path) = journal_path();
    let toml = format!("[journal]\nkind = \"sqlite\"\npath = {path:?}\nsynchronous = \"normal\"");
    let journal = build(toml).unwrap().unwrap();
    assert_eq!(journal.synchronous(), Synchronous::Normal);
    journal.accept(record(1)).await.unwrap();
    journal.close().await.unwrap();
    // Committed, and there for the next process.
    let reopened = SqliteJournal::open(&path).unwrap();
    assert_eq!(reopened.synchronous(), Synchronous::Full);
    assert_eq!(reopened.unfinished().await.unwrap().len(), 1);
}

#[tokio::test]
async fn full_is_the_default() {
    let (_dir, path) = journal_path();
    let journal = build(format!("[journal]\nkind = \"sqlite\"\npath = {path:?}"))
        .unwrap()
        .unwrap();
    assert_eq!(journal.synchronous(), Synchronous::Full);
    journal.close().await.unwrap();
}

#[test]
fn an_unknown_level_is_a_config_error_naming_the_file_and_key() {
    let (_dir, path) = journal_path();
    let toml = format!("[journal]\nkind = \"sqlite\"\npath = {path:?}\nsynchronous = \"off\"");
    let error = build(toml).err().unwrap();
    let HostError::Config(errors) = error else {
        panic!("{error}")
    };
    assert_eq!(errors.0.len(), 1, "{errors}");
    let error = &errors.0[0];
    assert_eq!(error.key, "journal.synchronous");
    assert_eq!(error.origin, Origin::Text("steward.toml".to_owned()));
    assert!(error.reason.contains("`off`"), "{errors}");
    assert!(error.reason.contains("full"), "{errors}");
    assert!(error.reason.contains("normal"), "{errors}");
    // Refused before anything was opened.
    assert!(!path.exists());
}
