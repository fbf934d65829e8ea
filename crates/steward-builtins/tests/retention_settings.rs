//! A `retention-cleanup` service's settings: the documented example builds, and
//! every mistake names its key and says why.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use steward::{Host, HostError};
use steward_builtins::retention::RetentionSettings;

fn build(settings: &str) -> Result<Host, HostError> {
    let toml = format!(
        "[services.cleanup]\nkind = \"retention-cleanup\"\ninterval = \"1h\"\nsettings = {settings}\n"
    );
    Host::builder()
        .kinds(steward_builtins::kinds())
        .env_prefix(None)
        .config_toml("steward.toml", toml)
        .build()
}

/// The one problem with these settings: its key and reason.
fn only(settings: &str) -> (String, String) {
    let error = build(settings).unwrap_err();
    let HostError::Config(errors) = error else {
        panic!("expected configuration errors, got {error}");
    };
    assert_eq!(errors.0.len(), 1, "{errors:?}");
    let error = &errors.0[0];
    (error.key.clone(), error.reason.clone())
}

#[test]
fn the_documented_example_builds_with_its_schedule() {
    let host = build(
        "{ retention_days = 30, batch_size = 1000, dry_run = false, sqlite = [{ database = \"data/app.db\", table = \"events\", column = \"created_at\" }], directories = [\"inbox\"] }",
    )
    .unwrap();
    let services = host.handle().services();
    assert_eq!(services[0].builtin, Some("retention-cleanup"));
    assert_eq!(
        services[0].schedule.as_deref(),
        Some("every 1h, on startup")
    );
    build("{}").unwrap();
}

#[test]
fn a_bad_table_or_column_name_names_its_key() {
    let (key, reason) = only(
        "{ sqlite = [{ database = \"a.db\", table = \"events; DROP TABLE x\", column = \"at\" }] }",
    );
    assert_eq!(key, "services.cleanup.settings.sqlite[0].table");
    assert!(
        reason.contains("`events; DROP TABLE x` is not a plain SQL identifier"),
        "{reason}"
    );
    let (key, _) =
        only("{ sqlite = [{ database = \"a.db\", table = \"events\", column = \"1at\" }] }");
    assert_eq!(key, "services.cleanup.settings.sqlite[0].column");
    let (key, _) =
        only("{ sqlite = [{ database = \"a.db\", table = \"e\\\"\", column = \"at\" }] }");
    assert_eq!(key, "services.cleanup.settings.sqlite[0].table");
}

#[test]
fn zero_retention_or_batch_and_unknown_keys_are_refused() {
    let (key, reason) = only("{ retention_days = 0 }");
    assert_eq!(key, "services.cleanup.settings.retention_days");
    assert!(reason.contains("at least 1"), "{reason}");
    let (key, _) = only("{ batch_size = 0 }");
    assert_eq!(key, "services.cleanup.settings.batch_size");
    let (_, reason) = only("{ retention = 3 }");
    assert!(reason.contains("retention"), "{reason}");
    let (key, _) = only("{ sqlite = [{ database = \"a.db\", table = \"events\" }] }");
    assert!(
        key.starts_with("services.cleanup.settings.sqlite[0]"),
        "{key}"
    );
}

/// DESIGN.md's first configuration example, as written there.
const DESIGN_EXAMPLE: &str = "\
[services.cleanup]
kind = \"retention-cleanup\"
enabled = true
interval = \"1h\"
startup_order = 6
restart = { policy = \"on-failure\", max_restarts = 5, window = \"60s\", backoff = \"1s..30s\" }
settings = { retention_days = 30, database = \"data/app.db\", table = \"events\", column = \"created_at\" }
";

#[test]
fn flat_database_table_and_column_are_one_sqlite_target() {
    let host = Host::builder()
        .kinds(steward_builtins::kinds())
        .env_prefix(None)
        .config_toml("steward.toml", DESIGN_EXAMPLE)
        .build()
        .unwrap();
    assert_eq!(
        host.handle().services()[0].builtin,
        Some("retention-cleanup")
    );

    let flat: RetentionSettings = serde_json::from_value(json!({
        "retention_days": 30, "database": "data/app.db", "table": "events", "column": "created_at"
    }))
    .unwrap();
    let listed: RetentionSettings = serde_json::from_value(json!({
        "retention_days": 30,
        "sqlite": [{ "database": "data/app.db", "table": "events", "column": "created_at" }]
    }))
    .unwrap();
    assert_eq!(flat.sqlite.len(), 1);
    let (one, other) = (&flat.sqlite[0], &listed.sqlite[0]);
    assert_eq!(one.name(), "data/app.db:events");
    assert_eq!(
        (&one.database, &one.table, &one.column),
        (&other.database, &other.table, &other.column)
    );
    assert_eq!(one.column.as_str(), "created_at");
}

#[test]
fn flat_keys_with_sqlite_or_without_each_other_are_refused() {
    let (key, reason) = only(
        "{ database = \"a.db\", table = \"events\", column = \"at\", sqlite = [{ database = \"b.db\", table = \"logs\", column = \"at\" }] }",
    );
    assert_eq!(key, "services.cleanup.settings");
    assert!(
        reason
            .starts_with("`sqlite` and the flat `database`, `table` and `column` both name tables"),
        "{reason}"
    );
    // An empty list is a list all the same.
    let (_, reason) =
        only("{ database = \"a.db\", table = \"events\", column = \"at\", sqlite = [] }");
    assert!(reason.starts_with("`sqlite` and the flat"), "{reason}");

    let (key, reason) = only("{ database = \"a.db\" }");
    assert_eq!(key, "services.cleanup.settings");
    assert_eq!(
        reason,
        "`database`, `table` and `column` name one table together: `table` and `column` are missing"
    );
    let (_, reason) = only("{ table = \"events\", column = \"at\" }");
    assert!(reason.ends_with("`database` is missing"), "{reason}");
    // A flat key is checked like the same key in `sqlite`.
    let (key, reason) = only("{ database = \"a.db\", table = \"events;\", column = \"at\" }");
    assert_eq!(key, "services.cleanup.settings.table");
    assert!(reason.contains("not a plain SQL identifier"), "{reason}");
}
