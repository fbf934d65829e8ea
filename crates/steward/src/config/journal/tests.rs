//! The `[journal]` section: defaults, every key, and the errors that name them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Duration;

use super::{JournalConfig, JournalKind, Synchronous};
use crate::config::{Config, ConfigError, ConfigSource, Expected, Format, Origin, load};

fn load_toml(text: &str, env: &[(&str, &str)]) -> (Config, Vec<ConfigError>) {
    let source = ConfigSource::Text {
        name: "test.toml".to_owned(),
        format: Format::Toml,
        text: text.to_owned(),
    };
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    let expected = Expected {
        services: &[],
        sections: &[],
    };
    load(&source, &env, Some("STEWARD"), &expected).unwrap()
}

fn only_error(text: &str) -> ConfigError {
    let (_, errors) = load_toml(text, &[]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    errors.into_iter().next().unwrap()
}

#[test]
fn without_a_section_the_journal_is_in_memory() {
    let (config, errors) = load_toml("", &[]);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(config.journal, JournalConfig::default());
    assert_eq!(config.journal.kind, JournalKind::Memory);
    assert_eq!(config.journal.path, PathBuf::from("data/steward.db"));
    assert_eq!(config.journal.keep_finished, None);
    assert_eq!(config.journal.keep_for, None);
    assert_eq!(config.journal.synchronous, Synchronous::Full);
}

#[test]
fn every_key_is_read() {
    let (config, errors) = load_toml(
        "[journal]\nkind = \"sqlite\"\npath = \"var/actions.db\"\nkeep_finished = 500\nkeep_for = \"2d\"\nsynchronous = \"normal\"",
        &[],
    );
    assert!(errors.is_empty(), "{errors:#?}");
    let journal = config.journal;
    assert_eq!(journal.kind, JournalKind::Sqlite);
    assert_eq!(journal.path, PathBuf::from("var/actions.db"));
    assert_eq!(journal.keep_finished, Some(500));
    assert_eq!(journal.keep_for, Some(Duration::from_secs(2 * 24 * 3600)));
    assert_eq!(journal.synchronous, Synchronous::Normal);
}

#[test]
fn the_environment_can_choose_the_journal() {
    let (config, errors) = load_toml(
        "",
        &[
            ("STEWARD__JOURNAL__KIND", "sqlite"),
            ("STEWARD__JOURNAL__KEEP_FINISHED", "7"),
            ("STEWARD__JOURNAL__SYNCHRONOUS", "NORMAL"),
        ],
    );
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(config.journal.kind, JournalKind::Sqlite);
    assert_eq!(config.journal.keep_finished, Some(7));
    assert_eq!(config.journal.synchronous, Synchronous::Normal);
}

#[test]
fn an_unknown_synchronous_level_names_the_levels_there_are() {
    let error = only_error("[journal]\nkind = \"sqlite\"\nsynchronous = \"off\"");
    assert_eq!(error.key, "journal.synchronous");
    assert_eq!(error.origin, Origin::Text("test.toml".to_owned()));
    assert!(
        error
            .reason
            .starts_with("unknown synchronous level `off` (expected full, "),
        "{}",
        error.reason
    );
    let error = only_error("[journal]\nsynchronous = 2");
    assert_eq!(error.key, "journal.synchronous");
}

#[test]
fn an_unknown_kind_names_the_kinds_there_are() {
    let error = only_error("[journal]\nkind = \"postgres\"");
    assert_eq!(error.key, "journal.kind");
    assert_eq!(error.origin, Origin::Text("test.toml".to_owned()));
    assert_eq!(
        error.reason,
        "unknown journal kind `postgres` (expected memory or sqlite)"
    );
}

#[test]
fn nats_is_reserved_and_not_in_this_build() {
    let error = only_error("[journal]\nkind = \"nats\"");
    assert_eq!(error.key, "journal.kind");
    assert!(
        error.reason.contains("not available in this build"),
        "{}",
        error.reason
    );
}

#[test]
fn an_unknown_key_is_named_with_a_suggestion() {
    let error = only_error("[journal]\nkind = \"sqlite\"\nkeep_finshed = 3");
    assert_eq!(error.key, "journal.keep_finshed");
    assert!(
        error
            .reason
            .starts_with("unknown key; did you mean `keep_finished`?"),
        "{}",
        error.reason
    );
}

#[test]
fn bad_values_name_their_key() {
    let error = only_error("[journal]\nkeep_for = \"a week\"");
    assert_eq!(error.key, "journal.keep_for");
    let error = only_error("[journal]\nkeep_finished = -1");
    assert_eq!(error.key, "journal.keep_finished");
    let error = only_error("[journal]\nkind = \"sqlite\"\npath = \"\"");
    assert_eq!(error.key, "journal.path");
    assert!(error.reason.contains("empty"), "{}", error.reason);
}

#[test]
fn kinds_read_and_show_as_written() {
    for kind in [JournalKind::Memory, JournalKind::Sqlite] {
        assert_eq!(kind.to_string().parse::<JournalKind>(), Ok(kind));
    }
    for level in [Synchronous::Full, Synchronous::Normal] {
        assert_eq!(level.to_string().parse::<Synchronous>(), Ok(level));
    }
    assert_eq!("FULL".parse::<Synchronous>(), Ok(Synchronous::Full));
}
